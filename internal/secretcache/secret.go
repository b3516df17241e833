package secretcache

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// RefreshInterval is how old the held values grow before a call of
// [Secret.Match] or [Secret.Current] re-reads them: a rotated value is
// known within about this long, a value rotated out stops being accepted
// within about this long, and a flood of forged values costs at most one
// read per interval.
const RefreshInterval = time.Minute

// RetryAfterFailure is the wait, counted from the end of a failed re-read,
// before the next attempt; it doubles with each failure in a row, up to
// RefreshInterval.
const RetryAfterFailure = 5 * time.Second

// ReadTimeout bounds each re-read: one attempt, no SDK retries, given up
// once it has run this long. Only the time the process runs counts (see
// awakeTimeout), so a read in flight while Lambda freezes the environment
// is not failed at the thaw for the time it was frozen. It is also the
// longest a call of Match or Current waits for a re-read.
const ReadTimeout = 2 * time.Second

// WallTimeout is the hard bound on a re-read in wall-clock time, frozen
// time included: a re-read that has not ended by then is given up, so a
// connection that never answers cannot hold the next re-read back while
// the environment is mostly frozen (its running time then grows by a tick
// per thaw). Such a read is not counted as a failure (see Secret.refresh).
const WallTimeout = 10 * time.Second

// oneAttempt turns off the SDK's retries for a re-read.
func oneAttempt(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 }

// Secret is one secret's labelled values, held in memory and re-read once
// they are RefreshInterval old. It is safe for concurrent use.
type Secret struct {
	client      API
	id          string
	log         *slog.Logger
	now         func() time.Time
	readTimeout time.Duration // running time a re-read may take
	wallTimeout time.Duration // wall-clock time a re-read may take
	waitTimeout time.Duration // longest a call waits for a re-read
	fixed       bool          // from Fixed: never read

	mu       sync.Mutex
	held     Versions
	next     time.Time               // no re-read starts before
	failures int                     // failed re-reads in a row
	inFlight chan struct{}           // closed when the running re-read ends; nil: none runs
	giveUp   context.CancelCauseFunc // ends the running re-read
	reads    sync.WaitGroup
}

// Load reads the secret id (an ARN or a name) through client, bounded by
// ctx, and returns it; it fails as [ReadVersions] does. Later re-reads are
// made as [Secret.Match] says; their failures are logged to logger and the
// held values kept.
func Load(ctx context.Context, client API, id string, logger *slog.Logger) (*Secret, error) {
	return load(ctx, client, id, logger, time.Now)
}

// Fixed returns a Secret holding values (the first is the current one, the
// others are accepted too) that is never read from Secrets Manager: for
// values given in the environment of a local run. values must not be empty.
func Fixed(values ...string) *Secret {
	s := &Secret{fixed: true, now: time.Now}
	for i, v := range values {
		stage := StagePrevious
		if i == 0 {
			stage = StageCurrent
		}
		s.held.list = append(s.held.list, newHeld(Version{Stages: []string{stage}}, v))
	}
	return s
}

func load(ctx context.Context, client API, id string, logger *slog.Logger, now func() time.Time) (*Secret, error) {
	start := now()
	vs, err := readVersions(ctx, client, id, Versions{})
	if err != nil {
		return nil, err
	}
	return &Secret{client: client, id: id, log: logger, now: now,
		readTimeout: ReadTimeout, wallTimeout: WallTimeout, waitTimeout: ReadTimeout,
		held: vs, next: start.Add(RefreshInterval)}, nil
}

// Match reports whether value is an accepted value of the secret: its
// AWSCURRENT or AWSPREVIOUS value, or its AWSPENDING value within
// [PendingWindow] of the version's creation. Digests are compared in
// constant time.
//
// A value the held values accept is accepted at once; if they are due for
// a re-read (RefreshInterval old, or RetryAfterFailure after a failed one)
// it starts in the background. A value they refuse is checked again after
// the re-read that is due or already running (and one more if that one
// began before a freeze and left the values due), waited for at most
// [ReadTimeout] in all and no longer than ctx allows: a value rotated in
// while the environment was idle is accepted on its first request. A value
// refused while no re-read is due is refused at once, so forged values
// cost at most one bounded read per interval or back-off.
func (s *Secret) Match(ctx context.Context, value string) bool {
	got := sha256.Sum256([]byte(value))
	return s.settle(ctx, func() bool { return s.held.accepts(got, s.now()) })
}

// Current returns the AWSCURRENT value. When the held values are due for a
// re-read (or one is running) it waits for it as Match does for a refused
// value, at most [ReadTimeout], so a value put while the environment was
// idle is the one sent; after that, or when the re-read fails, it returns
// the held value.
func (s *Secret) Current(ctx context.Context) string {
	s.settle(ctx, func() bool { return false })
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held.Current()
}

// settle starts the re-read that is due, and returns ok's answer (called
// with s.mu held) at once when it is true or no re-read runs. Otherwise it
// waits for the running re-read and asks again; if that re-read left the
// values due (it began before a freeze, or was given up for one) it starts
// and waits for one more. The waits together last at most s.waitTimeout
// and end with ctx.
func (s *Secret) settle(ctx context.Context, ok func() bool) bool {
	var timeout <-chan time.Time
	for range 2 {
		s.mu.Lock()
		done := s.refreshIfDue(ctx)
		settled := ok()
		s.mu.Unlock()
		if settled || done == nil {
			return settled
		}
		if timeout == nil {
			t := time.NewTimer(s.waitTimeout)
			defer t.Stop()
			timeout = t.C
		}
		if !s.await(ctx, done, timeout) {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok()
}

// refreshIfDue starts a re-read in the background when one is due and none
// is running, and returns the channel the running one closes as it ends
// (nil: none runs). s.mu is held.
func (s *Secret) refreshIfDue(ctx context.Context) <-chan struct{} {
	if s.fixed {
		return nil
	}
	if s.inFlight == nil && !s.now().Before(s.next) {
		ctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
		s.inFlight, s.giveUp = make(chan struct{}), cancel
		s.reads.Add(1)
		go s.refresh(ctx, s.held)
	}
	return s.inFlight
}

// await reports whether done was closed before timeout fired or ctx ended.
// When timeout fires first, the re-read has run that long while a request
// waited (Lambda does not freeze an environment during an invocation), so
// it is given up as a failure, as awakeTimeout would.
func (s *Secret) await(ctx context.Context, done <-chan struct{}, timeout <-chan time.Time) bool {
	select {
	case <-done:
		return true
	case <-ctx.Done():
	case <-timeout:
		s.mu.Lock()
		if s.inFlight == done {
			s.giveUp(fmt.Errorf("%w within %s of a request's wait", errReadTimeout, s.waitTimeout))
		}
		s.mu.Unlock()
	}
	return false
}

// refresh reads the secret once (reusing the values of known), bounded by
// s.readTimeout of running time and s.wallTimeout of wall-clock time, and
// replaces the held values with what it read. A failure keeps them and is
// logged; it holds the next attempt back (see backoff) unless only the
// wall-clock bound ended it: then the environment was frozen for most of
// the read, which says nothing of Secrets Manager, and the next call may
// read again.
func (s *Secret) refresh(ctx context.Context, known Versions) {
	defer s.reads.Done()
	start := s.now()
	ctx, cancel := awakeTimeout(ctx, s.readTimeout)
	defer cancel()
	ctx, cancelWall := context.WithTimeoutCause(ctx, s.wallTimeout, fmt.Errorf("%w of %s", errWallTimeout, s.wallTimeout))
	defer cancelWall()
	vs, err := readVersions(ctx, s.client, s.id, known, oneAttempt)
	cause := context.Cause(ctx)
	if err != nil && cause != nil {
		err = fmt.Errorf("%w (%w)", err, cause)
	}
	s.mu.Lock()
	s.giveUp(context.Canceled)
	close(s.inFlight)
	s.inFlight, s.giveUp = nil, nil
	if err == nil {
		s.held, s.failures, s.next = vs, 0, start.Add(RefreshInterval)
		s.mu.Unlock()
		return
	}
	var wait time.Duration
	if !errors.Is(cause, errWallTimeout) {
		s.failures++
		wait = backoff(s.failures)
	}
	s.next = s.now().Add(wait)
	failures := s.failures
	s.mu.Unlock()
	s.log.LogAttrs(ctx, slog.LevelWarn, "secret re-read failed; using the cached values",
		slog.String("secret_id", s.id), slog.String("error", err.Error()),
		slog.Int("failures", failures), slog.Int64("retry_in_ms", wait.Milliseconds()))
}

// backoff is the wait after failures failed re-reads in a row.
func backoff(failures int) time.Duration {
	wait := RetryAfterFailure
	for i := 1; i < failures && wait < RefreshInterval; i++ {
		wait *= 2
	}
	return min(wait, RefreshInterval)
}

// wait returns once no re-read is running (for tests).
func (s *Secret) wait() { s.reads.Wait() }
