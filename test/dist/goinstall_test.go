package dist_test

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// TestGoInstallable checks what `go install
// github.com/djfront/djfront/cmd/djfront@VERSION` needs besides the module
// itself, which make dist builds: go.mod has no replace or exclude
// directive, which go install refuses in the module it installs from.
func TestGoInstallable(t *testing.T) {
	testenv.Integration(t)
	goCmd := testenv.RequireCommand(t, "go", "install Go (see go.mod for the version)")
	cmd := exec.Command(goCmd, "mod", "edit", "-json")
	cmd.Dir = testenv.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	var mod struct{ Replace, Exclude []json.RawMessage }
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	if len(mod.Replace) > 0 || len(mod.Exclude) > 0 {
		t.Errorf("go.mod has replace %s or exclude %s directives: go install cmd/djfront@VERSION would refuse the module",
			mod.Replace, mod.Exclude)
	}
}
