package runtimeapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/lambdalimit"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

// These tests run testdata/fn, a function built on the real aws-lambda-go
// runtime client, so they compile it and are integration tests.

const fnPackage = "./internal/local/runtimeapi/testdata/fn"

// seen is what testdata/fn's "context" action returns.
type seen struct {
	RequestID     string            `json:"requestId"`
	FunctionARN   string            `json:"functionArn"`
	DeadlineMS    int64             `json:"deadlineMs"`
	ClientContext map[string]string `json:"clientContext"`
	TraceID       string            `json:"traceId"`
	Dir           string            `json:"dir"`
	PID           int               `json:"pid"`
	Env           map[string]string `json:"env"`
}

func invoke(t *testing.T, srv *runtimeapi.Server, event string) runtimeapi.Result {
	t.Helper()
	res, err := srv.Invoke(t.Context(), []byte(event))
	if err != nil {
		t.Fatalf("invoke %s: %v", event, err)
	}
	return res
}

func invokeContext(t *testing.T, srv *runtimeapi.Server) seen {
	t.Helper()
	res := invoke(t, srv, `{"action":"context"}`)
	if res.Error != nil {
		t.Fatalf("context action failed: %v", res.Error)
	}
	var s seen
	if err := json.Unmarshal(res.Payload, &s); err != nil {
		t.Fatalf("decode %s: %v", res.Payload, err)
	}
	if s.RequestID != res.RequestID {
		t.Errorf("function saw request id %s, result has %s", s.RequestID, res.RequestID)
	}
	return s
}

func TestInvoke(t *testing.T) {
	testenv.Integration(t)
	bin := testenv.BuildBootstrap(t, fnPackage)
	srv := testenv.StartFunction(t, bin, nil, 0)

	tests := []struct {
		name        string
		event       string
		wantPayload string
		wantType    string
		wantMessage string // {id} stands for the request id
	}{
		{name: "echo", event: `{"action":"echo","payload":{"hello":"world"}}`, wantPayload: `{"hello":"world"}`},
		{name: "error", event: `{"action":"error","message":"bad input"}`, wantType: "errorString", wantMessage: "bad input"},
		{name: "panic", event: `{"action":"panic","message":"kaboom"}`, wantType: "string", wantMessage: "kaboom"},
		{name: "exit", event: `{"action":"exit","code":7}`, wantType: "Runtime.ExitError",
			wantMessage: "RequestId: {id} Error: Runtime exited with error: exit status 7"},
		{name: "exit zero", event: `{"action":"exit","code":0}`, wantType: "Runtime.ExitError",
			wantMessage: "RequestId: {id} Error: Runtime exited without providing a reason"},
		{name: "response too large", event: fmt.Sprintf(`{"action":"huge","size":%d}`, lambdalimit.MaxResponse+1),
			wantType:    "Function.ResponseSizeTooLarge",
			wantMessage: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."},
		{name: "largest response", event: fmt.Sprintf(`{"action":"huge","size":%d}`, lambdalimit.MaxResponse),
			wantPayload: `"` + strings.Repeat("x", lambdalimit.MaxResponse-2) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := invoke(t, srv, tt.event)
			if tt.wantType == "" {
				if res.Error != nil || string(res.Payload) != tt.wantPayload {
					t.Errorf("got %.100s, error %v; want %.100s", res.Payload, res.Error, tt.wantPayload)
				}
			} else {
				wantMessage := strings.ReplaceAll(tt.wantMessage, "{id}", res.RequestID)
				if res.Error == nil {
					t.Fatalf("got payload %.100s, want error %s", res.Payload, tt.wantType)
				}
				if res.Error.Type != tt.wantType || res.Error.Message != wantMessage {
					t.Errorf("got error %q %q, want %q %q", res.Error.Type, res.Error.Message, tt.wantType, wantMessage)
				}
				var doc struct{ ErrorType, ErrorMessage string }
				if err := json.Unmarshal(res.Error.Payload, &doc); err != nil || doc.ErrorType != tt.wantType || doc.ErrorMessage != wantMessage {
					t.Errorf("got error document %s, want type %q and message %q", res.Error.Payload, tt.wantType, wantMessage)
				}
			}
			// Whatever happened, the function serves the next invocation.
			if res := invoke(t, srv, `{"action":"echo","payload":"next"}`); res.Error != nil || string(res.Payload) != `"next"` {
				t.Errorf("next invocation: got %s, error %v; want \"next\"", res.Payload, res.Error)
			}
		})
	}
}

func TestInvokeTimeout(t *testing.T) {
	testenv.Integration(t)
	srv := testenv.StartFunction(t, testenv.BuildBootstrap(t, fnPackage), nil, 1250*time.Millisecond)
	pid := invokeContext(t, srv).PID

	res := invoke(t, srv, `{"action":"sleep","ms":60000}`)
	want := "RequestId: " + res.RequestID + " Error: Task timed out after 1.25 seconds"
	if res.Error == nil || res.Error.Type != "Sandbox.Timedout" || res.Error.Message != want {
		t.Fatalf("got %s, error %v; want Sandbox.Timedout %q", res.Payload, res.Error, want)
	}
	if doc := `{"errorMessage":"` + want + `","errorType":"Sandbox.Timedout"}`; string(res.Error.Payload) != doc {
		t.Errorf("got error document %s, want %s", res.Error.Payload, doc)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("timed-out runtime process %d: kill(pid, 0) = %v, want ESRCH", pid, err)
	}
	if next := invokeContext(t, srv); next.PID == pid {
		t.Errorf("the next invocation ran in the timed-out process %d, want a new one", pid)
	}
}

func TestInvokeContext(t *testing.T) {
	testenv.Integration(t)
	bin := testenv.BuildBootstrap(t, fnPackage)
	srv, err := runtimeapi.Start(t.Context(), runtimeapi.Function{
		Name:     "ctxfn",
		Binary:   bin,
		Env:      []string{"AWS_REGION=eu-west-3", "GREETING=hi"},
		Timeout:  42 * time.Second,
		MemoryMB: 256,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	before := time.Now()
	s := invokeContext(t, srv)
	after := time.Now()

	if want := "arn:aws:lambda:eu-west-3:123456789012:function:ctxfn"; s.FunctionARN != want {
		t.Errorf("function ARN: got %s, want %s", s.FunctionARN, want)
	}
	if lo, hi := before.Add(42*time.Second).UnixMilli(), after.Add(42*time.Second).UnixMilli(); s.DeadlineMS < lo || s.DeadlineMS > hi {
		t.Errorf("deadline: got %d, want invocation time + 42 s, in [%d, %d]", s.DeadlineMS, lo, hi)
	}
	if !strings.HasPrefix(s.TraceID, "Root=1-") {
		t.Errorf("_X_AMZN_TRACE_ID: got %q, want an X-Ray header", s.TraceID)
	}
	taskRoot := filepath.Dir(bin)
	if s.Dir != taskRoot {
		t.Errorf("working directory: got %s, want %s", s.Dir, taskRoot)
	}
	wantEnv := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "ctxfn",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/ctxfn",
		"AWS_REGION":                      "eu-west-3",
		"AWS_DEFAULT_REGION":              "us-east-1",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"TZ":                              ":UTC",
		"GREETING":                        "hi",
	}
	for k, want := range wantEnv {
		if got := s.Env[k]; got != want {
			t.Errorf("env %s: got %q, want %q", k, got, want)
		}
	}
	if got := s.Env["AWS_LAMBDA_LOG_STREAM_NAME"]; !strings.Contains(got, "/[$LATEST]") {
		t.Errorf("env AWS_LAMBDA_LOG_STREAM_NAME: got %q, want YYYY/MM/DD/[$LATEST]id", got)
	}
	if _, ok := s.Env["HOME"]; ok {
		t.Error("env HOME inherited from the test process, want only Lambda's and the function's variables")
	}
}

func TestStartFailures(t *testing.T) {
	testenv.Integration(t)
	bin := testenv.BuildBootstrap(t, fnPackage)
	tests := []struct {
		name        string
		fn          runtimeapi.Function
		wantType    string
		wantMessage string
	}{
		{name: "init error", fn: runtimeapi.Function{Binary: bin, Env: []string{"FN_INIT=error"}},
			wantType: "Runtime.TestInit", wantMessage: "init failed on purpose"},
		{name: "exit at init", fn: runtimeapi.Function{Binary: bin, Env: []string{"FN_INIT=exit"}},
			wantType: "Runtime.ExitError", wantMessage: "Runtime exited with error: exit status 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := runtimeapi.Start(t.Context(), tt.fn)
			if err == nil {
				srv.Close()
				t.Fatal("Start succeeded, want an init failure")
			}
			var fe *runtimeapi.FunctionError
			if !errors.As(err, &fe) || fe.Type != tt.wantType || fe.Message != tt.wantMessage {
				t.Errorf("got %v, want a FunctionError %q %q", err, tt.wantType, tt.wantMessage)
			}
		})
	}
	t.Run("missing binary", func(t *testing.T) {
		_, err := runtimeapi.Start(t.Context(), runtimeapi.Function{Binary: filepath.Join(t.TempDir(), "bootstrap")})
		if !errors.Is(err, syscall.ENOENT) {
			t.Errorf("got %v, want ENOENT", err)
		}
	})
}

// TestConcurrentInvokes checks that concurrent invocations each get their
// own answer.
func TestConcurrentInvokes(t *testing.T) {
	testenv.Integration(t)
	srv := testenv.StartFunction(t, testenv.BuildBootstrap(t, fnPackage), nil, 0)
	const n = 8
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			res, err := srv.Invoke(t.Context(), fmt.Appendf(nil, `{"action":"echo","payload":%d}`, i))
			switch {
			case err != nil:
				errs[i] = err
			case res.Error != nil || string(res.Payload) != fmt.Sprint(i):
				errs[i] = fmt.Errorf("invocation %d: got %s, error %v", i, res.Payload, res.Error)
			}
			ids[i] = res.RequestID
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Error(errs[i])
		}
		if seen[ids[i]] {
			t.Errorf("request id %s used twice", ids[i])
		}
		seen[ids[i]] = true
	}
}

// startWatched starts testdata/fn with a long timeout and returns a channel
// that receives when an invocation is handed to the runtime (Lambda's START
// line).
func startWatched(t *testing.T) (*runtimeapi.Server, <-chan struct{}) {
	t.Helper()
	started := make(chan struct{}, 16) // more than a test invokes
	srv, err := runtimeapi.Start(t.Context(), runtimeapi.Function{
		Binary:  testenv.BuildBootstrap(t, fnPackage),
		Timeout: time.Minute,
		Logs: writerFunc(func(p []byte) {
			if bytes.HasPrefix(p, []byte("START RequestId:")) {
				started <- struct{}{}
			}
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, started
}

type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// TestInvokeContextEnds checks that the runtime busy with an invocation
// nobody waits for any more is killed and replaced.
func TestInvokeContextEnds(t *testing.T) {
	testenv.Integration(t)
	srv, started := startWatched(t)
	pid := invokeContext(t, srv).PID
	<-started

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := srv.Invoke(ctx, []byte(`{"action":"sleep","ms":60000}`))
		done <- err
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("runtime process %d after the cancelled invocation: kill(pid, 0) = %v, want ESRCH", pid, err)
	}
	if next := invokeContext(t, srv); next.PID == pid {
		t.Errorf("the next invocation ran in process %d, want a new one", pid)
	}
}

func TestClose(t *testing.T) {
	testenv.Integration(t)
	srv, started := startWatched(t)
	pid := invokeContext(t, srv).PID
	<-started

	done := make(chan error, 1)
	go func() {
		_, err := srv.Invoke(context.Background(), []byte(`{"action":"sleep","ms":60000}`))
		done <- err
	}()
	<-started
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, runtimeapi.ErrServerClosed) {
		t.Errorf("in-flight Invoke: got %v, want ErrServerClosed", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("runtime process %d after Close: kill(pid, 0) = %v, want ESRCH", pid, err)
	}
	if _, err := srv.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, runtimeapi.ErrServerClosed) {
		t.Errorf("Invoke after Close: got %v, want ErrServerClosed", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestServeHTTP(t *testing.T) {
	testenv.Integration(t)
	srv := testenv.StartFunction(t, testenv.BuildBootstrap(t, fnPackage), nil, 0)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	const path = "/2015-03-31/functions/function/invocations"
	clientContext := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"tenant":"t1"}}`))

	tests := []struct {
		name          string
		method, path  string
		header        http.Header
		body          string
		wantStatus    int
		wantFuncError string
		wantBody      string // exact, unless check is set
		check         func(t *testing.T, resp *http.Response, body []byte)
	}{
		{name: "response", method: "POST", path: path, body: `{"action":"echo","payload":[1,2]}`,
			wantStatus: 200, wantBody: `[1,2]`},
		{name: "any function name", method: "POST", path: "/2015-03-31/functions/other/invocations", body: `{"action":"echo","payload":1}`,
			wantStatus: 200, wantBody: `1`},
		{name: "function error", method: "POST", path: path, body: `{"action":"error","message":"nope"}`,
			wantStatus: 200, wantFuncError: "Unhandled", wantBody: `{"errorMessage":"nope","errorType":"errorString"}`},
		{name: "client context", method: "POST", path: path, body: `{"action":"context"}`,
			header:     http.Header{"X-Amz-Client-Context": {clientContext}, "X-Amzn-Trace-Id": {"Root=1-00000001-000000000000000000000001;Sampled=1"}},
			wantStatus: 200, check: func(t *testing.T, resp *http.Response, body []byte) {
				var s seen
				if err := json.Unmarshal(body, &s); err != nil {
					t.Fatalf("decode %s: %v", body, err)
				}
				if s.ClientContext["tenant"] != "t1" || s.TraceID != "Root=1-00000001-000000000000000000000001;Sampled=1" {
					t.Errorf("function saw client context %v and trace id %q, want tenant t1 and the request's trace id", s.ClientContext, s.TraceID)
				}
				if got := resp.Header.Get("X-Amzn-Requestid"); got != s.RequestID {
					t.Errorf("X-Amzn-Requestid: got %q, want %q", got, s.RequestID)
				}
			}},
		{name: "bad client context", method: "POST", path: path, body: `{}`, header: http.Header{"X-Amz-Client-Context": {"{}"}},
			wantStatus: 400, wantBody: `{"Type":"User","message":"Client context must be a valid Base64-encoded JSON object."}`},
		{name: "payload too large", method: "POST", path: path, body: strings.Repeat(" ", runtimeapi.MaxRequestSize+1),
			wantStatus: 413, wantBody: `{"Type":"User","message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}`},
		{name: "wrong method", method: "GET", path: path, wantStatus: 405, wantBody: "Method Not Allowed\n"},
		{name: "unknown path", method: "POST", path: "/2015-03-31/functions", wantStatus: 404, wantBody: "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, hs, tt.method, tt.path, tt.body, tt.header)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("X-Amz-Function-Error") != tt.wantFuncError {
				t.Errorf("got %d (X-Amz-Function-Error %q), want %d (%q)", resp.StatusCode,
					resp.Header.Get("X-Amz-Function-Error"), tt.wantStatus, tt.wantFuncError)
			}
			if tt.check != nil {
				tt.check(t, resp, body)
			} else if string(body) != tt.wantBody {
				t.Errorf("got body %.200s, want %s", body, tt.wantBody)
			}
		})
	}
}

// TestServeHTTPQualifiersAndTypes invokes through the Invoke API with a
// qualifier and each invocation type: the runtime sees the invoked function
// ARN with the alias or $LATEST, as on AWS; an unknown alias is not found;
// an Event invocation is answered at once and runs without its client
// context, which Lambda passes to synchronous invocations only.
func TestServeHTTPQualifiersAndTypes(t *testing.T) {
	testenv.Integration(t)
	logs := childproc.NewTail(1 << 20)
	srv, err := runtimeapi.Start(t.Context(), runtimeapi.Function{
		Name: "fn", Binary: testenv.BuildBootstrap(t, fnPackage), Aliases: []string{"manage"}, Logs: logs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:fn"
	clientContext := map[string][]string{"X-Amz-Client-Context": {base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))}}

	tests := []struct {
		name, path string
		header     http.Header
		wantStatus int
		wantARN    string // the ARN the function saw, for a synchronous invocation
		wantBody   string // else the exact body
	}{
		{name: "unqualified", path: "fn/invocations", wantStatus: 200, wantARN: arn},
		{name: "alias in the name", path: "fn:manage/invocations", wantStatus: 200, wantARN: arn + ":manage"},
		{name: "alias as Qualifier", path: "fn/invocations?Qualifier=manage", wantStatus: 200, wantARN: arn + ":manage"},
		{name: "alias in an ARN", path: url.PathEscape(arn+":manage") + "/invocations", wantStatus: 200, wantARN: arn + ":manage"},
		{name: "both, the same", path: "fn:manage/invocations?Qualifier=manage", wantStatus: 200, wantARN: arn + ":manage"},
		{name: "$LATEST", path: "fn:$LATEST/invocations", wantStatus: 200, wantARN: arn + ":$LATEST"},
		{name: "no such alias", path: "fn:live/invocations", wantStatus: 404,
			wantBody: `{"Type":"User","message":"Function not found: ` + arn + `:live"}`},
		{name: "a version", path: "fn/invocations?Qualifier=3", wantStatus: 404,
			wantBody: `{"Type":"User","message":"Function not found: ` + arn + `:3"}`},
		{name: "two qualifiers", path: "fn:manage/invocations?Qualifier=live", wantStatus: 400,
			wantBody: `{"Type":"User","message":"The derived qualifier from the function name does not match the specified qualifier."}`},
		{name: "dry run", path: "fn:manage/invocations", header: http.Header{"X-Amz-Invocation-Type": {"DryRun"}}, wantStatus: 204},
		{name: "unknown invocation type", path: "fn/invocations", header: http.Header{"X-Amz-Invocation-Type": {"Later"}}, wantStatus: 400,
			wantBody: `{"Type":"User","message":"X-Amz-Invocation-Type: want RequestResponse, Event or DryRun, got \"Later\""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, hs, "POST", "/2015-03-31/functions/"+tt.path, `{"action":"context"}`, tt.header, clientContext)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantARN == "" {
				if string(body) != tt.wantBody {
					t.Errorf("got body %s, want %s", body, tt.wantBody)
				}
				return
			}
			var s seen
			if err := json.Unmarshal(body, &s); err != nil {
				t.Fatalf("decode %s: %v", body, err)
			}
			if s.FunctionARN != tt.wantARN || s.ClientContext["k"] != "v" {
				t.Errorf("function saw ARN %q and client context %v, want %q and the request's", s.FunctionARN, s.ClientContext, tt.wantARN)
			}
		})
	}

	t.Run("asynchronous", func(t *testing.T) {
		resp, body := send(t, hs, "POST", "/2015-03-31/functions/fn:manage/invocations", `{"action":"print"}`,
			http.Header{"X-Amz-Invocation-Type": {"Event"}}, clientContext)
		id := resp.Header.Get("X-Amzn-Requestid")
		if resp.StatusCode != 202 || len(body) != 0 || id == "" {
			t.Fatalf("got %d %q with request id %q, want 202, no body and an id", resp.StatusCode, body, id)
		}
		want := "fn: " + id + " " + arn + ":manage null\n" // no client context
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("logs:\n%s\nwant %q", logs, want)
			}
		}
	})
}

// send sends body to hs's path with method and the headers, and returns
// the answer and its body.
func send(t *testing.T, hs *httptest.Server, method, path, body string, headers ...http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		for k, v := range h {
			req.Header[k] = v
		}
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
