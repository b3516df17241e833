package childproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Result is the outcome of Run.
type Result struct {
	// ExitCode is the command's exit status; -1 when a signal ended it.
	ExitCode int
	// Output is its stdout and stderr interleaved, the last bytes only.
	Output string
	// Truncated reports that earlier output was dropped.
	Truncated bool
	// Killed reports that Run killed the command because ctx ended.
	Killed bool
}

// outputWait bounds how long Run waits, after the command exited, for the
// rest of its output: a daemon that left the group may hold the pipe open.
const outputWait = time.Second

// drainWait is how long Run reads output already written once ctx has
// ended.
const drainWait = 50 * time.Millisecond

// Run runs cmd to completion in a process group of its own with its combined
// output kept in a Tail of tailSize bytes. When ctx ends first, the whole
// group is killed and Result.Killed is set. Run returns by ctx's end even
// when a process that left the group still holds the output open (then
// outputWait after the command's exit at the latest). The error is non-nil
// only when the command could not be started (then there is no Result).
func Run(ctx context.Context, cmd *exec.Cmd, tailSize int) (Result, error) {
	tail := NewTail(tailSize)
	// Our own pipe rather than exec's: exec.Cmd.Wait waits its WaitDelay
	// for the output whatever the context says.
	pr, pw, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	defer pr.Close()
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	pw.Close() // the command has its own copy
	if err != nil {
		return Result{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(tail, pr) // ends at EOF or when pr is closed
		close(copied)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killed := false
	select {
	case err = <-done:
	case <-ctx.Done():
		killed = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	// Also after a clean exit: a background child of the command may linger.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	timer := time.NewTimer(outputWait)
	defer timer.Stop()
	select {
	case <-copied:
	case <-timer.C:
	case <-ctx.Done(): // past the deadline: only what is already written
		drain := time.NewTimer(drainWait)
		select {
		case <-copied:
		case <-drain.C:
		}
		drain.Stop()
	}
	pr.Close()
	<-copied
	res := Result{Output: tail.String(), Truncated: tail.Truncated(), Killed: killed}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	default:
		res.ExitCode = cmd.ProcessState.ExitCode() // -1 if Wait learnt nothing
	}
	return res, nil
}
