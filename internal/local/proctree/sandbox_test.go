package proctree_test

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/testenv"
)

// TestKillSandbox starts an environment whose processes leave it in each way
// a process can — a daemon in a new session reparented away from the root, a
// child with an emptied environment, a grandchild in the group — and a
// bystander outside it: KillSandbox must kill all of the first and spare the
// bystander.
func TestKillSandbox(t *testing.T) {
	p, dir, marker := startSandbox(t, `
		(setsid sh -c 'echo $$ > "$1"/daemon; exec sleep 60' sh "$1" < /dev/null > /dev/null 2>&1 &)
		env -i /bin/sh -c 'echo $$ > "$1"/bare; exec sleep 60' sh "$1" &
		sleep 60 & echo $! > "$1"/grandchild
		wait`)
	bystander := startBystander(t)

	victims := map[string]int{"root": p.Pid()}
	for _, name := range []string{"daemon", "bare", "grandchild"} {
		victims[name] = testenv.ReadPid(t, dir+"/"+name)
	}
	// The daemon's parent, a subshell, exits at once: wait until the daemon
	// is reparented out of the tree, the case a group or tree kill misses.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if pp := parentPid(t, victims["daemon"]); pp != p.Pid() && parentPid(t, pp) != p.Pid() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if pp := parentPid(t, victims["daemon"]); pp == p.Pid() || parentPid(t, pp) == p.Pid() {
		t.Fatalf("daemon %d still in the tree (parent %d)", victims["daemon"], pp)
	}

	if got := proctree.KillSandbox(p.Pid(), marker); got < len(victims) {
		t.Errorf("KillSandbox killed %d processes, want at least %d", got, len(victims))
	}
	<-p.Exited()
	for name, pid := range victims {
		deadline := time.Now().Add(5 * time.Second)
		for testenv.Alive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if testenv.Alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("%s %d survived KillSandbox", name, pid)
		}
	}
	if !testenv.Alive(bystander.Process.Pid) {
		t.Error("the bystander outside the sandbox was killed")
	}
}

func parentPid(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	var (
		p, ppid int
		comm    string
		state   byte
	)
	// comm is a plain "sh" or "sleep" here, so Sscanf's word split is safe.
	if _, err := fmt.Sscanf(string(b), "%d %s %c %d", &p, &comm, &state, &ppid); err != nil {
		t.Fatal(err)
	}
	return ppid
}

// TestSignalReachesTheChildOnly checks that Signal, unlike Stop, leaves the
// rest of the group alone, and fails once the child is gone.
func TestSignalReachesTheChildOnly(t *testing.T) {
	pidFile := t.TempDir() + "/pid"
	p, err := childproc.Start("sh", exec.Command("/bin/sh", "-c", `sleep 60 & echo $! > "$1"; wait`, "sh", pidFile), childproc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(0)
	grandchild := testenv.ReadPid(t, pidFile)
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	<-p.Exited()
	if got, want := childproc.ExitStatus(p.Err()), "signal: terminated"; got != want {
		t.Errorf("exit status %q, want %q", got, want)
	}
	if !testenv.Alive(grandchild) {
		t.Error("the grandchild got the signal too, want the child only")
	}
	if err := p.Signal(syscall.SIGTERM); err == nil {
		t.Error("Signal after exit: got nil, want an error")
	}
}
