package template_test

import (
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/sam/fixtures"
)

// layerTarget is the Makefile target `sam build` runs for the template's
// HostForwardLayer (Metadata BuildMethod makefile).
const layerTarget = "build-HostForwardLayer"

// layerFiles lists what the built layer holds, as Lambda unpacks it at /opt:
// path → whether it is the Go binary (else a shell script). All executable.
// No extension: hostforward registers its own internal one so that Lambda
// sends it SIGTERM at shutdown (aws-lambda-go's WithEnableSIGTERM).
var layerFiles = map[string]bool{
	"djfront-wrapper":     false, // AWS_LAMBDA_EXEC_WRAPPER=/opt/djfront-wrapper
	"djfront/hostforward": true,
}

// buildLayer runs `make build-HostForwardLayer ARTIFACTS_DIR=dir` in the
// repository root as `sam build` does. With goarch set, the Makefile's GO
// variable makes the binary for that architecture (as internal/local/samlocal does
// for the functions), so it runs on this machine.
func buildLayer(t *testing.T, dir, goarch string) {
	t.Helper()
	makeCmd := testenv.RequireCommand(t, "make", "apt-get install make")
	goCmd := testenv.RequireCommand(t, "go", "install Go (see go.mod for the version)")
	args := []string{"--no-print-directory", layerTarget, "ARTIFACTS_DIR=" + dir}
	if goarch != "" {
		args = append(args, "GO=env GOARCH="+goarch+" "+goCmd)
	}
	cmd := exec.Command(makeCmd, args...)
	cmd.Dir = testenv.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", layerTarget, err, out)
	}
}

// TestLayerBuild builds the layer as `sam build` does and checks what Lambda
// will find in /opt: the wrapper and hostforward as a static arm64
// executable, both executable (Lambda runs the wrapper as it is), nothing
// else (an executable in /opt/extensions would be started as an extension).
func TestLayerBuild(t *testing.T) {
	testenv.Integration(t)
	dir := filepath.Join(t.TempDir(), "opt")
	buildLayer(t, dir, "")

	var found []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			found = append(found, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != len(layerFiles) {
		t.Errorf("got files %q, want exactly %d: %v", found, len(layerFiles), layerFiles)
	}
	for name, binary := range layerFiles {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm()&0o111 != 0o111 {
				t.Errorf("mode %v, want executable by all", info.Mode())
			}
			if !binary {
				head, _ := os.ReadFile(path)
				if !strings.HasPrefix(string(head), "#!/bin/sh\n") {
					t.Errorf("want a /bin/sh script, got %.40q", head)
				}
				return
			}
			bin, err := elf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer bin.Close()
			if bin.Machine != elf.EM_AARCH64 {
				t.Errorf("built for %v, want %v", bin.Machine, elf.EM_AARCH64)
			}
			if bin.Type != elf.ET_EXEC {
				t.Errorf("a %v, want a static executable (%v)", bin.Type, elf.ET_EXEC)
			}
		})
	}
}

// TestLayerHandOver starts a function the way the managed Python runtime
// does when AWS_LAMBDA_EXEC_WRAPPER is set, with the layer built for this
// machine: the runtime server runs testdata/python-runtime/bootstrap (a
// stand-in for /var/runtime/bootstrap), which execs the wrapper with the
// runtime client's command as arguments. That "runtime client" fails loudly
// and leaves a mark if it ever runs. The layer's wrapper must hand over to
// hostforward, which answers an API Gateway event from its upstream; the
// controls show that a wrapper which runs its arguments, or none at all,
// would be caught.
func TestLayerHandOver(t *testing.T) {
	testenv.Integration(t)
	testenv.RequireCommand(t, "bash", "apt-get install bash")
	// Spaces in both paths: the scripts must quote what they are given.
	opt := filepath.Join(t.TempDir(), "opt dir")
	buildLayer(t, opt, runtime.GOARCH)

	event := fixtures.Must(t, "api-get.json")
	passThrough := filepath.Join(t.TempDir(), "pass-through")
	if err := os.WriteFile(passThrough, []byte("#!/bin/sh\nexec \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		wrapper   string // AWS_LAMBDA_EXEC_WRAPPER, "" for none
		handsOver bool
	}{
		{"the layer's wrapper", filepath.Join(opt, "djfront-wrapper"), true},
		{"control: a wrapper that runs its arguments", passThrough, false},
		{"control: no wrapper", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtimeDir := filepath.Join(t.TempDir(), "var runtime")
			copyRuntime(t, runtimeDir)
			mark := filepath.Join(runtimeDir, "runtime-client-started")

			var (
				mu  sync.Mutex
				got *http.Request
			)
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = r.Clone(context.Background())
				mu.Unlock()
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				io.WriteString(w, "from the app")
			}))
			defer upstream.Close()

			logs := childproc.NewTail(childproc.DefaultTailSize)
			env := []string{
				"UPSTREAM_URL=" + upstream.URL,
				"ALLOWED_HOSTS=www.example.com",
				"ORIGIN_VERIFY_SECRETS=local-only-not-a-secret", // as in sam/fixtures
			}
			if tt.wrapper != "" {
				env = append(env, "AWS_LAMBDA_EXEC_WRAPPER="+tt.wrapper)
			}
			srv, err := runtimeapi.Start(t.Context(), runtimeapi.Function{
				Name:    "AppFunction",
				Binary:  filepath.Join(runtimeDir, "bootstrap"),
				Env:     env,
				Timeout: 10 * time.Second,
				Logs:    logs,
			})
			mark, marked := readMark(t, mark)

			if !tt.handsOver {
				var fe *runtimeapi.FunctionError
				if err == nil || !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" {
					t.Errorf("got start error %v, want the runtime client's Runtime.ExitError", err)
				}
				if !marked || !strings.HasSuffix(mark, "/bootstrap.py\n") {
					t.Errorf("got runtime client mark %q (present %v), want it run with .../bootstrap.py", mark, marked)
				}
				if srv != nil {
					srv.Close()
				}
				return
			}

			if err != nil {
				t.Fatalf("start: %v\nlogs:\n%s", err, logs)
			}
			defer srv.Close()
			res, err := srv.Invoke(t.Context(), event)
			if err != nil || res.Error != nil {
				t.Fatalf("invoke: %v %v\nlogs:\n%s", err, res.Error, logs)
			}
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(res.Payload, &resp); err != nil {
				t.Fatalf("response %s: %v", res.Payload, err)
			}
			if resp.StatusCode != http.StatusOK || resp.Body != "from the app" {
				t.Errorf("got %d %q, want 200 %q\nlogs:\n%s", resp.StatusCode, resp.Body, "from the app", logs)
			}
			mu.Lock()
			defer mu.Unlock()
			if got == nil {
				t.Fatal("the upstream got no request")
			}
			const wantPath = "/whoami/caf%C3%A9%20(1)+x" // the event's rawPath, minimally re-encoded
			if got.Host != "www.example.com" || got.URL.EscapedPath() != wantPath {
				t.Errorf("upstream got Host %q path %q, want www.example.com %s", got.Host, got.URL.EscapedPath(), wantPath)
			}
			if _, marked := readMark(t, filepath.Join(runtimeDir, "runtime-client-started")); marked {
				t.Error("the Python runtime client ran: the wrapper did not hand over")
			}
		})
	}
}

// copyRuntime copies testdata/python-runtime (the runtime's bootstrap and
// client stand-ins) into dir, so the client's mark lands in a fresh place.
func copyRuntime(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bootstrap", "python3.12"} {
		b, err := os.ReadFile(filepath.Join("testdata", "python-runtime", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// readMark returns the content of the runtime client's mark file and
// whether it exists.
func readMark(t *testing.T, path string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}
