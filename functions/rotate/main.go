// Command rotate is the Secrets Manager rotation function of the origin
// secret (X-Origin-Verify): a new random value, set on the CloudFront
// distribution's origin header, tested, then made AWSCURRENT. The work is
// done by package github.com/djfront/djfront/internal/rotation, whose Build
// reads the configuration, failing at cold start with a message that names
// the variable at fault, and builds the AWS clients once (endpoints and
// region from the SDK's standard settings: AWS_REGION, AWS_ENDPOINT_URL…);
// internal/coldstart runs the Lambda loop.
package main

import (
	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/rotation"
)

func main() { coldstart.Main(rotation.Build) }
