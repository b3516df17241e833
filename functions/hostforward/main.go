// Command hostforward is the Lambda behind the API Gateway HTTP API: it
// forwards each payload-2.0 event to the app at UPSTREAM_URL with the
// viewer's host, scheme and client address restored and checked. With
// UPSTREAM_COMMAND it also runs the app itself, inside the function, and
// answers management invocations. See packages internal/hostforward,
// internal/appproc and internal/dispatch for the behaviour and README.md for
// the configuration.
package main

import (
	"errors"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/dispatch"
	"github.com/djfront/djfront/internal/hostforward"
)

func main() {
	start := appproc.ProcessStart()
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := hostforward.ConfigFromEnv(os.Getenv)
	appCfg, inFunction, appErr := appproc.ConfigFromEnv(os.Getenv, cfg.Upstream, cfg.AllowedHosts.FirstExact())
	if err := errors.Join(err, appErr); err != nil {
		logger.Error("invalid configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	// The response-size check assumes the runtime encodes without HTML escaping
	// (the default, made explicit here).
	noEscape := lambda.WithSetEscapeHTML(false)
	if !inFunction {
		h := hostforward.New(cfg, hostforward.NewTransport(), logger)
		lambda.StartWithOptions(h.Handle, noEscape)
		return
	}

	app, err := appproc.Start(appCfg, os.Stdout, logger)
	if err != nil {
		logger.Error("cannot start the app", slog.String("error", err.Error()))
		os.Exit(1)
	}
	h := hostforward.New(cfg, app.Transport(hostforward.NewTransport()), logger)
	d := dispatch.New(h.Handle, app.Manage, appproc.MaxManageOutput, logger)
	app.AwaitInit(start.Add(appproc.InitBudget))
	// WithEnableSIGTERM registers an extension with no events, the only way
	// to make Lambda send SIGTERM (not just SIGKILL) at shutdown.
	lambda.StartWithOptions(d.Handle, noEscape, lambda.WithEnableSIGTERM(func() {
		app.Stop()
		os.Exit(0)
	}))
}
