package hostforward_test

import (
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/hostforward"
)

func TestConfigFromEnv(t *testing.T) {
	valid := map[string]string{"UPSTREAM_URL": "http://127.0.0.1:8000/app/", "ALLOWED_HOSTS": "www.example.com"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // every error names its variable
	}{
		{"minimal", nil, ""},
		{"missing upstream", map[string]string{"UPSTREAM_URL": ""}, "UPSTREAM_URL: required"},
		{"upstream not http", map[string]string{"UPSTREAM_URL": "ftp://x"}, "UPSTREAM_URL: want an http:// or https:// URL"},
		{"upstream with query", map[string]string{"UPSTREAM_URL": "http://x/?a=1"}, "UPSTREAM_URL: want scheme://host"},
		{"upstream with credentials", map[string]string{"UPSTREAM_URL": "http://u:p@x/"}, "UPSTREAM_URL: want scheme://host"},
		{"missing hosts", map[string]string{"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS: required"},
		{"bad hosts", map[string]string{"ALLOWED_HOSTS": "https://x.example"}, "ALLOWED_HOSTS:"},
		{"empty secret", map[string]string{"ORIGIN_VERIFY_SECRETS": "a,,b"}, "ORIGIN_VERIFY_SECRETS: empty secret"},
		{"bad timeout", map[string]string{"UPSTREAM_TIMEOUT": "25"}, "UPSTREAM_TIMEOUT: not a Go duration"},
		{"negative timeout", map[string]string{"UPSTREAM_TIMEOUT": "-1s"}, "UPSTREAM_TIMEOUT: must be positive"},
		{"bad base path", map[string]string{"REMOVE_BASE_PATH": "/"}, "REMOVE_BASE_PATH: want a path prefix"},
		{"upstream without a host name", map[string]string{"UPSTREAM_URL": "http://:80"}, "UPSTREAM_URL: no host"},
		{"upstream port zero", map[string]string{"UPSTREAM_URL": "http://127.0.0.1:0"}, "UPSTREAM_URL: port"},
		{"SnapStart", map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, ""},
		{"SnapStart without the Runtime API", map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"},
			"AWS_LAMBDA_RUNTIME_API: unset, and AWS_LAMBDA_INITIALIZATION_TYPE is snap-start"},
		{"upstream port out of range", map[string]string{"UPSTREAM_URL": "http://127.0.0.1:65536"}, "UPSTREAM_URL: port"},
		{"upstream empty port", map[string]string{"UPSTREAM_URL": "http://127.0.0.1:"}, "UPSTREAM_URL: port"},
		{"upstream non-numeric port", map[string]string{"UPSTREAM_URL": "http://127.0.0.1:http"}, "UPSTREAM_URL: not a URL"},
		{"upstream encoded slash in base path", map[string]string{"UPSTREAM_URL": "http://x/a%2Fb"}, "UPSTREAM_URL: base path"},
		{"upstream encoded backslash in base path", map[string]string{"UPSTREAM_URL": "http://x/a%5cb"}, "UPSTREAM_URL: base path"},
		{"upstream dot segment in base path", map[string]string{"UPSTREAM_URL": "http://x/a/../admin"}, "UPSTREAM_URL: base path"},
		{"upstream empty query", map[string]string{"UPSTREAM_URL": "http://x/?"}, "UPSTREAM_URL: want scheme://host"},
		{"upstream empty fragment", map[string]string{"UPSTREAM_URL": "http://x/#"}, "UPSTREAM_URL: want scheme://host"},
		{"upstream host with a space", map[string]string{"UPSTREAM_URL": "http://a b/"}, "UPSTREAM_URL:"},
		{"base path with a space inside", map[string]string{"REMOVE_BASE_PATH": "/pr od"}, "REMOVE_BASE_PATH: want a path prefix"},
		{"base path with a control byte", map[string]string{"REMOVE_BASE_PATH": "/prod\x01"}, "REMOVE_BASE_PATH: want a path prefix"},
		{"the in-function app's variables", map[string]string{"UPSTREAM_COMMAND": "gunicorn app", "UPSTREAM_READY_PATH": "healthz"}, "UPSTREAM_READY_PATH: want a path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range valid {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			cfg, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Timeout != 25*time.Second || cfg.Upstream.String() != "http://127.0.0.1:8000/app" || cfg.App != nil {
					t.Errorf("cfg = %+v, want default timeout, trimmed upstream and no in-function app", cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// Values are trimmed of surrounding whitespace, as a value pasted into a
// console or read from a parameter store often carries a newline.
// TestConfigSnapStart: only an environment initialized for a snapshot runs
// the SnapStart protocol.
func TestConfigSnapStart(t *testing.T) {
	for _, tt := range []struct {
		initType string
		want     bool
	}{{"snap-start", true}, {"on-demand", false}, {"provisioned-concurrency", false}, {"", false}} {
		env := map[string]string{"UPSTREAM_URL": "http://127.0.0.1:8000", "ALLOWED_HOSTS": "www.example.com",
			"AWS_LAMBDA_INITIALIZATION_TYPE": tt.initType, "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}
		cfg, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil || (cfg.SnapStart != nil) != tt.want {
			t.Errorf("%q: got SnapStart %+v, error %v; want set %v", tt.initType, cfg.SnapStart, err, tt.want)
		}
	}
}

func TestConfigTrimsWhitespace(t *testing.T) {
	env := map[string]string{
		"UPSTREAM_URL":     " http://127.0.0.1:8000/app/\n",
		"ALLOWED_HOSTS":    " www.example.com ",
		"UPSTREAM_TIMEOUT": " 3s\n",
		"REMOVE_BASE_PATH": " /prod\n",
	}
	cfg, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Upstream.String(), "http://127.0.0.1:8000/app"; got != want {
		t.Errorf("Upstream = %q, want %q", got, want)
	}
	if cfg.Timeout != 3*time.Second {
		t.Errorf("Timeout = %s, want 3s", cfg.Timeout)
	}
	if cfg.RemoveBasePath != "/prod" {
		t.Errorf("RemoveBasePath = %q, want /prod", cfg.RemoveBasePath)
	}
}

func TestConfigReportsEveryBadVariable(t *testing.T) {
	_, err := hostforward.ConfigFromEnv(func(string) string { return "" })
	for _, name := range []string{"UPSTREAM_URL", "ALLOWED_HOSTS"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("err = %v, want it to name %s", err, name)
		}
	}
}
