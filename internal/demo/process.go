package demo

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a child has between SIGTERM and SIGKILL.
const stopGrace = 3 * time.Second

// process is a child (moto, gunicorn) in a process group of its own, so
// that stopping it reaches its own children (gunicorn's workers).
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *tail
	exited chan struct{} // closed when the process has exited
	err    error         // its exit status, set before exited is closed

	mu       sync.Mutex
	stopping bool
}

// startProcess starts cmd as name, its output going to log and to a tail
// kept for error messages.
func startProcess(name string, cmd *exec.Cmd, log io.Writer) (*process, error) {
	p := &process{name: name, cmd: cmd, out: &tail{}, exited: make(chan struct{})}
	w := io.MultiWriter(log, p.out)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// unexpectedExit returns a channel that receives an error naming the
// process if it exits before stop is called.
func (p *process) unexpectedExit() <-chan error {
	ch := make(chan error, 1)
	go func() {
		<-p.exited
		p.mu.Lock()
		stopping := p.stopping
		p.mu.Unlock()
		if !stopping {
			ch <- fmt.Errorf("%s (pid %d) exited unexpectedly: %v\n%s", p.name, p.cmd.Process.Pid, exitReason(p.err), p.out)
		}
	}()
	return ch
}

// stop ends the process group: SIGTERM, then SIGKILL after stopGrace.
func (p *process) stop() {
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
	}
	// Also after a clean exit: a worker may outlive its master.
	_ = syscall.Kill(pgid, syscall.SIGKILL)
	<-p.exited
}

func exitReason(err error) string {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ProcessState.String()
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// tail keeps the last output of a process, for error messages. It is safe
// for concurrent use.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if n := len(t.buf); n > tailMax {
		t.buf = t.buf[n-tailMax:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
