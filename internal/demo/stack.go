package demo

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djfront/djfront/internal/lambdasqs"
	"github.com/djfront/djfront/internal/localedge"
	"github.com/djfront/djfront/internal/motoserver"
	"github.com/djfront/djfront/internal/runtimeapi"
	"github.com/djfront/djfront/internal/samlocal"
)

// Interpreters: Debian's has Django 4.2, django-storages and gunicorn; the
// default python3 has moto.
const (
	djangoPython = "/usr/bin/python3"
	motoPython   = "python3"
	// installHint names the project's install step (as testenv.InstallHint
	// does for the tests).
	installHint = "run scripts/install-deps.sh (make deps)"
)

// RunMarker is the environment variable set, to the stack's run id, in every
// process the stack starts (and so inherited by theirs), so a test can find
// any process a run left behind. The run id is this variable's value in the
// calling process if set, else random.
const RunMarker = "DJFRONT_DEMO_RUN"

// AdminUser is the Django superuser the stack creates.
const AdminUser = "admin"

// batchingWindow stands in for the event source mapping's
// MaximumBatchingWindowInSeconds (30 s in the template).
const batchingWindow = 2 * time.Second

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
}

// Stack is the whole chain on loopback: the moto server with the
// template's resources, the example Django app on gunicorn, the hostforward
// and invalidate functions under the local Runtime API, the S3 → SQS →
// invalidate delivery, and the local edge in front of it all.
type Stack struct {
	// URL is the site's base URL as a viewer uses it, https://HOST:PORT.
	URL string
	// AdminPassword is the password of the Django superuser AdminUser.
	AdminPassword string
	// Client trusts the edge's certificate and keeps cookies.
	Client *http.Client
	// MotoEndpoint, DjangoURL and DistributionID identify the parts.
	MotoEndpoint, DjangoURL, DistributionID string
	// RunID is the value of RunMarker in the stack's processes.
	RunID string

	cfg      Config
	dir      string // temporary state: database, extra static files
	djEnv    []string
	cloud    *cloud
	procs    []*process
	funcs    []*runtimeapi.Server
	server   *http.Server
	cancel   context.CancelFunc // stops the poller
	pollDone chan struct{}
	failures chan error

	mu       sync.Mutex
	lastSeen *events.APIGatewayV2HTTPRequest // the last event the edge sent
	edge     *localedge.Edge
	applied  map[string]bool // invalidation ids applied to the edge's cache
	closed   bool
}

// Start brings the stack up, reporting each step to cfg.Progress. On error,
// everything started so far is stopped. Cancelling ctx stops a start in
// progress; once Start returns, Close stops the stack.
func Start(ctx context.Context, cfg Config) (s *Stack, err error) {
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
	s = &Stack{cfg: cfg, RunID: os.Getenv(RunMarker), failures: make(chan error, 8), pollDone: make(chan struct{})}
	if s.RunID == "" {
		s.RunID = randomHex(8)
	}
	defer func() {
		if err != nil {
			s.Close()
			s = nil
		}
	}()
	if err := preflight(); err != nil {
		return s, err
	}
	// The edge's port first: the one a user may have taken already.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return s, fmt.Errorf("local edge: port %s is in use (another demo running?); choose another with -addr: %w", portOf(cfg.Addr), err)
		}
		return s, fmt.Errorf("local edge: listen on %s: %w", cfg.Addr, err)
	}
	defer func() {
		if s.server == nil {
			ln.Close()
		}
	}()
	s.URL = "https://" + net.JoinHostPort(cfg.Host, portOf(ln.Addr().String()))
	if s.dir, err = os.MkdirTemp("", "djfront-demo-"); err != nil {
		return s, fmt.Errorf("state directory: %w", err)
	}

	step := s.stepper()
	step("building hostforward and invalidate from template.yaml")
	tpl, err := samlocal.ReadTemplate(filepath.Join(cfg.Root, "template.yaml"), nil)
	if err != nil {
		return s, err
	}
	bins := map[string]string{}
	for _, id := range []string{"HostForwardFunction", "InvalidateFunction"} {
		fn, err := tpl.Function(id)
		if err != nil {
			return s, err
		}
		cache, _ := os.UserCacheDir()
		if bins[id], err = samlocal.Build(ctx, fn, filepath.Join(cache, "djfront", "demo", id), cfg.Logs); err != nil {
			return s, err
		}
	}

	step("starting the moto server (S3, SQS, CloudFront)")
	if err := s.startMoto(ctx); err != nil {
		return s, err
	}
	s.cloud = newCloud(s.MotoEndpoint)
	if err := s.cloud.create(ctx); err != nil {
		return s, fmt.Errorf("moto server at %s: %w", s.MotoEndpoint, err)
	}
	s.DistributionID = s.cloud.distID
	fmt.Fprintf(cfg.Progress, "      bucket %s (versioned) → queue %s (DLQ after %d receives) → distribution %s\n",
		bucketName, queueName, maxReceiveCount, s.DistributionID)

	step("starting the invalidate function and the S3 → SQS → Lambda delivery")
	inv, err := tpl.Function("InvalidateFunction")
	if err != nil {
		return s, err
	}
	invFn, err := s.startFunction(ctx, inv, bins["InvalidateFunction"], map[string]string{"DISTRIBUTION_ID": s.DistributionID},
		"AWS_ENDPOINT_URL="+s.MotoEndpoint, "AWS_ACCESS_KEY_ID="+motoserver.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+motoserver.SecretKey, "AWS_REGION="+motoserver.Region)
	if err != nil {
		return s, err
	}
	pollCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.poll(pollCtx, invFn)

	step("starting Django (migrate, createsuperuser, collectstatic to the bucket, gunicorn)")
	if err := s.startDjango(ctx, portOf(ln.Addr().String())); err != nil {
		return s, err
	}

	step("starting hostforward and the local edge (CloudFront + API Gateway)")
	secret := randomHex(24)
	hf, err := tpl.Function("HostForwardFunction")
	if err != nil {
		return s, err
	}
	hfFn, err := s.startFunction(ctx, hf, bins["HostForwardFunction"], map[string]string{
		"UPSTREAM_URL":          s.DjangoURL,
		"ALLOWED_HOSTS":         cfg.Host,
		"ORIGIN_VERIFY_SECRETS": secret,
	})
	if err != nil {
		return s, err
	}
	cert, err := localedge.SelfSignedCert(cfg.Host, "127.0.0.1", "::1")
	if err != nil {
		return s, err
	}
	logger := slog.New(slog.NewJSONHandler(cfg.Logs, nil))
	// The edge plays the template's distribution: its behaviours, policies
	// and error caching.
	dist, err := localedge.ReadDistribution(filepath.Join(cfg.Root, "template.yaml"),
		map[string]string{"StaticPrefix": staticPrefix, "MediaPrefix": mediaPrefix})
	if err != nil {
		return s, err
	}
	edge := localedge.New(localedge.Config{
		Distribution: dist,
		App:          hfFn,
		Assets:       localedge.NewAssets(s.cloud.s3, bucketName, logger),
		OriginVerify: secret,
		Observe:      s.observe,
		Logger:       logger,
	})
	s.mu.Lock()
	s.edge = edge
	s.mu.Unlock()
	s.server = &http.Server{
		Handler:           edge,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go s.server.ServeTLS(ln, "", "") //nolint:errcheck // ends with ErrServerClosed at Close
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	jar, _ := cookiejar.New(nil)
	s.Client = &http.Client{
		Jar:     jar,
		Timeout: localedge.IntegrationTimeout + 5*time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			// The viewer host resolves to the edge, whatever the resolver says.
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, ln.Addr().String())
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s, nil
}

// preflight checks the tools the stack runs, naming the install step.
func preflight() error {
	checks := []struct{ python, module, install string }{
		{djangoPython, "django", installHint},
		{djangoPython, "gunicorn", installHint},
		{djangoPython, "storages.backends.s3boto3", installHint},
		{motoPython, "moto.server", "pip install 'moto[server]==5.2.1' for the default python3 (" + installHint + ")"},
	}
	for _, c := range checks {
		if err := exec.Command(c.python, "-c", "import "+c.module).Run(); err != nil {
			return fmt.Errorf("%s cannot import %s: %s", c.python, c.module, c.install)
		}
	}
	if _, err := exec.LookPath("make"); err != nil {
		return fmt.Errorf("make is missing: apt-get install make")
	}
	return nil
}

// stepper returns a function that prints numbered startup steps.
func (s *Stack) stepper() func(string) {
	n := 0
	return func(what string) {
		n++
		fmt.Fprintf(s.cfg.Progress, "[%d/5] %s\n", n, what)
	}
}

func (s *Stack) startMoto(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	s.MotoEndpoint = "http://127.0.0.1:" + port
	// The project's wrapper of moto.server adds what AWS's S3 events carry
	// and moto's do not (versionId, sequencer, DeleteMarkerCreated).
	cmd := motoserver.Command(motoPython, "127.0.0.1", port)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1", RunMarker+"="+s.RunID)
	p, err := s.start("moto server", cmd)
	if err != nil {
		return err
	}
	return s.awaitHTTP(ctx, p, s.MotoEndpoint+"/moto-api/data.json", "")
}

func (s *Stack) startDjango(ctx context.Context, edgePort string) error {
	s.AdminPassword = randomHex(8)
	extra := filepath.Join(s.dir, "extra-static")
	if err := os.MkdirAll(filepath.Join(extra, "tour"), 0o755); err != nil {
		return fmt.Errorf("extra static directory: %w", err)
	}
	if err := writeTourCSS(extra, "started"); err != nil {
		return err
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(name, "DJFRONT_") || strings.HasPrefix(name, "DJANGO_") || strings.HasPrefix(name, "AWS_") ||
			name == "GUNICORN_CMD_ARGS" || name == "FORWARDED_ALLOW_IPS" || name == "PYTHONPATH" || name == "PYTHONHOME"
	})
	s.djEnv = append(env,
		"DJFRONT_HOSTS="+s.cfg.Host,
		"DJFRONT_BUCKET="+bucketName,
		"DJFRONT_CDN_DOMAIN="+net.JoinHostPort(s.cfg.Host, edgePort),
		"DJFRONT_S3_ENDPOINT_URL="+s.MotoEndpoint,
		"AWS_ACCESS_KEY_ID="+motoserver.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+motoserver.SecretKey,
		"AWS_REGION="+motoserver.Region,
		"DJANGO_DB_PATH="+filepath.Join(s.dir, "db.sqlite3"),
		"DJANGO_STATIC_ROOT="+filepath.Join(s.dir, "static"),
		"DJANGO_MEDIA_ROOT="+filepath.Join(s.dir, "media"),
		"DJANGO_STATICFILES_DIRS="+extra,
		"DJANGO_SECRET_KEY="+randomHex(32),
		"DJANGO_SUPERUSER_USERNAME="+AdminUser,
		"DJANGO_SUPERUSER_PASSWORD="+s.AdminPassword,
		"DJANGO_SUPERUSER_EMAIL=admin@example.com",
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
		RunMarker+"="+s.RunID,
	)
	for _, args := range [][]string{{"migrate", "--noinput"}, {"createsuperuser", "--noinput"}, {"collectstatic", "--noinput"}} {
		if _, err := s.manage(ctx, args...); err != nil {
			return err
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.DjangoURL = "http://127.0.0.1:" + port
	cmd := exec.Command(djangoPython, "-m", "gunicorn", "--bind", "127.0.0.1:"+port,
		"--workers", "2", "--threads", "4", "--timeout", "120", "--graceful-timeout", "1",
		"--forwarded-allow-ips=", "--access-logfile", "-", "--error-logfile", "-", "demo.wsgi:application")
	cmd.Dir, cmd.Env = filepath.Join(s.cfg.Root, "examples", "djangoapp"), s.djEnv
	p, err := s.start("gunicorn (Django)", cmd)
	if err != nil {
		return err
	}
	return s.awaitHTTP(ctx, p, s.DjangoURL+"/whoami/", s.cfg.Host)
}

// manage runs manage.py with the app's environment and returns its output.
func (s *Stack) manage(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, djangoPython, append([]string{"manage.py"}, args...)...)
	cmd.Dir, cmd.Env = filepath.Join(s.cfg.Root, "examples", "djangoapp"), s.djEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	fmt.Fprintf(s.cfg.Logs, "manage.py %s:\n%s", strings.Join(args, " "), out)
	if err != nil {
		return "", fmt.Errorf("manage.py %s: %w\n%s", strings.Join(args, " "), err, lastLines(string(out), 20))
	}
	return string(out), nil
}

// start starts a child process and watches it.
func (s *Stack) start(name string, cmd *exec.Cmd) (*process, error) {
	p, err := startProcess(name, cmd, prefixed(s.cfg.Logs, name))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.procs = append(s.procs, p)
	s.mu.Unlock()
	go func() {
		if err := <-p.unexpectedExit(); err != nil {
			s.failures <- err
		}
	}()
	return p, nil
}

// startFunction runs a built function under the Runtime API with its
// template environment, overrides (as an --env-vars entry would) and extra.
func (s *Stack) startFunction(ctx context.Context, fn *samlocal.Function, bin string, overrides map[string]string, extra ...string) (*runtimeapi.Server, error) {
	env := fn.Environ(nil, samlocal.EnvVars{fn.LogicalID: overrides})
	env = append(append(env, extra...), RunMarker+"="+s.RunID)
	srv, err := runtimeapi.Start(ctx, runtimeapi.Function{
		Name:     fn.LogicalID,
		Binary:   bin,
		Env:      env,
		Timeout:  fn.Timeout,
		MemoryMB: fn.MemoryMB,
		Logs:     prefixed(s.cfg.Logs, fn.LogicalID),
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", fn.LogicalID, err)
	}
	s.mu.Lock()
	s.funcs = append(s.funcs, srv)
	s.mu.Unlock()
	return srv, nil
}

// awaitHTTP polls url until it answers, failing if p exits first.
func (s *Stack) awaitHTTP(ctx context.Context, p *process, url, host string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(readyLimit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before answering %s: %s\n%s", p.name, url, exitReason(p.err), lastLines(p.out.String(), 20))
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", p.name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s within %v: %w", p.name, url, readyLimit, err)
		}
	}
}

// poll delivers the queue's messages to the invalidate function as the
// event source mapping does, gathering them for batchingWindow first.
func (s *Stack) poll(ctx context.Context, fn *runtimeapi.Server) {
	defer close(s.pollDone)
	poller := &lambdasqs.Poller{
		Client: s.cloud.sqs, QueueURL: s.cloud.queueURL, QueueARN: s.cloud.queueARN,
		Region: motoserver.Region, Function: fn, BatchSize: 1000,
	}
	sleep := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	for {
		out, err := s.cloud.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(s.cloud.queueURL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
		})
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			fmt.Fprintf(s.cfg.Logs, "poller: queue %s: %v\n", queueName, err)
			if !sleep(time.Second) {
				return
			}
			continue
		case out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)] == "0":
			if !sleep(300 * time.Millisecond) {
				return
			}
			continue
		}
		if !sleep(batchingWindow) {
			return
		}
		b, err := poller.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			fmt.Fprintf(s.cfg.Logs, "poller: %v\n", err)
			continue
		}
		if b != nil {
			fmt.Fprintf(s.cfg.Progress, "      [S3 → SQS → invalidate] a batch of %d S3 event messages, %d left for retry\n", len(b.IDs), len(b.Failed))
			s.invalidateEdge(ctx)
		}
	}
}

// invalidateEdge applies the distribution's invalidations the edge has not
// seen yet (those the invalidate function created in moto) to the edge's
// cache, as CloudFront would.
func (s *Stack) invalidateEdge(ctx context.Context) {
	invs, err := s.cloud.invalidations(ctx)
	if err != nil {
		fmt.Fprintf(s.cfg.Logs, "edge invalidations: %v\n", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.edge == nil {
		return
	}
	if s.applied == nil {
		s.applied = map[string]bool{}
	}
	for _, inv := range invs {
		if !s.applied[inv.ID] {
			s.applied[inv.ID] = true
			s.edge.Invalidate(inv.Paths...)
		}
	}
}

func (s *Stack) observe(ev *events.APIGatewayV2HTTPRequest, _ *events.APIGatewayV2HTTPResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastSeen = ev
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
	procs, funcs := s.procs, s.funcs
	s.mu.Unlock()

	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.server.Shutdown(ctx)
		cancel()
		s.server.Close()
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
		wg.Go(p.stop)
	}
	wg.Wait()
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// writeTourCSS writes the extra static file the tour changes.
func writeTourCSS(dir, note string) error {
	css := fmt.Sprintf("/* djfront tour: %s at %s */\nbody { border-top: 4px solid #0b7; }\n", note, time.Now().UTC().Format(time.RFC3339Nano))
	if err := os.WriteFile(filepath.Join(dir, "tour", "banner.css"), []byte(css), 0o644); err != nil {
		return fmt.Errorf("tour static file: %w", err)
	}
	return nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return portOf(l.Addr().String()), nil
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return port
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// prefixed returns a writer that prefixes each line written to w with
// "name | ".
func prefixed(w io.Writer, name string) io.Writer {
	if w == io.Discard {
		return w
	}
	return &linePrefixer{w: w, prefix: []byte(name + " | ")}
}

type linePrefixer struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  []byte
	midLine bool
}

func (l *linePrefixer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []byte
	for _, c := range p {
		if !l.midLine {
			out = append(out, l.prefix...)
			l.midLine = true
		}
		out = append(out, c)
		if c == '\n' {
			l.midLine = false
		}
	}
	if _, err := l.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
