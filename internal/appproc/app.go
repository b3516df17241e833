package appproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/djfront/djfront/internal/childproc"
)

const (
	// InitBudget is how long, from process start, AwaitInit holds the init
	// phase for the app: below Lambda's 10 s init limit, with room for the
	// runtime's first call to the Runtime API.
	InitBudget = 9 * time.Second
	// StopGrace is how long Stop gives the app between SIGTERM and SIGKILL:
	// Lambda leaves the runtime 500 ms of the shutdown phase when an
	// extension is registered (300 ms with an external one).
	StopGrace = 300 * time.Millisecond
	// readyEvery is the pause between readiness requests.
	readyEvery = 10 * time.Millisecond
	// answeredEvery is the pause after an answer that is not ready: an app
	// that answers 500 logs a traceback for each request.
	answeredEvery = 500 * time.Millisecond
	// restartUptime is how long the app must have been ready for watch to
	// start it again at once when it dies; one that dies sooner is started
	// by the next request, so that an app that crashes as soon as it is up
	// does not restart in a loop.
	restartUptime = time.Second
	// LivenessTimeout is how long the app has to answer its ready path,
	// with any status, when the request before timed out; one that does not
	// is wedged and is started again.
	LivenessTimeout = 3 * time.Second
	// minLiveness is the least time a check is worth: with less left, a
	// request skips it and the next one checks.
	minLiveness = 250 * time.Millisecond
)

// ErrStarting is the error of a request whose context ended while the app
// was still starting.
var ErrStarting = errors.New("the app is still starting")

// StartingError is the error of a request whose context ended while the
// app was not ready: it matches ErrStarting and wraps the context's error.
// Status is the status of the app's last answer to its ready path Path (0
// when it has not answered), Detail the last readiness request's error
// otherwise ("" when none was made).
type StartingError struct {
	Waited time.Duration
	Path   string
	Status int
	Detail string
	Err    error
}

func (e *StartingError) Error() string {
	return fmt.Sprintf("%v after %s (%s): %v", ErrStarting, e.Waited.Round(time.Millisecond), e.LastCheck(), e.Err)
}

// LastCheck says what the last readiness request got, for logs.
func (e *StartingError) LastCheck() string {
	switch {
	case e.Status != 0:
		return fmt.Sprintf("the app answers %d on %s", e.Status, e.Path)
	case e.Detail != "":
		return "last readiness request: " + e.Detail
	}
	return "no readiness request made yet"
}

// Is reports whether target is ErrStarting.
func (e *StartingError) Is(target error) bool { return target == ErrStarting }

// Unwrap returns the context's error.
func (e *StartingError) Unwrap() error { return e.Err }

// ErrStopped is the error of a request made after Stop.
var ErrStopped = errors.New("the app has been stopped")

// App is the supervised app. Its methods are safe for concurrent use.
type App struct {
	cfg    Config
	log    *slog.Logger
	out    *childproc.LineWriter
	ctx    context.Context // ends with Stop; bounds the readiness requests
	cancel context.CancelFunc

	mu      sync.Mutex
	cur     *instance
	snapped *instance // the process the snapshot holds (Hook(BeforeSnapshot)), for Revive
	stopped bool
}

// instance is one run of the app.
type instance struct {
	p       *childproc.Process
	started time.Time
	ready   chan struct{} // closed when the app answered the readiness request
	cleaned chan struct{} // closed once it exited and its group was killed
	// booting is how long, in nanoseconds, invocations (and the init) have
	// waited for it to be ready: its boot's running time, as the function
	// is frozen between invocations and a clock is not.
	booting atomic.Int64
	// suspect is set when a request to it timed out: the next request
	// checks that it still answers (App.check).
	suspect atomic.Bool
	// lastCheck is the outcome of its latest readiness request.
	lastCheck atomic.Pointer[readyCheck]
}

// readyCheck is a readiness request's outcome: the answer's status, or 0
// and the error of a request that got none.
type readyCheck struct {
	status int
	err    error
}

// observe records a readiness request's outcome.
func (inst *instance) observe(status int, err error) {
	inst.lastCheck.Store(&readyCheck{status: status, err: err})
}

// starting returns the StartingError of a request that waited for inst
// for waited until ctx ended; path is the ready path.
func (inst *instance) starting(ctx context.Context, path string, waited time.Duration) *StartingError {
	e := &StartingError{Waited: waited, Path: path, Err: ctx.Err()}
	if c := inst.lastCheck.Load(); c != nil {
		e.Status = c.status
		if c.status == 0 && c.err != nil {
			e.Detail = c.err.Error()
		}
	}
	return e
}

// Start starts the app as cfg says, its stdout and stderr going to output
// line by line (the function's own output, so CloudWatch gets one event per
// line), and returns at once; readiness is watched in the background. The
// error is non-nil only when /bin/sh cannot be started.
func Start(cfg Config, output io.Writer, logger *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: logger, out: childproc.NewLineWriter(output, "")}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.mu.Lock()
	defer a.mu.Unlock()
	inst, err := a.launch()
	if err != nil {
		a.cancel()
		return nil, err
	}
	a.cur = inst
	return a, nil
}

// launch starts a run of the app and its watcher; a.mu is held.
func (a *App) launch() (*instance, error) {
	cmd := exec.Command("/bin/sh", "-c", a.cfg.Command)
	cmd.Dir, cmd.Env = a.cfg.Dir, a.cfg.environ()
	// KillWithParent: an app must not outlive a supervisor killed without
	// warning. gunicorn's workers share the app's process group (Stop reaches
	// them) and exit on their own when their master is gone.
	p, err := childproc.Start("app", cmd, childproc.Options{Output: a.out, KillWithParent: true})
	if err != nil {
		return nil, fmt.Errorf("start the app (UPSTREAM_COMMAND): %w", err)
	}
	inst := &instance{p: p, started: time.Now(), ready: make(chan struct{}), cleaned: make(chan struct{})}
	a.log.Info("app started", slog.Int("pid", p.Pid()), slog.String("dir", a.cfg.Dir))
	go a.watch(inst)
	return inst, nil
}

// watch follows inst from readiness to exit, then restarts the app if it
// died after it had been ready for restartUptime.
func (a *App) watch(inst *instance) {
	readiness := childproc.Readiness{
		URL:   a.cfg.URL.String() + a.cfg.ReadyPath, // the URL has no trailing slash
		Host:  a.cfg.ReadyHost,
		Every: readyEvery,
		Ready: func(status int) bool { return status >= 100 && status <= 499 },

		AnsweredEvery: answeredEvery,
		Observe:       inst.observe,
	}
	wasReady := false
	var readyAt time.Time
	if err := childproc.AwaitHTTP(a.ctx, inst.p, readiness); err == nil {
		wasReady, readyAt = true, time.Now()
		close(inst.ready)
		a.log.Info("app ready", slog.Int("pid", inst.p.Pid()), slog.Int64("duration_ms", time.Since(inst.started).Milliseconds()))
	}
	<-inst.p.Exited()
	expected := inst.p.Stopping()
	inst.p.Stop(0) // what is left of its group: workers of a killed master
	close(inst.cleaned)
	if expected {
		return
	}
	a.log.Error("app exited", slog.Int("pid", inst.p.Pid()), slog.String("status", childproc.ExitStatus(inst.p.Err())),
		slog.Bool("was_ready", wasReady), slog.Int64("duration_ms", time.Since(inst.started).Milliseconds()))
	if !wasReady || time.Since(readyAt) < restartUptime {
		return // the next request starts it again: a command that fails at once must not spin
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped || a.cur != inst {
		return
	}
	if next, err := a.launch(); err != nil {
		a.log.Error("app restart failed", slog.String("error", err.Error()))
	} else {
		a.cur = next
	}
}

// current returns the running app, starting a new one if the last exited.
func (a *App) current() (*instance, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return nil, ErrStopped
	}
	select {
	case <-a.cur.p.Exited():
		<-a.cur.cleaned // its group is gone, so its port is free
		next, err := a.launch()
		if err != nil {
			return nil, err
		}
		a.cur = next
	default:
	}
	return a.cur, nil
}

// exitError describes inst's exit; inst must have exited.
func (inst *instance) exitError() *childproc.ExitError {
	return &childproc.ExitError{Name: "app", Status: childproc.ExitStatus(inst.p.Err()), Tail: inst.p.Tail()}
}

// await returns the app once it is ready, checking first that one whose
// last request timed out still answers (check), and starting it again when
// it has been booting for Config.BootTimeout of the time invocations waited
// for it. It fails with an *childproc.ExitError if the app exits first, and
// with ErrStarting (wrapping ctx's error) if ctx ends first.
func (a *App) await(ctx context.Context) (*instance, error) {
	inst, err := a.current()
	if err == nil && inst.suspect.Load() {
		inst, err = a.check(ctx, inst, "a request to it timed out")
	}
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for {
		select {
		case <-inst.ready:
			return inst, nil
		default:
		}
		left := a.cfg.bootTimeout() - time.Duration(inst.booting.Load())
		timer := time.NewTimer(max(left, 0))
		waitStart := time.Now()
		select {
		case <-inst.ready:
		case <-inst.p.Exited():
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
		inst.booting.Add(int64(time.Since(waitStart)))
		switch {
		case isClosed(inst.ready):
			return inst, nil
		case isClosed(inst.p.Exited()):
			return nil, inst.exitError()
		case ctx.Err() != nil:
			return nil, inst.starting(ctx, a.cfg.ReadyPath, time.Since(start))
		}
		why := fmt.Sprintf("not ready after %s of boot (UPSTREAM_BOOT_TIMEOUT); %s", a.cfg.bootTimeout(),
			inst.starting(ctx, a.cfg.ReadyPath, 0).LastCheck())
		if inst, err = a.restart(inst, why); err != nil {
			return nil, err
		}
	}
}

// isClosed reports whether c is closed.
func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// check returns inst, whose last request timed out (or which was just
// restored from a snapshot: after says which), if it answers its ready path within LivenessTimeout, or half the time ctx leaves if less
// (the rest is for a fresh app) — with any status: an app that answers is
// not wedged, however unhealthy — and otherwise starts the app again and
// returns the new run. One slow request leaves a threaded app room to
// answer; only an app with no room left, or hung, is replaced.
func (a *App) check(ctx context.Context, inst *instance, after string) (*instance, error) {
	limit := LivenessTimeout
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(dl)/2)
	}
	if limit < minLiveness {
		return inst, nil // no time to tell: the next request checks
	}
	probe, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start := time.Now()
	err := childproc.AwaitHTTP(probe, inst.p, childproc.Readiness{
		URL:   a.cfg.URL.String() + a.cfg.ReadyPath,
		Host:  a.cfg.ReadyHost,
		Every: readyEvery,
	})
	var exited *childproc.ExitError
	switch {
	case err == nil:
		inst.suspect.Store(false)
		return inst, nil
	case errors.As(err, &exited):
		return a.current() // watch logged it; a fresh run starts
	case ctx.Err() != nil:
		return nil, fmt.Errorf("check that the app still answers: %w", ctx.Err())
	}
	return a.restart(inst, fmt.Sprintf("no answer to %s within %s after %s",
		a.cfg.ReadyPath, time.Since(start).Round(time.Millisecond), after))
}

// restart stops inst, if it is still the app's current run, and starts the
// app again; it returns the current run.
func (a *App) restart(inst *instance, why string) (*instance, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return nil, ErrStopped
	}
	if a.cur != inst {
		return a.cur, nil
	}
	a.log.Error("app wedged: starting it again", slog.Int("pid", inst.p.Pid()), slog.String("reason", why),
		slog.Int64("duration_ms", time.Since(inst.started).Milliseconds()))
	inst.p.Stop(StopGrace)
	<-inst.cleaned // its group is gone, so its port is free
	next, err := a.launch()
	if err != nil {
		return nil, err
	}
	a.cur = next
	return next, nil
}

// AwaitInit holds the init phase until the app is ready, it exits, or
// deadline passes, whichever comes first, and logs which; an app that hangs
// at boot is started again as for a request (see await). Past the deadline
// the function should take invocations anyway: the first one waits for the
// rest of the boot (see InitBudget).
func (a *App) AwaitInit(deadline time.Time) {
	ctx, cancel := context.WithDeadline(a.ctx, deadline)
	defer cancel()
	a.mu.Lock()
	cur := a.cur
	a.mu.Unlock()
	if isClosed(cur.p.Exited()) {
		return // watch logs it; the first request starts it again
	}
	_, err := a.await(ctx)
	var starting *StartingError
	if errors.As(err, &starting) && errors.Is(err, context.DeadlineExceeded) {
		a.log.Warn("app not ready within the init budget: taking invocations, the first one waits for it",
			slog.String("last_check", starting.LastCheck()), slog.Int64("duration_ms", time.Since(cur.started).Milliseconds()))
	}
}

// Stop stops the app for good: SIGTERM to its process group, StopGrace for
// it to exit, then SIGKILL to what is left. Requests after it fail with
// ErrStopped.
func (a *App) Stop() {
	a.mu.Lock()
	a.stopped = true
	inst := a.cur
	a.mu.Unlock()
	a.cancel()
	inst.p.Stop(StopGrace)
	<-inst.cleaned
	a.out.Close() // a last unterminated line
}
