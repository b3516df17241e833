// Package sitecheck_test runs `djfront check` against real parts on
// loopback: the whole local stack (internal/local/demo, as `make local` runs it)
// from template.yaml and from edited copies of it, one seed pitfall each,
// and a chain of the local edge, the built hostforward and the example
// Django app with the probe view on. The probe view's own Django tests run
// from here too.
package sitecheck_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/demo"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/sitecheck"
)

// skippedOnTheStack are the checks that cannot run against the local
// stack, with why.
var skippedOnTheStack = map[string]string{
	sitecheck.IDHTTPSRedirect: "the URL names port",            // no port-80 listener on loopback
	sitecheck.IDHSTS:          "would pin every local project", // the stand-in sends none, on purpose
	sitecheck.IDCSRF:          "404: the probe is off",         // the stack sets no DJFRONT_PROBE_TOKEN
	sitecheck.IDOriginBypass:  "needs --origin",                // the stack's API has no URL of its own
}

// Managed policy ids (CloudFront Developer Guide: managed cache and origin
// request policies).
const (
	cachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	allViewer        = "216adef6-5c7f-47e4-b989-5492eafa07d3"
)

// appBehaviour is the path of the app's cache behaviour in template.yaml.
var appBehaviour = []string{"Resources", "Distribution", "Properties", "DistributionConfig", "DefaultCacheBehavior"}

func at(path ...string) []string { return append(append([]string(nil), appBehaviour...), path...) }

// TestLocalStack runs `djfront check` against the local stack as `make
// local` starts it: every check passes but those that cannot run on
// loopback. Then it runs the stack from edited copies of template.yaml,
// one seed pitfall each, and checks that exactly the expected check fails,
// naming the pitfall, and no other fails.
func TestLocalStack(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")

	var template sitecheck.Report
	t.Run("the template", func(t *testing.T) {
		report, text, code := checkStack(t, testenv.RepoRoot(t), "/", "--probe-token", "not-set-on-the-stack-0123")
		t.Logf("djfront check:\n%s", text)
		for _, id := range sitecheck.Order {
			c, ok := report.Get(id)
			switch why := skippedOnTheStack[id]; {
			case !ok:
				t.Errorf("%s: missing from the report", id)
			case why != "":
				if c.OK != nil || !strings.Contains(c.Detail, why) {
					t.Errorf("%s: got %s %q, want skipped with %q", id, okText(c), c.Detail, why)
				}
			case !c.Passed():
				t.Errorf("%s: got %s %q, want a pass", id, okText(c), c.Detail)
			}
		}
		if code != 0 {
			t.Errorf("exit status %d, want 0", code)
		}
		for _, want := range []string{"CHECK", "methods         pass", "cache-cookies   pass"} {
			if !strings.Contains(text, want) {
				t.Errorf("text report lacks %q", want)
			}
		}
		template = report
	})
	if template.Checks == nil {
		t.Fatal("no report for the template to compare the pitfalls with")
	}

	pitfalls := []struct {
		name   string
		edit   func(t *testing.T, doc *yaml.Node)
		path   string // the page to check
		failID string
		detail string
	}{
		{"GET and HEAD only (seed 1)", func(t *testing.T, doc *yaml.Node) {
			setSeq(t, doc, []string{"GET", "HEAD"}, at("AllowedMethods")...)
			setSeq(t, doc, []string{"GET", "HEAD"}, at("CachedMethods")...)
		}, "/", sitecheck.IDMethods, "allows GET and HEAD only"},
		{"CachingOptimized on the app behaviour (seed 1)", func(t *testing.T, doc *yaml.Node) {
			setScalar(t, doc, cachingOptimized, at("CachePolicyId")...)
		}, "/", sitecheck.IDCacheCookies, "from the cache"},
		{"AllViewer instead of AllViewerExceptHostHeader (seed 1)", func(t *testing.T, doc *yaml.Node) {
			setScalar(t, doc, allViewer, at("OriginRequestPolicyId")...)
		}, "/", sitecheck.IDHost, "AllViewer instead of AllViewerExceptHostHeader"},
		{"no CloudFront Function (seed 1)", func(t *testing.T, doc *yaml.Node) {
			remove(t, doc, at("FunctionAssociations")...)
		}, "/", sitecheck.IDHost, "the viewer's Host does not reach it"},
		// MinTTL above 0 makes CloudFront cache even what the app (or
		// hostforward, for a Set-Cookie) marks private. /form/ sets the CSRF
		// cookie without Cache-Control of its own.
		{"a cache policy that caches Set-Cookie", func(t *testing.T, doc *yaml.Node) {
			for _, ttl := range []string{"MinTTL", "DefaultTTL"} {
				setScalar(t, doc, "86400", "Resources", "AppCachePolicy", "Properties", "CachePolicyConfig", ttl)
			}
		}, "/form/", sitecheck.IDCacheCookies, "with Set-Cookie csrftoken"},
	}
	for _, p := range pitfalls {
		t.Run(p.name, func(t *testing.T) {
			got, text, code := checkStack(t, editedRoot(t, p.edit), p.path)
			for _, id := range sitecheck.Order {
				before, _ := template.Get(id)
				after, _ := got.Get(id)
				switch {
				case id == p.failID:
					if !after.Failed() || !strings.Contains(after.Detail, p.detail) {
						t.Errorf("%s: got %s %q, want a failure with %q", id, okText(after), after.Detail, p.detail)
					}
				case after.Failed() && !before.Failed():
					t.Errorf("%s fails too (%q): want only %s to fail", id, after.Detail, p.failID)
				}
			}
			if code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			if t.Failed() {
				t.Logf("djfront check:\n%s", text)
			}
		})
	}
}

// checkStack starts the local stack from root, runs djfront check on
// path with args, and stops the stack.
func checkStack(t *testing.T, root, path string, args ...string) (sitecheck.Report, string, int) {
	t.Helper()
	logs := childproc.NewTail(32 << 10) // the stack's output, for a failure
	s, err := demo.Start(t.Context(), demo.Config{Root: root, Addr: "127.0.0.1:0", Logs: logs})
	if err != nil {
		t.Fatalf("start the local stack from %s: %v\n%s", root, err, logs)
	}
	defer func() {
		s.Close()
		if t.Failed() {
			t.Logf("stack logs (tail):\n%s", logs)
		}
	}()
	return checkCLI(t, append(append([]string{"--insecure"}, args...), s.URL+path)...)
}

// editedRoot returns a directory that is the repository (its entries
// linked), save for a template.yaml changed by edit.
func editedRoot(t *testing.T, edit func(*testing.T, *yaml.Node)) string {
	t.Helper()
	repo := testenv.RepoRoot(t)
	raw, err := os.ReadFile(filepath.Join(repo, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	edit(t, &doc)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	entries, err := os.ReadDir(repo)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "template.yaml" || e.Name() == ".git" {
			continue
		}
		if err := os.Symlink(filepath.Join(repo, e.Name()), filepath.Join(root, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "template.yaml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// entry returns the mapping holding the key at path, and the key's index
// in it.
func entry(t *testing.T, doc *yaml.Node, path ...string) (*yaml.Node, int) {
	t.Helper()
	n := doc.Content[0]
	for i, key := range path {
		found := -1
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == key {
				found = j
			}
		}
		if found < 0 {
			t.Fatalf("template.yaml has no %s", strings.Join(path[:i+1], "."))
		}
		if i == len(path)-1 {
			return n, found
		}
		n = n.Content[found+1]
	}
	t.Fatal("entry: empty path")
	return nil, 0
}

func setScalar(t *testing.T, doc *yaml.Node, value string, path ...string) {
	t.Helper()
	m, i := entry(t, doc, path...)
	m.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Value: value}
}

func setSeq(t *testing.T, doc *yaml.Node, values []string, path ...string) {
	t.Helper()
	m, i := entry(t, doc, path...)
	seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range values {
		seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: v})
	}
	m.Content[i+1] = seq
}

func remove(t *testing.T, doc *yaml.Node, path ...string) {
	t.Helper()
	m, i := entry(t, doc, path...)
	m.Content = append(m.Content[:i], m.Content[i+2:]...)
}

// buildCLI builds cmd/djfront into the test's temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "djfront")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/djfront")
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/djfront: %v\n%s", err, out)
	}
	return bin
}

// checkCLI runs the built `djfront check args…` and returns its report
// (from --json), its text output and its exit status.
func checkCLI(t *testing.T, args ...string) (sitecheck.Report, string, int) {
	t.Helper()
	bin := buildCLI(t)
	run := func(extra ...string) ([]byte, int) {
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(t.Context(), bin, append(append([]string{"check"}, extra...), args...)...)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("djfront check: %v", err)
		}
		if stderr.Len() > 0 {
			t.Logf("djfront check stderr: %s", stderr.String())
		}
		return stdout.Bytes(), cmd.ProcessState.ExitCode()
	}
	js, code := run("--json")
	var report sitecheck.Report
	if err := json.Unmarshal(js, &report); err != nil {
		t.Fatalf("djfront check --json (exit %d): %v\n%s", code, err, js)
	}
	text, textCode := run()
	if textCode != code {
		t.Errorf("exit status %d with --json, %d without: want the same", code, textCode)
	}
	return report, string(text), code
}

func okText(c sitecheck.Result) string {
	if c.OK == nil {
		return "null"
	}
	if *c.OK {
		return "true"
	}
	return "false"
}
