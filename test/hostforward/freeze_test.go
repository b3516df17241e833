package hostforward_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/local/testenv"
)

// Lambda freezes the function between invocations. gunicorn closes an idle
// keep-alive connection after 2 s (its default), so after a longer freeze
// the pooled connection is dead, and the transport learns it only when the
// read loop runs — at the thaw, racing the invocation that woke it. Go
// retries only idempotent requests on a dead connection, so a POST used to
// come back as a 502. The function's process is stopped with SIGSTOP (a
// real freeze: no goroutine runs) and continued once the invocation is
// waiting in its socket, as Lambda thaws a sandbox when an event arrives.
// internal/hostforward's TestPostAfterAppClosedIdleConnection pins the same
// defect deterministically.
func TestPostAfterFreeze(t *testing.T) {
	testenv.Integration(t)
	dj := testenv.StartDjango(t, map[string]string{"DJFRONT_HOSTS": site})
	c := startChain(t, dj.URL)
	decodeWhoami(t, c.invoke(event(t, "api-get.json", "GET", "/whoami/")))
	pid := functionPID(t, c.bin)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })

	// The previous code lost this race in most rounds, not all: three of
	// them, each after a request that leaves a pooled connection.
	for round := range 3 {
		decodeWhoami(t, c.invoke(event(t, "api-get.json", "GET", "/whoami/"))) // a pooled keep-alive connection
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2*time.Second + 500*time.Millisecond) // gunicorn closes the idle connection
		ev := event(t, "api-post-form.json", "POST", "/whoami/")
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		type result struct {
			payload []byte
			err     error
		}
		done := make(chan result, 1)
		go func() {
			res, err := c.fn.Invoke(context.Background(), payload)
			if err == nil && res.Error != nil {
				err = res.Error
			}
			done <- result{res.Payload, err}
		}()
		time.Sleep(300 * time.Millisecond) // the event waits in the frozen runtime's socket
		if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		res := <-done
		if res.err != nil {
			t.Fatalf("round %d: invoke: %v", round, res.err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(res.payload, &resp); err != nil {
			t.Fatalf("round %d: decode %s: %v", round, res.payload, err)
		}
		if resp.StatusCode != 200 {
			t.Fatalf("round %d: POST after a freeze: %d %q, want 200", round, resp.StatusCode, resp.Body)
		}
		if w := decodeWhoami(t, resp); w.Method != "POST" {
			t.Errorf("round %d: Django saw method %q, want POST", round, w.Method)
		}
	}
}

// functionPID returns the process id of the function: the child of this
// test process that runs bin.
func functionPID(t *testing.T, bin string) int {
	t.Helper()
	want, err := filepath.EvalSymlinks(bin)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		testenv.Missing(t, "/proc (to find the function's process: "+err.Error()+")", "run the test on Linux")
	}
	parent := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err != nil || exe != want {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: the command may contain spaces and parentheses.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 && fields[1] == parent {
			return pid
		}
	}
	t.Fatalf("no child process runs %s", bin)
	return 0
}
