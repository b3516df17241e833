// Command rotate is the Secrets Manager rotation function of the origin
// secret (X-Origin-Verify): a new random value, set on the CloudFront
// distribution's origin header, tested, then made AWSCURRENT. The work is
// done by package github.com/djfront/djfront/internal/rotation; this command
// reads the configuration, failing at cold start with a message that names
// the variable at fault, builds the AWS clients once (endpoints and region
// from the SDK's standard settings: AWS_REGION, AWS_ENDPOINT_URL…) and runs
// the Lambda loop.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/djfront/djfront/internal/rotation"
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
	cfg, err := rotation.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws configuration: %w", err)
	}
	lambda.Start(rotation.New(cfg, awsCfg, logger).Handle)
	return nil
}
