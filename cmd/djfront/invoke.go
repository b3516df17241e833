//go:build linux

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// invokeUsage is `djfront invoke`'s help.
const invokeUsage = `usage: djfront invoke [FUNCTION_LOGICAL_ID] [-e event.json] [-n env.json] [-t template.yaml] [--parameter-overrides ...] [--python PATH]

Does what sam local invoke does, without Docker or the SAM CLI: it reads the
function's code, build method and environment from the SAM template, makes
it ready to run on this machine, runs it once under a local Lambda Runtime
API with the event, and prints the function's response on stdout and its
logs on stderr. The flags and files are the SAM CLI's, so a command line
works with both.

provided.* functions run their bootstrap, built for this machine from the
template's BuildMethod, else the one in CodeUri; djfront's prebuilt
linux/arm64 artifacts run as this djfront. python3.X functions run with the
project's interpreter (--python, else the python3 beside djfront, else
$VIRTUAL_ENV's) in their CodeUri, their layers in a local /opt: with
AWS_LAMBDA_EXEC_WRAPPER the runtime hands over to the wrapper as Lambda's
does (djfront's hands over to hostforward, which starts the app); without
one, the handler runs under awslambdaric.

Without -e, an app function (its template declares ALLOWED_HOSTS) gets a
GET / of https://localhost/ and, for the variables the template leaves
empty, what djfront local gives (localhost, a random origin secret and
SECRET_KEY, .djfront/db.sqlite3), named on stderr; other functions get {}.

As in the SAM CLI, the environment is the template's variables, overridden
by the shell's value of a declared variable, then by the env-vars file
(a variable the template does not declare is ignored, with a warning); the
region and endpoints (AWS_REGION, AWS_ENDPOINT_URL…) come from the shell,
and the credentials are the user's, from the shell's
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN or the profile
(--profile, AWS_PROFILE). Instance metadata is never asked
(AWS_EC2_METADATA_DISABLED=true, for the function too). Builds go to the
user cache directory (one per project), not .aws-sam. Unlike the SAM CLI, the exit status is
1 when the function returns an error (the error document is still printed).
See docs/local.md.
`

// SAM CLI reference: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-local-invoke.html

func init() {
	commands["invoke"] = command{usage: "[FUNCTION] [-e event.json] [-n env.json]  run one function once, like sam local invoke", run: runInvoke}
}

// invokeOptions are the command line's settings.
type invokeOptions struct {
	template, event, envVars, params, logFile string
	profile, region, python                   string
	noEvent                                   bool
	function                                  string
}

// parseInvoke reads args the way the SAM CLI does: flags in their short and
// long forms, before or after the function's logical id.
func parseInvoke(args []string, stderr io.Writer) (*invokeOptions, error) {
	o := &invokeOptions{}
	fs := flag.NewFlagSet("djfront invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, f := range []struct {
		short, long, usage string
		p                  *string
	}{
		{"t", "template", "the SAM template (default template.yaml, .yml or .json)", &o.template},
		{"e", "event", `the event JSON file; "-" reads stdin (default: GET / for an app function, else {})`, &o.event},
		{"n", "env-vars", "JSON file of environment variables by function logical id", &o.envVars},
		{"l", "log-file", "write the function's logs to this file instead of stderr", &o.logFile},
	} {
		fs.StringVar(f.p, f.short, "", "shorthand for --"+f.long)
		fs.StringVar(f.p, f.long, "", f.usage)
	}
	fs.StringVar(&o.params, "parameter-overrides", "", `"ParameterKey=K,ParameterValue=V ..." or "K=V ..."`)
	fs.StringVar(&o.profile, "profile", "", "the AWS profile whose credentials the function gets (default: AWS_PROFILE, else default)")
	fs.StringVar(&o.region, "region", "", "the function's AWS_REGION (default: the shell's, else the profile's)")
	fs.StringVar(&o.python, "python", "", "the interpreter of python3.X functions (default: the python3 beside djfront, else $VIRTUAL_ENV's)")
	fs.BoolVar(&o.noEvent, "no-event", false, "invoke with an empty event {}")
	fs.Usage = func() { fmt.Fprint(stderr, invokeUsage); fs.PrintDefaults() }
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

// runInvoke runs one function once (see invokeUsage): exit status 0, 1 when
// the function or the run failed, exitUsage for a usage error.
func runInvoke(ctx context.Context, e env, args []string) int {
	o, err := parseInvoke(args, e.stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		fmt.Fprintf(e.stderr, "djfront invoke: %v\n", err)
		return exitUsage
	}
	err = invoke(ctx, e, o)
	var failed *runtimeapi.FunctionError
	switch {
	case errors.As(err, &failed):
		return 1 // the error document is on stdout already
	case err != nil:
		fmt.Fprintf(e.stderr, "djfront invoke: %v\n", err)
		return 1
	}
	return 0
}

// invoke runs the function o names with o's event and prints its answer.
func invoke(ctx context.Context, e env, o *invokeOptions) error {
	tpl, fn, vars, err := readFunction(o)
	if err != nil {
		return err
	}
	for _, name := range fn.Undeclared(vars) {
		fmt.Fprintf(e.stderr, "djfront invoke: %s sets %s, which %s's template does not declare: ignored (as sam local invoke ignores it)\n",
			o.envVars, name, fn.LogicalID)
	}
	env, app, err := invokeEnviron(e, tpl, fn, vars)
	if err != nil {
		return err
	}
	event, err := readEvent(o, e.stdin, app, env)
	if err != nil {
		return err
	}
	logs := e.stderr
	if o.logFile != "" {
		f, err := os.Create(o.logFile)
		if err != nil {
			return fmt.Errorf("log file: %w", err)
		}
		defer f.Close()
		logs = f
	}
	fmt.Fprintf(e.stderr, "Preparing %s (%s) for this machine\n", fn.LogicalID, fn.Runtime)
	run, err := prepareFunction(ctx, e, o, tpl, fn, env, logs)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Invoking %s (%s)\n", fn.Handler, fn.Runtime)
	srv, err := runtimeapi.Start(ctx, runtimeapi.Function{
		Name:     fn.LogicalID,
		Binary:   run.Binary,
		Env:      append(append(awsEnv(ctx, e.environ(), o.profile, o.region, e.stderr), env...), run.Env...),
		Timeout:  fn.Timeout,
		MemoryMB: fn.MemoryMB,
		Logs:     logs,
	})
	var initFailed *runtimeapi.FunctionError
	if errors.As(err, &initFailed) {
		// The function failed at init: its error document is the answer,
		// as for a failed invocation, and stderr says which phase failed.
		fmt.Fprintf(e.stdout, "%s\n", initFailed.Payload)
		fmt.Fprintf(e.stderr, "djfront invoke: %v\n", err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	res, err := srv.Invoke(ctx, event)
	if err != nil {
		return err
	}
	if res.Error != nil {
		fmt.Fprintf(e.stdout, "%s\n", res.Error.Payload)
		return res.Error
	}
	fmt.Fprintf(e.stdout, "%s\n", res.Payload)
	return nil
}

// prepareFunction makes fn ready to run here (samlocal.Host.Prepare), in the
// user cache directory (one directory per project: projectKey), with the project's interpreter for a python3.X
// function and this djfront for djfront's prebuilt Lambdas.
func prepareFunction(ctx context.Context, e env, o *invokeOptions, tpl *samlocal.Template, fn *samlocal.Function, env []string, logs io.Writer) (*samlocal.Runnable, error) {
	exe, err := e.executable()
	if err != nil {
		return nil, fmt.Errorf("locate this executable: %w", err)
	}
	host := &samlocal.Host{Self: exe, SelfVersion: buildVersion(), Log: logs}
	if strings.HasPrefix(fn.Runtime, "python3") {
		if host.Python, err = projectPython(o.python, exe, e.getenv); err != nil {
			return nil, err
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	host.Dir = filepath.Join(cache, "djfront", "invoke", projectKey(filepath.Dir(tpl.Path)))
	return host.Prepare(ctx, tpl, fn, env)
}

// projectKey names the directory, in the user's cache directory, of the
// project in dir: dir's name and a short hash of its absolute path, so that
// two projects with a function of the same name never share a build.
func projectKey(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Base(dir) + "-" + hex.EncodeToString(sum[:6])
}

// readFunction reads the template and the function o names, and the
// env-vars file.
func readFunction(o *invokeOptions) (*samlocal.Template, *samlocal.Function, samlocal.EnvVars, error) {
	params, err := parameterOverrides(o.params)
	if err != nil {
		return nil, nil, nil, err
	}
	if o.template == "" {
		if o.template, err = samlocal.FindTemplate("."); err != nil {
			return nil, nil, nil, err
		}
	}
	tpl, err := samlocal.ReadTemplate(o.template, params)
	if err != nil {
		return nil, nil, nil, err
	}
	fn, err := tpl.Function(o.function)
	if err != nil {
		return nil, nil, nil, err
	}
	vars := samlocal.EnvVars{}
	if o.envVars != "" {
		if vars, err = samlocal.ReadEnvVars(o.envVars); err != nil {
			return nil, nil, nil, err
		}
	}
	return tpl, fn, vars, nil
}

// invokeEnviron returns fn's environment (samlocal's Environ) and whether
// fn is an app function (one that declares ALLOWED_HOSTS): then the
// variables djfront local would give that the environment leaves empty are
// set (localDefaults) and named on stderr.
func invokeEnviron(e env, tpl *samlocal.Template, fn *samlocal.Function, vars samlocal.EnvVars) ([]string, bool, error) {
	env := fn.Environ(e.environ(), vars)
	if _, app := fn.Environment["ALLOWED_HOSTS"]; !app {
		return env, false, nil
	}
	state, err := stateDir(filepath.Dir(tpl.Path))
	if err != nil {
		return nil, false, err
	}
	env, set := localDefaults(env, state)
	if len(set) > 0 {
		fmt.Fprintf(e.stderr, "djfront invoke: set for a local run, as djfront local sets them: %s (the template leaves them empty)\n", strings.Join(set, ", "))
	}
	return env, true, nil
}

// readEvent returns the event to send: the -e file, stdin for "-", {} with
// --no-event; by default, for an app function, a GET / of the local host
// with the first of env's ORIGIN_VERIFY_SECRETS (defaultEvent), else {}.
func readEvent(o *invokeOptions, stdin io.Reader, app bool, env []string) ([]byte, error) {
	var (
		event []byte
		err   error
	)
	switch {
	case o.noEvent:
		return []byte("{}"), nil
	case o.event == "" && app:
		origin, _, _ := strings.Cut(proctree.Getenv(env, "ORIGIN_VERIFY_SECRETS"), ",")
		return defaultEvent(strings.TrimSpace(origin), time.Now())
	}
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
