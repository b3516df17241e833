package localedge_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/localedge"
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
	raw, err := os.ReadFile(filepath.Join("..", "..", "template.yaml"))
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
