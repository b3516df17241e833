package localedge_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/localedge"
)

// distribution reads the repository's template.yaml with edits applied: old,
// new pairs, each old occurring exactly once (so an edit that no longer
// applies fails instead of silently testing the unedited template). The
// edited copy is written to a temporary directory.
func distribution(t *testing.T, edits ...string) *localedge.Distribution {
	t.Helper()
	d, err := readEdited(t, edits...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// readEdited is distribution's ReadDistribution, returning its error.
func readEdited(t *testing.T, edits ...string) (*localedge.Distribution, error) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	if len(edits)%2 != 0 {
		t.Fatal("edits come in old, new pairs")
	}
	for i := 0; i < len(edits); i += 2 {
		if n := strings.Count(text, edits[i]); n != 1 {
			t.Fatalf("template.yaml has %q %d times, want once", edits[i], n)
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return localedge.ReadDistribution(path, nil)
}

// clock is a settable time source for the edge's cache.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

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
	defaultTTL60  = []string{"        DefaultTTL: 0", "        DefaultTTL: 60"}
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
