package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/manageapi"
)

// Manager runs a management command with args (appproc.App.Manage).
type Manager func(ctx context.Context, args []string) (childproc.Result, error)

// Manage is how a Handler answers management invocations.
type Manage struct {
	// Run runs a command that passed the checks.
	Run Manager
	// Allow lists the commands (a management invocation's first argument)
	// that may run; empty refuses every management invocation.
	Allow []string
	// MaxOutput is how many bytes of a command's output are returned: its
	// last ones.
	MaxOutput int
}

// ManageRefusedError is the Lambda error (errorType "ManageRefusedError")
// for a management invocation refused before anything ran: not invoked
// through manageapi.Alias, not synchronous, or a command or argument not
// allowed. Reason says which, and what to do.
type ManageRefusedError struct {
	Reason string
}

func (e *ManageRefusedError) Error() string { return "management invocation refused: " + e.Reason }

// ManageError is the Lambda error (errorType "ManageError") for a
// management command that could not be started at all.
type ManageError struct {
	Err error
}

func (e *ManageError) Error() string { return "management command: " + e.Err.Error() }

func (e *ManageError) Unwrap() error { return e.Err }

// killedNote ends the output of a management command killed at the deadline.
const killedNote = "\n[djfront: killed shortly before the invocation deadline]\n"

// notSynchronous is the reason an invocation without the client context
// marker is refused.
var notSynchronous = fmt.Sprintf("no %s marker in the client context: management runs only in a synchronous invocation "+
	`(InvocationType RequestResponse) whose client context is {"custom": {%q: %q}}, as djfront manage sends it; `+
	"Lambda passes no client context to an asynchronous (Event) invocation", manageapi.MarkerKey, manageapi.MarkerKey, manageapi.MarkerValue)

// runManage checks a management invocation, runs it if it passes, and logs
// one line either way: who asked (what Lambda tells), the arguments with
// their secrets masked, and the outcome.
func (h *Handler) runManage(ctx context.Context, args []string) (manageapi.Result, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	attrs := manageAttrs(ctx, lc, args)
	if refused := h.check(lc, args); refused != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "manage refused", append(attrs, slog.String("reason", refused.Reason))...)
		return manageapi.Result{}, refused
	}
	start := time.Now()
	res, err := h.manage.Run(ctx, args)
	attrs = append(attrs, slog.Int64("duration_ms", time.Since(start).Milliseconds()))
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "manage", append(attrs, slog.String("error", err.Error()))...)
		return manageapi.Result{}, &ManageError{Err: err}
	}
	out := res.Output
	if res.Killed {
		out = lastBytes(out, h.manage.MaxOutput-len(killedNote)) + killedNote
	}
	attrs = append(attrs,
		slog.Int("exit_code", res.ExitCode),
		slog.Bool("killed", res.Killed),
		slog.Bool("truncated", res.Truncated),
		slog.Int("output_bytes", len(out)),
	)
	level := slog.LevelInfo
	if res.ExitCode != 0 {
		level = slog.LevelWarn
	}
	h.log.LogAttrs(ctx, level, "manage", attrs...)
	return manageapi.Result{ExitCode: res.ExitCode, Output: validUTF8Start(out)}, nil
}

// check returns why a management invocation with args, invoked as lc says,
// must not run, or nil. The order: the grant (the alias), the invocation
// type, then the command.
func (h *Handler) check(lc *lambdacontext.LambdaContext, args []string) *ManageRefusedError {
	if lc == nil {
		return &ManageRefusedError{Reason: "no Lambda invocation context"}
	}
	if _, q := manageapi.SplitQualifier(lc.InvokedFunctionArn); q != manageapi.Alias {
		return &ManageRefusedError{Reason: fmt.Sprintf("invoked as %q, not through the alias %q: invoke FUNCTION:%s "+
			"(djfront manage does by default), which IAM grants apart from the function (the stack's ManagePolicyArn output)",
			lc.InvokedFunctionArn, manageapi.Alias, manageapi.Alias)}
	}
	if lc.ClientContext.Custom[manageapi.MarkerKey] != manageapi.MarkerValue {
		return &ManageRefusedError{Reason: notSynchronous}
	}
	return h.checkArgs(args)
}

// commandName is the shape of a Django management command's name (a
// Python module's).
var commandName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkArgs returns why args must not run, or nil: a command not in the
// allow-list, an option that makes Django import other code, a password on
// createsuperuser's command line.
func (h *Handler) checkArgs(args []string) *ManageRefusedError {
	allowed := strings.Join(h.manage.Allow, ", ")
	widen := "the function's MANAGE_ALLOW (the stack's ManageCommands parameter) sets the list"
	switch {
	case len(h.allow) == 0:
		return &ManageRefusedError{Reason: "management is off (MANAGE_ALLOW=none); " + widen}
	case len(args) == 0 || !commandName.MatchString(args[0]):
		return &ManageRefusedError{Reason: "the first argument must be a command name, one of: " + allowed}
	case !h.allow[args[0]]:
		return &ManageRefusedError{Reason: fmt.Sprintf("command %q is not allowed; allowed: %s (%s)", args[0], allowed, widen)}
	}
	for _, arg := range args[1:] {
		name, _, _ := strings.Cut(arg, "=")
		if loadsOtherCode(name) {
			return &ManageRefusedError{Reason: fmt.Sprintf("option %s is refused: it would make Django import code from "+
				"elsewhere than the app's settings (DJANGO_SETTINGS_MODULE)", name)}
		}
		if args[0] == "createsuperuser" && strings.HasPrefix(name, "-") && secretName(name) {
			return &ManageRefusedError{Reason: "createsuperuser takes no password on the command line (it would travel in " +
				"the invocation): run createsuperuser --noinput, which takes DJANGO_SUPERUSER_PASSWORD from the function's " +
				"environment or, without it, creates the user with an unusable password (docs/hostforward.md#createsuperuser)"}
		}
	}
	return nil
}

// loadsOtherCode reports whether the option name is Django's --settings or
// --pythonpath, or an abbreviation of one that argparse would take for it.
func loadsOtherCode(name string) bool {
	if len(name) < 3 || !strings.HasPrefix(name, "--") {
		return false
	}
	return strings.HasPrefix("--settings", name) || strings.HasPrefix("--pythonpath", name)
}

// manageAttrs are the attributes of a management invocation's log line:
// the request id, the caller as far as Lambda tells, the command and the
// masked arguments.
func manageAttrs(ctx context.Context, lc *lambdacontext.LambdaContext, args []string) []slog.Attr {
	attrs := []slog.Attr{slog.String("request_id", requestID(ctx))}
	if lc != nil {
		attrs = append(attrs, callerAttr(lc))
	}
	if len(args) > 0 && commandName.MatchString(args[0]) {
		attrs = append(attrs, slog.String("command", args[0]))
	}
	return append(attrs, slog.Any("args", maskArgs(args)))
}

// maxClaim bounds a caller-supplied value in the log.
const maxClaim = 128

// callerAttr is the group "caller": everything the invocation carries about
// who made it. For an IAM caller Lambda tells the function nothing but the
// ARN it was invoked as; the Cognito identity is set only for calls made with
// Cognito credentials (mobile SDKs), and the client context's user name and
// application are what the caller chose to send (claims, not identities).
// CloudTrail's Lambda data events record the IAM identity.
func callerAttr(lc *lambdacontext.LambdaContext) slog.Attr {
	attrs := []any{slog.String("invoked_function_arn", lc.InvokedFunctionArn)}
	if id := lc.Identity; id.CognitoIdentityID != "" || id.CognitoIdentityPoolID != "" {
		attrs = append(attrs, slog.String("cognito_identity_id", id.CognitoIdentityID),
			slog.String("cognito_identity_pool_id", id.CognitoIdentityPoolID))
	}
	if user := lc.ClientContext.Custom[manageapi.UserKey]; user != "" {
		attrs = append(attrs, slog.String("claimed_user", clip(user, maxClaim)))
	}
	if app := lc.ClientContext.Client; app.AppTitle != "" || app.AppPackageName != "" {
		attrs = append(attrs, slog.String("claimed_app", clip(strings.TrimSpace(app.AppTitle+" "+app.AppPackageName), maxClaim)))
	}
	return slog.Group("caller", attrs...)
}

// lastBytes returns the last n bytes of s.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// validUTF8Start drops the bytes of a character cut off at the start of a
// truncated output, which JSON would turn into U+FFFD.
func validUTF8Start(s string) string {
	for i := 0; i < len(s) && i < utf8.UTFMax; i++ {
		if utf8.RuneStart(s[i]) {
			return s[i:]
		}
	}
	return s
}
