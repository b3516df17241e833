package secretcache

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// endpoint stands in for Secrets Manager on loopback: it answers a secret
// with one AWSCURRENT version, or hangs until the caller gives up, or fails
// every call with a 500; it counts the requests of each kind.
type endpoint struct {
	mu       sync.Mutex
	mode     string // "answer", "hang" or "fail"
	requests map[string]int
	stop     chan struct{}
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	mode := e.mode
	e.requests[mode]++
	e.mu.Unlock()
	io.Copy(io.Discard, r.Body) // so that r.Context() ends when the caller goes away
	switch mode {
	case "hang":
		select {
		case <-r.Context().Done():
		case <-e.stop:
		}
		return
	case "fail":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"__type":"InternalServiceError","message":"try again"}`))
		return
	}
	var out any = map[string]any{"Versions": []map[string]any{{"VersionId": "v1", "VersionStages": []string{StageCurrent}}}}
	if r.Header.Get("X-Amz-Target") == "secretsmanager.GetSecretValue" {
		out = map[string]any{"ARN": testARN, "VersionId": "v1", "SecretString": "c", "CreatedDate": 1.7e9}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

func (e *endpoint) set(mode string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mode = mode
}

func (e *endpoint) count(mode string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests[mode]
}

// loadFromEndpoint starts an endpoint answering the secret and loads it
// through the real SDK client, on a test clock.
func loadFromEndpoint(t *testing.T) (*endpoint, *clock, *Secret) {
	t.Helper()
	e := &endpoint{mode: "answer", requests: map[string]int{}, stop: make(chan struct{})}
	srv := httptest.NewServer(e)
	t.Cleanup(func() { close(e.stop); srv.Close() })
	client := secretsmanager.New(secretsmanager.Options{
		BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
	c := newClock()
	return e, c, mustLoad(t, client, testARN, c, discard())
}

// TestHangingEndpoint reads through the real SDK client from an endpoint
// on loopback. Once it hangs, Match answers from the held values, a refused
// value after the re-read's bound; the re-read gives up after its bound,
// having sent one request;
// against an endpoint that fails, it sends one request (the SDK would retry
// a 500 twice) and the next attempt waits for the back-off.
func TestHangingEndpoint(t *testing.T) {
	e, c, s := loadFromEndpoint(t)
	s.readTimeout = 100 * time.Millisecond

	e.set("hang")
	c.advance(RefreshInterval)
	answersAtOnce(t, "endpoint hanging", s, map[string]bool{"forged": false, "c": true})
	s.wait() // returns: the re-read is bounded
	if got := e.count("hang"); got != 1 {
		t.Errorf("requests to the hanging endpoint: got %d, want 1", got)
	}

	e.set("fail")
	for range 10 {
		s.Match(context.Background(), "forged")
	}
	s.wait()
	if got := e.count("fail"); got != 0 {
		t.Errorf("requests within the back-off after the hang: got %d, want 0", got)
	}
	c.advance(RetryAfterFailure)
	s.Match(context.Background(), "forged")
	s.wait()
	if got := e.count("fail"); got != 1 {
		t.Errorf("requests to the failing endpoint for one re-read: got %d, want 1 (no SDK retries)", got)
	}
	if !s.Match(context.Background(), "c") {
		t.Error("Match(c) after two failed re-reads: got false, want true (held values)")
	}
	s.wait()
}

// TestWallClockBound: a re-read whose connection never answers is given up
// after its wall-clock bound even when its running-time bound is far off
// (an environment frozen between rare invocations counts a tick per thaw),
// so it cannot hold the next re-read back; ended so, it is not counted as
// a failure, and the next due call reads again at once.
func TestWallClockBound(t *testing.T) {
	e, c, s := loadFromEndpoint(t)
	s.readTimeout, s.wallTimeout = time.Hour, 100*time.Millisecond

	e.set("hang")
	c.advance(RefreshInterval)
	for i := range 2 {
		if !s.Match(context.Background(), "c") {
			t.Fatalf("read %d: Match(c) = false, want true (held values)", i+1)
		}
		s.wait() // returns: the re-read is bounded in wall-clock time
		s.mu.Lock()
		failures, next := s.failures, s.next
		s.mu.Unlock()
		if failures != 0 || next.After(c.now()) {
			t.Errorf("read %d given up on the wall-clock bound: %d failures, next read at %s; want 0 and now (%s)", i+1, failures, next, c.now())
		}
		if got := e.count("hang"); got != i+1 {
			t.Errorf("requests to the hanging endpoint: got %d, want %d", got, i+1)
		}
	}
}

// TestWaitGivesUpTheRead: a refused value that waits its whole bound for a
// re-read gives that read up as a failure (it ran that long: Lambda does
// not freeze an environment during an invocation), so forged values get
// one bounded read per back-off, even when the read's own bounds are far
// off.
func TestWaitGivesUpTheRead(t *testing.T) {
	e, c, s := loadFromEndpoint(t)
	s.readTimeout, s.wallTimeout, s.waitTimeout = time.Hour, time.Hour, 100*time.Millisecond
	e.set("hang")
	c.advance(RefreshInterval)
	for range 5 {
		answersAtOnce(t, "endpoint hanging", s, map[string]bool{"forged": false})
	}
	s.wait() // returns: the wait gave the read up
	s.mu.Lock()
	failures := s.failures
	s.mu.Unlock()
	if got := e.count("hang"); got != 1 || failures != 1 {
		t.Errorf("after 5 forged values: %d requests, %d failures; want 1 and 1 (the next read waits for the back-off)", got, failures)
	}
}
