// Package python_test runs the djfront Django package's tests (python/tests,
// Django's own test runner) in the project's Python environment against
// each Django of the matrix (4.2, 5.2, 6.1: testenv.DjangoMatrix), and
// installs the package with pip as a user would, so that `go test ./...`
// (make test) covers the Python side too.
package python_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/testenv"
)

// env is the environment without the variables that would change what the
// package reads, plus extra.
func env(extra ...string) []string {
	out := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(name, "DJFRONT_") || strings.HasPrefix(name, "DJANGO_") ||
			name == "PYTHONPATH" || name == "PYTHONHOME" || strings.HasPrefix(name, "AWS_")
	})
	return append(out, append([]string{"PYTHONDONTWRITEBYTECODE=1"}, extra...)...)
}

// djangoEnv is env for Django d: its overlay first on PYTHONPATH.
func djangoEnv(d pyenv.Django, extra ...string) []string {
	if d.Path != "" {
		extra = append([]string{"PYTHONPATH=" + d.Path}, extra...)
	}
	return env(extra...)
}

func TestDjangoTests(t *testing.T) {
	testenv.Integration(t)
	python := testenv.Python(t, "django", "storages.backends.s3boto3")
	// djfront.settings.secret reads Secrets Manager: moto's (tests/test_secret.py).
	moto := testenv.StartMoto(t)
	testenv.DjangoMatrix(t, func(t *testing.T, d pyenv.Django) {
		moto.Reset(t) // the tests create their secrets anew
		// tests/test_postgres.py and test_dsql.py: a PostgreSQL of their own
		// for each Django.
		pg := testenv.StartPostgres(t)
		version := exec.Command(python, "-m", "django", "--version")
		version.Env = djangoEnv(d)
		out, err := version.CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), d.Version+".") {
			t.Fatalf("python -m django --version: got %q (%v), want Django %s.*", out, err, d.Version)
		}
		cmd := exec.Command(python, "-m", "django", "test", "--verbosity", "2", "tests")
		cmd.Dir = filepath.Join(testenv.RepoRoot(t), "python")
		cmd.Env = djangoEnv(d, append(moto.Env(), "DJANGO_SETTINGS_MODULE=tests.settings", "DJFRONT_TEST_POSTGRES_URL="+pg.URL)...)
		out, err = cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python -m django test: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "\nOK") {
			t.Errorf("python -m django test: no OK in the output:\n%s", out)
		}
		t.Logf("%s", out)
	})
}

// TestPipInstall installs the package from a copy of python/ (pip builds in
// the source directory) into a target directory and imports it from there,
// as `pip install "djfront @ git+…#subdirectory=python"` would.
func TestPipInstall(t *testing.T) {
	testenv.Integration(t)
	python := testenv.Python(t, "pip", "setuptools", "django")
	tmp := t.TempDir()
	src, site := filepath.Join(tmp, "src"), filepath.Join(tmp, "site")
	if err := os.CopyFS(src, os.DirFS(filepath.Join(testenv.RepoRoot(t), "python"))); err != nil {
		t.Fatal(err)
	}
	install := exec.Command(python, "-m", "pip", "install", "--no-index", "--no-deps", "--no-build-isolation",
		"--disable-pip-version-check", "--target", site, src)
	install.Env = env()
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(site, "tests")); err == nil {
		t.Error("pip installed the tests package; want djfront only")
	}
	check := exec.Command(python, "-c", `import djfront, djfront.apps, djfront.checks, djfront.middleware, djfront.storage
import os; os.environ["DJFRONT_HOSTS"] = "www.example.com"
import djfront.settings
print(djfront.__version__, djfront.__file__)`)
	check.Dir = tmp
	check.Env = env("PYTHONPATH="+site, "DJANGO_SETTINGS_MODULE=")
	out, err := check.CombinedOutput()
	if err != nil {
		t.Fatalf("import the installed package: %v\n%s", err, out)
	}
	if got, want := string(out), "0.1.0 "+filepath.Join(site, "djfront", "__init__.py"); !strings.HasPrefix(got, want) {
		t.Errorf("installed package: got %q, want %q", got, want)
	}
}
