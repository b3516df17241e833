package hostforward_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/secretcache"
)

// smGate stands between the function and moto's Secrets Manager: it passes
// requests on, or holds the next ones — until the caller gives up (hang) or
// until the test releases them (hold) — and counts what it held.
type smGate struct {
	proxy *httputil.ReverseProxy

	mu      sync.Mutex
	mode    string        // "pass", "hang" or "hold"
	held    int           // requests that arrived while not passing
	arrived chan struct{} // a held request arrived (buffered)
	gaveUp  chan struct{} // a hung request's caller went away (buffered)
	release chan struct{} // closed: held requests go on to moto
	done    chan struct{} // a released request was answered (buffered)
	stop    chan struct{} // closed when the test ends: nothing is held any more
}

func newSMGate(t *testing.T, moto string) *httptest.Server {
	t.Helper()
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	g := &smGate{proxy: httputil.NewSingleHostReverseProxy(target), stop: make(chan struct{})}
	g.set("pass")
	srv := httptest.NewServer(g)
	t.Cleanup(func() { close(g.stop); srv.Close() })
	return srv
}

// set switches the gate to mode with fresh signals.
func (g *smGate) set(mode string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mode, g.held = mode, 0
	g.arrived, g.gaveUp, g.done = make(chan struct{}, 16), make(chan struct{}, 16), make(chan struct{}, 16)
	g.release = make(chan struct{})
}

func (g *smGate) heldCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.held
}

func (g *smGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	mode, arrived, gaveUp, release, done := g.mode, g.arrived, g.gaveUp, g.release, g.done
	if mode != "pass" {
		g.held++
	}
	g.mu.Unlock()
	// Read the body first, keeping it for moto: only then does the server
	// notice the caller going away (r.Context() ends).
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	switch mode {
	case "hang":
		signal(arrived)
		select {
		case <-r.Context().Done():
			signal(gaveUp)
		case <-g.stop:
		}
	case "hold":
		signal(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
			signal(gaveUp)
			return
		case <-g.stop:
			return
		}
		g.proxy.ServeHTTP(w, r)
		signal(done)
	default:
		g.proxy.ServeHTTP(w, r)
	}
}

// signal sends on the buffered ch without ever blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// await waits for a signal on ch, failing the test after limit: a bound on
// a wait that must end, not a measure of speed.
func await(t *testing.T, ch <-chan struct{}, limit time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(limit):
		t.Fatalf("%s: nothing after %s", what, limit)
	}
}

// secretFunction creates the secret name holding value in moto (sm) and
// starts the built hostforward in front of the app at appURL, with the
// secret's ARN in variable and Secrets Manager at smURL (moto's, or a gate
// in front of it), and extra variables. It returns the ARN and the chain.
func secretFunction(t *testing.T, sm *secretsmanager.Client, smURL, appURL, name, value, variable string, extra ...string) (string, *chain) {
	t.Helper()
	created, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	bin := testenv.BuildBootstrap(t, "./functions/hostforward")
	env := append(append(motoserver.Env(smURL), "UPSTREAM_URL="+appURL, "ALLOWED_HOSTS="+site, variable+"="+arn), extra...)
	return arn, &chain{t: t, fn: testenv.StartFunction(t, bin, env, 10*time.Second), bin: bin}
}

// originStatus returns a func that sends a GET through c with an
// X-Origin-Verify value and returns the status.
func originStatus(t *testing.T, c *chain) func(value string) int {
	return func(value string) int {
		ev := event(t, "api-get.json", "GET", "/")
		ev.Headers["x-origin-verify"] = value
		return c.invoke(ev).StatusCode
	}
}

// TestSecretReadsNeverHoldARequest runs the built hostforward with
// ORIGIN_VERIFY_SECRET_ARN through a gate in front of moto's Secrets
// Manager. Once the held values are due for a re-read, Secrets Manager
// hangs: a forged X-Origin-Verify gets its 403 once the re-read it waits
// for gives up (bounded, one attempt, well within the function's timeout),
// the real value its 200 at once, and the failure holds the next attempt
// back. Then a read started by an accepted value (answered at once, the
// read in the background) is in flight while Lambda freezes the
// environment for longer than the read's bound (SIGSTOP): after the thaw it
// completes and the new pending value is accepted, since only time the
// process ran counts against the bound. (The function's timeout is 10 s:
// before the fix of issue 18, the forged request waited on the hanging
// read until Lambda cut it off.)
func TestSecretReadsNeverHoldARequest(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	sm := secretsmanager.NewFromConfig(m.Config)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("app")) }))
	t.Cleanup(app.Close)
	gateSrv := newSMGate(t, m.Endpoint)
	gate := gateSrv.Config.Handler.(*smGate)

	arn, c := secretFunction(t, sm, gateSrv.URL, app.URL, "origin", "value-1", "ORIGIN_VERIFY_SECRET_ARN")
	status := originStatus(t, c)
	bin := c.bin
	if got := status("value-1"); got != 200 {
		t.Fatalf("after the cold start's read: status %d, want 200", got)
	}

	time.Sleep(secretcache.RefreshInterval + time.Second) // the held values are due for a re-read
	gate.set("hang")
	for _, tt := range []struct {
		value string
		want  int
	}{{"forged", 403}, {"value-1", 200}, {"forged-again", 403}} {
		if got := status(tt.value); got != tt.want {
			t.Errorf("Secrets Manager hanging: X-Origin-Verify %q: status %d, want %d", tt.value, got, tt.want)
		}
	}
	await(t, gate.arrived, 10*time.Second, "the re-read reaching the hanging Secrets Manager")
	await(t, gate.gaveUp, 10*time.Second, "the re-read giving up on the hanging Secrets Manager")
	for range 5 {
		status("forged")
	}
	if got := gate.heldCount(); got != 1 {
		t.Errorf("requests to the hanging Secrets Manager: got %d, want 1 (one bounded attempt, then the back-off)", got)
	}

	// A rotation starts; the back-off after the failed read passes.
	rotate(t, sm, arn, "33333333-3333-4333-8333-333333333333", "value-2", false)
	gate.set("hold")
	time.Sleep(secretcache.RetryAfterFailure + 500*time.Millisecond)
	// An accepted value starts the re-read and is answered at once (a
	// refused one would wait for the re-read, running, and no freeze would
	// fall within it).
	if got := status("value-1"); got != 200 {
		t.Errorf("accepted value starting a re-read: status %d, want 200", got)
	}
	await(t, gate.arrived, 10*time.Second, "the re-read reaching Secrets Manager")
	pid := functionPID(t, bin)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(secretcache.ReadTimeout + time.Second) // frozen past the read's bound
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	close(gate.release)
	await(t, gate.done, 10*time.Second, "Secrets Manager answering the thawed read")
	// The read's answer is in; it is applied as the function takes it in.
	// The next attempt, after a failure, would be at least 10 s away.
	deadline := time.Now().Add(2 * time.Second)
	for status("value-2") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("the pending value-2, read across the freeze, is still refused: the read counted the frozen time")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
