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
	"log/slog"

	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/invalidate"
)

func main() { coldstart.Main(build) }

// build reads the invalidation's configuration and makes its handler.
func build(ctx context.Context, env coldstart.Env, logger *slog.Logger) (any, error) {
	cfg, err := invalidate.ConfigFromEnv(env)
	if err != nil {
		return nil, err
	}
	awsCfg, err := coldstart.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return invalidate.New(cfg, awsCfg, logger), nil
}
