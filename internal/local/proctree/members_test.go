package proctree_test

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/testenv"
)

// TestMembers starts a sandbox of a shell, a daemon reparented out of its
// tree and a child that exits unreaped (a zombie), beside a bystander:
// Members must list the live processes of the sandbox and nothing else.
func TestMembers(t *testing.T) {
	// The shell execs into a process that never waits: its child, exiting
	// after the exec, stays a zombie.
	p, dir, marker := startSandbox(t, `
		(setsid sh -c 'echo $$ > "$1"/daemon; exec sleep 60' sh "$1" < /dev/null > /dev/null 2>&1 &)
		echo $$ > "$1"/root
		sleep 0.2 & echo $! > "$1"/zombie
		exec sleep 60`)
	t.Cleanup(func() { proctree.KillSandbox(p.Pid(), marker); p.Stop(0) })
	bystander := startBystander(t)

	want := []int{testenv.ReadPid(t, dir+"/root"), testenv.ReadPid(t, dir+"/daemon")}
	slices.Sort(want)
	zombie := testenv.ReadPid(t, dir+"/zombie")
	for deadline := time.Now().Add(5 * time.Second); state(zombie) != "Z"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d never became a zombie (state %q)", zombie, state(zombie))
		}
	}
	got := proctree.Members(marker)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Members = %v, want %v (zombie %d, bystander %d)", got, want, zombie, bystander.Process.Pid)
	}
}

// state returns the state letter of pid ("R", "S", "Z"...), or "" if it is gone.
func state(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

// startSandbox starts `sh -c script sh DIR` with a marker unique to the
// test in its environment (DIR is a new directory, where the script may
// leave pid files); it returns the shell, DIR and the marker.
func startSandbox(t *testing.T, script string) (*childproc.Process, string, string) {
	t.Helper()
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Fatalf("proctree needs Linux /proc: %v", err)
	}
	dir := t.TempDir()
	marker := "PROCTREE_SANDBOX=" + dir
	cmd := exec.Command("/bin/sh", "-c", script, "sh", dir)
	cmd.Env = append(os.Environ(), marker)
	p, err := childproc.Start("sandbox", cmd, childproc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p, dir, marker
}

// startBystander starts a process outside any sandbox, killed when t ends.
func startBystander(t *testing.T) *exec.Cmd {
	t.Helper()
	bystander := exec.Command("sleep", "60")
	if err := bystander.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bystander.Process.Kill(); bystander.Wait() })
	return bystander
}
