//go:build linux

package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// isolateAWS clears the AWS variables of the test's process and points the
// shared files at dir, so only what a case sets is there. Instance metadata,
// if anything asked it, is a server that counts the requests.
func isolateAWS(t *testing.T, dir string) *atomic.Int32 {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	var asked atomic.Int32
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		asked.Add(1)
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(imds.Close)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	return &asked
}

func TestAWSEnv(t *testing.T) {
	const profiles = `[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret
[dev]
aws_access_key_id = AKIDDEV
aws_secret_access_key = dev-secret
aws_session_token = dev-token
`
	tests := []struct {
		name            string
		shell           map[string]string // set in the environment
		files           bool              // write profiles
		profile, region string            // the flags
		want            []string
		wantNote        bool
	}{
		{name: "shell keys", shell: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDSHELL", "AWS_SECRET_ACCESS_KEY": "shell-secret", "AWS_SESSION_TOKEN": "shell-token", "AWS_REGION": "eu-west-3"},
			want: []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=eu-west-3", "AWS_ACCESS_KEY_ID=AKIDSHELL", "AWS_SECRET_ACCESS_KEY=shell-secret", "AWS_SESSION_TOKEN=shell-token"}},
		{name: "AWS_PROFILE resolved, its region", shell: map[string]string{"AWS_PROFILE": "dev"}, files: true,
			want: []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=eu-central-1", "AWS_ACCESS_KEY_ID=AKIDDEV", "AWS_SECRET_ACCESS_KEY=dev-secret", "AWS_SESSION_TOKEN=dev-token"}},
		{name: "--profile and --region", files: true, profile: "dev", region: "ap-south-1",
			want: []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_REGION=ap-south-1", "AWS_ACCESS_KEY_ID=AKIDDEV", "AWS_SECRET_ACCESS_KEY=dev-secret", "AWS_SESSION_TOKEN=dev-token"}},
		{name: "default profile, endpoints passed", files: true, shell: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "HOME": "/nowhere"},
			want: []string{"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=http://127.0.0.1:5000", "AWS_ACCESS_KEY_ID=AKIDDEFAULT", "AWS_SECRET_ACCESS_KEY=default-secret"}},
		{name: "none: said plainly, metadata never asked",
			want: []string{"AWS_EC2_METADATA_DISABLED=true"}, wantNote: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			asked := isolateAWS(t, dir)
			if tt.files {
				if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(profiles), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile dev]\nregion = eu-central-1\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tt.shell {
				t.Setenv(k, v)
			}
			var stderr bytes.Buffer
			got := awsEnv(context.Background(), os.Environ(), tt.profile, tt.region, &stderr)
			if !slices.Equal(got, tt.want) {
				t.Errorf("awsEnv =\n%q\nwant\n%q", got, tt.want)
			}
			if gotNote := strings.Contains(stderr.String(), noCredentials); gotNote != tt.wantNote {
				t.Errorf("stderr %q: note %t, want %t", stderr.String(), gotNote, tt.wantNote)
			}
			if n := asked.Load(); n != 0 {
				t.Errorf("instance metadata asked %d times, want never", n)
			}
		})
	}
}

// TestInvokeWithoutCredentials runs invalidate as a user without AWS
// credentials would: the function's CloudFront call fails at once with the
// SDK's "access disabled to EC2 IMDS", not after asking the metadata
// endpoint, and invoke says what to set.
func TestInvokeWithoutCredentials(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "make", "apt-get install make")
	isolateAWS(t, t.TempDir())
	t.Chdir(testenv.RepoRoot(t))
	var stdout, stderr bytes.Buffer
	args := []string{"InvalidateFunction", "-e", filepath.Join("sam", "fixtures", "s3-put.json"), "--env-vars", "sam/env.json"}
	if code := runInvoke(context.Background(), invokeEnv(&stdout, &stderr), args); code != 1 || !strings.Contains(stdout.String(), `"errorType"`) {
		t.Fatalf("exit status %d, stdout %q: want 1 and the function's error\n%s", code, stdout.String(), stderr.String())
	}
	if want := "access disabled to EC2 IMDS"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout %q, want the SDK's %q", stdout.String(), want)
	}
	if !strings.Contains(stderr.String(), noCredentials) {
		t.Errorf("stderr does not say what to set:\n%s", stderr.String())
	}
}
