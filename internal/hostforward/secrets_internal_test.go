package hostforward

import (
	"context"
	"fmt"
	"testing"
)

// rotating is an upstream credential that changes on every read, as a
// secret re-read after each rotation would.
type rotating struct{ n int }

func (r *rotating) Current(context.Context) string {
	r.n++
	return fmt.Sprintf("value-%d", r.n)
}

func TestPinned(t *testing.T) {
	c := pinned(context.Background(), &rotating{})
	for range 3 {
		if got := c.Current(context.Background()); got != "value-1" {
			t.Fatalf("Current() = %q after the pin, want the value read when pinning, value-1", got)
		}
	}
	if c := pinned(context.Background(), nil); c != nil {
		t.Errorf("pinned(nil) = %v, want nil: no credential to send", c)
	}
}
