// Command djfront is djfront's command line:
//
//	djfront init [--dir DIR] [--settings M] [--wsgi M:C] [--no-settings] [--force]   make a Django project deployable
//	djfront local [--port 3000] [--env-file FILE] [--python PATH]   this project's whole stack on loopback (local.go)
//	djfront invoke [FUNCTION] [-e event.json] [-n env.json]   one function once, like sam local invoke (invoke.go)
//	djfront check [--json] [--insecure] [--origin URL] [--probe-token T | --probe-token-file F] URL   audit a live CloudFront + Django site
//	djfront manage [--function NAME] [--qualifier ALIAS] -- ARGS…   run a Django management command in the function
//	djfront artifacts   print the directory of the wheel's prebuilt Lambda artifacts
//	djfront version     print djfront's version (also --version)
//
// Each subcommand lives in a file of its own and is listed in commands;
// local and invoke run on Linux only (commands_other.go says so elsewhere).
// The hidden `djfront __lambda NAME` (lambda.go) runs one of the wheel's
// Lambdas, the same code, where its linux/arm64 build cannot run: the local
// stack starts it, never a user.
package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
)

// exitUsage is the exit status of a usage error or a failure of djfront
// itself, before any command ran.
const exitUsage = 2

// env is what a subcommand gets from main.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	environ        func() []string                        // os.Environ
	executable     func() (string, error)                 // os.Executable: where djfront runs from
	lambda         func(context.Context) (invoker, error) // builds the Lambda client on first use
}

// command is one subcommand: it runs with its arguments and returns the
// process's exit status.
type command struct {
	usage  string // one line: arguments and what it does
	hidden bool   // not in the usage: djfront's own machinery
	run    func(ctx context.Context, e env, args []string) int
}

var commands = map[string]command{
	"init":      {usage: "[--dir DIR] [--settings MODULE] [--wsgi MODULE:CALLABLE] [--no-settings] [--force] [--artifacts DIR]  make a Django project deployable (template.yaml, samconfig.toml, settings)", run: runInit},
	"check":     {usage: "[--json] [--insecure] [--origin URL] [--probe-token T | --probe-token-file F] URL  audit a live CloudFront + Django site", run: runCheck},
	"manage":    {usage: "[--function NAME] [--qualifier ALIAS] -- ARGS…  run a Django management command in the function", run: runManage},
	"artifacts": {usage: " print the directory of the prebuilt Lambda artifacts that came with this djfront", run: runArtifacts},
	"version":   {usage: " print djfront's version (also --version)", run: runVersion},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, environ: os.Environ,
		executable: os.Executable, lambda: newLambdaClient,
	}, os.Args[1:]))
}

// run dispatches args to a subcommand. Asked for help, it prints the usage
// to stdout and returns 0; given no command, to stderr, returning exitUsage.
func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		printUsage(e.stdout)
		return 0
	case "--version", "-version":
		args = append([]string{"version"}, args[1:]...)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "djfront: unknown command %q\n", args[0])
		printUsage(e.stderr)
		return exitUsage
	}
	return cmd.run(ctx, e, args[1:])
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		if !commands[name].hidden {
			fmt.Fprintf(&b, "  djfront %s %s\n", name, commands[name].usage)
		}
	}
	io.WriteString(w, b.String())
}
