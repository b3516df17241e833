package samlocal

import (
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/djfront/djfront/internal/childproc"
)

// buildOutput bounds the build output Build passes on: far above what make
// and the Go compiler print, even for a failure.
const buildOutput = 1 << 20

// Build builds fn into artifactsDir, as `sam build` would but for the
// machine it runs on (GOOS and GOARCH of this process: Lambda's arm64 binary
// would not run on an x86-64 laptop), and returns the path of the
// executable, artifactsDir/bootstrap. The build's output goes to log once
// it ends; cancelling ctx stops the build's whole process group.
//
//   - BuildMethod makefile: `make build-<LogicalId> ARTIFACTS_DIR=…` in the
//     CodeUri directory, with the Makefile's GO variable set to
//     `env GOOS=<this OS> GOARCH=<this arch> go`, so a Makefile that builds
//     with $(GO) targets this machine whatever GOARCH it names.
//   - BuildMethod go1.x: `go build` of the CodeUri package with
//     CGO_ENABLED=0 and -tags lambda.norpc.
//
// The result is checked: a binary for another architecture is an error that
// says which Makefile variable to use.
func Build(ctx context.Context, fn *Function, artifactsDir string, log io.Writer) (string, error) {
	if !strings.HasPrefix(fn.Runtime, "provided") {
		return "", fmt.Errorf("build %s: runtime %q: only custom runtimes (provided.al2023, provided.al2) are built; see Host.Prepare", fn.LogicalID, fn.Runtime)
	}
	if err := build(ctx, fn.LogicalID, fn.BuildMethod, fn.CodeDir, artifactsDir, log); err != nil {
		return "", err
	}
	bin := filepath.Join(artifactsDir, "bootstrap")
	if err := checkArch(bin); err != nil {
		return "", fmt.Errorf("build %s: %w", fn.LogicalID, err)
	}
	return bin, nil
}

// BuildLayer builds l (BuildMethod makefile) into artifactsDir, what Lambda
// would unpack at /opt, for this machine as Build does.
func BuildLayer(ctx context.Context, l *Layer, artifactsDir string, log io.Writer) error {
	if l.BuildMethod != "makefile" {
		return fmt.Errorf("build %s: Metadata.BuildMethod %q: want makefile", l.LogicalID, l.BuildMethod)
	}
	return build(ctx, l.LogicalID, l.BuildMethod, l.ContentDir, artifactsDir, log)
}

// build runs the build of resource id with method in dir, into
// artifactsDir, for this machine (see Build).
func build(ctx context.Context, id, method, dir, artifactsDir string, log io.Writer) error {
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		return fmt.Errorf("build %s: %w", id, err)
	}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	target := "GOOS=" + runtime.GOOS + " GOARCH=" + runtime.GOARCH
	var cmd *exec.Cmd
	switch method {
	case "makefile":
		cmd = exec.Command("make", "--no-print-directory", "build-"+id,
			"ARTIFACTS_DIR="+artifactsDir, "GO=env "+target+" "+goCmd)
	case "go1.x":
		cmd = exec.Command(goCmd, "build", "-tags", "lambda.norpc", "-trimpath", "-o", filepath.Join(artifactsDir, "bootstrap"), ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	default:
		return fmt.Errorf("build %s: Metadata.BuildMethod %q: want makefile or go1.x", id, method)
	}
	cmd.Dir = dir
	res, err := childproc.Run(ctx, cmd, buildOutput)
	if err == nil {
		_, err = io.WriteString(log, res.Output)
	}
	switch {
	case err != nil:
		return fmt.Errorf("build %s: %s: %w", id, strings.Join(cmd.Args, " "), err)
	case res.Killed:
		return fmt.Errorf("build %s: %s: stopped: %w", id, strings.Join(cmd.Args, " "), context.Cause(ctx))
	case res.ExitCode != 0:
		return fmt.Errorf("build %s: %s: exit status %d", id, strings.Join(cmd.Args, " "), res.ExitCode)
	}
	return nil
}

// elfMachines maps GOARCH to the ELF machine of its executables.
var elfMachines = map[string]elf.Machine{
	"amd64": elf.EM_X86_64,
	"arm64": elf.EM_AARCH64,
	"386":   elf.EM_386,
	"arm":   elf.EM_ARM,
}

// checkArch reports an error if bin is missing or, on Linux, an executable
// for another architecture than this machine's.
func checkArch(bin string) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("the build made no bootstrap: %w", err)
	}
	want, known := elfMachines[runtime.GOARCH]
	if runtime.GOOS != "linux" || !known {
		return nil
	}
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("%s is not an executable for this machine: %w", bin, err)
	}
	defer f.Close()
	if f.Machine != want {
		return fmt.Errorf("%s is built for %v, this machine is %v: build with $(GO) in the Makefile so GOARCH can be overridden", bin, f.Machine, want)
	}
	return nil
}
