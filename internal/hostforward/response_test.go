package hostforward_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/hostforward"
)

// rawUpstream is an app that answers every request with the bytes of
// response, for what net/http's server would never send.
func rawUpstream(tb testing.TB, response string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				io.WriteString(c, response)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// Response nits (issue 10, item 7), each decided as a production proxy
// should and documented in docs/hostforward.md.
func TestMalformedResponses(t *testing.T) {
	const tail = "Content-Length: 2\r\n\r\nok"
	// Answered: the headers the viewer gets.
	answered := []struct {
		name, response string
		want           map[string]string
	}{
		{"space before the colon is removed (RFC 9112 §5.1)", "HTTP/1.1 200 OK\r\nX-Foo : bar\r\nContent-Type: text/plain\r\n" + tail,
			map[string]string{"X-Foo": "bar", "X-Foo ": ""}},
		{"two Content-Type headers: the first one, not a joined list", "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Type: text/plain\r\n" + tail,
			map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{"two Location headers: the first one", "HTTP/1.1 302 Found\r\nLocation: /a/\r\nLocation: /b/\r\n" + tail,
			map[string]string{"Location": "/a/"}},
		{"list headers still joined", "HTTP/1.1 200 OK\r\nVary: Cookie\r\nVary: Accept-Encoding\r\n" + tail,
			map[string]string{"Vary": "Cookie, Accept-Encoding"}},
		{"valid UTF-8 in a header value passes", "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"caf\xc3\xa9.txt\"\r\n" + tail,
			map[string]string{"Content-Disposition": "attachment; filename=\"caf\xc3\xa9.txt\""}},
		// obs-text (RFC 9110 §5.5): a byte that is not UTF-8 is ISO-8859-1,
		// and JSON carries it as that character.
		{"ISO-8859-1 in a header value is read as such", "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"caf\xe9.txt\"\r\n" + tail,
			map[string]string{"Content-Disposition": "attachment; filename=\"café.txt\""}},
		{"ISO-8859-1 beside UTF-8 in one list", "HTTP/1.1 200 OK\r\nX-Names: caf\xc3\xa9\r\nX-Names: na\xefve \xa3\r\n" + tail,
			map[string]string{"X-Names": "café, naïve £"}},
	}
	for _, tt := range answered {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := newHandler(t, rawUpstream(t, tt.response), nil).Handle(context.Background(), loadEvent(t, "api-get.json"))
			if wantStatus := tt.response[9:12]; strconv.Itoa(resp.StatusCode) != wantStatus {
				t.Fatalf("got %d %q, want %s", resp.StatusCode, resp.Body, wantStatus)
			}
			for k, want := range tt.want {
				if got := resp.Headers[k]; got != want {
					t.Errorf("header %q = %q, want %q", k, got, want)
				}
			}
		})
	}

	// Refused: a 502 naming the reason.
	refused := []struct{ name, response, wantReason string }{
		{"status above 599", "HTTP/1.1 600 Weird\r\n" + tail, "status 600, outside 100-599"},
		{"status below 100", "HTTP/1.1 099 Weird\r\n" + tail, "status 99, outside 100-599"},
		{"control byte in a header value", "HTTP/1.1 200 OK\r\nX-Foo: a\x01b\r\n" + tail, "the app sent a malformed response"},
		{"header name that is not a token", "HTTP/1.1 200 OK\r\nX-F\xe9o: a\r\n" + tail, "the app sent a malformed response"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := newHandler(t, rawUpstream(t, tt.response), nil).Handle(context.Background(), loadEvent(t, "api-get.json"))
			if err != nil || resp.StatusCode != http.StatusBadGateway || !strings.Contains(resp.Body, tt.wantReason) {
				t.Errorf("got %d %q, %v; want 502 naming %q", resp.StatusCode, resp.Body, err, tt.wantReason)
			}
		})
	}
}

// What the response conversion changed is in the request's log line, as
// docs/hostforward.md promises: header names dropped because they are not tokens even
// without the whitespace before the colon, and single-valued headers cut
// to their first value.
func TestMalformedResponsesLogged(t *testing.T) {
	const tail = "Content-Length: 2\r\n\r\nok"
	tests := []struct {
		name, response, field string
		want                  []any
		absent                string // a header the viewer must not get
	}{
		{"a name with a space inside is dropped", "HTTP/1.1 200 OK\r\nX Foo: bar\r\nContent-Type: text/plain\r\n" + tail,
			"dropped_response_headers", []any{"X Foo"}, "X Foo"},
		{"two Content-Type headers keep the first", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: image/png\r\n" + tail,
			"first_value_only_headers", []any{"Content-Type"}, ""},
		{"a value read as ISO-8859-1", "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"caf\xe9.txt\"\r\n" + tail,
			"latin1_response_headers", []any{"Content-Disposition"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			resp, _ := newHandlerLogging(t, rawUpstream(t, tt.response), &logs).Handle(context.Background(), loadEvent(t, "api-get.json"))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %q, want 200", resp.StatusCode, resp.Body)
			}
			if _, ok := resp.Headers[tt.absent]; ok && tt.absent != "" {
				t.Errorf("viewer got header %q: %v", tt.absent, resp.Headers)
			}
			got, _ := json.Marshal(logLine(t, &logs)[tt.field])
			if want, _ := json.Marshal(tt.want); string(got) != string(want) {
				t.Errorf("log %s = %s, want %s", tt.field, got, want)
			}
		})
	}
}

// A response that sets a cookie is never storable by a shared cache (issue
// 10, item 5): CloudFront would cache the Set-Cookie with the object and
// hand one visitor's session to everyone.
func TestSetCookieResponsesArePrivate(t *testing.T) {
	tests := []struct {
		name, cacheControl string
		setsCookie         bool
		want               string
		wantLogged         bool // cache_control_private in the log
	}{
		{"public with shared max-age", "public, max-age=600, s-maxage=3600", true, "private, max-age=600", true},
		{"no Cache-Control at all", "", true, "private", true},
		{"already private", "private, max-age=60", true, "private, max-age=60", false},
		{"already no-store", "no-store", true, "no-store", false},
		{"no-cache alone: a shared cache may still store it", "no-cache", true, "private, no-cache", true},
		{"no cookie: the app's caching stands", "public, max-age=600", false, "public, max-age=600", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
				if tt.cacheControl != "" {
					w.Header().Set("Cache-Control", tt.cacheControl)
				}
				if tt.setsCookie {
					w.Header().Set("Set-Cookie", "sessionid=abc; HttpOnly")
				}
				ok(w, nil)
			})
			var logs bytes.Buffer
			h := newHandlerLogging(t, app.URL, &logs)
			resp, _ := h.Handle(context.Background(), loadEvent(t, "api-get.json"))
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if got := resp.Headers["Cache-Control"]; got != tt.want {
				t.Errorf("Cache-Control = %q, want %q", got, tt.want)
			}
			line := logLine(t, &logs)
			if got, _ := line["cache_control_private"].(bool); got != tt.wantLogged {
				t.Errorf("log cache_control_private = %v, want %v (line %v)", line["cache_control_private"], tt.wantLogged, line)
			}
			if tt.wantLogged && tt.cacheControl != "" && line["app_cache_control"] != tt.cacheControl {
				t.Errorf("log app_cache_control = %v, want %q", line["app_cache_control"], tt.cacheControl)
			}
		})
	}
}

// newHandlerLogging is newHandler with the JSON log written to w.
func newHandlerLogging(tb testing.TB, url string, w io.Writer) *hostforward.Handler {
	tb.Helper()
	vars := map[string]string{
		"UPSTREAM_URL":          url,
		"ALLOWED_HOSTS":         "www.example.com,.example.org",
		"ORIGIN_VERIFY_SECRETS": testSecret,
	}
	cfg, err := hostforward.ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		tb.Fatal(err)
	}
	h, err := hostforward.New(context.Background(), cfg, hostforward.NewTransport(), nil, slog.New(slog.NewJSONHandler(w, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// logLine decodes the last JSON log line in logs.
func logLine(tb testing.TB, logs *bytes.Buffer) map[string]any {
	tb.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		tb.Fatalf("log %q: %v", logs, err)
	}
	return m
}
