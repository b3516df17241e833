package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// version is djfront's version, stamped by `make dist` with
// -ldflags '-X main.version=…' from python/djfront/__init__.py's
// __version__, the one version source of the wheels (docs/install.md).
// It is empty in a build that was not stamped.
var version string

// buildVersion returns the stamped version; failing that, the module
// version `go install github.com/djfront/djfront/cmd/djfront@vX.Y.Z`
// recorded, without its "v"; failing that, "devel".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "devel"
}

// runVersion prints "djfront VERSION".
func runVersion(_ context.Context, e env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintf(e.stderr, "djfront version: takes no arguments, got %q\n", args)
		return exitUsage
	}
	fmt.Fprintf(e.stdout, "djfront %s\n", buildVersion())
	return 0
}
