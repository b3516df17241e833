package appproc

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
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

// DefaultManageAllow is MANAGE_ALLOW's default: the commands a deployment
// needs (schema, static files, the first admin user, checks) and none that
// runs arbitrary code or prints the settings (shell, dbshell, diffsettings).
var DefaultManageAllow = []string{"migrate", "collectstatic", "createsuperuser", "check", "showmigrations"}

// ManageOff is the MANAGE_ALLOW value that refuses every management
// invocation.
const ManageOff = "none"

// manageCommandName is the shape of a Django management command's name.
var manageCommandName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseManageAllow reads MANAGE_ALLOW: comma-separated command names, which
// replace DefaultManageAllow (list the defaults too to widen it); blank is
// the default, ManageOff an empty list.
func parseManageAllow(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	switch v {
	case "":
		return slices.Clone(DefaultManageAllow), nil
	case ManageOff:
		return []string{}, nil
	}
	var names []string
	for _, name := range strings.Split(v, ",") {
		name = strings.TrimSpace(name)
		if name == ManageOff {
			return nil, fmt.Errorf("%q stands alone (no management), got %q", ManageOff, v)
		}
		if !manageCommandName.MatchString(name) {
			return nil, fmt.Errorf("want comma-separated command names like %q, or %q; got %q in %q",
				strings.Join(DefaultManageAllow, ","), ManageOff, name, v)
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return names, nil
}

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
