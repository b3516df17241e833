package demo

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/motostack"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/samlocal"
	"github.com/djfront/djfront/internal/local/testenv"
)

// failureLimit bounds the wait for a dead process to be reported: a bound
// for slow machines, not a speed check.
const failureLimit = 10 * time.Second

// TestTourAndFaults brings the stack up as `make demo` does (the app
// inside hostforward), walks the tour, then stops parts of it behind the
// stack's back, the way they fail in production, and checks each fault is
// reported by name, not as a hang, or, for the app, survived.
func TestTourAndFaults(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	s := startStack(t, Config{Tour: true, Postgres: true})

	t.Run("the app's database is the throwaway PostgreSQL", func(t *testing.T) {
		if s.pg == nil || !strings.HasPrefix(s.databaseURL(), "postgres") {
			t.Errorf("database %q, want the stack's PostgreSQL (Config.Postgres)", s.databaseURL())
		}
	})
	t.Run("tour", func(t *testing.T) {
		walkTour(t, s, "1. Where the app runs: inside the function, as AppFunction deploys", `"app ready" after`,
			"child of pid", "the function's runtime process (the Python runtime's bootstrap, handed over to hostforward by the wrapper)",
			`in the function: {"manage": ["collectstatic", "--noinput"]}`, "the same app served every request, inside the function")
	})

	t.Run("app killed: a fresh one inside the function", func(t *testing.T) {
		before := s.appLog.get("app started")
		if len(before) != 1 {
			t.Fatalf("app started %d times before the kill, want once", len(before))
		}
		_ = syscall.Kill(before[0].Pid, syscall.SIGKILL)
		// A request racing hostforward's notice of the exit would get the
		// 502 of one in flight; this one comes after.
		for deadline := time.Now().Add(failureLimit); len(s.appLog.get("app exited")) == 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no \"app exited\" in the function's log within %v of the kill", failureLimit)
			}
		}
		resp, body := get(t, s, "/whoami/")
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /whoami/ after the kill: %d %q, want 200 from a fresh app", resp.StatusCode, body)
		}
		after := s.appLog.get("app started")
		if len(after) != 2 || after[1].Pid == before[0].Pid || len(s.appLog.get("app exited")) != 1 {
			t.Errorf("app started %v, exited %v: want a second start with a new pid after one exit", after, s.appLog.get("app exited"))
		}
		out, err := s.manage(t.Context(), "migrate", "--noinput")
		if err != nil || !strings.Contains(out, "No migrations to apply.") {
			t.Errorf("migrate in the function: %v %q", err, out)
		}
	})

	t.Run("moto down: the bucket named", func(t *testing.T) {
		checkFault(t, s, fault{"moto server", "/static/admin/css/base.css", http.StatusBadGateway, "the S3 bucket " + s.aws.Bucket + " did not answer"})
	})

	t.Run("port in use, reported with the port", func(t *testing.T) {
		addr := strings.TrimPrefix(s.URL, "https://localhost")
		_, err := Start(t.Context(), Config{Root: testenv.RepoRoot(t), Addr: "127.0.0.1" + addr})
		if want := "port " + strings.TrimPrefix(addr, ":") + " is in use"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to say %q", err, want)
		}
	})
}

// TestExternalApp runs the stack with gunicorn on its own (-app external):
// the tour, then gunicorn killed, which hostforward answers with a 502 and
// the stack reports by name.
func TestExternalApp(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	s := startStack(t, Config{App: External, Tour: true})
	if s.ManageCommand() != "" || s.DjangoURL == "" {
		t.Errorf("ManageCommand %q, DjangoURL %q: want none and gunicorn's", s.ManageCommand(), s.DjangoURL)
	}
	walkTour(t, s, "1. Where the app runs: on its own (the external mode)", "hostforward forwards to it (UPSTREAM_URL)",
		"collectstatic         manage.py on this machine")
	checkFault(t, s, fault{"gunicorn (Django)", "/whoami/", http.StatusBadGateway, "502 Bad Gateway: the app is unreachable"})
}

func TestAppMode(t *testing.T) {
	_, err := Start(t.Context(), Config{App: "lambda"})
	if want := `app mode "lambda": want in-function or external`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// startStack starts the stack from the repository with cfg on a free
// port; it is closed when t ends.
func startStack(t *testing.T, cfg Config) *Stack {
	t.Helper()
	logs, progress := childproc.NewTail(1<<20), childproc.NewTail(1<<20)
	cfg.Root, cfg.Addr, cfg.Progress, cfg.Logs = testenv.RepoRoot(t), "127.0.0.1:0", progress, logs
	s, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("progress:\n%s\nlogs (tail):\n%s", progress.String(), childproc.LastLines(logs.String(), 80))
		}
	})
	return s
}

// walkTour walks s's tour and checks its output has what every tour shows
// and want.
func walkTour(t *testing.T, s *Stack, want ...string) {
	t.Helper()
	var out bytes.Buffer
	if err := s.Tour(t.Context(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, w := range append([]string{"get_host()=" + strings.TrimPrefix(s.URL, "https://"), "scheme=https", "→ 200 OK: posted: café au lait",
		"→ 403 Forbidden", "CreateInvalidation", "/static/tour/banner.css"}, want...) {
		if !strings.Contains(out.String(), w) {
			t.Errorf("tour output lacks %q:\n%s", w, out.String())
		}
	}
}

// get sends a viewer's GET of path through the edge.
func get(t *testing.T, s *Stack, path string) (*http.Response, string) {
	t.Helper()
	resp, err := s.Client.Get(s.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// fault is a process of the stack's killed behind its back and what a
// viewer then gets.
type fault struct {
	process string
	path    string
	status  int
	body    string
}

// checkFault kills tt's process and checks the stack reports it by name and
// the viewer gets tt's answer.
func checkFault(t *testing.T, s *Stack, tt fault) {
	t.Helper()
	p := s.process(tt.process)
	if p == nil {
		t.Fatalf("no process %q", tt.process)
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	select {
	case err := <-s.Failures():
		if !strings.Contains(err.Error(), tt.process+" (pid") {
			t.Errorf("reported %q, want it to name %s", err, tt.process)
		}
	case <-time.After(failureLimit):
		t.Errorf("%s died and nothing was reported within %v", tt.process, failureLimit)
	}
	resp, body := get(t, s, tt.path)
	if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
		t.Errorf("GET %s: %d %q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
	}
}

// process returns the stack's process named name, or nil.
func (s *Stack) process(name string) *childproc.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

// TestKeptDatabase starts the stack twice on one database, the user's
// (DATABASE_URL in Config.Env): the app uses it, and the second start finds
// the superuser there and keeps it.
func TestKeptDatabase(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	db := filepath.Join(t.TempDir(), "mine.sqlite3")
	cfg := Config{StateDir: t.TempDir(), AdminPassword: "first-password", Env: []string{"DATABASE_URL=sqlite:///" + db}}
	first := startStack(t, cfg)
	if first.AdminExisted {
		t.Error("first start: AdminExisted, want the superuser created")
	}
	first.Close()
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("the user's database: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.StateDir, "db.sqlite3")); err == nil {
		t.Error("a database in StateDir, though DATABASE_URL named another")
	}
	cfg.AdminPassword = "second-password"
	second := startStack(t, cfg)
	if !second.AdminExisted {
		t.Error("second start: AdminExisted false, want the kept superuser found")
	}
	if out, err := second.manage(t.Context(), "migrate", "--noinput"); err != nil || !strings.Contains(out, "No migrations to apply.") {
		t.Errorf("migrate on the kept database: %v %q", err, out)
	}
}

// TestFunctionEnv: the app function's environment is the template's, its
// secrets and bucket by Ref resolved, then the user's, then the stack's
// own, then the runtime's; the user's DATABASE_URL reaches the app, and
// without one the app's database is a file in StateDir.
func TestFunctionEnv(t *testing.T) {
	tpl, err := samlocal.ReadTemplate("../../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		user   []string
		wantDB string
	}{
		{"the user's database", []string{"DATABASE_URL=postgres://u:p@127.0.0.1/app", "DJFRONT_HOSTS=www.example.com", "MY_SETTING=1"}, "postgres://u:p@127.0.0.1/app"},
		{"none given", []string{"MY_SETTING=1"}, "sqlite:////my%20state/db.sqlite3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(Config{Env: tt.user, AdminPassword: "pw"})
			s.tpl, s.StateDir, s.MotoEndpoint = tpl, "/my state", "http://127.0.0.1:5000"
			s.aws = &motostack.Stack{Bucket: "djfront-assets-local"}
			s.secrets = map[string]motostack.Secret{"DjangoSecretKey": {ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:k"}}
			s.runs = map[string]*samlocal.Runnable{appFunctionID: {Env: []string{"PATH=/venv/bin:/usr/bin"}}}
			app, err := s.appEnv("3000")
			if err != nil {
				t.Fatal(err)
			}
			env := s.functionEnv(appFunctionID, app...)
			for name, want := range map[string]string{
				"DATABASE_URL":                 tt.wantDB,
				"MY_SETTING":                   "1",
				"DJFRONT_HOSTS":                "localhost", // the stack's, over the user's
				"DJFRONT_CDN_DOMAIN":           "localhost:3000",
				"DJFRONT_BUCKET":               "djfront-assets-local",
				"DJANGO_SECRET_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
				"AWS_ENDPOINT_URL":             "http://127.0.0.1:5000",
				"DJANGO_SUPERUSER_PASSWORD":    "pw",
				"PATH":                         "/venv/bin:/usr/bin",
				"AWS_LAMBDA_EXEC_WRAPPER":      "/opt/djfront-wrapper", // the template's; Prepare's Env points it at the local /opt
			} {
				if got := proctree.Getenv(env, name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}
