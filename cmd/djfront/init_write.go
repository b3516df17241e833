package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// fileState is what writing a file would do.
type fileState int

const (
	fileNew     fileState = iota // it does not exist: written
	fileSame                     // it holds what would be written: left alone
	fileDiffers                  // it holds something else: replaced with --force only
)

// fileWrite is one file djfront init writes in the project.
type fileWrite struct {
	name  string // slash-separated, relative to the project
	data  []byte
	perm  fs.FileMode
	state fileState
}

// planWrite returns the write of data to name in root, with its state. A
// name that is (or goes through) a symbolic link leading out of the
// project is refused by root; a name that is itself a symbolic link or not
// a regular file is refused here: djfront init replaces regular files only.
func planWrite(root *os.Root, name string, data []byte, perm fs.FileMode) (fileWrite, error) {
	w := fileWrite{name: name, data: data, perm: perm}
	info, err := root.Lstat(filepath.FromSlash(name))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return w, parentInside(root, name)
	case err != nil:
		return w, fmt.Errorf("%s: %w", name, explainEscape(err))
	case info.Mode()&fs.ModeSymlink != 0:
		return w, fmt.Errorf("%s is a symbolic link: djfront init writes regular files only (replace the link by the file, or remove it)", name)
	case !info.Mode().IsRegular():
		return w, fmt.Errorf("%s: not a regular file", name)
	}
	old, err := root.ReadFile(filepath.FromSlash(name))
	if err != nil {
		return w, fmt.Errorf("%s: %w", name, explainEscape(err))
	}
	w.state = fileDiffers
	if bytes.Equal(old, data) && info.Mode().Perm()&0o111 == perm&0o111 {
		w.state = fileSame
	}
	return w, nil
}

// parentInside checks that name's nearest existing directory is inside
// root (root refuses one reached through a link that leads out) and is a
// directory.
func parentInside(root *os.Root, name string) error {
	for dir := path.Dir(name); ; dir = path.Dir(dir) {
		info, err := root.Stat(filepath.FromSlash(dir))
		if errors.Is(err, fs.ErrNotExist) && dir != "." {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, explainEscape(err))
		}
		if !info.IsDir() {
			return fmt.Errorf("%s: %s is not a directory", name, dir)
		}
		return nil
	}
}

// apply writes w unless its state is fileSame: into a new file beside it,
// then renamed over it, so a reader never sees half a file.
func (w fileWrite) apply(root *os.Root) error {
	if w.state == fileSame {
		return nil
	}
	name := filepath.FromSlash(w.name)
	if err := root.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return fmt.Errorf("%s: %w", w.name, explainEscape(err))
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".djfront-"+hex.EncodeToString(suffix))
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, w.perm)
	if err != nil {
		return fmt.Errorf("%s: %w", w.name, explainEscape(err))
	}
	_, err = f.Write(w.data)
	if err == nil {
		err = f.Chmod(w.perm) // whatever the umask
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp)
		return fmt.Errorf("%s: %w", w.name, err)
	}
	return nil
}

// artifactFiles are the files of the artifacts directory, by the layout of
// docs/install.md, with their modes.
var artifactFiles = []struct {
	name string
	perm fs.FileMode
}{
	{artifactsVersionFile, 0o644},
	{"hostforward/bootstrap", 0o755},
	{"invalidate/bootstrap", 0o755},
	{"rotate/bootstrap", 0o755},
	{"layer/djfront/hostforward", 0o755},
	{"layer/djfront-wrapper", 0o755},
}

// readArtifacts reads the artifacts directory dir and returns its files,
// by name, and its version. Each file must be a regular file.
func readArtifacts(dir string) (map[string][]byte, string, error) {
	files := map[string][]byte{}
	for _, f := range artifactFiles {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		info, err := os.Stat(p)
		if err != nil {
			return nil, "", fmt.Errorf("artifacts: %w (the layout: docs/install.md)", err)
		}
		if !info.Mode().IsRegular() {
			return nil, "", fmt.Errorf("artifacts: %s: not a regular file", p)
		}
		if files[f.name], err = os.ReadFile(p); err != nil {
			return nil, "", fmt.Errorf("artifacts: %w", err)
		}
	}
	v := strings.TrimSpace(string(files[artifactsVersionFile]))
	if v == "" || strings.ContainsAny(v, "\n\r") || len(v) > 64 {
		return nil, "", fmt.Errorf("artifacts: %s: want one line, the version", filepath.Join(dir, artifactsVersionFile))
	}
	return files, v, nil
}
