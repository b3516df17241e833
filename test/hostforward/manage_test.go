package hostforward_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/manageapi"
)

// roleSecret stands for the execution role's AWS_SECRET_ACCESS_KEY, which
// Lambda puts in the function's environment.
const roleSecret = "role-secret-access-key-not-for-anyone"

// TestManagementInFunction runs the built hostforward with Django inside
// it and attacks its management invocation as the issue 18 finding did: a
// caller allowed lambda:InvokeFunction on the function, an asynchronous
// invocation, a command that prints the settings. Each is refused, says
// why, and runs nothing; what runs is logged with who asked and its
// arguments, secrets masked.
func TestManagementInFunction(t *testing.T) {
	testenv.Integration(t)
	f := startInFunction(t, prepareDjango(t, pyenv.Django{}), gunicorn, 20*time.Second, "AWS_SECRET_ACCESS_KEY="+roleSecret)

	t.Run("the function alone does not manage: shell on the unqualified function", func(t *testing.T) {
		payload, _ := manageapi.Encode([]string{"shell", "-c", "import os;print(os.environ['AWS_SECRET_ACCESS_KEY'])"})
		res, err := f.fn.InvokeWith(t.Context(), payload, runtimeapi.InvokeOptions{ClientContext: manageapi.ClientContext("attacker")})
		if err != nil {
			t.Fatal(err)
		}
		if res.Error == nil || res.Error.Type != "ManageRefusedError" || !strings.Contains(res.Error.Message, `not through the alias "manage"`) {
			t.Errorf("got %s %v, want a ManageRefusedError naming the alias", res.Payload, res.Error)
		}
		if strings.Contains(string(res.Payload)+f.logs.String(), roleSecret) {
			t.Error("the role's secret key came out")
		}
	})

	djfront := djfrontCLI(t, f.fn)
	for _, tt := range []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"diffsettings is not allowed", []string{"manage", "--", "diffsettings"}, 2,
			`function error ManageRefusedError: management invocation refused: command "diffsettings" is not allowed; allowed: migrate, collectstatic, createsuperuser, check, showmigrations`},
		{"shell is not allowed", []string{"manage", "--", "shell", "-c", "print(1)"}, 2, `command "shell" is not allowed`},
		{"no password on the command line", []string{"manage", "--", "createsuperuser", "--noinput", "--username", "x", "--password", "hunter2"}, 2,
			"createsuperuser takes no password on the command line"},
		{"not through the alias", []string{"manage", "--qualifier", "$LATEST", "--", "migrate"}, 2, `not through the alias "manage"`},
		{"an alias the function lacks", []string{"manage", "--qualifier", "live", "--", "migrate"}, 2, "ResourceNotFoundException"},
		{"an allowed command runs", []string{"manage", "--", "showmigrations", "--database", "default", "--api-key=k3y", "auth"}, 2,
			"unrecognized arguments: --api-key=k3y"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, code := djfront(tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.want) {
				t.Errorf("djfront %s: exit %d, output %q; want exit %d and %q", strings.Join(tt.args, " "), code, out, tt.wantCode, tt.want)
			}
		})
	}

	t.Run("the log says who asked and what, secrets masked", func(t *testing.T) {
		line := logLine(t, f.logs.String(), `"command":"showmigrations"`)
		got, _ := json.Marshal(map[string]any{"msg": line["msg"], "caller": line["caller"], "args": line["args"], "exit_code": line["exit_code"]})
		want := `{"args":["showmigrations","--database","default","--api-key=***","auth"],` +
			`"caller":{"claimed_user":"operator","invoked_function_arn":"arn:aws:lambda:us-east-1:123456789012:function:hostforward:manage"},` +
			`"exit_code":2,"msg":"manage"}`
		if string(got) != want {
			t.Errorf("log line\ngot  %s\nwant %s", got, want)
		}
		for _, secret := range []string{"hunter2", "k3y"} {
			if strings.Contains(f.logs.String(), secret) {
				t.Errorf("the logs show %q", secret)
			}
		}
	})

	t.Run("asynchronous invocations are refused", func(t *testing.T) {
		api := httptest.NewServer(f.fn)
		t.Cleanup(api.Close)
		req, _ := http.NewRequest("POST", api.URL+"/2015-03-31/functions/hostforward:manage/invocations", strings.NewReader(`{"manage":["migrate"]}`))
		req.Header.Set("X-Amz-Invocation-Type", "Event")
		req.Header.Set("X-Amz-Client-Context", base64.StdEncoding.EncodeToString(manageapi.ClientContext("attacker")))
		resp, err := api.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("X-Amzn-Requestid")
		if resp.StatusCode != http.StatusAccepted || id == "" {
			t.Fatalf("got %d with request id %q, want 202 and an id", resp.StatusCode, id)
		}
		marker := `"request_id":"` + id + `"`
		for deadline := time.Now().Add(15 * time.Second); !strings.Contains(f.logs.String(), marker); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no log line of request %s:\n%s", id, f.logs)
			}
		}
		line := logLine(t, f.logs.String(), marker)
		if line["msg"] != "manage refused" || !strings.Contains(line["reason"].(string), "runs only in a synchronous invocation") {
			t.Errorf("log line %v, want the invocation refused as asynchronous", line)
		}
	})
}

// logLine returns the last JSON log line in logs that contains marker.
func logLine(t *testing.T, logs, marker string) map[string]any {
	t.Helper()
	var found string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, marker) {
			found = l
		}
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(found), &line); err != nil {
		t.Fatalf("no JSON log line with %s (%v):\n%s", marker, err, logs)
	}
	return line
}
