package hostforward_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/hostforward"
	"github.com/djfront/djfront/sam/fixtures"
)

// recordingTransport answers every request itself and keeps the last one,
// so fuzzing needs no network.
type recordingTransport struct{ last *http.Request }

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.last = r
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/plain"}},
		Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
}

// FuzzHandle feeds arbitrary events to the handler. Whatever it gets, it
// answers without a Lambda error, and a request that reaches the app has an
// allowed ASCII host, exactly one client address, none of the edge's
// secrets, no header name with an underscore or a non-ASCII byte, and the
// event's query string byte for byte.
func FuzzHandle(f *testing.F) {
	for _, name := range fixtures.Names("api-*.json") {
		f.Add(fixtures.Must(f, name))
	}
	allowed, _ := hostforward.ParseAllowedHosts("www.example.com,.example.org")
	upstreamURL, _ := url.Parse("http://app.internal:8000")
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev events.APIGatewayV2HTTPRequest
		if json.Unmarshal(raw, &ev) != nil {
			return
		}
		rt := &recordingTransport{}
		cfg := hostforward.Config{
			Upstream:     upstreamURL,
			AllowedHosts: allowed,
			Secrets:      []string{testSecret},
			Timeout:      hostforward.DefaultUpstreamTimeout,
		}
		h, err := hostforward.New(context.Background(), cfg, rt, nil, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := h.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handle returned a Lambda error: %v", err)
		}
		if resp.StatusCode < 200 || resp.StatusCode > 599 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		out := rt.last
		if out == nil {
			if resp.StatusCode == 200 {
				t.Fatal("200 without reaching the app")
			}
			return
		}
		if !allowed.Allows(out.Host) || out.Header.Get("X-Forwarded-Host") != out.Host || !ascii(out.Host) {
			t.Fatalf("app got host %q / X-Forwarded-Host %q", out.Host, out.Header.Get("X-Forwarded-Host"))
		}
		if out.URL.RawQuery != ev.RawQueryString {
			t.Fatalf("app got query %q, event had %q", out.URL.RawQuery, ev.RawQueryString)
		}
		for name := range out.Header {
			if strings.Contains(name, "_") || !ascii(name) {
				t.Fatalf("app got header %q", name)
			}
		}
		xff := out.Header.Values("X-Forwarded-For")
		if len(xff) != 1 {
			t.Fatalf("X-Forwarded-For = %q, want one address", xff)
		}
		if a, err := netip.ParseAddr(xff[0]); err != nil || a.Zone() != "" {
			t.Fatalf("X-Forwarded-For %q: %v", xff[0], err)
		}
		for _, h := range []string{"X-Origin-Verify", "True-Client-Ip", "Cloudfront-Forwarded-Proto"} {
			if _, ok := out.Header[h]; ok {
				t.Fatalf("app received %s", h)
			}
		}
		if p := out.Header.Get("X-Forwarded-Proto"); p != "https" && p != "http" {
			t.Fatalf("X-Forwarded-Proto = %q", p)
		}
	})
}

// FuzzAllowedHosts checks the matcher against its definition.
func FuzzAllowedHosts(f *testing.F) {
	f.Add("www.example.com", "www.example.com:443")
	f.Add(".example.com", "A.Example.com.")
	f.Add("[::1]", "[::1]:80")
	f.Add("*", "x")
	f.Fuzz(func(t *testing.T, pattern, host string) {
		a, err := hostforward.ParseAllowedHosts(pattern)
		if err != nil {
			return
		}
		if !a.Allows(host) {
			return
		}
		any, _ := hostforward.ParseAllowedHosts("*")
		if !any.Allows(host) {
			t.Fatalf("%q allowed by %q but not valid for *", host, pattern)
		}
		if strings.ContainsAny(host, "/@?# ,\t\r\n") || !ascii(host) {
			t.Fatalf("%q allowed by %q", host, pattern)
		}
	})
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FuzzConfigFromEnv checks that an UPSTREAM_URL or REMOVE_BASE_PATH that
// passes the cold-start check means what it says: a host, a port from 1 to
// 65535, a base path without encoded slashes or dot segments, no query.
func FuzzConfigFromEnv(f *testing.F) {
	for _, s := range [][2]string{
		{"http://127.0.0.1:8000/app/", "/prod"}, {"https://app.internal", ""}, {"http://:80", ""},
		{"http://x:65536", ""}, {"http://x/a%2Fb", " prod "}, {"http://[::1]:8000/a/../b", "/a b"},
		{"http://x/caf%C3%A9", "%2f"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, upstream, basePath string) {
		env := map[string]string{"UPSTREAM_URL": upstream, "ALLOWED_HOSTS": "www.example.com", "REMOVE_BASE_PATH": basePath}
		cfg, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			if !strings.Contains(err.Error(), "UPSTREAM_URL: ") && !strings.Contains(err.Error(), "REMOVE_BASE_PATH: ") {
				t.Fatalf("error %q names no variable", err)
			}
			return
		}
		u := cfg.Upstream
		if u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" || u.ForceQuery || u.User != nil {
			t.Fatalf("accepted %q as %#v", upstream, u)
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("accepted port %q in %q", p, upstream)
			}
		}
		if esc := strings.ToUpper(u.EscapedPath()); strings.Contains(esc, "%2F") || strings.Contains(esc, "%5C") {
			t.Fatalf("accepted base path %q", u.EscapedPath())
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("accepted dot segment in %q", u.Path)
			}
		}
		if b := cfg.RemoveBasePath; b != "" && (b[0] != '/' || strings.ContainsAny(b, "?#% \t\r\n") || strings.HasSuffix(b, "/")) {
			t.Fatalf("accepted REMOVE_BASE_PATH %q as %q", basePath, b)
		}
	})
}
