package secretcache

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// RefreshInterval is the least time between two reads of a secret that
// [Secret.Match] makes on values that match none of the held versions.
const RefreshInterval = time.Minute

// RetryAfterFailure replaces RefreshInterval after a read that failed
// (throttling, a timeout): the value that missed may be the one the
// distribution has just started sending, so it is not refused for a whole
// interval because of one failed call.
const RetryAfterFailure = 5 * time.Second

// MaxAge is how old the held values may grow before [Secret.Match] or
// [Secret.Current] reads them again: a value rotated out of the secret
// (after a leak, two rotations) stops being accepted within MaxAge, even
// by an instance that keeps being sent it.
const MaxAge = 5 * time.Minute

// Staging labels, as Secrets Manager spells them.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

// API is the part of the Secrets Manager client a Secret uses.
type API interface {
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

var _ API = (*secretsmanager.Client)(nil)

// Secret is one secret's staged values. It is safe for concurrent use.
type Secret struct {
	client API
	id     string
	log    *slog.Logger
	now    func() time.Time

	fixed bool // from Fixed: never read

	mu      sync.Mutex
	current string
	digests [][sha256.Size]byte // of every held value, for the constant-time check
	readAt  time.Time           // the last read attempt, failed or not
	readErr bool                // that attempt failed
}

// Load reads the secret id (an ARN or a name) through client and returns
// it. It fails when the AWSCURRENT version cannot be read or has no string
// value; AWSPENDING and AWSPREVIOUS are optional (a secret that was never
// rotated has neither). Re-read failures later are logged to logger and
// the cached values kept.
func Load(ctx context.Context, client API, id string, logger *slog.Logger) (*Secret, error) {
	return load(ctx, client, id, logger, time.Now)
}

// Fixed returns a Secret holding values (the first is the current one) that
// is never read from Secrets Manager: for values given in the environment
// of a local run. values must not be empty.
func Fixed(values ...string) *Secret {
	s := &Secret{fixed: true, current: values[0]}
	for _, v := range values {
		s.digests = append(s.digests, sha256.Sum256([]byte(v)))
	}
	return s
}

func load(ctx context.Context, client API, id string, logger *slog.Logger, now func() time.Time) (*Secret, error) {
	s := &Secret{client: client, id: id, log: logger, now: now}
	if err := s.read(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// ReadError is the error Load returns, and Match when a re-read fails: the
// secret could not be read from Secrets Manager.
type ReadError struct {
	SecretID string
	Stage    string
	Err      error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("read secret %s (%s): %v", e.SecretID, e.Stage, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// read fetches every stage and replaces the held values; s.mu is held or s
// is not shared yet. On failure the held values stay as they were.
func (s *Secret) read(ctx context.Context) error {
	s.readAt, s.readErr = s.now(), true
	current, err := s.stage(ctx, StageCurrent)
	if err != nil {
		return err
	}
	if current == "" {
		return &ReadError{SecretID: s.id, Stage: StageCurrent, Err: errors.New("empty or binary value (want a SecretString)")}
	}
	values := []string{current}
	for _, stage := range []string{StagePending, StagePrevious} {
		v, err := s.stage(ctx, stage)
		var nf *smtypes.ResourceNotFoundException
		switch {
		case errors.As(err, &nf):
			// No version carries the label (or it has no value yet).
		case err != nil:
			return err
		case v != "":
			values = append(values, v)
		}
	}
	digests := make([][sha256.Size]byte, len(values))
	for i, v := range values {
		digests[i] = sha256.Sum256([]byte(v))
	}
	s.current, s.digests, s.readErr = current, digests, false
	return nil
}

func (s *Secret) stage(ctx context.Context, stage string) (string, error) {
	out, err := s.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(s.id),
		VersionStage: aws.String(stage),
	})
	if err != nil {
		return "", &ReadError{SecretID: s.id, Stage: stage, Err: err}
	}
	return aws.ToString(out.SecretString), nil
}

// Match reports whether value equals one of the held versions, read again
// first once they are MaxAge old (as in Current). It compares SHA-256
// digests in constant time, so neither the values nor their lengths show in
// the timing. When value matches none and the last read is at least
// RefreshInterval old (RetryAfterFailure when that read failed), the secret
// is read again and value checked against the fresh versions; a failed
// re-read returns false and the *ReadError.
func (s *Secret) Match(ctx context.Context, value string) (bool, error) {
	got := sha256.Sum256([]byte(value))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshOld(ctx)
	if s.matchLocked(got) {
		return true, nil
	}
	interval := RefreshInterval
	if s.readErr {
		interval = RetryAfterFailure
	}
	if s.fixed || s.now().Sub(s.readAt) < interval {
		return false, nil
	}
	if err := s.read(ctx); err != nil {
		return false, err
	}
	return s.matchLocked(got), nil
}

func (s *Secret) matchLocked(got [sha256.Size]byte) bool {
	ok := 0
	for _, d := range s.digests {
		ok |= subtle.ConstantTimeCompare(got[:], d[:])
	}
	return ok == 1
}

// Current returns the AWSCURRENT value. Once the held value is MaxAge old
// it is read again first; if that fails, the failure is logged and the held
// value returned.
func (s *Secret) Current(ctx context.Context) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshOld(ctx)
	return s.current
}

// refreshOld reads the secret again once the held values are MaxAge old;
// a failure is logged and the held values kept. s.mu is held.
func (s *Secret) refreshOld(ctx context.Context) {
	if s.fixed || s.now().Sub(s.readAt) < MaxAge {
		return
	}
	if err := s.read(ctx); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "secret re-read failed; using the cached value",
			slog.String("secret_id", s.id), slog.String("error", err.Error()))
	}
}
