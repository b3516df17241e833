// Command peers measures djfront's in-function mode side by side with what a
// user would pick instead — the AWS Lambda Web Adapter (LWA) in front of the
// same gunicorn, and apig-wsgi and serverless-wsgi run in-process by AWS's
// Python runtime client awslambdaric — and with variants of djfront's own
// UPSTREAM_COMMAND. Every contender serves the same Django app (the example
// project plus a 1 MiB download, bench/peers/app) and gets the same API
// Gateway payload 2.0 events, under the same local Runtime API server
// (internal/local/runtimeapi), in interleaved rounds:
//
//   - each round starts every contender in turn (the order rotates from round
//     to round) and times its cold start: from spawning the runtime process to
//     the first answered request (a page);
//   - then it sends the warm requests, one of each contender in turn: a page
//     (GET /form/, a template with a CSRF cookie), a 1 MiB binary download
//     (base64 in the response) and a CSRF-checked form POST, each response
//     checked;
//   - then it reads every process of each sandbox: the sum of their peak RSS
//     (VmHWM), the sum of their PSS, and how many there are; and shuts all
//     down.
//
// It prints a Markdown table: medians over the rounds, warm p50 and p99 over
// all requests, and each figure's ratio to the best peer's. bench/peers.sh
// builds what it needs and runs it; bench/README.md holds the results.
//
// Usage:
//
//	peers -bootstrap bin/hostforward/bootstrap -lwa bench/.peers/bin/lambda-adapter [-rounds 8] [-warm 100] [-variant NAME=FLAGS ...] [-bootstrap-variant NAME=PATH ...] [-only A,B]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := parseAndRun(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// options is the command line.
type options struct {
	root      string // the repository
	bootstrap string // the built hostforward
	lwa       string // the built lambda-adapter
	rounds    int
	warm      int      // warm requests of each kind per contender and round
	only      []string // contenders to run, by name; all if empty
	variants  []string // NAME=FLAGS: djfront with FLAGS added to the template's gunicorn
	builds    []string // NAME=PATH: djfront with the template's command under another built hostforward
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.root, "root", ".", "the repository's root `directory`")
	fs.StringVar(&o.bootstrap, "bootstrap", "bin/hostforward/bootstrap", "the built hostforward (`path`; make bin/hostforward/bootstrap)")
	fs.StringVar(&o.lwa, "lwa", "bench/.peers/bin/lambda-adapter", "the built LWA (`path`; scripts/install-peers.sh)")
	fs.IntVar(&o.rounds, "rounds", 8, "rounds (`n`), each a cold start of every contender and its warm requests")
	fs.IntVar(&o.warm, "warm", 100, "warm requests of each kind per contender and round (`n`)")
	fs.Func("variant", "also run djfront with gunicorn `NAME=FLAGS` added to the template's, or NAME=exec ... as the whole UPSTREAM_COMMAND (repeatable)", func(v string) error {
		o.variants = append(o.variants, v)
		return nil
	})
	fs.Func("bootstrap-variant", "also run djfront with the template's command under another built hostforward, `NAME=PATH` (repeatable; for a change to hostforward itself)", func(v string) error {
		o.builds = append(o.builds, v)
		return nil
	})
	only := fs.String("only", "", "comma-separated contender `names` to run (default all)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if o.rounds < 1 || o.warm < 1 {
		return options{}, errors.New("-rounds and -warm must be at least 1")
	}
	if *only != "" {
		o.only = strings.Split(*only, ",")
	}
	return o, nil
}

func parseAndRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b, err := newBench(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer b.cleanup()
	res, err := b.run(ctx)
	if err != nil {
		return err
	}
	return writeTable(stdout, b.contenders, res)
}
