package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/dispatch"
	"github.com/djfront/djfront/internal/manageapi"
	"github.com/djfront/djfront/sam/fixtures"
)

// recorded is what the fakes behind a Handler were called with.
type recorded struct {
	http   []byte // the payload the HTTP handler got
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
	httpHandler := func(_ context.Context, payload []byte) ([]byte, error) {
		rec.http = payload
		return []byte(`{"statusCode":200,"body":"from the app"}`), nil
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

// TestRoutes: a payload with manage and without requestContext is a
// management invocation; every other payload, whatever its shape, goes to
// the HTTP handler as it came, which serves payload format 2.0 and names
// any other shape it refuses (hostforward.Handler.Invoke; before, dispatch
// refused REST API and load balancer events itself as
// `API Gateway payload format version ""`, and logged no error_type).
func TestRoutes(t *testing.T) {
	tests := []struct {
		name       string
		payload    []byte
		wantHTTP   bool
		wantManage []string
		wantErr    string // in an *UnsupportedEventError
	}{
		{name: "API Gateway event", payload: fixtures.Must(t, "api-get.json"), wantHTTP: true},
		{name: "REST API event", payload: fixtures.Must(t, "rest-api-v1.json"), wantHTTP: true},
		{name: "load balancer event", payload: fixtures.Must(t, "alb-multi-value.json"), wantHTTP: true},
		{name: "S3 event", payload: fixtures.Must(t, "s3-put.json"), wantHTTP: true},
		{name: "empty object", payload: []byte(`{}`), wantHTTP: true},
		{name: "array", payload: []byte(`["migrate"]`), wantHTTP: true},
		{name: "null", payload: []byte(`null`), wantHTTP: true},
		{name: "not JSON", payload: []byte(`{"manage": [`), wantHTTP: true},
		{name: "manage beside requestContext", payload: []byte(`{"manage": ["migrate"], "requestContext": {}}`), wantHTTP: true},
		{name: "management invocation", payload: fixtures.Must(t, "manage-migrate.json"), wantManage: []string{"migrate", "--noinput"}},
		{name: "arguments as given", payload: []byte(`{"manage": ["shell", "-c", "print('$(x); *')"]}`), wantManage: []string{"shell", "-c", "print('$(x); *')"}},
		{name: "manage a string", payload: []byte(`{"manage": "migrate"}`), wantErr: "manage is not a list of strings"},
		{name: "manage null", payload: []byte(`{"manage": null}`), wantErr: "manage is not a list of strings"},
		{name: "manage with a number", payload: []byte(`{"manage": ["migrate", 1]}`), wantErr: "manage is not a list of strings"},
		{name: "argument with a NUL byte", payload: []byte(`{"manage": ["shell", "-c", "a\u0000b"]}`), wantErr: "manage argument 3 holds a NUL byte"},
		{name: "manage and more", payload: []byte(`{"manage": ["migrate"], "x": 1}`), wantErr: "no field but manage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorded
			var logs bytes.Buffer
			h := newHandler(&rec, childproc.Result{ExitCode: 0, Output: "done\n"}, nil, 1<<20, []string{"migrate", "shell"}, &logs)
			got, err := h.Handle(viaDjfrontManage(), tt.payload)
			if tt.wantErr != "" {
				var unsupported *dispatch.UnsupportedEventError
				if !errors.As(err, &unsupported) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `a management invocation is {"manage": [`) {
					t.Errorf("got %v, want an UnsupportedEventError naming %q and the management shape", err, tt.wantErr)
				}
				if rec.http != nil || rec.manage != nil {
					t.Errorf("refused payload reached a handler: %+v", rec)
				}
				checkUnsupportedLog(t, &logs, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantHTTP {
				if !bytes.Equal(rec.http, tt.payload) || rec.manage != nil {
					t.Errorf("HTTP handler got %q (manage %q), want the payload as it came, %q", rec.http, rec.manage, tt.payload)
				}
				if b, _ := json.Marshal(got); string(b) != `{"statusCode":200,"body":"from the app"}` {
					t.Errorf("result %s, want the HTTP handler's response as it is", b)
				}
				return
			}
			if !reflect.DeepEqual(rec.manage, tt.wantManage) || rec.http != nil {
				t.Errorf("manage got %q (HTTP %q), want %q", rec.manage, rec.http, tt.wantManage)
			}
			b, _ := json.Marshal(got)
			if want := `{"exitCode":0,"output":"done\n"}`; string(b) != want {
				t.Errorf("result %s, want %s", b, want)
			}
		})
	}
}

// checkUnsupportedLog checks the one line logged for the refused err: level
// ERROR, the request id, and error_type UnsupportedEventError, which the
// template's metric filter counts (TestUnsupportedEventsFilter in
// test/hostforward runs the filter over the built function's lines).
func checkUnsupportedLog(t *testing.T, logs *bytes.Buffer, err error) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var got map[string]any
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &got) != nil {
		t.Fatalf("logged %q, want one JSON line", logs.String())
	}
	if got["level"] != "ERROR" || got["error_type"] != "UnsupportedEventError" || got["error"] != err.Error() ||
		got["request_id"] != "c6af9ac6-7b61-11e6-9a41-93e812345678" {
		t.Errorf("log line %v, want level ERROR, the request id, error_type UnsupportedEventError and the error", got)
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
	f.Add([]byte(`{"manage": ["migrate"], "requestContext": {}}`))
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

// TestInvoke: as aws-lambda-go's lambda.Handler, the HTTP handler's answer
// passes on as the very bytes it returned (no second validation and copy of
// a 1 MiB download), and a management result is JSON without HTML escaping,
// as the runtime client would encode it.
func TestInvoke(t *testing.T) {
	answer := []byte(`{"statusCode":200,"body":"from the app"}`)
	httpHandler := func(context.Context, []byte) ([]byte, error) { return answer, nil }
	manage := func(context.Context, []string) (childproc.Result, error) {
		return childproc.Result{ExitCode: 1, Output: "<no> & \"yes\"\n"}, nil
	}
	h := dispatch.New(httpHandler, dispatch.Manage{Run: manage, Allow: []string{"check"}, MaxOutput: 100}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	tests := []struct {
		name, payload, want, wantErr string
		same                         bool // the HTTP handler's own bytes
	}{
		{name: "HTTP", payload: string(fixtures.Must(t, "api-get.json")), want: string(answer), same: true},
		{name: "management", payload: `{"manage": ["check"]}`, want: `{"exitCode":1,"output":"<no> & \"yes\"\n"}`},
		{name: "malformed management", payload: `{"manage": "check"}`, wantErr: "manage is not a list of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Invoke(viaDjfrontManage(), []byte(tt.payload))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %s, %v; want an error naming %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %s, %v; want %s", got, err, tt.want)
			}
			if same := &got[0] == &answer[0]; same != tt.same {
				t.Errorf("answer is the HTTP handler's own bytes: %v, want %v", same, tt.same)
			}
		})
	}
}
