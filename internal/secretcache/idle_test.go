package secretcache

import (
	"context"
	"testing"
	"time"
)

// TestIdlePastPendingWindow: an environment learns the pending value of a
// rotation, finishSecret makes it AWSCURRENT minutes later, and the
// environment takes no request for an hour (Lambda keeps it frozen). The
// first request after that carries the value CloudFront has sent since the
// rotation, now the secret's AWSCURRENT: it must be accepted. (Review of
// issue 18: the held copy still labels it AWSPENDING, past PendingWindow,
// and Match answers from it before the background re-read; 403.)
func TestIdlePastPendingWindow(t *testing.T) {
	sm := newFake(map[string]fv{
		"v1": {value: "old", stages: []string{StageCurrent}, created: t0.Add(-48 * time.Hour)},
		"v2": {value: "new", stages: []string{StagePending}, created: t0},
	})
	c := newClock()
	s := mustLoad(t, sm, testARN, c, discard())
	if !s.Match(context.Background(), "new") {
		t.Fatal("the pending value just after its creation: refused")
	}
	c.advance(5 * time.Minute) // finishSecret
	sm.update(func(f *fakeSM) {
		f.versions["v2"] = fv{value: "new", stages: []string{StageCurrent}, created: t0}
		f.versions["v1"] = fv{value: "old", stages: []string{StagePrevious}, created: t0.Add(-48 * time.Hour)}
	})
	c.advance(PendingWindow) // idle
	for i := range 2 {
		if !s.Match(context.Background(), "new") {
			t.Errorf("request %d after an idle hour: the AWSCURRENT value refused (held as an expired AWSPENDING)", i+1)
		}
		s.wait()
	}
}

// TestReadAcrossFreezeReadsAgain: a re-read that began before a freeze
// (here: the clock moves on by more than RefreshInterval while it is in
// flight, after its listing) brings values that are due again as it ends;
// a value they refuse, rotated in meanwhile, is checked after one more
// read instead of refused on the stale one.
func TestReadAcrossFreezeReadsAgain(t *testing.T) {
	sm, c, s := loadCurrent(t, "old")
	sm.afterList = func(f *fakeSM) {
		f.update(func(f *fakeSM) {
			f.afterList = nil
			f.versions["v2"] = fv{value: "new", stages: []string{StagePending}, created: t0.Add(3 * RefreshInterval)}
		})
		c.advance(2 * RefreshInterval) // frozen after the listing
	}
	c.advance(RefreshInterval)
	if !s.Match(context.Background(), "new") {
		t.Error("Match(new) after a re-read that spanned a freeze: refused, want it read again and accepted")
	}
	s.wait()
	if lists, _ := sm.calls(); lists != 3 {
		t.Errorf("listings: got %d, want 3 (the load, the stale re-read, one more)", lists)
	}
}
