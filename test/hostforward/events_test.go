package hostforward_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/sam/fixtures"
)

// wrongShapes are the events an integration wired to the function by
// mistake sends (sam/fixtures, after AWS's documented shapes), and what
// the function's Lambda error must say of each.
var wrongShapes = []struct{ fixture, shape string }{
	{"rest-api-v1.json", "an API Gateway REST API event (payload format 1.0)"},
	{"http-api-v1.json", "an API Gateway HTTP API event of payload format 1.0"},
	{"alb.json", "an Application Load Balancer event"},
	{"alb-multi-value.json", "an Application Load Balancer event with multi-value headers"},
}

// TestWrongEventShapes: the built bootstrap, in front of an app, answers
// each wrong shape with the Lambda error UnsupportedEventError naming the
// shape and what it serves — not a 400 or 403 that blames the viewer — and
// the app is never called.
func TestWrongEventShapes(t *testing.T) {
	testenv.Integration(t)
	var calls atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	t.Cleanup(app.Close)
	c := startChain(t, app.URL)
	for _, tt := range wrongShapes {
		t.Run(tt.fixture, func(t *testing.T) {
			res, err := c.fn.Invoke(context.Background(), fixtures.Must(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if e := res.Error; e == nil || e.Type != "UnsupportedEventError" || !strings.Contains(e.Message, tt.shape+";") ||
				!strings.Contains(e.Message, "this function serves API Gateway HTTP API events of payload format 2.0") {
				t.Errorf("got %s, error %v; want errorType UnsupportedEventError naming %q and payload format 2.0", res.Payload, res.Error, tt.shape)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the app got %d requests, want none", n)
	}
}
