// Package testenv gives integration tests the real parts they run against —
// built Lambda binaries, the moto server, a Django app under gunicorn — and
// one rule for when a part is missing: outside CI the test is skipped with the
// install step named; with CI set it fails, so a missing tool never turns a
// CI run into a silent skip.
//
// Every starter registers its cleanup with tb.Cleanup, so no process outlives
// the test that started it.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// InstallHint names the project's install step; messages about a missing
// tool end with it.
const InstallHint = djangoserver.Install

// Integration marks tb as an integration test: it is skipped under
// `go test -short`, which must stay fast and need nothing external.
func Integration(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("integration test: skipped with -short")
	}
}

// inCI reports whether the tests run in CI (the CI variable is set), where a
// missing tool is a failure rather than a skip.
func inCI() bool { return os.Getenv("CI") != "" }

// Missing reports a missing part: it fails tb in CI and skips it elsewhere,
// naming what is missing and how to install it.
func Missing(tb testing.TB, what, install string) {
	tb.Helper()
	msg := what + " is missing: " + install
	if inCI() {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// RequireCommand returns the path of the named command, or reports it
// missing (see Missing) with the given install step.
func RequireCommand(tb testing.TB, name, install string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, "command "+strconv.Quote(name), install)
	}
	return path
}

// RequirePythonModule checks that python (for example "/usr/bin/python3")
// imports module, or reports it missing with the given install step.
func RequirePythonModule(tb testing.TB, python, module, install string) {
	tb.Helper()
	RequireCommand(tb, python, install)
	if !proctree.PythonImports(tb.Context(), python, module) {
		Missing(tb, "python module "+module+" for "+python, install)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago
// (proctree.FreePort).
func FreePort(tb testing.TB) int {
	tb.Helper()
	port, err := proctree.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// RepoRoot returns the repository's root directory (where go.mod is),
// found from this package's source directory (samlocal.ProjectRoot), so it
// holds whatever the working directory.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("testenv: cannot locate source file")
	}
	root, err := samlocal.ProjectRoot(filepath.Dir(file))
	if err != nil {
		tb.Fatal(err)
	}
	return root
}
