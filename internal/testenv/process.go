package testenv

import (
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is a server a test started (gunicorn, moto). It runs in a process
// group of its own, so cleanup reaches its workers too, and keeps the tail of
// its output for failure messages.
type process struct {
	name   string
	out    *outputTail
	exited chan struct{}
	err    error // cmd.Wait's result, valid once exited is closed
}

// startProcess starts cmd with its output kept in a bounded tail and kills
// its whole process group when tb ends, logging the tail if tb failed.
func startProcess(tb testing.TB, name string, cmd *exec.Cmd) *process {
	tb.Helper()
	p := &process{name: name, out: new(outputTail), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
		if tb.Failed() {
			tb.Logf("%s output (tail):\n%s", name, p.out)
		}
	})
	return p
}

// awaitHTTP returns once a GET of url (with Host set to host, if not empty)
// gets any HTTP answer, failing tb with the process's output when it exits
// first or stays silent for a minute — a bound for slow machines, not a
// speed check.
func (p *process) awaitHTTP(tb testing.TB, url, host string) {
	tb.Helper()
	const limit = 60 * time.Second
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			tb.Fatalf("readiness request for %s: %v", p.name, err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-p.exited:
			tb.Fatalf("%s exited before answering (%v):\n%s", p.name, p.err, p.out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not answer %s within %v: %v\n%s", p.name, url, limit, err, p.out)
		}
	}
}

// outputTail keeps the last outputTailMax bytes written to it; a server's
// processes write to it concurrently.
type outputTail struct {
	mu  sync.Mutex
	buf []byte
}

// outputTailMax bounds the kept output, enough for the last requests' access
// lines and a traceback.
const outputTailMax = 256 << 10

func (o *outputTail) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf = append(o.buf, p...)
	if n := len(o.buf); n > outputTailMax {
		o.buf = o.buf[n-outputTailMax:]
	}
	return len(p), nil
}

func (o *outputTail) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return string(o.buf)
}
