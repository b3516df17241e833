// Command rotate is the Secrets Manager rotation function of the origin
// secret (X-Origin-Verify): a new random value, set on the CloudFront
// distribution's origin header, tested, then made AWSCURRENT. The work is
// done by package github.com/djfront/djfront/internal/rotation; this command
// reads the configuration, failing at cold start with a message that names
// the variable at fault, builds the AWS clients once and starts the Lambda
// loop.
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

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := setup(logger)
	if err != nil {
		logger.Error("rotate: cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// setup reads the configuration and builds the handler; AWS endpoints and
// the region come from the SDK's standard settings (AWS_REGION,
// AWS_ENDPOINT_URL…).
func setup(logger *slog.Logger) (*rotation.Handler, error) {
	cfg, err := rotation.LoadConfig(os.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return nil, fmt.Errorf("load aws configuration: %w", err)
	}
	return rotation.New(cfg, awsCfg, logger), nil
}
