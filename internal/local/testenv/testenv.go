// Package testenv gives integration tests the real parts they run against —
// built Lambda binaries, the moto server, PostgreSQL, a Django app under
// gunicorn, the project's Python environment and its Django matrix — and
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

	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// InstallHint names the install step of the project's pinned tools (the
// Python environment, the Go tools); messages about a missing one end with
// it.
const InstallHint = "run make tools (scripts/install-tools.sh: the Python environment .venv, the Go tools)"

// SystemInstallHint names the install step of the Debian packages
// (PostgreSQL, Chromium), which needs root.
const SystemInstallHint = "run make install (scripts/install-system.sh, as root)"

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

// RequirePythonModule checks that python (an interpreter's path or name)
// imports module, or reports it missing with the given install step.
func RequirePythonModule(tb testing.TB, python, module, install string) {
	tb.Helper()
	RequireCommand(tb, python, install)
	if !proctree.PythonImports(tb.Context(), python, module) {
		Missing(tb, "python module "+module+" for "+python, install)
	}
}

// Python returns the project's interpreter (pyenv.Python) after checking
// that it imports each of modules, or reports what is missing with
// InstallHint (make tools).
func Python(tb testing.TB, modules ...string) string {
	tb.Helper()
	if err := pyenv.Check(); err != nil {
		Missing(tb, "the Python environment", err.Error())
	}
	python := pyenv.Python()
	for _, m := range modules {
		RequirePythonModule(tb, python, m, InstallHint)
	}
	return python
}

// PythonCommand returns the path of a command of the project's Python
// environment (pyenv.Command, for example "cfn-lint"), or reports it
// missing with InstallHint.
func PythonCommand(tb testing.TB, name string) string {
	tb.Helper()
	return RequireCommand(tb, pyenv.Command(name), InstallHint)
}

// DjangoMatrix runs test once per Django version of the matrix
// (pyenv.Matrix), each as a subtest named "django-X.Y", in version order;
// a version whose overlay is not installed is reported missing
// (InstallHint). The test selects its version by putting d.Path first on
// the PYTHONPATH of the Python processes it starts (see
// djangoserver.Config.Env).
func DjangoMatrix(t *testing.T, test func(t *testing.T, d pyenv.Django)) {
	t.Helper()
	matrix, err := pyenv.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range matrix {
		t.Run("django-"+d.Version, func(t *testing.T) {
			if d.Check() != nil {
				Missing(t, "Django "+d.Version+" (its overlay "+d.Path+")", InstallHint)
			}
			test(t, d)
		})
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
