package runtimeapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

// A runtime that asks for invocations without calling restore/next does not
// start under SnapStart, as Lambda refuses to publish its version; the
// protocol itself is proven with hostforward in test/snapstart.
func TestSnapStartNeedsRestoreNext(t *testing.T) {
	testenv.Integration(t)
	_, err := runtimeapi.Start(t.Context(), runtimeapi.Function{
		Binary:    testenv.BuildBootstrap(t, fnPackage),
		SnapStart: &runtimeapi.SnapStart{Freeze: time.Millisecond},
	})
	const want = "runtimeapi: SnapStart: the runtime asked for an invocation without calling restore/next"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Start: got error %v, want %q", err, want)
	}
}
