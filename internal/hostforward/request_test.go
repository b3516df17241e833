package hostforward_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/appproc"
)

// The query string reaches the app byte for byte, including what
// httputil.ReverseProxy would "clean" (issue 10, item 1): a ';' and a
// malformed '%' make it re-encode the query and drop those parameters.
func TestQueryStringByteForByte(t *testing.T) {
	app := newUpstream(t, ok)
	h := newHandler(t, app.URL, nil)
	tests := []struct{ name, query string }{
		{"fixture: semicolons, stray and malformed percent", loadEvent(t, "api-raw-query.json").RawQueryString},
		{"semicolon separator", "a=1;b=2"},
		{"semicolon inside a value", "q=x;y&page=2"},
		{"percent sign not followed by hex", "discount=100%"},
		{"malformed escape", "%zz=1&b=%2"},
		{"order and repeats kept, never sorted", "z=1&a=2&z=3&&a"},
		{"more parameters than ReverseProxy's limit", strings.Repeat("z=1&a=2&", 6000) + "end;"},
		{"non-ASCII bytes pass as sent", "name=\xc3\xa9t\xc3\xa9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, "api-get.json")
			ev.RawQueryString = tt.query
			if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			got := app.got().RequestURI
			if want := "/whoami/caf%C3%A9%20(1)+x?" + tt.query; got != want {
				t.Errorf("RequestURI = %.200q, want %.200q", got, want)
			}
		})
	}
}

// Header names with '_' never reach the app (issue 10, item 2): WSGI servers
// such as gunicorn < 22 map '_' and '-' to the same CGI variable, so
// x_forwarded_for would join the real X-Forwarded-For.
func TestUnderscoreHeadersDropped(t *testing.T) {
	app := newUpstream(t, ok)
	ev := loadEvent(t, "api-underscore-headers.json")
	ev.Headers["my_app_header"] = "benign but ambiguous"
	ev.Headers["X_Mixed_Case"] = "also dropped"
	resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), ev)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	got := app.got()
	for name := range got.Header {
		if strings.Contains(name, "_") {
			t.Errorf("app got %s: %q", name, got.Header[name])
		}
	}
	want := map[string]string{
		"X-Forwarded-For":   "203.0.113.7",
		"X-Real-Ip":         "203.0.113.7",
		"X-Forwarded-Host":  "www.example.com",
		"X-Forwarded-Proto": "https",
		"X-Request-Id":      ev.RequestContext.RequestID,
	}
	for name, w := range want {
		if v := got.Header.Values(name); len(v) != 1 || v[0] != w {
			t.Errorf("%s = %q, want exactly [%q]", name, v, w)
		}
	}
	if got.Host != "www.example.com" {
		t.Errorf("Host = %q, want www.example.com", got.Host)
	}
}

// A viewer's X-Djfront-Snapstart-Token never reaches the app: the token of
// the app's SnapStart hooks is hostforward's alone (review of issue 19).
func TestSnapStartTokenDropped(t *testing.T) {
	app := newUpstream(t, ok)
	ev := loadEvent(t, "api-get.json")
	ev.Headers["x-djfront-snapstart-token"] = strings.Repeat("a", 64)
	resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), ev)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if got := app.got().Header.Values(appproc.HookTokenHeader); got != nil {
		t.Errorf("app got %s: %q, want none", appproc.HookTokenHeader, got)
	}
}

// The hostile inputs refused with a 400 before the app is called: non-ASCII
// that lowercases into ASCII (items 3) and control bytes in the query
// (item 4), which the transport used to turn into a 502.
func TestRefusedRequestBytes(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(ev *events.APIGatewayV2HTTPRequest)
		wantReason string
	}{
		{"Kelvin sign folds to k in the host", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Headers["x-forwarded-host"] = "boo\u212a.example.org" // strings.ToLower: "book.example.org"
		}, "not in ALLOWED_HOSTS"},
		{"dotted capital I in the host", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Headers["x-forwarded-host"] = "\u0130.example.org"
		}, "not in ALLOWED_HOSTS"},
		{"Kelvin sign folds to k in a header name", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Cookies = nil
			ev.Headers["coo\u212aie"] = "sessionid=forged" // strings.ToLower: "cookie"
		}, "invalid header name"},
		{"dotted capital I in a header name", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Headers["True-Client-\u0130p"] = "6.6.6.6"
		}, "invalid header name"},
		{"control byte in the query", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawQueryString = "a=\x01" }, "invalid query string"},
		{"tab in the query", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawQueryString = "a=1\tb" }, "invalid query string"},
		{"DEL in the query", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawQueryString = "a=\x7f" }, "invalid query string"},
		{"escape byte in the query", func(ev *events.APIGatewayV2HTTPRequest) { ev.RawQueryString = "a=\x1b[31m" }, "invalid query string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newUpstream(t, ok)
			ev := loadEvent(t, "api-get.json")
			tt.edit(&ev)
			resp, _ := newHandler(t, app.URL, nil).Handle(context.Background(), ev)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, tt.wantReason) {
				t.Errorf("got %d %q, want 400 naming %q", resp.StatusCode, resp.Body, tt.wantReason)
			}
			if got := app.got(); got != nil {
				t.Errorf("the app received host %q, header %v; want nothing", got.Host, got.Header)
			}
		})
	}
}
