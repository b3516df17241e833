package hostforward_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/pgserver"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

// SnapStart (review of issue 19): the before-snapshot hook is a request
// hostforward makes of its own, and must pass the app's ordinary Django
// settings as the viewers' requests do; the snapshot must hold no database
// connection whatever the app's connection handling.

// launchSnapStartSettings is launchSnapStart with the app's settings module
// replaced by one that imports demo.settings and then runs settings (Python
// at top level).
func launchSnapStartSettings(t *testing.T, command, settings string,
	onFrozen func(f *inFunction, pg *pgserver.Server) string) (*inFunction, string, error) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "snapstart_settings.py"), []byte("from demo.settings import *  # noqa\n"+settings), 0o644); err != nil {
		t.Fatal(err)
	}
	return launchSnapStartEnv(t, command, map[string]string{"DJANGO_SETTINGS_MODULE": "snapstart_settings", "PYTHONPATH": dir}, onFrozen)
}

// The before-snapshot hook is a plain-http POST without X-Forwarded-Proto
// and without a session: an app with settings that every viewer request
// passes (SECURE_SSL_REDIRECT behind hostforward's X-Forwarded-Proto,
// Django 5.1's LoginRequiredMiddleware) must still get its snapshot.
func TestSnapStartHookUnderProductionSettings(t *testing.T) {
	testenv.Integration(t)
	for _, tt := range []struct{ name, settings string }{
		{"SECURE_SSL_REDIRECT", "SECURE_SSL_REDIRECT = True\n"},
		{"LoginRequiredMiddleware", "MIDDLEWARE = [*MIDDLEWARE, 'django.contrib.auth.middleware.LoginRequiredMiddleware']\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := launchSnapStartSettings(t, snapGunicorn(t, ""), tt.settings,
				func(*inFunction, *pgserver.Server) string { return "" })
			var ferr *runtimeapi.FunctionError
			if errors.As(err, &ferr) {
				t.Fatalf("start with %s: %s: %s; want a snapshot of the ready app", tt.name, ferr.Type, ferr.Message)
			}
			f.started(t, err)
		})
	}
}

// Django 5.1's psycopg connection pool (OPTIONS "pool") keeps its
// connections open when Django "closes" one: closing every wrapper before
// the snapshot leaves the pool's TCP sessions in every restored copy.
func TestSnapStartPooledConnections(t *testing.T) {
	testenv.Integration(t)
	settings := "DATABASES['default']['CONN_MAX_AGE'] = 0\n" +
		"DATABASES['default']['CONN_HEALTH_CHECKS'] = False\n" +
		"DATABASES['default'].setdefault('OPTIONS', {})['pool'] = {'min_size': 1, 'max_size': 2}\n"
	f, atSnapshot, err := launchSnapStartSettings(t, snapGunicorn(t, ""), settings, func(f *inFunction, pg *pgserver.Server) string {
		return appConnections(t, pg)
	})
	f.started(t, err)
	if atSnapshot != "0" {
		t.Errorf("app connections to PostgreSQL at snapshot time with Django's pool: %s, want 0", atSnapshot)
	}
}

// hookToken returns the DJFRONT_SNAPSTART_TOKEN in the environment of f's
// processes (the app's), as a leak of it would give it to a viewer.
func hookToken(t *testing.T, f *inFunction) string {
	t.Helper()
	for pid := range f.processes() {
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte("DJFRONT_SNAPSTART_TOKEN=")); ok {
				return string(v)
			}
		}
	}
	t.Fatal("no DJFRONT_SNAPSTART_TOKEN in the function's processes")
	return ""
}

// The hook token is in the snapshot: every restored copy of a version has
// the same one, for the version's whole life, and the hooks stay reachable
// at the app's ordinary URL. A viewer must never run them, whatever headers
// it sends: hostforward is the only caller, and only around the snapshot.
func TestSnapStartViewerCannotRunHooks(t *testing.T) {
	testenv.Integration(t)
	f, _, err := launchSnapStart(t, snapGunicorn(t, ""), func(*inFunction, *pgserver.Server) string { return "" })
	f.started(t, err)
	token := hookToken(t, f)
	c := &chain{t: t, fn: f.fn, app: f.app}
	for _, phase := range []string{"before-snapshot", "after-restore"} {
		ev := event(t, "api-get.json", "POST", "/djfront/snapstart/"+phase+"/")
		ev.Headers["x-djfront-snapstart-token"] = token
		if resp := c.invoke(ev); resp.StatusCode == 200 {
			t.Errorf("a viewer's POST to the %s hook with the snapshot's token: status 200 %s, want the hook not run", phase, resp.Body)
		}
	}
}

// The hooks reach one worker: with two, the other would keep its database
// connections in the snapshot, so the before-snapshot hook fails the init,
// saying what to run instead.
func TestSnapStartRefusesWorkers(t *testing.T) {
	testenv.Integration(t)
	command := strings.Replace(snapGunicorn(t, ""), "--workers 1", "--workers 2", 1)
	f, _, err := launchSnapStart(t, command, func(*inFunction, *pgserver.Server) string { return "" })
	if err == nil {
		f.fn.Close()
		t.Fatal("the function started with two workers; want the init to fail")
	}
	var ferr *runtimeapi.FunctionError
	if !errors.As(err, &ferr) || ferr.Type != "Runtime.BeforeSnapshotError" ||
		!strings.Contains(ferr.Message, "2 workers serve the app") || !strings.Contains(ferr.Message, "gunicorn --workers 1") {
		t.Errorf("start: got %v, want a Runtime.BeforeSnapshotError naming the 2 workers and --workers 1\nlogs:\n%s", err, f.logs)
	}
}
