// Package djangoserver runs the example Django project (examples/djangoapp)
// the way the demo and the end-to-end tests need it: one environment (the
// inherited variables that would change what the project does dropped, its
// state in a directory of the caller's), manage.py commands, and gunicorn on
// a loopback port. Its settings come from the djfront package (python/djfront),
// the one users install.
//
// Processes are started with internal/childproc; the caller stops them.
package djangoserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/pyenv"
)

// AdminUser is the superuser Prepare creates.
const AdminUser = "admin"

// manageTail bounds the output Manage keeps: far above what collectstatic
// prints without -v.
const manageTail = 1 << 20

// Config configures an App.
type Config struct {
	// Root is the repository's root directory (examples/djangoapp below it).
	Root string
	// StateDir holds STATIC_ROOT and MEDIA_ROOT.
	StateDir string
	// AdminPassword is the password of AdminUser.
	AdminPassword string
	// Env is added last to the environment of every Django process. It must
	// name the database, DATABASE_URL: a PostgreSQL server's (package
	// pgserver), or sqlite:////PATH for SQLite, chosen explicitly; Manage,
	// Serve and FunctionEnv fail without it. Also the viewer hosts
	// (DJFRONT_HOSTS, required unless DJANGO_DEBUG is on), for S3
	// DJFRONT_BUCKET, DJFRONT_S3_ENDPOINT_URL and the AWS_* variables, and
	// PYTHONPATH to run a Django of the matrix (pyenv.Django.Path).
	Env map[string]string
}

// App is the example project with its environment.
type App struct {
	// Dir is the project directory, where manage.py is.
	Dir string
	// Env is the environment of gunicorn and of every Manage command.
	Env []string
	// Log, if set, receives each Manage command's line and output.
	Log io.Writer
}

// New returns the project configured by cfg.
func New(cfg Config) *App {
	return &App{
		Dir: filepath.Join(cfg.Root, "examples", "djangoapp"),
		Env: environ(os.Environ(), cfg),
	}
}

// environ returns base without the variables that would change what the
// project does (DJFRONT_*, DJANGO_*, AWS_*, the database, gunicorn's and
// Python's search path), then the defaults (state under cfg.StateDir, the
// superuser, no instance metadata), then cfg.Env in key order; exec uses the
// last value of a repeated key.
func environ(base []string, cfg Config) []string {
	out := slices.DeleteFunc(slices.Clone(base), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(name, "DJFRONT_") || strings.HasPrefix(name, "DJANGO_") || strings.HasPrefix(name, "AWS_") ||
			strings.HasPrefix(name, "DATABASE_URL") || name == "GUNICORN_CMD_ARGS" || name == "FORWARDED_ALLOW_IPS" ||
			name == "PYTHONPATH" || name == "PYTHONHOME"
	})
	out = append(out,
		"DJANGO_STATIC_ROOT="+filepath.Join(cfg.StateDir, "static"),
		"DJANGO_MEDIA_ROOT="+filepath.Join(cfg.StateDir, "media"),
		"DJANGO_SUPERUSER_USERNAME="+AdminUser,
		"DJANGO_SUPERUSER_PASSWORD="+cfg.AdminPassword,
		"DJANGO_SUPERUSER_EMAIL=admin@example.com",
		"AWS_EC2_METADATA_DISABLED=true", // boto3 never asks for instance credentials
		"PYTHONDONTWRITEBYTECODE=1",      // no __pycache__ in the repository
		"PYTHONUNBUFFERED=1",
	)
	for _, k := range slices.Sorted(maps.Keys(cfg.Env)) {
		out = append(out, k+"="+cfg.Env[k])
	}
	return out
}

// Manage runs `manage.py args...` with the App's environment and returns
// its combined output; it is killed when ctx ends. A failure's error carries
// the output.
func (a *App) Manage(ctx context.Context, args ...string) (string, error) {
	what := "manage.py " + strings.Join(args, " ")
	if err := a.checkDatabase(); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	cmd := exec.Command(pyenv.Python(), append([]string{"manage.py"}, args...)...)
	cmd.Dir, cmd.Env = a.Dir, a.Env
	res, err := childproc.Run(ctx, cmd, manageTail)
	if err == nil && a.Log != nil {
		fmt.Fprintf(a.Log, "%s:\n%s", what, res.Output)
	}
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: %w", what, err)
	case res.Killed:
		return res.Output, fmt.Errorf("%s: killed: %w\n%s", what, context.Cause(ctx), res.Output)
	case res.ExitCode != 0:
		return res.Output, fmt.Errorf("%s: exit status %d\n%s", what, res.ExitCode, res.Output)
	}
	return res.Output, nil
}

// Prepare migrates the database and creates the superuser AdminUser.
// Collecting static files is the caller's: a test that counts the uploads
// of a deploy runs collectstatic itself.
func (a *App) Prepare(ctx context.Context) error {
	for _, args := range [][]string{{"migrate", "--noinput"}, {"createsuperuser", "--noinput"}} {
		if _, err := a.Manage(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// Server is the project served by gunicorn on a loopback port.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash.
	URL string
	// Process is gunicorn's master, named "gunicorn (Django)".
	Process *childproc.Process
}

// gunicornFlags are the settings of every gunicorn that serves the project:
// 2 workers of 4 threads; a worker timeout above the slowest view a test
// asks for (/slow/ beyond API Gateway's 30 s), so gunicorn never kills a
// worker mid-request; no client trusted for X-Forwarded-Proto/-Ssl at the
// gunicorn level (an empty --forwarded-allow-ips: gunicorn 27 trusts no
// peer, where its default, 127.0.0.1 and ::1, would trust hostforward on
// loopback), so Django's SECURE_PROXY_SSL_HEADER alone decides the scheme,
// as it does when hostforward reaches the app over the network; access and
// error logs on the output; no control socket (gunicorn 27 would listen on
// one path in the user's home, $HOME/.gunicorn/gunicorn.ctl, that every
// gunicorn on the machine takes from the one before). Headers whose names
// have an underscore are dropped (gunicorn 27's default, --header-map drop).
var gunicornFlags = []string{
	"--workers", "2", "--threads", "4",
	"--timeout", "120", "--graceful-timeout", "1",
	"--forwarded-allow-ips=", "--no-control-socket",
	"--access-logfile", "-", "--error-logfile", "-",
	"demo.wsgi:application",
}

// UpstreamCommand is the UPSTREAM_COMMAND that has hostforward serve the
// project inside the function: the gunicorn Serve starts, bound to the $PORT
// hostforward gives it, exec'ed so that the app's pid is gunicorn's master.
func UpstreamCommand() string {
	return "exec " + shellQuote(pyenv.Python()) + " -m gunicorn --bind 127.0.0.1:$PORT " + strings.Join(gunicornFlags, " ")
}

// shellQuote quotes s as one word for /bin/sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// ReadyPath is the project's readiness path: /whoami/ answers without the
// database.
const ReadyPath = "/whoami/"

// FunctionEnv returns the environment of a hostforward function that runs
// the App inside itself (the in-function mode) with command as
// UPSTREAM_COMMAND (UpstreamCommand for the project's gunicorn): a free
// loopback UPSTREAM_URL, UPSTREAM_READY_PATH ReadyPath, LAMBDA_TASK_ROOT the
// project directory (as in a zip on Lambda), PATH with the Python
// environment's bin first, as Lambda's /var/lang/bin is (MANAGE_COMMAND's
// default runs `python3 manage.py`), and the App's own settings: its
// DJANGO_*, DJFRONT_*, AWS_*, DATABASE_URL* and PYTHON* variables. The rest
// of Env, the caller's environment, stays out, as Lambda's environment is
// not the deployer's.
func (a *App) FunctionEnv(command string) ([]string, error) {
	if err := a.checkDatabase(); err != nil {
		return nil, err
	}
	port, err := proctree.FreePort()
	if err != nil {
		return nil, err
	}
	env := []string{
		"UPSTREAM_COMMAND=" + command,
		"UPSTREAM_URL=http://127.0.0.1:" + strconv.Itoa(port),
		"UPSTREAM_READY_PATH=" + ReadyPath,
		"LAMBDA_TASK_ROOT=" + a.Dir,
		"PATH=" + pyenv.FunctionPath(),
	}
	for _, kv := range a.Env {
		if strings.HasPrefix(kv, "DJANGO_") || strings.HasPrefix(kv, "DJFRONT_") || strings.HasPrefix(kv, "AWS_") ||
			strings.HasPrefix(kv, "DATABASE_URL") || strings.HasPrefix(kv, "PYTHON") {
			env = append(env, kv)
		}
	}
	return env, nil
}

// Serve starts gunicorn (see gunicornFlags) on a free loopback port, its
// output going to opts, and returns once /whoami/ answers, or when ctx ends
// (gunicorn stopped). Stop its Process when done (Process.Stop with
// childproc.DefaultGrace).
func (a *App) Serve(ctx context.Context, opts childproc.Options) (*Server, error) {
	if err := a.checkDatabase(); err != nil {
		return nil, err
	}
	port, err := proctree.FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	s := &Server{URL: "http://" + addr}
	cmd := exec.Command(pyenv.Python(), append([]string{"-m", "gunicorn", "--bind", addr}, gunicornFlags...)...)
	cmd.Dir, cmd.Env = a.Dir, a.Env
	if s.Process, err = childproc.Start("gunicorn (Django)", cmd, opts); err != nil {
		return nil, err
	}
	// An allowed host for the readiness requests, so the log shows no DisallowedHost.
	readiness := childproc.Readiness{URL: s.URL + ReadyPath, Host: firstExactHost(a.getenv("DJFRONT_HOSTS"))}
	if err := childproc.AwaitHTTP(ctx, s.Process, readiness); err != nil {
		s.Process.Stop(childproc.DefaultGrace)
		return nil, childproc.WithOutput(err, s.Process)
	}
	return s, nil
}

// checkDatabase fails when the App's environment names no database: the
// example's settings would fall back to a SQLite file in the repository.
func (a *App) checkDatabase() error {
	if a.getenv("DATABASE_URL") == "" && a.getenv("DATABASE_URL_SECRET_ARN") == "" {
		return errors.New("no DATABASE_URL: start PostgreSQL (package pgserver) or choose SQLite explicitly (sqlite:////PATH)")
	}
	return nil
}

// getenv returns the last value of name in the App's environment.
func (a *App) getenv(name string) string {
	for _, kv := range slices.Backward(a.Env) {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
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
