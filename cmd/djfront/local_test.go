//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/samlocal"
)

func TestParseLocal(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want localOptions
		err  string
	}{
		{"defaults", nil, localOptions{port: 3000}, ""},
		{"all", []string{"--port", "0", "--env-file", ".env", "--python", "/v/bin/python", "--template", "t.yaml", "--no-reload"},
			localOptions{envFile: ".env", python: "/v/bin/python", template: "t.yaml", noReload: true}, ""},
		{"port out of range", []string{"--port", "70000"}, localOptions{}, "--port 70000: want 0 to 65535"},
		{"stray argument", []string{"serve"}, localOptions{}, `unexpected arguments ["serve"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLocal(tt.args, &bytes.Buffer{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || *got != tt.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestProjectPython(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel string, mode os.FileMode) string {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	venvDjfront := mk("venv/bin/djfront", 0o755)
	venvPython := mk("venv/bin/python3", 0o755)
	goDjfront := mk("go/bin/djfront", 0o755)
	active := mk("active/bin/python3", 0o755)
	flagPython := mk("other/python3.12", 0o755)
	notExec := mk("other/python-text", 0o644)
	tests := []struct {
		name, flag, exe, virtualEnv, want, err string
	}{
		{name: "beside djfront", exe: venvDjfront, virtualEnv: filepath.Join(dir, "active"), want: venvPython},
		{name: "the active virtualenv", exe: goDjfront, virtualEnv: filepath.Join(dir, "active"), want: active},
		{name: "--python first", flag: flagPython, exe: venvDjfront, want: flagPython},
		{name: "--python not executable", flag: notExec, exe: venvDjfront, err: "not an executable file"},
		{name: "none", exe: goDjfront, err: "no Python environment found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := projectPython(tt.flag, tt.exe, func(name string) string {
				if name == "VIRTUAL_ENV" {
					return tt.virtualEnv
				}
				return ""
			})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestStateDir: .djfront is made private, git ignores it by its own
// .gitignore, and the superuser's password made there is kept for the next
// start, out of what sam build zips.
func TestStateDir(t *testing.T) {
	root := t.TempDir()
	dir, err := stateDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf(".djfront: %v %v, want a directory of mode 0700", st, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err != nil || !strings.HasSuffix(string(b), "\n*\n") {
		t.Errorf(".djfront/.gitignore = %q, %v; want it to ignore everything", b, err)
	}
	// The superuser's password is kept where sam build's Python builder
	// never copies it from (.cache, in aws-lambda-builders' EXCLUDED_FILES):
	// .djfront/admin-password went into the function's zip.
	first, err := keptPassword(dir)
	if err != nil || len(first) < 20 {
		t.Fatalf("keptPassword = %q, %v", first, err)
	}
	file := filepath.Join(dir, ".cache", "admin-password")
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v, want mode 0600", file, st, err)
	}
	if again, err := keptPassword(dir); err != nil || again != first {
		t.Errorf("second keptPassword = %q, %v; want the first, %q", again, err, first)
	}
	if _, err := os.Stat(filepath.Join(dir, "admin-password")); !os.IsNotExist(err) {
		t.Errorf(".djfront/admin-password: %v, want none: sam build zips it", err)
	}
	// An earlier version's .djfront/admin-password is moved, its password
	// kept (a kept database's superuser has it).
	other, _ := stateDir(t.TempDir())
	if err := os.WriteFile(filepath.Join(other, "admin-password"), []byte("from-an-earlier-version\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := keptPassword(other); err != nil || got != "from-an-earlier-version" {
		t.Errorf("moved keptPassword = %q, %v; want the earlier one", got, err)
	}
	if _, err := os.Stat(filepath.Join(other, "admin-password")); !os.IsNotExist(err) {
		t.Errorf(".djfront/admin-password still there after the move: %v", err)
	}
}

// TestLocalEnv: the shell's environment, then the env file's; a variable
// the stack sets itself is named as ignored.
func TestLocalEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(file, []byte("DATABASE_URL=postgres://u:p@127.0.0.1/app\nDJFRONT_HOSTS=www.example.com\nDJANGO_SUPERUSER_PASSWORD=pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	e := env{stderr: &stderr, environ: func() []string {
		return []string{"HOME=/home/u", "AWS_PROFILE=prod", "DATABASE_URL=sqlite:////shell.db"}
	}}
	got, err := localEnv(e, file)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"HOME=/home/u", "DATABASE_URL=sqlite:////shell.db", "DATABASE_URL=postgres://u:p@127.0.0.1/app",
		"DJFRONT_HOSTS=www.example.com", "DJANGO_SUPERUSER_PASSWORD=pw"}
	if !slices.Equal(got, want) {
		t.Errorf("localEnv =\n%q\nwant\n%q", got, want)
	}
	if s := stderr.String(); !strings.Contains(s, "sets DJFRONT_HOSTS, which the local stack sets itself: ignored") || strings.Contains(s, "DJANGO_SUPERUSER_PASSWORD") {
		t.Errorf("stderr %q: want DJFRONT_HOSTS named as ignored, the superuser's password not", s)
	}
	if _, err := localEnv(e, filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "--env-file") {
		t.Errorf("a missing env file: %v", err)
	}
}

// TestLambdaMode: djfront runs the Lambdas samlocal hands it, no other, and
// only under a Runtime API; the mode is not in the usage.
func TestLambdaMode(t *testing.T) {
	if got, want := slices.Sorted(maps.Keys(lambdaBuilds)), slices.Sorted(slices.Values(samlocal.DjfrontLambdas)); !slices.Equal(got, want) {
		t.Errorf("djfront %s runs %q, samlocal hands it %q", samlocal.LambdaMode, got, want)
	}
	for _, tt := range []struct {
		args       []string
		runtimeAPI string
		wantErr    string
	}{
		{[]string{samlocal.LambdaMode, "nope"}, "127.0.0.1:9001", `want one of hostforward, invalidate, rotate, got ["nope"]`},
		{[]string{samlocal.LambdaMode}, "127.0.0.1:9001", "want one of"},
		{[]string{samlocal.LambdaMode, "invalidate"}, "", "AWS_LAMBDA_RUNTIME_API is unset"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), env{stdout: &stdout, stderr: &stderr, getenv: func(name string) string {
			if name == "AWS_LAMBDA_RUNTIME_API" {
				return tt.runtimeAPI
			}
			return ""
		}}, tt.args)
		checkOutput(t, code, stdout.String(), stderr.String(), exitUsage, "", tt.wantErr)
	}
	var usage bytes.Buffer
	printUsage(&usage)
	if strings.Contains(usage.String(), samlocal.LambdaMode) || !strings.Contains(usage.String(), "djfront local") || !strings.Contains(usage.String(), "djfront invoke") {
		t.Errorf("usage:\n%s\nwant local and invoke, not %s", usage.String(), samlocal.LambdaMode)
	}
}

// TestLocalUsageNamesEveryFlag: the one line `djfront --help` shows for
// local names each of its flags (it lacked --no-reload and --template).
func TestLocalUsageNamesEveryFlag(t *testing.T) {
	var help bytes.Buffer
	if _, err := parseLocal([]string{"-h"}, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseLocal -h: %v", err)
	}
	names := regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(help.String(), -1)
	if len(names) < 5 {
		t.Fatalf("flags in the help: %q, want at least 5", names)
	}
	for _, m := range names {
		if !strings.Contains(commands["local"].usage, "[--"+m[1]) {
			t.Errorf("djfront --help's line for local %q lacks --%s", commands["local"].usage, m[1])
		}
	}
}

// TestStateDirStaysInProject (review of issue 16): djfront local keeps its
// state (admin-password, db.sqlite3, local.log, run/) in the project's
// .djfront, and truncates .djfront/local.log (os.Create) before anything
// else. A project that ships .djfront as a symbolic link (git stores
// links) makes all of that land, and an existing file be truncated,
// outside the project; djfront init refuses such links (os.Root).
func TestStateDirStaysInProject(t *testing.T) {
	project, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(project, ".djfront")); err != nil {
		t.Fatal(err)
	}
	if dir, err := stateDir(project); err == nil {
		t.Errorf("stateDir = %q, nil; want an error for .djfront, a link out of the project to %s", dir, outside)
	}
}
