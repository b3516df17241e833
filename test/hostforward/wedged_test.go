package hostforward_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/testenv"
)

// templateGunicorn is the template's UPSTREAM_COMMAND: one worker of two
// threads, no worker timeout (a frozen environment would look late on
// thaw), its access log on the output.
var templateGunicorn = "exec " + pyenv.Python() +
	" -m gunicorn --bind 127.0.0.1:$PORT --workers 1 --threads 2 --timeout 0 --access-logfile - demo.wsgi:application"

// wedgedStatus invokes path (GET) and returns the status.
func wedgedStatus(t *testing.T, c *chain, path string) int {
	t.Helper()
	return c.invoke(event(t, "api-get.json", "GET", path)).StatusCode
}

// withStuckRequest starts Django in the function under the template's
// gunicorn with UPSTREAM_TIMEOUT timeout, and sends a request that times out
// (a 504) and stays stuck in one of gunicorn's two threads. It returns the
// function, a chain to it and gunicorn's master.
func withStuckRequest(t *testing.T, timeout string) (*inFunction, *chain, int) {
	t.Helper()
	f := startInFunction(t, prepareDjango(t, pyenv.Django{}), templateGunicorn, 30*time.Second, "UPSTREAM_TIMEOUT="+timeout)
	c := &chain{t: t, fn: f.fn}
	master := f.master(t)
	if got := wedgedStatus(t, c, "/slow/?s=120"); got != 504 {
		t.Fatalf("stuck request: %d, want 504", got)
	}
	return f, c, master
}

// TestWedgedAppStartedAgain: with the template's gunicorn, two requests
// stuck past UPSTREAM_TIMEOUT hold both threads; the app no longer answers,
// and every request after them used to get a 504. Now the request after a
// timeout checks that the app still answers: with one thread stuck it does,
// and is kept; with both stuck it does not, and is started again — the
// request that found it waits for the fresh app within what its timeout
// leaves (a 503 saying so if Django's boot does not fit), and the fresh app
// serves the next.
func TestWedgedAppStartedAgain(t *testing.T) {
	testenv.Integration(t)
	f, c, first := withStuckRequest(t, "4s")
	if got := wedgedStatus(t, c, "/whoami/"); got != 200 || f.master(t) != first {
		t.Fatalf("one thread stuck: %d from master %d, want 200 from the same app (%d)", got, f.master(t), first)
	}
	if got := wedgedStatus(t, c, "/slow/?s=120"); got != 504 {
		t.Fatalf("second stuck request: %d, want 504", got)
	}
	resp := c.invoke(event(t, "api-get.json", "GET", "/whoami/"))
	if resp.StatusCode == 503 && strings.Contains(resp.Body, "the app is still starting") {
		resp = c.invoke(event(t, "api-get.json", "GET", "/whoami/"))
	}
	if resp.StatusCode != 200 {
		t.Fatalf("both threads stuck: %d %q, want 200 from a fresh app", resp.StatusCode, resp.Body)
	}
	if got := f.master(t); got == first {
		t.Errorf("served by the wedged master %d, want a fresh app", got)
	}
	if logs := f.logs.String(); !strings.Contains(logs, `"msg":"app wedged: starting it again"`) {
		t.Errorf("no log line for the restart")
	}
}

// TestBootHangStartedAgain: an app that hangs at boot (the first time it
// starts) used to answer 503 to every request for good; past
// UPSTREAM_BOOT_TIMEOUT of waiting it is started again, here within the
// init, and the first request is served.
func TestBootHangStartedAgain(t *testing.T) {
	testenv.Integration(t)
	mark := "MARK=" + filepath.Join(t.TempDir(), "hung")
	hangOnce := `if [ ! -e "$MARK" ]; then touch "$MARK"; exec sleep 600; fi; ` + templateGunicorn
	f := startInFunction(t, prepareDjango(t, pyenv.Django{}), hangOnce, 30*time.Second, mark, "UPSTREAM_BOOT_TIMEOUT=2s", "UPSTREAM_TIMEOUT=25s") // room for Django to boot on a loaded machine
	if got := wedgedStatus(t, &chain{t: t, fn: f.fn}, "/whoami/"); got != 200 {
		t.Fatalf("first request: %d, want 200 from the app started again", got)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "not ready after 2s of boot (UPSTREAM_BOOT_TIMEOUT)") {
		t.Errorf("no log line for the restart of the hung boot")
	}
}

// TestWedgeCheckAcrossFreeze: the check after a timed-out request runs in
// the next invocation, on its clock, so a long freeze in between — every
// process of the function stopped with SIGSTOP, as Lambda freezes the
// environment, for longer than LivenessTimeout and UPSTREAM_TIMEOUT — does
// not make a healthy app look wedged: it is kept.
func TestWedgeCheckAcrossFreeze(t *testing.T) {
	testenv.Integration(t)
	f, _, master := withStuckRequest(t, "2s")
	var frozen []int
	for pid := range f.processes() {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err == nil {
			frozen = append(frozen, pid)
		}
	}
	thaw := func() {
		for _, pid := range frozen {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)
	time.Sleep(5 * time.Second)
	payload, err := json.Marshal(event(t, "api-get.json", "GET", "/whoami/"))
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		resp events.APIGatewayV2HTTPResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		res, err := f.fn.Invoke(context.Background(), payload)
		if r.err = err; err == nil && res.Error != nil {
			r.err = res.Error
		}
		if r.err == nil {
			r.err = json.Unmarshal(res.Payload, &r.resp)
		}
		done <- r
	}()
	time.Sleep(300 * time.Millisecond) // the event waits in the frozen runtime's socket
	thaw()
	r := <-done
	if r.err != nil || r.resp.StatusCode != 200 {
		t.Fatalf("after the freeze: %d %q (%v), want 200", r.resp.StatusCode, r.resp.Body, r.err)
	}
	if got := f.master(t); got != master || strings.Contains(f.logs.String(), "app wedged") {
		t.Errorf("master %d after the freeze (before: %d): the app was started again, want it kept", got, master)
	}
}
