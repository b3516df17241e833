package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// install lays out what pip leaves of a djfront wheel under prefix: the
// executable in bin and, for each site (a site-packages path relative to
// prefix) and its version, the artifacts directory with its VERSION file.
// It returns the executable's path.
func install(t *testing.T, prefix string, sites map[string]string) string {
	t.Helper()
	exe := filepath.Join(prefix, "bin", "djfront")
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	for site, v := range sites {
		dir := filepath.Join(prefix, site, "djfront", "_artifacts")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, artifactsVersionFile), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return exe
}

func TestFindArtifacts(t *testing.T) {
	const venvSite = "lib/python3.12/site-packages"
	tests := []struct {
		name    string
		sites   map[string]string // site → the version of the artifacts in it
		link    bool              // run djfront through a symbolic link in another directory (pipx)
		want    string            // the site whose artifacts are found, or "" for an error
		wantErr string
	}{
		{name: "virtualenv", sites: map[string]string{venvSite: "0.1.0"}, want: venvSite},
		{name: "pipx: through a symbolic link", sites: map[string]string{venvSite: "0.1.0"}, link: true, want: venvSite},
		{name: "platlib in lib64", sites: map[string]string{"lib64/python3.9/site-packages": "0.1.0"}, want: "lib64/python3.9/site-packages"},
		{name: "Debian's dist-packages", sites: map[string]string{"lib/python3.11/dist-packages": "0.1.0"}, want: "lib/python3.11/dist-packages"},
		{name: "macOS user scheme", sites: map[string]string{"lib/python/site-packages": "0.1.0"}, want: "lib/python/site-packages"},
		{
			name:  "the matching version among two Pythons",
			sites: map[string]string{"lib/python3.11/site-packages": "0.0.9", venvSite: "0.1.0"}, want: venvSite,
		},
		{
			name: "another version only", sites: map[string]string{venvSite: "0.0.9"},
			wantErr: `/lib/python3.12/site-packages/djfront/_artifacts (version "0.0.9"): reinstall djfront`,
		},
		{name: "none: go install", sites: nil, wantErr: "no artifacts of djfront 0.1.0 under "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := t.TempDir()
			exe := install(t, prefix, tt.sites)
			if tt.link {
				link := filepath.Join(t.TempDir(), "djfront")
				if err := os.Symlink(exe, link); err != nil {
					t.Fatal(err)
				}
				exe = link
			}
			got, err := findArtifacts(exe, "0.1.0")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("findArtifacts: got %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			realPrefix, err2 := filepath.EvalSymlinks(prefix)
			if err2 != nil {
				t.Fatal(err2)
			}
			if want := filepath.Join(realPrefix, tt.want, "djfront", "_artifacts"); err != nil || got != want {
				t.Errorf("findArtifacts: got %q, %v; want %q", got, err, want)
			}
		})
	}
}

func TestRunArtifactsAndVersion(t *testing.T) {
	prefix := t.TempDir()
	exe := install(t, prefix, map[string]string{"lib/python3.12/site-packages": "devel"})
	realPrefix, err := filepath.EvalSymlinks(prefix)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		exeErr     error
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "version", args: []string{"version"}, wantStdout: "djfront devel\n"},
		{name: "--version", args: []string{"--version"}, wantStdout: "djfront devel\n"},
		{name: "version with an argument", args: []string{"version", "x"}, wantCode: 2, wantStderr: "takes no arguments"},
		{name: "help", args: []string{"--help"}, wantStdout: "  djfront artifacts "},
		{name: "artifacts", args: []string{"artifacts"}, wantStdout: filepath.Join(realPrefix, "lib/python3.12/site-packages/djfront/_artifacts") + "\n"},
		{name: "artifacts help", args: []string{"artifacts", "--help"}, wantStdout: "usage: djfront artifacts\n"},
		{name: "artifacts with an argument", args: []string{"artifacts", "x"}, wantCode: 2, wantStderr: "takes no arguments"},
		{name: "artifacts, no executable", args: []string{"artifacts"}, exeErr: errors.New("no /proc"), wantCode: 1, wantStderr: "djfront artifacts: no /proc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
				executable: func() (string, error) { return exe, tt.exeErr }}
			code := run(context.Background(), e, tt.args)
			checkOutput(t, code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
		})
	}
}
