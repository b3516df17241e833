package localedge_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/localedge"
)

// Edits of template.yaml the tests play against the unedited template.
var (
	noAuthorizationInKey = []string{
		"Headers: [CloudFront-Forwarded-Proto, Authorization]", "Headers: [CloudFront-Forwarded-Proto]"}
	allViewerPolicy = []string{
		"OriginRequestPolicyId: b689b0a8-53d0-40ab-baf2-68738e2966ac # AllViewerExceptHostHeader",
		"OriginRequestPolicyId: 216adef6-5c7f-47e4-b989-5492eafa07d3 # AllViewer"}
	noSchemeInKey = []string{
		"Headers: [CloudFront-Forwarded-Proto, Authorization]", "Headers: [Authorization]"}
	// No origin request policy, and a cache key of one cookie and one
	// query string: nothing else of the viewer's reaches the app.
	narrowKey = []string{
		"          OriginRequestPolicyId: b689b0a8-53d0-40ab-baf2-68738e2966ac # AllViewerExceptHostHeader\n", "",
		"            CookieBehavior: all", "            CookieBehavior: whitelist\n            Cookies: [sessionid]",
		"            QueryStringBehavior: all", "            QueryStringBehavior: whitelist\n            QueryStrings: [page]"}
	onlyGetAndHead = []string{
		"AllowedMethods: [GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE]", "AllowedMethods: [GET, HEAD]"}
	defaultErrorCaching = []string{`        CustomErrorResponses:
          - ErrorCode: 404
            ErrorCachingMinTTL: 10
          - ErrorCode: 500
            ErrorCachingMinTTL: 0
          - ErrorCode: 502
            ErrorCachingMinTTL: 0
          - ErrorCode: 503
            ErrorCachingMinTTL: 0
          - ErrorCode: 504
            ErrorCachingMinTTL: 0
`, ""}
	maxTTL30      = []string{"        MaxTTL: 31536000", "        MaxTTL: 30"}
	mediaAsStatic = []string{"ResponseHeadersPolicyId: !Ref MediaResponseHeadersPolicy",
		"ResponseHeadersPolicyId: 67f7725c-6f97-4210-82d7-5512b31e9d03 # SecurityHeadersPolicy"}
	noListBucket = []string{`          - Sid: CloudFrontSeesMissingFiles
            Effect: Allow
            Principal:
              Service: cloudfront.amazonaws.com
            Action: s3:ListBucket`, `          - Sid: CloudFrontSeesMissingFiles
            Effect: Allow
            Principal:
              Service: cloudfront.amazonaws.com
            Action: s3:GetObject`}
)

// quiet is a logger for edges whose logs the test does not read.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newEdge(t *testing.T, app *fakeApp, edits ...string) (*localedge.Edge, *clock) {
	t.Helper()
	c := newClock()
	bucket := &fakeBucket{objects: map[string]string{"static/site.css": "body{}", "media/up.html": "<script>x</script>"}}
	return localedge.New(localedge.Config{
		Distribution: distribution(t, edits...),
		App:          app,
		Assets:       localedge.NewAssets(bucket, "assets", quiet),
		OriginVerify: secret,
		Logger:       quiet,
		Now:          c.Now,
	}), c
}

func serve(edge http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "https://www.example.com"+target, nil)
	r.RemoteAddr = "192.0.2.1:51234"
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	edge.ServeHTTP(rec, r)
	return rec
}

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

// TestCachedAsTheOriginAndPoliciesSay plays request sequences against the
// cache: what is stored, for how long, under which key, with which
// headers.
func TestCachedAsTheOriginAndPoliciesSay(t *testing.T) {
	type step struct {
		wait   time.Duration
		method string
		header []string
		xcache string // X-Cache of the answer
		calls  int    // invocations of the function so far
	}
	app200 := func(headers map[string]string, cookies ...string) events.APIGatewayV2HTTPResponse {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: headers, Cookies: cookies, Body: "page"}
	}
	tests := []struct {
		name   string
		edits  []string
		answer events.APIGatewayV2HTTPResponse
		steps  []step
		check  func(t *testing.T, last *httptest.ResponseRecorder)
	}{
		{
			name:   "no Cache-Control: the app policy's default TTL 0, never stored",
			answer: app200(nil),
			steps:  []step{{xcache: "Miss from cloudfront", calls: 1}, {xcache: "Miss from cloudfront", calls: 2}},
		},
		{
			name:   "max-age=60: a hit with Age until it expires",
			answer: app200(map[string]string{"Cache-Control": "max-age=60"}),
			steps: []step{{xcache: "Miss from cloudfront", calls: 1}, {wait: 59 * time.Second, xcache: "Hit from cloudfront", calls: 1},
				{wait: time.Second, xcache: "Miss from cloudfront", calls: 2}},
		},
		{
			name:   "the last hit says its age",
			answer: app200(map[string]string{"Cache-Control": "max-age=60"}),
			steps:  []step{{calls: 1, xcache: "Miss from cloudfront"}, {wait: 42 * time.Second, xcache: "Hit from cloudfront", calls: 1}},
			check: func(t *testing.T, last *httptest.ResponseRecorder) {
				if got := last.Header().Get("Age"); got != "42" {
					t.Errorf("Age = %q, want 42", got)
				}
			},
		},
		{
			name:   "s-maxage wins over max-age",
			answer: app200(map[string]string{"Cache-Control": "max-age=600, s-maxage=30"}),
			steps:  []step{{xcache: "Miss from cloudfront", calls: 1}, {wait: 30 * time.Second, xcache: "Miss from cloudfront", calls: 2}},
		},
		{
			name:   "MaxTTL caps what the origin asks for",
			edits:  maxTTL30,
			answer: app200(map[string]string{"Cache-Control": "max-age=3600"}),
			steps: []step{{xcache: "Miss from cloudfront", calls: 1}, {wait: 29 * time.Second, xcache: "Hit from cloudfront", calls: 1},
				{wait: time.Second, xcache: "Miss from cloudfront", calls: 2}},
		},
		{
			name:   "private is not stored (MinTTL 0)",
			answer: app200(map[string]string{"Cache-Control": "private, max-age=60"}),
			steps:  []step{{xcache: "Miss from cloudfront", calls: 1}, {xcache: "Miss from cloudfront", calls: 2}},
		},
		{
			name:   "Set-Cookie is stored along and replayed to the next viewer",
			answer: app200(map[string]string{"Cache-Control": "max-age=60"}, "sessionid=first-viewers; HttpOnly"),
			steps:  []step{{xcache: "Miss from cloudfront", calls: 1}, {xcache: "Hit from cloudfront", calls: 1}},
			check: func(t *testing.T, last *httptest.ResponseRecorder) {
				if got := last.Header().Values("Set-Cookie"); !slices.Equal(got, []string{"sessionid=first-viewers; HttpOnly"}) {
					t.Errorf("Set-Cookie on the hit = %q, want the first viewer's cookie", got)
				}
			},
		},
		{
			name:   "cookies, Authorization and the query are in the key",
			answer: app200(map[string]string{"Cache-Control": "max-age=60"}),
			steps: []step{{header: []string{"Cookie", "sessionid=a"}, xcache: "Miss from cloudfront", calls: 1},
				{header: []string{"Cookie", "sessionid=b"}, xcache: "Miss from cloudfront", calls: 2},
				{header: []string{"Cookie", "sessionid=a", "Authorization", "Token x"}, xcache: "Miss from cloudfront", calls: 3},
				{header: []string{"Cookie", "sessionid=a"}, xcache: "Hit from cloudfront", calls: 3}},
		},
		{
			name:   "HEAD is answered from a GET's cache; POST never",
			answer: app200(map[string]string{"Cache-Control": "max-age=60"}),
			steps: []step{{xcache: "Miss from cloudfront", calls: 1}, {method: "HEAD", xcache: "Hit from cloudfront", calls: 1},
				{method: "POST", xcache: "Miss from cloudfront", calls: 2}},
		},
		{
			name:   "a conditional GET of a cached page is a 304 from the edge",
			answer: app200(map[string]string{"Cache-Control": "max-age=60", "ETag": `"v1"`}),
			steps: []step{{xcache: "Miss from cloudfront", calls: 1},
				{header: []string{"If-None-Match", `W/"v1"`}, xcache: "Hit from cloudfront", calls: 1}},
			check: func(t *testing.T, last *httptest.ResponseRecorder) {
				if last.Code != http.StatusNotModified || last.Body.Len() != 0 {
					t.Errorf("got %d with %d bytes, want 304 without a body", last.Code, last.Body.Len())
				}
			},
		},
		{
			name:   "a 500 is never cached (ErrorCachingMinTTL 0)",
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 500, Headers: map[string]string{"Cache-Control": "no-store"}},
			steps:  []step{{xcache: "Error from cloudfront", calls: 1}, {xcache: "Error from cloudfront", calls: 2}},
		},
		{
			name:   "without CustomErrorResponses a 502 is served to everyone for 10 s, no-store or not",
			edits:  defaultErrorCaching,
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 502, Headers: map[string]string{"Cache-Control": "no-store"}},
			steps: []step{{xcache: "Error from cloudfront", calls: 1}, {wait: 9 * time.Second, xcache: "Error from cloudfront", calls: 1},
				{wait: time.Second, xcache: "Error from cloudfront", calls: 2}},
		},
		{
			name:   "a 404 is cached for 10 s",
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 404},
			steps: []step{{xcache: "Error from cloudfront", calls: 1}, {wait: 9 * time.Second, xcache: "Error from cloudfront", calls: 1},
				{wait: time.Second, xcache: "Error from cloudfront", calls: 2}},
		},
		{
			name:   "a 404 marked no-store is not",
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 404, Headers: map[string]string{"Cache-Control": "no-store"}},
			steps:  []step{{xcache: "Error from cloudfront", calls: 1}, {xcache: "Error from cloudfront", calls: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &fakeApp{result: respond(t, tt.answer)}
			edge, clk := newEdge(t, app, tt.edits...)
			var rec *httptest.ResponseRecorder
			for i, s := range tt.steps {
				clk.advance(s.wait)
				method := s.method
				if method == "" {
					method = http.MethodGet
				}
				rec = serve(edge, method, "/page/?q=1", s.header...)
				if got := rec.Header().Get("X-Cache"); got != s.xcache || app.calls != s.calls {
					t.Fatalf("step %d (%s): X-Cache %q after %d invocations, want %q after %d", i, method, got, app.calls, s.xcache, s.calls)
				}
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
		})
	}
}

// TestAssetsAsTheBucketPolicySays checks the S3 behaviours: CachingOptimized
// keeps a file a day, a missing file is 404 only where CloudFront may list
// the bucket, and invalidations drop cached files.
func TestAssetsAsTheBucketPolicySays(t *testing.T) {
	t.Run("a file is cached a day (CachingOptimized), until invalidated", func(t *testing.T) {
		edge, clk := newEdge(t, &fakeApp{})
		for i, want := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
			if got := serve(edge, "GET", "/static/site.css").Header().Get("X-Cache"); got != want {
				t.Fatalf("request %d: X-Cache %q, want %q", i, got, want)
			}
		}
		clk.advance(23 * time.Hour)
		if got := serve(edge, "GET", "/static/site.css").Header().Get("X-Cache"); got != "Hit from cloudfront" {
			t.Fatalf("after 23 h: X-Cache %q, want a hit", got)
		}
		if n := edge.Invalidate("/static/*"); n != 1 {
			t.Errorf("Invalidate removed %d objects, want 1", n)
		}
		if got := serve(edge, "GET", "/static/site.css").Header().Get("X-Cache"); got != "Miss from cloudfront" {
			t.Fatalf("after the invalidation: X-Cache %q, want a miss", got)
		}
	})
	for _, tt := range []struct {
		name   string
		edits  []string
		status int
		code   string
	}{
		{"the template lets CloudFront list: 404", nil, 404, "<Code>NoSuchKey</Code>"},
		{"without s3:ListBucket: S3's 403", noListBucket, 403, "<Code>AccessDenied</Code>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			edge, _ := newEdge(t, &fakeApp{}, tt.edits...)
			rec := serve(edge, "GET", "/media/missing.png")
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.code) {
				t.Errorf("got %d %q, want %d with %s", rec.Code, rec.Body, tt.status, tt.code)
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
