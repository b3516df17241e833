package hostforward

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/coldstart"
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

// Build is the function's cold start, run by internal/coldstart for
// functions/hostforward and for the local stack's `djfront __lambda
// hostforward`: ConfigFromEnv through env, then (the variables read first,
// so that an error names the function's variable) the AWS configuration and
// Setup with a Secrets Manager client and the app's output on stdout. In the
// in-function mode that starts the app.
func Build(ctx context.Context, env coldstart.Env, logger *slog.Logger) (any, error) {
	cfg, err := ConfigFromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := coldstart.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return Setup(ctx, cfg, Deps{
		Secrets:   secretsmanager.NewFromConfig(awsCfg),
		AppOutput: os.Stdout,
		Logger:    logger,
	})
}

// Setup makes the function ready for its first invocation and returns its
// Lambda handler, for lambda.Start, or an error naming what failed; on error
// nothing it started is left running. Without cfg.App the handler is the
// [Handler] itself ([Handler.Invoke]: a payload that is not an HTTP API
// event of payload format 2.0 fails as an [*UnsupportedEventError]). With
// cfg.App it starts the app before
// it reads the secrets, returns once the app is ready or appproc.InitBudget
// has passed, and the handler also answers management invocations and, on
// Lambda's SIGTERM, stops the app and exits the process. With
// cfg.SnapStart it returns once the environment was snapshotted and
// restored (snapStart); a failure is then also reported to the Runtime API.
// The steps and their reasons are in the package documentation.
func Setup(ctx context.Context, cfg Config, deps Deps) (lambda.Handler, error) {
	if cfg.App == nil {
		transport := NewTransport()
		h, err := newWithinTimeout(ctx, cfg, transport, deps)
		if err != nil {
			return nil, err
		}
		if cfg.SnapStart != nil {
			if err := snapStart(ctx, *cfg.SnapStart, h, transport, nil, deps.Logger); err != nil {
				return nil, err
			}
		}
		return h, nil // Handler.Invoke
	}
	appCfg := *cfg.App
	if cfg.SnapStart != nil {
		appCfg.HookToken = appproc.NewHookToken()
	}
	app, err := appproc.Start(appCfg, deps.AppOutput, deps.Logger)
	if err != nil {
		return nil, err
	}
	transport := NewTransport()
	h, err := newWithinTimeout(ctx, cfg, app.Transport(transport), deps)
	if err != nil {
		app.Stop()
		return nil, err
	}
	d := dispatch.New(h.Invoke, dispatch.Manage{Run: app.Manage, Allow: cfg.App.ManageAllow, MaxOutput: appproc.MaxManageOutput}, deps.Logger)
	stop := func() {
		app.Stop()
		os.Exit(0)
	}
	if cfg.SnapStart != nil {
		if err := snapStart(ctx, *cfg.SnapStart, h, transport, &snapApp{app: app, stop: stop}, deps.Logger); err != nil {
			app.Stop()
			return nil, err
		}
		return d, nil // SIGTERM: see snapStart; d encodes its own responses
	}
	app.AwaitInit(appproc.ProcessStart().Add(appproc.InitBudget))
	return lambda.NewHandlerWithOptions(d, lambda.WithEnableSIGTERM(stop)), nil
}

// newWithinTimeout is New with the secrets read within SecretsTimeout.
func newWithinTimeout(ctx context.Context, cfg Config, transport http.RoundTripper, deps Deps) (*Handler, error) {
	ctx, cancel := context.WithTimeout(ctx, SecretsTimeout)
	defer cancel()
	return New(ctx, cfg, transport, deps.Secrets, deps.Logger)
}
