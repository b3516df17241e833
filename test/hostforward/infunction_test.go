package hostforward_test

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/manageapi"
)

// The in-function mode: hostforward starts the example Django app itself
// (UPSTREAM_COMMAND: gunicorn in the project's Python environment), under
// the local Runtime API server with Lambda's init limit, suppressed init and
// shutdown.

// gunicorn is the UPSTREAM_COMMAND: the gunicorn testenv.StartDjango runs,
// bound to $PORT, exec'ed so that the app's pid is gunicorn's master.
var gunicorn = djangoserver.UpstreamCommand()

// inFunction is hostforward running Django inside the function.
type inFunction struct {
	fn      *runtimeapi.Server
	logs    *childproc.Tail // the function's output, as much as a test makes
	sandbox string          // KEY=VALUE in the environment of every process of the function
	spawned time.Time       // when the runtime process was started
	app     string          // the app's own URL (UPSTREAM_URL)
}

// prepareDjango prepares the example project for the in-function mode, with
// Django d (the zero Django: the environment's own).
func prepareDjango(tb testing.TB, d pyenv.Django) *testenv.Django {
	tb.Helper()
	env := map[string]string{"DJFRONT_HOSTS": site, "DJFRONT_UPSTREAM_SECRETS": appCredential}
	if d.Path != "" {
		env["PYTHONPATH"] = d.Path
	}
	return testenv.PrepareDjango(tb, env)
}

// startInFunction starts the function serving dj with command as
// UPSTREAM_COMMAND and returns once its init is over; it is shut down when
// tb ends. env is added to the function's.
func startInFunction(tb testing.TB, dj *testenv.Django, command string, timeout time.Duration, env ...string) *inFunction {
	tb.Helper()
	f, err := launchInFunction(tb, dj, command, timeout, env...)
	f.started(tb, err)
	return f
}

// started fails tb with the logs if err (Start's) is not nil, and otherwise
// shuts the function down when tb ends, logging its output if tb failed.
func (f *inFunction) started(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("start: %v\nlogs:\n%s", err, f.logs)
	}
	tb.Cleanup(func() {
		f.fn.Close()
		if tb.Failed() {
			tb.Logf("function logs:\n%s", f.logs)
		}
	})
}

// launchInFunction is startInFunction returning runtimeapi.Start's error
// (an init that failed) instead of failing tb; the function is not closed
// when tb ends.
func launchInFunction(tb testing.TB, dj *testenv.Django, command string, timeout time.Duration, env ...string) (*inFunction, error) {
	tb.Helper()
	f, fn := newInFunction(tb, dj, command, env...)
	fn.Timeout = timeout
	var err error
	f.fn, err = runtimeapi.Start(tb.Context(), fn)
	return f, err
}

// newInFunction returns the function serving dj with command as
// UPSTREAM_COMMAND, not started yet, and its runtimeapi settings for the
// caller to complete (Timeout, SnapStart) and start.
func newInFunction(tb testing.TB, dj *testenv.Django, command string, env ...string) (*inFunction, runtimeapi.Function) {
	tb.Helper()
	bin := testenv.BuildBootstrap(tb, "./functions/hostforward")
	f := &inFunction{logs: childproc.NewTail(8 << 20), sandbox: "DJFRONT_E2E_SANDBOX=" + tb.TempDir()}
	app, err := (&djangoserver.App{Dir: dj.Dir, Env: dj.Env}).FunctionEnv(command) // the database, static root and superuser of PrepareDjango
	if err != nil {
		tb.Fatal(err)
	}
	for _, kv := range app {
		if u, ok := strings.CutPrefix(kv, "UPSTREAM_URL="); ok {
			f.app = u
		}
	}
	fenv := append(app,
		"ALLOWED_HOSTS="+site,
		"ORIGIN_VERIFY_SECRETS="+secret,
		"UPSTREAM_VERIFY_SECRET="+appCredential,
		"UPSTREAM_TIMEOUT="+upstreamTimeout.String(),
		f.sandbox,
	)
	f.spawned = time.Now()
	return f, runtimeapi.Function{
		Name: "hostforward", Binary: bin, Env: append(fenv, env...), Logs: f.logs,
		Aliases: []string{manageapi.Alias}, // the template's ManageAlias
	}
}

// processes returns the live processes of the function's environment.
func (f *inFunction) processes() map[int]string {
	out := map[int]string{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		environ, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(append(append([]byte{0}, environ...), 0), []byte("\x00"+f.sandbox+"\x00")) {
			continue
		}
		if stat, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(fields) > 0 && fields[0] == "Z" {
				continue
			}
		}
		cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		out[pid] = string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
	}
	return out
}

// master returns the pid of gunicorn's master: the gunicorn process whose
// parent is not one.
func (f *inFunction) master(t testing.TB) int {
	t.Helper()
	procs := f.processes()
	for pid, cmd := range procs {
		if !strings.Contains(cmd, "gunicorn") {
			continue
		}
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		ppid, _ := strconv.Atoi(strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))[1])
		if !strings.Contains(procs[ppid], "gunicorn") {
			return pid
		}
	}
	t.Fatalf("no gunicorn master among %v", procs)
	return 0
}

// djfrontCLI builds cmd/djfront and returns a function that runs it against
// srv's Invoke API, as a user of make local does.
func djfrontCLI(t *testing.T, srv *runtimeapi.Server) func(args ...string) (string, int) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "djfront")
	build := exec.Command("go", "build", "-o", bin, "./cmd/djfront")
	build.Dir = testenv.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/djfront: %v\n%s", err, out)
	}
	api := httptest.NewServer(srv)
	t.Cleanup(api.Close)
	return func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"),
			"HOME=" + t.TempDir(), // no ~/.aws of the user's
			"AWS_ENDPOINT_URL_LAMBDA=" + api.URL,
			"AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
			"DJFRONT_FUNCTION=hostforward",
			"USER=operator",
		}
		out, err := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatalf("djfront %s: %v", strings.Join(args, " "), err)
		}
		return string(out), code
	}
}

// TestDjangoInFunction runs the in-function mode against each Django of the
// matrix.
func TestDjangoInFunction(t *testing.T) {
	testenv.Integration(t)
	testenv.DjangoMatrix(t, testDjangoInFunction)
}

func testDjangoInFunction(t *testing.T, d pyenv.Django) {
	// A 30 s function timeout: each management invocation starts Python and
	// Django afresh, which took 10 s on the loaded machine.
	f := startInFunction(t, prepareDjango(t, d), gunicorn, 30*time.Second, "GUNICORN_CMD_ARGS="+underscoreHeaders,
		"MANAGE_ALLOW=migrate,createsuperuser,check,version") // version: which Django ran (djfront manage -- version)
	master := f.master(t)
	c := &chain{t: t, fn: f.fn, app: f.app}

	djangoChecks(t, c)

	t.Run("one app serves consecutive requests", func(t *testing.T) {
		for range 3 {
			decodeWhoami(t, c.invoke(event(t, "api-get.json", "GET", "/whoami/")))
		}
		if got := f.master(t); got != master {
			t.Errorf("gunicorn master %d, want %d: the app was restarted", got, master)
		}
		if got := strings.Count(f.logs.String(), `"msg":"app started"`); got != 1 {
			t.Errorf("app started %d times, want once", got)
		}
	})

	t.Run("djfront manage through the CLI", func(t *testing.T) {
		djfront := djfrontCLI(t, f.fn)
		for _, tt := range []struct {
			args     []string
			wantCode int
			want     string
		}{
			{[]string{"manage", "--", "version"}, 0, d.Version + "."}, // the Django of the matrix runs
			{[]string{"manage", "--", "migrate", "--noinput"}, 0, "No migrations to apply."},
			{[]string{"manage", "--function", "hostforward", "--", "check"}, 0, "System check identified no issues (0 silenced)."},
			{[]string{"manage", "--", "nosuchcommand", "--flag"}, 2, `command "nosuchcommand" is not allowed; allowed: migrate,`},
		} {
			out, code := djfront(tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.want) {
				t.Errorf("djfront %s: exit %d, output %q; want exit %d and %q", strings.Join(tt.args, " "), code, out, tt.wantCode, tt.want)
			}
		}
	})

	t.Run("app killed mid-flight", func(t *testing.T) {
		done := make(chan int)
		go func() {
			time.Sleep(time.Second) // the request is in a worker
			syscall.Kill(master, syscall.SIGKILL)
			close(done)
		}()
		resp := c.invoke(event(t, "api-get.json", "GET", "/slow/?s=2.5"))
		<-done
		if resp.StatusCode != 502 || !strings.Contains(resp.Body, "the app exited (signal: killed)") {
			t.Errorf("in flight: %d %q, want 502 saying the app exited", resp.StatusCode, resp.Body)
		}
		// The next request starts a fresh app; while it boots (longer than
		// upstreamTimeout on a loaded machine) the answer is 503, and a
		// viewer's retry reaches the fresh app.
		next := c.invoke(event(t, "api-get.json", "GET", "/whoami/"))
		for deadline := time.Now().Add(time.Minute); next.StatusCode == 503 && strings.Contains(next.Body, "still starting") &&
			time.Now().Before(deadline); {
			next = c.invoke(event(t, "api-get.json", "GET", "/whoami/"))
		}
		decodeWhoami(t, next)
		if got := f.master(t); got == master {
			t.Errorf("served by the killed master %d, want a fresh app", got)
		}
	})

	t.Run("nothing left after shutdown", func(t *testing.T) {
		if len(f.processes()) < 3 {
			t.Fatalf("processes before shutdown: %v, want the runtime, gunicorn's master and workers", f.processes())
		}
		f.fn.Close()
		deadline := time.Now().Add(5 * time.Second)
		for len(f.processes()) > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if left := f.processes(); len(left) > 0 {
			t.Errorf("processes left after shutdown: %v", left)
		}
		// SIGTERM reached hostforward (its extension is registered) and it
		// stopped gunicorn gracefully before Lambda's SIGKILL.
		if !strings.Contains(f.logs.String(), "Handling signal: term") {
			t.Error("gunicorn got no SIGTERM at shutdown")
		}
	})
}

// TestInFunctionUnreadableSecret starts the app's function with
// UPSTREAM_VERIFY_SECRET_ARN naming a secret moto does not have: the app is
// started before the secrets are read, so the failed read must stop it. The
// init fails naming the variable, and no process of the function is left.
func TestInFunctionUnreadableSecret(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	missing := "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"
	env := append(m.Env(), "UPSTREAM_VERIFY_SECRET=", "UPSTREAM_VERIFY_SECRET_ARN="+missing)
	f, err := launchInFunction(t, prepareDjango(t, pyenv.Django{}), gunicorn, 10*time.Second, env...)
	if err == nil {
		f.fn.Close()
		t.Fatal("the function started; want its init to fail")
	}
	if !strings.Contains(err.Error(), "Runtime.ExitError") {
		t.Errorf("start: got %v, want a Runtime.ExitError", err)
	}
	for _, want := range []string{`"msg":"app started"`, `"msg":"cannot start"`, "read the secrets: UPSTREAM_VERIFY_SECRET_ARN: read secret " + missing} {
		if !strings.Contains(f.logs.String(), want) {
			t.Errorf("logs: got\n%s\nwant them to contain %q", f.logs, want)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.processes()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := f.processes(); len(left) > 0 {
		t.Errorf("processes left after the failed init: %v\nlogs:\n%s", left, f.logs)
	}
}

// TestSlowBootAsyncInit runs an app that takes 12 s to boot, past Lambda's
// 10 s init limit: hostforward ends init at ~9 s and the first request
// waits for the rest, so there is one init and no suppressed one, and the
// first answer comes at ~12 s, not ~22 s (a second, full boot inside the
// invocation).
func TestSlowBootAsyncInit(t *testing.T) {
	testenv.Integration(t)
	f := startInFunction(t, prepareDjango(t, pyenv.Django{}), "sleep 12; "+gunicorn, 30*time.Second, "UPSTREAM_TIMEOUT=25s")
	w := decodeWhoami(t, (&chain{t: t, fn: f.fn}).invoke(event(t, "api-get.json", "GET", "/whoami/")))
	took := time.Since(f.spawned)
	if w.Host != site {
		t.Errorf("host %q, want %q", w.Host, site)
	}
	inits := f.fn.Inits()
	if len(inits) != 1 || inits[0].Phase != runtimeapi.PhaseInit || inits[0].Status != runtimeapi.StatusSuccess {
		t.Fatalf("inits %+v, want one init phase that succeeded (no suppressed init)", inits)
	}
	if d := inits[0].Duration; d < 8*time.Second || d >= runtimeapi.InitTimeout {
		t.Errorf("init took %s, want it ended by hostforward's budget, below Lambda's %s", d, runtimeapi.InitTimeout)
	}
	if took < 12*time.Second || took > 20*time.Second {
		t.Errorf("first answer %s after spawn, want ~12 s (the app's own boot), not ~22 s", took)
	}
	if !strings.Contains(f.logs.String(), "not ready within the init budget") {
		t.Error("no log line for the async init")
	}
}

// TestReadyPathServerError: a Django app whose ready path raises (here the
// manifest storage's "Missing staticfiles manifest entry" before
// collectstatic, as in a fresh project) used to look like an endless start:
// a 503 "the app is still starting" for every request and a log line saying
// only that the init budget ran out. Now both say the app answers 500 on its
// ready path, and Django's traceback is in the function's output.
func TestReadyPathServerError(t *testing.T) {
	testenv.Integration(t)
	f := startInFunction(t, prepareDjango(t, pyenv.Django{}), gunicorn, 30*time.Second,
		"UPSTREAM_READY_PATH=/form/", "DJANGO_STATIC_ROOT="+t.TempDir(), // no manifest there
		"DJFRONT_UPSTREAM_SECRETS=") // readiness requests reach the view, not the app's 403 for a missing X-Upstream-Verify
	resp := (&chain{t: t, fn: f.fn}).invoke(event(t, "api-get.json", "GET", "/whoami/"))
	want := "the app is not ready: it answers 500 on /form/; its output is in the function's log"
	if resp.StatusCode != 503 || !strings.Contains(resp.Body, want) {
		t.Errorf("got %d %q, want 503 saying %q", resp.StatusCode, resp.Body, want)
	}
	logs := f.logs.String()
	for _, want := range []string{
		`"msg":"app not ready within the init budget`, `"last_check":"the app answers 500 on /form/"`,
		"Missing staticfiles manifest entry for 'probe/site.css'", // the traceback
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("function logs lack %q", want)
		}
	}
}
