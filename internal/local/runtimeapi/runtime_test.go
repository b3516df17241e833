package runtimeapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/lambdalimit"
)

// The tests in this file play the runtime: a fake runtime client speaking
// HTTP to the Runtime API of one execution environment.

const base = "/2018-06-01/runtime/"

// fakeEnvironment serves a runtimeAPI over loopback HTTP.
func fakeEnvironment(t *testing.T) (*runtimeAPI, string) {
	t.Helper()
	api := newRuntimeAPI("fn")
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return api, srv.URL + base
}

// handOver queues an invocation, as Server.Invoke does, for the next /next.
func handOver(t *testing.T, api *runtimeAPI, inv *invocation) *invocation {
	t.Helper()
	inv.result = make(chan Result, 1)
	go func() { api.invocations <- inv }()
	return inv
}

// reply is an HTTP response read in full.
type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, header http.Header, body []byte) reply {
	t.Helper()
	r, err := fetch(method, url, header, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fetch is do for goroutines other than the test's.
func fetch(method, url string, header http.Header, body []byte) (reply, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}, nil
}

func checkReply(t *testing.T, got reply, status int, body string) {
	t.Helper()
	if got.status != status || got.body != body {
		t.Errorf("got %d %s, want %d %s", got.status, got.body, status, body)
	}
}

// result returns the result delivered for inv, failing if there is none.
func result(t *testing.T, inv *invocation) Result {
	t.Helper()
	res, ok := received(inv.result)
	if !ok {
		t.Fatal("no result delivered")
	}
	return res
}

const accepted = `{"status":"OK"}`

func TestNextSendsInvocation(t *testing.T) {
	deadline := time.UnixMilli(1542409706888)
	tests := []struct {
		name string
		inv  invocation
		want http.Header
	}{
		{
			name: "without client context",
			inv: invocation{id: "8476a536-e9f4-11e8-9739-2dfe598c3fcd", payload: []byte(`{"a":1}`), deadline: deadline,
				functionARN: "arn:aws:lambda:us-east-1:123456789012:function:fn", traceID: "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"},
			want: http.Header{
				"Lambda-Runtime-Aws-Request-Id":       {"8476a536-e9f4-11e8-9739-2dfe598c3fcd"},
				"Lambda-Runtime-Deadline-Ms":          {"1542409706888"},
				"Lambda-Runtime-Invoked-Function-Arn": {"arn:aws:lambda:us-east-1:123456789012:function:fn"},
				"Lambda-Runtime-Trace-Id":             {"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"},
				"Content-Type":                        {"application/json"},
			},
		},
		{
			name: "with client context",
			inv: invocation{id: "id-2", payload: []byte(`[]`), deadline: deadline, functionARN: "arn", traceID: "Root=1-0-0",
				clientContext: `{"custom":{"k":"v"}}`},
			want: http.Header{
				"Lambda-Runtime-Aws-Request-Id":       {"id-2"},
				"Lambda-Runtime-Deadline-Ms":          {"1542409706888"},
				"Lambda-Runtime-Invoked-Function-Arn": {"arn"},
				"Lambda-Runtime-Trace-Id":             {"Root=1-0-0"},
				"Lambda-Runtime-Client-Context":       {`{"custom":{"k":"v"}}`},
				"Content-Type":                        {"application/json"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := fakeEnvironment(t)
			handOver(t, api, &tt.inv)
			got := do(t, "GET", url+"invocation/next", nil, nil)
			checkReply(t, got, http.StatusOK, string(tt.inv.payload))
			for k := range got.header {
				if strings.HasPrefix(k, "Lambda-Runtime-") && tt.want.Get(k) == "" {
					t.Errorf("got header %s: %q, want none", k, got.header.Get(k))
				}
			}
			for k, v := range tt.want {
				if got := got.header.Get(k); got != v[0] {
					t.Errorf("header %s: got %q, want %q", k, got, v[0])
				}
			}
			if _, ok := received(api.ready); !ok {
				t.Error("ready not signalled by /next")
			}
		})
	}
}

func TestResponse(t *testing.T) {
	api, url := fakeEnvironment(t)
	inv := handOver(t, api, &invocation{id: "req-1", payload: []byte(`{}`)})
	do(t, "GET", url+"invocation/next", nil, nil)

	checkReply(t, do(t, "POST", url+"invocation/other/response", nil, []byte(`"x"`)),
		http.StatusBadRequest, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
	if _, ok := received(inv.result); ok {
		t.Fatal("a response to another request id answered the invocation")
	}

	checkReply(t, do(t, "POST", url+"invocation/req-1/response", nil, []byte(`{"ok":true}`)), http.StatusAccepted, accepted)
	if got := result(t, inv); string(got.Payload) != `{"ok":true}` || got.Error != nil || got.RequestID != "req-1" {
		t.Errorf("got result %+v, want payload {\"ok\":true} for req-1", got)
	}

	checkReply(t, do(t, "POST", url+"invocation/req-1/response", nil, []byte(`"again"`)),
		http.StatusBadRequest, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
}

func TestResponseSizeLimit(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		wantStatus int
		wantBody   string
		wantError  *FunctionError
	}{
		{name: "at the limit", size: lambdalimit.MaxResponse, wantStatus: http.StatusAccepted, wantBody: accepted},
		{
			name: "over the limit", size: lambdalimit.MaxResponse + 1, wantStatus: http.StatusRequestEntityTooLarge,
			wantBody: `{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}`,
			wantError: &FunctionError{
				Type:    "Function.ResponseSizeTooLarge",
				Message: "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
				Payload: []byte(`{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := fakeEnvironment(t)
			inv := handOver(t, api, &invocation{id: "big"})
			do(t, "GET", url+"invocation/next", nil, nil)
			checkReply(t, do(t, "POST", url+"invocation/big/response", nil, bytes.Repeat([]byte("x"), tt.size)), tt.wantStatus, tt.wantBody)
			got := result(t, inv)
			checkError(t, got.Error, tt.wantError)
			if tt.wantError == nil && len(got.Payload) != tt.size {
				t.Errorf("got a payload of %d bytes, want %d", len(got.Payload), tt.size)
			}
		})
	}
}

func checkError(t *testing.T, got, want *FunctionError) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("got error %v, want %v", got, want)
	}
	if got != nil && (got.Type != want.Type || got.Message != want.Message || !bytes.Equal(got.Payload, want.Payload)) {
		t.Errorf("got error %q %q %s, want %q %q %s", got.Type, got.Message, got.Payload, want.Type, want.Message, want.Payload)
	}
}

func TestInvocationError(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		body   string
		want   FunctionError
	}{
		{
			name: "error document",
			body: `{"errorMessage":"Error parsing event data.","errorType":"InvalidEventDataException","stackTrace":[]}`,
			want: FunctionError{Type: "InvalidEventDataException", Message: "Error parsing event data.",
				Payload: []byte(`{"errorMessage":"Error parsing event data.","errorType":"InvalidEventDataException","stackTrace":[]}`)},
		},
		{
			name:   "document type wins over header",
			header: http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.Header"}},
			body:   `{"errorMessage":"m","errorType":"Doc"}`,
			want:   FunctionError{Type: "Doc", Message: "m", Payload: []byte(`{"errorMessage":"m","errorType":"Doc"}`)},
		},
		{
			name:   "type from header",
			header: http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.Header"}},
			body:   `{"errorMessage":"m"}`,
			want:   FunctionError{Type: "Runtime.Header", Message: "m", Payload: []byte(`{"errorMessage":"m"}`)},
		},
		{
			name:   "plain text body",
			header: http.Header{"Lambda-Runtime-Function-Error-Type": {"Runtime.Header"}},
			body:   `it broke`,
			want:   FunctionError{Type: "Runtime.Header", Message: "it broke", Payload: []byte(`{"errorMessage":"it broke","errorType":"Runtime.Header"}`)},
		},
		{
			name: "nothing said",
			want: FunctionError{Type: "Runtime.Unknown", Payload: []byte(`{"errorMessage":"","errorType":"Runtime.Unknown"}`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, url := fakeEnvironment(t)
			inv := handOver(t, api, &invocation{id: "e"})
			do(t, "GET", url+"invocation/next", nil, nil)
			checkReply(t, do(t, "POST", url+"invocation/e/error", tt.header, []byte(tt.body)), http.StatusAccepted, accepted)
			got := result(t, inv)
			checkError(t, got.Error, &tt.want)
			if got.Payload != nil {
				t.Errorf("got payload %s with an error, want none", got.Payload)
			}
		})
	}
	t.Run("unknown request id", func(t *testing.T) {
		_, url := fakeEnvironment(t)
		checkReply(t, do(t, "POST", url+"invocation/nope/error", nil, []byte(`{}`)),
			http.StatusBadRequest, `{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}`)
	})
}

// TestResponseTrailerError covers aws-lambda-go's report of a response that
// failed while streaming: trailers after a partial body.
func TestResponseTrailerError(t *testing.T) {
	api, url := fakeEnvironment(t)
	inv := handOver(t, api, &invocation{id: "s"})
	do(t, "GET", url+"invocation/next", nil, nil)

	doc := `{"errorMessage":"stream broke","errorType":"readError"}`
	req, err := http.NewRequest("POST", url+"invocation/s/response", io.NopCloser(strings.NewReader("partial")))
	if err != nil {
		t.Fatal(err)
	}
	req.Trailer = http.Header{
		"Lambda-Runtime-Function-Error-Type": {"readError"},
		"Lambda-Runtime-Function-Error-Body": {base64.StdEncoding.EncodeToString([]byte(doc))},
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("got status %d, want 202", resp.StatusCode)
	}
	checkError(t, result(t, inv).Error, &FunctionError{Type: "readError", Message: "stream broke", Payload: []byte(doc)})
}

func TestInitError(t *testing.T) {
	const doc = `{"errorMessage":"Failed to load function.","errorType":"InvalidFunctionException"}`
	forbidden := `{"errorMessage":"initialization is over: an init error is no longer accepted","errorType":"InvalidStateTransition"}`

	t.Run("before next", func(t *testing.T) {
		api, url := fakeEnvironment(t)
		checkReply(t, do(t, "POST", url+"init/error", nil, []byte(doc)), http.StatusAccepted, accepted)
		if _, ok := received(api.initFailed); !ok {
			t.Fatal("initFailed not signalled")
		}
		checkError(t, api.reportedInitError(), &FunctionError{Type: "InvalidFunctionException", Message: "Failed to load function.", Payload: []byte(doc)})
		checkReply(t, do(t, "POST", url+"init/error", nil, []byte(doc)), http.StatusForbidden, forbidden)
		checkReply(t, do(t, "GET", url+"invocation/next", nil, nil), http.StatusForbidden,
			`{"errorMessage":"the runtime reported an initialization error","errorType":"InvalidStateTransition"}`)
	})
	t.Run("after next", func(t *testing.T) {
		api, url := fakeEnvironment(t)
		handOver(t, api, &invocation{id: "x"})
		do(t, "GET", url+"invocation/next", nil, nil)
		checkReply(t, do(t, "POST", url+"init/error", nil, []byte(doc)), http.StatusForbidden, forbidden)
		if api.reportedInitError() != nil {
			t.Error("init error recorded after initialization")
		}
	})
}

func TestRoutes(t *testing.T) {
	tests := []struct {
		method, path string
		wantStatus   int
		wantAllow    string
	}{
		{"POST", "invocation/next", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"PUT", "invocation/next", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"GET", "invocation/x/response", http.StatusMethodNotAllowed, "POST"},
		{"GET", "invocation/x/error", http.StatusMethodNotAllowed, "POST"},
		{"GET", "init/error", http.StatusMethodNotAllowed, "POST"},
		{"GET", "invocation/x/other", http.StatusNotFound, ""},
		{"GET", "restore/next", http.StatusNotFound, ""},
	}
	_, url := fakeEnvironment(t)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			got := do(t, tt.method, url+tt.path, nil, nil)
			if got.status != tt.wantStatus || got.header.Get("Allow") != tt.wantAllow {
				t.Errorf("got %d (Allow %q), want %d (Allow %q)", got.status, got.header.Get("Allow"), tt.wantStatus, tt.wantAllow)
			}
		})
	}
}

// TestNextWaitsForInvocation checks that /next blocks until an invocation is
// handed over and that handing over waits for /next.
func TestNextWaitsForInvocation(t *testing.T) {
	api, url := fakeEnvironment(t)
	got := make(chan reply, 1)
	go func() {
		r, err := fetch("GET", url+"invocation/next", nil, nil)
		if err != nil {
			r.body = err.Error()
		}
		got <- r
	}()
	<-api.ready // the runtime is waiting in /next
	select {
	case r := <-got:
		t.Fatalf("/next answered %d before an invocation was handed over", r.status)
	default:
	}
	inv := &invocation{id: "later", payload: []byte(`"p"`), result: make(chan Result, 1)}
	api.invocations <- inv
	checkReply(t, <-got, http.StatusOK, `"p"`)
}

func TestDecodeClientContext(t *testing.T) {
	tests := []struct {
		name, header, want string
		wantOK             bool
	}{
		{name: "json object", header: base64.StdEncoding.EncodeToString([]byte(`{"custom":{"a":"b"}}`)), want: `{"custom":{"a":"b"}}`, wantOK: true},
		{name: "not base64", header: "%%%"},
		{name: "not json", header: base64.StdEncoding.EncodeToString([]byte(`nope`))},
		{name: "not an object", header: base64.StdEncoding.EncodeToString([]byte(`[1]`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeClientContext(tt.header)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("got %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
