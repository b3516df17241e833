package demo

import (
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

// Config configures a Stack.
type Config struct {
	// Root is the repository's root directory (template.yaml, examples/).
	Root string
	// Addr is the local edge's address; default "127.0.0.1:3000". Port 0
	// picks a free port.
	Addr string
	// Host is the viewer's host name; default "localhost".
	Host string
	// Progress receives a line per startup step and per invalidation batch.
	Progress io.Writer
	// Logs receives the output of every process and function.
	Logs io.Writer
	// App is how the app runs: InFunction (the default) or External.
	App string
}

// Stack is the whole chain on loopback (see the package documentation).
type Stack struct {
	// URL is the site's base URL as a viewer uses it, https://HOST:PORT.
	URL string
	// AdminPassword is the password of the Django superuser AdminUser.
	AdminPassword string
	// Client trusts the edge's certificate and keeps cookies.
	Client *http.Client
	// MotoEndpoint, DjangoURL and DistributionID identify the parts;
	// DjangoURL is the external gunicorn's, "" in the in-function mode.
	MotoEndpoint, DjangoURL, DistributionID string
	// LambdaEndpoint is hostforward's Invoke API in the in-function mode
	// (AWS_ENDPOINT_URL_LAMBDA for `djfront manage`), else "".
	LambdaEndpoint string
	// RunID is the value of RunMarker in the stack's processes.
	RunID string

	cfg       Config
	dir       string // temporary state: database, extra static files
	tpl       *samlocal.Template
	bins      map[string]string // built functions by logical id
	aws       *motostack.Stack
	pg        *pgserver.Server // the app's database
	django    *djangoserver.App
	hf        *runtimeapi.Server // hostforward
	secret    string             // the origin secret hostforward trusts
	appLog    appLog             // the in-function app's lifecycle, from hostforward's log
	appPid    int                // the in-function app's pid, as the tour found it
	appParent int                // its parent, the function's runtime process
	server    *http.Server       // the edge
	invokeAPI *http.Server       // hostforward's Invoke API, in the in-function mode
	cancel    context.CancelFunc // stops the poller
	pollDone  chan struct{}
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
	if err := preflight(ctx); err != nil {
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
	s.URL = "https://" + net.JoinHostPort(s.cfg.Host, portOf(ln.Addr().String()))
	if s.dir, err = os.MkdirTemp("", "djfront-demo-"); err != nil {
		return s, fmt.Errorf("state directory: %w", err)
	}
	edgePort := portOf(ln.Addr().String())
	steps := []struct {
		what string
		run  func(context.Context) error
	}{
		{"building hostforward and invalidate from template.yaml", s.build},
		{"starting the moto server (S3, SQS, CloudFront)", s.startAWS},
		{"starting PostgreSQL (the app's database)", s.startPostgres},
		{"starting the invalidate function and the S3 → SQS → Lambda delivery", s.startInvalidate},
		{"starting hostforward with Django inside it (UPSTREAM_COMMAND: gunicorn), then migrate, createsuperuser and collectstatic to the bucket through its management invocation", func(ctx context.Context) error {
			return s.startInFunction(ctx, edgePort)
		}},
		{"starting the local edge (CloudFront + API Gateway)", func(ctx context.Context) error {
			return s.startEdge(ln)
		}},
	}
	if s.cfg.App == External {
		steps[4].what = "starting Django on its own (migrate, createsuperuser, collectstatic to the bucket, gunicorn) and hostforward in front of it (UPSTREAM_URL)"
		steps[4].run = func(ctx context.Context) error { return s.startExternal(ctx, edgePort) }
	}
	for i, st := range steps {
		fmt.Fprintf(s.cfg.Progress, "[%d/%d] %s\n", i+1, len(steps), st.what)
		if err := st.run(ctx); err != nil {
			return s, err
		}
	}
	return s, nil
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
	s := &Stack{cfg: cfg, RunID: os.Getenv(RunMarker), failures: make(chan error, 8), pollDone: make(chan struct{})}
	if s.RunID == "" {
		s.RunID = rand.Text()
	}
	return s
}

// preflight checks the tools the stack runs, naming the install step.
func preflight(ctx context.Context) error {
	if err := pyenv.Check(); err != nil {
		return err
	}
	for _, module := range []string{"django", "gunicorn", "psycopg", "storages.backends.s3boto3", "moto.server"} {
		if !proctree.PythonImports(ctx, pyenv.Python(), module) {
			return fmt.Errorf("%s cannot import %s: %s", pyenv.Python(), module, pyenv.Install)
		}
	}
	if _, err := pgserver.FindBin(); err != nil {
		return err
	}
	if _, err := exec.LookPath("make"); err != nil {
		return fmt.Errorf("make is missing: apt-get install make")
	}
	return nil
}

// listenEdge listens on the edge's address, saying plainly when the port is
// taken.
func listenEdge(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("local edge: port %s is in use (another demo running?); choose another with -addr: %w", portOf(addr), err)
	}
	if err != nil {
		return nil, fmt.Errorf("local edge: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// build reads template.yaml and builds both functions for this machine.
func (s *Stack) build(ctx context.Context) error {
	tpl, err := samlocal.ReadTemplate(filepath.Join(s.cfg.Root, "template.yaml"), nil)
	if err != nil {
		return err
	}
	s.tpl, s.bins = tpl, map[string]string{}
	cache, _ := os.UserCacheDir()
	for _, id := range []string{"HostForwardFunction", "InvalidateFunction"} {
		fn, err := tpl.Function(id)
		if err != nil {
			return err
		}
		if s.bins[id], err = samlocal.Build(ctx, fn, filepath.Join(cache, "djfront", "demo", id), s.cfg.Logs); err != nil {
			return err
		}
	}
	return nil
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

// startFunction runs the built function id under the Runtime API with its
// template environment, overrides (as an --env-vars entry would) and extra,
// and its template limits (for hostforward in the in-function mode,
// AppFunction's, whose log also feeds appLog).
func (s *Stack) startFunction(ctx context.Context, id string, overrides map[string]string, extra ...string) (*runtimeapi.Server, error) {
	fn, err := s.tpl.Function(id)
	if err != nil {
		return nil, err
	}
	env := fn.Environ(nil, samlocal.EnvVars{fn.LogicalID: overrides})
	env = append(append(env, extra...), RunMarker+"="+s.RunID, "AWS_EC2_METADATA_DISABLED=true")
	logs := s.prefixed(fn.LogicalID)
	timeout, memory := fn.Timeout, fn.MemoryMB
	var aliases []string
	if id == hostForwardID && s.cfg.App == InFunction {
		logs = io.MultiWriter(logs, s.lines(&s.appLog))
		// The limits of the template's in-function function, whose
		// timeout leaves room for management commands (collectstatic to
		// the bucket takes a while), and its management alias; its code is
		// this hostforward.
		app, err := s.tpl.Function(appFunctionID)
		if err != nil {
			return nil, err
		}
		timeout, memory = app.Timeout, app.MemoryMB
		alias, err := s.tpl.Resource(manageAliasID, "AWS::Lambda::Alias")
		if err != nil {
			return nil, err
		}
		name, _ := alias["Name"].(string)
		aliases = []string{name}
	}
	srv, err := runtimeapi.Start(ctx, runtimeapi.Function{
		Name:     fn.LogicalID,
		Binary:   s.bins[id],
		Env:      env,
		Timeout:  timeout,
		MemoryMB: memory,
		Logs:     logs,
		Aliases:  aliases,
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", fn.LogicalID, err)
	}
	s.mu.Lock()
	s.funcs = append(s.funcs, srv)
	s.mu.Unlock()
	return srv, nil
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
// removes the stack's temporary files. It is safe to call more than once.
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
	if s.cancel != nil {
		s.cancel()
		<-s.pollDone
	}
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
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return port
}
