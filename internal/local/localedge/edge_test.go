package localedge_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/djfront/djfront/internal/local/localedge"
	"github.com/djfront/djfront/internal/local/runtimeapi"
)

const secret = "edge-secret"

// fakeApp records the event it gets and how often it was called, and
// answers with result or err.
type fakeApp struct {
	got    events.APIGatewayV2HTTPRequest
	calls  int
	result runtimeapi.Result
	err    error
}

func (f *fakeApp) Invoke(_ context.Context, payload []byte) (runtimeapi.Result, error) {
	f.calls++
	f.got = events.APIGatewayV2HTTPRequest{}
	if err := json.Unmarshal(payload, &f.got); err != nil {
		return runtimeapi.Result{}, err
	}
	return f.result, f.err
}

func respond(t *testing.T, r events.APIGatewayV2HTTPResponse) runtimeapi.Result {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return runtimeapi.Result{Payload: b}
}

func TestEventAsAPIGatewayBuildsIt(t *testing.T) {
	app := &fakeApp{}
	app.result = respond(t, events.APIGatewayV2HTTPResponse{StatusCode: 200})
	edge := localedge.New(localedge.Config{Distribution: distribution(t), App: app, OriginVerify: secret})

	tests := []struct {
		name   string
		req    func() *http.Request
		checks func(t *testing.T, ev events.APIGatewayV2HTTPRequest)
	}{
		{
			name: "viewer headers replaced by the edge's, path decoded, query raw, cookies split",
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodGet, "https://www.example.com:8443/caf%C3%A9/a%20b+c?q=a+b&q=c%2B&e=", nil)
				r.RemoteAddr = "192.0.2.1:51234"
				r.Header.Set("Cookie", "a=1; b=2")
				r.Header.Add("Cookie", "c=3")
				r.Header.Add("Accept", "text/html")
				r.Header.Add("Accept", "application/json")
				r.Header.Set("X-Forwarded-For", "203.0.113.66")
				r.Header.Set("X-Forwarded-Host", "evil.example")
				r.Header.Set("X-Forwarded-Proto", "http")
				r.Header.Set("X-Real-IP", "203.0.113.67")
				r.Header.Set("True-Client-IP", "203.0.113.68")
				r.Header.Set("X-Origin-Verify", "guess")
				r.Header.Set("Cloudfront-Forwarded-Proto", "http")
				r.Header.Set("Connection", "keep-alive")
				return r
			},
			checks: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				domain := localedge.DefaultAPIID + ".execute-api.us-east-1.amazonaws.com"
				for _, c := range []struct{ what, got, want string }{
					{"rawPath", ev.RawPath, "/café/a b+c"},
					{"requestContext.http.path", ev.RequestContext.HTTP.Path, "/café/a b+c"},
					{"rawQueryString", ev.RawQueryString, "q=a+b&q=c%2B&e="},
					{"queryStringParameters q", ev.QueryStringParameters["q"], "a b,c+"},
					{"cookies", strings.Join(ev.Cookies, "|"), "a=1|b=2|c=3"},
					{"host", ev.Headers["host"], domain},
					{"domainName", ev.RequestContext.DomainName, domain},
					{"x-forwarded-host", ev.Headers["x-forwarded-host"], "www.example.com:8443"},
					{"true-client-ip", ev.Headers["true-client-ip"], "192.0.2.1"},
					{"x-origin-verify", ev.Headers["x-origin-verify"], secret},
					{"cloudfront-forwarded-proto", ev.Headers["cloudfront-forwarded-proto"], "https"},
					{"x-forwarded-for", ev.Headers["x-forwarded-for"], "203.0.113.66, 192.0.2.1, " + localedge.DefaultEdgeIP},
					{"x-forwarded-proto", ev.Headers["x-forwarded-proto"], "https"},
					{"x-forwarded-port", ev.Headers["x-forwarded-port"], "443"},
					{"accept", ev.Headers["accept"], "text/html,application/json"},
					{"sourceIp", ev.RequestContext.HTTP.SourceIP, localedge.DefaultEdgeIP},
					{"method", ev.RequestContext.HTTP.Method, "GET"},
					{"version", ev.Version, "2.0"},
					{"routeKey", ev.RouteKey, "$default"},
				} {
					if c.got != c.want {
						t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
					}
				}
				for _, h := range []string{"cookie", "x-real-ip", "connection"} {
					if v, ok := ev.Headers[h]; ok {
						t.Errorf("header %s = %q reached the function, want it removed", h, v)
					}
				}
				if ev.RequestContext.RequestID == "" || ev.Headers["via"] == "" || ev.Headers["x-amz-cf-id"] == "" {
					t.Errorf("requestId %q, via %q, x-amz-cf-id %q: want all set",
						ev.RequestContext.RequestID, ev.Headers["via"], ev.Headers["x-amz-cf-id"])
				}
			},
		},
		{
			name: "form body in base64",
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "https://www.example.com/form/", strings.NewReader("name=caf%C3%A9"))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			},
			checks: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if want := base64.StdEncoding.EncodeToString([]byte("name=caf%C3%A9")); !ev.IsBase64Encoded || ev.Body != want {
					t.Errorf("body = %q (base64 %t), want %q in base64", ev.Body, ev.IsBase64Encoded, want)
				}
				if got, want := ev.Headers["content-length"], "14"; got != want {
					t.Errorf("content-length = %q, want %q", got, want)
				}
			},
		},
		{
			name: "JSON body as text",
			req: func() *http.Request {
				r := httptest.NewRequest(http.MethodPut, "https://www.example.com/api", strings.NewReader(`{"a":"é"}`))
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
				return r
			},
			checks: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if ev.IsBase64Encoded || ev.Body != `{"a":"é"}` {
					t.Errorf("body = %q (base64 %t), want the JSON as text", ev.Body, ev.IsBase64Encoded)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edge.ServeHTTP(httptest.NewRecorder(), tt.req())
			tt.checks(t, app.got)
		})
	}
}

func TestResponseAsAPIGatewayReturnsIt(t *testing.T) {
	tests := []struct {
		name       string
		result     runtimeapi.Result
		err        error
		status     int
		body       string
		setCookies []string
		header     [2]string // name, value
	}{
		{
			name: "cookies become Set-Cookie lines, base64 body decoded",
			result: respond(t, events.APIGatewayV2HTTPResponse{
				StatusCode:      201,
				Headers:         map[string]string{"Content-Type": "image/png", "X-App": "1"},
				Cookies:         []string{"a=1; Expires=Fri, 31 Dec 2099 23:59:59 GMT; Secure", "b=2; HttpOnly"},
				Body:            base64.StdEncoding.EncodeToString([]byte{0x89, 'P', 'N', 'G', 0xff}),
				IsBase64Encoded: true,
			}),
			status:     201,
			body:       "\x89PNG\xff",
			setCookies: []string{"a=1; Expires=Fri, 31 Dec 2099 23:59:59 GMT; Secure", "b=2; HttpOnly"},
			header:     [2]string{"X-App", "1"},
		},
		{
			name:   "a payload without statusCode is a JSON body",
			result: runtimeapi.Result{Payload: []byte(`{"hello":"world"}`)},
			status: 200,
			body:   `{"hello":"world"}`,
			header: [2]string{"Content-Type", "application/json"},
		},
		{
			name:   "function error",
			result: runtimeapi.Result{Error: &runtimeapi.FunctionError{Type: "Runtime.ExitError", Message: "boom"}},
			status: 500,
			body:   `{"message":"Internal Server Error"}`,
		},
		{
			name:   "broken base64 body",
			result: respond(t, events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "%%%", IsBase64Encoded: true}),
			status: 500,
			body:   `{"message":"Internal Server Error"}`,
		},
		{
			name:   "no answer within the integration timeout",
			err:    context.DeadlineExceeded,
			status: 503,
			body:   `{"message":"Service Unavailable"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edge := localedge.New(localedge.Config{Distribution: distribution(t), App: &fakeApp{result: tt.result, err: tt.err}, OriginVerify: secret})
			rec := httptest.NewRecorder()
			edge.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://www.example.com/", nil))
			if rec.Code != tt.status || rec.Body.String() != tt.body {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body, tt.status, tt.body)
			}
			if got := rec.Header().Values("Set-Cookie"); !slices.Equal(got, tt.setCookies) {
				t.Errorf("Set-Cookie = %q, want %q", got, tt.setCookies)
			}
			if tt.header[0] != "" && rec.Header().Get(tt.header[0]) != tt.header[1] {
				t.Errorf("%s = %q, want %q", tt.header[0], rec.Header().Get(tt.header[0]), tt.header[1])
			}
			if rec.Header().Get("Apigw-Requestid") == "" {
				t.Error("no Apigw-Requestid header")
			}
		})
	}
}

func TestPayloadLimit(t *testing.T) {
	app := &fakeApp{}
	edge := localedge.New(localedge.Config{Distribution: distribution(t), App: app})
	rec := httptest.NewRecorder()
	edge.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "https://www.example.com/up", strings.NewReader(strings.Repeat("x", localedge.MaxPayload+1))))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", rec.Code)
	}
	if app.got.Version != "" {
		t.Error("the function was invoked with a payload over the limit")
	}
}

// TestInvocationPayloadLimit: a body within the HTTP API's 10 MB whose event
// is over Lambda's 6 MB invocation limit (a binary body counts in base64)
// is refused with 413 before the function is called, as AWS refuses it; the
// local stack used to pass a 7 MB upload to the app.
func TestInvocationPayloadLimit(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		size        int
		wantStatus  int
	}{
		{"7 MB upload", "multipart/form-data; boundary=x", 7 << 20, http.StatusRequestEntityTooLarge},
		{"4.8 MB upload, over in base64", "application/octet-stream", 4_800_000, http.StatusRequestEntityTooLarge},
		{"4.4 MB upload, under in base64", "application/octet-stream", 4_400_000, http.StatusOK},
		{"6.1 MB of text, not base64", "text/plain", 6_100_000, http.StatusOK},
		{"6.3 MB of text", "text/plain", 6_300_000, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &fakeApp{result: respond(t, events.APIGatewayV2HTTPResponse{StatusCode: 200})}
			edge := localedge.New(localedge.Config{Distribution: distribution(t), App: app})
			req := httptest.NewRequest(http.MethodPost, "https://www.example.com/up", strings.NewReader(strings.Repeat("x", tt.size)))
			req.Header.Set("Content-Type", tt.contentType)
			rec := httptest.NewRecorder()
			edge.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Errorf("status %d %q, want %d", rec.Code, rec.Body.String(), tt.wantStatus)
			}
			if invoked := app.calls > 0; invoked != (tt.wantStatus == http.StatusOK) {
				t.Errorf("function invoked: %v, want %v", invoked, tt.wantStatus == http.StatusOK)
			}
		})
	}
}

// TestHeaderQuota checks the HTTP API's quota on the request line and
// header values API Gateway receives (10,240 bytes, not adjustable:
// http-api-quotas): cookies or a query that fit locally but not in AWS
// are refused before the function is called, as in AWS.
func TestHeaderQuota(t *testing.T) {
	tests := []struct {
		name   string
		target string
		cookie int // bytes of cookie value
		status int
	}{
		{"8 KB of cookies pass", "/page/", 8 << 10, 200},
		{"10 KB of cookies do not", "/page/", 10 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"a 10 KB query does not", "/page/?q=" + strings.Repeat("q", 10<<10), 0, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &fakeApp{result: respond(t, events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "app"})}
			edge, _ := newEdge(t, app)
			var header []string
			if tt.cookie > 0 {
				header = []string{"Cookie", "big=" + strings.Repeat("c", tt.cookie)}
			}
			rec := serve(edge, http.MethodGet, tt.target, header...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if invoked := app.calls > 0; invoked != (tt.status == 200) {
				t.Errorf("function invoked: %v, want %v", invoked, tt.status == 200)
			}
		})
	}
}

// fakeBucket serves objects from a map; err, if set, is every answer.
type fakeBucket struct {
	objects map[string]string
	err     error
}

func (b *fakeBucket) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if b.err != nil {
		return nil, b.err
	}
	body, ok := b.objects[aws.ToString(in.Key)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchKey", Message: "The specified key does not exist."}
	}
	return &s3.GetObjectOutput{
		Body:         io.NopCloser(strings.NewReader(body)),
		ContentType:  aws.String("text/css"),
		ETag:         aws.String(`"abc"`),
		LastModified: aws.Time(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)),
	}, nil
}

func TestAssets(t *testing.T) {
	objects := map[string]string{"static/site.css": "body{}", "media/a b.txt": "media"}
	tests := []struct {
		name         string
		err          error
		method, path string
		header       [2]string
		status       int
		body         string
	}{
		{name: "object", method: "GET", path: "/static/site.css", status: 200, body: "body{}"},
		{name: "decoded key", method: "GET", path: "/media/a%20b.txt", status: 200, body: "media"},
		{name: "HEAD", method: "HEAD", path: "/static/site.css", status: 200},
		{name: "not modified", method: "GET", path: "/static/site.css", header: [2]string{"If-None-Match", `"abc"`}, status: 304},
		{name: "missing key is S3's 404 (CloudFront may list the bucket)", method: "GET", path: "/static/nope.css", status: 404, body: "<Code>NoSuchKey</Code>"},
		{name: "POST not allowed", method: "POST", path: "/static/site.css", status: 403, body: "not configured to allow the HTTP request method"},
		{name: "bucket unreachable names the bucket", err: errors.New("dial tcp 127.0.0.1:1: connection refused"),
			method: "GET", path: "/static/site.css", status: 502, body: "the S3 bucket assets did not answer: dial tcp"},
		{name: "app path goes to the function", method: "GET", path: "/staticky", status: 200, body: "app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &fakeApp{result: respond(t, events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "app"})}
			edge := localedge.New(localedge.Config{
				Distribution: distribution(t),
				App:          app,
				Assets:       localedge.NewAssets(&fakeBucket{objects: objects, err: tt.err}, "assets", nil),
			})
			req := httptest.NewRequest(tt.method, "https://www.example.com"+tt.path, nil)
			if tt.header[0] != "" {
				req.Header.Set(tt.header[0], tt.header[1])
			}
			rec := httptest.NewRecorder()
			edge.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("got %d %q, want %d containing %q", rec.Code, rec.Body, tt.status, tt.body)
			}
		})
	}
}

func TestSelfSignedCert(t *testing.T) {
	cert, err := localedge.SelfSignedCert("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "127.0.0.1"} {
		if err := cert.Leaf.VerifyHostname(host); err != nil {
			t.Errorf("VerifyHostname(%s): %v", host, err)
		}
	}
	if _, err := localedge.SelfSignedCert(); err == nil {
		t.Error("no hosts: got no error")
	}
}
