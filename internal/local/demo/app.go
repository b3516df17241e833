package demo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/manageapi"
)

// The ways the stack runs the app (Config.App).
const (
	// InFunction is the default: the template's AppFunction, whose
	// hostforward starts the app inside the function (UPSTREAM_COMMAND) and
	// runs its management commands ({"manage": ARGS} invocations).
	InFunction = "in-function"
	// External runs gunicorn on its own, hostforward forwarding to it over
	// loopback (UPSTREAM_URL), as to an app hosted elsewhere.
	External = "external"
)

// newDjango configures the example project for the external mode: the
// superuser, its database (databaseURL), its static files in the bucket
// behind the edge (edgePort is the port of their URLs, DJFRONT_CDN_DOMAIN),
// the moto server's credentials.
func (s *Stack) newDjango(edgePort string) error {
	env := map[string]string{
		"DJFRONT_HOSTS":           s.cfg.Host,
		"DJFRONT_BUCKET":          s.aws.Bucket,
		"DJFRONT_CDN_DOMAIN":      net.JoinHostPort(s.cfg.Host, edgePort),
		"DJFRONT_S3_ENDPOINT_URL": s.MotoEndpoint,
		"AWS_ACCESS_KEY_ID":       motoserver.AccessKey,
		"AWS_SECRET_ACCESS_KEY":   motoserver.SecretKey,
		"AWS_REGION":              motoserver.Region,
		"DJANGO_SECRET_KEY":       rand.Text() + rand.Text(),
		"DATABASE_URL":            cmp.Or(proctree.Getenv(s.cfg.Env, "DATABASE_URL"), s.databaseURL()),
		RunMarker:                 s.RunID,
	}
	if s.cfg.Tour {
		dir, err := s.tourStatic()
		if err != nil {
			return err
		}
		env["DJANGO_STATICFILES_DIRS"] = dir
	}
	s.django = djangoserver.New(djangoserver.Config{Root: s.cfg.Root, StateDir: s.StateDir, AdminPassword: s.AdminPassword, Env: env})
	s.django.Log = s.cfg.Logs
	return nil
}

// tourStatic makes the example's extra static directory, whose file the
// tour changes, and returns it.
func (s *Stack) tourStatic() (string, error) {
	dir := filepath.Join(s.StateDir, "extra-static")
	if err := os.MkdirAll(filepath.Join(dir, "tour"), 0o755); err != nil {
		return "", fmt.Errorf("extra static directory: %w", err)
	}
	return dir, writeTourCSS(dir, "started")
}

// startExternal prepares the example app (migrate, createsuperuser,
// collectstatic to the bucket), serves it with gunicorn on its own, and
// starts hostforward in front of it.
func (s *Stack) startExternal(ctx context.Context, edgePort string) error {
	if err := s.newDjango(edgePort); err != nil {
		return err
	}
	if err := s.django.Prepare(ctx); err != nil {
		return err
	}
	if _, err := s.manage(ctx, "collectstatic", "--noinput"); err != nil {
		return err
	}
	ready, cancel := readyContext(ctx)
	defer cancel()
	srv, err := s.django.Serve(ready, childproc.Options{Output: s.prefixed("gunicorn (Django)"), KillWithParent: true})
	if err != nil {
		return err
	}
	s.watch(srv.Process)
	s.DjangoURL = srv.URL
	origin, originEnv := s.originSecret(hostForwardID)
	hf, err := s.startFunction(ctx, hostForwardID, nil,
		append(originEnv, "ALLOWED_HOSTS="+s.cfg.Host, "UPSTREAM_URL="+s.DjangoURL)...)
	if err != nil {
		return err
	}
	s.app, s.appID, s.origin = hf, hostForwardID, origin
	return nil
}

// startInFunction starts the app function with the project inside it, then
// migrates, creates the superuser (one that exists already is kept) and
// collects the static files to the bucket through its management
// invocation, and serves its Invoke API on loopback for `djfront manage`
// (ManageCommand).
func (s *Stack) startInFunction(ctx context.Context, edgePort string) error {
	env, err := s.appEnv(edgePort)
	if err != nil {
		return err
	}
	origin, originEnv := s.originSecret(appFunctionID)
	fn, err := s.startFunction(ctx, appFunctionID, s.lines(&s.appLog), append(env, originEnv...)...)
	if err != nil {
		return err
	}
	s.app, s.appID, s.origin = fn, appFunctionID, origin
	if err := s.serveInvokeAPI(); err != nil {
		return err
	}
	if _, err := s.manage(ctx, "migrate", "--noinput"); err != nil {
		return err
	}
	if err := s.createSuperuser(ctx); err != nil {
		return err
	}
	_, err = s.manage(ctx, "collectstatic", "--noinput")
	return err
}

// stackVariables are the app's variables the stack sets itself, over the
// user's (Config.Env): the viewer host and the static files' domain, the
// bucket and the AWS endpoint and credentials (moto's), where the app
// listens, the superuser, Python's output buffering and where gunicorn puts
// its control socket (StateDir). The variables of
// the runtime (LAMBDA_TASK_ROOT, _HANDLER, PATH, PYTHONDONTWRITEBYTECODE…)
// and the template's secrets by ARN are set over them too.
var stackVariables = []string{
	"ALLOWED_HOSTS", "DJFRONT_HOSTS", "DJFRONT_CDN_DOMAIN", "DJFRONT_BUCKET", "DJFRONT_S3_ENDPOINT_URL",
	"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_EC2_METADATA_DISABLED",
	"UPSTREAM_URL", "DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "DJANGO_SUPERUSER_EMAIL",
	"PYTHONUNBUFFERED", "XDG_RUNTIME_DIR", RunMarker,
}

// StackVariable reports whether the stack sets the app's variable name
// itself, whatever Config.Env says.
func StackVariable(name string) bool { return slices.Contains(stackVariables, name) }

// namesDatabase reports whether Config.Env or the template's AppFunction
// names the app's database (DATABASE_URL or DATABASE_URL_SECRET_ARN).
func (s *Stack) namesDatabase() bool {
	env := s.cfg.Env
	if proctree.Getenv(env, "DATABASE_URL") != "" || proctree.Getenv(env, "DATABASE_URL_SECRET_ARN") != "" {
		return true
	}
	fn := s.tpl.Functions[appFunctionID]
	return fn != nil && (fn.Environment["DATABASE_URL"] != "" || fn.EnvironmentRefs["DATABASE_URL_SECRET_ARN"] != "")
}

// databaseURL returns the app's DATABASE_URL when nothing names one
// (namesDatabase), else "": the throwaway PostgreSQL's (Config.Postgres),
// otherwise a SQLite file in StateDir, its path percent-encoded as a URL's
// (a space in a project's path).
func (s *Stack) databaseURL() string {
	switch {
	case s.namesDatabase():
		return ""
	case s.pg != nil:
		return s.pg.URL
	}
	return "sqlite:///" + (&url.URL{Path: filepath.Join(s.StateDir, "db.sqlite3")}).EscapedPath()
}

// appEnv returns the app function's environment besides the template's:
// Config.Env (with databaseURL's DATABASE_URL when neither it nor the
// template names a database), then the stack's own (stackVariables).
func (s *Stack) appEnv(edgePort string) ([]string, error) {
	port, err := proctree.FreePort()
	if err != nil {
		return nil, err
	}
	env := slices.Clone(s.cfg.Env)
	if db := s.databaseURL(); db != "" {
		env = append(env, "DATABASE_URL="+db)
	}
	env = append(env,
		"ALLOWED_HOSTS="+s.cfg.Host,
		"DJFRONT_HOSTS="+s.cfg.Host,
		"DJFRONT_CDN_DOMAIN="+net.JoinHostPort(s.cfg.Host, edgePort),
		"DJFRONT_BUCKET="+s.aws.Bucket,
		"DJFRONT_S3_ENDPOINT_URL="+s.MotoEndpoint,
		"UPSTREAM_URL=http://127.0.0.1:"+strconv.Itoa(port),
		"DJANGO_SUPERUSER_USERNAME="+s.AdminUser,
		"DJANGO_SUPERUSER_PASSWORD="+s.AdminPassword,
		"DJANGO_SUPERUSER_EMAIL=admin@example.com",
		"PYTHONUNBUFFERED=1",
		// gunicorn 27's control socket, $XDG_RUNTIME_DIR/gunicorn.ctl,
		// else in $HOME: in StateDir (0700), not outside the project.
		"XDG_RUNTIME_DIR="+s.StateDir,
	)
	if s.cfg.Tour {
		dir, err := s.tourStatic()
		if err != nil {
			return nil, err
		}
		env = append(env, "DJANGO_STATICFILES_DIRS="+dir)
	}
	return env, nil
}

// createSuperuser creates the superuser AdminUser with AdminPassword; one
// of that name that exists already (a kept database) is not an error, and
// is left as it is (AdminExisted).
func (s *Stack) createSuperuser(ctx context.Context) error {
	out, err := s.manage(ctx, "createsuperuser", "--noinput")
	if err != nil && strings.Contains(out, "is already taken.") {
		s.AdminExisted = true
		return nil
	}
	return err
}

// serveInvokeAPI serves the app function's Invoke API (runtimeapi.Server's
// ServeHTTP) on a free loopback port, as LambdaEndpoint.
func (s *Stack) serveInvokeAPI() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("invoke API: %w", err)
	}
	s.LambdaEndpoint = "http://" + ln.Addr().String()
	s.invokeAPI = &http.Server{
		Handler:           s.app,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.NewJSONHandler(s.cfg.Logs, nil).WithAttrs([]slog.Attr{slog.String("server", "invoke API")}), slog.LevelWarn),
	}
	go s.invokeAPI.Serve(ln) //nolint:errcheck // ends with ErrServerClosed at Close
	return nil
}

// ManageCommand returns the shell command a user runs to migrate the
// in-function app through the Invoke API (`djfront manage`, called as
// Config.CLI says), or "" in the external mode. The CLI needs no AWS
// credentials for a loopback endpoint.
func (s *Stack) ManageCommand() string {
	if s.LambdaEndpoint == "" {
		return ""
	}
	return "AWS_ENDPOINT_URL_LAMBDA=" + s.LambdaEndpoint + " " + s.cfg.CLI + " manage --function " + s.appID + " -- migrate"
}

// manage runs a Django management command and returns its output: in the
// in-function mode as `djfront manage` does, a synchronous {"manage": args}
// invocation of the app function's manage alias with its client context; in
// the external mode with manage.py on this machine. A non-zero exit is an
// error that carries the output.
func (s *Stack) manage(ctx context.Context, args ...string) (string, error) {
	if s.cfg.App == External {
		return s.django.Manage(ctx, args...)
	}
	what := "manage " + strings.Join(args, " ") + " (in " + s.appID + ")"
	payload, err := manageapi.Encode(args)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	res, err := s.app.InvokeWith(ctx, payload, runtimeapi.InvokeOptions{Qualifier: manageapi.Alias, ClientContext: manageapi.ClientContext("djfront-local")})
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: %w", what, err)
	case res.Error != nil:
		return "", fmt.Errorf("%s: %w", what, res.Error)
	}
	out, err := manageapi.DecodeResult(res.Payload)
	if err != nil {
		return "", fmt.Errorf("%s: %w: %.300s", what, err, res.Payload)
	}
	fmt.Fprintf(s.cfg.Logs, "%s:\n%s", what, out.Output)
	if out.ExitCode != 0 {
		return out.Output, fmt.Errorf("%s: exit status %d\n%s", what, out.ExitCode, out.Output)
	}
	return out.Output, nil
}

// appEvent is one of appproc's log lines about the app: "app started",
// "app ready" or "app exited".
type appEvent struct {
	Msg        string `json:"msg"`
	Pid        int    `json:"pid"`
	DurationMS int64  `json:"duration_ms"`
}

// appLog records the app's lifecycle from the function's log, line by line.
type appLog struct {
	mu     sync.Mutex
	events []appEvent
}

// Write takes one line of the function's log (a LineWriter's).
func (l *appLog) Write(line []byte) (int, error) {
	var ev appEvent
	if bytes.Contains(line, []byte(`"msg":"app `)) && json.Unmarshal(line, &ev) == nil && strings.HasPrefix(ev.Msg, "app ") {
		l.mu.Lock()
		l.events = append(l.events, ev)
		l.mu.Unlock()
	}
	return len(line), nil
}

// get returns the events named msg, in order.
func (l *appLog) get(msg string) []appEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []appEvent
	for _, ev := range l.events {
		if ev.Msg == msg {
			out = append(out, ev)
		}
	}
	return out
}

// cmdline returns pid's command line, its arguments joined by spaces.
func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}
