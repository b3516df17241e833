package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
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
		// wantQualifier is the Qualifier sent: "-" for none, "" not checked.
		wantQualifier string
	}{
		{name: "no command", args: nil, wantCode: 2, wantStderr: "  djfront manage [--function NAME] [--qualifier ALIAS] -- ARGS…"},
		{name: "unknown command", args: []string{"deploy"}, wantCode: 2, wantStderr: `djfront: unknown command "deploy"`},
		{name: "manage without function", args: []string{"manage", "--", "migrate"}, wantCode: 2,
			wantStderr: "no function: pass --function NAME or set DJFRONT_FUNCTION (the stack's AppFunction, or its ManageFunctionArn output)"},
		{name: "manage without arguments", args: []string{"manage", "--function", "fn"}, wantCode: 2, wantStderr: "no command"},
		{name: "manage with a bad flag", args: []string{"manage", "--nope"}, wantCode: 2, wantStderr: "flag provided but not defined: -nope"},
		{
			name: "command's output and exit code", args: []string{"manage", "--function", "site-HostForward", "--", "migrate", "--noinput"},
			out: answer(`{"exitCode":0,"output":"Operations to perform:\n  Apply all migrations\n"}`), wantCode: 0,
			wantStdout: "Operations to perform:\n  Apply all migrations\n", wantFunction: "site-HostForward", wantPayload: `{"manage":["migrate","--noinput"]}`,
			wantQualifier: "manage",
		},
		{
			name: "another alias", args: []string{"manage", "--function", "fn", "--qualifier", "live", "--", "check"},
			out: answer(`{"exitCode":0,"output":""}`), wantFunction: "fn", wantQualifier: "live",
		},
		{
			name: "no qualifier", args: []string{"manage", "--function", "fn", "--qualifier", "", "--", "check"},
			out: answer(`{"exitCode":0,"output":""}`), wantFunction: "fn", wantQualifier: "-",
		},
		{
			name: "the alias in the ARN", args: []string{"manage", "--function", "arn:aws:lambda:eu-west-1:123456789012:function:fn:manage", "--", "check"},
			out: answer(`{"exitCode":0,"output":""}`), wantFunction: "arn:aws:lambda:eu-west-1:123456789012:function:fn:manage", wantQualifier: "-",
		},
		{
			name: "the ARN's alias and another", args: []string{"manage", "--function", "fn:manage", "--qualifier", "live", "--", "check"},
			wantCode: 2, wantStderr: `--function fn:manage already names the qualifier "manage"; drop --qualifier live or the function's :manage`,
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
			wantCode: 2, wantStderr: "fn:manage: function error UnsupportedEventError: unsupported event",
		},
		{
			name: "not a management result", args: []string{"manage", "--function", "fn", "--", "migrate"},
			out: answer(`{"statusCode":400,"body":"bad"}`), wantCode: 2, wantStderr: "not a management result",
		},
		{
			name: "invoke fails", args: []string{"manage", "--function", "fn", "--", "migrate"},
			err: errors.New("connection refused"), wantCode: 2, wantStderr: "invoke fn:manage: connection refused\n",
		},
		{
			name: "no grant on the alias", args: []string{"manage", "--function", "fn", "--", "migrate"},
			err:      &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: lambda:InvokeFunction"},
			wantCode: 2, wantStderr: "invoke fn:manage: api error AccessDeniedException: not authorized to perform: lambda:InvokeFunction\n" +
				"  management needs lambda:InvokeFunction on the alias itself (fn:manage): attach the stack's ManagePolicyArn output",
		},
		{
			name: "no alias", args: []string{"manage", "--function", "fn", "--", "migrate"},
			err:      &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "Function not found"},
			wantCode: 2, wantStderr: "a stack deployed with ManageCommands none, or before djfront had the manage alias, has no alias to invoke",
		},
		{
			name: "refused by the function", args: []string{"manage", "--function", "fn", "--", "shell"},
			out: &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"),
				Payload: []byte(`{"errorType":"ManageRefusedError","errorMessage":"management invocation refused: command \"shell\" is not allowed"}`)},
			wantCode: 2, wantStderr: `fn:manage: function error ManageRefusedError: management invocation refused: command "shell" is not allowed`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			fake := &fakeLambda{out: tt.out, err: tt.err}
			e := env{
				stdout: &stdout, stderr: &stderr,
				getenv: func(k string) string {
					switch k {
					case FunctionEnv:
						return tt.envFunction
					case "USER":
						return "alice"
					}
					return ""
				},
				lambda: func(context.Context) (invoker, error) { return fake, nil },
			}
			code := run(context.Background(), e, tt.args)
			checkOutput(t, code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			if tt.wantFunction != "" && (fake.got == nil || aws.ToString(fake.got.FunctionName) != tt.wantFunction) {
				t.Errorf("invoked %+v, want function %s", fake.got, tt.wantFunction)
			}
			if tt.wantPayload != "" && string(fake.got.Payload) != tt.wantPayload {
				t.Errorf("payload %s, want %s", fake.got.Payload, tt.wantPayload)
			}
			if fake.got != nil {
				checkManageInput(t, fake.got, tt.wantQualifier)
			}
		})
	}
}

// checkManageInput checks what every management invocation carries: a
// synchronous invocation type, the client context with the marker and the
// user, and the qualifier (wantQualifier "-": none; "": not checked).
func checkManageInput(t *testing.T, in *lambda.InvokeInput, wantQualifier string) {
	t.Helper()
	if in.InvocationType != types.InvocationTypeRequestResponse {
		t.Errorf("invocation type %q, want RequestResponse", in.InvocationType)
	}
	cc, err := base64.StdEncoding.DecodeString(aws.ToString(in.ClientContext))
	if want := `{"custom":{"djfront-manage":"1","djfront-user":"alice"}}`; err != nil || string(cc) != want {
		t.Errorf("client context %s (%v), want %s", cc, err, want)
	}
	switch got := aws.ToString(in.Qualifier); {
	case wantQualifier == "-" && in.Qualifier != nil:
		t.Errorf("qualifier %q, want none", got)
	case wantQualifier != "" && wantQualifier != "-" && got != wantQualifier:
		t.Errorf("qualifier %q, want %q", got, wantQualifier)
	}
}

func TestLoopbackURL(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want bool
	}{
		{name: "make local's server", url: "http://127.0.0.1:41234", want: true},
		{name: "localhost", url: "http://localhost:9001/", want: true},
		{name: "IPv6 loopback", url: "http://[::1]:9001", want: true},
		{name: "anywhere in 127/8", url: "https://127.8.9.10", want: true},
		{name: "AWS", url: "https://lambda.eu-west-1.amazonaws.com", want: false},
		{name: "empty", want: false},
		{name: "a LAN address", url: "http://192.168.1.10:9001", want: false},
		{name: "a name that starts like localhost", url: "http://localhost.example.com", want: false},
		{name: "no scheme", url: "127.0.0.1:9001", want: false},
		{name: "not a URL", url: "http://[::1", want: false},
		{name: "a name that starts like a loopback address", url: "http://127.0.0.1.nip.io:9001", want: false},
		{name: "the unspecified address", url: "http://0.0.0.0:9001", want: false},
		{name: "user info naming localhost", url: "http://localhost@lambda.us-east-1.amazonaws.com", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loopbackURL(tt.url); got != tt.want {
				t.Errorf("loopbackURL(%q) = %t, want %t", tt.url, got, tt.want)
			}
		})
	}
}

// TestNewLambdaClientSigning builds the real client under the SDK's own
// endpoint settings: it signs nothing only when the endpoint it will call is
// on this machine, and an endpoint the SDK ignores is not taken for one.
func TestNewLambdaClientSigning(t *testing.T) {
	tests := []struct {
		name          string
		env           map[string]string
		wantAnonymous bool
		wantEndpoint  string
	}{
		{name: "loopback Lambda endpoint", env: map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:9001"}, wantAnonymous: true, wantEndpoint: "http://127.0.0.1:9001"},
		{name: "loopback general endpoint", env: map[string]string{"AWS_ENDPOINT_URL": "http://[::1]:9001"}, wantAnonymous: true, wantEndpoint: "http://[::1]:9001"},
		{
			name:         "configured endpoints ignored: AWS",
			env:          map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:9001", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
			wantEndpoint: "",
		},
		{name: "no endpoint: AWS", env: map[string]string{}, wantEndpoint: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
				t.Setenv(k, tt.env[k])
				if _, ok := tt.env[k]; !ok {
					os.Unsetenv(k)
				}
			}
			t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
			t.Setenv("AWS_REGION", "eu-west-1")
			c, err := newLambdaClient(context.Background())
			if err != nil {
				t.Fatalf("newLambdaClient: %v", err)
			}
			o := c.(*lambda.Client).Options()
			endpoint := aws.ToString(o.BaseEndpoint)
			if endpoint != tt.wantEndpoint {
				t.Errorf("endpoint: got %q, want %q", endpoint, tt.wantEndpoint)
			}
			anonymous := o.Credentials == nil || aws.IsCredentialsProvider(o.Credentials, aws.AnonymousCredentials{})
			if anonymous != tt.wantAnonymous {
				t.Errorf("anonymous credentials (endpoint %q): got %t, want %t", endpoint, anonymous, tt.wantAnonymous)
			}
		})
	}
}

// TestLoopbackInvokeUnsigned invokes through the real client a loopback
// endpoint, with credentials in the environment and no region: the request
// carries no signature (no credential is sent) and the default region.
func TestLoopbackInvokeUnsigned(t *testing.T) {
	endpoint, got := loopbackLambda(t)
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDLEAKED")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	invokeUnsigned(t, got, localRegion)
}

// TestLoopbackInvokeWithAMissingProfile invokes a loopback endpoint with
// AWS_PROFILE naming a profile no file has: the local stack needs no
// credentials, so the invocation goes through unsigned; against AWS the
// missing profile is still an error.
func TestLoopbackInvokeWithAMissingProfile(t *testing.T) {
	endpoint, got := loopbackLambda(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte("[profile other]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		env        map[string]string
		wantErr    string // "": the invocation reaches the endpoint unsigned
		wantRegion string
	}{
		{name: "loopback Lambda endpoint", env: map[string]string{"AWS_ENDPOINT_URL_LAMBDA": endpoint}, wantRegion: localRegion},
		{name: "loopback general endpoint, region from the environment", env: map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "eu-west-1"}, wantRegion: "eu-west-1"},
		{name: "no endpoint: AWS needs the profile", env: map[string]string{}, wantErr: "failed to get shared config profile, nope"},
		{name: "a non-loopback endpoint needs the profile", env: map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "https://lambda.example.com"}, wantErr: "failed to get shared config profile, nope"},
		{
			name:    "configured endpoints ignored: AWS needs the profile",
			env:     map[string]string{"AWS_ENDPOINT_URL_LAMBDA": endpoint, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
			wantErr: "failed to get shared config profile, nope",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_ENDPOINT_URL_LAMBDA", "AWS_ENDPOINT_URL", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
				t.Setenv(k, tt.env[k])
				if _, ok := tt.env[k]; !ok {
					os.Unsetenv(k)
				}
			}
			t.Setenv("AWS_PROFILE", "nope")
			t.Setenv("AWS_CONFIG_FILE", config)
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
			if tt.wantErr == "" {
				invokeUnsigned(t, got, tt.wantRegion)
				return
			}
			if _, err := newLambdaClient(context.Background()); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("newLambdaClient: got error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// loopbackLambda starts a Lambda endpoint on loopback that answers {} and
// returns its URL and the last request it got.
func loopbackLambda(t *testing.T) (string, func() *http.Request) {
	t.Helper()
	var mu sync.Mutex
	var last *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r
		mu.Unlock()
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() *http.Request {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

// invokeUnsigned builds the client from the environment, invokes through
// it and checks that the request reached the endpoint (got, from
// loopbackLambda) unsigned, and the client's region is wantRegion.
func invokeUnsigned(t *testing.T, got func() *http.Request, wantRegion string) {
	t.Helper()
	before := got()
	c, err := newLambdaClient(context.Background())
	if err != nil {
		t.Fatalf("newLambdaClient: %v", err)
	}
	if _, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatalf("invoke: %v", err)
	}
	r := got()
	if r == nil || r == before {
		t.Fatal("the loopback endpoint got no request")
	}
	if a := r.Header.Get("Authorization"); a != "" {
		t.Errorf("Authorization: got %q, want none", a)
	}
	if region := c.(*lambda.Client).Options().Region; region != wantRegion {
		t.Errorf("region: got %q, want %q", region, wantRegion)
	}
}
