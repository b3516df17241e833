// Command djfront is djfront's command line.
//
//	djfront check [--json] [--insecure] [--origin URL] [--probe-token T] URL
//
// check audits a live CloudFront + Django site for the pitfalls djfront
// fixes (see README.md, "djfront check").
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to the subcommand named by args[0] and returns the exit
// status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: djfront check [flags] URL (djfront check -h for the flags)")
		return 2
	}
	switch args[0] {
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "djfront: unknown command %q; commands: check\n", args[0])
	return 2
}
