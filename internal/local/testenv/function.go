package testenv

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/runtimeapi"
)

// StartFunction runs the Lambda function binary (see BuildBootstrap) behind a
// local Runtime API with the given extra environment (KEY=VALUE) and timeout
// (0: runtimeapi.DefaultTimeout). AWS_EC2_METADATA_DISABLED=true comes
// first (env may override it), so a function's SDK never asks for instance
// credentials. The function is named after the binary's
// directory. It is stopped when tb ends; its logs are printed with tb.Log if
// tb failed.
func StartFunction(tb testing.TB, binary string, env []string, timeout time.Duration) *runtimeapi.Server {
	tb.Helper()
	// The Server serializes writes to logs, and its process has exited (its
	// output copied) when Start fails or Close returns.
	logs := &bytes.Buffer{}
	srv, err := runtimeapi.Start(tb.Context(), runtimeapi.Function{
		Name:    filepath.Base(filepath.Dir(binary)),
		Binary:  binary,
		Env:     append([]string{"AWS_EC2_METADATA_DISABLED=true"}, env...),
		Timeout: timeout,
		Logs:    logs,
	})
	if err != nil {
		tb.Fatalf("start function %s: %v\nlogs:\n%s", binary, err, logs)
	}
	tb.Cleanup(func() {
		srv.Close()
		if tb.Failed() {
			tb.Logf("logs of function %s:\n%s", binary, logs)
		}
	})
	return srv
}
