package template_test

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/manageapi"
	"github.com/djfront/djfront/sam/fixtures"
)

// TestLayerInFunction starts AppFunction as the template configures it
// (its environment, the layer's wrapper, its CodeUri packaged as sam build
// packages it as the task root) under the stand-in Python runtime bootstrap:
// hostforward starts the example Django app with the template's
// UPSTREAM_COMMAND, answers an API Gateway event from it, and runs a
// management invocation through the template's manage alias, under the
// template's MANAGE_ALLOW; the Python runtime client never starts.
func TestLayerInFunction(t *testing.T) {
	testenv.Integration(t)
	testenv.Python(t, "django", "gunicorn")
	opt := filepath.Join(t.TempDir(), "opt")
	buildLayer(t, opt, runtime.GOARCH)

	codeURI, _ := at(t, rawTemplate(t), "Resources.AppFunction.Properties.CodeUri").(string)
	task := packageCodeURI(t, filepath.Join(testenv.RepoRoot(t), codeURI))
	vars := at(t, deploy(t, translate(t, inFunction), inFunction), "Resources.AppFunction.Properties.Environment.Variables").(map[string]any)
	wrapper, _ := vars["AWS_LAMBDA_EXEC_WRAPPER"].(string)
	// The template's string values (a Ref or GetAtt, the *_SECRET_ARN
	// ones among them, has no value outside a deployed stack and is left
	// out), then this test's in their place: each variable the template
	// leaves empty for local runs (ORIGIN_VERIFY_SECRETS, DJANGO_SECRET_KEY,
	// DATABASE_URL) is set once, to the test's value.
	env := map[string]string{}
	for name, v := range vars {
		if s, ok := v.(string); ok {
			env[name] = s
		}
	}
	maps.Copy(env, map[string]string{
		// /opt/djfront-wrapper, in this test's /opt.
		"AWS_LAMBDA_EXEC_WRAPPER": filepath.Join(opt, strings.TrimPrefix(wrapper, "/opt/")),
		"LAMBDA_TASK_ROOT":        task,
		"PATH":                    pyenv.FunctionPath(), // the environment's python3 (Lambda's is /var/lang/bin/python3)
		"PYTHONDONTWRITEBYTECODE": "1",
		"ALLOWED_HOSTS":           "www.example.com",
		"DJFRONT_HOSTS":           "www.example.com",
		"ORIGIN_VERIFY_SECRETS":   "local-only-not-a-secret",
		"DJANGO_SECRET_KEY":       "test-only-" + strings.Repeat("k", 50),
		"DATABASE_URL":            "sqlite:///" + filepath.Join(t.TempDir(), "db.sqlite3"),
	})
	var environ []string
	for _, name := range slices.Sorted(maps.Keys(env)) {
		environ = append(environ, name+"="+env[name])
	}
	runtimeDir := filepath.Join(t.TempDir(), "runtime")
	copyRuntime(t, runtimeDir)
	logs := childproc.NewTail(childproc.DefaultTailSize)
	alias := at(t, rawTemplate(t), "Resources.ManageAlias.Properties.Name").(string)
	srv, err := runtimeapi.Start(t.Context(), runtimeapi.Function{
		Name: "AppFunction", Binary: filepath.Join(runtimeDir, "bootstrap"),
		Env: environ, Timeout: 60 * time.Second, Logs: logs, Aliases: []string{alias},
	})
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs)
	}
	defer srv.Close()

	res, err := srv.Invoke(t.Context(), fixtures.Must(t, "api-get.json"))
	if err != nil || res.Error != nil {
		t.Fatalf("invoke: %v %v\n%s", err, res.Error, logs)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatal(err)
	}
	var who djangoserver.Whoami
	if err := json.Unmarshal([]byte(resp.Body), &who); err != nil || resp.StatusCode != 200 || who.Host != "www.example.com" || !who.Secure {
		t.Errorf("got %d %s, want 200 from Django for https://www.example.com\n%s", resp.StatusCode, resp.Body, logs)
	}

	// As djfront manage invokes it: through the template's alias,
	// synchronously, with its client context.
	res, err = srv.InvokeWith(t.Context(), fixtures.Must(t, "manage-migrate.json"),
		runtimeapi.InvokeOptions{Qualifier: alias, ClientContext: manageapi.ClientContext("")})
	if err != nil || res.Error != nil {
		t.Fatalf("manage: %v %v\n%s", err, res.Error, logs)
	}
	var manage struct {
		ExitCode int    `json:"exitCode"`
		Output   string `json:"output"`
	}
	if err := json.Unmarshal(res.Payload, &manage); err != nil || manage.ExitCode != 0 || !strings.Contains(manage.Output, "Applying") {
		t.Errorf("migrate: %s", res.Payload)
	}
	if _, marked := readMark(t, filepath.Join(runtimeDir, "runtime-client-started")); marked {
		t.Error("the Python runtime client ran")
	}
}
