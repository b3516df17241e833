//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateDirRefusesLinksInside: a .djfront/local.log (or database) that
// links to a file outside the project would be truncated there.
func TestStateDirRefusesLinksInside(t *testing.T) {
	for _, name := range []string{"local.log", "db.sqlite3", "admin-password"} {
		t.Run(name, func(t *testing.T) {
			project, victim := t.TempDir(), filepath.Join(t.TempDir(), "victim")
			if err := os.Mkdir(filepath.Join(project, ".djfront"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, filepath.Join(project, ".djfront", name)); err != nil {
				t.Fatal(err)
			}
			_, err := stateDir(project)
			if want := name + " is a symbolic link"; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("stateDir: %v, want an error with %q", err, want)
			}
		})
	}
}

// TestSecondLocalLeavesTheFirstAlone: a second djfront local in a project
// stops at the lock, naming the first one's pid, and leaves its log as it
// was.
func TestSecondLocalLeavesTheFirstAlone(t *testing.T) {
	project := t.TempDir()
	t.Chdir(project)
	dir, err := stateDir(project)
	if err != nil {
		t.Fatal(err)
	}
	first, err := lockState(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	logPath := filepath.Join(dir, "local.log")
	if err := os.WriteFile(logPath, []byte("the first one's output\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if got := runLocal(context.Background(), invokeEnv(&stdout, &stderr), []string{"--port", "0"}); got != 1 {
		t.Errorf("exit status %d, want 1", got)
	}
	if want := fmt.Sprintf("djfront local: already running in this project (pid %d)\n", os.Getpid()); stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
	if got, err := os.ReadFile(logPath); err != nil || string(got) != "the first one's output\n" {
		t.Errorf("local.log %q, %v; want it untouched", got, err)
	}
	first.Close()
	again, err := lockState(dir)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	again.Close()
}
