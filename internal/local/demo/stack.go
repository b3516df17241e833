package demo

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/localedge"
	"github.com/djfront/djfront/internal/local/motostack"
	"github.com/djfront/djfront/internal/local/pgserver"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// RunMarker is the environment variable set, to the stack's run id, in every
// process the stack starts (and so inherited by theirs), so a test can find
// any process a run left behind. The run id is this variable's value in the
// calling process if set, else random.
const RunMarker = "DJFRONT_DEMO_RUN"

// AdminUser is the Django superuser the stack creates.
const AdminUser = djangoserver.AdminUser

// readyLimit bounds the wait for a server to answer: a bound for slow
// machines, not a speed check.
const readyLimit = 60 * time.Second

// Config configures a Stack. The zero value of each field but Root is a
// default: the repository's example project (examples/djangoapp, the
// repository's template.yaml) on https://localhost:3000.
type Config struct {
	// Root is the project's directory, where its template is (and, for the
	// example, the repository's root).
	Root string
	// Template is the SAM template; default template.yaml (.yml, .json) in
	// Root.
	Template string
	// Addr is the local edge's address; default "127.0.0.1:3000". Port 0
	// picks a free port.
	Addr string
	// Host is the viewer's host name; default "localhost".
	Host string
	// Progress receives a line per startup step and per invalidation batch.
	Progress io.Writer
	// Logs receives the output of every process and function.
	Logs io.Writer
	// App is how the app runs: InFunction (the default) or External (the
	// example project only).
	App string
	// Python is the project's interpreter, that of the Python runtime's
	// functions (and of `python3` on their PATH); MotoPython runs moto.
	// Defaults: the repository's environment (pyenv.Python), and Python for
	// MotoPython.
	Python, MotoPython string
	// Self is the djfront executable and SelfVersion its version, which run
	// djfront's prebuilt Lambda artifacts on this machine (see
	// samlocal.Host); "" when the template builds them from source.
	Self, SelfVersion string
	// CLI is how the printed commands call djfront; default "go run
	// ./cmd/djfront", as from the repository's root.
	CLI string
	// Env is the app's environment as the user gives it (KEY=VALUE: the
	// shell's, an env file's), over the template's variables and under the
	// stack's own (StackVariable). Without a DATABASE_URL the app's is
	// Postgres's, or a SQLite file in StateDir.
	Env []string
	// Postgres starts a throwaway PostgreSQL server (package pgserver,
	// removed by Close) for the app when neither Env nor the template
	// names a database: the example's, for make demo and make local.
	Postgres bool
	// StateDir keeps what outlives a run (the default SQLite database) and
	// holds the functions' local builds; "" makes a temporary directory,
	// removed by Close.
	StateDir string
	// AdminUser and AdminPassword are the Django superuser's; defaults
	// AdminUser and a fresh random password. A superuser of that name that
	// exists already is kept as it is.
	AdminUser, AdminPassword string
	// Tour prepares the example project for Tour: an extra static
	// directory (DJANGO_STATICFILES_DIRS) whose file the tour changes.
	Tour bool
	// Reload starts the app anew (a new execution environment of its
	// function) when a Python file or template under its code changes, as
	// runserver does.
	Reload bool
}

// Stack is the whole chain on loopback (see the package documentation).
type Stack struct {
	// URL is the site's base URL as a viewer uses it, https://HOST:PORT.
	URL string
	// AdminUser and AdminPassword are the Django superuser's; AdminExisted
	// is true when a superuser of that name existed already (its password
	// then is not AdminPassword, unless it was set so before).
	AdminUser, AdminPassword string
	AdminExisted             bool
	// Client trusts the edge's certificate and keeps cookies.
	Client *http.Client
	// MotoEndpoint, DjangoURL and DistributionID identify the parts;
	// DjangoURL is the external gunicorn's, "" in the in-function mode.
	MotoEndpoint, DjangoURL, DistributionID string
	// LambdaEndpoint is the app function's Invoke API in the in-function
	// mode (AWS_ENDPOINT_URL_LAMBDA for `djfront manage`), else "".
	LambdaEndpoint string
	// StateDir is Config.StateDir, or the temporary directory in its place.
	StateDir string
	// RunID is the value of RunMarker in the stack's processes.
	RunID string

	cfg       Config
	tmp       bool // StateDir is temporary
	tpl       *samlocal.Template
	runs      map[string]*samlocal.Runnable // the functions, ready to run, by logical id
	aws       *motostack.Stack
	secrets   map[string]motostack.Secret // the template's secrets the functions name, by logical id
	pg        *pgserver.Server            // the app's throwaway database (Config.Postgres)
	django    *djangoserver.App           // the external mode's app
	app       *runtimeapi.Server          // the function behind the edge
	appID     string                      // its logical id
	origin    string                      // the origin secret it trusts
	appLog    appLog                      // the in-function app's lifecycle, from the function's log
	appPid    int                         // the in-function app's pid, as the tour found it
	appParent int                         // its parent, the function's runtime process
	server    *http.Server                // the edge
	invokeAPI *http.Server                // the app function's Invoke API, in the in-function mode
	bgCtx     context.Context             // the poller's and the watcher's, ended by Close
	cancel    context.CancelFunc          // ends bgCtx
	bg        sync.WaitGroup              // the poller and the watcher
	failures  chan error

	mu       sync.Mutex
	procs    []*childproc.Process
	funcs    []*runtimeapi.Server
	writers  []*childproc.LineWriter
	lastSeen *events.APIGatewayV2HTTPRequest // the last event the edge sent
	seen     int                             // events the edge sent
	edge     *localedge.Edge
	applied  map[string]bool // invalidation ids applied to the edge's cache
	closed   bool
}

// Start brings the stack up, reporting each step to cfg.Progress. On error,
// everything started so far is stopped. Cancelling ctx stops a start in
// progress; once Start returns, Close stops the stack.
func Start(ctx context.Context, cfg Config) (s *Stack, err error) {
	s = newStack(cfg)
	if s.cfg.App != InFunction && s.cfg.App != External {
		return nil, fmt.Errorf("app mode %q: want %s or %s", s.cfg.App, InFunction, External)
	}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	if err := preflight(ctx, s.cfg); err != nil {
		return s, err
	}
	// The edge's port first: the one a user may have taken already.
	ln, err := listenEdge(s.cfg.Addr)
	if err != nil {
		return s, err
	}
	defer func() {
		if s.server == nil {
			ln.Close()
		}
	}()
	edgePort := portOf(ln.Addr().String())
	s.URL = "https://" + net.JoinHostPort(s.cfg.Host, edgePort)
	if err := s.openState(); err != nil {
		return s, err
	}
	steps := s.steps(ln, edgePort)
	for i, st := range steps {
		fmt.Fprintf(s.cfg.Progress, "[%d/%d] %s\n", i+1, len(steps), st.what)
		if err := st.run(ctx); err != nil {
			return s, err
		}
	}
	return s, nil
}

// step is one step of Start.
type step struct {
	what string
	run  func(context.Context) error
}

// steps are Start's steps, for the edge on ln at edgePort.
func (s *Stack) steps(ln net.Listener, edgePort string) []step {
	appStep := step{"starting " + appFunctionID + " as the template has it (the Python runtime, the layer's wrapper handing over to hostforward, which starts the app: UPSTREAM_COMMAND), then migrate, createsuperuser and collectstatic to the bucket through its management invocation",
		func(ctx context.Context) error { return s.startInFunction(ctx, edgePort) }}
	if s.cfg.App == External {
		appStep = step{"starting Django on its own (migrate, createsuperuser, collectstatic to the bucket, gunicorn) and hostforward in front of it (UPSTREAM_URL)",
			func(ctx context.Context) error { return s.startExternal(ctx, edgePort) }}
	}
	steps := []step{
		{"preparing the functions of " + filepath.Base(s.cfg.Template) + " to run on this machine", s.prepare},
		{"starting the moto server (S3, SQS, CloudFront, Secrets Manager)", s.startAWS},
	}
	if s.cfg.Postgres {
		steps = append(steps, step{"starting PostgreSQL (the app's database, unless DATABASE_URL names one)", s.startPostgres})
	}
	steps = append(steps, []step{
		{"starting the invalidate function and the S3 → SQS → Lambda delivery", s.startInvalidate},
		appStep,
		{"starting the local edge (CloudFront + API Gateway)", func(context.Context) error { return s.startEdge(ln) }},
	}...)
	if s.cfg.Reload && s.cfg.App == InFunction {
		steps = append(steps, step{"watching the app's Python files and templates: an edit restarts the app", s.startWatch})
	}
	return steps
}

// newStack returns an unstarted Stack for cfg with its defaults filled in.
func newStack(cfg Config) *Stack {
	if cfg.App == "" {
		cfg.App = InFunction
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:3000"
	}
	if cfg.Host == "" {
		cfg.Host = "localhost"
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Logs == nil {
		cfg.Logs = io.Discard
	}
	cfg.Python = cmp.Or(cfg.Python, pyenv.Python())
	cfg.MotoPython = cmp.Or(cfg.MotoPython, cfg.Python)
	cfg.CLI = cmp.Or(cfg.CLI, "go run ./cmd/djfront")
	cfg.AdminUser = cmp.Or(cfg.AdminUser, AdminUser)
	s := &Stack{cfg: cfg, RunID: os.Getenv(RunMarker), failures: make(chan error, 8), AdminUser: cfg.AdminUser, AdminPassword: cfg.AdminPassword}
	s.bgCtx, s.cancel = context.WithCancel(context.Background())
	if s.RunID == "" {
		s.RunID = rand.Text()
	}
	if s.AdminPassword == "" {
		s.AdminPassword = rand.Text()
	}
	return s
}

// openState finds the template and makes the state directory.
func (s *Stack) openState() error {
	if s.cfg.Template == "" {
		var err error
		if s.cfg.Template, err = samlocal.FindTemplate(s.cfg.Root); err != nil {
			return err
		}
	}
	if s.StateDir = s.cfg.StateDir; s.StateDir == "" {
		dir, err := os.MkdirTemp("", "djfront-local-")
		if err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
		s.StateDir, s.tmp = dir, true
	}
	if err := os.MkdirAll(s.StateDir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return nil
}

// preflight checks the tools the stack runs, naming the install step.
func preflight(ctx context.Context, cfg Config) error {
	install := pyenv.Install
	if cfg.Self != "" { // a project's environment: pip installs all of it
		install = "pip install 'djfront[local]' in the project's virtualenv"
	} else if err := pyenv.Check(); err != nil {
		return err
	}
	modules := []string{"django", "gunicorn", "storages.backends.s3boto3"}
	if cfg.Postgres {
		modules = append(modules, "psycopg")
	}
	checks := []struct {
		python  string
		modules []string
	}{{cfg.Python, modules}, {cfg.MotoPython, []string{"moto.server"}}}
	for _, c := range checks {
		for _, module := range c.modules {
			if !proctree.PythonImports(ctx, c.python, module) {
				return fmt.Errorf("%s cannot import %s: %s", c.python, module, install)
			}
		}
	}
	if cfg.Postgres {
		if _, err := pgserver.FindBin(); err != nil {
			return err
		}
	}
	if _, err := exec.LookPath("make"); err != nil && cfg.Self == "" {
		return fmt.Errorf("make is missing (the template's functions are built with it): apt-get install make")
	}
	return nil
}

// listenEdge listens on the edge's address, saying plainly when the port is
// taken.
func listenEdge(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("local edge: port %s is in use (another local stack running?); choose another: %w", portOf(addr), err)
	}
	if err != nil {
		return nil, fmt.Errorf("local edge: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// readyContext returns ctx bounded by readyLimit.
func readyContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, readyLimit)
}

// watch keeps p for Close and reports on Failures an exit Close did not
// ask for.
func (s *Stack) watch(p *childproc.Process) {
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	go func() {
		<-p.Exited()
		if !p.Stopping() {
			s.failures <- fmt.Errorf("%s (pid %d) exited unexpectedly: %s\n%s",
				p.Name(), p.Pid(), childproc.ExitStatus(p.Err()), childproc.LastLines(p.Tail(), 20))
		}
	}()
}

// prefixed returns a writer to Logs that prefixes each line with
// "name | ", flushed by Close.
func (s *Stack) prefixed(name string) io.Writer {
	return s.linesTo(s.cfg.Logs, name+" | ")
}

// lines returns a writer that hands w one whole line per Write, flushed by
// Close.
func (s *Stack) lines(w io.Writer) io.Writer { return s.linesTo(w, "") }

func (s *Stack) linesTo(out io.Writer, prefix string) io.Writer {
	w := childproc.NewLineWriter(out, prefix)
	s.mu.Lock()
	s.writers = append(s.writers, w)
	s.mu.Unlock()
	return w
}

func (s *Stack) observe(ev *events.APIGatewayV2HTTPRequest, _ *events.APIGatewayV2HTTPResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastSeen = ev
	s.seen++
}

// invocations returns how many events the edge sent to hostforward.
func (s *Stack) invocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// lastEvent returns the last event the edge sent to hostforward.
func (s *Stack) lastEvent() *events.APIGatewayV2HTTPRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastSeen
}

// Failures receives an error naming a process that exited on its own.
func (s *Stack) Failures() <-chan error { return s.failures }

// Close stops the edge, the functions and every process group, and
// removes a temporary StateDir. It is safe to call more than once.
func (s *Stack) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	procs, funcs, writers := s.procs, s.funcs, s.writers
	s.mu.Unlock()

	for _, srv := range []*http.Server{s.server, s.invokeAPI} {
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = srv.Shutdown(ctx)
			cancel()
			srv.Close()
		}
	}
	s.cancel()
	s.bg.Wait()
	for _, f := range funcs {
		f.Close()
	}
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(func() { p.Stop(childproc.DefaultGrace) })
	}
	wg.Wait()
	if s.pg != nil {
		s.pg.Stop() // its process stopped above; this removes its files
	}
	for _, w := range writers {
		w.Close()
	}
	if s.tmp {
		os.RemoveAll(s.StateDir)
	}
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return port
}
