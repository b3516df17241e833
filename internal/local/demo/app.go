package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/manageapi"
)

// The ways the stack runs the app (Config.App).
const (
	// InFunction is the default: hostforward starts Django (gunicorn) inside
	// the function (UPSTREAM_COMMAND) and runs its management commands
	// ({"manage": ARGS} invocations).
	InFunction = "in-function"
	// External runs gunicorn on its own, hostforward forwarding to it over
	// loopback (UPSTREAM_URL), as to an app hosted elsewhere.
	External = "external"
)

// hostForwardID is hostforward's logical id in template.yaml, the function
// name the local Invoke API answers to in ManageCommand; appFunctionID is
// the template's in-function function (the Python runtime with
// hostforward's layer), whose limits the in-function mode takes.
const (
	hostForwardID = "HostForwardFunction"
	appFunctionID = "AppFunction"
	manageAliasID = "ManageAlias" // AppFunction's management alias
)

// newDjango configures the example project: a superuser with a fresh
// password, its database on the stack's PostgreSQL, its state (STATIC_ROOT)
// in the stack's directory,
// its static files in the bucket behind the edge (edgePort is the port of
// their URLs, DJFRONT_CDN_DOMAIN), the moto server's credentials.
func (s *Stack) newDjango(edgePort string) error {
	s.AdminPassword = rand.Text()
	extra := filepath.Join(s.dir, "extra-static")
	if err := os.MkdirAll(filepath.Join(extra, "tour"), 0o755); err != nil {
		return fmt.Errorf("extra static directory: %w", err)
	}
	if err := writeTourCSS(extra, "started"); err != nil {
		return err
	}
	s.django = djangoserver.New(djangoserver.Config{Root: s.cfg.Root, StateDir: s.dir, AdminPassword: s.AdminPassword, Env: map[string]string{
		"DJFRONT_HOSTS":           s.cfg.Host,
		"DJFRONT_BUCKET":          s.aws.Bucket,
		"DJFRONT_CDN_DOMAIN":      net.JoinHostPort(s.cfg.Host, edgePort),
		"DJFRONT_S3_ENDPOINT_URL": s.MotoEndpoint,
		"AWS_ACCESS_KEY_ID":       motoserver.AccessKey,
		"AWS_SECRET_ACCESS_KEY":   motoserver.SecretKey,
		"AWS_REGION":              motoserver.Region,
		"DJANGO_STATICFILES_DIRS": extra,
		"DJANGO_SECRET_KEY":       rand.Text() + rand.Text(),
		"DATABASE_URL":            s.pg.URL,
		RunMarker:                 s.RunID,
	}})
	s.django.Log = s.cfg.Logs
	return nil
}

// startExternal prepares the example app (migrate, createsuperuser,
// collectstatic to the bucket) and serves it with gunicorn on its own.
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
	srv, err := s.django.Serve(ready, childproc.Options{Output: s.prefixed("gunicorn (Django)")})
	if err != nil {
		return err
	}
	s.watch(srv.Process)
	s.DjangoURL = srv.URL
	return s.startHostForward(ctx)
}

// startInFunction starts hostforward with the example app inside it, then
// migrates, creates the superuser and collects the static files to the
// bucket through the function's management invocation, and serves the
// function's Invoke API on loopback for `djfront manage` (ManageCommand).
func (s *Stack) startInFunction(ctx context.Context, edgePort string) error {
	if err := s.newDjango(edgePort); err != nil {
		return err
	}
	if err := s.startHostForward(ctx); err != nil {
		return err
	}
	if err := s.serveInvokeAPI(); err != nil {
		return err
	}
	for _, args := range [][]string{{"migrate", "--noinput"}, {"createsuperuser", "--noinput"}, {"collectstatic", "--noinput"}} {
		if _, err := s.manage(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// startHostForward starts the hostforward function in front of the app,
// trusting requests that carry a fresh origin secret: the one place the
// demo decides hostforward's environment. In the external mode it forwards
// to the gunicorn at DjangoURL; in the in-function mode it runs the app
// itself with djangoserver's environment for a function (UPSTREAM_COMMAND:
// the project's gunicorn; the database, static state and bucket settings).
func (s *Stack) startHostForward(ctx context.Context) error {
	s.secret = rand.Text()
	overrides := map[string]string{
		"ALLOWED_HOSTS":         s.cfg.Host,
		"ORIGIN_VERIFY_SECRETS": s.secret,
	}
	var extra []string
	if s.cfg.App == External {
		overrides["UPSTREAM_URL"] = s.DjangoURL
	} else {
		env, err := s.django.FunctionEnv(djangoserver.UpstreamCommand())
		if err != nil {
			return err
		}
		extra = env
	}
	hf, err := s.startFunction(ctx, hostForwardID, overrides, extra...)
	if err != nil {
		return err
	}
	s.hf = hf
	return nil
}

// serveInvokeAPI serves hostforward's Invoke API (runtimeapi.Server's
// ServeHTTP) on a free loopback port, as LambdaEndpoint.
func (s *Stack) serveInvokeAPI() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("invoke API: %w", err)
	}
	s.LambdaEndpoint = "http://" + ln.Addr().String()
	s.invokeAPI = &http.Server{
		Handler:           s.hf,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(slog.NewJSONHandler(s.cfg.Logs, nil).WithAttrs([]slog.Attr{slog.String("server", "invoke API")}), slog.LevelWarn),
	}
	go s.invokeAPI.Serve(ln) //nolint:errcheck // ends with ErrServerClosed at Close
	return nil
}

// ManageCommand returns the shell command a user runs, from the
// repository's root, to migrate the in-function app through the Invoke API
// (`djfront manage`), or "" in the external mode. The CLI needs no AWS
// credentials for a loopback endpoint.
func (s *Stack) ManageCommand() string {
	if s.LambdaEndpoint == "" {
		return ""
	}
	return "AWS_ENDPOINT_URL_LAMBDA=" + s.LambdaEndpoint + " go run ./cmd/djfront manage --function " + hostForwardID + " -- migrate"
}

// manage runs a Django management command and returns its output: in the
// in-function mode as `djfront manage` does, a synchronous {"manage": args}
// invocation of hostforward's manage alias with its client context; in the
// external mode with manage.py on this machine. A non-zero exit is an error
// that carries the output.
func (s *Stack) manage(ctx context.Context, args ...string) (string, error) {
	if s.cfg.App == External {
		return s.django.Manage(ctx, args...)
	}
	what := "manage " + strings.Join(args, " ") + " (in " + hostForwardID + ")"
	payload, err := manageapi.Encode(args)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	res, err := s.hf.InvokeWith(ctx, payload, runtimeapi.InvokeOptions{Qualifier: manageapi.Alias, ClientContext: manageapi.ClientContext("djfront-local")})
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
