package template_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// TestCfnLint runs cfn-lint on the SAM template and on the CloudFormation
// it translates to, with and without a custom domain, with every option
// (WAF, reserved concurrency, alarm topic), every Database and SnapStart: no error, warning or
// informational finding is accepted. cfn-lint leaves informational checks
// out by default, hence --include-checks I: they ask, for example, that
// stateful resources state their DeletionPolicy and UpdateReplacePolicy
// (I3011) and queues their retention (I3013) instead of relying on defaults.
func TestCfnLint(t *testing.T) {
	testenv.Integration(t)
	lint := testenv.PythonCommand(t, "cfn-lint")
	root := testenv.RepoRoot(t)

	run := func(t *testing.T, file string) {
		t.Helper()
		cmd := exec.Command(lint, "--include-checks", "I", "--", file)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("cfn-lint %s: %v\n%s", file, err, out)
		}
	}
	t.Run("template.yaml", func(t *testing.T) { run(t, "template.yaml") })
	for _, tt := range []struct {
		name   string
		params map[string]string
	}{
		// Both app modes (AppMode): the app inside the Lambda, and outside.
		{"translated, in-function", inFunction},
		{"translated, in-function, custom domain", inFunctionCustomDomain},
		{"translated, no domain", noDomain},
		{"translated, custom domain", customDomain},
		{"translated, every option", allOptions},
		{"translated, in a VPC", inVpc},
		// Each Database of the in-function mode (inFunction's is the default, aurora-serverless).
		{"translated, in-function, dsql", dsqlDatabase},
		{"translated, in-function, aurora-serverless", auroraDatabase},
		{"translated, in-function, url", urlDatabase},
		{"translated, in-function, url in your VPC", urlDatabaseInVpc},
		{"translated, in-function, sqlite", sqliteDatabase},
		// SnapStart on: the published version, the live alias, wired in.
		{"translated, in-function, SnapStart", inFunctionSnapStart},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "template.json")
			if err := os.WriteFile(file, translateJSON(t, tt.params), 0o600); err != nil {
				t.Fatal(err)
			}
			run(t, file)
		})
	}
}
