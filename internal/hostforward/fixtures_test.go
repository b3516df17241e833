package hostforward_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/hostforward"
	"github.com/djfront/djfront/sam/fixtures"
)

// testSecret is the origin-verify value in the sam/fixtures fixtures and
// sam/env.json — a local stand-in, never a deployed secret.
const testSecret = "local-only-not-a-secret"

// loadEvent reads a fixture from sam/fixtures, the one copy shared with
// `sam local invoke -e`.
func loadEvent(tb testing.TB, name string) events.APIGatewayV2HTTPRequest {
	tb.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(fixtures.Must(tb, name), &ev); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return ev
}

// received is what the upstream app got.
type received struct {
	Method, Host, RequestURI, RemoteAddr string
	Header                               http.Header
	Body                                 []byte
}

// upstream is an httptest app that records the last request and answers
// with respond.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	last *received
}

func newUpstream(tb testing.TB, respond http.HandlerFunc) *upstream {
	tb.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.last = &received{r.Method, r.Host, r.RequestURI, r.RemoteAddr, r.Header.Clone(), body}
		u.mu.Unlock()
		if respond != nil {
			respond(w, r)
		}
	}))
	tb.Cleanup(u.Close)
	return u
}

// got returns the last request the app received, or nil.
func (u *upstream) got() *received {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

// newHandler builds a Handler for an upstream at url, overriding the
// defaults with env (nil values delete a variable).
func newHandler(tb testing.TB, url string, env map[string]string) *hostforward.Handler {
	tb.Helper()
	return newHandlerWith(tb, url, hostforward.NewTransport(), env)
}

// newHandlerWith is newHandler with its own transport.
func newHandlerWith(tb testing.TB, url string, rt http.RoundTripper, env ...map[string]string) *hostforward.Handler {
	tb.Helper()
	vars := map[string]string{
		"UPSTREAM_URL":          url,
		"ALLOWED_HOSTS":         "www.example.com,.example.org",
		"ORIGIN_VERIFY_SECRETS": "old-secret," + testSecret,
		"UPSTREAM_TIMEOUT":      "5s",
	}
	for _, e := range env {
		for k, v := range e {
			vars[k] = v
		}
	}
	cfg, err := hostforward.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		tb.Fatal(err)
	}
	h, err := hostforward.New(context.Background(), cfg, rt, nil, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// ok answers 200 with a short text body.
func ok(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok")
}
