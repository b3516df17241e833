package hostforward_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestForwardedRequest(t *testing.T) {
	app := newUpstream(t, ok)
	h := newHandler(t, app.URL+"/base", nil)

	tests := []struct {
		name    string
		event   string
		wantURI string
		wantIP  string
		header  map[string]string // headers the app must see, exactly
		absent  []string          // headers the app must not see
		body    string
	}{
		{
			name:  "viewer facts restored, path and query byte for byte",
			event: "api-get.json",
			// API Gateway decodes rawPath; it is re-encoded minimally, and
			// the raw query string passes untouched.
			wantURI: "/base/whoami/caf%C3%A9%20(1)+x?q=a%2Bb+c&tag=1&tag=2&empty=&name=%C3%A9t%C3%A9&sig=abc%3D%3D",
			wantIP:  "203.0.113.7",
			header: map[string]string{
				"X-Forwarded-Host":  "www.example.com",
				"X-Forwarded-Proto": "https",
				"X-Forwarded-Port":  "443",
				"X-Forwarded-For":   "203.0.113.7",
				"X-Real-Ip":         "203.0.113.7",
				"Forwarded":         "for=203.0.113.7;host=www.example.com;proto=https",
				"X-Request-Id":      "Jn8xYgABoAMEVbg=",
				"Cookie":            "csrftoken=Xy12; sessionid=abc123",
				"Accept-Encoding":   "gzip, deflate, br",
				"If-Modified-Since": "Sat, 21 Nov 2026 10:00:00 GMT",
				"User-Agent":        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
			},
			absent: []string{"X-Origin-Verify", "True-Client-Ip", "Cloudfront-Forwarded-Proto"},
		},
		{
			name:    "base64 form body decoded",
			event:   "api-post-form.json",
			wantURI: "/base/form/",
			wantIP:  "203.0.113.7",
			header: map[string]string{
				"Content-Type": "application/x-www-form-urlencoded",
				"Origin":       "https://www.example.com",
			},
			body: "csrfmiddlewaretoken=Xy12&name=caf%C3%A9+au+lait",
		},
		{
			name:    "client-forged forwarding and hop-by-hop headers replaced or removed",
			event:   "api-forged-headers.json",
			wantURI: "/base/whoami/",
			wantIP:  "203.0.113.7",
			header: map[string]string{
				"X-Forwarded-For":   "203.0.113.7",
				"X-Real-Ip":         "203.0.113.7",
				"X-Request-Id":      "Jn8xYgABoAMEVbi=",
				"Forwarded":         "for=203.0.113.7;host=www.example.com;proto=https",
				"X-Forwarded-Proto": "https", // the client forged http
				"X-Forwarded-Port":  "443",   // the client forged 80
			},
			absent: []string{"X-Forwarded-Server", "X-Golambdaproxy-Apigw-Context", "X-Drop-Me", "Connection"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := h.Handle(context.Background(), loadEvent(t, tt.event))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("Handle = %d %q, %v; want 200", resp.StatusCode, resp.Body, err)
			}
			got := app.got()
			if got.RequestURI != tt.wantURI {
				t.Errorf("RequestURI = %q, want %q", got.RequestURI, tt.wantURI)
			}
			if got.Host != "www.example.com" {
				t.Errorf("Host = %q, want www.example.com", got.Host)
			}
			for name, want := range tt.header {
				if v := got.Header.Values(name); len(v) != 1 || v[0] != want {
					t.Errorf("%s = %q, want exactly [%q]", name, v, want)
				}
			}
			for _, name := range tt.absent {
				if v := got.Header.Values(name); len(v) > 0 {
					t.Errorf("%s = %q, want absent", name, v)
				}
			}
			if string(got.Body) != tt.body {
				t.Errorf("body = %q, want %q", got.Body, tt.body)
			}
		})
	}
}

func TestRefusedBeforeTheApp(t *testing.T) {
	tests := []struct {
		name       string
		event      string
		env        map[string]string
		edit       func(h map[string]string)
		wantStatus int
		wantReason string
	}{
		{"foreign host", "api-foreign-host.json", nil, nil, 400, `host "evil.example" is not in ALLOWED_HOSTS`},
		{"direct to API Gateway, no secret", "api-direct.json", nil, nil, 403, "request did not come through the CloudFront distribution"},
		{"wrong secret", "api-get.json", nil, func(h map[string]string) { h["x-origin-verify"] = "guess" }, 403, "did not come through"},
		{"secret prefix only", "api-get.json", nil, func(h map[string]string) { h["x-origin-verify"] = testSecret[:5] }, 403, "did not come through"},
		{"comma list host", "api-get.json", nil, func(h map[string]string) { h["x-forwarded-host"] = "www.example.com, evil.example" }, 400, "must be one host"},
		{"direct without secret check falls back to API domain", "api-direct.json", map[string]string{"ORIGIN_VERIFY_SECRETS": ""}, nil, 400, "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"},
		{"header injection", "api-get.json", nil, func(h map[string]string) { h["x-evil"] = "a\r\nHost: evil" }, 400, "invalid value in header"},
		{"bad proto from edge", "api-get.json", nil, func(h map[string]string) { h["cloudfront-forwarded-proto"] = "gopher" }, 400, "CloudFront-Forwarded-Proto"},
		{"bad true-client-ip", "api-get.json", nil, func(h map[string]string) { h["true-client-ip"] = "not-an-ip" }, 400, "invalid client address"},
		{"zoned true-client-ip", "api-get.json", nil, func(h map[string]string) { h["true-client-ip"] = `fe80::1%x",6.6.6.6` }, 400, "invalid client address"},
		{"same header twice in different case", "api-get.json", nil, func(h map[string]string) { h["X-Origin-Verify"] = "guess" }, 400, "appears twice"},
		{"port zero", "api-get.json", nil, func(h map[string]string) { h["x-forwarded-host"] = "www.example.com:0" }, 400, "not in ALLOWED_HOSTS"},
		{"port too large", "api-get.json", nil, func(h map[string]string) { h["x-forwarded-host"] = "www.example.com:65536" }, 400, "not in ALLOWED_HOSTS"},
		{"bare dot", "api-get.json", map[string]string{"ALLOWED_HOSTS": "*"}, func(h map[string]string) { h["x-forwarded-host"] = "." }, 400, "not in ALLOWED_HOSTS"},
		{"no host at all falls back to the API domain", "api-get.json", map[string]string{"ORIGIN_VERIFY_SECRETS": ""}, func(h map[string]string) {
			delete(h, "x-forwarded-host")
			delete(h, "host")
		}, 400, `host "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newUpstream(t, ok)
			h := newHandler(t, app.URL, tt.env)
			ev := loadEvent(t, tt.event)
			if tt.edit != nil {
				tt.edit(ev.Headers)
			}
			resp, _ := h.Handle(context.Background(), ev)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantReason) ||
				!strings.Contains(resp.Body, ev.RequestContext.RequestID) {
				t.Errorf("got %d %q, want %d naming %q and the request id", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantReason)
			}
			if resp.Headers["Content-Type"] != "text/plain; charset=utf-8" || resp.Headers["Cache-Control"] != "no-store" {
				t.Errorf("error headers = %v", resp.Headers)
			}
			if app.got() != nil {
				t.Errorf("the app received %+v; want nothing", app.got())
			}
		})
	}
}

func TestTrustOnlyVerifiedEdgeHeaders(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		edit      func(h map[string]string)
		wantIP    string
		wantProto string
	}{
		{"verified: edge headers count", nil, func(h map[string]string) { h["cloudfront-forwarded-proto"] = "http" }, "203.0.113.7", "http"},
		{"rotation: old secret accepted", nil, func(h map[string]string) { h["x-origin-verify"] = "old-secret" }, "203.0.113.7", "https"},
		{"check off: edge headers ignored", map[string]string{"ORIGIN_VERIFY_SECRETS": ""}, func(h map[string]string) { h["cloudfront-forwarded-proto"] = "http" }, "130.176.12.34", "https"},
		{"ipv6 client", nil, func(h map[string]string) { h["true-client-ip"] = "2001:db8::7" }, "2001:db8::7", "https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newUpstream(t, ok)
			ev := loadEvent(t, "api-get.json")
			tt.edit(ev.Headers)
			if resp, _ := newHandler(t, app.URL, tt.env).Handle(context.Background(), ev); resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			got := app.got().Header
			if g := got.Get("X-Forwarded-For"); g != tt.wantIP {
				t.Errorf("X-Forwarded-For = %q, want %q", g, tt.wantIP)
			}
			if g := got.Get("X-Forwarded-Proto"); g != tt.wantProto {
				t.Errorf("X-Forwarded-Proto = %q, want %q", g, tt.wantProto)
			}
			if g, want := got.Get("Forwarded"), "proto="+tt.wantProto; !strings.HasSuffix(g, want) {
				t.Errorf("Forwarded = %q, want suffix %q", g, want)
			}
			if strings.Contains(tt.wantIP, ":") && got.Get("Forwarded") != `for="[2001:db8::7]";host=www.example.com;proto=https` {
				t.Errorf("Forwarded = %q, want the RFC 7239 quoted IPv6 form", got.Get("Forwarded"))
			}
		})
	}
}

func TestForwardedQuotesHostWithPort(t *testing.T) {
	app := newUpstream(t, ok)
	ev := loadEvent(t, "api-get.json")
	ev.Headers["x-forwarded-host"] = "www.example.com:8443"
	if resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), ev); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	got := app.got().Header
	if g, want := got.Get("Forwarded"), `for=203.0.113.7;host="www.example.com:8443";proto=https`; g != want {
		t.Errorf("Forwarded = %q, want %q", g, want)
	}
	if g := got.Get("X-Forwarded-Port"); g != "8443" {
		t.Errorf("X-Forwarded-Port = %q, want 8443", g)
	}
}

// Connection-level headers stay with the client's connection. Expect too:
// the body is in the event already, and a forwarded 100-continue made the
// transport hold it back for up to ExpectContinueTimeout (a second) from an
// app that does not answer 100 Continue; nginx drops it as well.
func TestConnectionLevelHeadersDropped(t *testing.T) {
	app := newUpstream(t, ok)
	ev := loadEvent(t, "api-post-form.json")
	ev.Headers["connection"] = "Upgrade"
	ev.Headers["upgrade"] = "h2c"
	ev.Headers["expect"] = "100-continue"
	if resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), ev); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	got := app.got()
	for _, h := range []string{"Upgrade", "Connection", "Expect"} {
		if v := got.Header.Values(h); len(v) > 0 {
			t.Errorf("app got %s: %q", h, v)
		}
	}
	if len(got.Body) == 0 {
		t.Error("app got no body")
	}
}

func TestMixedCaseHeaderNames(t *testing.T) {
	app := newUpstream(t, ok)
	ev := loadEvent(t, "api-get.json")
	upper := map[string]string{}
	for k, v := range ev.Headers {
		upper[http.CanonicalHeaderKey(k)] = v
	}
	ev.Headers = upper
	if resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), ev); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if got := app.got(); got.Host != "www.example.com" || got.Header.Get("X-Forwarded-For") != "203.0.113.7" {
		t.Errorf("app got host %q, X-Forwarded-For %q", got.Host, got.Header.Get("X-Forwarded-For"))
	}
}

func TestRemoveBasePath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/prod/whoami/", "/whoami/"},
		{"/prod", "/"},
		{"/production/x", "/production/x"},
		{"/other/prod/x", "/other/prod/x"},
	}
	app := newUpstream(t, ok)
	h := newHandler(t, app.URL, map[string]string{"REMOVE_BASE_PATH": "prod/"})
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			ev := loadEvent(t, "api-get.json")
			ev.RawPath, ev.RawQueryString = tt.path, ""
			if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if got := app.got().RequestURI; got != tt.want {
				t.Errorf("RequestURI = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestResponseConversion(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"a":1}`))
	zw.Close()

	tests := []struct {
		name        string
		respond     http.HandlerFunc
		wantStatus  int
		wantBody    string
		wantBase64  bool
		wantCookies []string
		wantHeaders map[string]string
	}{
		{
			name: "every Set-Cookie into cookies, attributes intact; repeated headers joined",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Add("Set-Cookie", "a=1; Expires=Sat, 21 Nov 2026 12:00:00 GMT; Path=/")
				w.Header().Add("Set-Cookie", "b=2; HttpOnly; Secure; SameSite=Lax")
				w.Header().Add("Vary", "Cookie")
				w.Header().Add("Vary", "Accept-Encoding")
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Header().Set("Location", "https://www.example.com/next/")
				w.WriteHeader(http.StatusFound)
				w.Write([]byte("<a href=\"/next/\">next</a>"))
			},
			wantStatus:  302,
			wantBody:    "<a href=\"/next/\">next</a>",
			wantCookies: []string{"a=1; Expires=Sat, 21 Nov 2026 12:00:00 GMT; Path=/", "b=2; HttpOnly; Secure; SameSite=Lax"},
			wantHeaders: map[string]string{"Vary": "Cookie, Accept-Encoding", "Location": "https://www.example.com/next/"},
		},
		{
			name: "binary by content type is base64",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "image/png")
				w.Write(png)
			},
			wantStatus: 200, wantBody: base64.StdEncoding.EncodeToString(png), wantBase64: true,
		},
		{
			name: "content-encoding is base64 even for JSON",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(gz.Bytes())
			},
			wantStatus: 200, wantBody: base64.StdEncoding.EncodeToString(gz.Bytes()), wantBase64: true,
			wantHeaders: map[string]string{"Content-Encoding": "gzip"},
		},
		{
			name: "text with invalid UTF-8 is base64",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain; charset=latin1")
				w.Write([]byte("caf\xe9"))
			},
			wantStatus: 200, wantBody: base64.StdEncoding.EncodeToString([]byte("caf\xe9")), wantBase64: true,
		},
		{
			name: "1xx informational responses are not final",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Link", "</static/site.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte("made"))
			},
			wantStatus: 201, wantBody: "made",
		},
		{
			name: "trailers are not sent as headers",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Trailer", "X-Checksum")
				w.Header().Set("Content-Type", "text/plain")
				w.Write([]byte("body"))
				w.Header().Set("X-Checksum", "abc")
				w.Header().Set(http.TrailerPrefix+"X-Late", "1")
			},
			wantStatus: 200, wantBody: "body",
			wantHeaders: map[string]string{"Trailer": "", "X-Checksum": "", "X-Late": ""},
		},
		{
			name:       "empty 204",
			respond:    func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) },
			wantStatus: 204,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newUpstream(t, tt.respond)
			resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), loadEvent(t, "api-get.json"))
			if resp.StatusCode != tt.wantStatus || resp.Body != tt.wantBody || resp.IsBase64Encoded != tt.wantBase64 {
				t.Errorf("got %d %q base64=%v, want %d %q base64=%v", resp.StatusCode, resp.Body, resp.IsBase64Encoded, tt.wantStatus, tt.wantBody, tt.wantBase64)
			}
			if strings.Join(resp.Cookies, "|") != strings.Join(tt.wantCookies, "|") {
				t.Errorf("cookies = %q, want %q", resp.Cookies, tt.wantCookies)
			}
			for k, want := range tt.wantHeaders {
				if resp.Headers[k] != want {
					t.Errorf("header %s = %q, want %q", k, resp.Headers[k], want)
				}
			}
			if _, ok := resp.Headers["Set-Cookie"]; ok {
				t.Error("Set-Cookie left in headers")
			}
		})
	}
}

func TestUpstreamFailures(t *testing.T) {
	closed := newUpstream(t, ok)
	closedURL := closed.URL
	closed.Close()

	// 1.1 MB of control characters JSON-encodes to 6.6 MB (\u0001 each).
	big := strings.Repeat("\x01", 1_100_000)

	tests := []struct {
		name       string
		url        string
		respond    http.HandlerFunc
		env        map[string]string
		wantStatus int
		wantReason string
	}{
		{name: "unreachable", url: closedURL, wantStatus: 502, wantReason: "unreachable"},
		{
			name: "too slow", env: map[string]string{"UPSTREAM_TIMEOUT": "50ms"},
			respond: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			},
			wantStatus: 504, wantReason: "did not answer within 50ms",
		},
		{
			name: "connection dropped mid-body",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.Write([]byte("partial"))
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
			},
			wantStatus: 502, wantReason: "broken response",
		},
		{
			name: "raw body over 6 MB",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Write(make([]byte, 7<<20))
			},
			wantStatus: 502, wantReason: "larger than Lambda's 6291556-byte response limit",
		},
		{
			name: "binary body over 6 MB after base64",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Write(make([]byte, 5<<20))
			},
			wantStatus: 502, wantReason: "encodes to",
		},
		{
			name: "text body over 6 MB after JSON escaping",
			respond: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.Write([]byte(big))
			},
			wantStatus: 502, wantReason: "encodes to",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = newUpstream(t, tt.respond).URL
			}
			resp, err := newHandler(t, url, tt.env).Handle(context.Background(), loadEvent(t, "api-get.json"))
			if err != nil {
				t.Fatalf("Handle returned an error (a Lambda error): %v", err)
			}
			if resp.StatusCode != tt.wantStatus || !strings.Contains(resp.Body, tt.wantReason) || !strings.Contains(resp.Body, "Jn8xYgABoAMEVbg=") {
				t.Errorf("got %d %.200q, want %d naming %q and the request id", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantReason)
			}
		})
	}
}

// Large HTML near the limit fits: the runtime encodes without HTML escaping,
// so '<', '>' and '&' take one byte each, not six.
func TestLargeHTMLFits(t *testing.T) {
	page := strings.Repeat("<p>a&amp;b</p>", 5_500_000/14)
	app := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), loadEvent(t, "api-get.json"))
	if resp.StatusCode != 200 || resp.Body != page {
		t.Fatalf("got %d %.200q, want the 5.5 MB page", resp.StatusCode, resp.Body)
	}
}

// The Lambda deadline bounds the upstream call too, so a slow app gets a
// 504 answered rather than the invocation timing out.
func TestLambdaDeadlineBoundsUpstream(t *testing.T) {
	app := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	h := newHandler(t, app.URL, map[string]string{"UPSTREAM_TIMEOUT": "1m"})
	for _, left := range []time.Duration{400 * time.Millisecond, 100 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), left)
		resp, _ := h.Handle(ctx, loadEvent(t, "api-get.json"))
		cancel()
		if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(resp.Body, "did not answer before the Lambda deadline") {
			t.Errorf("%s left: got %d %q, want 504 naming the Lambda deadline", left, resp.StatusCode, resp.Body)
		}
	}
}

// One log line per request, with the field names both functions share:
// request_id is Lambda's, apigw_request_id API Gateway's, durations in
// integer milliseconds, and no zero-filled fields when the app was never
// called.
func TestLogLine(t *testing.T) {
	app := newUpstream(t, ok)
	tests := []struct {
		name       string
		edit       func(ev *events.APIGatewayV2HTTPRequest)
		wantStatus float64
		want       []string // fields that must be present
		absent     []string // fields that must not be
	}{
		{"forwarded", nil, 200, []string{"upstream_ms", "host", "client_ip", "verified"}, []string{"error", "source_ip"}},
		{"refused before the app", func(ev *events.APIGatewayV2HTTPRequest) { ev.Headers["x-origin-verify"] = "guess" },
			403, []string{"error", "host", "source_ip"}, []string{"upstream_ms", "client_ip", "verified"}},
		// A hand-written or truncated event: what it does not say is left
		// out, not logged as "".
		{"an event with nothing in it", func(ev *events.APIGatewayV2HTTPRequest) { *ev = events.APIGatewayV2HTTPRequest{} },
			403, []string{"error"}, []string{"apigw_request_id", "method", "path", "host", "source_ip", "upstream_ms", "client_ip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := newHandlerLogging(t, app.URL, &logs)
			ev := loadEvent(t, "api-get.json")
			if tt.edit != nil {
				tt.edit(&ev)
			}
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5c1c3e-lambda"})
			h.Handle(ctx, ev)
			line := logLine(t, &logs)
			if line["request_id"] != "8f5c1c3e-lambda" {
				t.Errorf("request_id = %v, want Lambda's request id", line["request_id"])
			}
			if id := ev.RequestContext.RequestID; id != "" && line["apigw_request_id"] != id {
				t.Errorf("apigw_request_id = %v, want API Gateway's %q", line["apigw_request_id"], id)
			}
			if line["status"] != tt.wantStatus {
				t.Errorf("status = %v, want %v", line["status"], tt.wantStatus)
			}
			if d, ok := line["duration_ms"].(float64); !ok || d != float64(int64(d)) || d < 0 {
				t.Errorf("duration_ms = %v, want whole milliseconds", line["duration_ms"])
			}
			for _, f := range tt.want {
				if _, ok := line[f]; !ok {
					t.Errorf("field %s missing from %v", f, line)
				}
			}
			for _, f := range tt.absent {
				if v, ok := line[f]; ok {
					t.Errorf("field %s = %v, want absent", f, v)
				}
			}
		})
	}
}
