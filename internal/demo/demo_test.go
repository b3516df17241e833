package demo

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/testenv"
)

// failureLimit bounds the wait for a dead process to be reported: a bound
// for slow machines, not a speed check.
const failureLimit = 10 * time.Second

// TestTourAndFaults brings the stack up as `make demo` does, walks the tour,
// then stops parts of it behind the stack's back, the way they fail in
// production, and checks each fault is reported by name, not as a hang.
func TestTourAndFaults(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	logs, progress := childproc.NewTail(1<<20), childproc.NewTail(1<<20)
	s, err := Start(t.Context(), Config{Root: testenv.RepoRoot(t), Addr: "127.0.0.1:0", Progress: progress, Logs: logs})
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("progress:\n%s\nlogs (tail):\n%s", progress.String(), childproc.LastLines(logs.String(), 80))
		}
	})

	t.Run("tour", func(t *testing.T) {
		var out bytes.Buffer
		if err := s.Tour(t.Context(), &out); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		for _, want := range []string{"get_host()=" + strings.TrimPrefix(s.URL, "https://"), "scheme=https", "→ 200 OK: posted: café au lait",
			"→ 403 Forbidden", "CreateInvalidation", "/static/tour/banner.css"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("tour output lacks %q:\n%s", want, out.String())
			}
		}
	})

	// The order matters: each fault stays.
	faults := []fault{
		{"app down: hostforward's 502", "gunicorn (Django)", "/whoami/", http.StatusBadGateway, "502 Bad Gateway: the app is unreachable"},
		{"moto down: the bucket named", "moto server", "/static/admin/css/base.css", http.StatusBadGateway, "the S3 bucket " + s.aws.Bucket + " did not answer"},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) { checkFault(t, s, tt) })
	}

	t.Run("port in use, reported with the port", func(t *testing.T) {
		addr := strings.TrimPrefix(s.URL, "https://localhost")
		_, err := Start(t.Context(), Config{Root: testenv.RepoRoot(t), Addr: "127.0.0.1" + addr})
		if want := "port " + strings.TrimPrefix(addr, ":") + " is in use"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to say %q", err, want)
		}
	})
}

// fault is a process killed behind the stack's back and what a viewer
// then gets.
type fault struct {
	name    string
	process string
	path    string
	status  int
	body    string
}

// checkFault kills tt's process and checks the stack reports it by name and
// the viewer gets tt's answer.
func checkFault(t *testing.T, s *Stack, tt fault) {
	p := s.process(tt.process)
	if p == nil {
		t.Fatalf("no process %q", tt.process)
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	select {
	case err := <-s.Failures():
		if !strings.Contains(err.Error(), tt.process+" (pid") {
			t.Errorf("reported %q, want it to name %s", err, tt.process)
		}
	case <-time.After(failureLimit):
		t.Errorf("%s died and nothing was reported within %v", tt.process, failureLimit)
	}
	resp, err := s.Client.Get(s.URL + tt.path)
	if err != nil {
		t.Fatalf("GET %s: %v", tt.path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
		t.Errorf("GET %s: %d %q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
	}
}

// process returns the stack's process named name, or nil.
func (s *Stack) process(name string) *childproc.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		if p.Name() == name {
			return p
		}
	}
	return nil
}
