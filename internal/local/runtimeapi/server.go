package runtimeapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/awsid"
	"github.com/djfront/djfront/internal/local/proctree"
)

// Defaults of a Function's settings, those of a new function in SAM.
const (
	DefaultName     = "function"
	DefaultTimeout  = 3 * time.Second
	DefaultMemoryMB = 128
)

// Lambda's limits on the phases around an invocation.
const (
	// InitTimeout is Lambda's limit on the init phase. Past it the
	// environment is killed and init is run again inside the first
	// invocation, bounded by the function's timeout ("suppressed init").
	InitTimeout = 10 * time.Second
	// ShutdownGrace is how long the runtime has between SIGTERM and SIGKILL
	// at shutdown when an extension is registered: 500 ms for an internal
	// extension, the only kind this server sees (it starts no external
	// ones). Without an extension Lambda sends SIGKILL alone.
	ShutdownGrace = 500 * time.Millisecond
)

// Phases and statuses of an Init, as Lambda's INIT_REPORT log line names them.
const (
	PhaseInit     = "init"   // the init phase proper, before any invocation
	PhaseInvoke   = "invoke" // init re-run inside an invocation (suppressed init)
	StatusSuccess = "success"
	StatusError   = "error"
	StatusTimeout = "timeout"
)

// Init is one initialization of an execution environment.
type Init struct {
	Phase    string        // PhaseInit or PhaseInvoke
	Status   string        // StatusSuccess, StatusError or StatusTimeout
	Duration time.Duration // from process start to the end of init
}

// accountID is the AWS account in the function ARN: the documentation's example.
const accountID = "123456789012"

// ErrServerClosed is returned by Invoke on a closed Server.
var ErrServerClosed = errors.New("runtimeapi: server closed")

// ErrNotFound is returned by InvokeWith for a qualifier that is neither
// $LATEST nor one of the function's aliases, as Lambda answers
// ResourceNotFoundException.
var ErrNotFound = errors.New("function not found")

// Function describes a Lambda function to run: a built bootstrap binary and
// its configuration.
type Function struct {
	// Name is the function's name, in AWS_LAMBDA_FUNCTION_NAME and the
	// function ARN. Default: DefaultName.
	Name string
	// Binary is the path of the executable (the `bootstrap`). Its directory is
	// LAMBDA_TASK_ROOT and the runtime's working directory.
	Binary string
	// Env holds KEY=VALUE variables set after Lambda's standard ones (which
	// they override, AWS_REGION for example). Nothing else is inherited from
	// the calling process.
	Env []string
	// Timeout is the function's timeout. Default: DefaultTimeout.
	Timeout time.Duration
	// InitTimeout is the limit on the init phase. Default: InitTimeout,
	// Lambda's (with SnapStart, SnapStartInitTimeout or Timeout, whichever
	// is longer); only tests of slow inits want less.
	InitTimeout time.Duration
	// MemoryMB is AWS_LAMBDA_FUNCTION_MEMORY_SIZE; it is not enforced.
	// Default: DefaultMemoryMB.
	MemoryMB int
	// Logs receives the runtime's stdout and stderr, and Lambda's START, END
	// and REPORT lines. Default: discarded.
	Logs io.Writer
	// Aliases are the function's aliases, each pointing at $LATEST (the
	// template's AWS::Lambda::Alias of the function): the qualifiers,
	// besides $LATEST, it may be invoked with.
	Aliases []string
	// SnapStart, when set, starts each environment as SnapStart does
	// (snapstart.go): a snapshot at the end of init, a freeze, a restore.
	SnapStart *SnapStart
}

// Result is the outcome of an invocation.
type Result struct {
	// RequestID is the invocation's request id (Lambda-Runtime-Aws-Request-Id).
	RequestID string
	// Payload is the function's response; nil when Error is set.
	Payload []byte
	// Error is the invocation's error, if it failed.
	Error *FunctionError
}

// FunctionError is a failed invocation's error, as Lambda returns it to the
// caller: reported by the runtime (a returned error, a panic) or by Lambda
// itself ("Sandbox.Timedout", "Runtime.ExitError",
// "Function.ResponseSizeTooLarge").
type FunctionError struct {
	Type    string // errorType, for example "Runtime.ExitError"
	Message string // errorMessage
	Payload []byte // the error document returned to the caller (JSON)
}

// Error returns "Type: Message".
func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Server runs one function's execution environment: its runtime process and
// the Runtime API that process talks to. It hands over one invocation at a
// time, as a Lambda execution environment does. Its methods are safe for
// concurrent use.
type Server struct {
	fn   Function // defaults applied, Binary absolute
	arn  string
	logs *lockedWriter
	mux  *http.ServeMux // the Invoke API, see ServeHTTP

	turn chan struct{} // holds a token while an invocation runs
	done chan struct{} // closed by Close

	mu         sync.Mutex
	closed     bool
	env        *environment // the running one; nil after a crash or timeout, until the next invocation
	suppressed bool         // the last init timed out: the next invocation runs it again
	inits      []Init
	restores   []Restore // snapstart.go
}

// environment is one execution environment: a runtime process, whatever it
// starts, and its Runtime API listener.
type environment struct {
	api    *runtimeAPI
	srv    *http.Server
	proc   *childproc.Process
	marker string    // AWS_LAMBDA_RUNTIME_API=…, unique to the environment: finds its processes
	once   sync.Once // stop
}

// Start starts fn's runtime process and waits until its init is done: the
// runtime asked for its first invocation and every extension it registered
// asked for its first event. If the runtime reports an initialization error
// or exits, Start returns an error wrapping a *FunctionError with the
// reported type and message. If init takes longer than InitTimeout, the
// environment is killed and Start returns the Server: the first invocation
// runs init again (a suppressed init), as Lambda does.
func Start(ctx context.Context, fn Function) (*Server, error) {
	if fn.Binary == "" {
		return nil, errors.New("runtimeapi: no binary to run")
	}
	bin, err := filepath.Abs(fn.Binary)
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: %w", err)
	}
	fn.Binary = bin
	if fn.Name == "" {
		fn.Name = DefaultName
	}
	if fn.Timeout <= 0 {
		fn.Timeout = DefaultTimeout
	}
	if fn.InitTimeout <= 0 {
		fn.InitTimeout = fn.defaultInitTimeout()
	}
	if fn.MemoryMB <= 0 {
		fn.MemoryMB = DefaultMemoryMB
	}
	if fn.Logs == nil {
		fn.Logs = io.Discard
	}
	s := &Server{
		fn:   fn,
		logs: &lockedWriter{w: fn.Logs},
		mux:  http.NewServeMux(),
		turn: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	region := "us-east-1"
	for _, kv := range fn.Env { // the last one wins, as in the process's environment
		if v, ok := strings.CutPrefix(kv, "AWS_REGION="); ok {
			region = v
		}
	}
	s.arn = "arn:aws:lambda:" + region + ":" + accountID + ":function:" + fn.Name
	s.mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", s.serveInvoke)

	if err := s.initialize(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// initialize starts an execution environment with a cold start. An init
// that times out leaves none, for the next invocation to run init again (a
// suppressed init); an init that fails is an error wrapping the
// *FunctionError.
func (s *Server) initialize(ctx context.Context) error {
	env, initErr, err := s.start(ctx, "", PhaseInit, s.fn.InitTimeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil:
		return err
	case initErr != nil && initErr.Type == "Sandbox.Timedout":
		s.suppressed = true
	case initErr != nil:
		return fmt.Errorf("runtimeapi: init of %s failed: %w", s.fn.Name, initErr)
	case s.closed:
		env.stop(0)
		return ErrServerClosed
	default:
		s.env = env
	}
	return nil
}

// Recycle replaces the execution environment with a new one, as Lambda
// does once the function's code has changed: it waits for the invocation in
// progress, shuts the environment down as Close does (SIGTERM and
// ShutdownGrace when an extension is registered, then SIGKILL to all its
// processes), and runs a cold start. An init that fails is returned, as by
// Start; the next invocation then tries a cold start of its own.
func (s *Server) Recycle(ctx context.Context) error {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return ErrServerClosed
	}
	defer func() { <-s.turn }()
	s.mu.Lock()
	env := s.env
	s.env, s.suppressed = nil, false
	s.mu.Unlock()
	if env != nil {
		env.stop(env.shutdownGrace())
	}
	return s.initialize(ctx)
}

// RuntimePid returns the pid of the running environment's runtime process
// (the bootstrap the Server started, whatever it has exec'd since), or 0
// when no environment runs.
func (s *Server) RuntimePid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.env == nil {
		return 0
	}
	return s.env.proc.Pid()
}

// Inits returns every initialization so far, in order.
func (s *Server) Inits() []Init {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Init(nil), s.inits...)
}

// Invoke hands payload to the function and returns its response or error.
// Invocations wait for their turn: one runs at a time. After a timeout or a
// crash, a new runtime process is started first (a cold start). The error is
// non-nil only if ctx ends (then the runtime, if busy with payload, is
// killed), the Server is closed, or no runtime process can be started.
func (s *Server) Invoke(ctx context.Context, payload []byte) (Result, error) {
	return s.invoke(ctx, &invocation{payload: payload})
}

// InvokeOptions are what a synchronous invocation carries besides its
// payload.
type InvokeOptions struct {
	// Qualifier is "$LATEST" or one of Function.Aliases, or "" for the
	// unqualified function; it ends the invoked function ARN.
	Qualifier string
	// ClientContext is the client context, a JSON object, passed to the
	// runtime as Lambda-Runtime-Client-Context.
	ClientContext []byte
}

// InvokeWith is Invoke with opts. A Qualifier the function does not have is
// an error wrapping ErrNotFound.
func (s *Server) InvokeWith(ctx context.Context, payload []byte, opts InvokeOptions) (Result, error) {
	arn, err := s.invokedARN(opts.Qualifier)
	if err != nil {
		return Result{}, err
	}
	return s.invoke(ctx, &invocation{payload: payload, functionARN: arn, clientContext: string(opts.ClientContext)})
}

// invokedARN returns the function ARN an invocation with qualifier
// carries: the function's, qualified unless qualifier is "".
func (s *Server) invokedARN(qualifier string) (string, error) {
	if qualifier == "" {
		return s.arn, nil
	}
	if qualifier != "$LATEST" && !slices.Contains(s.fn.Aliases, qualifier) {
		return "", fmt.Errorf("%w: %s:%s", ErrNotFound, s.arn, qualifier)
	}
	return s.arn + ":" + qualifier, nil
}

func (s *Server) invoke(ctx context.Context, inv *invocation) (Result, error) {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-s.done:
		return Result{}, ErrServerClosed
	}
	defer func() { <-s.turn }()

	if inv.id == "" {
		inv.id = awsid.UUID()
	}
	if inv.functionARN == "" {
		inv.functionARN = s.arn
	}
	if inv.traceID == "" {
		inv.traceID = newTraceID()
	}
	inv.result = make(chan Result, 1)
	for {
		env, initErr, err := s.running(ctx, inv)
		if err != nil {
			return Result{}, err
		}
		if initErr != nil {
			return Result{RequestID: inv.id, Error: initErr}, nil
		}
		res, delivered, err := s.await(ctx, env, inv)
		if delivered || err != nil {
			return res, err
		}
		// The runtime exited before it took the invocation (after a panic,
		// say): hand it to a new one.
	}
}

// await hands inv to env's runtime and waits for the answer until inv's
// deadline (its start plus the timeout, unless a suppressed init set it
// earlier). delivered is false if the runtime exited before taking inv.
func (s *Server) await(ctx context.Context, env *environment, inv *invocation) (res Result, delivered bool, err error) {
	start := time.Now()
	if inv.deadline.IsZero() {
		inv.deadline = start.Add(s.fn.Timeout)
	}
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	defer func() {
		if delivered && err == nil {
			s.report(inv.id, time.Since(start))
		}
	}()
	handover := env.api.invocations
	for {
		select {
		case handover <- inv:
			handover = nil
			fmt.Fprintf(s.logs, "START RequestId: %s Version: $LATEST\n", inv.id)
		case res := <-inv.result:
			return res, true, nil
		case <-env.proc.Exited():
			if res, ok := received(inv.result); ok { // posted right before exiting
				return res, true, nil
			}
			s.retire(env)
			if s.isClosed() {
				return Result{}, true, ErrServerClosed
			}
			if handover != nil {
				return Result{}, false, nil
			}
			return errorResult(inv.id, "Runtime.ExitError", "RequestId: "+inv.id+" Error: "+exitReason(env.proc.Err())), true, nil
		case <-timer.C:
			if res, ok := received(inv.result); ok {
				return res, true, nil
			}
			s.retire(env)
			secs := s.fn.Timeout.Seconds()
			fmt.Fprintf(s.logs, "%s %s Task timed out after %.2f seconds\n", time.Now().UTC().Format(time.RFC3339Nano), inv.id, secs)
			return errorResult(inv.id, "Sandbox.Timedout",
				fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, secs)), true, nil
		case <-ctx.Done():
			if handover == nil { // busy with an invocation nobody waits for
				s.retire(env)
			}
			return Result{}, true, ctx.Err()
		case <-s.done:
			return Result{}, true, ErrServerClosed
		}
	}
}

// report writes Lambda's END and REPORT lines.
func (s *Server) report(id string, d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	fmt.Fprintf(s.logs, "END RequestId: %s\nREPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\n",
		id, id, ms, int64(math.Ceil(ms)), s.fn.MemoryMB)
}

// running returns the running execution environment, starting one if there
// is none or its runtime exited: a cold start with Lambda's init limit, and
// if that times out (or the last init did), init again within inv's
// timeout, which then starts with the re-init.
func (s *Server) running(ctx context.Context, inv *invocation) (*environment, *FunctionError, error) {
	s.mu.Lock()
	env, closed, suppressed := s.env, s.closed, s.suppressed
	s.mu.Unlock()
	if closed {
		return nil, nil, ErrServerClosed
	}
	if env != nil {
		if _, exited := received(env.proc.Exited()); !exited {
			return env, nil, nil
		}
		s.retire(env)
	}
	var initErr *FunctionError
	var err error
	if !suppressed {
		env, initErr, err = s.start(ctx, inv.id, PhaseInit, s.fn.InitTimeout)
		suppressed = initErr != nil && initErr.Type == "Sandbox.Timedout"
	}
	if suppressed {
		inv.deadline = time.Now().Add(s.fn.Timeout)
		env, initErr, err = s.start(ctx, inv.id, PhaseInvoke, s.fn.Timeout)
		s.mu.Lock()
		s.suppressed = false
		s.mu.Unlock()
	}
	if env == nil {
		return nil, initErr, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		env.stop(0)
		return nil, nil, ErrServerClosed
	}
	s.env = env
	return env, nil, nil
}

// retire stops env and forgets it, so that the next invocation starts anew.
func (s *Server) retire(env *environment) {
	s.mu.Lock()
	if s.env == env {
		s.env = nil
	}
	s.mu.Unlock()
	env.stop(0)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// start starts a runtime process and waits, at most limit, until its init
// is done. On an init failure, it returns the error Lambda would report
// (type "Sandbox.Timedout" past limit), prefixed with requestID if the start
// is part of an invocation. phase names the init in the log and in Inits.
func (s *Server) start(ctx context.Context, requestID, phase string, limit time.Duration) (*environment, *FunctionError, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("runtimeapi: listen for the runtime API: %w", err)
	}
	api := newRuntimeAPI(s.fn.Name)
	if s.fn.SnapStart != nil {
		api.serveSnapStart()
	}
	env := &environment{
		api:    api,
		srv:    &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second},
		marker: "AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
	}
	go env.srv.Serve(ln) // ends with ErrServerClosed when stopped

	cmd := exec.Command(s.fn.Binary)
	cmd.Dir = filepath.Dir(s.fn.Binary)
	cmd.Env = s.environ(ln.Addr().String())
	begin := time.Now()
	// KillWithParent: a runtime (and through it the app, which hostforward
	// ties to itself the same way) must not outlive a killed emulator.
	env.proc, err = childproc.Start("runtime", cmd, childproc.Options{Output: s.logs, KillWithParent: true})
	if err != nil {
		env.srv.Close()
		return nil, nil, fmt.Errorf("runtimeapi: start %s: %w", s.fn.Binary, err)
	}

	prefix := ""
	if requestID != "" {
		prefix = "RequestId: " + requestID + " Error: "
	}
	timer := time.NewTimer(limit)
	defer timer.Stop()
	var initErr *FunctionError
	status := StatusError
	select {
	case <-api.ready:
		status = StatusSuccess
	case <-api.initFailed:
		initErr = api.reportedInitError()
	case <-env.proc.Exited():
		if initErr = api.reportedInitError(); initErr == nil {
			initErr = errorResult(requestID, "Runtime.ExitError", prefix+exitReason(env.proc.Err())).Error
		}
	case <-timer.C:
		status = StatusTimeout
		initErr = errorResult(requestID, "Sandbox.Timedout",
			fmt.Sprintf("%sInit timed out after %.2f seconds", prefix, limit.Seconds())).Error
	case <-ctx.Done():
		env.stop(0)
		return nil, nil, ctx.Err()
	case <-s.done:
		env.stop(0)
		return nil, nil, ErrServerClosed
	}
	took := time.Since(begin)
	s.mu.Lock()
	s.inits = append(s.inits, Init{Phase: phase, Status: status, Duration: took})
	s.mu.Unlock()
	fmt.Fprintf(s.logs, "INIT_REPORT Init Duration: %.2f ms\tPhase: %s\tStatus: %s\n", float64(took)/float64(time.Millisecond), phase, status)
	if initErr == nil && s.fn.SnapStart != nil {
		if initErr, err = s.snapshotAndRestore(env); err != nil {
			env.stop(0)
			return nil, nil, err
		}
	}
	if initErr != nil {
		env.stop(0)
		return nil, initErr, nil
	}
	return env, nil, nil
}

// environ returns the runtime's environment: Lambda's standard variables
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
// followed by the function's own.
func (s *Server) environ(runtimeAPI string) []string {
	fn := s.fn
	stream := time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + awsid.Hex(16)
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + stream,
		"AWS_LAMBDA_INITIALIZATION_TYPE=" + fn.initType(),
		"AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1",
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(fn.Binary),
		"LANG=en_US.UTF-8",
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"TZ=:UTC",
	}
	return append(env, fn.Env...)
}

// Close shuts the execution environment down as Lambda does: if an
// extension is registered, SIGTERM to the runtime process and up to
// ShutdownGrace for it to exit; then SIGKILL to every process of the
// environment (see proctree.KillSandbox), and the Runtime API closes. An
// invocation in progress returns ErrServerClosed. Close always returns nil.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	env := s.env
	s.env = nil
	s.mu.Unlock()
	if env != nil {
		env.stop(env.shutdownGrace())
	}
	return nil
}

// shutdownGrace is the time Lambda's shutdown gives the runtime between
// SIGTERM and SIGKILL: ShutdownGrace if an extension is registered, else
// none (SIGKILL alone).
func (e *environment) shutdownGrace() time.Duration {
	if e.api.extensionCount() > 0 {
		return ShutdownGrace
	}
	return 0
}

// stop ends the environment: SIGTERM to the runtime process and up to grace
// for it to exit if grace is positive, then SIGKILL to all its processes;
// then it closes the Runtime API listener.
func (e *environment) stop(grace time.Duration) {
	e.once.Do(func() {
		if grace > 0 && e.proc.Signal(syscall.SIGTERM) == nil {
			timer := time.NewTimer(grace)
			select {
			case <-e.proc.Exited():
			case <-timer.C:
			}
			timer.Stop()
		}
		proctree.KillSandbox(e.proc.Pid(), e.marker)
		e.proc.Stop(0) // and wait for it
		e.srv.Close()
	})
}

// exitReason words a runtime's exit as Lambda does.
func exitReason(err error) string {
	if err == nil {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + err.Error()
}

// received returns a value from c if one is ready, without blocking.
func received[T any](c <-chan T) (T, bool) {
	select {
	case v := <-c:
		return v, true // also when c is closed
	default:
		var zero T
		return zero, false
	}
}

// newTraceID returns an X-Ray tracing header for a new, unsampled trace.
func newTraceID() string {
	return awsid.TraceRoot(time.Now()) + ";Parent=" + awsid.Hex(8) + ";Sampled=0"
}

// lockedWriter serializes writes from the runtime's output and the Server.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
