package hostforward_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/hostforward"
)

// page is the benchmark's app response: a 10 KB HTML page with a cookie.
var page = strings.Repeat("<p>hello, world</p>\n", 512)

func servePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Add("Set-Cookie", "csrftoken=abc; Path=/; SameSite=Lax")
	io.WriteString(w, page)
}

// memoryTransport answers every request with the page without a network,
// so a benchmark through it measures the adapters' own work.
type memoryTransport struct{}

func (memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header: http.Header{
			"Content-Type": {"text/html; charset=utf-8"},
			"Set-Cookie":   {"csrftoken=abc; Path=/; SameSite=Lax"},
		},
		ContentLength: int64(len(page)),
		Body:          io.NopCloser(strings.NewReader(page)),
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
