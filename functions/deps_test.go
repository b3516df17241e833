// Package functions_test keeps the Lambdas' dependency list to what ships:
// in the spirit of tailscale's tstest/deptest, it fails the build when any
// function under functions/ links an emulation package (internal/local/...),
// the testing packages, a YAML parser, a browser driver or any module other
// than the AWS libraries the functions are built on.
package functions_test

import (
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

// deps lists the packages pattern links, as the Lambda build does (the tag
// lambda.norpc drops aws-lambda-go's net/rpc server); standard-library
// packages carry the prefix "std:".
func deps(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc",
		"-f", "{{if .Standard}}std:{{end}}{{.ImportPath}}", pattern).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pattern, err)
	}
	return strings.Fields(string(out))
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
