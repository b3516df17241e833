// Package functions_test keeps the Lambdas' dependency list to what ships:
// in the spirit of tailscale's tstest/deptest, it fails the build when any
// function under functions/ links an emulation package (internal/local/...),
// the testing packages, a YAML parser, a browser driver or any module other
// than the AWS libraries the functions are built on.
package functions_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedModules are the only non-standard-library import path prefixes a
// function may link.
var allowedModules = []string{
	"github.com/aws/aws-lambda-go/",
	"github.com/aws/aws-sdk-go-v2",
	"github.com/aws/smithy-go",
	"github.com/djfront/djfront/functions",
	"github.com/djfront/djfront/internal/",
}

// denied are import paths (or prefixes ending in /) that no function may
// link even where allowedModules would let them.
var denied = []string{
	"github.com/djfront/djfront/internal/local/",
	"testing",
	"testing/",
	"net/http/httptest",
	"go.yaml.in/",
	"gopkg.in/yaml",
	"github.com/chromedp/",
}

func TestFunctionsLinkOnlyWhatShips(t *testing.T) {
	pkgs := deps(t, "github.com/djfront/djfront/functions/...")
	if !slices.Contains(pkgs, "github.com/djfront/djfront/functions/hostforward") {
		t.Fatalf("go list named no function: %q", pkgs)
	}
	for _, v := range violations(pkgs) {
		t.Error("a function links " + v)
	}
}

// TestViolationsCatchTheEmulation proves the check can fail: the local
// stack links the emulation, a YAML parser and testing.
func TestViolationsCatchTheEmulation(t *testing.T) {
	got := strings.Join(violations(deps(t, "github.com/djfront/djfront/internal/local/testenv")), "\n")
	for _, want := range []string{"internal/local/runtimeapi (denied", "go.yaml.in/yaml/v3 (denied", "testing (denied"} {
		if !strings.Contains(got, want) {
			t.Errorf("violations of internal/local/testenv lack %q:\n%s", want, got)
		}
	}
}

// TestViolationsSeeTheLambdaBuild proves the check lists what the Lambda
// build links, not what the host's build would: a file constrained to
// linux, arm64 and cgo off is linked by the one and not the other.
func TestViolationsSeeTheLambdaBuild(t *testing.T) {
	got := strings.Join(violations(deps(t, "github.com/djfront/djfront/functions/testdata/lambdaonly")), "\n")
	if want := "testing (denied"; !strings.Contains(got, want) {
		t.Errorf("violations of functions/testdata/lambdaonly lack %q:\n%s", want, got)
	}
}

// lambdaArchs are the architectures a function is built for: arm64, as
// Lambda runs it (template.yaml), and amd64, as make build may.
var lambdaArchs = []string{"arm64", "amd64"}

// deps lists the packages pattern links, as the Lambda build does (linux,
// cgo off, the tag lambda.norpc that drops aws-lambda-go's net/rpc server),
// for each of lambdaArchs; standard-library packages carry the prefix "std:".
func deps(t *testing.T, pattern string) []string {
	t.Helper()
	var pkgs []string
	for _, arch := range lambdaArchs {
		cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc",
			"-f", "{{if .Standard}}std:{{end}}{{.ImportPath}}", pattern)
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s (GOARCH=%s): %v", pattern, arch, err)
		}
		pkgs = append(pkgs, strings.Fields(string(out))...)
	}
	slices.Sort(pkgs)
	return slices.Compact(pkgs)
}

// violations names each package of pkgs that is denied or outside the
// allowed modules, with the reason.
func violations(pkgs []string) []string {
	var bad []string
	for _, p := range pkgs {
		path, std := strings.CutPrefix(p, "std:")
		if std {
			path = strings.TrimPrefix(path, "vendor/")
		}
		for _, d := range denied {
			if path == d || strings.HasSuffix(d, "/") && strings.HasPrefix(path, d) {
				bad = append(bad, path+" (denied: "+d+")")
			}
		}
		if !std && !slices.ContainsFunc(allowedModules, func(m string) bool { return strings.HasPrefix(path, m) }) {
			bad = append(bad, path+" (not an allowed module)")
		}
	}
	return bad
}
