package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
)

// readyLimit bounds the wait for a server a test starts to answer: a bound
// for slow machines, not a speed check.
const readyLimit = 60 * time.Second

// serverOutput keeps the last output of a server a test starts, enough for
// the last requests' access lines and a traceback; it is logged when the
// test fails.
var serverOutput = childproc.Options{TailSize: 256 << 10}

// readyContext returns tb's context bounded by readyLimit.
func readyContext(tb testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.Context(), readyLimit)
}

// stopAtCleanup stops p (and its process group) when tb ends, logging p's
// output if tb failed.
func stopAtCleanup(tb testing.TB, p *childproc.Process) {
	tb.Cleanup(func() {
		p.Stop(childproc.DefaultGrace)
		if tb.Failed() {
			tb.Logf("%s output (tail):\n%s", p.Name(), p.Tail())
		}
	})
}
