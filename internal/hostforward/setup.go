package hostforward

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/dispatch"
	"github.com/djfront/djfront/internal/secretcache"
)

// SecretsTimeout bounds reading the secrets at cold start.
const SecretsTimeout = 5 * time.Second

// Deps are what Setup builds the function with besides its Config.
type Deps struct {
	// Secrets reads the secrets Config names by ARN (a
	// *secretsmanager.Client); it is not called when Config names none.
	Secrets secretcache.API
	// AppOutput receives the in-function app's output, line by line: the
	// function's stdout.
	AppOutput io.Writer
	// Logger receives the function's log lines.
	Logger *slog.Logger
}

// Setup makes the function ready for its first invocation and returns its
// Lambda handler, for lambda.Start, or an error naming what failed; on error
// nothing it started is left running. Without cfg.App the handler is the
// [Handler] itself ([Handler.Invoke]: a payload that is not an HTTP API
// event of payload format 2.0 fails as an [*UnsupportedEventError]). With
// cfg.App it starts the app before
// it reads the secrets, returns once the app is ready or appproc.InitBudget
// has passed, and the handler also answers management invocations and, on
// Lambda's SIGTERM, stops the app and exits the process. The steps and their
// reasons are in the package documentation.
func Setup(ctx context.Context, cfg Config, deps Deps) (lambda.Handler, error) {
	if cfg.App == nil {
		h, err := newWithinTimeout(ctx, cfg, NewTransport(), deps)
		if err != nil {
			return nil, err
		}
		return h, nil // Handler.Invoke
	}
	app, err := appproc.Start(*cfg.App, deps.AppOutput, deps.Logger)
	if err != nil {
		return nil, err
	}
	h, err := newWithinTimeout(ctx, cfg, app.Transport(NewTransport()), deps)
	if err != nil {
		app.Stop()
		return nil, err
	}
	d := dispatch.New(h.Invoke, dispatch.Manage{Run: app.Manage, Allow: cfg.App.ManageAllow, MaxOutput: appproc.MaxManageOutput}, deps.Logger)
	app.AwaitInit(appproc.ProcessStart().Add(appproc.InitBudget))
	return lambda.NewHandlerWithOptions(d, noHTMLEscape(), lambda.WithEnableSIGTERM(func() {
		app.Stop()
		os.Exit(0)
	})), nil
}

// newWithinTimeout is New with the secrets read within SecretsTimeout.
func newWithinTimeout(ctx context.Context, cfg Config, transport http.RoundTripper, deps Deps) (*Handler, error) {
	ctx, cancel := context.WithTimeout(ctx, SecretsTimeout)
	defer cancel()
	return New(ctx, cfg, transport, deps.Secrets, deps.Logger)
}

// noHTMLEscape makes the runtime encode responses without HTML escaping,
// which checkPayloadSize assumes (the default, made explicit).
func noHTMLEscape() lambda.Option { return lambda.WithSetEscapeHTML(false) }
