package localedge_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

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
	// An error answer not stored, and one stored for the default 10 s.
	errorEveryTime := []step{{xcache: "Error from cloudfront", calls: 1}, {xcache: "Error from cloudfront", calls: 2}}
	errorFor10s := []step{{xcache: "Error from cloudfront", calls: 1}, {wait: 9 * time.Second, xcache: "Error from cloudfront", calls: 1},
		{wait: time.Second, xcache: "Error from cloudfront", calls: 2}}
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
			steps:  errorEveryTime,
		},
		{
			name:   "without CustomErrorResponses a 502 is served to everyone for 10 s, no-store or not",
			edits:  defaultErrorCaching,
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 502, Headers: map[string]string{"Cache-Control": "no-store"}},
			steps:  errorFor10s,
		},
		{
			name:   "a 404 is cached for 10 s",
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 404},
			steps:  errorFor10s,
		},
		{
			name:   "a 404 marked no-store is not",
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 404, Headers: map[string]string{"Cache-Control": "no-store"}},
			steps:  errorEveryTime,
		},
		{
			// DeveloperGuide: http-3xx-status-codes.
			name:   "a 307 without Cache-Control is not cached, even with a DefaultTTL",
			edits:  defaultTTL60,
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 307, Headers: map[string]string{"Location": "/elsewhere"}},
			steps:  []step{{xcache: "Miss from cloudfront", calls: 1}, {xcache: "Miss from cloudfront", calls: 2}},
		},
		{
			name:   "a 302 without Cache-Control is cached for the DefaultTTL",
			edits:  defaultTTL60,
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 302, Headers: map[string]string{"Location": "/elsewhere"}},
			steps:  []step{{xcache: "Miss from cloudfront", calls: 1}, {xcache: "Hit from cloudfront", calls: 1}},
		},
		{
			name:   "a 308 with max-age=60 is cached",
			answer: events.APIGatewayV2HTTPResponse{StatusCode: 308, Headers: map[string]string{"Location": "/elsewhere", "Cache-Control": "max-age=60"}},
			steps:  []step{{xcache: "Miss from cloudfront", calls: 1}, {xcache: "Hit from cloudfront", calls: 1}},
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

// TestCacheKeyIsTheDistributionsNotTheViewersHost checks that the cache key
// holds the distribution, not the Host the viewer used (DeveloperGuide:
// understanding-the-cache-key, "the domain name of the CloudFront
// distribution"): a page cached through the custom domain is served on the
// distribution's own *.cloudfront.net name, and the other way round, unless
// a policy puts a header in the key that tells them apart.
func TestCacheKeyIsTheDistributionsNotTheViewersHost(t *testing.T) {
	tests := []struct {
		name   string
		target string
		app    events.APIGatewayV2HTTPResponse
		calls  int // invocations after both requests
	}{
		{"an app page", "/page/", events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Cache-Control": "max-age=60"}}, 1},
		{"a static file", "/static/site.css", events.APIGatewayV2HTTPResponse{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &fakeApp{result: respond(t, tt.app)}
			edge, _ := newEdge(t, app)
			var got []string
			for _, host := range []string{"www.example.com", "d111111abcdef8.cloudfront.net"} {
				r := httptest.NewRequest(http.MethodGet, "https://"+host+tt.target, nil)
				r.RemoteAddr = "192.0.2.1:51234"
				rec := httptest.NewRecorder()
				edge.ServeHTTP(rec, r)
				got = append(got, rec.Header().Get("X-Cache"))
			}
			if want := []string{"Miss from cloudfront", "Hit from cloudfront"}; !slices.Equal(got, want) || app.calls != tt.calls {
				t.Errorf("X-Cache through the two hosts %q after %d invocations, want %q after %d", got, app.calls, want, tt.calls)
			}
		})
	}
}

// TestErrorCachingByStatus checks which 4xx answers are stored
// (DeveloperGuide: HTTPStatusCodes): 400, 403, 412 and 415 only when the
// origin sends max-age or s-maxage, so Django's CSRF or permission 403 is
// not replayed for 10 s; a 4xx CloudFront always caches, as 404 and 405,
// not when "restricted by a cache control header".
func TestErrorCachingByStatus(t *testing.T) {
	minTTL60For400 := []string{"          - ErrorCode: 404\n", "          - ErrorCode: 400\n            ErrorCachingMinTTL: 60\n          - ErrorCode: 404\n"}
	tests := []struct {
		name         string
		edits        []string
		status       int
		cacheControl string
		stored       time.Duration // 0: not stored
	}{
		{"403 without max-age", nil, 403, "", 0},
		{"415 without max-age", nil, 415, "", 0},
		{"400 without max-age, even with an ErrorCachingMinTTL", minTTL60For400, 400, "no-store", 0},
		{"400 with max-age, for its ErrorCachingMinTTL", minTTL60For400, 400, "max-age=5", 60 * time.Second},
		{"403 with s-maxage", nil, 403, "s-maxage=30", 30 * time.Second},
		{"412 with max-age", nil, 412, "max-age=20", 20 * time.Second},
		{"405", nil, 405, "", 10 * time.Second},
		{"405 marked no-store", nil, 405, "no-store", 0},
		{"414 marked private", nil, 414, "private", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := events.APIGatewayV2HTTPResponse{StatusCode: tt.status}
			if tt.cacheControl != "" {
				answer.Headers = map[string]string{"Cache-Control": tt.cacheControl}
			}
			app := &fakeApp{result: respond(t, answer)}
			edge, clk := newEdge(t, app, tt.edits...)
			serve(edge, http.MethodGet, "/page/")
			want := 2 // invocations after a second request
			if tt.stored > 0 {
				clk.advance(tt.stored - time.Second)
				want = 1
			}
			serve(edge, http.MethodGet, "/page/")
			if app.calls != want {
				t.Fatalf("after %v: %d invocations, want %d", tt.stored-time.Second, app.calls, want)
			}
			if tt.stored > 0 {
				clk.advance(time.Second)
				if serve(edge, http.MethodGet, "/page/"); app.calls != 2 {
					t.Errorf("after %v: %d invocations, want 2 (expired)", tt.stored, app.calls)
				}
			}
		})
	}
}
