// Command hostforward is the Lambda behind the API Gateway HTTP API: it
// forwards each payload-2.0 event to the app at UPSTREAM_URL with the
// viewer's host, scheme and client address restored and checked. See
// package internal/hostforward for the behaviour and README.md for the
// configuration.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/hostforward"
)

// secretsTimeout bounds reading the secrets at cold start.
const secretsTimeout = 5 * time.Second

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := hostforward.ConfigFromEnv(os.Getenv)
	if err != nil {
		logger.Error("invalid configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	// Secrets Manager is reached only when an _ARN variable is set; the
	// endpoint and region come from the SDK's settings (AWS_ENDPOINT_URL…).
	// The bound leaves the failure time to be logged within Lambda's 10 s
	// init limit (a VPC without a route to Secrets Manager hangs otherwise).
	ctx, cancel := context.WithTimeout(context.Background(), secretsTimeout)
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		err = fmt.Errorf("load aws configuration: %w", err)
	} else {
		err = cfg.LoadSecrets(ctx, secretsmanager.NewFromConfig(awsCfg), logger)
	}
	cancel()
	if err != nil {
		logger.Error("cannot read the secrets", slog.String("error", err.Error()))
		os.Exit(1)
	}
	h := hostforward.New(cfg, hostforward.NewTransport(), logger)
	// The response-size check assumes the runtime encodes without HTML escaping
	// (the default, made explicit here).
	lambda.StartWithOptions(h.Handle, lambda.WithSetEscapeHTML(false))
}
