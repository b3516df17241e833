package localedge_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestMethodsAsTheBehavioursAllow checks each behaviour's allowed methods:
// CloudFront's own 403 page for another, before any origin is asked.
func TestMethodsAsTheBehavioursAllow(t *testing.T) {
	tests := []struct {
		name, method, target string
		edits                []string
		status               int
		calls                int
	}{
		{name: "the app takes all seven", method: "DELETE", target: "/api/1", status: 200, calls: 1},
		{name: "static files only GET and HEAD", method: "POST", target: "/static/site.css", status: 403},
		{name: "an app behaviour edited to GET and HEAD refuses a form POST", method: "POST", target: "/form/",
			edits: onlyGetAndHead, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &fakeApp{result: respond(t, events.APIGatewayV2HTTPResponse{StatusCode: 200})}
			edge, _ := newEdge(t, app, tt.edits...)
			rec := serve(edge, tt.method, tt.target)
			if rec.Code != tt.status || app.calls != tt.calls {
				t.Fatalf("got %d with %d invocations, want %d with %d", rec.Code, app.calls, tt.status, tt.calls)
			}
			if tt.status == 403 {
				if got := rec.Header().Get("X-Cache"); got != "Error from cloudfront" {
					t.Errorf("X-Cache = %q, want Error from cloudfront", got)
				}
				if !strings.Contains(rec.Body.String(), "not configured to allow the HTTP request method") {
					t.Errorf("body %q, want CloudFront's method error page", rec.Body)
				}
			}
		})
	}
}

// TestResponseHeadersAsThePoliciesSay checks the response headers policies:
// uploads sandboxed by the stack's media policy, the managed security
// headers elsewhere, the origin's own kept where the policy does not
// override them.
func TestResponseHeadersAsThePoliciesSay(t *testing.T) {
	app := &fakeApp{result: respond(t, events.APIGatewayV2HTTPResponse{StatusCode: 200,
		Headers: map[string]string{"X-Frame-Options": "DENY", "Content-Type": "text/html"}})}
	tests := []struct {
		name, target string
		edits        []string
		want         map[string]string // "" for absent
	}{
		{"an uploaded HTML file is sandboxed", "/media/up.html", nil, map[string]string{
			"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
			"Strict-Transport-Security": ""}},
		{"under SecurityHeadersPolicy it would run as the site's script", "/media/up.html", mediaAsStatic, map[string]string{
			"Content-Security-Policy": "", "X-Content-Type-Options": "nosniff"}},
		{"static files get the managed security headers", "/static/site.css", nil, map[string]string{
			"Content-Security-Policy": "", "Referrer-Policy": "strict-origin-when-cross-origin", "X-Frame-Options": "SAMEORIGIN"}},
		{"the app's own X-Frame-Options is kept", "/", nil, map[string]string{
			"X-Frame-Options": "DENY", "X-Xss-Protection": "1; mode=block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edge, _ := newEdge(t, app, tt.edits...)
			rec := serve(edge, "GET", tt.target)
			for name, want := range tt.want {
				if got := rec.Header().Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

// TestReadDistributionRefuses checks that a template the edge would play
// wrong is refused with the property named.
func TestReadDistributionRefuses(t *testing.T) {
	tests := []struct {
		name  string
		edits []string
		want  string
	}{
		{"an unknown managed policy", []string{"CachePolicyId: 658327ea-f89d-4fab-a63d-7e88639e58f6 # CachingOptimized\n            ResponseHeadersPolicyId: 67f7725c",
			"CachePolicyId: 08627262-05a9-4f76-9ded-b50ca2e3a84f\n            ResponseHeadersPolicyId: 67f7725c"},
			"CacheBehaviors[0]: static/*: CachePolicyId: 08627262-05a9-4f76-9ded-b50ca2e3a84f is neither a managed policy id"},
		{"headers in the key of an all-zero policy", []string{"        MaxTTL: 31536000", "        MaxTTL: 0"},
			"cannot put headers, cookies or query strings in the key"},
		{"a CloudFront header the edge cannot produce", []string{"Headers: [CloudFront-Forwarded-Proto, Authorization]",
			"Headers: [CloudFront-Viewer-City]"}, "header CloudFront-Viewer-City is not modelled"},
		{"a custom error page", []string{"          - ErrorCode: 404\n            ErrorCachingMinTTL: 10\n",
			"          - ErrorCode: 404\n            ErrorCachingMinTTL: 10\n            ResponsePagePath: /404.html\n            ResponseCode: 404\n"},
			"custom error pages are not modelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readEdited(t, tt.edits...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
