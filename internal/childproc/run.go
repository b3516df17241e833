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
	pr, err := startPiped(cmd)
	if err != nil {
		return Result{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	defer pr.Close()
	tail := NewTail(tailSize)
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(tail, pr) // ends at EOF or when pr is closed
		close(copied)
	}()
	killed, err := waitOrKill(ctx, cmd)
	// Also after a clean exit: a background child of the command may linger.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	awaitOutput(ctx, copied)
	pr.Close()
	<-copied
	return Result{ExitCode: exitCode(cmd, err), Output: tail.String(), Truncated: tail.Truncated(), Killed: killed}, nil
}

// startPiped starts cmd in a process group of its own, its stdout and
// stderr going to the write end of a pipe whose read end it returns. It is
// our own pipe rather than exec's: exec.Cmd.Wait waits its WaitDelay for the
// output whatever the context says.
func startPiped(cmd *exec.Cmd) (*os.File, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	pw.Close() // the command has its own copy
	if err != nil {
		pr.Close()
		return nil, err
	}
	return pr, nil
}

// waitOrKill waits for cmd to exit, killing its process group when ctx ends
// first (killed), and returns Wait's error.
func waitOrKill(ctx context.Context, cmd *exec.Cmd) (killed bool, err error) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
		return false, err
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return true, <-done
	}
}

// awaitOutput waits until copied is closed (the output reached EOF), but at
// most outputWait, and once ctx has ended only drainWait, for what is
// already written.
func awaitOutput(ctx context.Context, copied <-chan struct{}) {
	timer := time.NewTimer(outputWait)
	defer timer.Stop()
	select {
	case <-copied:
	case <-timer.C:
	case <-ctx.Done(): // past the deadline: only what is already written
		drain := time.NewTimer(drainWait)
		defer drain.Stop()
		select {
		case <-copied:
		case <-drain.C:
		}
	}
}

// exitCode is the exit status Wait's err tells: -1 when a signal ended the
// command.
func exitCode(cmd *exec.Cmd, err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		return cmd.ProcessState.ExitCode() // -1 if Wait learnt nothing
	}
}
