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
