//go:build linux

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// fileKind names what a non-directory mode is, for stateDir's refusal.
func fileKind(m fs.FileMode) string {
	if m&fs.ModeSymlink != 0 {
		return "symbolic link"
	}
	return "file"
}

// lockState takes the project's lock, an exclusive flock(2) on dir/local.lock
// (dir is stateDir's), and writes this process's id in it. A second djfront
// local in the project gets "already running in this project (pid N)"
// before it touches anything else. Closing the returned file (or the
// process's end) releases the lock; children do not inherit it (Go opens
// files close-on-exec).
func lockState(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "local.lock"), os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid := strings.TrimSpace(string(b[:n]))
			if _, err := strconv.Atoi(pid); err != nil {
				pid = "unknown"
			}
			return nil, fmt.Errorf("already running in this project (pid %s)", pid)
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}

// lockProject takes the lock (lockState) of the project in the working
// directory.
func lockProject() (*os.File, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	dir, err := stateDir(root)
	if err != nil {
		return nil, err
	}
	return lockState(dir)
}
