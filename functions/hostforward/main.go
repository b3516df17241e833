// Command hostforward is the Lambda behind the API Gateway HTTP API: it
// forwards each payload-2.0 event to the app at UPSTREAM_URL with the
// viewer's host, scheme and client address restored and checked. See
// package internal/hostforward for the behaviour and README.md for the
// configuration.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/hostforward"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := hostforward.ConfigFromEnv(os.Getenv)
	if err != nil {
		logger.Error("invalid configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	// Secrets Manager is reached only when an _ARN variable is set; the
	// endpoint and region come from the SDK's settings (AWS_ENDPOINT_URL…).
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err == nil {
		err = cfg.LoadSecrets(context.Background(), secretsmanager.NewFromConfig(awsCfg), logger)
	}
	if err != nil {
		logger.Error("cannot read the secrets", slog.String("error", err.Error()))
		os.Exit(1)
	}
	h := hostforward.New(cfg, hostforward.NewTransport(), logger)
	// The response-size check assumes the runtime encodes without HTML escaping
	// (the default, made explicit here).
	lambda.StartWithOptions(h.Handle, lambda.WithSetEscapeHTML(false))
}
