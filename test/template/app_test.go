package template_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/testenv"
)

// builderExcludes are the names SAM's Python builder leaves out of a zip
// (aws-lambda-builders, PythonPipWorkflow.EXCLUDED_FILES), those that can
// occur in a Django project.
var builderExcludes = []string{".aws-sam", ".git", ".gitignore", "__pycache__", ".venv", "venv", "env", ".env"}

// packageCodeURI copies dir as SAM's Python builder copies a function's
// CodeUri into its artifact (aws-lambda-builders' copytree): symbolic links
// replaced by what they point to, files and directories alike, the
// builder's excluded names left out. It returns the copy, which stands for
// the task root (/var/task) with nothing of the repository around it.
func packageCodeURI(t *testing.T, dir string) string {
	t.Helper()
	task := filepath.Join(t.TempDir(), "task")
	if err := copyTree(dir, task); err != nil {
		t.Fatalf("package %s: %v", dir, err)
	}
	return task
}

// copyTree copies src into dst, following symbolic links.
func copyTree(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if slices.Contains(builderExcludes, name) || strings.HasSuffix(name, ".pyc") {
			continue
		}
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		info, err := os.Stat(from) // follows a symbolic link, as the builder does
		if err != nil {
			return err
		}
		if info.IsDir() {
			err = copyTree(from, to)
		} else {
			var b []byte
			if b, err = os.ReadFile(from); err == nil {
				err = os.WriteFile(to, b, info.Mode().Perm())
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// TestAppCodeURI checks that the in-function function's CodeUri (the
// example Django project) deploys as it is: packaged as `sam build` packages
// it, away from the repository, it holds manage.py and requirements.txt at
// its root, its own tests pass, Django's checks pass with the environment
// the template gives the function, and the template's UPSTREAM_COMMAND
// serves it on the port hostforward passes in PORT.
func TestAppCodeURI(t *testing.T) {
	testenv.Integration(t)
	// The project's Python environment stands for what the zip's
	// requirements.txt vendors on Lambda.
	python := testenv.Python(t, "django", "gunicorn", "storages.backends.s3boto3")

	codeURI, _ := at(t, rawTemplate(t), "Resources.AppFunction.Properties.CodeUri").(string)
	fn := at(t, deploy(t, translate(t, inFunction), inFunction), "Resources.AppFunction.Properties")
	vars := at(t, fn, "Environment.Variables").(map[string]any)
	task := packageCodeURI(t, filepath.Join(testenv.RepoRoot(t), codeURI))

	t.Run("manage.py and requirements.txt at the root", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(task, "manage.py")); err != nil {
			t.Error(err)
		}
		raw, err := os.ReadFile(filepath.Join(task, "requirements.txt"))
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range []string{"Django", "gunicorn", "django-storages[s3]", "boto3"} {
			if !strings.Contains(string(raw), "\n"+pkg+">=") {
				t.Errorf("requirements.txt does not require %s", pkg)
			}
		}
	})

	// The function's environment as the template sets it, with what the
	// deploy resolves made concrete, a database file under the test's
	// directory, and the Python environment's python3 first on PATH
	// (Lambda's is /var/lang/bin/python3).
	env := []string{"PATH=" + pyenv.FunctionPath(), "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "HOME=" + t.TempDir()}
	for name, v := range vars {
		if s, ok := v.(string); ok {
			env = append(env, name+"="+s)
		}
	}
	env = append(env,
		"DJFRONT_HOSTS=www.example.com", "DJFRONT_CDN_DOMAIN=www.example.com",
		"DJFRONT_BUCKET=djfront-assets-test", "AWS_REGION=us-east-1",
		"DJANGO_SECRET_KEY=test-only-"+strings.Repeat("k", 50),
		"DATABASE_URL=sqlite:///"+filepath.Join(t.TempDir(), "db.sqlite3"),
	)
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		cmd := exec.Command(python, args...)
		cmd.Dir, cmd.Env = task, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("python %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	t.Run("the project's own tests", func(t *testing.T) {
		run(t, "-m", "unittest", "discover", "-s", ".", "-p", "test_*.py")
	})
	t.Run("manage.py check and migrate", func(t *testing.T) {
		run(t, "manage.py", "check")
		run(t, "manage.py", "migrate", "--noinput")
	})

	t.Run("UPSTREAM_COMMAND serves the app on PORT", func(t *testing.T) {
		command, _ := vars["UPSTREAM_COMMAND"].(string)
		port := testenv.FreePort(t)
		// As hostforward starts it: /bin/sh -c in the task root, PORT set.
		cmd := exec.Command("/bin/sh", "-c", command)
		cmd.Dir, cmd.Env = task, append(env, "PORT="+strconv.Itoa(port))
		p, err := childproc.Start("gunicorn", cmd, childproc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop(2 * time.Second)
		url := "http://127.0.0.1:" + strconv.Itoa(port) + "/whoami/"
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if err := childproc.AwaitHTTP(ctx, p, childproc.Readiness{URL: url, Host: "www.example.com"}); err != nil {
			t.Fatalf("await %s: %v\n%s", url, err, p.Tail())
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Host = "www.example.com"
		req.Header.Set("X-Forwarded-Host", "www.example.com")
		req.Header.Set("X-Forwarded-Proto", "https")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var got struct {
			Host   string `json:"host"`
			Secure bool   `json:"secure"`
		}
		if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /whoami/: %d %s (%v)\n%s", resp.StatusCode, body, err, p.Tail())
		}
		if got.Host != "www.example.com" || !got.Secure {
			t.Errorf("Django saw host %q secure %v, want www.example.com true", got.Host, got.Secure)
		}
	})
}
