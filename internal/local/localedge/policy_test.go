package localedge_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/local/localedge"
)

// TestForwardedAsThePoliciesSay checks which of the viewer's headers,
// cookies and query strings reach the function under the template's cache
// and origin request policies, and under edited ones.
func TestForwardedAsThePoliciesSay(t *testing.T) {
	ok := events.APIGatewayV2HTTPResponse{StatusCode: 200}
	tests := []struct {
		name   string
		edits  []string
		method string
		target string
		header []string
		status int
		check  func(t *testing.T, ev events.APIGatewayV2HTTPRequest)
	}{
		{
			name: "Authorization reaches the app on GET: the cache policy has it", method: "GET", target: "/api/",
			header: []string{"Authorization", "Token abc"}, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if got := ev.Headers["authorization"]; got != "Token abc" {
					t.Errorf("authorization = %q, want %q", got, "Token abc")
				}
			},
		},
		{
			name: "without it in the cache policy CloudFront strips Authorization from GET", edits: noAuthorizationInKey,
			method: "GET", target: "/api/", header: []string{"Authorization", "Token abc"}, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if got, ok := ev.Headers["authorization"]; ok {
					t.Errorf("authorization = %q reached the app on GET, want it stripped", got)
				}
			},
		},
		{
			name: "and passes it on POST (all viewer headers forwarded)", edits: noAuthorizationInKey,
			method: "POST", target: "/api/", header: []string{"Authorization", "Token abc"}, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if got := ev.Headers["authorization"]; got != "Token abc" {
					t.Errorf("authorization = %q, want %q", got, "Token abc")
				}
			},
		},
		{
			name: "a viewer's CloudFront-Forwarded-Proto is overwritten when the cache policy adds it", method: "GET", target: "/",
			header: []string{"Cloudfront-Forwarded-Proto", "http"}, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if got := ev.Headers["cloudfront-forwarded-proto"]; got != "https" {
					t.Errorf("cloudfront-forwarded-proto = %q, want https", got)
				}
			},
		},
		{
			name: "and passes as forged when no policy adds it", edits: noSchemeInKey, method: "GET", target: "/",
			header: []string{"Cloudfront-Forwarded-Proto", "http"}, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if got := ev.Headers["cloudfront-forwarded-proto"]; got != "http" {
					t.Errorf("cloudfront-forwarded-proto = %q, want the viewer's forged http", got)
				}
			},
		},
		{
			name: "without an origin request policy only the cache key's cookies and query strings pass", edits: narrowKey,
			method: "GET", target: "/list/?page=2&sort=name&page=3",
			header: []string{"Cookie", "sessionid=s1; csrftoken=c1", "Accept-Language", "de", "X-Forwarded-For", "203.0.113.9"}, status: 200,
			check: func(t *testing.T, ev events.APIGatewayV2HTTPRequest) {
				if got, want := strings.Join(ev.Cookies, "; "), "sessionid=s1"; got != want {
					t.Errorf("cookies %q, want %q", got, want)
				}
				if got, want := ev.RawQueryString, "page=2&page=3"; got != want {
					t.Errorf("rawQueryString %q, want %q", got, want)
				}
				if got := ev.Headers["user-agent"]; got != "Amazon CloudFront" {
					t.Errorf("user-agent = %q, want CloudFront's own", got)
				}
				for _, h := range []string{"accept-language", "x-forwarded-host", "true-client-ip"} {
					if v, ok := ev.Headers[h]; ok {
						t.Errorf("%s = %q reached the app, want it dropped by the policies", h, v)
					}
				}
				if got, want := ev.Headers["x-forwarded-for"], "192.0.2.1, "+localedge.DefaultEdgeIP; got != want {
					t.Errorf("x-forwarded-for = %q, want %q (the viewer's own not forwarded)", got, want)
				}
			},
		},
		{
			name: "AllViewer forwards the viewer's Host, which API Gateway refuses", edits: allViewerPolicy,
			method: "GET", target: "/", status: 403,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &fakeApp{result: respond(t, ok)}
			edge, _ := newEdge(t, app, tt.edits...)
			rec := serve(edge, tt.method, tt.target, tt.header...)
			if rec.Code != tt.status {
				t.Fatalf("status %d %q, want %d", rec.Code, rec.Body, tt.status)
			}
			if tt.check == nil {
				if app.calls != 0 {
					t.Errorf("the function was invoked %d times, want 0", app.calls)
				}
				return
			}
			tt.check(t, app.got)
		})
	}
}
