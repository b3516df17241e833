package appproc_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/testenv"
)

// testApp is this test binary started as the app (see TestMain).
type testApp struct {
	*appproc.App
	cfg    appproc.Config
	output *childproc.Tail // the app's output
	logs   *childproc.Tail // the supervisor's log
	client *http.Client
}

// startApp starts the test app with env added to its environment and the
// command prefixed by before (shell), stopped when t ends.
func startApp(t *testing.T, before string, env ...string) *testApp {
	t.Helper()
	return startConfig(t, testConfig(t, before, env...))
}

// testConfig is the Config of startApp.
func testConfig(t *testing.T, before string, env ...string) appproc.Config {
	t.Helper()
	u, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(testenv.FreePort(t)))
	return appproc.Config{
		Command:   before + `exec "$APPPROC_TEST_BIN" -test.run='^$'`,
		Dir:       t.TempDir(),
		URL:       u,
		ReadyPath: "/",
		ReadyHost: "www.example.com",
		Manage:    appproc.DefaultManageCommand,
		Env:       append(os.Environ(), append([]string{"APPPROC_TEST_APP=1", "APPPROC_TEST_BIN=" + os.Args[0]}, env...)...),
	}
}

func startConfig(t *testing.T, cfg appproc.Config) *testApp {
	t.Helper()
	ta := &testApp{cfg: cfg, output: childproc.NewTail(1 << 20), logs: childproc.NewTail(1 << 20)}
	app, err := appproc.Start(cfg, ta.output, slog.New(slog.NewJSONHandler(ta.logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ta.App = app
	ta.client = &http.Client{Transport: app.Transport(&http.Transport{})}
	t.Cleanup(func() {
		app.Stop()
		if t.Failed() {
			t.Logf("app output:\n%s\nsupervisor log:\n%s", ta.output, ta.logs)
		}
	})
	return ta
}

// get fetches path from the app within timeout and returns its body.
func (ta *testApp) get(t *testing.T, path string, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ta.cfg.URL.String()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ta.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func (ta *testApp) pid(t *testing.T) int {
	t.Helper()
	body, err := ta.get(t, "/pid", 20*time.Second)
	if err != nil {
		t.Fatalf("GET /pid: %v", err)
	}
	pid, err := strconv.Atoi(body)
	if err != nil {
		t.Fatalf("GET /pid: %q", body)
	}
	return pid
}

func TestRequestsWaitForReadiness(t *testing.T) {
	ta := startApp(t, "", "APP_BOOT_MS=200", "APP_READY_AFTER_MS=400")
	first, second := ta.pid(t), ta.pid(t)
	if first != second {
		t.Errorf("consecutive requests served by pids %d and %d, want one app", first, second)
	}
	out := ta.output.String()
	for _, want := range []string{
		"readiness host=www.example.com\n", // the readiness request names the first exact allowed host
		"listening in " + ta.cfg.Dir + "\n",
		"stderr line\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("app output %q lacks %q", out, want)
		}
	}
	if !strings.Contains(ta.logs.String(), `"msg":"app ready"`) {
		t.Errorf("log %s lacks app ready", ta.logs)
	}
}

// TestStillStarting: a request that gives up on a booting app says what
// the last readiness request got — no answer yet, or an answer that is not
// ready (a Django 500 at boot, which used to look like an endless start) —
// and so does the init's log line.
func TestStillStarting(t *testing.T) {
	tests := []struct {
		name       string
		env        string
		wantStatus int
		wantCheck  string
	}{
		{"not listening", "APP_BOOT_MS=30000", 0, "last readiness request: Get "},
		{"answers 500", "APP_READY_AFTER_MS=600000", 500, "the app answers 500 on /"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := startApp(t, "", tt.env)
			ta.AwaitInit(time.Now().Add(1500 * time.Millisecond))
			_, err := ta.get(t, "/pid", 100*time.Millisecond)
			var starting *appproc.StartingError
			if !errors.Is(err, appproc.ErrStarting) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &starting) {
				t.Fatalf("got %v, want a StartingError wrapping context.DeadlineExceeded", err)
			}
			if starting.Status != tt.wantStatus || !strings.Contains(starting.LastCheck(), tt.wantCheck) {
				t.Errorf("got status %d, last check %q; want %d, %q", starting.Status, starting.LastCheck(), tt.wantStatus, tt.wantCheck)
			}
			if logs := ta.logs.String(); !strings.Contains(logs, `"last_check":"`+tt.wantCheck) {
				t.Errorf("init log %s lacks last_check %q", logs, tt.wantCheck)
			}
		})
	}
}

// TestNotReadyAnswersPaced: an app that answers its ready path with 500
// (logging a traceback each time) is asked again every half second, not
// every 10 ms.
func TestNotReadyAnswersPaced(t *testing.T) {
	ta := startApp(t, "", "APP_READY_AFTER_MS=600000")
	ta.AwaitInit(time.Now().Add(2 * time.Second))
	if got := strings.Count(ta.output.String(), "readiness host="); got < 2 || got > 6 {
		t.Errorf("%d readiness requests in 2 s to an app answering 500, want 2 to 6", got)
	}
}

// TestAppDies ends the app while it serves a request, on its own and by a
// kill: the request fails with the exit, the next one gets a fresh app.
func TestAppDies(t *testing.T) {
	tests := []struct {
		name       string
		path       string // what the request asks for
		kill       bool   // SIGKILL the app while it serves path
		wantStatus string
	}{
		{"crash", "/crash", false, "exit status 3"},
		{"killed", "/hang", true, "signal: killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := startApp(t, "")
			before := ta.pid(t)
			if tt.kill {
				time.AfterFunc(200*time.Millisecond, func() { syscall.Kill(before, syscall.SIGKILL) })
			}
			_, err := ta.get(t, tt.path, 20*time.Second)
			var exit *childproc.ExitError
			if !errors.As(err, &exit) || exit.Status != tt.wantStatus {
				t.Fatalf("got %v, want an ExitError with %s", err, tt.wantStatus)
			}
			if after := ta.pid(t); after == before {
				t.Errorf("served by pid %d after it died, want a fresh app", after)
			}
		})
	}
}

func TestBootFailureRestartsOnDemand(t *testing.T) {
	ta := startApp(t, "", "APP_EXIT=7")
	for i := range 2 {
		_, err := ta.get(t, "/pid", 20*time.Second)
		var exit *childproc.ExitError
		if !errors.As(err, &exit) || exit.Status != "exit status 7" || !strings.Contains(exit.Tail, "failing at boot on purpose") {
			t.Fatalf("request %d: got %v, want an ExitError with exit status 7 and the app's output", i, err)
		}
	}
	time.Sleep(300 * time.Millisecond) // a restart loop would start it again meanwhile
	if got := strings.Count(ta.logs.String(), `"msg":"app started"`); got != 2 {
		t.Errorf("app started %d times for 2 requests, want 2 (restarted on demand only)", got)
	}
}

// TestCrashAfterReadyRestartsOnDemand: an app that dies just after it
// answered ready is started again by the next request, not in a loop.
func TestCrashAfterReadyRestartsOnDemand(t *testing.T) {
	ta := startApp(t, "", "APP_EXIT_WHEN_READY=1")
	time.Sleep(time.Second) // a restart loop starts it again meanwhile, every few ms
	if got := strings.Count(ta.logs.String(), `"msg":"app started"`); got > 2 {
		t.Errorf("app started %d times in a second without a request, want at most 2 (no restart loop)", got)
	}
	if _, err := ta.get(t, "/", 20*time.Second); err != nil {
		var exit *childproc.ExitError
		if !errors.As(err, &exit) {
			t.Errorf("request after the crash: got %v, want an answer or the fresh app's exit", err)
		}
	}
	if got := strings.Count(ta.logs.String(), `"msg":"app started"`); got < 2 {
		t.Errorf("app started %d times, want a fresh app for the request", got)
	}
}

// TestBootHangRestarts: an app that hangs at boot is started again once
// requests have waited BootTimeout for it, not left to answer 503 forever.
func TestBootHangRestarts(t *testing.T) {
	cfg := testConfig(t, "", "APP_HANG_ONCE="+filepath.Join(t.TempDir(), "hung"))
	cfg.BootTimeout = 300 * time.Millisecond
	ta := startConfig(t, cfg)
	if _, err := ta.get(t, "/pid", 20*time.Second); err != nil {
		t.Fatalf("GET /pid: %v, want an answer from the app started again", err)
	}
	logs := ta.logs.String()
	if !strings.Contains(logs, `"msg":"app wedged: starting it again"`) || !strings.Contains(logs, "not ready after 300ms of boot") {
		t.Errorf("log %s lacks the restart and its reason", logs)
	}
}

// TestBootTimeCountsWaitsOnly: the boot timeout counts the time requests
// waited, not the time since the app started — Lambda freezes the
// function between invocations, and a frozen boot makes no progress.
func TestBootTimeCountsWaitsOnly(t *testing.T) {
	cfg := testConfig(t, "", "APP_BOOT_MS=2500")
	cfg.BootTimeout = time.Second
	ta := startConfig(t, cfg)
	time.Sleep(2 * time.Second) // past BootTimeout since the start, with nobody waiting
	if _, err := ta.get(t, "/pid", 10*time.Second); err != nil {
		t.Fatalf("GET /pid: %v", err)
	}
	if strings.Contains(ta.logs.String(), "app wedged") {
		t.Errorf("restarted an app that booted within BootTimeout of waiting:\n%s", ta.logs)
	}
}

// TestWedgedAppRestarts: an app that serves two requests at a time (as the
// template's gunicorn, --workers 1 --threads 2) and has both stuck past
// their timeouts no longer answers; the next request finds it wedged and
// is served by a fresh app. With one stuck request it still answers, and
// is kept.
func TestWedgedAppRestarts(t *testing.T) {
	tests := []struct {
		name    string
		stuck   int
		restart bool
	}{
		{"one of two busy: kept", 1, false},
		{"both busy: started again", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ta := startApp(t, "", "APP_MAX_CONCURRENT=2")
			before := ta.pid(t)
			for range tt.stuck {
				if _, err := ta.get(t, "/hang", 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("GET /hang: %v, want a timeout", err)
				}
			}
			start := time.Now()
			after := ta.pid(t)
			if restarted := after != before; restarted != tt.restart {
				t.Errorf("served by pid %d after %d stuck requests (before: %d): restarted %v, want %v",
					after, tt.stuck, before, restarted, tt.restart)
			}
			if took := time.Since(start); !tt.restart && took > appproc.LivenessTimeout {
				t.Errorf("the request after one stuck one took %s, want the check's quick answer", took)
			}
			if wedged := strings.Contains(ta.logs.String(), "no answer to / within"); wedged != tt.restart {
				t.Errorf("log says wedged: %v, want %v:\n%s", wedged, tt.restart, ta.logs)
			}
		})
	}
}

func TestStop(t *testing.T) {
	ta := startApp(t, `sleep 60 & echo $! > grandchild; `, "APP_IGNORE_TERM=1")
	pid := ta.pid(t)
	b, err := os.ReadFile(filepath.Join(ta.cfg.Dir, "grandchild"))
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	start := time.Now()
	ta.Stop()
	if took := time.Since(start); took < appproc.StopGrace {
		t.Errorf("Stop took %s, want the %s grace for an app that ignores SIGTERM", took, appproc.StopGrace)
	}
	for _, p := range []int{pid, grandchild} {
		if alive(p) {
			t.Errorf("process %d alive after Stop", p)
		}
	}
	if _, err := ta.get(t, "/pid", time.Second); !errors.Is(err, appproc.ErrStopped) {
		t.Errorf("request after Stop: got %v, want ErrStopped", err)
	}
}

// TestStopWithinShutdown: a daemon the app started outside its process
// group keeps the app's output open; Stop must still return within the
// 500 ms Lambda leaves the runtime at shutdown, or Lambda SIGKILLs
// hostforward before it exits.
func TestStopWithinShutdown(t *testing.T) {
	ta := startApp(t, `setsid sleep 60 & echo $! > daemon; `)
	ta.pid(t)
	b, err := os.ReadFile(filepath.Join(ta.cfg.Dir, "daemon"))
	if err != nil {
		t.Fatal(err)
	}
	daemon, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	t.Cleanup(func() { syscall.Kill(daemon, syscall.SIGKILL) })
	start := time.Now()
	ta.Stop()
	if took, budget := time.Since(start), 500*time.Millisecond; took >= budget {
		t.Errorf("Stop took %s with a daemon holding the app's output, want less than Lambda's %s", took, budget)
	}
}

// alive reports whether pid runs, allowing a killed process a moment to be
// reaped by whoever inherited it.
func alive(pid int) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return false // dead, not yet reaped
		}
	}
	return true
}

func TestAwaitInit(t *testing.T) {
	ta := startApp(t, "", "APP_BOOT_MS=30000")
	start := time.Now()
	ta.AwaitInit(start.Add(100 * time.Millisecond))
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("AwaitInit took %s for a 100 ms deadline", took)
	}
	if !strings.Contains(ta.logs.String(), "not ready within the init budget") {
		t.Errorf("log %s lacks the init budget warning", ta.logs)
	}

	ready := startApp(t, "")
	ready.AwaitInit(time.Now().Add(time.Minute))
	if _, err := ready.get(t, "/pid", time.Millisecond*50); err != nil {
		t.Errorf("after AwaitInit of a booted app: %v, want an immediate answer", err)
	}
}

func TestManage(t *testing.T) {
	ta := startApp(t, "")
	script := `sh -c 'for a; do printf "<%s>\n" "$a"; done; echo err >&2; echo "port=$PORT dir=$(pwd)"; exit 4' manage-test`
	cfg := ta.cfg
	cfg.Manage = script
	app := startConfig(t, cfg)

	args := []string{"$(touch pwned)", "a b", "*", "--noinput", ""}
	res, err := app.Manage(t.Context(), args)
	if err != nil {
		t.Fatal(err)
	}
	want := "<$(touch pwned)>\n<a b>\n<*>\n<--noinput>\n<>\nerr\nport=" + cfg.URL.Port() + " dir=" + cfg.Dir + "\n"
	if res.ExitCode != 4 || res.Output != want || res.Killed {
		t.Errorf("got exit %d killed %v output %q, want exit 4 and %q", res.ExitCode, res.Killed, res.Output, want)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "pwned")); err == nil {
		t.Error("an argument was run by a shell")
	}

	cfg.Manage = "sleep"
	slow := startConfig(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), appproc.ManageMargin+300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err = slow.Manage(ctx, []string{"30"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Killed || res.ExitCode != -1 {
		t.Errorf("got %+v, want killed (exit -1)", res)
	}
	if dl, _ := ctx.Deadline(); time.Until(dl) < appproc.ManageMargin/2 {
		t.Errorf("killed %s after start, too close to the deadline", time.Since(start))
	}
}

func TestConfigFromEnv(t *testing.T) {
	root := t.TempDir()
	upstream, _ := url.Parse("http://127.0.0.1:8000")
	valid := map[string]string{"UPSTREAM_COMMAND": "gunicorn app", "LAMBDA_TASK_ROOT": root}
	tests := []struct {
		name    string
		env     map[string]string
		wantOK  bool
		want    appproc.Config
		wantErr string // every error names its variable
	}{
		{name: "not in-function", env: map[string]string{"UPSTREAM_COMMAND": ""}},
		{name: "defaults", wantOK: true, want: appproc.Config{Command: "gunicorn app", Dir: root, ReadyPath: "/", Manage: "python3 manage.py"}},
		{name: "all set", wantOK: true,
			env:  map[string]string{"UPSTREAM_READY_PATH": "/healthz?deep=1", "MANAGE_COMMAND": " python3 src/manage.py "},
			want: appproc.Config{Command: "gunicorn app", Dir: root, ReadyPath: "/healthz?deep=1", Manage: "python3 src/manage.py"}},
		{name: "blank command", env: map[string]string{"UPSTREAM_COMMAND": "  "}, wantErr: "UPSTREAM_COMMAND: blank"},
		{name: "task root missing", env: map[string]string{"LAMBDA_TASK_ROOT": root + "/nope"}, wantErr: "LAMBDA_TASK_ROOT: "},
		{name: "ready path relative", env: map[string]string{"UPSTREAM_READY_PATH": "healthz"}, wantErr: "UPSTREAM_READY_PATH: want a path"},
		{name: "ready path a URL", env: map[string]string{"UPSTREAM_READY_PATH": "//evil.example/"}, wantErr: "UPSTREAM_READY_PATH: want a path"},
		{name: "ready path with fragment", env: map[string]string{"UPSTREAM_READY_PATH": "/a#b"}, wantErr: "UPSTREAM_READY_PATH: want a path"},
		{name: "manage blank", env: map[string]string{"MANAGE_COMMAND": " "}, wantErr: "MANAGE_COMMAND: want a command"},
		{name: "manage two lines", env: map[string]string{"MANAGE_COMMAND": "python3\nmanage.py"}, wantErr: "MANAGE_COMMAND: want a command"},
		// Run as `exec MANAGE_COMMAND "$@"`: a comment would drop the
		// arguments (manage.py alone prints its help and exits 0), a list
		// would exec its first command only.
		{name: "manage with a comment", env: map[string]string{"MANAGE_COMMAND": "python3 manage.py # the app"}, wantErr: "MANAGE_COMMAND: want one command"},
		{name: "manage a list", env: map[string]string{"MANAGE_COMMAND": "cd src && python3 manage.py"}, wantErr: "MANAGE_COMMAND: want one command"},
		{name: "manage a pipeline", env: map[string]string{"MANAGE_COMMAND": "python3 manage.py | cat"}, wantErr: "MANAGE_COMMAND: want one command"},
		{name: "manage ends with a backslash", env: map[string]string{"MANAGE_COMMAND": `python3 manage.py \`}, wantErr: "MANAGE_COMMAND: want one command"},
		{name: "manage with a variable", wantOK: true, env: map[string]string{"MANAGE_COMMAND": "$PYTHON src/manage.py"},
			want: appproc.Config{Command: "gunicorn app", Dir: root, ReadyPath: "/", Manage: "$PYTHON src/manage.py"}},
		{name: "boot timeout", wantOK: true, env: map[string]string{"UPSTREAM_BOOT_TIMEOUT": "90s"},
			want: appproc.Config{Command: "gunicorn app", Dir: root, ReadyPath: "/", Manage: "python3 manage.py", BootTimeout: 90 * time.Second}},
		{name: "boot timeout not a duration", env: map[string]string{"UPSTREAM_BOOT_TIMEOUT": "90"}, wantErr: "UPSTREAM_BOOT_TIMEOUT: want a positive Go duration"},
		{name: "boot timeout zero", env: map[string]string{"UPSTREAM_BOOT_TIMEOUT": "0s"}, wantErr: "UPSTREAM_BOOT_TIMEOUT: want a positive Go duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := maps.Clone(valid)
			maps.Copy(env, tt.env)
			got, ok, err := appproc.ConfigFromEnv(func(k string) string { return env[k] }, upstream, "www.example.com")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || ok != tt.wantOK {
				t.Fatalf("got ok %v, err %v; want ok %v", ok, err, tt.wantOK)
			}
			if !ok {
				return
			}
			tt.want.URL, tt.want.ReadyHost = upstream, "www.example.com"
			if tt.want.BootTimeout == 0 {
				tt.want.BootTimeout = appproc.DefaultBootTimeout
			}
			if got.Command != tt.want.Command || got.Dir != tt.want.Dir || got.ReadyPath != tt.want.ReadyPath ||
				got.Manage != tt.want.Manage || got.URL != tt.want.URL || got.ReadyHost != tt.want.ReadyHost ||
				got.BootTimeout != tt.want.BootTimeout || got.Env != nil {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestProcessStart(t *testing.T) {
	got := appproc.ProcessStart()
	if age := time.Since(got); age <= 0 || age > time.Hour {
		t.Errorf("ProcessStart() = %s, %s ago: want a moment before now", got, age)
	}
}
