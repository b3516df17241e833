package main

import (
	"bufio"
	"cmp"
	"crypto/rand"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/demo"
	"github.com/djfront/djfront/internal/local/testenv"
)

// TestNoOrphans runs the built command as a user does and checks that no
// process it started outlives it: after Ctrl-C once up, after Ctrl-C in the
// middle of the start, and after a start that fails.
func TestNoOrphans(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	bin := filepath.Join(t.TempDir(), "djfront-local")
	res, err := childproc.Run(t.Context(), exec.Command("go", "build", "-o", bin, "."), 64<<10)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("go build: %v %+v", err, res)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)

	djfront := filepath.Join(t.TempDir(), "djfront")
	res, err = childproc.Run(t.Context(), exec.Command("go", "build", "-o", djfront, "../djfront"), 64<<10)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("go build ../djfront: %v %+v", err, res)
	}

	tests := []orphanCase{
		// The app runs inside hostforward: gunicorn is a grandchild of the
		// command, and the printed migrate command works against it.
		{name: "Ctrl-C once up, after the printed migrate", addr: "127.0.0.1:0", interrupt: manageLine, status: "exit status 0",
			before: "gunicorn", whileUp: func(t *testing.T, line string) { runPrintedMigrate(t, djfront, line) }},
		// The app's step, the fifth (after PostgreSQL's), whatever the count.
		{name: "Ctrl-C during the start", addr: "127.0.0.1:0", interrupt: "[5/", status: "exit status 1", output: "interrupted"},
		// Closing the terminal (SIGHUP) stops the stack as Ctrl-C does.
		{name: "SIGHUP once up", addr: "127.0.0.1:0", interrupt: readyLine, signal: syscall.SIGHUP, status: "exit status 0", before: "moto"},
		// A SIGKILL leaves no moto (it holds the secrets), runtime or app:
		// the kernel kills each child the stack started (death signal).
		{name: "SIGKILL once up", addr: "127.0.0.1:0", interrupt: readyLine, signal: syscall.SIGKILL, status: "signal: killed", before: "moto"},
		{name: "port in use", addr: "127.0.0.1:" + busyPort, status: "exit status 1", output: "port " + busyPort + " is in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runOrphanCase(t, bin, tt) })
	}
}

// orphanCase is a way a run of the command ends.
type orphanCase struct {
	name      string
	addr      string
	interrupt string                          // the output line prefix after which to send signal; "" for none
	signal    syscall.Signal                  // what to send at interrupt; 0: SIGINT
	before    string                          // in the command line of a process up at the interrupt
	whileUp   func(t *testing.T, line string) // run with the interrupt's line before SIGINT
	status    string                          // as childproc.ExitStatus words it
	output    string                          // in the output (stdout and stderr)
}

// runOrphanCase runs bin as tt says and checks how it ended and that no
// process it started is left.
func runOrphanCase(t *testing.T, bin string, tt orphanCase) {
	run := rand.Text()
	cmd := exec.Command(bin, "-addr", tt.addr, "-tour=false", "-stay", "-log", filepath.Join(t.TempDir(), "log"))
	cmd.Dir = testenv.RepoRoot(t)
	cmd.Env = append(os.Environ(), demo.RunMarker+"="+run)
	lines, w := io.Pipe()
	p, err := childproc.Start("djfront-local", cmd, childproc.Options{Output: w})
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-p.Exited(); w.Close() }()
	marker := demo.RunMarker + "=" + run
	t.Cleanup(func() { testenv.KillMarked(t, marker) }) // a failed test leaves nothing either
	sc := bufio.NewScanner(lines)
	for sc.Scan() {
		if strings.HasPrefix(tt.interrupt, "[") && strings.HasPrefix(sc.Text(), readyLine) {
			// The stack is up and stays up: the start's step to interrupt
			// at was never printed (the steps were renumbered?).
			t.Errorf("up without a line starting %q", tt.interrupt)
			_ = syscall.Kill(p.Pid(), syscall.SIGINT)
			break
		}
		if tt.interrupt != "" && strings.HasPrefix(sc.Text(), tt.interrupt) {
			up := testenv.Marked(t, marker)
			if len(up) == 0 {
				t.Error("no marked process before the interrupt: the check below would prove nothing")
			}
			if tt.before != "" && !slices.ContainsFunc(up, func(p string) bool { return strings.Contains(p, tt.before) }) {
				t.Errorf("no %s among the processes up at the interrupt: %s", tt.before, strings.Join(up, "; "))
			}
			if tt.whileUp != nil {
				tt.whileUp(t, sc.Text())
			}
			sig := cmp.Or(tt.signal, syscall.SIGINT)
			if err := syscall.Kill(p.Pid(), sig); err != nil { // the command alone, as a terminal's Ctrl-C reaches it
				t.Fatal(err)
			}
			break
		}
	}
	_, _ = io.Copy(io.Discard, lines) // the rest, kept in the tail
	<-p.Exited()
	if status := childproc.ExitStatus(p.Err()); status != tt.status || !strings.Contains(p.Tail(), tt.output) {
		t.Errorf("%s, want %s with %q in the output:\n%s", status, tt.status, tt.output, p.Tail())
	}
	if left := markedAfterExit(t, marker); len(left) > 0 {
		t.Errorf("processes left behind: %s", strings.Join(left, "; "))
	}
}

// markedAfterExit returns the processes Marked still finds once those that
// are dying had the time to: after a SIGKILL of the command the kernel
// kills its children (their death signal), gunicorn's workers notice
// their master is gone within a second or two.
func markedAfterExit(t *testing.T, marker string) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	left := testenv.Marked(t, marker)
	for len(left) > 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		left = testenv.Marked(t, marker)
	}
	return left
}

// runPrintedMigrate runs the command the line prints, as a user pastes it
// in the repository's root, with the built djfront for `go run
// ./cmd/djfront` and an environment with no AWS configuration at all: the
// CLI must need no credentials for the local endpoint.
func runPrintedMigrate(t *testing.T, djfront, line string) {
	t.Helper()
	const goRun = "go run ./cmd/djfront "
	command := strings.TrimPrefix(line, manageLine)
	if !strings.HasPrefix(command, "AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:") || !strings.Contains(command, goRun+"manage --function AppFunction -- migrate") {
		t.Fatalf("printed %q, want AWS_ENDPOINT_URL_LAMBDA=http://127.0.0.1:PORT %smanage --function AppFunction -- migrate", line, goRun)
	}
	cmd := exec.CommandContext(t.Context(), "/bin/sh", "-c", strings.Replace(command, goRun, djfront+" ", 1))
	cmd.Dir = testenv.RepoRoot(t)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	out, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); err != nil || code != 0 || !strings.Contains(string(out), "Operations to perform:") || !strings.Contains(string(out), "No migrations to apply.") {
		t.Errorf("%s: exit %d (%v), output %q; want 0 and migrate's report", command, code, err, out)
	}
}
