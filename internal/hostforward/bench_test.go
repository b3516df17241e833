package hostforward_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/hostforward"
)

// BenchmarkProxy measures one GET through each adapter to the same
// httptest upstream in the same run; compare with
// `benchstat -col /impl` (see bench/hostforward.sh).
func BenchmarkProxy(b *testing.B) {
	page := strings.Repeat("<p>hello, world</p>\n", 512) // a 10 KB HTML page
	app := newUpstream(b, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Add("Set-Cookie", "csrftoken=abc; Path=/; SameSite=Lax")
		w.Write([]byte(page))
	})
	ev := loadEvent(b, "api-get.json")
	ctx := context.Background()

	b.Run("impl=djfront", func(b *testing.B) {
		h := newHandler(b, app.URL, nil)
		b.ReportAllocs()
		for b.Loop() {
			if resp, _ := h.Handle(ctx, ev); resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode, resp.Body)
			}
		}
	})
	b.Run("impl=httpadapter", func(b *testing.B) {
		// The stock adapter with the same pooled transport, so the figure
		// compares the conversions, not connection handling.
		p := stockProxy(app.URL, hostforward.NewTransport())
		b.ReportAllocs()
		for b.Loop() {
			if resp, err := p.ProxyWithContext(ctx, ev); err != nil || resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode, err)
			}
		}
	})
}
