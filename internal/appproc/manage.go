package appproc

import (
	"context"
	"os/exec"
	"time"

	"github.com/djfront/djfront/internal/childproc"
)

const (
	// ManageMargin is kept back from the invocation's deadline: the
	// management command is killed that long before it, so that its output
	// still reaches the caller.
	ManageMargin = 500 * time.Millisecond
	// MaxManageOutput bounds the output a management command returns: its
	// last 1 MiB.
	MaxManageOutput = 1 << 20
)

// Manage runs MANAGE_COMMAND with args appended as given — through
// `/bin/sh -c 'exec MANAGE_COMMAND "$@"'`, so the command may use shell
// words and variables while args reach it verbatim, never interpreted by a
// shell — in the app's directory and environment, with stdin at the null
// device. It is killed ManageMargin before ctx's deadline (Result.Killed).
// The error is non-nil only when the command could not be started.
func (a *App) Manage(ctx context.Context, args []string) (childproc.Result, error) {
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-ManageMargin))
		defer cancel()
	}
	argv := append([]string{"-c", "exec " + a.cfg.Manage + ` "$@"`, "manage"}, args...)
	cmd := exec.Command("/bin/sh", argv...)
	cmd.Dir, cmd.Env = a.cfg.Dir, a.cfg.environ()
	return childproc.Run(ctx, cmd, MaxManageOutput)
}
