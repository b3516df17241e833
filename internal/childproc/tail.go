package childproc

import (
	"strings"
	"sync"
)

// Tail is an io.Writer that keeps the last bytes written to it, for error
// messages and bounded command output. It is safe for concurrent use.
type Tail struct {
	mu      sync.Mutex
	max     int
	buf     []byte // holds up to 2*max bytes: compacted only when past that, so writes cost O(len(p)) amortized
	dropped bool
}

// NewTail returns a Tail that keeps at most max bytes.
func NewTail(max int) *Tail { return &Tail{max: max} }

// Write keeps the last bytes of what has been written; it never fails.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) >= t.max {
		t.dropped = t.dropped || len(t.buf) > 0 || len(p) > t.max
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return len(p), nil
	}
	if len(t.buf)+len(p) > 2*t.max {
		keep := t.buf[len(t.buf)-(t.max-len(p)):]
		t.buf = append(t.buf[:0], keep...)
		t.dropped = true
	}
	t.buf = append(t.buf, p...)
	return len(p), nil
}

// String returns the kept bytes.
func (t *Tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.kept())
}

// Truncated reports whether earlier bytes were dropped.
func (t *Tail) Truncated() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dropped || len(t.buf) > t.max
}

func (t *Tail) kept() []byte {
	if n := len(t.buf); n > t.max {
		return t.buf[n-t.max:]
	}
	return t.buf
}

// LastLines returns the last n lines of s (a Tail's text, say), without a
// trailing newline: enough of a child's output for an error message.
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
