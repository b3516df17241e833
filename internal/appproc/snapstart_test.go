package appproc_test

import (
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/appproc"
)

func TestHookPathFromEnv(t *testing.T) {
	upstream, _ := url.Parse("http://127.0.0.1:8000")
	tests := []struct {
		value, want, wantErr string
	}{
		{"", appproc.DefaultHookPath, ""},
		{"off", "", ""},
		{"/ops/snap/", "/ops/snap/", ""},
		{"/ops/snap", "", `UPSTREAM_SNAPSTART_PATH: want a path ending in "/"`},
		{"ops/snap/", "", `UPSTREAM_SNAPSTART_PATH: want a path ending in "/"`},
		{"/ops/?x=1/", "", `UPSTREAM_SNAPSTART_PATH: want a path ending in "/"`},
		{"//evil.example/", "", `UPSTREAM_SNAPSTART_PATH: want a path ending in "/"`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			env := map[string]string{"UPSTREAM_COMMAND": "gunicorn app", "LAMBDA_TASK_ROOT": t.TempDir(), "UPSTREAM_SNAPSTART_PATH": tt.value}
			got, _, err := appproc.ConfigFromEnv(func(k string) string { return env[k] }, upstream, "")
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			case tt.wantErr == "" && (err != nil || got.HookPath != tt.want):
				t.Errorf("got HookPath %q, err %v; want %q", got.HookPath, err, tt.want)
			}
		})
	}
}

// TestHook: the hook request reaches the app with the token it was given,
// the ready host and the caller's headers; any answer but 200 is an error
// quoting it.
func TestHook(t *testing.T) {
	token := appproc.NewHookToken()
	tests := []struct {
		name    string
		cfg     map[string]string // HookPath, HookToken (the app's), APP_HOOK_STATUS, APP_HOOK_REDIRECT
		wantErr string
	}{
		{"ran", map[string]string{"path": "/hooks/", "token": token}, ""},
		{"off: no request", map[string]string{"path": "", "token": token, "status": "500"}, ""},
		// No token: none in the app's environment, none sent.
		{"no token", map[string]string{"path": "/hooks/", "token": ""},
			"the app's before-snapshot hook, POST /hooks/before-snapshot/: status 403: wrong token"},
		// The quoted answer shows what reached the app.
		{"the hook fails", map[string]string{"path": "/hooks/", "token": token, "status": "500"},
			"the app's before-snapshot hook, POST /hooks/before-snapshot/: status 500: before-snapshot ran in "},
		{"host, credential and hook path sent", map[string]string{"path": "/hooks/", "token": token, "status": "500"},
			", host www.example.com, verify cred, path /hooks/"},
		// A redirect (SECURE_SSL_REDIRECT, LoginRequiredMiddleware) names
		// where it points.
		{"redirected", map[string]string{"path": "/hooks/", "token": token, "redirect": "https://www.example.com/hooks/"},
			`status 302 to "https://www.example.com/hooks/" (put djfront's UpstreamVerifyMiddleware first in MIDDLEWARE`},
		{"no such path", map[string]string{"path": "/elsewhere/", "token": token},
			`status 404 (mount djfront.urls at /djfront/, set UPSTREAM_SNAPSTART_PATH, or set it to "off" for an app without hooks)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := []string{"APP_HOOK_STATUS=" + tt.cfg["status"], "APP_HOOK_REDIRECT=" + tt.cfg["redirect"]}
			cfg := testConfig(t, "", env...)
			cfg.HookPath, cfg.HookToken = tt.cfg["path"], tt.cfg["token"]
			ta := startConfig(t, cfg)
			if err := ta.AwaitReady(t.Context()); err != nil {
				t.Fatal(err)
			}
			err := ta.Hook(t.Context(), appproc.BeforeSnapshot, http.Header{"X-Upstream-Verify": {"cred"}})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && !strings.Contains(got, tt.wantErr) {
				t.Errorf("got error %q, want %q", got, tt.wantErr)
			}
		})
	}
}

// TestRevive: after a restore, a live app is kept and a dead one is started
// again (a clean restart), without waiting for its boot.
func TestRevive(t *testing.T) {
	for _, tt := range []struct {
		name          string
		kill          bool
		wantRestarted bool
	}{
		{"alive", false, false},
		{"dead", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta := startApp(t, "", "APP_BOOT_MS=0")
			before := ta.pid(t)
			if tt.kill {
				syscall.Kill(before, syscall.SIGKILL)
				time.Sleep(100 * time.Millisecond) // as the freeze ends: it was reaped, or is about to be
			}
			restarted, err := ta.Revive(t.Context())
			if err != nil || restarted != tt.wantRestarted {
				t.Fatalf("Revive: got %v, %v; want restarted %v", restarted, err, tt.wantRestarted)
			}
			if after := ta.pid(t); (after != before) != tt.wantRestarted {
				t.Errorf("pid %d after Revive, %d before; want restarted %v", after, before, tt.wantRestarted)
			}
		})
	}
}
