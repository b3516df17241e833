package template_test

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// TestSamBuildTargets proves what `sam build` does with the template's
// functions: for BuildMethod makefile it runs `make build-<LogicalId>` in
// CodeUri (the repository root) with ARTIFACTS_DIR set, and Lambda then runs
// ARTIFACTS_DIR/bootstrap on provided.al2023, arm64. Each function's target
// must exist and write that binary.
func TestSamBuildTargets(t *testing.T) {
	resources := translate(t, noDomain)["Resources"].(map[string]any)
	makeCmd := testenv.RequireCommand(t, "make", "apt-get install make")
	root := testenv.RepoRoot(t)

	for name, r := range resources {
		if method, _ := lookup(r, "Metadata.BuildMethod"); method != "makefile" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			checkJSON(t, at(t, r, "Properties.Architectures"), `["arm64"]`)
			dir := t.TempDir()
			cmd := exec.Command(makeCmd, "--no-print-directory", "build-"+name, "ARTIFACTS_DIR="+dir)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("make build-%s: %v\n%s", name, err, out)
			}
			bin, err := elf.Open(filepath.Join(dir, "bootstrap"))
			if err != nil {
				t.Fatalf("bootstrap: %v", err)
			}
			defer bin.Close()
			if bin.Machine != elf.EM_AARCH64 {
				t.Errorf("bootstrap is for %v, want %v", bin.Machine, elf.EM_AARCH64)
			}
			if bin.Type != elf.ET_EXEC {
				t.Errorf("bootstrap is a %v, want a static executable (%v)", bin.Type, elf.ET_EXEC)
			}
		})
	}
}
