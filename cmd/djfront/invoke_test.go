//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/testenv"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want invokeOptions
		err  string
	}{
		{"SAM order, long flags", []string{"HostForwardFunction", "-e", "ev.json", "--env-vars", "env.json"},
			invokeOptions{function: "HostForwardFunction", event: "ev.json", envVars: "env.json"}, ""},
		{"flags first, short forms", []string{"-t", "t.yaml", "-n", "env.json", "--no-event", "Fn"},
			invokeOptions{function: "Fn", template: "t.yaml", envVars: "env.json", noEvent: true}, ""},
		{"no function", []string{"--event=-"}, invokeOptions{event: "-"}, ""},
		{"two functions", []string{"A", "B"}, invokeOptions{}, "one function at a time"},
		{"no-event with event", []string{"Fn", "--no-event", "-e", "x"}, invokeOptions{}, "exclude each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInvoke(tt.args, &bytes.Buffer{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestParameterOverrides(t *testing.T) {
	got, err := parameterOverrides("ParameterKey=DomainName,ParameterValue=www.example.com Prefix=static")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"DomainName": "www.example.com", "Prefix": "static"}; !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"ParameterKey=A", "=x", "novalue"} {
		if _, err := parameterOverrides(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

// invokeEnv is what main gives a command, with the output in stdout and
// stderr.
func invokeEnv(stdout, stderr *bytes.Buffer) env {
	return env{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, environ: os.Environ, executable: os.Executable}
}

// invokeOK runs djfront invoke with args, which must exit 0, and returns
// the API Gateway response it printed and its standard error.
func invokeOK(t *testing.T, args ...string) (events.APIGatewayV2HTTPResponse, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := runInvoke(context.Background(), invokeEnv(&stdout, &stderr), args); code != 0 {
		t.Fatalf("exit status %d\n%s", code, stderr.String())
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatalf("stdout %q: %v", stdout.String(), err)
	}
	return resp, stderr.String()
}

// TestInvoke runs the command as a user would, from the repository root:
// hostforward built from template.yaml with sam/env.json, on the fixtures.
func TestInvoke(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	t.Chdir(testenv.RepoRoot(t))
	for _, tt := range []struct {
		fixture string
		status  int
		body    string
	}{
		{"api-direct.json", 403, "did not come through the CloudFront distribution"},
		{"api-foreign-host.json", 400, "not in ALLOWED_HOSTS"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			resp, stderr := invokeOK(t, "HostForwardFunction", "-e", filepath.Join("sam", "fixtures", tt.fixture), "--env-vars", "sam/env.json")
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.body) {
				t.Errorf("got %d %q, want %d with %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
			if !strings.Contains(stderr, "REPORT RequestId:") {
				t.Errorf("stderr has no REPORT line (the function's logs):\n%s", stderr)
			}
		})
	}
}

// TestInvokePython runs the template's python3.12 AppFunction as a user
// would, from the repository root: the Python runtime hands over to the
// layer's wrapper, the wrapper to hostforward (built for this machine from
// the template's layer), which starts the example app with the template's
// UPSTREAM_COMMAND in the project's interpreter, and the app answers the
// event with the viewer's host and scheme.
func TestInvokePython(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	python := testenv.Python(t, "gunicorn")
	t.Chdir(testenv.RepoRoot(t))
	resp, stderr := invokeOK(t, "AppFunction", "-e", filepath.Join("sam", "fixtures", "api-get.json"), "--env-vars", "sam/env.json", "--python", python)
	var who djangoserver.Whoami
	if err := json.Unmarshal([]byte(resp.Body), &who); err != nil || resp.StatusCode != 200 || who.Host != "www.example.com" || who.Scheme != "https" {
		t.Errorf("got %d %q, want 200 from Django for https://www.example.com\n%s", resp.StatusCode, resp.Body, stderr)
	}
	if !strings.Contains(stderr, `"msg":"app ready"`) {
		t.Errorf("the function's log has no \"app ready\": hostforward did not start the app\n%s", stderr)
	}
}

// TestLocalDefaults: an app function run in a project without an env-vars
// file gets what djfront local gives for what the template leaves empty;
// given values, and secrets named by ARN, are kept.
func TestLocalDefaults(t *testing.T) {
	db := "sqlite:///proj%20x/.djfront/db.sqlite3"
	tests := []struct {
		name      string
		env       []string
		want      map[string]string // "" for a random value
		wantNames []string
	}{
		{"template leaves all empty",
			[]string{"ALLOWED_HOSTS=", "DJFRONT_HOSTS=", "ORIGIN_VERIFY_SECRETS=", "ORIGIN_VERIFY_SECRET_ARN=", "DJANGO_SECRET_KEY=", "DATABASE_URL=", "OTHER="},
			map[string]string{"ALLOWED_HOSTS": "localhost", "DJFRONT_HOSTS": "localhost", "ORIGIN_VERIFY_SECRETS": "", "DJANGO_SECRET_KEY": "", "DATABASE_URL": db, "OTHER": ""},
			[]string{"ALLOWED_HOSTS", "DJFRONT_HOSTS", "ORIGIN_VERIFY_SECRETS", "DJANGO_SECRET_KEY", "DATABASE_URL"}},
		{"given values and ARNs kept",
			[]string{"ALLOWED_HOSTS=www.example.com", "ORIGIN_VERIFY_SECRETS=", "ORIGIN_VERIFY_SECRET_ARN=arn:x", "DATABASE_URL=", "DATABASE_URL_SECRET_ARN=arn:y"},
			map[string]string{"ALLOWED_HOSTS": "www.example.com", "ORIGIN_VERIFY_SECRETS": "", "DATABASE_URL": ""},
			nil},
		{"undeclared never added", []string{"UPSTREAM_URL=http://x"}, map[string]string{"UPSTREAM_URL": "http://x", "ALLOWED_HOSTS": ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, names := localDefaults(tt.env, "proj x/.djfront")
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("names %v, want %v", names, tt.wantNames)
			}
			for name, want := range tt.want {
				if value := proctree.Getenv(got, name); value != want && !(want == "" && slices.Contains(names, name) && len(value) >= 26) {
					t.Errorf("%s = %q, want %q", name, value, want)
				}
			}
		})
	}
}

// TestDefaultEvent: the built-in event is a GET / of https://localhost/
// that hostforward accepts as from the distribution.
func TestDefaultEvent(t *testing.T) {
	b, err := defaultEvent("s3cret", time.Unix(1795089600, 0))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	got := []string{ev.Version, ev.RequestContext.HTTP.Method, ev.RawPath, ev.Headers["x-forwarded-host"], ev.Headers["x-forwarded-proto"], ev.Headers["x-origin-verify"]}
	if want := []string{"2.0", "GET", "/", "localhost", "https", "s3cret"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestProjectKey: two projects' functions of the same name are built in
// different cache directories; one project always in the same.
func TestProjectKey(t *testing.T) {
	a, b := projectKey("/home/u/shop"), projectKey("/home/u/blog/shop")
	if a == b || !strings.HasPrefix(a, "shop-") || projectKey("/home/u/shop/") != a {
		t.Errorf("keys %q and %q: want distinct, named after the project, stable", a, b)
	}
}

// TestInvokeOutOfTheBox runs the template's AppFunction as a new user
// would, with neither an event nor an env-vars file (the wheel ships
// neither): it used to fail "ALLOWED_HOSTS: required"; now the built-in
// GET / of https://localhost/ reaches Django (the example has no page at /:
// Django's 404, not hostforward's refusal), and a variable of an env-vars
// file that the template does not declare is named, not silently dropped.
func TestInvokeOutOfTheBox(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	python := testenv.Python(t, "gunicorn")
	t.Chdir(testenv.RepoRoot(t))
	if _, err := os.Stat(".djfront"); os.IsNotExist(err) {
		t.Cleanup(func() { os.RemoveAll(".djfront") }) // the state directory the run makes, as djfront local's
	}
	vars := filepath.Join(t.TempDir(), "env.json")
	if err := os.WriteFile(vars, []byte(`{"AppFunction": {"UPSTREAM_TIMEOUT": "25s", "DJANGO_DEBUGG": "1"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, stderr := invokeOK(t, "AppFunction", "--python", python, "--env-vars", vars)
	if resp.StatusCode != 404 || !strings.Contains(stderr, `"host":"localhost"`) || !strings.Contains(stderr, `"verified":true`) {
		t.Errorf("got %d %q, want Django's 404 for https://localhost/ through the distribution\n%s", resp.StatusCode, resp.Body, stderr)
	}
	for _, want := range []string{
		"set for a local run, as djfront local sets them: ALLOWED_HOSTS, DJFRONT_HOSTS, ORIGIN_VERIFY_SECRETS, DJANGO_SECRET_KEY, DATABASE_URL",
		"sets AppFunction.DJANGO_DEBUGG, which AppFunction's template does not declare: ignored",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestInvokeInitErrorPrinted (review of issue 16): invokeUsage says the
// error document is printed when the function fails, and runInvoke exits 1
// silently on a *runtimeapi.FunctionError because "the error document is on
// stdout already". A function that fails at init (a bad environment, an
// app that cannot start) makes runtimeapi.Start return one, before invoke
// prints anything: exit 1 with nothing on stdout and no djfront message.
func TestInvokeInitErrorPrinted(t *testing.T) {
	dir := t.TempDir()
	code := filepath.Join(dir, "fn")
	if err := os.MkdirAll(code, 0o755); err != nil {
		t.Fatal(err)
	}
	bootstrap := "#!/bin/sh\n" +
		`curl -s -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.ConfigError' ` +
		`-d '{"errorMessage":"ALLOWED_HOSTS: required","errorType":"Runtime.ConfigError"}' ` +
		`"http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" >/dev/null` + "\nexit 1\n"
	if err := os.WriteFile(filepath.Join(code, "bootstrap"), []byte(bootstrap), 0o755); err != nil {
		t.Fatal(err)
	}
	tmpl := "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n" +
		"  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn\n      Handler: bootstrap\n      Runtime: provided.al2023\n"
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	var stdout, stderr bytes.Buffer
	got := runInvoke(context.Background(), invokeEnv(&stdout, &stderr), []string{"Fn", "--no-event"})
	if got != 1 {
		t.Fatalf("exit status %d, want 1\n%s", got, stderr.String())
	}
	if !strings.Contains(stdout.String()+stderr.String(), "ALLOWED_HOSTS: required") {
		t.Errorf("neither stdout nor stderr says why the function failed (its init error)\nstdout: %q\nstderr: %q", stdout.String(), stderr.String())
	}
}
