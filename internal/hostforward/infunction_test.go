package hostforward_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/hostforward"
)

// The in-function mode (UPSTREAM_COMMAND): UPSTREAM_URL's default and
// loopback rule, the readiness Host, and the app supervisor's failures
// mapped to statuses. appproc's own tests run a real app.

func TestConfigInFunction(t *testing.T) {
	tests := []struct {
		name     string
		upstream string
		want     string
		wantErr  string
	}{
		{name: "default", want: "http://127.0.0.1:8000"},
		{name: "own port", upstream: "http://127.0.0.1:9000/", want: "http://127.0.0.1:9000"},
		{name: "localhost", upstream: "http://localhost:9000", want: "http://localhost:9000"},
		{name: "IPv6 loopback", upstream: "http://[::1]:9000", want: "http://[::1]:9000"},
		{name: "another loopback address", upstream: "http://127.0.0.2:9000", want: "http://127.0.0.2:9000"},
		{name: "https", upstream: "https://127.0.0.1:8443", wantErr: "UPSTREAM_URL: with UPSTREAM_COMMAND, want a loopback http:// URL"},
		{name: "not loopback", upstream: "http://10.0.0.1:8000", wantErr: "UPSTREAM_URL: with UPSTREAM_COMMAND, want a loopback"},
		{name: "a name", upstream: "http://app.internal:8000", wantErr: "UPSTREAM_URL: with UPSTREAM_COMMAND, want a loopback"},
		{name: "no port", upstream: "http://127.0.0.1", wantErr: "UPSTREAM_URL: with UPSTREAM_COMMAND, want a loopback http:// URL with a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"UPSTREAM_COMMAND": "gunicorn app", "UPSTREAM_URL": tt.upstream, "ALLOWED_HOSTS": "www.example.com"}
			cfg, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Upstream.String(); got != tt.want {
				t.Errorf("Upstream = %s, want %s", got, tt.want)
			}
			if cfg.App == nil || cfg.App.Command != "gunicorn app" || cfg.App.URL != cfg.Upstream || cfg.App.ReadyHost != "www.example.com" {
				t.Errorf("App = %+v, want gunicorn app on UPSTREAM_URL, made ready with Host www.example.com", cfg.App)
			}
		})
	}
}

func TestFirstExact(t *testing.T) {
	for _, tt := range []struct{ allowed, want string }{
		{"www.example.com", "www.example.com"},
		{"*,.example.com,API.Example.com,b.example", "api.example.com"},
		{".example.com,*", ""},
	} {
		a, err := hostforward.ParseAllowedHosts(tt.allowed)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.FirstExact(); got != tt.want {
			t.Errorf("ParseAllowedHosts(%q).FirstExact() = %q, want %q", tt.allowed, got, tt.want)
		}
	}
}

// failing is a RoundTripper that fails with err, as appproc's does.
type failing struct{ err error }

func (f failing) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

func TestAppFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantReason string
	}{
		{"app exited", fmt.Errorf("%w: read: connection reset by peer", &childproc.ExitError{Name: "app", Status: "exit status 3"}),
			502, "the app exited (exit status 3)"},
		{"app killed", &childproc.ExitError{Name: "app", Status: "signal: killed"}, 502, "the app exited (signal: killed)"},
		{"still starting", fmt.Errorf("%w after 2.9s: %w", appproc.ErrStarting, context.DeadlineExceeded), 503, "the app is still starting"},
		{"starting, no answer", &appproc.StartingError{Path: "/ready/", Detail: "connection refused", Err: context.DeadlineExceeded},
			503, "the app is still starting"},
		{"answers 500 on its ready path", &appproc.StartingError{Path: "/ready/", Status: 500, Err: context.DeadlineExceeded},
			503, "the app is not ready: it answers 500 on /ready/; its output is in the function's log"},
		{"stopped", appproc.ErrStopped, 502, "unreachable"},
		{"other", errors.New("dial tcp: connection refused"), 502, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandlerWith(t, "http://127.0.0.1:8000", failing{tt.err})
			resp, err := h.Handle(context.Background(), loadEvent(t, "api-get.json"))
			if err != nil {
				t.Fatalf("Handle returned an error (a Lambda error): %v", err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantReason) || resp.Headers["Cache-Control"] != "no-store" {
				t.Errorf("got %d %q %v, want %d naming %q, not cached", resp.StatusCode, resp.Body, resp.Headers, tt.wantStatus, tt.wantReason)
			}
		})
	}
}
