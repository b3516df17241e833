package secretcache

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// fakeSM is Secrets Manager with one secret: values by stage, an error per
// stage to inject, and a count of GetSecretValue calls.
type fakeSM struct {
	values map[string]string
	fail   map[string]error
	calls  int
}

func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.calls++
	stage := aws.ToString(in.VersionStage)
	if err := f.fail[stage]; err != nil {
		return nil, err
	}
	v, ok := f.values[stage]
	if !ok {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("no version with stage " + stage)}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }
func discard() *slog.Logger              { return slog.New(slog.DiscardHandler) }
func mustLoad(t *testing.T, sm *fakeSM, c *clock) *Secret {
	t.Helper()
	s, err := load(context.Background(), sm, "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-AbCdEf", discard(), c.now)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return s
}

// loadCurrent loads a secret whose only version, AWSCURRENT, is value.
func loadCurrent(t *testing.T, value string) (*fakeSM, *clock, *Secret) {
	t.Helper()
	sm, c := &fakeSM{values: map[string]string{StageCurrent: value}}, newClock()
	return sm, c, mustLoad(t, sm, c)
}

func TestLoad(t *testing.T) {
	denied := errors.New("AccessDeniedException: not allowed")
	tests := []struct {
		name    string
		sm      *fakeSM
		accept  []string
		refuse  []string
		wantErr string
	}{
		{name: "current only", sm: &fakeSM{values: map[string]string{StageCurrent: "c"}},
			accept: []string{"c"}, refuse: []string{"", "p", "C"}},
		{name: "current, pending and previous", sm: &fakeSM{values: map[string]string{StageCurrent: "c", StagePending: "n", StagePrevious: "p"}},
			accept: []string{"c", "n", "p"}, refuse: []string{"", "x", "cp"}},
		{name: "no current", sm: &fakeSM{values: map[string]string{StagePrevious: "p"}},
			wantErr: "read secret arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-AbCdEf (AWSCURRENT): ResourceNotFoundException: no version with stage AWSCURRENT"},
		{name: "empty current", sm: &fakeSM{values: map[string]string{StageCurrent: ""}},
			wantErr: "(AWSCURRENT): empty or binary value (want a SecretString)"},
		{name: "previous not readable", sm: &fakeSM{values: map[string]string{StageCurrent: "c"}, fail: map[string]error{StagePrevious: denied}},
			wantErr: "(AWSPREVIOUS): AccessDeniedException: not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(context.Background(), tt.sm, "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-AbCdEf", discard(), newClock().now)
			if tt.wantErr != "" {
				var re *ReadError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &re) {
					t.Fatalf("load: got error %v, want a *ReadError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			for _, v := range tt.accept {
				if ok, err := s.Match(context.Background(), v); !ok || err != nil {
					t.Errorf("Match(%q): got %v, %v; want true", v, ok, err)
				}
			}
			for _, v := range tt.refuse {
				if ok, err := s.Match(context.Background(), v); ok || err != nil {
					t.Errorf("Match(%q): got %v, %v; want false", v, ok, err)
				}
			}
		})
	}
}

func TestMatchRereadsAtMostOncePerInterval(t *testing.T) {
	sm, c, s := loadCurrent(t, "old")
	ctx := context.Background()
	loadCalls := sm.calls

	// Rotation: the new value is pending, then current.
	sm.values = map[string]string{StageCurrent: "old", StagePending: "new"}
	c.advance(RefreshInterval / 2)
	for range 100 {
		if ok, _ := s.Match(ctx, "new"); ok {
			t.Fatal("Match(new) within the interval after the read: got true, want false (no re-read yet)")
		}
	}
	if got := sm.calls - loadCalls; got != 0 {
		t.Fatalf("GetSecretValue calls within the interval: got %d, want 0", got)
	}
	c.advance(RefreshInterval / 2)
	if ok, err := s.Match(ctx, "new"); !ok || err != nil {
		t.Fatalf("Match(new) one interval after the read: got %v, %v; want true", ok, err)
	}
	if got, want := sm.calls-loadCalls, 3; got != want {
		t.Errorf("GetSecretValue calls for the re-read: got %d, want %d (one per stage)", got, want)
	}

	// A forged value re-reads once, then not again within the interval.
	before := sm.calls
	c.advance(RefreshInterval)
	for range 50 {
		if ok, _ := s.Match(ctx, "forged"); ok {
			t.Fatal("Match(forged): got true")
		}
	}
	if got, want := sm.calls-before, 3; got != want {
		t.Errorf("GetSecretValue calls for 50 forged values: got %d, want %d", got, want)
	}
}

func TestMatchRereadFailureKeepsValues(t *testing.T) {
	sm := &fakeSM{values: map[string]string{StageCurrent: "c"}}
	c := newClock()
	s := mustLoad(t, sm, c)
	sm.fail = map[string]error{StageCurrent: errors.New("throttled")}
	c.advance(RefreshInterval)
	ok, err := s.Match(context.Background(), "other")
	var re *ReadError
	if ok || !errors.As(err, &re) || re.Stage != StageCurrent {
		t.Fatalf("Match(other) with Secrets Manager failing: got %v, %v; want false and a *ReadError for AWSCURRENT", ok, err)
	}
	if ok, err := s.Match(context.Background(), "c"); !ok || err != nil {
		t.Errorf("Match(c) after the failed re-read: got %v, %v; want true (values kept)", ok, err)
	}
}

// A re-read that fails (Secrets Manager throttled, a timeout) must not hold
// the just-rotated value off for a whole RefreshInterval: the distribution
// may already be sending it, and every such request would get a 403.
func TestMatchRetriesSoonAfterAFailedReread(t *testing.T) {
	sm, c, s := loadCurrent(t, "old")
	ctx := context.Background()

	// The rotation made "new" pending; the first request carrying it meets
	// a failing Secrets Manager.
	sm.values = map[string]string{StageCurrent: "old", StagePending: "new"}
	sm.fail = map[string]error{StagePending: errors.New("ThrottlingException: rate exceeded")}
	c.advance(RefreshInterval)
	if ok, err := s.Match(ctx, "new"); ok || err == nil {
		t.Fatalf("Match(new) with the re-read failing: got %v, %v; want false and the error", ok, err)
	}

	sm.fail = nil
	before := sm.calls
	c.advance(RetryAfterFailure - time.Nanosecond)
	if ok, _ := s.Match(ctx, "new"); ok {
		t.Fatal("Match(new) before RetryAfterFailure: got true, want false (no re-read yet)")
	}
	if got := sm.calls - before; got != 0 {
		t.Fatalf("GetSecretValue calls before RetryAfterFailure: got %d, want 0", got)
	}
	c.advance(time.Nanosecond)
	if ok, err := s.Match(ctx, "new"); !ok || err != nil {
		t.Fatalf("Match(new) RetryAfterFailure after the failed re-read: got %v, %v; want true (read again)", ok, err)
	}
	if RetryAfterFailure >= RefreshInterval/4 {
		t.Errorf("RetryAfterFailure = %s, want well below RefreshInterval (%s)", RetryAfterFailure, RefreshInterval)
	}
}

// A value rotated out of the secret (two rotations after a leak) must stop
// being accepted by an instance that keeps matching it: a hit re-reads the
// secret too once the held values are MaxAge old.
func TestMatchForgetsRevokedValues(t *testing.T) {
	sm, c, s := loadCurrent(t, "leaked")
	ctx := context.Background()

	sm.values = map[string]string{StageCurrent: "third", StagePrevious: "second"}
	c.advance(MaxAge - time.Second)
	if ok, _ := s.Match(ctx, "leaked"); !ok {
		t.Fatal("Match(leaked) within MaxAge of the read: got false, want true (held values)")
	}
	c.advance(time.Second)
	if ok, err := s.Match(ctx, "leaked"); ok || err != nil {
		t.Fatalf("Match(leaked) MaxAge after the read, no longer in the secret: got %v, %v; want false", ok, err)
	}
	for _, v := range []string{"third", "second"} {
		if ok, err := s.Match(ctx, v); !ok || err != nil {
			t.Errorf("Match(%q) after the re-read: got %v, %v; want true", v, ok, err)
		}
	}

	// A failed re-read keeps the held values: availability first, the
	// failure logged, the next attempt RetryAfterFailure later.
	sm.fail = map[string]error{StageCurrent: errors.New("endpoint down")}
	c.advance(MaxAge)
	if ok, err := s.Match(ctx, "third"); !ok || err != nil {
		t.Errorf("Match(third) with the re-read failing: got %v, %v; want true (held values)", ok, err)
	}
}

func TestCurrent(t *testing.T) {
	sm := &fakeSM{values: map[string]string{StageCurrent: "one"}}
	c := newClock()
	var logs bytes.Buffer
	s, err := load(context.Background(), sm, "upstream", slog.New(slog.NewJSONHandler(&logs, nil)), c.now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sm.values[StageCurrent] = "two"
	steps := []struct {
		name    string
		advance time.Duration
		fail    error
		want    string
		wantLog string
	}{
		{name: "fresh: cached", advance: MaxAge - time.Second, want: "one"},
		{name: "stale: re-read", advance: time.Second, want: "two"},
		{name: "stale, read fails: cached, logged", advance: MaxAge, fail: errors.New("endpoint down"), want: "two",
			wantLog: `"msg":"secret re-read failed; using the cached value","secret_id":"upstream","error":"read secret upstream (AWSCURRENT): endpoint down"`},
	}
	for _, st := range steps {
		c.advance(st.advance)
		sm.fail = map[string]error{StageCurrent: st.fail}
		if st.fail == nil {
			sm.fail = nil
		}
		if got := s.Current(ctx); got != st.want {
			t.Errorf("%s: Current() got %q, want %q", st.name, got, st.want)
		}
		if st.wantLog != "" && !strings.Contains(logs.String(), st.wantLog) {
			t.Errorf("%s: log got %s, want it to contain %s", st.name, logs.String(), st.wantLog)
		}
	}
}

func TestFixed(t *testing.T) {
	s := Fixed("new", "old")
	ctx := context.Background()
	for v, want := range map[string]bool{"new": true, "old": true, "": false, "other": false} {
		if got, err := s.Match(ctx, v); got != want || err != nil {
			t.Errorf("Match(%q): got %v, %v; want %v", v, got, err, want)
		}
	}
	if got, want := s.Current(ctx), "new"; got != want {
		t.Errorf("Current(): got %q, want %q", got, want)
	}
}

// FuzzMatch checks the constant-time comparison against the obvious one: a
// value matches exactly when it equals one of the held values.
func FuzzMatch(f *testing.F) {
	f.Add("current", "previous", "current")
	f.Add("current", "previous", "previous")
	f.Add("a", "b", "")
	f.Add("x", "x", "x\x00")
	f.Add("ü", "u", "u\u0308")
	f.Fuzz(func(t *testing.T, current, previous, value string) {
		if current == "" {
			return // Load refuses an empty AWSCURRENT
		}
		s := Fixed(current, previous)
		got, err := s.Match(context.Background(), value)
		if want := value == current || value == previous; got != want || err != nil {
			t.Errorf("Fixed(%q, %q).Match(%q) = %v, %v; want %v", current, previous, value, got, err, want)
		}
	})
}
