// Command invalidate is the invalidate Lambda: S3 event notifications about
// the static and media files bucket in (via SQS, SNS or EventBridge), the
// fewest CloudFront invalidations that cover every changed file out. The work is done by package
// github.com/djfront/djfront/internal/invalidate; this command reads the
// configuration, failing at cold start with a message that names the
// variable at fault, builds the AWS clients once and starts the Lambda loop.
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

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := setup(logger)
	if err != nil {
		logger.Error("invalidate: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

// setup reads the configuration from the environment and builds the
// handler. AWS endpoints and the region come from the SDK's standard
// settings (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDFRONT,
// AWS_ENDPOINT_URL_S3…).
func setup(logger *slog.Logger) (*invalidate.Handler, error) {
	cfg, err := invalidate.ConfigFromEnv(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return nil, fmt.Errorf("load aws configuration: %w", err)
	}
	return invalidate.New(cfg, awsCfg, logger), nil
}
