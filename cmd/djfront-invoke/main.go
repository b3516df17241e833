// Command invoke is `sam local invoke` without Docker or the SAM CLI: it
// reads the function's code location, build method and environment from the
// SAM template, builds it for this machine, runs it once under the local
// Lambda Runtime API (package internal/local/runtimeapi) with the event, and
// prints the function's response on stdout and its logs on stderr.
//
//	go run ./cmd/djfront-invoke HostForwardFunction -e sam/fixtures/api-get.json --env-vars sam/env.json
//
// The flags and files are the SAM CLI's, so a command line works with both:
//
//	-t, --template PATH          the template (default template.yaml, .yml or .json here)
//	-e, --event PATH             the event JSON; "-" reads stdin; default {}
//	    --no-event               invoke with {}
//	-n, --env-vars PATH          {"LogicalId": {"VAR": "value"}, "Parameters": {...}}
//	    --parameter-overrides S  "ParameterKey=K,ParameterValue=V ..." or "K=V ..."
//	-l, --log-file PATH          write the function's logs there instead of stderr
//	    --profile NAME           the AWS profile whose credentials the function gets
//	    --region REGION          the function's AWS_REGION
//
// As in the SAM CLI, the environment is the template's variables, overridden
// by the shell's value of a declared variable, then by the env-vars file;
// the region and endpoints (AWS_REGION, AWS_ENDPOINT_URL…) come from the
// shell, and the credentials are the user's, resolved from the shell's
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or the profile
// (--profile, AWS_PROFILE) and passed as those three variables. Instance
// metadata is never asked (AWS_EC2_METADATA_DISABLED=true, for the function
// too); without credentials invoke says what to set. The binary is built
// into the user cache directory, not .aws-sam. Unlike the SAM CLI, the exit status is 1 when
// the function returns an error (the error document is still printed).
//
// SAM CLI reference: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-local-invoke.html
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/samlocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	var failed *runtimeapi.FunctionError
	switch {
	case errors.As(err, &failed):
		os.Exit(1) // the error document is on stdout already
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "invoke:", err)
		os.Exit(1)
	}
}

// options are the command line's settings.
type options struct {
	template, event, envVars, params, logFile string
	profile, region                           string
	noEvent                                   bool
	function                                  string
}

// parse reads args the way the SAM CLI does: flags in their short and long
// forms, before or after the function's logical id.
func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, f := range []struct {
		short, long, usage string
		p                  *string
	}{
		{"t", "template", "the SAM template (default template.yaml, .yml or .json)", &o.template},
		{"e", "event", `the event JSON file; "-" reads stdin (default {})`, &o.event},
		{"n", "env-vars", "JSON file of environment variables by function logical id", &o.envVars},
		{"l", "log-file", "write the function's logs to this file instead of stderr", &o.logFile},
	} {
		fs.StringVar(f.p, f.short, "", "shorthand for --"+f.long)
		fs.StringVar(f.p, f.long, "", f.usage)
	}
	fs.StringVar(&o.params, "parameter-overrides", "", `"ParameterKey=K,ParameterValue=V ..." or "K=V ..."`)
	fs.StringVar(&o.profile, "profile", "", "the AWS profile whose credentials the function gets (default: AWS_PROFILE, else default)")
	fs.StringVar(&o.region, "region", "", "the function's AWS_REGION (default: the shell's, else the profile's)")
	fs.BoolVar(&o.noEvent, "no-event", false, "invoke with an empty event {}")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: invoke [FUNCTION_LOGICAL_ID] [-e event.json] [-n env.json] [-t template.yaml] [--parameter-overrides ...]")
		fs.PrintDefaults()
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > 1 {
		return nil, fmt.Errorf("one function at a time, got %s", strings.Join(positional, " "))
	}
	if len(positional) == 1 {
		o.function = positional[0]
	}
	if o.noEvent && o.event != "" {
		return nil, errors.New("--no-event and --event exclude each other")
	}
	return o, nil
}

// parameterOverrides parses --parameter-overrides in both of the SAM CLI's
// forms: "ParameterKey=K,ParameterValue=V" and "K=V", space-separated.
func parameterOverrides(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range strings.Fields(s) {
		if rest, ok := strings.CutPrefix(f, "ParameterKey="); ok {
			key, value, ok := strings.Cut(rest, ",ParameterValue=")
			if !ok {
				return nil, fmt.Errorf("--parameter-overrides: %q: want ParameterKey=K,ParameterValue=V", f)
			}
			out[key] = value
			continue
		}
		key, value, ok := strings.Cut(f, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("--parameter-overrides: %q: want KEY=VALUE", f)
		}
		out[key] = value
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	fn, vars, err := readFunction(o)
	if err != nil {
		return err
	}
	event, err := readEvent(o, stdin)
	if err != nil {
		return err
	}
	logs := stderr
	if o.logFile != "" {
		f, err := os.Create(o.logFile)
		if err != nil {
			return fmt.Errorf("log file: %w", err)
		}
		defer f.Close()
		logs = f
	}

	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	fmt.Fprintf(stderr, "Building %s (%s) for this machine\n", fn.LogicalID, fn.BuildMethod)
	bin, err := samlocal.Build(ctx, fn, filepath.Join(cache, "djfront", "sam-invoke", fn.LogicalID), logs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Invoking %s (%s)\n", fn.Handler, fn.Runtime)
	srv, err := runtimeapi.Start(ctx, runtimeapi.Function{
		Name:     fn.LogicalID,
		Binary:   bin,
		Env:      append(awsEnv(ctx, os.Environ(), o.profile, o.region, stderr), fn.Environ(os.Environ(), vars)...),
		Timeout:  fn.Timeout,
		MemoryMB: fn.MemoryMB,
		Logs:     logs,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	res, err := srv.Invoke(ctx, event)
	if err != nil {
		return err
	}
	if res.Error != nil {
		fmt.Fprintf(stdout, "%s\n", res.Error.Payload)
		return res.Error
	}
	fmt.Fprintf(stdout, "%s\n", res.Payload)
	return nil
}

// readFunction reads the function o names from the template, and the
// env-vars file.
func readFunction(o *options) (*samlocal.Function, samlocal.EnvVars, error) {
	params, err := parameterOverrides(o.params)
	if err != nil {
		return nil, nil, err
	}
	if o.template == "" {
		if o.template, err = defaultTemplate(); err != nil {
			return nil, nil, err
		}
	}
	tpl, err := samlocal.ReadTemplate(o.template, params)
	if err != nil {
		return nil, nil, err
	}
	fn, err := tpl.Function(o.function)
	if err != nil {
		return nil, nil, err
	}
	vars := samlocal.EnvVars{}
	if o.envVars != "" {
		if vars, err = samlocal.ReadEnvVars(o.envVars); err != nil {
			return nil, nil, err
		}
	}
	return fn, vars, nil
}

// defaultTemplate finds the template the SAM CLI would use in the working
// directory.
func defaultTemplate() (string, error) {
	for _, name := range []string{"template.yaml", "template.yml", "template.json"} {
		if _, err := os.Stat(name); err == nil {
			return name, nil
		}
	}
	return "", errors.New("no template.yaml, template.yml or template.json here; name one with -t")
}

// readEvent returns the event to send: the -e file, stdin for "-", or {}.
func readEvent(o *options, stdin io.Reader) ([]byte, error) {
	var (
		event []byte
		err   error
	)
	switch o.event {
	case "":
		return []byte("{}"), nil
	case "-":
		event, err = io.ReadAll(stdin)
	default:
		event, err = os.ReadFile(o.event)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	return event, nil
}
