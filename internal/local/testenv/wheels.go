package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// MakeDist runs `make dist` from the repository root into a temporary
// directory and returns it with the version the wheels carry
// (scripts/build-wheels.py --version): what `pip install djfront` installs
// (docs/install.md).
func MakeDist(tb testing.TB, root string) (dir, version string) {
	tb.Helper()
	makeCmd := RequireCommand(tb, "make", InstallHint)
	RequireCommand(tb, "go", "install Go (see go.mod for the version)")
	python := RequireCommand(tb, "python3", "install Python 3.11 or later as python3")
	out, err := RunPython(python, filepath.Join(root, "scripts", "build-wheels.py"), "--version")
	if err != nil {
		tb.Fatalf("build-wheels.py --version: %v\n%s", err, out)
	}
	dir = filepath.Join(tb.TempDir(), "dist")
	cmd := exec.Command(makeCmd, "--no-print-directory", "dist", "DIST="+dir)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("make dist: %v\n%s", err, out)
	}
	return dir, strings.TrimSpace(out)
}

// Python312 returns the Python 3.12 (Lambda's python3.12 runtime) a fresh
// virtualenv is made with: the project's .venv's (scripts/install-python.sh,
// where it exists), else pyenv's newest 3.12.x, else python3.12 on PATH.
func Python312(tb testing.TB, root string) string {
	tb.Helper()
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
	Missing(tb, "Python 3.12", "pyenv install 3.12 (looked at "+strings.Join(candidates, ", ")+")")
	return ""
}

// Wheelhouse returns a directory with the wheels the requirements file
// reqs pins, for `pip install --no-index --find-links`: the user cache
// directory's djfront/wheelhouse, filled by python's pip from the package
// index the first time (so an install of djfront itself never reaches an
// index, where another project has its name).
func Wheelhouse(tb testing.TB, python, reqs string) string {
	tb.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "djfront", "wheelhouse")
	download := []string{"-m", "pip", "download", "--only-binary=:all:", "--dest", dir, "-r", reqs}
	if _, err := RunPython(python, append(download, "--no-index", "--find-links", dir)...); err == nil {
		return dir
	}
	if out, err := RunPython(python, download...); err != nil {
		Missing(tb, "the wheels of "+reqs, "pip download them from PyPI into "+dir+" ("+err.Error()+")\n"+out)
	}
	return dir
}

// RunPython runs name (an interpreter, pip, a virtualenv's command) with
// args in an environment cleared of what would change what Python and pip
// do, and returns its standard output (with standard error after it when it
// fails).
func RunPython(name string, args ...string) (string, error) {
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

// MustRunPython is RunPython that fails tb when the command fails.
func MustRunPython(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := RunPython(name, args...)
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}
