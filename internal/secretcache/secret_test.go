package secretcache

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/djfront/djfront/internal/childproc"
)

const testARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-AbCdEf"

// fv is one version of fakeSM's secret; noValue: labelled, not written yet.
type fv struct {
	value   string
	stages  []string
	created time.Time
	noValue bool
}

// fakeSM is Secrets Manager with one secret: versions by id, errors to
// inject (on the listing, or on one version's value), a count of calls, an
// afterList hook, and block, which holds every call while it is open.
type fakeSM struct {
	mu        sync.Mutex
	versions  map[string]fv
	failList  error
	failGet   map[string]error
	lists     int
	gets      []string // version ids read, in order
	afterList func(*fakeSM)
	block     chan struct{}
}

func newFake(versions map[string]fv) *fakeSM { return &fakeSM{versions: versions} }

func (f *fakeSM) ListSecretVersionIds(ctx context.Context, _ *secretsmanager.ListSecretVersionIdsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	f.wait(ctx)
	f.mu.Lock()
	f.lists++
	if f.failList != nil {
		defer f.mu.Unlock()
		return nil, f.failList
	}
	out := &secretsmanager.ListSecretVersionIdsOutput{}
	for _, id := range slices.Sorted(maps.Keys(f.versions)) {
		out.Versions = append(out.Versions, smtypes.SecretVersionsListEntry{VersionId: aws.String(id), VersionStages: slices.Clone(f.versions[id].stages)})
	}
	hook := f.afterList
	f.mu.Unlock()
	if hook != nil {
		hook(f)
	}
	return out, nil
}

func (f *fakeSM) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.wait(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.VersionId)
	f.gets = append(f.gets, id)
	if err := f.failGet[id]; err != nil {
		return nil, err
	}
	v, ok := f.versions[id]
	if !ok || v.noValue {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("no value for version " + id)}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v.value), CreatedDate: aws.Time(v.created), VersionId: aws.String(id)}, nil
}

func (f *fakeSM) wait(ctx context.Context) {
	f.mu.Lock()
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
		}
	}
}

// update changes the fake under its lock.
func (f *fakeSM) update(change func(*fakeSM)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

func (f *fakeSM) calls() (lists int, gets []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists, slices.Clone(f.gets)
}

// clock is a settable time source, safe for the background re-reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newClock() *clock      { return &clock{t: t0} }
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func mustLoad(t *testing.T, sm API, id string, c *clock, logger *slog.Logger) *Secret {
	t.Helper()
	s, err := load(context.Background(), sm, id, logger, c.now)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return s
}

// loadCurrent loads a secret whose only version, "v1", is AWSCURRENT value.
func loadCurrent(t *testing.T, value string) (*fakeSM, *clock, *Secret) {
	t.Helper()
	sm, c := newFake(map[string]fv{"v1": {value: value, stages: []string{StageCurrent}, created: t0}}), newClock()
	return sm, c, mustLoad(t, sm, testARN, c, discard())
}

// answersAtOnce is checkMatch from another goroutine, failing the test if
// Match has not answered within 10 s: the bound of a wait that must not
// happen at all (or of one much shorter), not a measure of speed.
func answersAtOnce(t *testing.T, step string, s *Secret, want map[string]bool) {
	t.Helper()
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		checkMatch(t, step, s, want)
	}()
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: Match waited on Secrets Manager", step)
	}
}

// checkMatch calls Match for each value (in order) and compares.
func checkMatch(t *testing.T, step string, s *Secret, want map[string]bool) {
	t.Helper()
	for _, v := range slices.Sorted(maps.Keys(want)) {
		if got := s.Match(context.Background(), v); got != want[v] {
			t.Errorf("%s: Match(%q) = %v, want %v", step, v, got, want[v])
		}
	}
}

func TestLoad(t *testing.T) {
	denied := errors.New("AccessDeniedException: not allowed")
	cur, pend, prev := []string{StageCurrent}, []string{StagePending}, []string{StagePrevious}
	tests := []struct {
		name     string
		sm       *fakeSM
		accept   []string
		refuse   []string
		wantErr  string
		wantGets int
	}{
		{name: "current only", sm: newFake(map[string]fv{"a": {value: "c", stages: cur}}),
			accept: []string{"c"}, refuse: []string{"", "p", "C"}, wantGets: 1},
		{name: "current, pending and previous", sm: newFake(map[string]fv{"a": {value: "c", stages: cur}, "b": {value: "n", stages: pend, created: t0}, "c": {value: "p", stages: prev}}),
			accept: []string{"c", "n", "p"}, refuse: []string{"", "x", "cp"}, wantGets: 3},
		{name: "unlabelled versions are not read", sm: newFake(map[string]fv{"a": {value: "c", stages: cur}, "old": {value: "o"}, "custom": {value: "x", stages: []string{"MINE"}}}),
			accept: []string{"c"}, refuse: []string{"o", "x"}, wantGets: 1},
		{name: "pending not written yet: left out", sm: newFake(map[string]fv{"a": {value: "c", stages: cur}, "b": {stages: pend, noValue: true}}),
			accept: []string{"c"}, refuse: []string{""}, wantGets: 2},
		{name: "pending without a creation time: refused", sm: newFake(map[string]fv{"a": {value: "c", stages: cur}, "b": {value: "n", stages: pend}}),
			accept: []string{"c"}, refuse: []string{"n"}, wantGets: 2},
		{name: "no current", sm: newFake(map[string]fv{"a": {value: "p", stages: prev}}),
			wantErr: "read secret " + testARN + " (AWSCURRENT): no version carries it"},
		{name: "current without a value", sm: newFake(map[string]fv{"a": {stages: cur, noValue: true}}),
			wantErr: "(AWSCURRENT): ResourceNotFoundException: no value for version a"},
		{name: "empty current", sm: newFake(map[string]fv{"a": {value: "", stages: cur}}),
			wantErr: "(AWSCURRENT): empty or binary value (want a SecretString)"},
		{name: "previous not readable", sm: &fakeSM{versions: map[string]fv{"a": {value: "c", stages: cur}, "b": {value: "p", stages: prev}}, failGet: map[string]error{"b": denied}},
			wantErr: "(AWSPREVIOUS): AccessDeniedException: not allowed"},
		{name: "versions not listable", sm: &fakeSM{failList: denied},
			wantErr: "read secret " + testARN + " (versions): AccessDeniedException: not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load(context.Background(), tt.sm, testARN, discard(), newClock().now)
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
			want := map[string]bool{}
			for _, v := range tt.accept {
				want[v] = true
			}
			for _, v := range tt.refuse {
				want[v] = false
			}
			checkMatch(t, "after load", s, want)
			if lists, gets := tt.sm.calls(); lists != 1 || len(gets) != tt.wantGets {
				t.Errorf("calls: %d listings, values of %v; want 1 listing and %d values", lists, gets, tt.wantGets)
			}
		})
	}
}

// A read that straddles a rotation's finishSecret (AWSCURRENT moved to the
// new version, AWSPENDING removed from it) used to read AWSCURRENT before
// the move and AWSPENDING after it: the new value, the one the
// distribution sends, was dropped until the next read a minute later.
func TestReadStraddlingFinishSecret(t *testing.T) {
	sm := newFake(map[string]fv{
		"old": {value: "old-value", stages: []string{StageCurrent}, created: t0},
		"new": {value: "new-value", stages: []string{StagePending}, created: t0},
	})
	sm.afterList = func(f *fakeSM) {
		f.update(func(f *fakeSM) {
			f.versions["old"] = fv{value: "old-value", stages: []string{StagePrevious}, created: t0}
			f.versions["new"] = fv{value: "new-value", stages: []string{StageCurrent}, created: t0}
			f.afterList = nil
		})
	}
	s := mustLoad(t, sm, testARN, newClock(), discard())
	checkMatch(t, "read across finishSecret", s, map[string]bool{"old-value": true, "new-value": true})
}

func TestRereadInTheBackground(t *testing.T) {
	sm, c, s := loadCurrent(t, "old")
	ctx := context.Background()

	// Rotation: "new" becomes pending.
	sm.update(func(f *fakeSM) {
		f.versions["v2"] = fv{value: "new", stages: []string{StagePending}, created: t0.Add(time.Second)}
	})
	c.advance(RefreshInterval - time.Nanosecond)
	for range 100 {
		if s.Match(ctx, "new") {
			t.Fatal("Match(new) within RefreshInterval of the read: got true, want false (no re-read yet)")
		}
	}
	s.wait()
	if lists, gets := sm.calls(); lists != 1 || len(gets) != 1 {
		t.Fatalf("calls within RefreshInterval: %d listings, %d values; want the load's 1 and 1", lists, len(gets))
	}
	c.advance(time.Nanosecond)
	if !s.Match(ctx, "old") {
		t.Fatal("Match(old) starting a re-read: got false, want true (held values serve)")
	}
	s.wait()
	if !s.Match(ctx, "new") {
		t.Fatal("Match(new) after the re-read: got false, want true")
	}
	if lists, gets := sm.calls(); lists != 2 || !slices.Equal(gets, []string{"v1", "v2"}) {
		t.Errorf("calls: %d listings, values of %v; want 2 listings, values of [v1 v2] (v1's value is known)", lists, gets)
	}

	// A flood of forged values: one re-read per interval.
	c.advance(RefreshInterval)
	for range 50 {
		if s.Match(ctx, "forged") {
			t.Fatal("Match(forged): got true")
		}
	}
	s.wait()
	if lists, _ := sm.calls(); lists != 3 {
		t.Errorf("listings after 50 forged values: got %d, want 3", lists)
	}
}

// TestMatchWaitsOnlyWhenRefused: with every call to Secrets Manager
// blocked (and the re-read itself unbounded), a value the held values
// accept is accepted at once even though the re-read it started is still
// blocked; a value they refuse waits for that re-read at most waitTimeout
// (the re-read, blocked for ever, would hold it until the test's limit),
// then is refused. (This replaces the test of
// commit 427293f, "Match never waits": a refused value now waits, bounded,
// for the due re-read, so an idle environment accepts a rotated value.)
func TestMatchWaitsOnlyWhenRefused(t *testing.T) {
	sm, c, s := loadCurrent(t, "c")
	s.readTimeout, s.wallTimeout, s.waitTimeout = time.Hour, time.Hour, time.Hour
	release := make(chan struct{})
	sm.update(func(f *fakeSM) { f.block = release })
	c.advance(RefreshInterval)
	inFlight := func(step string) {
		t.Helper()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.inFlight == nil {
			t.Errorf("%s: no re-read in flight, want the blocked one", step)
		}
	}
	answersAtOnce(t, "accepted value, Secrets Manager blocked", s, map[string]bool{"c": true})
	inFlight("after the accepted value")

	s.mu.Lock()
	s.waitTimeout = 50 * time.Millisecond
	s.mu.Unlock()
	answersAtOnce(t, "refused value, Secrets Manager blocked", s, map[string]bool{"forged": false})
	close(release)
	s.wait()
}

// A failed re-read keeps the values, is logged, and holds the next attempt
// back by RetryAfterFailure, doubling, counted from the end of the failure.
func TestFailedRereadBacksOff(t *testing.T) {
	logs := childproc.NewTail(1 << 20) // safe for the background re-reads
	sm := newFake(map[string]fv{"v1": {value: "c", stages: []string{StageCurrent}, created: t0}})
	c := newClock()
	s := mustLoad(t, sm, testARN, c, slog.New(slog.NewJSONHandler(logs, nil)))
	sm.update(func(f *fakeSM) { f.failList = errors.New("ThrottlingException: rate exceeded") })
	c.advance(RefreshInterval)
	lists := 1
	for i, wait := range []time.Duration{RetryAfterFailure, 2 * RetryAfterFailure, 4 * RetryAfterFailure} {
		checkMatch(t, "failing", s, map[string]bool{"c": true, "forged": false})
		s.wait()
		lists++
		c.advance(wait - time.Nanosecond)
		checkMatch(t, "failing, within the back-off", s, map[string]bool{"c": true, "forged": false})
		s.wait()
		if got, _ := sm.calls(); got != lists {
			t.Fatalf("failure %d: listings %d, want %d (no attempt within %s)", i+1, got, lists, wait)
		}
		c.advance(time.Nanosecond)
	}
	want := `"msg":"secret re-read failed; using the cached values","secret_id":"` + testARN +
		`","error":"read secret ` + testARN + ` (versions): ThrottlingException: rate exceeded","failures":3,"retry_in_ms":20000`
	if !strings.Contains(logs.String(), want) {
		t.Errorf("logs:\n%s\nwant a line containing %s", logs.String(), want)
	}

	sm.update(func(f *fakeSM) {
		f.failList = nil
		f.versions["v2"] = fv{value: "n", stages: []string{StagePending}, created: c.now()}
	})
	s.Match(context.Background(), "n")
	s.wait()
	checkMatch(t, "read again", s, map[string]bool{"c": true, "n": true})
	if got := backoff(s.failures); s.failures != 0 || got != RetryAfterFailure {
		t.Errorf("after a good read: %d failures, next back-off %s; want 0 and %s", s.failures, got, RetryAfterFailure)
	}
}

func TestBackoff(t *testing.T) {
	for failures, want := range map[int]time.Duration{1: 5 * time.Second, 2: 10 * time.Second, 3: 20 * time.Second, 4: 40 * time.Second, 5: time.Minute, 100: time.Minute} {
		if got := backoff(failures); got != want {
			t.Errorf("backoff(%d) = %s, want %s", failures, got, want)
		}
	}
}

// An AWSPENDING value is accepted only within PendingWindow of the
// version's creation: a rotation that keeps failing, or a value someone
// put, does not open the origin for ever.
func TestPendingWindow(t *testing.T) {
	created := t0.Add(-time.Minute)
	sm := newFake(map[string]fv{
		"v1": {value: "c", stages: []string{StageCurrent}, created: t0.Add(-48 * time.Hour)},
		"v0": {value: "p", stages: []string{StagePrevious}, created: t0.Add(-72 * time.Hour)},
		"v2": {value: "n", stages: []string{StagePending}, created: created},
	})
	c := newClock()
	s := mustLoad(t, sm, testARN, c, discard())
	for _, st := range []struct {
		at      time.Time
		pending bool
	}{
		{t0, true},
		{created.Add(PendingWindow - time.Nanosecond), true},
		{created.Add(PendingWindow), false},
		{created.Add(24 * time.Hour), false},
	} {
		c.advance(st.at.Sub(c.now()))
		checkMatch(t, "at "+st.at.Sub(created).String()+" after the pending version", s, map[string]bool{"c": true, "p": true, "n": st.pending})
		s.wait()
	}
	// Made current, it is accepted again.
	sm.update(func(f *fakeSM) {
		f.versions["v2"] = fv{value: "n", stages: []string{StageCurrent}, created: created}
		f.versions["v1"] = fv{value: "c", stages: []string{StagePrevious}}
		delete(f.versions, "v0")
	})
	c.advance(RefreshInterval)
	s.Match(context.Background(), "n")
	s.wait()
	checkMatch(t, "after finishSecret", s, map[string]bool{"n": true, "c": true, "p": false})
}

func TestCurrent(t *testing.T) {
	logs := childproc.NewTail(1 << 20) // safe for the background re-reads
	sm := newFake(map[string]fv{"a": {value: "one", stages: []string{StageCurrent}}})
	c := newClock()
	s, err := load(context.Background(), sm, "upstream", slog.New(slog.NewJSONHandler(logs, nil)), c.now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		name    string
		advance time.Duration
		change  func(*fakeSM)
		want    string // before the re-read, then after it
		after   string
		wantLog string
	}{
		{name: "fresh: held", advance: RefreshInterval - time.Second,
			change: func(f *fakeSM) { f.versions = map[string]fv{"b": {value: "two", stages: []string{StageCurrent}}} }, want: "one", after: "one"},
		{name: "due: re-read first", advance: time.Second, want: "two", after: "two"},
		{name: "due, read fails: held, logged", advance: RefreshInterval, change: func(f *fakeSM) {
			f.versions = map[string]fv{"c": {value: "three", stages: []string{StageCurrent}}}
			f.failGet = map[string]error{"c": errors.New("endpoint down")}
		}, want: "two", after: "two", wantLog: `"error":"read secret upstream (AWSCURRENT): endpoint down"`},
	}
	for _, st := range steps {
		c.advance(st.advance)
		if st.change != nil {
			sm.update(st.change)
		}
		if got := s.Current(ctx); got != st.want {
			t.Errorf("%s: Current() got %q, want %q", st.name, got, st.want)
		}
		s.wait()
		if got := s.Current(ctx); got != st.after {
			t.Errorf("%s: Current() after the re-read got %q, want %q", st.name, got, st.after)
		}
		if st.wantLog != "" && !strings.Contains(logs.String(), st.wantLog) {
			t.Errorf("%s: log got %s, want it to contain %s", st.name, logs.String(), st.wantLog)
		}
	}
}

func TestFixed(t *testing.T) {
	s := Fixed("new", "old")
	ctx := context.Background()
	checkMatch(t, "fixed", s, map[string]bool{"new": true, "old": true, "": false, "other": false})
	if got, want := s.Current(ctx), "new"; got != want {
		t.Errorf("Current(): got %q, want %q", got, want)
	}
}

func TestVersions(t *testing.T) {
	created := t0.Add(-time.Minute)
	sm := newFake(map[string]fv{
		"v1": {value: "c", stages: []string{StageCurrent}, created: t0},
		"v2": {value: "n", stages: []string{StagePending}, created: created},
	})
	vs, err := ReadVersions(context.Background(), sm, testARN)
	if err != nil {
		t.Fatal(err)
	}
	if got := vs.Current(); got != "c" {
		t.Errorf("Current() = %q, want c", got)
	}
	v, ok := vs.Find("n")
	if !ok || v.ID != "v2" || !v.Has(StagePending) || v.Has(StageCurrent) || !v.Created.Equal(created) {
		t.Errorf("Find(n) = %+v, %v; want v2, AWSPENDING, created %s", v, ok, created)
	}
	if v, ok := vs.Find("x"); ok {
		t.Errorf("Find(x) = %+v, want none", v)
	}
}

func TestAwakeTimeout(t *testing.T) {
	ctx, cancel := awakeTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("awakeTimeout(50ms) not done after 10s")
	}
	if cause := context.Cause(ctx); !errors.Is(cause, errReadTimeout) || cause.Error() != "no answer within 50ms" {
		t.Errorf("cause %v, want %q", cause, "no answer within 50ms")
	}
	ctx, cancel = awakeTimeout(context.Background(), time.Hour)
	cancel()
	if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
		t.Errorf("cancelled: cause %v, want context.Canceled", cause)
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
		if got, want := s.Match(context.Background(), value), value == current || value == previous; got != want {
			t.Errorf("Fixed(%q, %q).Match(%q) = %v; want %v", current, previous, value, got, want)
		}
	})
}
