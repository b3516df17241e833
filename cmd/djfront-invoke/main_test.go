package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want options
		err  string
	}{
		{"SAM order, long flags", []string{"HostForwardFunction", "-e", "ev.json", "--env-vars", "env.json"},
			options{function: "HostForwardFunction", event: "ev.json", envVars: "env.json"}, ""},
		{"flags first, short forms", []string{"-t", "t.yaml", "-n", "env.json", "--no-event", "Fn"},
			options{function: "Fn", template: "t.yaml", envVars: "env.json", noEvent: true}, ""},
		{"no function", []string{"--event=-"}, options{event: "-"}, ""},
		{"two functions", []string{"A", "B"}, options{}, "one function at a time"},
		{"no-event with event", []string{"Fn", "--no-event", "-e", "x"}, options{}, "exclude each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.args, &bytes.Buffer{})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestParameterOverrides(t *testing.T) {
	got, err := parameterOverrides("ParameterKey=DomainName,ParameterValue=www.example.com Prefix=static")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"DomainName": "www.example.com", "Prefix": "static"}; !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"ParameterKey=A", "=x", "novalue"} {
		if _, err := parameterOverrides(bad); err == nil {
			t.Errorf("%q: got no error", bad)
		}
	}
}

// TestInvoke runs the command as a user would, from the repository root:
// hostforward built from template.yaml with sam/env.json, on the fixtures.
func TestInvoke(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	t.Chdir(testenv.RepoRoot(t))
	for _, tt := range []struct {
		fixture string
		status  int
		body    string
	}{
		{"api-direct.json", 403, "did not come through the CloudFront distribution"},
		{"api-foreign-host.json", 400, "not in ALLOWED_HOSTS"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := []string{"HostForwardFunction", "-e", filepath.Join("sam", "fixtures", tt.fixture), "--env-vars", "sam/env.json"}
			if err := run(context.Background(), args, os.Stdin, &stdout, &stderr); err != nil {
				t.Fatalf("run: %v\n%s", err, stderr.String())
			}
			var resp struct {
				StatusCode int    `json:"statusCode"`
				Body       string `json:"body"`
			}
			if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
				t.Fatalf("stdout %q: %v", stdout.String(), err)
			}
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.body) {
				t.Errorf("got %d %q, want %d with %q", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
			if !strings.Contains(stderr.String(), "REPORT RequestId:") {
				t.Errorf("stderr has no REPORT line (the function's logs):\n%s", stderr.String())
			}
		})
	}
}
