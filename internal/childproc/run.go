package childproc

import (
	"context"
	"errors"
	"fmt"
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

// Run runs cmd to completion in a process group of its own with its combined
// output kept in a Tail of tailSize bytes. When ctx ends first, the whole
// group is killed and Result.Killed is set. The error is non-nil only when
// the command could not be started (then there is no Result).
func Run(ctx context.Context, cmd *exec.Cmd, tailSize int) (Result, error) {
	tail := NewTail(tailSize)
	cmd.Stdout, cmd.Stderr = tail, tail
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
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
	res := Result{Output: tail.String(), Truncated: tail.Truncated(), Killed: killed}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	default: // the output copy did not finish within WaitDelay
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	return res, nil
}

// PythonImports reports whether python (an interpreter's path or name)
// imports module: how the tooling checks that a Python part it runs is
// installed. A python that cannot be started imports nothing.
func PythonImports(ctx context.Context, python, module string) bool {
	res, err := Run(ctx, exec.Command(python, "-c", "import "+module), 4<<10)
	return err == nil && res.ExitCode == 0
}
