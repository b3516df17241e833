package secretcache

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// RefreshInterval is how old the held values grow before a call of
// [Secret.Match] or [Secret.Current] starts a re-read in the background: a
// rotated value is known within about this long, a value rotated out stops
// being accepted within about this long, and a flood of forged values costs
// at most one read per interval.
const RefreshInterval = time.Minute

// RetryAfterFailure is the wait, counted from the end of a failed re-read,
// before the next attempt; it doubles with each failure in a row, up to
// RefreshInterval.
const RetryAfterFailure = 5 * time.Second

// ReadTimeout bounds each re-read: one attempt, no SDK retries, given up
// once it has run this long. Only the time the process runs counts (see
// awakeTimeout), so a read in flight while Lambda freezes the environment
// is not failed at the thaw for the time it was frozen.
const ReadTimeout = 2 * time.Second

// oneAttempt turns off the SDK's retries for a re-read.
func oneAttempt(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 }

// Secret is one secret's labelled values, held in memory and re-read in
// the background. It is safe for concurrent use.
type Secret struct {
	client      API
	id          string
	log         *slog.Logger
	now         func() time.Time
	readTimeout time.Duration
	fixed       bool // from Fixed: never read

	mu       sync.Mutex
	held     Versions
	next     time.Time // no re-read starts before
	failures int       // failed re-reads in a row
	reading  bool      // a re-read is running
	reads    sync.WaitGroup
}

// Load reads the secret id (an ARN or a name) through client, bounded by
// ctx, and returns it; it fails as [ReadVersions] does. Re-reads later run
// in the background (see [Secret.Match]); their failures are logged to
// logger and the held values kept.
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
	return &Secret{client: client, id: id, log: logger, now: now, readTimeout: ReadTimeout,
		held: vs, next: start.Add(RefreshInterval)}, nil
}

// Match reports whether value is an accepted value of the secret: its
// AWSCURRENT or AWSPREVIOUS value, or its AWSPENDING value within
// [PendingWindow] of the version's creation. Digests are compared in
// constant time. Match never waits on Secrets Manager: once the held values
// are RefreshInterval old (or RetryAfterFailure after a failed re-read) it
// starts a re-read in the background and answers from the held values, so
// a value the re-read brings is accepted from the next call on.
func (s *Secret) Match(ctx context.Context, value string) bool {
	got := sha256.Sum256([]byte(value))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshIfDue(ctx)
	return s.held.accepts(got, s.now())
}

// Current returns the AWSCURRENT value, starting a background re-read as
// Match does.
func (s *Secret) Current(ctx context.Context) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshIfDue(ctx)
	return s.held.Current()
}

// refreshIfDue starts a re-read in the background when one is due and none
// is running. s.mu is held.
func (s *Secret) refreshIfDue(ctx context.Context) {
	if s.fixed || s.reading || s.now().Before(s.next) {
		return
	}
	s.reading = true
	s.reads.Add(1)
	go s.refresh(context.WithoutCancel(ctx), s.held)
}

// refresh reads the secret once (reusing the values of known), bounded by
// s.readTimeout, and replaces the held values with what it read. A failure
// keeps them, is logged, and holds the next attempt back.
func (s *Secret) refresh(ctx context.Context, known Versions) {
	defer s.reads.Done()
	start := s.now()
	ctx, cancel := awakeTimeout(ctx, s.readTimeout)
	defer cancel()
	vs, err := readVersions(ctx, s.client, s.id, known, oneAttempt)
	if err != nil && context.Cause(ctx) != nil {
		err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
	}
	s.mu.Lock()
	s.reading = false
	if err == nil {
		s.held, s.failures, s.next = vs, 0, start.Add(RefreshInterval)
		s.mu.Unlock()
		return
	}
	s.failures++
	wait := backoff(s.failures)
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
