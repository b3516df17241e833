package dist_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// checkInstall installs djfront from dist as a user would, in a fresh
// virtualenv, and runs what it installed.
func checkInstall(t *testing.T, root, dist, version string) {
	venv := filepath.Join(t.TempDir(), "venv")
	mustRun(t, testenv.Python312(t, root), "-m", "venv", venv)
	python, djfront := filepath.Join(venv, "bin", "python"), filepath.Join(venv, "bin", "djfront")
	wheelhouse := testenv.Wheelhouse(t, python, filepath.Join(root, "test", "dist", "testdata", "django.txt"))
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

// mustRun runs name with args as testenv.RunPython does and fails t when
// the command fails.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	return testenv.MustRunPython(t, name, args...)
}

func realPath(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
