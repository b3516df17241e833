package invalidate_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/invalidate"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/sam/fixtures"
)

// TestDirectEvents invokes the built function with the sam/fixtures fixtures
// of a direct invocation, as `sam local invoke -e` does. The fixtures'
// bucket does not exist on moto, so the version lookups fail and every key
// counts as changed.
func TestDirectEvents(t *testing.T) {
	testenv.Integration(t)
	st := newStack(t, stackOptions{visibility: 30 * time.Second, maxReceiveCount: 3, timeout: 30 * time.Second})
	tests := []struct {
		fixture string
		shape   string
		paths   []string
	}{
		{"s3-put.json", invalidate.ShapeS3, []string{"/static/img/hero%20banner.png"}},
		{"s3-delete.json", invalidate.ShapeS3, []string{"/static/js/old.js"}},
		{"s3-test-event.json", invalidate.ShapeTestEvent, []string{}},
		{"sns-s3.json", invalidate.ShapeSNS, []string{"/static/css/site.css", "/static/js/old.js"}},
		// hero+banner.png under both readings: EventBridge may send keys raw.
		{"eventbridge-object-created.json", invalidate.ShapeEventBridge, []string{"/static/img/hero%20banner.png", "/static/img/hero+banner.png"}},
		{"eventbridge-object-deleted.json", invalidate.ShapeEventBridge, []string{"/static/js/old.js"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			before := st.invalidations(t)
			res, err := st.poller.Function.Invoke(t.Context(), fixtures.Must(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if res.Error != nil {
				t.Fatalf("invocation failed: %v", res.Error)
			}
			var sum invalidate.Summary
			if err := json.Unmarshal(res.Payload, &sum); err != nil {
				t.Fatalf("result %s: %v", res.Payload, err)
			}
			if sum.Shape != tt.shape || !slices.Equal(sum.Paths, tt.paths) {
				t.Errorf("got shape %q, paths %q; want %q, %q", sum.Shape, sum.Paths, tt.shape, tt.paths)
			}
			added := since(before, st.invalidations(t))
			if got := allPaths(added); !slices.Equal(got, tt.paths) && !(len(got) == 0 && len(tt.paths) == 0) {
				t.Errorf("got invalidated paths %q, want %q", got, tt.paths)
			}
			if len(added) > 0 && (len(sum.Invalidations) != 1 || added[0].id != sum.Invalidations[0].ID) {
				t.Errorf("got invalidations %+v in the result, want the one with id %q", sum.Invalidations, added[0].id)
			}
		})
	}
}

// TestDirectPayloadNotJSON: a payload that is not JSON at all (truncated,
// as `lambdarun -event` or a hand-made test event may send) reaches the
// handler and fails as an UnrecognizedEventError with its log line, not
// as the runtime's unnamed "errorString" before the handler runs.
func TestDirectPayloadNotJSON(t *testing.T) {
	testenv.Integration(t)
	st := newStack(t, stackOptions{visibility: 30 * time.Second, maxReceiveCount: 3, timeout: 30 * time.Second})
	for _, payload := range []string{
		`{"Records":[{"eventSource":"aws:s3","s3":{"object":{"key":"static/a.css"`,
		`not json`,
	} {
		res, err := st.poller.Function.Invoke(t.Context(), []byte(payload))
		if err != nil {
			t.Fatal(err)
		}
		if res.Error == nil || res.Error.Type != "UnrecognizedEventError" {
			t.Errorf("payload %q: got result %s, error %v; want errorType UnrecognizedEventError", payload, res.Payload, res.Error)
		}
	}
}
