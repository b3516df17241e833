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

	"github.com/djfront/djfront/internal/local/demo"
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

// TestPrintReadyHidesTheUsersPassword: the ready line shows the password
// djfront made (kept in .djfront/admin-password), never one the user's
// environment gave.
func TestPrintReadyHidesTheUsersPassword(t *testing.T) {
	for _, tt := range []struct {
		name      string
		fromEnv   bool
		existed   bool
		want, not string
	}{
		{"djfront's", false, false, "user admin, password kept-secret)", ""},
		{"from the environment", true, false, "user admin, password (from DJANGO_SUPERUSER_PASSWORD))", "kept-secret"},
		{"from the environment, user existed", true, true, "djfront's is (from DJANGO_SUPERUSER_PASSWORD))", "kept-secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printReady(&out, &demo.Stack{URL: "https://localhost:3000", AdminUser: "admin", AdminPassword: "kept-secret", AdminExisted: tt.existed}, tt.fromEnv)
			got := out.String()
			if !strings.Contains(got, tt.want) || tt.not != "" && strings.Contains(got, tt.not) {
				t.Errorf("got %q, want %q in it and not %q", got, tt.want, tt.not)
			}
		})
	}
}
