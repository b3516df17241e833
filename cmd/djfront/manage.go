package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/djfront/djfront/internal/manageapi"
)

// invoker is the part of the Lambda client manage uses.
type invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

var _ invoker = (*lambda.Client)(nil)

// newLambdaClient builds a Lambda client from the SDK's default
// configuration (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_LAMBDA for the
// local Runtime API server, …). It makes one attempt per call: a
// management command is not safe to run twice because a response was slow
// or lost. For a loopback endpoint (make local's Runtime API server, which
// checks no signature) it signs nothing and defaults the region. The
// endpoint judged is the one the client resolved (AWS_ENDPOINT_URL_LAMBDA,
// AWS_ENDPOINT_URL or the shared config, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS says to ignore them all), so a call
// that goes to AWS is always signed; credentials are only retrieved to sign,
// so none is looked up for a loopback endpoint. An AWS_PROFILE that no file
// has is an error, except for a loopback endpoint from the environment
// (loopbackWithoutProfile).
func newLambdaClient(ctx context.Context) (invoker, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	var noProfile config.SharedConfigProfileNotExistError
	if errors.As(err, &noProfile) {
		cfg, err = loopbackWithoutProfile(ctx, err)
	}
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return lambda.NewFromConfig(cfg, unsignedForLoopback), nil
}

// loopbackWithoutProfile returns the configuration of a loopback Lambda
// endpoint named in the environment (AWS_ENDPOINT_URL_LAMBDA, else
// AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS), region from
// the environment, when the shared configuration failed to load with
// loadErr because AWS_PROFILE names a missing profile: the local stack
// checks no credentials, so it needs no profile. Any other endpoint gets
// loadErr back: a call to AWS needs the profile it was told to use.
func loopbackWithoutProfile(ctx context.Context, loadErr error) (aws.Config, error) {
	env, err := config.NewEnvConfig()
	if err != nil {
		return aws.Config{}, loadErr
	}
	if ignore, _, _ := env.GetIgnoreConfiguredEndpoints(ctx); ignore {
		return aws.Config{}, loadErr
	}
	endpoint, ok, _ := env.GetServiceBaseEndpoint(ctx, lambda.ServiceID)
	if !ok {
		endpoint = env.BaseEndpoint
	}
	if !loopbackURL(endpoint) {
		return aws.Config{}, loadErr
	}
	return aws.Config{Region: env.Region, BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1}, nil
}

// unsignedForLoopback makes a client whose resolved endpoint is on this
// machine sign nothing and use localRegion when no region is configured.
func unsignedForLoopback(o *lambda.Options) {
	if o.BaseEndpoint == nil || !loopbackURL(*o.BaseEndpoint) {
		return
	}
	o.Credentials = aws.AnonymousCredentials{}
	if o.Region == "" {
		o.Region = localRegion
	}
}

// localRegion is the region of a loopback endpoint when none is configured:
// the local Runtime API server's default.
const localRegion = "us-east-1"

// loopbackURL reports whether raw is an http or https URL whose host is
// localhost or a loopback address.
func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if host := u.Hostname(); host == "localhost" {
		return true
	} else if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return false
}

// FunctionEnv names the variable that gives manage's default function.
const FunctionEnv = "DJFRONT_FUNCTION"

// manageDocs is where the management invocation's rules are explained.
const manageDocs = "docs/hostforward.md#management-invocations"

// runManage invokes the function's management alias synchronously with
// {"manage": ARGS} and the client context that marks the invocation
// synchronous, prints the command's output and returns its exit status (1
// if a signal ended it).
func runManage(ctx context.Context, e env, args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "djfront manage: "+format+"\n", a...)
		return exitUsage
	}
	in, status := parseManage(e, args)
	if in == nil {
		return status
	}
	client, err := e.lambda(ctx)
	if err != nil {
		return fail("%v", err)
	}
	target := aws.ToString(in.FunctionName)
	if in.Qualifier != nil {
		target += ":" + *in.Qualifier
	}
	out, err := client.Invoke(ctx, in)
	if err != nil {
		return fail("invoke %s: %v%s", target, err, invokeHint(err, target))
	}
	res, err := decodeManage(out)
	if err != nil {
		return fail("%s: %v", target, err)
	}
	io.WriteString(e.stdout, res.Output)
	if res.ExitCode < 0 {
		fmt.Fprintln(e.stderr, "djfront manage: the command was killed by a signal")
		return 1
	}
	return res.ExitCode
}

// parseManage reads manage's arguments into the invocation to make, or
// prints the usage error and returns nil and the exit status.
func parseManage(e env, args []string) (*lambda.InvokeInput, int) {
	fs := flag.NewFlagSet("djfront manage", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	function := fs.String("function", e.getenv(FunctionEnv), "the function's name or ARN (default $"+FunctionEnv+")")
	qualifier := fs.String("qualifier", manageapi.Alias, "the alias to invoke; the function runs management commands through "+manageapi.Alias+" only")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: djfront manage [--function NAME] [--qualifier ALIAS] -- ARGS…   for example: djfront manage -- migrate --noinput")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, exitUsage
	}
	fail := func(format string, a ...any) (*lambda.InvokeInput, int) {
		fmt.Fprintf(e.stderr, "djfront manage: "+format+"\n", a...)
		return nil, exitUsage
	}
	if *function == "" {
		return fail("no function: pass --function NAME or set %s (the stack's AppFunction, or its ManageFunctionArn output)", FunctionEnv)
	}
	if fs.NArg() == 0 {
		return fail("no command: for example djfront manage -- migrate --noinput")
	}
	in := &lambda.InvokeInput{
		FunctionName:   function,
		InvocationType: types.InvocationTypeRequestResponse,
		ClientContext:  aws.String(base64.StdEncoding.EncodeToString(manageapi.ClientContext(e.getenv("USER")))),
	}
	if _, q := manageapi.SplitQualifier(*function); q == "" && *qualifier != "" {
		in.Qualifier = qualifier
	} else if q != "" && set(fs, "qualifier") && q != *qualifier {
		return fail("--function %s already names the qualifier %q; drop --qualifier %s or the function's :%s", *function, q, *qualifier, q)
	}
	var err error
	if in.Payload, err = manageapi.Encode(fs.Args()); err != nil {
		return fail("%v", err)
	}
	return in, 0
}

// set reports whether the flag name was given on the command line.
func set(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// invokeHint says what to do about the Invoke API errors a user can fix.
func invokeHint(err error, target string) string {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return ""
	}
	switch apiErr.ErrorCode() {
	case "AccessDeniedException":
		return "\n  management needs lambda:InvokeFunction on the alias itself (" + target + "): attach the stack's " +
			"ManagePolicyArn output to your role or user (" + manageDocs + ")"
	case "ResourceNotFoundException":
		return "\n  no such function or alias: pass the stack's AppFunction name (or its ManageFunctionArn output); a stack " +
			"deployed with ManageCommands none, or before djfront had the " + manageapi.Alias + " alias, has no alias to invoke (" + manageDocs + ")"
	}
	return ""
}

// decodeManage reads the function's answer, or its error.
func decodeManage(out *lambda.InvokeOutput) (manageapi.Result, error) {
	if out.FunctionError != nil {
		var doc struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		if json.Unmarshal(out.Payload, &doc) != nil || doc.Type == "" {
			return manageapi.Result{}, fmt.Errorf("function error (%s): %.500s", *out.FunctionError, out.Payload)
		}
		return manageapi.Result{}, fmt.Errorf("function error %s: %s", doc.Type, doc.Message)
	}
	res, err := manageapi.DecodeResult(out.Payload)
	if err != nil {
		return manageapi.Result{}, fmt.Errorf("%w (is it djfront's hostforward with UPSTREAM_COMMAND?): %s", err, truncate(out.Payload, 300))
	}
	return res, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
