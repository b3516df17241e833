package samlocal

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/djfront/djfront/internal/local/proctree"
)

// DjfrontLambdas are the Lambdas among djfront's prebuilt artifacts (`djfront
// artifacts`: NAME/bootstrap, and the layer's djfront/hostforward) that the
// djfront command itself runs, as `djfront __lambda NAME` (LambdaMode), where
// the artifact, built for Lambda's linux/arm64, cannot run.
var DjfrontLambdas = []string{"hostforward", "invalidate", "rotate"}

// LambdaMode is the hidden djfront subcommand that runs one of
// DjfrontLambdas: `djfront __lambda NAME`, the same code as the artifact.
const LambdaMode = "__lambda"

// artifactsVersionFile is the file of djfront's artifacts directory that
// holds the version of the djfront that built it (docs/install.md).
const artifactsVersionFile = "VERSION"

// pythonRuntime is the stand-in for the managed Python runtime's bootstrap;
// see the file.
//
//go:embed python-runtime.sh
var pythonRuntime string

// Host runs a template's functions on this machine: what Prepare needs.
type Host struct {
	// Dir holds what Prepare builds and writes, a directory per function.
	Dir string
	// Python is the interpreter of python3.X functions (the project's, in
	// place of Lambda's /var/lang/bin/python3.X); its directory comes first
	// on their PATH, so `python3` in a command is this one.
	Python string
	// Self is the djfront executable, which runs DjfrontLambdas in place of
	// prebuilt artifacts built for another machine, and SelfVersion its
	// version, which such artifacts must have. "": they are an error.
	Self, SelfVersion string
	// Log receives the builds' output.
	Log io.Writer
}

// Runnable is a function ready for the local Runtime API
// (runtimeapi.Function).
type Runnable struct {
	// Binary is what the Runtime API server runs: the function's bootstrap,
	// or the Python runtime's stand-in.
	Binary string
	// Env is what running it here adds to the function's environment, to
	// be set last (for a Python function LAMBDA_TASK_ROOT, _HANDLER, PATH,
	// PYTHONDONTWRITEBYTECODE and AWS_LAMBDA_EXEC_WRAPPER in the local
	// /opt).
	Env []string
}

// Prepare makes fn, a function of tpl with the environment env (KEY=VALUE,
// as Function.Environ gives it; it reads AWS_LAMBDA_EXEC_WRAPPER there),
// ready to run here:
//
//   - provided.*: its bootstrap, built for this machine (Build) when it has
//     a BuildMethod, else CodeDir/bootstrap as it is;
//   - python3.X: the stand-in of Lambda's Python runtime bootstrap
//     (python-runtime.sh) with Host.Python, in CodeDir as the task root, and
//     its layers unpacked into a local /opt (built with their BuildMethod,
//     else copied), AWS_LAMBDA_EXEC_WRAPPER pointed there; without a wrapper
//     the handler runs under awslambdaric, which Host.Python must import.
//
// A prebuilt Lambda binary for another machine runs as Host.Self's
// `__lambda NAME` when it is one of djfront's artifacts of Host.SelfVersion;
// any other is an error that says why.
func (h *Host) Prepare(ctx context.Context, tpl *Template, fn *Function, env []string) (*Runnable, error) {
	dir := filepath.Join(h.Dir, fn.LogicalID)
	switch {
	case strings.HasPrefix(fn.Runtime, "provided"):
		bin, err := h.bootstrap(ctx, fn, dir)
		if err != nil {
			return nil, err
		}
		return &Runnable{Binary: bin}, nil
	case strings.HasPrefix(fn.Runtime, "python3"):
		return h.python(ctx, tpl, fn, dir, env)
	}
	return nil, fmt.Errorf("%s: runtime %q: only provided.* and python3.* functions run locally", fn.LogicalID, fn.Runtime)
}

// bootstrap returns fn's bootstrap, built into dir or prebuilt.
func (h *Host) bootstrap(ctx context.Context, fn *Function, dir string) (string, error) {
	if fn.BuildMethod != "" {
		return Build(ctx, fn, filepath.Join(dir, "build"), h.Log)
	}
	bin := filepath.Join(fn.CodeDir, "bootstrap")
	script, err := h.standIn(bin)
	if err != nil || script == "" {
		return bin, err
	}
	out := filepath.Join(dir, "bootstrap")
	return out, writeExecutable(out, script)
}

// python prepares a python3.X function in dir (see Prepare).
func (h *Host) python(ctx context.Context, tpl *Template, fn *Function, dir string, env []string) (*Runnable, error) {
	if h.Python == "" {
		return nil, fmt.Errorf("%s: runtime %s: no Python interpreter given", fn.LogicalID, fn.Runtime)
	}
	opt := filepath.Join(dir, "opt")
	if err := os.RemoveAll(opt); err != nil {
		return nil, fmt.Errorf("%s: %w", fn.LogicalID, err)
	}
	for _, id := range fn.Layers {
		l, ok := tpl.Layers[id]
		if !ok {
			return nil, fmt.Errorf("%s: layer %s: only the template's own layers (a !Ref) run locally", fn.LogicalID, id)
		}
		var err error
		if l.BuildMethod != "" {
			err = BuildLayer(ctx, l, opt, h.Log)
		} else {
			err = h.copyLayer(l.ContentDir, opt)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", fn.LogicalID, id, err)
		}
	}
	bin := filepath.Join(dir, "runtime", "bootstrap")
	script := strings.Replace(pythonRuntime, "@PYTHON@", proctree.ShellQuote(h.Python), 1)
	if err := writeExecutable(bin, script); err != nil {
		return nil, fmt.Errorf("%s: %w", fn.LogicalID, err)
	}
	out := []string{
		"LAMBDA_TASK_ROOT=" + fn.CodeDir,
		"LAMBDA_RUNTIME_DIR=" + filepath.Dir(bin),
		"_HANDLER=" + fn.Handler,
		"AWS_EXECUTION_ENV=AWS_Lambda_" + fn.Runtime,
		// Lambda's: /var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin.
		"PATH=" + filepath.Dir(h.Python) + ":/usr/local/bin:/usr/bin:/bin:" + filepath.Join(opt, "bin"),
		// Lambda's task root is read-only: no __pycache__ there.
		"PYTHONDONTWRITEBYTECODE=1",
	}
	wrapper := proctree.Getenv(env, "AWS_LAMBDA_EXEC_WRAPPER")
	if wrapper == "" {
		if !proctree.PythonImports(ctx, h.Python, "awslambdaric") {
			return nil, fmt.Errorf("%s: a %s function without AWS_LAMBDA_EXEC_WRAPPER runs its handler with Lambda's runtime client, which %s cannot import: pip install awslambdaric",
				fn.LogicalID, fn.Runtime, h.Python)
		}
		return &Runnable{Binary: bin, Env: out}, nil
	}
	if rest, ok := strings.CutPrefix(wrapper, "/opt/"); ok {
		wrapper = filepath.Join(opt, rest)
	}
	return &Runnable{Binary: bin, Env: append(out, "AWS_LAMBDA_EXEC_WRAPPER="+wrapper)}, nil
}

// copyLayer copies the layer directory src into opt, following symbolic
// links as the SAM CLI's packaging does; a Lambda binary that cannot run
// here is replaced by its stand-in (see standIn).
func (h *Host) copyLayer(src, opt string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		dst := filepath.Join(opt, rel)
		info, err := os.Stat(path)
		switch {
		case err != nil:
			return err
		case info.IsDir():
			return os.MkdirAll(dst, 0o755)
		}
		script, err := h.standIn(path)
		if err != nil {
			return err
		}
		if script != "" {
			return writeExecutable(dst, script)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
}

// standIn returns "" when bin runs here as it is (not an executable, a
// script, or an executable for this machine), else the script that runs it
// through Host.Self: bin must then be one of djfront's artifacts of
// Host.SelfVersion.
func (h *Host) standIn(bin string) (string, error) {
	if !isELF(bin) {
		return "", nil
	}
	archErr := checkArch(bin)
	if archErr == nil {
		return "", nil
	}
	name, version, ok := djfrontArtifact(bin)
	switch {
	case !ok:
		return "", archErr
	case h.Self == "":
		return "", fmt.Errorf("%w; it is djfront's %s, which the djfront command runs on this machine (djfront local, djfront invoke)", archErr, name)
	case version != h.SelfVersion:
		return "", fmt.Errorf("%s is djfront %s's, and this djfront is %s: point the template at this djfront's artifacts (djfront artifacts prints where they are)",
			bin, version, h.SelfVersion)
	}
	return "#!/bin/sh\n" +
		"# Written by djfront: " + bin + " is built for Lambda (linux/arm64), not this machine;\n" +
		"# this runs the same code, the djfront command of the same version.\n" +
		"exec " + proctree.ShellQuote(h.Self) + " " + LambdaMode + " " + name + "\n", nil
}

// djfrontArtifact reports whether bin is one of DjfrontLambdas in a djfront
// artifacts directory (ARTIFACTS/NAME/bootstrap or
// ARTIFACTS/layer/djfront/NAME, with ARTIFACTS/VERSION), with the version
// that directory holds.
func djfrontArtifact(bin string) (name, version string, ok bool) {
	name = filepath.Base(bin)
	if name == "bootstrap" {
		name = filepath.Base(filepath.Dir(bin))
	}
	if !slices.Contains(DjfrontLambdas, name) {
		return "", "", false
	}
	dir := filepath.Dir(bin)
	for range 3 {
		dir = filepath.Dir(dir)
		if b, err := os.ReadFile(filepath.Join(dir, artifactsVersionFile)); err == nil {
			return name, strings.TrimSpace(string(b)), true
		}
	}
	return "", "", false
}

// isELF reports whether the file at path starts as an ELF executable does.
func isELF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && bytes.Equal(magic, []byte("\x7fELF"))
}

// writeExecutable writes content to path (mode 0755), making its directory.
func writeExecutable(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		return err
	}
	return os.Chmod(path, 0o755) // an existing file keeps its mode through WriteFile
}
