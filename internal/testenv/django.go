package testenv

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// DjangoAdminUser and DjangoAdminPassword name the superuser StartDjango
// creates, for tests that log in to the admin.
const (
	DjangoAdminUser     = "admin"
	DjangoAdminPassword = "djfront-test-password-7f3a"
)

// djangoPython is Debian's interpreter, the one with Django 4.2,
// django-storages and gunicorn; the default python3 may be another one.
const djangoPython = "/usr/bin/python3"

// Django is the example project (examples/djangoapp) served by gunicorn on a
// loopback port, with its database and collected files in a temporary
// directory.
type Django struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash.
	URL string
	// Dir is the project directory, where manage.py is.
	Dir string
	// Env is the environment of gunicorn and of every Manage command.
	Env []string
}

// StartDjango migrates a fresh SQLite database, creates the superuser
// DjangoAdminUser, collects static files into a temporary STATIC_ROOT when
// env has no DJFRONT_BUCKET (with a bucket, run collectstatic with Manage
// before serving pages that link static files), and serves the project with
// gunicorn (2 workers of 4 threads, a 120 s worker timeout) until the test
// ends. It returns once /whoami/ answers.
//
// env is added to the environment of every Django process; it names the
// viewer hosts (DJFRONT_HOSTS, required unless DJANGO_DEBUG is on) and, for
// S3, DJFRONT_BUCKET, DJFRONT_S3_ENDPOINT_URL and the AWS_* variables. Inherited
// DJFRONT_*, DJANGO_* and gunicorn variables are dropped, so the test alone
// decides the configuration. The project's settings module is
// deploy/django/djfront_settings.py, the one users copy.
func StartDjango(tb testing.TB, env map[string]string) *Django {
	tb.Helper()
	d := PrepareDjango(tb, env)
	addr := "127.0.0.1:" + strconv.Itoa(FreePort(tb))
	d.URL = "http://" + addr
	cmd := exec.Command(djangoPython, "-m", "gunicorn",
		"--bind", addr,
		"--workers", "2", "--threads", "4",
		// Above the slowest view a test asks for (/slow/ beyond API
		// Gateway's 30 s), so gunicorn never kills a worker mid-request.
		"--timeout", "120", "--graceful-timeout", "1",
		// Trust no client for X-Forwarded-Proto/-Ssl at the gunicorn level:
		// Django's SECURE_PROXY_SSL_HEADER alone decides the scheme, as it
		// does when hostforward reaches the app over the network.
		"--forwarded-allow-ips=",
		"--access-logfile", "-", "--error-logfile", "-",
		"demo.wsgi:application")
	cmd.Dir, cmd.Env = d.Dir, d.Env
	// An allowed host for the readiness probe, so the log shows no DisallowedHost.
	startProcess(tb, "gunicorn", cmd).awaitHTTP(tb, d.URL+"/whoami/", firstExactHost(env["DJFRONT_HOSTS"]))
	return d
}

// PrepareDjango does what StartDjango does before it serves — the same
// requirements, environment, database, superuser and static files — and
// returns d without a URL, for a test that starts the server its own way
// (inside the hostforward function, for one).
func PrepareDjango(tb testing.TB, env map[string]string) *Django {
	tb.Helper()
	RequirePythonModule(tb, djangoPython, "django", InstallHint)
	RequirePythonModule(tb, djangoPython, "gunicorn", InstallHint)
	if env["DJFRONT_BUCKET"] != "" {
		RequirePythonModule(tb, djangoPython, "storages.backends.s3boto3", InstallHint)
	}

	d := &Django{
		Dir: filepath.Join(RepoRoot(tb), "examples", "djangoapp"),
		Env: djangoEnv(os.Environ(), tb.TempDir(), env),
	}
	d.Manage(tb, "migrate", "--noinput")
	d.Manage(tb, "createsuperuser", "--noinput")
	if env["DJFRONT_BUCKET"] == "" {
		d.Manage(tb, "collectstatic", "--noinput")
	}
	return d
}

// Manage runs `manage.py args...` in d's project with d's environment and
// returns its combined output; a failure fails tb with that output.
func (d *Django) Manage(tb testing.TB, args ...string) string {
	tb.Helper()
	cmd := exec.Command(djangoPython, append([]string{"manage.py"}, args...)...)
	cmd.Dir, cmd.Env = d.Dir, d.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("manage.py %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// djangoEnv returns base without the variables that would change what the
// project does, then the test's defaults (state under tmp, the superuser),
// then env in key order; exec uses the last value of a repeated key.
func djangoEnv(base []string, tmp string, env map[string]string) []string {
	out := slices.DeleteFunc(slices.Clone(base), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(name, "DJFRONT_") || strings.HasPrefix(name, "DJANGO_") ||
			name == "GUNICORN_CMD_ARGS" || name == "FORWARDED_ALLOW_IPS" ||
			name == "PYTHONPATH" || name == "PYTHONHOME"
	})
	out = append(out,
		"DJANGO_DB_PATH="+filepath.Join(tmp, "db.sqlite3"),
		"DJANGO_STATIC_ROOT="+filepath.Join(tmp, "static"),
		"DJANGO_MEDIA_ROOT="+filepath.Join(tmp, "media"),
		"DJANGO_SUPERUSER_USERNAME="+DjangoAdminUser,
		"DJANGO_SUPERUSER_PASSWORD="+DjangoAdminPassword,
		"DJANGO_SUPERUSER_EMAIL=admin@example.com",
		"PYTHONDONTWRITEBYTECODE=1", // no __pycache__ in the repository
		"PYTHONUNBUFFERED=1",
	)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// firstExactHost returns the first entry of a DJFRONT_HOSTS list that names
// one host (not a ".domain" pattern), or "".
func firstExactHost(hosts string) string {
	for h := range strings.SplitSeq(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" && !strings.HasPrefix(h, ".") {
			return h
		}
	}
	return ""
}
