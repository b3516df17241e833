package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// fakeLambda records the invocation and answers with out or err.
type fakeLambda struct {
	out *lambda.InvokeOutput
	err error
	got *lambda.InvokeInput
}

func (f *fakeLambda) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.got = in
	return f.out, f.err
}

func answer(payload string) *lambda.InvokeOutput {
	return &lambda.InvokeOutput{StatusCode: 200, Payload: []byte(payload)}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		envFunction  string
		out          *lambda.InvokeOutput
		err          error
		wantCode     int
		wantStdout   string
		wantStderr   string
		wantFunction string
		wantPayload  string
	}{
		{name: "no command", args: nil, wantCode: 2, wantStderr: "  djfront manage [--function NAME] -- ARGS…"},
		{name: "unknown command", args: []string{"deploy"}, wantCode: 2, wantStderr: `djfront: unknown command "deploy"`},
		{name: "manage without function", args: []string{"manage", "--", "migrate"}, wantCode: 2, wantStderr: "no function: pass --function NAME or set DJFRONT_FUNCTION (the stack's AppFunction)"},
		{name: "manage without arguments", args: []string{"manage", "--function", "fn"}, wantCode: 2, wantStderr: "no command"},
		{name: "manage with a bad flag", args: []string{"manage", "--nope"}, wantCode: 2, wantStderr: "flag provided but not defined: -nope"},
		{
			name: "command's output and exit code", args: []string{"manage", "--function", "site-HostForward", "--", "migrate", "--noinput"},
			out: answer(`{"exitCode":0,"output":"Operations to perform:\n  Apply all migrations\n"}`), wantCode: 0,
			wantStdout: "Operations to perform:\n  Apply all migrations\n", wantFunction: "site-HostForward", wantPayload: `{"manage":["migrate","--noinput"]}`,
		},
		{
			name: "function from the environment, arguments as given", args: []string{"manage", "--", "--version", "a b", "$(x)"}, envFunction: "from-env",
			out: answer(`{"exitCode":0,"output":"4.2\n"}`), wantCode: 0, wantStdout: "4.2\n", wantFunction: "from-env", wantPayload: `{"manage":["--version","a b","$(x)"]}`,
		},
		{
			name: "flag beats the environment", args: []string{"manage", "--function", "flag", "--", "check"}, envFunction: "env",
			out: answer(`{"exitCode":0,"output":""}`), wantFunction: "flag", wantPayload: `{"manage":["check"]}`,
		},
		{
			name: "failing command", args: []string{"manage", "--function", "fn", "--", "nope"},
			out: answer(`{"exitCode":1,"output":"Unknown command: 'nope'\n"}`), wantCode: 1, wantStdout: "Unknown command: 'nope'\n",
		},
		{
			name: "killed command", args: []string{"manage", "--function", "fn", "--", "migrate"},
			out: answer(`{"exitCode":-1,"output":"...\n[djfront: killed shortly before the invocation deadline]\n"}`), wantCode: 1,
			wantStdout: "[djfront: killed", wantStderr: "killed by a signal",
		},
		{
			name: "function error", args: []string{"manage", "--function", "fn", "--", "migrate"},
			out:      &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: []byte(`{"errorType":"UnsupportedEventError","errorMessage":"unsupported event: neither requestContext nor manage"}`)},
			wantCode: 2, wantStderr: "fn: function error UnsupportedEventError: unsupported event",
		},
		{
			name: "not a management result", args: []string{"manage", "--function", "fn", "--", "migrate"},
			out: answer(`{"statusCode":400,"body":"bad"}`), wantCode: 2, wantStderr: "not a management result",
		},
		{
			name: "invoke fails", args: []string{"manage", "--function", "fn", "--", "migrate"},
			err: errors.New("ResourceNotFoundException: Function not found"), wantCode: 2, wantStderr: "invoke fn: ResourceNotFoundException",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			fake := &fakeLambda{out: tt.out, err: tt.err}
			e := env{
				stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string {
					if k == FunctionEnv {
						return tt.envFunction
					}
					return ""
				},
				lambda: func(context.Context) (invoker, error) { return fake, nil },
			}
			if got := run(context.Background(), e, tt.args); got != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", got, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) || (tt.wantStdout == "" && stdout.Len() > 0) {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) || (tt.wantStderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
			if tt.wantFunction != "" && (fake.got == nil || aws.ToString(fake.got.FunctionName) != tt.wantFunction) {
				t.Errorf("invoked %+v, want function %s", fake.got, tt.wantFunction)
			}
			if tt.wantPayload != "" && string(fake.got.Payload) != tt.wantPayload {
				t.Errorf("payload %s, want %s", fake.got.Payload, tt.wantPayload)
			}
		})
	}
}

func TestLoopbackEndpoint(t *testing.T) {
	tests := []struct {
		name        string
		lambda, all string
		want        bool
	}{
		{name: "make local's server", lambda: "http://127.0.0.1:41234", want: true},
		{name: "localhost", lambda: "http://localhost:9001/", want: true},
		{name: "IPv6 loopback", lambda: "http://[::1]:9001", want: true},
		{name: "anywhere in 127/8", lambda: "https://127.8.9.10", want: true},
		{name: "the general endpoint", all: "http://127.0.0.1:5000", want: true},
		{name: "the Lambda one wins", lambda: "https://lambda.eu-west-1.amazonaws.com", all: "http://127.0.0.1:5000", want: false},
		{name: "none: AWS", want: false},
		{name: "a LAN address", lambda: "http://192.168.1.10:9001", want: false},
		{name: "a name that starts like localhost", lambda: "http://localhost.example.com", want: false},
		{name: "no scheme", lambda: "127.0.0.1:9001", want: false},
		{name: "not a URL", lambda: "http://[::1", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"AWS_ENDPOINT_URL_LAMBDA": tt.lambda, "AWS_ENDPOINT_URL": tt.all}
			if got := loopbackEndpoint(func(k string) string { return env[k] }); got != tt.want {
				t.Errorf("loopbackEndpoint(lambda %q, all %q) = %t, want %t", tt.lambda, tt.all, got, tt.want)
			}
		})
	}
}
