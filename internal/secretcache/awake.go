package secretcache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errReadTimeout is the cause of a re-read's context ended by awakeTimeout.
var errReadTimeout = errors.New("no answer")

// errWallTimeout is the cause of a re-read's context ended by its
// wall-clock bound (WallTimeout) before awakeTimeout ended it.
var errWallTimeout = errors.New("no answer within the wall-clock bound")

// awakeTicks is how many ticks of d/awakeTicks awakeTimeout counts.
const awakeTicks = 20

// awakeTimeout returns a context cancelled once d has passed while the
// process ran, with cause errReadTimeout. Lambda freezes the environment
// between invocations; a re-read started in the background during one may
// still be in flight when it freezes, and a wall-clock deadline would fail
// it at the thaw for time nobody spent waiting, its answer already in the
// socket. The timer counts the ticks of a time.Ticker instead, which drops
// the ticks it could not deliver: a freeze of any length counts as one
// tick. (An environment thawed only briefly now and then counts a tick per
// thaw, so Secret.refresh bounds the read in wall-clock time too.)
func awakeTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	go func() {
		t := time.NewTicker(d / awakeTicks)
		defer t.Stop()
		for range awakeTicks {
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
		cancel(fmt.Errorf("%w within %s", errReadTimeout, d))
	}()
	return ctx, func() { cancel(context.Canceled) }
}
