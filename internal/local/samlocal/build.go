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
		return "", fmt.Errorf("build %s: runtime %q: only custom runtimes (provided.al2023, provided.al2) run locally", fn.LogicalID, fn.Runtime)
	}
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", fn.LogicalID, err)
	}
	bin := filepath.Join(artifactsDir, "bootstrap")
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	target := "GOOS=" + runtime.GOOS + " GOARCH=" + runtime.GOARCH
	var cmd *exec.Cmd
	switch fn.BuildMethod {
	case "makefile":
		cmd = exec.Command("make", "--no-print-directory", "build-"+fn.LogicalID,
			"ARTIFACTS_DIR="+artifactsDir, "GO=env "+target+" "+goCmd)
	case "go1.x":
		cmd = exec.Command(goCmd, "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	default:
		return "", fmt.Errorf("build %s: Metadata.BuildMethod %q: want makefile or go1.x", fn.LogicalID, fn.BuildMethod)
	}
	cmd.Dir = fn.CodeDir
	res, err := childproc.Run(ctx, cmd, buildOutput)
	if err == nil {
		_, err = io.WriteString(log, res.Output)
	}
	switch {
	case err != nil:
		return "", fmt.Errorf("build %s: %s: %w", fn.LogicalID, strings.Join(cmd.Args, " "), err)
	case res.Killed:
		return "", fmt.Errorf("build %s: %s: stopped: %w", fn.LogicalID, strings.Join(cmd.Args, " "), context.Cause(ctx))
	case res.ExitCode != 0:
		return "", fmt.Errorf("build %s: %s: exit status %d", fn.LogicalID, strings.Join(cmd.Args, " "), res.ExitCode)
	}
	if err := checkArch(bin); err != nil {
		return "", fmt.Errorf("build %s: %w", fn.LogicalID, err)
	}
	return bin, nil
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
