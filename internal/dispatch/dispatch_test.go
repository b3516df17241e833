package dispatch_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/dispatch"
	"github.com/djfront/djfront/internal/manageapi"
	"github.com/djfront/djfront/sam/fixtures"
)

// recorded is what the fakes behind a Handler were called with.
type recorded struct {
	http   *events.APIGatewayV2HTTPRequest
	manage []string
}

// aliasARN is the function ARN of an invocation through manageapi.Alias.
const aliasARN = "arn:aws:lambda:us-east-1:123456789012:function:djfront-hostforward-x:manage"

// invokedAs returns a context as the Lambda runtime makes it for an
// invocation of arn with the client context's custom map custom.
func invokedAs(arn string, custom map[string]string) context.Context {
	lc := &lambdacontext.LambdaContext{AwsRequestID: "c6af9ac6-7b61-11e6-9a41-93e812345678", InvokedFunctionArn: arn}
	lc.ClientContext.Custom = custom
	return lambdacontext.NewContext(context.Background(), lc)
}

// viaDjfrontManage is the context of an invocation as djfront manage makes
// it: through the alias, synchronous, with its client context.
func viaDjfrontManage() context.Context {
	return invokedAs(aliasARN, map[string]string{manageapi.MarkerKey: manageapi.MarkerValue, manageapi.UserKey: "alice"})
}

// newHandler returns a Handler whose management commands return res and
// err, with allow as the allow-list (nil: appproc's default), logging to log
// (nil: nowhere).
func newHandler(rec *recorded, res childproc.Result, err error, maxOutput int, allow []string, log io.Writer) *dispatch.Handler {
	httpHandler := func(_ context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		rec.http = &ev
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "from the app"}, nil
	}
	manage := func(_ context.Context, args []string) (childproc.Result, error) {
		rec.manage = args
		return res, err
	}
	if allow == nil {
		allow = appproc.DefaultManageAllow
	}
	if log == nil {
		log = io.Discard
	}
	return dispatch.New(httpHandler, dispatch.Manage{Run: manage, Allow: allow, MaxOutput: maxOutput}, slog.New(slog.NewJSONHandler(log, nil)))
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		name       string
		payload    []byte
		wantHTTP   bool
		wantManage []string
		wantErr    string // in an *UnsupportedEventError
	}{
		{name: "API Gateway event", payload: fixtures.Must(t, "api-get.json"), wantHTTP: true},
		{name: "management invocation", payload: fixtures.Must(t, "manage-migrate.json"), wantManage: []string{"migrate", "--noinput"}},
		{name: "arguments as given", payload: []byte(`{"manage": ["shell", "-c", "print('$(x); *')"]}`), wantManage: []string{"shell", "-c", "print('$(x); *')"}},
		{name: "S3 event", payload: fixtures.Must(t, "s3-put.json"), wantErr: "neither requestContext nor manage"},
		{name: "empty object", payload: []byte(`{}`), wantErr: "neither requestContext nor manage"},
		{name: "array", payload: []byte(`["migrate"]`), wantErr: "not a JSON object"},
		{name: "null", payload: []byte(`null`), wantErr: "not a JSON object"},
		{name: "string", payload: []byte(`"migrate"`), wantErr: "not a JSON object"},
		{name: "manage a string", payload: []byte(`{"manage": "migrate"}`), wantErr: "manage is not a list of strings"},
		{name: "manage null", payload: []byte(`{"manage": null}`), wantErr: "manage is not a list of strings"},
		{name: "manage with a number", payload: []byte(`{"manage": ["migrate", 1]}`), wantErr: "manage is not a list of strings"},
		{name: "argument with a NUL byte", payload: []byte(`{"manage": ["shell", "-c", "a\u0000b"]}`), wantErr: "manage argument 3 holds a NUL byte"},
		{name: "manage and more", payload: []byte(`{"manage": ["migrate"], "x": 1}`), wantErr: "no field but manage"},
		{name: "payload format 1.0", payload: []byte(`{"version": "1.0", "requestContext": {}, "httpMethod": "GET"}`), wantErr: `payload format version "1.0"`},
		{name: "malformed API Gateway event", payload: []byte(`{"version": "2.0", "requestContext": [], "rawPath": "/"}`), wantErr: "malformed API Gateway event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorded
			h := newHandler(&rec, childproc.Result{ExitCode: 0, Output: "done\n"}, nil, 1<<20, []string{"migrate", "shell"}, nil)
			got, err := h.Handle(viaDjfrontManage(), tt.payload)
			if tt.wantErr != "" {
				var unsupported *dispatch.UnsupportedEventError
				if !errors.As(err, &unsupported) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), dispatch.Accepted) {
					t.Errorf("got %v, want an UnsupportedEventError naming %q and the accepted shapes", err, tt.wantErr)
				}
				if rec.http != nil || rec.manage != nil {
					t.Errorf("refused payload reached a handler: %+v", rec)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantHTTP {
				if rec.http == nil || rec.http.RequestContext.RequestID != "Jn8xYgABoAMEVbg=" {
					t.Errorf("API Gateway handler got %+v, want the fixture's event", rec.http)
				}
				if resp, ok := got.(events.APIGatewayV2HTTPResponse); !ok || resp.Body != "from the app" {
					t.Errorf("result %#v, want the app's response", got)
				}
				return
			}
			if !reflect.DeepEqual(rec.manage, tt.wantManage) {
				t.Errorf("manage got %q, want %q", rec.manage, tt.wantManage)
			}
			b, _ := json.Marshal(got)
			if want := `{"exitCode":0,"output":"done\n"}`; string(b) != want {
				t.Errorf("result %s, want %s", b, want)
			}
		})
	}
}

func TestManageResults(t *testing.T) {
	tests := []struct {
		name      string
		res       childproc.Result
		maxOutput int
		want      manageapi.Result
	}{
		{"failed command", childproc.Result{ExitCode: 2, Output: "Unknown command: 'nope'\n"}, 100,
			manageapi.Result{ExitCode: 2, Output: "Unknown command: 'nope'\n"}},
		{"killed at the deadline", childproc.Result{ExitCode: -1, Output: strings.Repeat("x", 100), Killed: true}, 100,
			manageapi.Result{ExitCode: -1, Output: strings.Repeat("x", 100-58) + "\n[djfront: killed shortly before the invocation deadline]\n"}},
		{"cut inside a character", childproc.Result{ExitCode: 0, Output: "\xa9t\xc3\xa9\n", Truncated: true}, 100,
			manageapi.Result{ExitCode: 0, Output: "té\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorded
			got, err := newHandler(&rec, tt.res, nil, tt.maxOutput, nil, nil).Handle(viaDjfrontManage(), []byte(`{"manage": ["check"]}`))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if r := got.(manageapi.Result); len(r.Output) > tt.maxOutput {
				t.Errorf("output of %d bytes, want at most %d", len(r.Output), tt.maxOutput)
			}
		})
	}
}

func TestManageCannotStart(t *testing.T) {
	var rec recorded
	_, err := newHandler(&rec, childproc.Result{}, errors.New("start /bin/sh: no such file"), 100, nil, nil).
		Handle(viaDjfrontManage(), []byte(`{"manage": ["migrate"]}`))
	var me *dispatch.ManageError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("got %v, want a ManageError with the cause", err)
	}
}

func FuzzHandle(f *testing.F) {
	for _, seed := range []string{"api-get.json", "manage-migrate.json", "s3-put.json", "sqs-batch.json"} {
		f.Add(fixtures.Must(f, seed))
	}
	f.Add([]byte(`{"manage": ["a", "b"]}`))
	f.Add([]byte(`{"requestContext": null, "version": "2.0"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		var rec recorded
		_, err := newHandler(&rec, childproc.Result{}, nil, 100, nil, nil).Handle(viaDjfrontManage(), payload)
		var unsupported *dispatch.UnsupportedEventError
		var refused *dispatch.ManageRefusedError
		if err != nil && !errors.As(err, &unsupported) && !errors.As(err, &refused) {
			t.Errorf("error %T %v, want an UnsupportedEventError or a ManageRefusedError", err, err)
		}
		if refused != nil && rec.manage != nil {
			t.Errorf("refused management invocation %q ran", rec.manage)
		}
		if err == nil && rec.http == nil && rec.manage == nil {
			t.Error("accepted payload reached no handler")
		}
	})
}
