package dispatch

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestMaskArgs(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	many := make([]string, maxLoggedArgs+3)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"nothing secret", []string{"migrate", "app", "0002", "--database", "default", "--plan"},
			[]string{"migrate", "app", "0002", "--database", "default", "--plan"}},
		{"option with its value after =", []string{"x", "--password=hunter2", "--secret-key=a=b", "--token="},
			[]string{"x", "--password=***", "--secret-key=***", "--token=***"}},
		{"option with its value next", []string{"x", "--password", "hunter2", "--api_key", "k"},
			[]string{"x", "--password", "***", "--api_key", "***"}},
		{"a secret value argparse takes though it starts with -", []string{"x", "--password", "-12345", "--token", "-.5"},
			[]string{"x", "--password", "***", "--token", "***"}},
		{"a secret option followed by another option", []string{"x", "--password", "--noinput"},
			[]string{"x", "--password", "--noinput"}},
		{"variable assignments", []string{"x", "DB_PASSWORD=pw", "awsSecretAccessKey=k", "AUTH=t", "author=me", "DEBUG=1"},
			[]string{"x", "DB_PASSWORD=***", "awsSecretAccessKey=***", "AUTH=***", "author=me", "DEBUG=1"}},
		{"URL passwords anywhere", []string{"x", "--database-url=postgres://u:p%40ss@h:5432/db", "redis://:pw@cache/0 and mysql://a:b/c@d/e"},
			[]string{"x", "--database-url=postgres://u:***@h:5432/db", "redis://:***@cache/0 and mysql://a:***@d/e"}},
		{"URL password holding @, as Python's urlsplit reads it (the last @ ends it)", []string{"x", "--database-url=postgres://u:p@ss@h/db"},
			[]string{"x", "--database-url=postgres://u:***@h/db"}},
		{"password in a URL's query", []string{"x", "postgres://h/db?sslmode=require&password=s3cret", "DATABASE_URL=mysql://h/db?PASSWORD=pw#x"},
			[]string{"x", "postgres://h/db?sslmode=require&password=***", "DATABASE_URL=mysql://h/db?PASSWORD=***#x"}},
		{"URL without a password", []string{"x", "https://user@example.com/a:b", "postgres://h/db"},
			[]string{"x", "https://user@example.com/a:b", "postgres://h/db"}},
		{"code is not an assignment", []string{"shell", "-c", "password = 'x'; key=1"},
			[]string{"shell", "-c", "password = 'x'; key=1"}},
		{"long argument cut at a character", []string{"x", long},
			[]string{"x", strings.Repeat("é", 128) + "…[144 more bytes]"}},
		{"many arguments", many, append(many[:maxLoggedArgs:maxLoggedArgs], "…[3 more arguments]")},
		{"none", []string{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maskArgs(tt.args); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("maskArgs(%q)\ngot  %q\nwant %q", tt.args, got, tt.want)
			}
		})
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"--password": true, "--passwd": true, "PGPASSWORD": true, "--secret-key": true, "SECRET_KEY": true,
		"--token": true, "GITHUB_TOKEN": true, "--key": true, "--api-key": true, "x-api-key": true,
		"--auth": true, "AWS_SECRET_ACCESS_KEY": true, "--credentials": true, "--private_key": true,
		"--database": false, "--username": false, "--email": false, "--noinput": false, "author": false,
		"--keep": false, "DEBUG": false, "--settings": false, "--pks": false,
		// What argparse takes for --password, --secret-key, --token: an option's abbreviation.
		"--passw": true, "--passwor": true, "--secr": true, "--secret-k": true, "--toke": true, "--cred": true,
		"--to": false, "--sec": false, "--author": false, "PASSW": false,
	} {
		if got := secretName(name); got != want {
			t.Errorf("secretName(%q) = %t, want %t", name, got, want)
		}
	}
}
