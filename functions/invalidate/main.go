// Command invalidate is the invalidate Lambda: S3 event notifications about
// the static and media files bucket in (via SQS, SNS or EventBridge), the
// fewest CloudFront invalidations that cover every changed file out. The
// work is done by package github.com/djfront/djfront/internal/invalidate;
// this command reads the configuration, failing at cold start with a message
// that names the variable at fault, builds the AWS clients once (endpoints
// and region from the SDK's standard settings: AWS_REGION, AWS_ENDPOINT_URL,
// AWS_ENDPOINT_URL_CLOUDFRONT, AWS_ENDPOINT_URL_S3…) and runs the Lambda
// loop.
//
// Build it as Lambda runs it:
//
//	CGO_ENABLED=0 GOOS=linux go build -tags lambda.norpc -o bootstrap ./functions/invalidate
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/djfront/djfront/internal/invalidate"
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
	cfg, err := invalidate.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws configuration: %w", err)
	}
	lambda.Start(invalidate.New(cfg, awsCfg, logger))
	return nil
}
