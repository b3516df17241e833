// Command hostforward is the Lambda behind the API Gateway HTTP API: it
// forwards each payload-2.0 event to the app at UPSTREAM_URL with the
// viewer's host, scheme and client address restored and checked. With
// UPSTREAM_COMMAND it also runs the app itself, inside the function, and
// answers management invocations. The work is done by package
// github.com/djfront/djfront/internal/hostforward (with internal/appproc and
// internal/dispatch); this command reads the configuration, failing at cold
// start with a message that names the variable at fault, builds the AWS
// clients once (endpoints and region from the SDK's standard settings:
// AWS_REGION, AWS_ENDPOINT_URL…) and runs the Lambda loop.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/hostforward"
)

// logger writes the function's JSON log lines to stdout, for CloudWatch.
var logger = slog.New(slog.NewJSONHandler(os.Stdout, nil))

func main() {
	if err := run(context.Background(), os.Getenv); err != nil {
		logger.Error("cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// run starts the Lambda loop, which never returns; an error is a failure
// at cold start.
func run(ctx context.Context, getenv func(string) string) error {
	cfg, err := hostforward.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws configuration: %w", err)
	}
	h, err := hostforward.Setup(ctx, cfg, hostforward.Deps{
		Secrets:   secretsmanager.NewFromConfig(awsCfg),
		AppOutput: os.Stdout,
		Logger:    logger,
	})
	if err != nil {
		return err
	}
	lambda.Start(h)
	return nil
}
