package testenv

import (
	"maps"
	"testing"

	"github.com/djfront/djfront/internal/local/djangoserver"
)

// DjangoAdminUser and DjangoAdminPassword name the superuser StartDjango
// creates, for tests that log in to the admin.
const (
	DjangoAdminUser     = djangoserver.AdminUser
	DjangoAdminPassword = "djfront-test-password-7f3a"
)

// Django is the example project (examples/djangoapp) served by gunicorn on a
// loopback port, with its database on a PostgreSQL server of the test's own
// and its collected files in a temporary directory.
type Django struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash.
	URL string
	// Dir is the project directory, where manage.py is.
	Dir string
	// Env is the environment of gunicorn and of every Manage command.
	Env []string
}

// StartDjango migrates a fresh database, creates the superuser
// DjangoAdminUser, collects static files into a temporary STATIC_ROOT when
// env has no DJFRONT_BUCKET (with a bucket, run collectstatic with Manage
// before serving pages that link static files), and serves the project with
// gunicorn until the test ends (see package djangoserver). It returns once
// /whoami/ answers.
//
// env is added to the environment of every Django process; it names the
// viewer hosts (DJFRONT_HOSTS, required unless DJANGO_DEBUG is on) and, for
// S3, DJFRONT_BUCKET, DJFRONT_S3_ENDPOINT_URL and the AWS_* variables. The
// database is a PostgreSQL server started for the test (StartPostgres)
// unless env names one in DATABASE_URL (sqlite:////PATH chooses SQLite);
// PYTHONPATH in env runs a Django of the matrix (DjangoMatrix). Inherited
// DJFRONT_*, DJANGO_*, AWS_*, DATABASE_URL*, Python and gunicorn variables
// are dropped, so the test alone decides the configuration. The project's
// settings come from the djfront package (python/djfront), the one users
// install; DJFRONT_UPSTREAM_SECRETS in env turns its UpstreamVerifyMiddleware
// on.
func StartDjango(tb testing.TB, env map[string]string) *Django {
	tb.Helper()
	d := PrepareDjango(tb, env)
	d.URL = d.Serve(tb)
	return d
}

// Serve starts a gunicorn for d's project with d's environment (so on the
// same database), stopped when tb ends, and returns its URL once /whoami/
// answers: StartDjango's server, or another app process beside it.
func (d *Django) Serve(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := readyContext(tb)
	defer cancel()
	srv, err := (&djangoserver.App{Dir: d.Dir, Env: d.Env}).Serve(ctx, serverOutput)
	if err != nil {
		tb.Fatal(err)
	}
	stopAtCleanup(tb, srv.Process)
	return srv.URL
}

// PrepareDjango does what StartDjango does before it serves — the same
// requirements, environment, database, superuser and static files — and
// returns d without a URL, for a test that starts the server its own way
// (inside the hostforward function, with djangoserver.UpstreamCommand).
func PrepareDjango(tb testing.TB, env map[string]string) *Django {
	tb.Helper()
	Python(tb, "django", "gunicorn", "psycopg", "storages.backends.s3boto3")
	if env["DATABASE_URL"] == "" {
		env = maps.Clone(env)
		env["DATABASE_URL"] = StartPostgres(tb).URL
	}
	app := djangoserver.New(djangoserver.Config{
		Root: RepoRoot(tb), StateDir: tb.TempDir(), AdminPassword: DjangoAdminPassword, Env: env,
	})
	d := &Django{Dir: app.Dir, Env: app.Env}
	if err := app.Prepare(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	if env["DJFRONT_BUCKET"] == "" {
		d.Manage(tb, "collectstatic", "--noinput")
	}
	return d
}

// Manage runs `manage.py args...` in d's project with d's environment and
// returns its combined output; a failure fails tb with that output.
func (d *Django) Manage(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := (&djangoserver.App{Dir: d.Dir, Env: d.Env}).Manage(tb.Context(), args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
