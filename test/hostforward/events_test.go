package hostforward_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/samlocal"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/sam/fixtures"
)

// wrongShapes are the events an integration wired to the function by
// mistake sends (sam/fixtures, after AWS's documented shapes), and what
// the function's Lambda error must say of each.
var wrongShapes = []struct{ fixture, shape string }{
	{"rest-api-v1.json", "an API Gateway REST API event (payload format 1.0)"},
	{"http-api-v1.json", "an API Gateway HTTP API event of payload format 1.0"},
	{"alb.json", "an Application Load Balancer event"},
	{"alb-multi-value.json", "an Application Load Balancer event with multi-value headers"},
}

// TestWrongEventShapes: the built bootstrap, in front of an app and with
// Django inside the function, answers each wrong shape with the Lambda
// error UnsupportedEventError naming the shape and what it serves — not a
// 400 or 403 that blames the viewer — and logs for each one line that the
// template's metric filter (HostForwardUnsupportedEventsFilter, which
// HostForwardUnsupportedEventsAlarm watches) counts. In front of an app,
// the app is never called. Before, with the app in the function, dispatch
// named no shape (`API Gateway payload format version ""`) and its line
// had no error_type: the filter counted nothing and the alarm stayed quiet.
func TestWrongEventShapes(t *testing.T) {
	testenv.Integration(t)
	counted := unsupportedEventsFilter(t)
	t.Run("app elsewhere", func(t *testing.T) {
		var calls atomic.Int32
		app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
		t.Cleanup(app.Close)
		logs := childproc.NewTail(1 << 20)
		fn, err := runtimeapi.Start(t.Context(), runtimeapi.Function{
			Binary: testenv.BuildBootstrap(t, "./functions/hostforward"), Timeout: 10 * time.Second, Logs: logs,
			Env: []string{"UPSTREAM_URL=" + app.URL, "ALLOWED_HOSTS=" + site, "ORIGIN_VERIFY_SECRETS=" + secret},
		})
		if err != nil {
			t.Fatalf("start: %v\nlogs:\n%s", err, logs)
		}
		t.Cleanup(func() { fn.Close() })
		checkWrongShapes(t, fn, logs, counted)
		if n := calls.Load(); n != 0 {
			t.Errorf("the app got %d requests, want none", n)
		}
	})
	t.Run("in-function", func(t *testing.T) {
		f := startInFunction(t, prepareDjango(t, pyenv.Django{}), gunicorn, 30*time.Second)
		checkWrongShapes(t, f.fn, f.logs, counted)
	})
}

// checkWrongShapes invokes fn with each of wrongShapes, checks its Lambda
// error, then that counted counts one line of logs per invocation. fn is
// closed, so that every line is written.
func checkWrongShapes(t *testing.T, fn *runtimeapi.Server, logs *childproc.Tail, counted func(line map[string]any) bool) {
	t.Helper()
	for _, tt := range wrongShapes {
		res, err := fn.Invoke(context.Background(), fixtures.Must(t, tt.fixture))
		if err != nil {
			t.Fatal(err)
		}
		if e := res.Error; e == nil || e.Type != "UnsupportedEventError" || !strings.Contains(e.Message, tt.shape+";") ||
			!strings.Contains(e.Message, "this function serves API Gateway HTTP API events of payload format 2.0") {
			t.Errorf("%s: got %s, error %v; want errorType UnsupportedEventError naming %q and payload format 2.0", tt.fixture, res.Payload, res.Error, tt.shape)
		}
	}
	fn.Close()
	n := 0
	for line := range strings.Lines(logs.String()) {
		var fields map[string]any
		if json.Unmarshal([]byte(line), &fields) == nil && counted(fields) {
			n++
		}
	}
	if n != len(wrongShapes) {
		t.Errorf("the template's metric filter counts %d log lines, want %d (one per event)\nlogs:\n%s", n, len(wrongShapes), logs)
	}
}

// unsupportedEventsFilter returns the template's
// HostForwardUnsupportedEventsFilter as a test of one JSON log line. It
// knows the one form of CloudWatch Logs' JSON filter syntax the template
// uses, { $.FIELD = "VALUE" } (an exact match of a string field), and fails
// t on any other, so that a change of the pattern is tested here again. See
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html.
func unsupportedEventsFilter(t *testing.T) func(line map[string]any) bool {
	t.Helper()
	tpl, err := samlocal.ReadTemplate(filepath.Join(testenv.RepoRoot(t), "template.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	props, err := tpl.Resource("HostForwardUnsupportedEventsFilter", "AWS::Logs::MetricFilter")
	if err != nil {
		t.Fatal(err)
	}
	pattern, _ := props["FilterPattern"].(string)
	m := regexp.MustCompile(`^\{ \$\.([A-Za-z_][A-Za-z0-9_]*) = "([^"*\\]*)" \}$`).FindStringSubmatch(pattern)
	if m == nil {
		t.Fatalf("FilterPattern %q: want the form { $.FIELD = \"VALUE\" }, the one this test evaluates", pattern)
	}
	field, value := m[1], m[2]
	return func(line map[string]any) bool { return line[field] == value }
}
