package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// artifactsUsage is `djfront artifacts`' help.
const artifactsUsage = `usage: djfront artifacts

Prints the directory of the prebuilt linux/arm64 Lambda artifacts (the
functions' bootstraps and the in-function layer) that came with this djfront
in its pip wheel: PREFIX/lib/pythonX.Y/site-packages/djfront/_artifacts, for
the djfront in PREFIX/bin. Its layout is in docs/install.md. A djfront built
with go install has none: install the wheel (pip install djfront).
`

// artifactsVersionFile is the file in the artifacts directory that holds the
// version of the wheel that installed it.
const artifactsVersionFile = "VERSION"

// runArtifacts prints the artifacts directory (see artifactsUsage).
func runArtifacts(_ context.Context, e env, args []string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(e.stdout, artifactsUsage)
		return 0
	}
	if len(args) != 0 {
		fmt.Fprintf(e.stderr, "djfront artifacts: takes no arguments, got %q\n%s", args, artifactsUsage)
		return exitUsage
	}
	exe, err := e.executable()
	if err != nil {
		fmt.Fprintf(e.stderr, "djfront artifacts: %v\n", err)
		return 1
	}
	dir, err := findArtifacts(exe, buildVersion())
	if err != nil {
		fmt.Fprintf(e.stderr, "djfront artifacts: %v\n", err)
		return 1
	}
	fmt.Fprintln(e.stdout, dir)
	return 0
}

// artifactsPatterns are where, under the prefix of the djfront executable
// (PREFIX/bin/djfront), pip puts the wheel's package: a virtualenv's or
// pipx's lib/pythonX.Y/site-packages, lib64 for platlib on some
// distributions, Debian's dist-packages, and macOS's user scheme
// (~/Library/Python/X.Y/lib/python/site-packages).
var artifactsPatterns = []string{
	"lib*/python*/site-packages/djfront/_artifacts",
	"lib*/python*/dist-packages/djfront/_artifacts",
}

// findArtifacts returns the artifacts directory of the wheel that installed
// exe, the djfront executable: the first match of artifactsPatterns under
// exe's prefix (symbolic links resolved, as for a pipx install) whose VERSION
// file holds version. The error says what was found instead.
func findArtifacts(exe, version string) (string, error) {
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return "", fmt.Errorf("locate this executable: %w", err)
	}
	prefix := filepath.Dir(filepath.Dir(real))
	var found []string // other versions' directories, for the error
	for _, pattern := range artifactsPatterns {
		dirs, err := filepath.Glob(filepath.Join(prefix, pattern))
		if err != nil {
			return "", fmt.Errorf("search %s: %w", prefix, err)
		}
		slices.Sort(dirs)
		for _, dir := range dirs {
			b, err := os.ReadFile(filepath.Join(dir, artifactsVersionFile))
			if errors.Is(err, os.ErrNotExist) {
				continue
			} else if err != nil {
				return "", err
			}
			if got := strings.TrimSpace(string(b)); got != version {
				found = append(found, fmt.Sprintf("%s (version %q)", dir, got))
				continue
			}
			return dir, nil
		}
	}
	if len(found) > 0 {
		return "", fmt.Errorf("no artifacts of djfront %s under %s, only %s: reinstall djfront (pip install --force-reinstall djfront)",
			version, prefix, strings.Join(found, ", "))
	}
	return "", fmt.Errorf("no artifacts of djfront %s under %s (%s): they come with the pip wheel (pip install djfront), not go install",
		version, prefix, artifactsPatterns[0])
}
