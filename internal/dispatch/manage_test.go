package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/dispatch"
	"github.com/djfront/djfront/internal/manageapi"
)

// marker is the client context custom map of a synchronous management
// invocation.
var marker = map[string]string{manageapi.MarkerKey: manageapi.MarkerValue}

// TestManageGate runs management invocations past the checks: the grant
// (invoked through the alias), the invocation type (the client context only
// a synchronous invocation carries), the allow-list and the arguments. A
// refused one never reaches the command and is a ManageRefusedError saying
// why and what to do.
func TestManageGate(t *testing.T) {
	unqualified := strings.TrimSuffix(aliasARN, ":manage")
	tests := []struct {
		name  string
		ctx   context.Context
		allow []string // nil: the default
		args  []string
		want  string // part of the refusal; "" runs
	}{
		// The finding: InvokeFunction on the function ran any command.
		{name: "shell on the unqualified function", ctx: invokedAs(unqualified, marker),
			args: []string{"shell", "-c", "import os;print(os.environ['AWS_SECRET_ACCESS_KEY'])"},
			want: `invoked as "` + unqualified + `", not through the alias "manage"`},
		{name: "migrate on the unqualified function", ctx: invokedAs(unqualified, marker), args: []string{"migrate"},
			want: "invoke FUNCTION:manage"},
		{name: "$LATEST", ctx: invokedAs(unqualified+":$LATEST", marker), args: []string{"migrate"}, want: "not through the alias"},
		{name: "another alias", ctx: invokedAs(unqualified+":live", marker), args: []string{"migrate"}, want: "not through the alias"},
		{name: "a version", ctx: invokedAs(unqualified+":3", marker), args: []string{"migrate"}, want: "not through the alias"},
		{name: "outside Lambda", ctx: context.Background(), args: []string{"migrate"}, want: "no Lambda invocation context"},
		// Asynchronous: Lambda drops the client context.
		{name: "no client context", ctx: invokedAs(aliasARN, nil), args: []string{"migrate"},
			want: "runs only in a synchronous invocation (InvocationType RequestResponse)"},
		{name: "wrong marker", ctx: invokedAs(aliasARN, map[string]string{manageapi.MarkerKey: "yes"}), args: []string{"migrate"},
			want: "no djfront-manage marker"},
		// The allow-list.
		{name: "shell not allowed", args: []string{"shell", "-c", "print(1)"},
			want: `command "shell" is not allowed; allowed: migrate, collectstatic, createsuperuser, check, showmigrations (the function's MANAGE_ALLOW`},
		{name: "diffsettings not allowed", args: []string{"diffsettings"}, want: `command "diffsettings" is not allowed`},
		{name: "dbshell not allowed", args: []string{"dbshell"}, want: `command "dbshell" is not allowed`},
		{name: "unknown command", args: []string{"nosuchcommand", "--flag"}, want: `command "nosuchcommand" is not allowed; allowed: migrate,`},
		{name: "no command", args: []string{}, want: "the first argument must be a command name, one of: migrate, collectstatic"},
		{name: "an option first", args: []string{"--version"}, want: "the first argument must be a command name"},
		{name: "management off", allow: []string{}, args: []string{"migrate"}, want: "management is off (MANAGE_ALLOW=none)"},
		{name: "shell when allowed", allow: []string{"migrate", "shell"}, args: []string{"shell", "-c", "print(1)"}},
		{name: "each default command", args: []string{"showmigrations", "--list"}},
		// Arguments.
		{name: "--settings", args: []string{"migrate", "--settings=evil"}, want: "option --settings is refused"},
		{name: "--pythonpath", args: []string{"check", "--pythonpath", "/tmp"}, want: "option --pythonpath is refused"},
		{name: "--pythonpath abbreviated", args: []string{"check", "--pyth=/tmp"}, want: "option --pyth is refused"},
		{name: "--settings abbreviated", args: []string{"check", "--sett", "x"}, want: "option --sett is refused"},
		{name: "a longer option is not --settings", args: []string{"migrate", "--settingsx"}},
		{name: "createsuperuser with --password", args: []string{"createsuperuser", "--username", "admin", "--password", "hunter2"},
			want: "createsuperuser takes no password on the command line"},
		{name: "createsuperuser with --password=", args: []string{"createsuperuser", "--password=hunter2"},
			want: "run createsuperuser --noinput, which takes DJANGO_SUPERUSER_PASSWORD"},
		{name: "createsuperuser with --password abbreviated", args: []string{"createsuperuser", "--noinput", "--passw=hunter2"},
			want: "createsuperuser takes no password on the command line"},
		{name: "createsuperuser --noinput", args: []string{"createsuperuser", "--noinput", "--username", "admin", "--email", "a@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorded
			var logs bytes.Buffer
			ctx := tt.ctx
			if ctx == nil {
				ctx = viaDjfrontManage()
			}
			payload, _ := manageapi.Encode(tt.args)
			_, err := newHandler(&rec, childproc.Result{}, nil, 100, tt.allow, &logs).Handle(ctx, payload)
			if tt.want == "" {
				if err != nil || !reflect.DeepEqual(rec.manage, tt.args) {
					t.Errorf("got %v, ran %q; want %q run", err, rec.manage, tt.args)
				}
				return
			}
			var refused *dispatch.ManageRefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a ManageRefusedError containing %q", err, tt.want)
			}
			if rec.manage != nil {
				t.Errorf("the refused command ran: %q", rec.manage)
			}
			if line := logLine(t, &logs); line["msg"] != "manage refused" || line["reason"] != refused.Reason {
				t.Errorf("log %v, want one line \"manage refused\" with the reason", line)
			}
		})
	}
}

// TestManageLog checks the log line of a management invocation: who asked
// (what the invocation tells), the command and every argument with its
// secrets masked, and the outcome; a refused invocation is logged the same
// way.
func TestManageLog(t *testing.T) {
	args := []string{"shell", "-c", "import x", "--password", "hunter2", "--api-key=k3y",
		"DB_PASSWORD=s3cr3t", "postgres://app:pa55@db.internal/app", "--database", "default"}
	wantArgs := []any{"shell", "-c", "import x", "--password", "***", "--api-key=***",
		"DB_PASSWORD=***", "postgres://app:***@db.internal/app", "--database", "default"}
	for _, tt := range []struct {
		name    string
		allow   []string
		wantMsg string
	}{
		{"ran", []string{"shell"}, "manage"},
		{"refused", nil, "manage refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorded
			var logs bytes.Buffer
			payload, _ := manageapi.Encode(args)
			newHandler(&rec, childproc.Result{ExitCode: 3, Output: "x"}, nil, 100, tt.allow, &logs).Handle(viaDjfrontManage(), payload)
			for _, secret := range []string{"hunter2", "k3y", "s3cr3t", "pa55"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the log shows %q:\n%s", secret, logs.String())
				}
			}
			line := logLine(t, &logs)
			got := map[string]any{"msg": line["msg"], "request_id": line["request_id"], "caller": line["caller"],
				"command": line["command"], "args": line["args"]}
			want := map[string]any{"msg": tt.wantMsg, "request_id": "c6af9ac6-7b61-11e6-9a41-93e812345678",
				"caller": map[string]any{"invoked_function_arn": aliasARN, "claimed_user": "alice"}, "command": "shell", "args": wantArgs}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("log line\ngot  %v\nwant %v", got, want)
			}
			if tt.wantMsg == "manage" && line["exit_code"] != 3.0 {
				t.Errorf("exit_code %v, want 3", line["exit_code"])
			}
		})
	}
}

// logLine decodes the one JSON line in logs.
func logLine(t *testing.T, logs *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1:\n%s", len(lines), logs.String())
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
		t.Fatal(err)
	}
	return line
}
