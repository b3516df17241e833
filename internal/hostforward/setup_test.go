package hostforward_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/djfront/djfront/internal/hostforward"
	"github.com/djfront/djfront/sam/fixtures"
)

// setup runs ConfigFromEnv and Setup on env, as the function's main does.
func setup(t *testing.T, env map[string]string, deps hostforward.Deps) (lambda.Handler, error) {
	t.Helper()
	cfg, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return hostforward.Setup(context.Background(), cfg, deps)
}

// TestSetup invokes the handler Setup returns as the Lambda runtime does,
// with an event's JSON: the app's answer comes back without HTML escaping,
// which the response-size check assumes.
func TestSetup(t *testing.T) {
	const page = "<p>Tom & Jerry</p>"
	app := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, page) })
	env := map[string]string{"UPSTREAM_URL": app.URL, "ALLOWED_HOSTS": "www.example.com", "ORIGIN_VERIFY_SECRETS": testSecret}
	h, err := setup(t, env, hostforward.Deps{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), fixtures.Must(t, "api-get.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode != 200 || resp.Body != page {
		t.Fatalf("got %s (%v), want status 200 and body %q", out, err, page)
	}
	if !bytes.Contains(out, []byte(page)) {
		t.Errorf("response %s escapes HTML, want %q as it is", out, page)
	}
}

// TestSetupStopsTheAppWhenSecretsFail: in the in-function mode the app is
// started before the secrets are read, so a failed read must stop it.
func TestSetupStopsTheAppWhenSecretsFail(t *testing.T) {
	missing := "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"
	env := map[string]string{
		"UPSTREAM_COMMAND":           "exec sleep 60",
		"LAMBDA_TASK_ROOT":           t.TempDir(),
		"UPSTREAM_URL":               "http://127.0.0.1:9", // nothing answers: the app never gets ready
		"ALLOWED_HOSTS":              "www.example.com",
		"UPSTREAM_VERIFY_SECRET_ARN": missing,
	}
	var logs bytes.Buffer
	_, err := setup(t, env, hostforward.Deps{Secrets: fakeSecrets{}, AppOutput: io.Discard, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if want := "read the secrets: UPSTREAM_VERIFY_SECRET_ARN: read secret " + missing; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got error %v, want it to contain %q", err, want)
	}
	var started struct {
		Msg string `json:"msg"`
		Pid int    `json:"pid"`
	}
	for line := range strings.Lines(logs.String()) {
		if json.Unmarshal([]byte(line), &started) == nil && started.Msg == "app started" {
			break
		}
	}
	if started.Pid == 0 {
		t.Fatalf("no app started in the log:\n%s", &logs)
	}
	if err := syscall.Kill(started.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the app (pid %d) after Setup failed: kill 0 gave %v, want it gone", started.Pid, err)
	}
}

// TestUnsupportedEvents: an integration wired to send another payload than
// HTTP API payload format 2.0 — a REST API, an HTTP API integration at 1.0,
// an Application Load Balancer — gets a Lambda error that names the shape
// and what the function serves, logged with its error_type, and the app is
// never called. Before, such events were refused as the viewer's fault
// (400 invalid method "", or a false 403 for an ALB's multi-value headers).
func TestUnsupportedEvents(t *testing.T) {
	tests := []struct {
		fixture string
		payload string // instead of a fixture
		want    string
	}{
		{fixture: "rest-api-v1.json", want: "unsupported event: an API Gateway REST API event (payload format 1.0); this function serves API Gateway HTTP API events of payload format 2.0"},
		{fixture: "http-api-v1.json", want: "unsupported event: an API Gateway HTTP API event of payload format 1.0; this function serves API Gateway HTTP API events of payload format 2.0: set the integration's PayloadFormatVersion to 2.0"},
		{fixture: "alb.json", want: "unsupported event: an Application Load Balancer event; this function serves API Gateway HTTP API events of payload format 2.0"},
		{fixture: "alb-multi-value.json", want: "unsupported event: an Application Load Balancer event with multi-value headers; this function serves API Gateway HTTP API events of payload format 2.0"},
		{payload: `{"key1": "value1"}`, want: "unsupported event: not an API Gateway HTTP API event (no version 2.0)"},
		{payload: `{"version": "2.0", `, want: "unsupported event: not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+tt.payload, func(t *testing.T) {
			app := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
			env := map[string]string{"UPSTREAM_URL": app.URL, "ALLOWED_HOSTS": "www.example.com", "ORIGIN_VERIFY_SECRETS": testSecret}
			var logs bytes.Buffer
			h, err := setup(t, env, hostforward.Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			payload := []byte(tt.payload)
			if tt.fixture != "" {
				payload = fixtures.Must(t, tt.fixture)
			}
			out, err := h.Invoke(context.Background(), payload)
			if _, ok := errors.AsType[*hostforward.UnsupportedEventError](err); !ok || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("got %s, error %T %v; want an *UnsupportedEventError starting %q", out, err, err, tt.want)
			}
			if got := app.got(); got != nil {
				t.Errorf("the app got %s %s, want no request", got.Method, got.RequestURI)
			}
			if got := logLine(t, &logs); got["error_type"] != "UnsupportedEventError" || got["error"] != err.Error() || got["level"] != "ERROR" {
				t.Errorf("log line %v, want level ERROR, error_type UnsupportedEventError and the error", got)
			}
		})
	}
}
