package appproc_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/appproc"
)

// TestManageAllowFromEnv reads MANAGE_ALLOW: the default list when unset,
// a list of its own (which replaces the default) when set, none at all
// with "none"; anything else stops the function naming the variable.
func TestManageAllowFromEnv(t *testing.T) {
	root := t.TempDir()
	upstream, _ := url.Parse("http://127.0.0.1:8000")
	tests := []struct {
		name    string
		value   string
		want    []string
		wantErr string
	}{
		{name: "unset: the default", value: "", want: []string{"migrate", "collectstatic", "createsuperuser", "check", "showmigrations"}},
		{name: "blank: the default", value: " ", want: appproc.DefaultManageAllow},
		{name: "widened", value: "migrate, check ,shell", want: []string{"migrate", "check", "shell"}},
		{name: "duplicates once", value: "migrate,migrate", want: []string{"migrate"}},
		{name: "none", value: "none", want: []string{}},
		{name: "empty entry", value: "migrate,,check", wantErr: `MANAGE_ALLOW: want comma-separated command names like "migrate,collectstatic,createsuperuser,check,showmigrations", or "none"; got "" in`},
		{name: "a wildcard", value: "*", wantErr: `MANAGE_ALLOW: want comma-separated command names`},
		{name: "a command line", value: "migrate --noinput", wantErr: `got "migrate --noinput"`},
		{name: "none among names", value: "migrate,none", wantErr: `MANAGE_ALLOW: "none" stands alone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"UPSTREAM_COMMAND": "gunicorn app", "LAMBDA_TASK_ROOT": root, "MANAGE_ALLOW": tt.value}
			cfg, _, err := appproc.ConfigFromEnv(func(k string) string { return env[k] }, upstream, "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(cfg.ManageAllow, tt.want) || cfg.ManageAllow == nil {
				t.Errorf("got %q, %v; want %q", cfg.ManageAllow, err, tt.want)
			}
		})
	}
}
