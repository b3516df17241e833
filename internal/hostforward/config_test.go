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
				if cfg.Timeout != 25*time.Second || cfg.Upstream.String() != "http://127.0.0.1:8000/app" {
					t.Errorf("cfg = %+v, want default timeout and trimmed upstream", cfg)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
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
