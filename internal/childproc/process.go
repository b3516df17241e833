package childproc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// DefaultTailSize is how much of a child's latest output a Process keeps
// when Options.TailSize is zero: enough for a traceback and the last
// requests' access lines.
const DefaultTailSize = 64 << 10

// exitOutputWait is how long a Process's exit waits for output still held
// open by processes that outlive the child (a daemon that left its group,
// a master's workers): short, because Exited, and Stop with it, wait that
// long, and Lambda leaves hostforward 500 ms at shutdown.
const exitOutputWait = 100 * time.Millisecond

// Options are the optional settings of Start.
type Options struct {
	// Output receives the child's stdout and stderr, interleaved as written.
	// Default: only the Tail keeps them.
	Output io.Writer
	// TailSize bounds the kept output. Default: DefaultTailSize.
	TailSize int
	// KillWithParent makes the kernel SIGKILL the child if the process that
	// started it dies first (Linux PR_SET_PDEATHSIG), so that an app cannot
	// outlive a supervisor killed without warning. It reaches the child only,
	// not the child's own children, which the child must handle (gunicorn's
	// workers exit when their master is gone).
	KillWithParent bool
}

// Process is a started child in a process group of its own. Its methods are
// safe for concurrent use.
type Process struct {
	name   string
	cmd    *exec.Cmd
	tail   *Tail
	exited chan struct{}
	err    error // cmd.Wait's result, set before exited is closed

	stopOnce sync.Once
	mu       sync.Mutex
	stopping bool
}

// Start starts cmd, named name in errors, in a process group of its own, its
// stdout and stderr going to opts.Output and the Process's Tail. cmd.Stdin
// is left as the caller set it (nil reads from the null device).
func Start(name string, cmd *exec.Cmd, opts Options) (*Process, error) {
	size := opts.TailSize
	if size <= 0 {
		size = DefaultTailSize
	}
	p := &Process{name: name, cmd: cmd, tail: NewTail(size), exited: make(chan struct{})}
	var w io.Writer = p.tail
	if opts.Output != nil {
		w = io.MultiWriter(opts.Output, p.tail)
	}
	cmd.Stdout, cmd.Stderr = w, w // one writer: one pipe, output stays in order
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Do not wait for the output of a grandchild that outlives the group
	// kill, or of workers that outlive their master.
	cmd.WaitDelay = exitOutputWait
	if opts.KillWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
		// The death signal follows the thread that forked the child: keep it
		// alive while the child runs, or the child dies with an idle thread.
		started := make(chan error, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			started <- cmd.Start()
			if cmd.Process != nil {
				p.wait()
			}
		}()
		if err := <-started; err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		return p, nil
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go p.wait()
	return p, nil
}

func (p *Process) wait() {
	p.err = p.cmd.Wait()
	close(p.exited)
}

// Name returns the name the Process was started with.
func (p *Process) Name() string { return p.name }

// Pid returns the child's process id, which is also its process group id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited returns a channel closed once the child has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err returns the child's exit error (nil for exit status 0) once Exited is
// closed; before that it returns nil.
func (p *Process) Err() error {
	select {
	case <-p.exited:
		return p.err
	default:
		return nil
	}
}

// Stopping reports whether Stop has been called: an exit after it is
// expected, any other is the child's own doing.
func (p *Process) Stopping() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopping
}

// Tail returns the child's latest output, at most the tail size.
func (p *Process) Tail() string { return p.tail.String() }

// Signal sends sig to the child alone, not to its process group (as Lambda
// sends SIGTERM to the runtime process only). It fails once the child has
// exited.
func (p *Process) Signal(sig os.Signal) error {
	select {
	case <-p.exited:
		return os.ErrProcessDone
	default:
	}
	return p.cmd.Process.Signal(sig)
}

// Stop ends the child's process group: SIGTERM, up to grace for the child to
// exit (none when grace is zero), then SIGKILL to whatever is left of the
// group. It returns once the child has exited; calls after the first wait
// for the first.
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		pgid := -p.Pid()
		if grace > 0 {
			_ = syscall.Kill(pgid, syscall.SIGTERM) // the group may be gone
			timer := time.NewTimer(grace)
			select {
			case <-p.exited:
			case <-timer.C:
			}
			timer.Stop()
		}
		_ = syscall.Kill(pgid, syscall.SIGKILL) // the group may be gone
	})
	<-p.exited
}

// ExitError is the error of a child that exited on its own, for example
// while AwaitHTTP waited for it.
type ExitError struct {
	Name   string // the Process's name
	Status string // as ExitStatus words it
	Tail   string // the child's latest output
}

func (e *ExitError) Error() string { return e.Name + " exited: " + e.Status }

// exitError returns p's exit as an *ExitError; p must have exited.
func (p *Process) exitError() *ExitError {
	return &ExitError{Name: p.name, Status: ExitStatus(p.err), Tail: p.Tail()}
}

// ExitStatus words the result of exec.Cmd.Wait as a person reads it:
// "exit status 0", "exit status 3", "signal: killed".
func ExitStatus(err error) string {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return "exit status 0"
	case errors.As(err, &exit):
		return exit.ProcessState.String()
	default:
		return err.Error()
	}
}

// DefaultGrace is the grace period the local tooling gives a server it
// stops (moto, gunicorn) between SIGTERM and SIGKILL: gunicorn's own
// graceful timeout and a margin.
const DefaultGrace = 3 * time.Second

// errorLines is how many lines of a child's output WithOutput shows.
const errorLines = 40

// WithOutput returns err, wrapped, followed by the last lines of p's output:
// what a person needs to see why a child did not start.
func WithOutput(err error, p *Process) error {
	return fmt.Errorf("%w\n%s output (last lines):\n%s", err, p.name, LastLines(p.Tail(), errorLines))
}
