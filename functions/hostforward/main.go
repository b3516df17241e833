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
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/hostforward"
)

func main() { coldstart.Main(build) }

// build reads hostforward's configuration and sets it up: in the
// in-function mode that starts the app (hostforward.Setup).
func build(ctx context.Context, env coldstart.Env, logger *slog.Logger) (any, error) {
	cfg, err := hostforward.ConfigFromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := coldstart.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return hostforward.Setup(ctx, cfg, hostforward.Deps{
		Secrets:   secretsmanager.NewFromConfig(awsCfg),
		AppOutput: os.Stdout,
		Logger:    logger,
	})
}
