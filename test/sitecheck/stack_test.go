// Package sitecheck_test runs `djfront check` against real parts on
// loopback: the whole local stack (internal/demo, as `make local` runs it),
// and a chain of the local edge, the built hostforward and the example
// Django app with the probe view on. The probe view's own Django tests run
// from here too.
package sitecheck_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/demo"
	"github.com/djfront/djfront/internal/sitecheck"
	"github.com/djfront/djfront/internal/testenv"
)

// localEdgeGaps are the checks the local stack fails on this branch, each
// with the part of its detail that names why: what the local edge or the
// example deployment does not do yet (issue 10). When one starts to pass,
// the test fails so that its line goes.
var localEdgeGaps = map[string]string{
	// collectstatic uploads hashed names without Cache-Control (issue 10
	// item 18), and CloudFront may not list the bucket (item 16).
	sitecheck.IDStatic: "is not cached long by browsers",
}

// skippedOnTheStack are the checks that cannot run against it, with why.
var skippedOnTheStack = map[string]string{
	sitecheck.IDHTTPSRedirect: "the URL names port",            // no port-80 listener on loopback
	sitecheck.IDHSTS:          "would pin every local project", // the stand-in sends none, on purpose
	sitecheck.IDCSRF:          "404: the probe is off",         // the stack sets no DJFRONT_PROBE_TOKEN
	sitecheck.IDOriginBypass:  "needs --origin",                // the stack's API has no URL of its own
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

// TestLocalStack runs `djfront check` against the local stack as `make
// local` starts it: every check passes, save the local edge's known gaps
// and the checks that cannot run on loopback.
func TestLocalStack(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	logs := childproc.NewTail(32 << 10) // the stack's output, for a failure
	s, err := demo.Start(t.Context(), demo.Config{Root: testenv.RepoRoot(t), Addr: "127.0.0.1:0", Logs: logs})
	if err != nil {
		t.Fatalf("start the local stack: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("stack logs (tail):\n%s", logs)
		}
	})

	report, text, code := checkCLI(t, "--insecure", "--probe-token", "not-set-on-the-stack-0123", s.URL+"/")
	t.Logf("djfront check %s:\n%s", s.URL, text)
	for _, id := range sitecheck.Order {
		c, ok := report.Get(id)
		if !ok {
			t.Errorf("%s: missing from the report", id)
			continue
		}
		switch gap, why := localEdgeGaps[id], skippedOnTheStack[id]; {
		case gap != "":
			if !c.Failed() || !strings.Contains(c.Detail, gap) {
				t.Errorf("%s: got ok=%v %q; want the known gap %q (closed? remove it from localEdgeGaps)", id, okText(c), c.Detail, gap)
			}
		case why != "":
			if c.OK != nil || !strings.Contains(c.Detail, why) {
				t.Errorf("%s: got ok=%v %q, want skipped with %q", id, okText(c), c.Detail, why)
			}
		case !c.Passed():
			t.Errorf("%s: got ok=%v %q, want a pass", id, okText(c), c.Detail)
		}
	}
	if want := map[bool]int{true: 1, false: 0}[len(localEdgeGaps) > 0]; code != want {
		t.Errorf("exit status %d, want %d", code, want)
	}
	for _, want := range []string{"CHECK", "methods         pass", "cache-cookies   pass"} {
		if !strings.Contains(text, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
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
