package dist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// checkInstall installs djfront from dist as a user would, in a fresh
// virtualenv, and runs what it installed.
func checkInstall(t *testing.T, root, dist, version string) {
	venv := filepath.Join(t.TempDir(), "venv")
	mustRun(t, python312(t, root), "-m", "venv", venv)
	python, djfront := filepath.Join(venv, "bin", "python"), filepath.Join(venv, "bin", "djfront")
	wheelhouse := djangoWheelhouse(t, root, python)
	mustRun(t, python, "-m", "pip", "install", "--no-index", "--find-links", dist, "--find-links", wheelhouse, "djfront")
	mustRun(t, python, "-m", "pip", "check")

	if out := mustRun(t, djfront, "--help"); !strings.Contains(out, "djfront artifacts") {
		t.Errorf("djfront --help:\n%s\nwant the artifacts command listed", out)
	}
	if out := mustRun(t, djfront, "version"); out != "djfront "+version+"\n" {
		t.Errorf("djfront version: %q, want %q", out, "djfront "+version+"\n")
	}
	dir := strings.TrimSpace(mustRun(t, djfront, "artifacts"))
	site := strings.TrimSpace(mustRun(t, python, "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"))
	if want := filepath.Join(realPath(t, site), "djfront", "_artifacts"); dir != want {
		t.Errorf("djfront artifacts: %q, want %q", dir, want)
	}
	if got := strings.TrimSpace(mustRun(t, python, "-m", "djfront.artifacts")); realPath(t, got) != dir {
		t.Errorf("python -m djfront.artifacts: %q, want %q (djfront artifacts)", got, dir)
	}
	for rel := range artifacts {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		st, err := os.Stat(path)
		if err != nil {
			t.Errorf("installed artifact: %v", err)
			continue
		}
		checkArtifact(t, root, rel, readFile(t, path), st.Mode(), version)
	}
	out := mustRun(t, python, "-c", `import os; os.environ["DJFRONT_HOSTS"] = "www.example.com"
import django, djfront, djfront.settings, djfront.middleware, djfront.checks, djfront.probe
print(djfront.__version__)`)
	if out != version+"\n" {
		t.Errorf("import djfront: __version__ %q, want %q", out, version)
	}
}

// python312 returns the Python 3.12 the virtualenv is made with: the
// project's .venv's (scripts/install-python.sh, where it exists), else
// pyenv's newest 3.12.x, else python3.12 on PATH.
func python312(t *testing.T, root string) string {
	t.Helper()
	pyenv := os.Getenv("PYENV_ROOT")
	if pyenv == "" {
		home, _ := os.UserHomeDir()
		pyenv = filepath.Join(home, ".pyenv")
	}
	installed, _ := filepath.Glob(filepath.Join(pyenv, "versions", "3.12.*", "bin", "python3.12"))
	patch := func(p string) int { // 3.12.PATCH's PATCH, -1 for 3.12.1-dev and the like
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(filepath.Dir(filepath.Dir(p))), "3.12."))
		if err != nil {
			return -1
		}
		return n
	}
	slices.SortFunc(installed, func(a, b string) int { return patch(b) - patch(a) })
	candidates := append([]string{filepath.Join(root, ".venv", "bin", "python3.12")}, installed...)
	if p, err := exec.LookPath("python3.12"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && st.Mode()&0o111 != 0 {
			return c
		}
	}
	testenv.Missing(t, "Python 3.12", "pyenv install 3.12 (looked at "+strings.Join(candidates, ", ")+")")
	return ""
}

// djangoWheelhouse returns a directory with the wheels testdata/django.txt
// pins: the user cache directory's djfront/wheelhouse, filled from PyPI the
// first time.
func djangoWheelhouse(t *testing.T, root, python string) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "djfront", "wheelhouse")
	reqs := filepath.Join(root, "test", "dist", "testdata", "django.txt")
	download := []string{"-m", "pip", "download", "--only-binary=:all:", "--dest", dir, "-r", reqs}
	if _, err := run(python, append(download, "--no-index", "--find-links", dir)...); err == nil {
		return dir
	}
	if out, err := run(python, download...); err != nil {
		testenv.Missing(t, "the wheels of "+reqs, "pip download them from PyPI into "+dir+" ("+err.Error()+")\n"+out)
	}
	return dir
}

// run runs name with args in an environment cleared of what would change
// what Python and pip do, and returns its standard output (with standard
// error after it when it fails).
func run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "PYTHON") || strings.HasPrefix(k, "PIP_") || k == "VIRTUAL_ENV" ||
			strings.HasPrefix(k, "DJFRONT_") || strings.HasPrefix(k, "DJANGO_")
	})
	cmd.Env = append(cmd.Env, "PYTHONDONTWRITEBYTECODE=1", "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

// mustRun is run that fails t when the command fails.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := run(name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func realPath(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
