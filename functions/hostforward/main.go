// Command hostforward is the Lambda behind the API Gateway HTTP API: it
// forwards each payload-2.0 event to the app at UPSTREAM_URL with the
// viewer's host, scheme and client address restored and checked. With
// UPSTREAM_COMMAND it also runs the app itself, inside the function, and
// answers management invocations. The work is done by package
// github.com/djfront/djfront/internal/hostforward (with internal/appproc and
// internal/dispatch), whose Build reads the configuration, failing at cold
// start with a message that names the variable at fault, and builds the AWS
// clients once (endpoints and region from the SDK's standard settings:
// AWS_REGION, AWS_ENDPOINT_URL…); internal/coldstart runs the Lambda loop.
package main

import (
	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/hostforward"
)

func main() { coldstart.Main(hostforward.Build) }
