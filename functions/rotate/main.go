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
	"log/slog"

	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/rotation"
)

func main() { coldstart.Main(build) }

// build reads the rotation's configuration and makes its handler.
func build(ctx context.Context, env coldstart.Env, logger *slog.Logger) (any, error) {
	cfg, err := rotation.ConfigFromEnv(env.Getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := coldstart.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return rotation.New(cfg, awsCfg, logger).Handle, nil
}
