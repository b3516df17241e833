package testenv

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Marked returns the processes (pid and command line) whose environment
// holds marker, a KEY=VALUE a test gave the command it started: whatever
// that command started and left behind inherits it.
func Marked(tb testing.TB, marker string) []string {
	tb.Helper()
	want := []byte(marker + "\x00")
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		Missing(tb, "/proc (to look for orphan processes: "+err.Error()+")", "run the test on Linux")
	}
	var found []string
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", d.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) || !Alive(pid) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		found = append(found, strconv.Itoa(pid)+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}

// KillMarked kills the processes Marked finds, so one failed test does not
// leak into the next.
func KillMarked(tb testing.TB, marker string) {
	tb.Helper()
	for _, p := range Marked(tb, marker) {
		pid, _ := strconv.Atoi(strings.Fields(p)[0])
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(100 * time.Millisecond) // let the kernel reap them
}
