//go:build linux

package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/hostforward"
	"github.com/djfront/djfront/internal/invalidate"
	"github.com/djfront/djfront/internal/local/samlocal"
	"github.com/djfront/djfront/internal/rotation"
)

// lambdaBuilds are the Lambdas `djfront __lambda NAME` runs, each its
// functions/NAME's cold start: the same code as the wheel's artifacts,
// which are built for Lambda's linux/arm64. The local stack and djfront
// invoke run them this way where those cannot run (samlocal.Host; its
// DjfrontLambdas names the same three).
var lambdaBuilds = map[string]coldstart.Build{
	"hostforward": hostforward.Build,
	"invalidate":  invalidate.Build,
	"rotate":      rotation.Build,
}

func init() {
	commands[samlocal.LambdaMode] = command{hidden: true, run: runLambda}
}

// runLambda runs the Lambda args[0] names under the Runtime API at
// AWS_LAMBDA_RUNTIME_API, until the environment is shut down.
func runLambda(_ context.Context, e env, args []string) int {
	names := strings.Join(slices.Sorted(maps.Keys(lambdaBuilds)), ", ")
	if len(args) != 1 || lambdaBuilds[args[0]] == nil {
		fmt.Fprintf(e.stderr, "djfront %s: want one of %s, got %q\n", samlocal.LambdaMode, names, args)
		return exitUsage
	}
	if e.getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		fmt.Fprintf(e.stderr, "djfront %s %s: runs as a Lambda function's runtime (AWS_LAMBDA_RUNTIME_API is unset): djfront local and djfront invoke start it\n",
			samlocal.LambdaMode, args[0])
		return exitUsage
	}
	coldstart.Main(lambdaBuilds[args[0]]) // never returns
	return 0
}
