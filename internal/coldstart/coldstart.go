// Package coldstart is the cold start every function's main shares: JSON
// log lines on stdout (for CloudWatch), the AWS configuration loaded once
// from the SDK's standard settings (AWS_REGION, AWS_ENDPOINT_URL…), the
// function's handler built from its environment, then the Lambda loop. A
// failure before the loop is one log line, "cannot start", whose error
// names the variable or the step at fault, and exit status 1 (Lambda reports
// Runtime.ExitError and retries the init).
package coldstart

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Env reads the function's environment: a variable's value and whether it
// is set, as os.LookupEnv does (a variable may be set and empty).
type Env func(name string) (string, bool)

// Getenv returns name's value, "" when it is unset, as os.Getenv does.
func (e Env) Getenv(name string) string {
	v, _ := e(name)
	return v
}

// Build makes a function's handler (anything lambda.Start accepts) from its
// environment, read through env. It runs once, at cold start, and reads its
// own variables before it loads the AWS configuration (AWSConfig), so that
// an error names the function's variable first.
type Build func(ctx context.Context, env Env, logger *slog.Logger) (any, error)

// AWSConfig loads the AWS configuration from the SDK's standard settings
// (AWS_REGION, AWS_ENDPOINT_URL…), once per cold start.
func AWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws configuration: %w", err)
	}
	return cfg, nil
}

// Main runs build with the process's environment and starts the Lambda loop
// with its handler; it never returns.
func Main(build Build) {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if err := run(context.Background(), os.LookupEnv, logger, build); err != nil {
		logger.Error("cannot start", slog.String("error", err.Error()))
		os.Exit(1)
	}
}

// run starts the Lambda loop, which never returns; an error is a failure at
// cold start.
func run(ctx context.Context, env Env, logger *slog.Logger, build Build) error {
	h, err := build(ctx, env, logger)
	if err != nil {
		return err
	}
	lambda.Start(h)
	return nil
}
