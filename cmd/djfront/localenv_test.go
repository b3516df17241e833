package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string
		wantErr    []string // each in the error
	}{
		{name: "the forms", file: "# settings\n\nDATABASE_URL=postgres://u:p@127.0.0.1:5432/app?sslmode=disable\r\n" +
			"export DJANGO_DEBUG=1\n  SPACED = a b  \nDQ=\"x = 'y' # z\"\nSQ='$HOME'\nEMPTY=\nEQ=a=b\n",
			want: []string{"DATABASE_URL=postgres://u:p@127.0.0.1:5432/app?sslmode=disable", "DJANGO_DEBUG=1", "SPACED=a b",
				"DQ=x = 'y' # z", "SQ=$HOME", "EMPTY=", "EQ=a=b"}},
		{name: "no equals sign", file: "A=1\njust words\n", wantErr: []string{"env:2: want KEY=VALUE"}},
		{name: "bad names", file: "1A=x\nA-B=x\n=x\n", wantErr: []string{`env:1: the text before the first "=" is not a variable name (`, `env:2: the text`, `env:3: the text`}},
		{name: "name before a space or colon", file: "DATABASE_URL postgres://u:p@db/app?sslmode=require\nKEY: a=b\n",
			wantErr: []string{`env:1: the text before the first "=" is not a variable name (letters, digits and _, not first a digit) ("=" missing after DATABASE_URL?);`, "env:2: the text before the first \"=\" is not a variable name (letters, digits and _, not first a digit) (\"=\" missing after KEY?);"}},
		{name: "twice", file: "A=1\nA=2\n", wantErr: []string{"env:2: A is set twice"}},
		{name: "reserved by Lambda", file: "_HANDLER=x\nLAMBDA_TASK_ROOT=/x\nTZ=UTC\n", wantErr: []string{"env:1: _HANDLER is reserved", "env:2: LAMBDA_TASK_ROOT", "env:3: TZ"}},
		{name: "AWS_", file: "AWS_PROFILE=prod\nAWS_ENDPOINT_URL=http://x\n", wantErr: []string{"env:1: AWS_PROFILE: the local stack is AWS here", "env:2: AWS_ENDPOINT_URL"}},
		{name: "unbalanced quote, value not echoed", file: "SECRET=\"hunter2\nQ='\n", wantErr: []string{"env:1: SECRET: unbalanced \" quote", "env:2: Q: unbalanced '"}},
		{name: "NUL", file: "A=1\x00\n", wantErr: []string{"env: holds a NUL byte"}},
		{name: "not UTF-8", file: "A=\xff\n", wantErr: []string{"env: not UTF-8 text"}},
		{name: "too large", file: "A=" + strings.Repeat("x", maxEnvFile), wantErr: []string{"env: larger than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnvFile([]byte(tt.file), "env")
			if tt.wantErr == nil {
				if err != nil || !slices.Equal(got, tt.want) {
					t.Errorf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, no error; want %q", got, tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows a value", err)
			}
		})
	}
}

func TestShellEnv(t *testing.T) {
	got := shellEnv([]string{"HOME=/home/u", "DATABASE_URL=postgres://x", "DJANGO_DEBUG=1", "AWS_PROFILE=prod",
		"AWS_ACCESS_KEY_ID=AKIA", "PATH=/usr/bin", "PYTHONHOME=/x", "PYTHONPATH=/src", "TZ=Europe/Paris",
		"GUNICORN_CMD_ARGS=--workers 9", "FORWARDED_ALLOW_IPS=*", "_HANDLER=x"})
	want := []string{"HOME=/home/u", "DATABASE_URL=postgres://x", "DJANGO_DEBUG=1", "PYTHONPATH=/src"}
	if !slices.Equal(got, want) {
		t.Errorf("shellEnv = %q, want %q", got, want)
	}
}

// TestParseEnvFileNeverShowsValues (review of issue 16): parseEnvFile's
// contract is to name a bad line "but never a value (it may be a secret)".
// A line whose first "=" falls inside the value — a forgotten "=", a
// YAML-style "KEY: value", a JSON credentials file given by mistake — makes
// everything before that "=" the "name", which the error quotes in full.
func TestParseEnvFileNeverShowsValues(t *testing.T) {
	for _, tt := range []struct{ name, file string }{
		{"forgotten equals sign", "DATABASE_URL postgres://app:hunter2@db.example/app?sslmode=require\n"},
		{"YAML style", "DATABASE_URL: postgres://app:hunter2@db/app?x=y\n"},
		{"JSON file", `{"private_key": "-----BEGIN PRIVATE KEY-----hunter2AAAA=="}` + "\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseEnvFile([]byte(tt.file), "env")
			if err == nil {
				t.Fatal("got no error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the value", err)
			}
		})
	}
}
