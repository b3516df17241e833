// Command hostforward is the Lambda behind the API Gateway HTTP API: it
// forwards each payload-2.0 event to the app at UPSTREAM_URL with the
// viewer's host, scheme and client address restored and checked. With
// UPSTREAM_COMMAND it also runs the app itself, inside the function, and
// answers management invocations. See packages internal/hostforward,
// internal/appproc and internal/dispatch for the behaviour and README.md for
// the configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/dispatch"
	"github.com/djfront/djfront/internal/hostforward"
)

// secretsTimeout bounds reading the secrets at cold start.
const secretsTimeout = 5 * time.Second

func main() {
	start := appproc.ProcessStart()
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := hostforward.ConfigFromEnv(os.Getenv)
	appCfg, inFunction, appErr := appproc.ConfigFromEnv(os.Getenv, cfg.Upstream, cfg.AllowedHosts.FirstExact())
	if err := errors.Join(err, appErr); err != nil {
		logger.Error("invalid configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	var app *appproc.App
	if inFunction { // first, so that the app boots while the secrets are read
		if app, err = appproc.Start(appCfg, os.Stdout, logger); err != nil {
			logger.Error("cannot start the app", slog.String("error", err.Error()))
			os.Exit(1)
		}
	}
	if err := loadSecrets(&cfg, logger); err != nil {
		logger.Error("cannot read the secrets", slog.String("error", err.Error()))
		if app != nil {
			app.Stop()
		}
		os.Exit(1)
	}

	if app != nil {
		cfg.PinUpstreamCredential(context.Background())
	}

	// The response-size check assumes the runtime encodes without HTML escaping
	// (the default, made explicit here).
	noEscape := lambda.WithSetEscapeHTML(false)
	if app == nil {
		h := hostforward.New(cfg, hostforward.NewTransport(), logger)
		lambda.StartWithOptions(h.Handle, noEscape)
		return
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

// loadSecrets reads the secrets cfg names by ARN. Secrets Manager is reached
// only when an _ARN variable is set; the endpoint and region come from the
// SDK's settings (AWS_ENDPOINT_URL…). The bound leaves the failure time to be
// logged within Lambda's 10 s init limit (a VPC without a route to Secrets
// Manager hangs otherwise).
func loadSecrets(cfg *hostforward.Config, logger *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), secretsTimeout)
	defer cancel()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws configuration: %w", err)
	}
	return cfg.LoadSecrets(ctx, secretsmanager.NewFromConfig(awsCfg), logger)
}
