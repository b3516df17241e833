package childproc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/testenv"
)

func TestTail(t *testing.T) {
	tests := []struct {
		name          string
		max           int
		writes        []string
		want          string
		wantTruncated bool
	}{
		{"fits", 8, []string{"abc", "def"}, "abcdef", false},
		{"exactly full", 6, []string{"abc", "def"}, "abcdef", false},
		{"keeps the end", 4, []string{"abc", "def"}, "cdef", true},
		{"one big write", 3, []string{"abcdefg"}, "efg", true},
		{"big write after small", 3, []string{"x", "abc"}, "abc", true},
		{"many small writes", 5, strings.Split("abcdefghijklmnop", ""), "lmnop", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tail := childproc.NewTail(tt.max)
			for _, w := range tt.writes {
				if n, err := tail.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := tail.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tail.Truncated(); got != tt.wantTruncated {
				t.Errorf("Truncated() = %v, want %v", got, tt.wantTruncated)
			}
		})
	}
}

// recorder records each Write as one element.
type recorder struct{ writes []string }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func TestLineWriter(t *testing.T) {
	long := strings.Repeat("x", 70<<10)
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"whole lines", []string{"a\nb\n"}, []string{"> a\n", "> b\n"}},
		{"split line joined", []string{"he", "llo\nwor", "ld\n"}, []string{"> hello\n", "> world\n"}},
		{"unterminated line on close", []string{"tail"}, []string{"> tail\n"}},
		{"long line in pieces", []string{long + "\n"}, []string{"> " + long[:64<<10-1] + "\n", "> " + long[64<<10-1:] + "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			lw := childproc.NewLineWriter(&rec, "> ")
			for _, w := range tt.writes {
				if n, err := lw.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if err := lw.Close(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(rec.writes) != fmt.Sprint(tt.want) {
				t.Errorf("writes = %.200q, want %.200q", rec.writes, tt.want)
			}
		})
	}
}

func sh(script string) *exec.Cmd { return exec.Command("/bin/sh", "-c", script) }

func TestStopReachesTheGroup(t *testing.T) {
	tests := []struct {
		name       string
		script     string // $1 is a file for the grandchild's pid
		grace      time.Duration
		wantStatus string
	}{
		{"exits on SIGTERM", `sleep 60 & echo $! > "$1"; wait`, 5 * time.Second, "signal: terminated"},
		{"ignores SIGTERM, killed after the grace", `trap '' TERM; sleep 60 & echo $! > "$1"; while :; do sleep 0.05; done`, 200 * time.Millisecond, "signal: killed"},
		{"no grace: killed at once", `sleep 60 & echo $! > "$1"; wait`, 0, "signal: killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pidFile := t.TempDir() + "/pid"
			p, err := childproc.Start("sh", exec.Command("/bin/sh", "-c", tt.script, "sh", pidFile), childproc.Options{})
			if err != nil {
				t.Fatal(err)
			}
			grandchild := testenv.ReadPid(t, pidFile)
			p.Stop(tt.grace)
			p.Stop(tt.grace) // idempotent
			if got := childproc.ExitStatus(p.Err()); got != tt.wantStatus {
				t.Errorf("exit status %q, want %q", got, tt.wantStatus)
			}
			if !p.Stopping() {
				t.Error("Stopping() = false after Stop")
			}
			deadline := time.Now().Add(5 * time.Second)
			for testenv.Alive(grandchild) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if testenv.Alive(grandchild) {
				t.Errorf("grandchild %d outlived Stop", grandchild)
			}
		})
	}
}

func TestOutputReachesWriterAndTail(t *testing.T) {
	var out bytes.Buffer
	lw := childproc.NewLineWriter(&out, "app | ")
	p, err := childproc.Start("sh", sh(`echo out; echo err >&2; exit 3`), childproc.Options{Output: lw, TailSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if got, want := out.String(), "app | out\napp | err\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	if got, want := p.Tail(), "out\nerr\n"; got != want {
		t.Errorf("tail %q, want %q", got, want)
	}
	if got, want := childproc.ExitStatus(p.Err()), "exit status 3"; got != want {
		t.Errorf("status %q, want %q", got, want)
	}
	if p.Stopping() {
		t.Error("Stopping() = true without Stop")
	}
}

func TestStartFails(t *testing.T) {
	_, err := childproc.Start("nope", exec.Command("/nonexistent/binary"), childproc.Options{})
	if err == nil || !strings.Contains(err.Error(), "start nope") {
		t.Errorf("err = %v, want one naming the process", err)
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := proctree.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}

func TestAwaitHTTP(t *testing.T) {
	t.Run("ready once a server answers a ready status", func(t *testing.T) {
		addr := freeAddr(t)
		p, err := childproc.Start("sleeper", sh("sleep 60"), childproc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop(0)
		statuses := make(chan int, 10)
		go func() { // the "app" starts listening after a while, then answers 500 once
			time.Sleep(100 * time.Millisecond)
			first := true
			srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				statuses <- 0
				if r.Host != "app.example" {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				if first {
					first = false
					w.WriteHeader(http.StatusInternalServerError)
				}
			})}
			t.Cleanup(func() { srv.Close() })
			srv.ListenAndServe()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = childproc.AwaitHTTP(ctx, p, childproc.Readiness{
			URL: "http://" + addr + "/ready", Host: "app.example",
			Ready: func(s int) bool { return s < 500 },
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(statuses); n != 2 {
			t.Errorf("%d answered attempts, want 2 (a 500, then a 200)", n)
		}
	})
	t.Run("exit first", func(t *testing.T) {
		p, err := childproc.Start("crasher", sh("echo boom >&2; exit 7"), childproc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = childproc.AwaitHTTP(context.Background(), p, childproc.Readiness{URL: "http://" + freeAddr(t) + "/"})
		var exit *childproc.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("err = %v, want an *ExitError", err)
		}
		if exit.Name != "crasher" || exit.Status != "exit status 7" || exit.Tail != "boom\n" {
			t.Errorf("ExitError = %+v", exit)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		p, err := childproc.Start("sleeper", sh("sleep 60"), childproc.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Stop(0)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		err = childproc.AwaitHTTP(ctx, p, childproc.Readiness{URL: "http://" + freeAddr(t) + "/"})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("err = %v, want the deadline with the last attempt's error", err)
		}
	})
}

func TestRun(t *testing.T) {
	tests := []struct {
		name          string
		script        string
		tail          int
		timeout       time.Duration
		wantCode      int
		wantOutput    string
		wantTruncated bool
		wantKilled    bool
	}{
		{"success", `echo one; echo two >&2; echo three`, 1 << 10, time.Minute, 0, "one\ntwo\nthree\n", false, false},
		{"exit code", `echo "Unknown command: 'nope'" >&2; exit 1`, 1 << 10, time.Minute, 1, "Unknown command: 'nope'\n", false, false},
		{"last bytes only", `printf 'abcdefghij'`, 4, time.Minute, 0, "ghij", true, false},
		{"killed at the deadline", `echo started; sleep 60`, 1 << 10, 200 * time.Millisecond, -1, "started\n", false, true},
		{"reads no input", `cat; echo "cat exited $?"`, 1 << 10, time.Minute, 0, "cat exited 0\n", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			res, err := childproc.Run(ctx, sh(tt.script), tt.tail)
			if err != nil {
				t.Fatal(err)
			}
			want := childproc.Result{ExitCode: tt.wantCode, Output: tt.wantOutput, Truncated: tt.wantTruncated, Killed: tt.wantKilled}
			if res != want {
				t.Errorf("Run = %+v, want %+v", res, want)
			}
		})
	}
	t.Run("background child killed", func(t *testing.T) {
		pidFile := t.TempDir() + "/pid"
		res, err := childproc.Run(context.Background(), exec.Command("/bin/sh", "-c", `sleep 60 >/dev/null 2>&1 & echo $! > "$1"`, "sh", pidFile), 64)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("Run = %+v, %v", res, err)
		}
		pid := testenv.ReadPid(t, pidFile)
		deadline := time.Now().Add(5 * time.Second)
		for testenv.Alive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if testenv.Alive(pid) {
			t.Errorf("background child %d outlived Run", pid)
		}
	})
	t.Run("daemon holding the output", func(t *testing.T) {
		// A daemon that left the group keeps the output pipe open: Run must
		// still return at the deadline with the output so far, not a second
		// later, or a management invocation loses its answer.
		pidFile := t.TempDir() + "/pid"
		const timeout = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		res, err := childproc.Run(ctx, exec.Command("/bin/sh", "-c", `setsid sleep 30 & echo $! > "$1"; echo started; sleep 60`, "sh", pidFile), 64)
		took := time.Since(start)
		if pid := testenv.ReadPid(t, pidFile); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		if err != nil || !res.Killed || res.Output != "started\n" {
			t.Fatalf("Run = %+v, %v; want killed with output %q", res, err, "started\n")
		}
		if margin := 400 * time.Millisecond; took > timeout+margin {
			t.Errorf("Run returned %s after start, want within %s of its %s deadline", took, margin, timeout)
		}
	})
	t.Run("cannot start", func(t *testing.T) {
		if _, err := childproc.Run(context.Background(), exec.Command("/nonexistent/binary"), 64); err == nil {
			t.Error("no error for a missing binary")
		}
	})
}

// TestKillWithParent starts this test binary as a parent (see TestMain) that
// starts a child with KillWithParent and is then SIGKILLed: the kernel must
// kill the child too.
func TestKillWithParent(t *testing.T) {
	pidFile := t.TempDir() + "/pid"
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), "CHILDPROC_TEST_PARENT="+pidFile)
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	child := testenv.ReadPid(t, pidFile)
	if !testenv.Alive(child) {
		t.Fatal("child not running")
	}
	_ = parent.Process.Signal(syscall.SIGKILL)
	_ = parent.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for testenv.Alive(child) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if testenv.Alive(child) {
		syscall.Kill(child, syscall.SIGKILL)
		t.Errorf("child %d outlived its killed parent", child)
	}
}

func TestMain(m *testing.M) {
	if file := os.Getenv("CHILDPROC_TEST_PARENT"); file != "" {
		p, err := childproc.Start("child", sh("sleep 60"), childproc.Options{KillWithParent: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// Idle goroutines and threads come and go meanwhile; the child must survive them.
		for i := 0; i < 50; i++ {
			go func() { time.Sleep(time.Millisecond) }()
		}
		os.WriteFile(file, []byte(strconv.Itoa(p.Pid())+"\n"), 0o600)
		select {}
	}
	os.Exit(m.Run())
}

func TestFreePort(t *testing.T) {
	port, err := proctree.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if port <= 0 || port > 65535 {
		t.Fatalf("FreePort() = %d, want a port number", port)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("listen on the free port %d: %v", port, err)
	}
	ln.Close()
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		want string
	}{
		{"fewer lines", "a\nb\n", 3, "a\nb"},
		{"the last ones", "a\nb\nc\nd\n", 2, "c\nd"},
		{"no trailing newline", "a\nb\nc", 1, "c"},
		{"empty", "", 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := childproc.LastLines(tt.s, tt.n); got != tt.want {
				t.Errorf("LastLines(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
			}
		})
	}
}

func TestWithOutput(t *testing.T) {
	p, err := childproc.Start("crasher", sh(`for i in $(seq 1 50); do echo "line $i"; done; exit 1`), childproc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	base := errors.New("did not start")
	got := childproc.WithOutput(base, p)
	if !errors.Is(got, base) {
		t.Errorf("WithOutput does not wrap %v", base)
	}
	if want := "did not start\ncrasher output (last lines):\nline 11\n"; !strings.HasPrefix(got.Error(), want) || !strings.HasSuffix(got.Error(), "\nline 50") {
		t.Errorf("WithOutput = %q, want %q… ending in line 50", got, want)
	}
}
