package snapstart_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/snapstart"
)

// Review of issue 19: a restore/next that fails answered before any restore
// (no snapshot was taken), so the failure is the init's. AWS's own runtime
// client (awslambdaric bootstrap.on_init_complete) runs the before-snapshot
// hooks and restore/next in one block and posts either's failure to
// /runtime/init/error as Runtime.BeforeSnapshotError; /runtime/restore/error
// is only allowed after a restore.
func TestReviewRestoreNextRefusedIsAnInitError(t *testing.T) {
	api := &runtimeAPI{restoreStatus: 500}
	srv := httptest.NewServer(api)
	defer srv.Close()
	err := snapstart.Run(context.Background(), snapstart.Config{RuntimeAPI: strings.TrimPrefix(srv.URL, "http://")}, snapstart.Hooks{})
	want := []string{"GET restore/next", "POST init/error Runtime.BeforeSnapshotError"}
	if !slices.Equal(api.log, want) {
		t.Errorf("calls: got %q, want %q", api.log, want)
	}
	var reported *snapstart.ReportedError
	if !errors.As(err, &reported) || reported.Type != snapstart.BeforeSnapshotError {
		t.Errorf("got error %v, want a ReportedError of type %s", err, snapstart.BeforeSnapshotError)
	}
}
