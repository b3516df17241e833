package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/djfront/djfront/internal/childproc"
)

// builds holds BuildBootstrap's builds, one per package per test process.
var builds struct {
	mu   sync.Mutex
	pkgs map[string]*build
}

type build struct {
	once sync.Once
	path string
	err  string // the failure, with the compiler's output
}

// BuildBootstrap builds the Lambda function in pkg, a module-relative package
// path such as "./functions/hostforward", as Lambda binaries are built
// (CGO_ENABLED=0, -tags lambda.norpc) but for the host's GOOS and GOARCH, and
// returns the path of the executable, named bootstrap. It builds each package
// once per test process; the binary lives in the user cache directory (one
// per checkout and package, replaced atomically), so it outlasts the test
// that asked for it, runs of the tests do not pile up copies, and tests of
// two checkouts running at once never run each other's binary.
func BuildBootstrap(tb testing.TB, pkg string) string {
	tb.Helper()
	builds.mu.Lock()
	if builds.pkgs == nil {
		builds.pkgs = map[string]*build{}
	}
	b := builds.pkgs[pkg]
	if b == nil {
		b = &build{}
		builds.pkgs[pkg] = b
	}
	builds.mu.Unlock()

	goCmd := RequireCommand(tb, "go", "install Go (see go.mod for the version)")
	b.once.Do(func() { b.path, b.err = buildBootstrap(goCmd, RepoRoot(tb), pkg) })
	if b.err != "" {
		tb.Fatal(b.err)
	}
	return b.path
}

func buildBootstrap(goCmd, root, pkg string) (path, failure string) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	name := strings.Trim(strings.NewReplacer("/", "-", ".", "").Replace(filepath.ToSlash(pkg)), "-")
	checkout := sha256.Sum256([]byte(root))
	dir := filepath.Join(cache, "djfront", "bootstrap", runtime.GOOS+"_"+runtime.GOARCH,
		hex.EncodeToString(checkout[:6]), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "build " + pkg + ": " + err.Error()
	}
	tmp, err := os.CreateTemp(dir, "bootstrap-*.tmp")
	if err != nil {
		return "", "build " + pkg + ": " + err.Error()
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // left only if the build or the rename failed

	cmd := exec.Command(goCmd, "build", "-tags", "lambda.norpc", "-o", tmp.Name(), pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	res, err := childproc.Run(context.Background(), cmd, 1<<20)
	if err != nil {
		return "", "go build " + pkg + ": " + err.Error()
	}
	if res.ExitCode != 0 {
		return "", "go build " + pkg + ": exit status " + strconv.Itoa(res.ExitCode) + "\n" + res.Output
	}
	path = filepath.Join(dir, "bootstrap")
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", "build " + pkg + ": " + err.Error()
	}
	return path, ""
}
