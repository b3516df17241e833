package hostforward_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/djfront/djfront/internal/dispatch"
	"github.com/djfront/djfront/internal/hostforward"
	"github.com/djfront/djfront/sam/fixtures"
)

// page is the benchmark's app response: a 10 KB HTML page with a cookie.
var page = strings.Repeat("<p>hello, world</p>\n", 512)

func servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Set-Cookie", "csrftoken=abc; Path=/; SameSite=Lax")
	io.WriteString(w, page)
}

// download is a 1 MiB binary response body: every byte value, so it is
// not UTF-8 and travels base64-encoded.
var download = func() string {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return string(b)
}()

// memoryTransport answers every request with body (the page when empty)
// of contentType without a network, so a benchmark through it measures the
// adapters' own work.
type memoryTransport struct{ contentType, body string }

func (m memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	if m.body == "" {
		m.contentType, m.body = "text/html; charset=utf-8", page
	}
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header: http.Header{
			"Content-Type": {m.contentType},
			"Set-Cookie":   {"csrftoken=abc; Path=/; SameSite=Lax"},
		},
		ContentLength: int64(len(m.body)),
		Body:          io.NopCloser(strings.NewReader(m.body)),
	}, nil
}

// BenchmarkProxy measures one GET through hostforward and through the stock
// httpadapter.NewV2 + ReverseProxy, side by side in the same run: over
// loopback HTTP to an httptest app (what a user sees) and through an
// in-memory transport (the conversions alone). Compare with
// `benchstat -col /impl` (bench/hostforward.sh).
func BenchmarkProxy(b *testing.B) {
	app := newUpstream(b, servePage)
	ev := loadEvent(b, "api-get.json")
	ctx := context.Background()
	transports := []struct {
		name string
		rt   func() http.RoundTripper
	}{
		{"loopback", func() http.RoundTripper { return hostforward.NewTransport() }},
		{"memory", func() http.RoundTripper { return memoryTransport{} }},
	}
	for _, tr := range transports {
		b.Run("net="+tr.name+"/impl=djfront", func(b *testing.B) {
			h := newHandlerWith(b, app.URL, tr.rt())
			b.ReportAllocs()
			for b.Loop() {
				if resp, _ := h.Handle(ctx, ev); resp.StatusCode != 200 {
					b.Fatal(resp.StatusCode, resp.Body)
				}
			}
		})
		b.Run("net="+tr.name+"/impl=httpadapter", func(b *testing.B) {
			p := stockProxy(app.URL, tr.rt())
			b.ReportAllocs()
			for b.Loop() {
				if resp, err := p.ProxyWithContext(ctx, ev); err != nil || resp.StatusCode != 200 {
					b.Fatal(resp.StatusCode, err)
				}
			}
		})
	}
}

// BenchmarkResponse measures what the function returns to the runtime for
// the page and for a 1 MiB binary download, from an in-memory app (so the
// response path alone): through Handler.Invoke, the function without the
// app, and through dispatch and aws-lambda-go's handler as Setup wires them
// with the app in the function.
func BenchmarkResponse(b *testing.B) {
	payload := fixtures.Must(b, "api-get.json")
	ctx := context.Background()
	bodies := []struct{ name, contentType, body string }{
		{"page", "text/html; charset=utf-8", page},
		{"1MiB", "application/octet-stream", download},
	}
	for _, body := range bodies {
		h := newHandlerWith(b, "http://127.0.0.1:1", memoryTransport{body.contentType, body.body})
		d := dispatch.New(h.Invoke, dispatch.Manage{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
		paths := []struct {
			name    string
			handler lambda.Handler
		}{
			{"invoke", h},
			{"in-function", lambda.NewHandlerWithOptions(d, lambda.WithSetEscapeHTML(false))},
		}
		for _, p := range paths {
			b.Run("body="+body.name+"/path="+p.name, func(b *testing.B) {
				b.SetBytes(int64(len(body.body)))
				b.ReportAllocs()
				for b.Loop() {
					if out, err := p.handler.Invoke(ctx, payload); err != nil || !bytes.HasPrefix(out, []byte(`{"statusCode":200,`)) {
						b.Fatal(err, string(out[:min(len(out), 200)]))
					}
				}
			})
		}
	}
}
