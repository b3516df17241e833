package main

import (
	"strings"
	"testing"
)

// checkOutput checks what run returned and printed against what a test
// wants: the exit code, and each output containing its want (and empty when
// its want is).
func checkOutput(t *testing.T, code int, stdout, stderr string, wantCode int, wantStdout, wantStderr string) {
	t.Helper()
	if code != wantCode {
		t.Errorf("exit code %d, want %d (stderr %q)", code, wantCode, stderr)
	}
	if !strings.Contains(stdout, wantStdout) || (wantStdout == "" && stdout != "") {
		t.Errorf("stdout %q, want %q", stdout, wantStdout)
	}
	if !strings.Contains(stderr, wantStderr) || (wantStderr == "" && stderr != "") {
		t.Errorf("stderr %q, want it to contain %q", stderr, wantStderr)
	}
}
