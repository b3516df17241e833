package djangoserver

import (
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/pyenv"
)

func TestEnviron(t *testing.T) {
	base := []string{
		"HOME=/root", "PATH=/usr/bin", "DJFRONT_BUCKET=prod", "DJANGO_DEBUG=1", "AWS_PROFILE=prod",
		"GUNICORN_CMD_ARGS=--workers 9", "FORWARDED_ALLOW_IPS=*", "PYTHONPATH=/x", "PYTHONHOME=/y",
		"DATABASE_URL=postgres://prod/db", "DATABASE_URL_SECRET_ARN=arn:prod",
	}
	got := environ(base, Config{StateDir: "/state", AdminPassword: "pw", Env: map[string]string{
		"DJFRONT_HOSTS": "www.example.com", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "false",
		"DATABASE_URL": "postgres://test/db", "PYTHONPATH": "/venv/matrix/django-4.2",
	}})
	want := []string{
		"HOME=/root", "PATH=/usr/bin",
		"DJANGO_STATIC_ROOT=/state/static", "DJANGO_MEDIA_ROOT=/state/media",
		"DJANGO_SUPERUSER_USERNAME=admin", "DJANGO_SUPERUSER_PASSWORD=pw", "DJANGO_SUPERUSER_EMAIL=admin@example.com",
		"AWS_EC2_METADATA_DISABLED=true", "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1",
		// The caller's, in key order, last so they win.
		"AWS_EC2_METADATA_DISABLED=false", "AWS_REGION=us-east-1", "DATABASE_URL=postgres://test/db",
		"DJFRONT_HOSTS=www.example.com", "PYTHONPATH=/venv/matrix/django-4.2",
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
	t.Setenv(pyenv.Variable, "/venv/bin/python")
	app := &App{Dir: "/repo/examples/djangoapp", Env: []string{
		"HOME=/root", "PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8", // the caller's: not the function's
		"DJANGO_STATIC_ROOT=/state/static", "DJFRONT_HOSTS=www.example.com", "AWS_REGION=us-east-1", "PYTHONUNBUFFERED=1",
		"DATABASE_URL=postgres://u:p@127.0.0.1:5432/db", "PYTHONPATH=/venv/matrix/django-6.1",
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
		"LAMBDA_TASK_ROOT=/repo/examples/djangoapp", "PATH=/venv/bin:/usr/bin:/bin",
		"DJANGO_STATIC_ROOT=/state/static", "DJFRONT_HOSTS=www.example.com", "AWS_REGION=us-east-1", "PYTHONUNBUFFERED=1",
		"DATABASE_URL=postgres://u:p@127.0.0.1:5432/db", "PYTHONPATH=/venv/matrix/django-6.1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("FunctionEnv =\n%q\nwant\n%q", got, want)
	}
}

// TestNoDatabase: without DATABASE_URL the example would fall back to a
// SQLite file in the repository, so every entry point refuses.
func TestNoDatabase(t *testing.T) {
	app := &App{Dir: t.TempDir(), Env: []string{"DJFRONT_HOSTS=www.example.com"}}
	const want = "no DATABASE_URL"
	_, manageErr := app.Manage(t.Context(), "check")
	_, serveErr := app.Serve(t.Context(), childproc.Options{})
	_, envErr := app.FunctionEnv(UpstreamCommand())
	for name, err := range map[string]error{"Manage": manageErr, "Serve": serveErr, "FunctionEnv": envErr} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, want)
		}
	}
	app.Env = append(app.Env, "DATABASE_URL_SECRET_ARN=arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf")
	if _, err := app.FunctionEnv(UpstreamCommand()); err != nil {
		t.Errorf("FunctionEnv with DATABASE_URL_SECRET_ARN: %v", err)
	}
}

func TestUpstreamCommand(t *testing.T) {
	t.Setenv(pyenv.Variable, "/it's here/bin/python")
	if got, want := UpstreamCommand(), `exec '/it'\''s here/bin/python' -m gunicorn --bind 127.0.0.1:$PORT `; !strings.HasPrefix(got, want) {
		t.Errorf("UpstreamCommand() = %q, want it to start %q", got, want)
	}
}
