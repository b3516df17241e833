package hostforward_test

import (
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/pgserver"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

// SnapStart under the local Runtime API's emulation (runtimeapi.SnapStart):
// hostforward snapshots a ready app that closed its database connections,
// the environment is frozen (every process stopped) between snapshot and
// restore, and the restored app answers. The app's gunicorn opens a
// database connection in each worker as it starts (post_worker_init, in the
// worker's main thread, not the one that serves the hook), as an app that
// warms its connection up does: the before-snapshot hook must close a
// connection of another thread.

// snapFreeze is how long the environment stays frozen: longer than
// gunicorn's keep-alive (2 s), so any pooled connection is stale.
const snapFreeze = 5 * time.Second

// snapGunicorn returns the UPSTREAM_COMMAND: the project's gunicorn, with
// the template's one worker (hostforward asks one worker to run the hooks), and a
// config file whose post_worker_init opens a database connection and runs
// extra (Python, indented by four spaces).
func snapGunicorn(t *testing.T, extra string) string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "snapstart_gunicorn.py")
	body := "def post_worker_init(worker):\n" +
		"    from django.db import connection\n" +
		"    connection.ensure_connection()\n" +
		"    print('snapstart test: worker', worker.pid, 'connected as', connection.connection.info.backend_pid, flush=True)\n" + extra
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return gunicorn + " --workers 1 --threads 2 --config " + conf // the template's workers and threads
}

// launchSnapStart starts the in-function app under SnapStart on a database
// of its own and returns the function (with Start's error), and what
// onFrozen returned, run while the environment was frozen.
func launchSnapStart(t *testing.T, command string, onFrozen func(f *inFunction, pg *pgserver.Server) string) (*inFunction, string, error) {
	t.Helper()
	return launchSnapStartEnv(t, command, nil, onFrozen)
}

// launchSnapStartEnv is launchSnapStart with extra added to the app's
// environment.
func launchSnapStartEnv(t *testing.T, command string, extra map[string]string,
	onFrozen func(f *inFunction, pg *pgserver.Server) string) (*inFunction, string, error) {
	t.Helper()
	pg := testenv.StartPostgres(t)
	env := map[string]string{
		"DJFRONT_HOSTS": site, "DJFRONT_UPSTREAM_SECRETS": appCredential,
		"DATABASE_URL": pg.URL + "?conn_max_age=600", // connections kept, as with the default 60
	}
	maps.Copy(env, extra)
	dj := testenv.PrepareDjango(t, env)
	f, fn := newInFunction(t, dj, command)
	fn.Timeout, fn.SnapStart = 30*time.Second, &runtimeapi.SnapStart{Freeze: snapFreeze}
	frozen := make(chan string, 1)
	go func() { // onFrozen once the SNAPSHOT line is written
		for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if strings.Contains(f.logs.String(), "SNAPSHOT Processes:") {
				frozen <- onFrozen(f, pg)
				return
			}
		}
		frozen <- "no snapshot"
	}()
	var err error
	f.fn, err = runtimeapi.Start(t.Context(), fn)
	got := "no snapshot"
	select {
	case got = <-frozen:
	case <-time.After(time.Second):
	}
	return f, got, err
}

// appConnections counts the client connections to pg's database other than
// its own, from a Python of the project's environment.
func appConnections(t *testing.T, pg *pgserver.Server) string {
	const query = "import psycopg, sys\n" +
		"with psycopg.connect(sys.argv[1]) as c:\n" +
		"    print(c.execute(\"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() " +
		"AND backend_type = 'client backend' AND pid <> pg_backend_pid()\").fetchone()[0])\n"
	out, err := exec.Command(pyenv.Python(), "-c", query, pg.URL).CombinedOutput()
	if err != nil {
		return "query failed: " + err.Error() + ": " + string(out)
	}
	return strings.TrimSpace(string(out))
}

func TestSnapStartInFunction(t *testing.T) {
	testenv.Integration(t)
	var masterFrozen int
	f, atSnapshot, err := launchSnapStart(t, snapGunicorn(t, ""), func(f *inFunction, pg *pgserver.Server) string {
		masterFrozen = f.master(t)
		return appConnections(t, pg)
	})
	f.started(t, err)
	if atSnapshot != "0" {
		t.Errorf("app connections to PostgreSQL at snapshot time: %s, want 0", atSnapshot)
	}
	restores := f.fn.Restores()
	if len(restores) != 1 || restores[0].Status != runtimeapi.StatusSuccess || restores[0].Frozen < 3 ||
		restores[0].Restored.Sub(restores[0].Snapshot) < snapFreeze {
		t.Fatalf("restores: %+v, want one success after a %s freeze of the runtime, gunicorn's master and worker", restores, snapFreeze)
	}
	c := &chain{t: t, fn: f.fn, app: f.app}
	decodeWhoami(t, c.invoke(event(t, "api-get.json", "GET", "/whoami/")))
	if i, j := strings.Index(f.logs.String(), "START RequestId"), strings.Index(f.logs.String(), "RESTORE_REPORT"); i < j {
		t.Errorf("an invocation started (log at %d) before the restore ended (%d)", i, j)
	}
	// The function's own lines against the Runtime API's clock: they reach
	// the logs through a pipe, so their place in it is not their order.
	for _, step := range []struct {
		marker        string
		before, after time.Time
	}{
		{`"msg":"app ready"`, restores[0].Snapshot, time.Time{}},
		{`"phase":"before-snapshot"`, restores[0].Snapshot, time.Time{}},
		{`"msg":"ready for the snapshot"`, restores[0].Snapshot, time.Time{}},
		{`"phase":"after-restore"`, restores[0].Restored.Add(restores[0].Duration), restores[0].Restored},
		{`"msg":"restored"`, restores[0].Restored.Add(restores[0].Duration), restores[0].Restored},
	} {
		at, err := time.Parse(time.RFC3339Nano, logLine(t, f.logs.String(), step.marker)["time"].(string))
		if err != nil || at.After(step.before) || at.Before(step.after) {
			t.Errorf("log %s at %v (%v), want it after %v and before %v", step.marker, at, err, step.after, step.before)
		}
	}

	if got := f.master(t); got != masterFrozen {
		t.Errorf("gunicorn master %d after the restore, want %d, the one in the snapshot", got, masterFrozen)
	}
	if got := strings.Count(f.logs.String(), `"msg":"app started"`); got != 1 {
		t.Errorf("app started %d times, want once", got)
	}
}

// A hook registered with snapshot_restore_py in the app's worker that
// raises fails its phase with Lambda's error type and the hook's message: a
// before-snapshot one the init (nothing is frozen), an after-restore one
// the restore. No process of the function is left either way.
func TestSnapStartHookErrors(t *testing.T) {
	testenv.Integration(t)
	for _, tt := range []struct {
		register, wantType string
		wantSnapshot       bool
	}{
		{"register_before_snapshot", "Runtime.BeforeSnapshotError", false},
		{"register_after_restore", "Runtime.AfterRestoreError", true},
	} {
		t.Run(tt.register, func(t *testing.T) {
			message := "refused on purpose by a hook of " + tt.register
			hook := "    import snapshot_restore_py\n" +
				"    def refuse():\n" +
				"        raise RuntimeError('" + message + "')\n" +
				"    snapshot_restore_py." + tt.register + "(refuse)\n"
			f, _, err := launchSnapStart(t, snapGunicorn(t, hook), func(*inFunction, *pgserver.Server) string { return "" })
			if err == nil {
				f.fn.Close()
				t.Fatal("the function started; want it to fail")
			}
			var ferr *runtimeapi.FunctionError
			if !errors.As(err, &ferr) || ferr.Type != tt.wantType || !strings.Contains(ferr.Message, "RuntimeError: "+message) {
				t.Errorf("start: got %v, want a %s quoting the hook's error\nlogs:\n%s", err, tt.wantType, f.logs)
			}
			if got := strings.Contains(f.logs.String(), "SNAPSHOT Processes:"); got != tt.wantSnapshot {
				t.Errorf("snapshot taken: %v, want %v", got, tt.wantSnapshot)
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(f.processes()) > 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if left := f.processes(); len(left) > 0 {
				t.Errorf("processes left after the failure: %v", left)
			}
		})
	}
}

// An app that died while the environment was frozen (killed here) is
// started again after the restore, a clean restart: the restore succeeds
// and the first request is answered by the new app.
func TestSnapStartAppDeadAfterRestore(t *testing.T) {
	testenv.Integration(t)
	var killed []int
	f, _, err := launchSnapStart(t, snapGunicorn(t, ""), func(f *inFunction, _ *pgserver.Server) string {
		for pid, cmd := range f.processes() {
			if strings.Contains(cmd, "gunicorn") {
				syscall.Kill(pid, syscall.SIGKILL)
				killed = append(killed, pid)
			}
		}
		return ""
	})
	f.started(t, err)
	if len(killed) < 2 {
		t.Fatalf("killed %v, want gunicorn's master and worker", killed)
	}
	if r := f.fn.Restores(); len(r) != 1 || r[0].Status != runtimeapi.StatusSuccess {
		t.Fatalf("restores: %+v, want one success", r)
	}
	c := &chain{t: t, fn: f.fn, app: f.app}
	resp := c.invoke(event(t, "api-get.json", "GET", "/whoami/"))
	for deadline := time.Now().Add(time.Minute); resp.StatusCode == 503 && time.Now().Before(deadline); {
		resp = c.invoke(event(t, "api-get.json", "GET", "/whoami/"))
	}
	decodeWhoami(t, resp)
	master := f.master(t)
	for _, pid := range killed {
		if pid == master {
			t.Errorf("served by the killed master %d", pid)
		}
	}
	if got := strings.Count(f.logs.String(), `"msg":"app started"`); got != 2 {
		t.Errorf("app started %d times, want twice (the snapshot's, the clean restart)", got)
	}
}
