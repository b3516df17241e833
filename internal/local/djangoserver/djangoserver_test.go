package djangoserver

import (
	"slices"
	"strings"
	"testing"
)

func TestEnviron(t *testing.T) {
	base := []string{
		"HOME=/root", "PATH=/usr/bin", "DJFRONT_BUCKET=prod", "DJANGO_DEBUG=1", "AWS_PROFILE=prod",
		"GUNICORN_CMD_ARGS=--workers 9", "FORWARDED_ALLOW_IPS=*", "PYTHONPATH=/x", "PYTHONHOME=/y",
	}
	got := environ(base, Config{StateDir: "/state", AdminPassword: "pw", Env: map[string]string{
		"DJFRONT_HOSTS": "www.example.com", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "false",
	}})
	want := []string{
		"HOME=/root", "PATH=/usr/bin",
		"DJANGO_DB_PATH=/state/db.sqlite3", "DJANGO_STATIC_ROOT=/state/static", "DJANGO_MEDIA_ROOT=/state/media",
		"DJANGO_SUPERUSER_USERNAME=admin", "DJANGO_SUPERUSER_PASSWORD=pw", "DJANGO_SUPERUSER_EMAIL=admin@example.com",
		"AWS_EC2_METADATA_DISABLED=true", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1",
		// The caller's, in key order, last so they win.
		"AWS_EC2_METADATA_DISABLED=false", "AWS_REGION=us-east-1", "DJFRONT_HOSTS=www.example.com",
	}
	if !slices.Equal(got, want) {
		t.Errorf("environ =\n%q\nwant\n%q", got, want)
	}
	if got, want := (&App{Env: got}).getenv("AWS_EC2_METADATA_DISABLED"), "false"; got != want {
		t.Errorf("getenv = %q, want the last value %q", got, want)
	}
}

func TestFirstExactHost(t *testing.T) {
	tests := []struct{ hosts, want string }{
		{"www.example.com,127.0.0.1", "www.example.com"},
		{" .example.com , app.example.com", "app.example.com"},
		{".example.com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.hosts, func(t *testing.T) {
			if got := firstExactHost(tt.hosts); got != tt.want {
				t.Errorf("firstExactHost(%q) = %q, want %q", tt.hosts, got, tt.want)
			}
		})
	}
}

func TestFunctionEnv(t *testing.T) {
	app := &App{Dir: "/repo/examples/djangoapp", Env: []string{
		"HOME=/root", "PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8", // the caller's: not the function's
		"DJANGO_DB_PATH=/state/db.sqlite3", "DJFRONT_HOSTS=www.example.com", "AWS_REGION=us-east-1", "PYTHONUNBUFFERED=1",
	}}
	got, err := app.FunctionEnv("exec gunicorn")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || !strings.HasPrefix(got[1], "UPSTREAM_URL=http://127.0.0.1:") || strings.HasSuffix(got[1], ":0") {
		t.Fatalf("FunctionEnv = %q, want a free loopback UPSTREAM_URL second", got)
	}
	want := []string{
		"UPSTREAM_COMMAND=exec gunicorn", got[1], "UPSTREAM_READY_PATH=/whoami/",
		"LAMBDA_TASK_ROOT=/repo/examples/djangoapp", "PATH=/usr/bin:/bin",
		"DJANGO_DB_PATH=/state/db.sqlite3", "DJFRONT_HOSTS=www.example.com", "AWS_REGION=us-east-1", "PYTHONUNBUFFERED=1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("FunctionEnv =\n%q\nwant\n%q", got, want)
	}
}
