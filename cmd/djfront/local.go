//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/djfront/djfront/internal/local/demo"
	"github.com/djfront/djfront/internal/local/proctree"
)

// localUsage is `djfront local`'s help.
const localUsage = `usage: djfront local [--port 3000] [--env-file FILE] [--python PATH] [--template FILE] [--no-reload]

Runs this project's whole djfront stack on loopback until Ctrl-C, from the
project's root (where template.yaml is): the local CloudFront + API Gateway
on https://localhost:PORT playing the template's distribution, the
template's AppFunction under a local Lambda Runtime API (the Python runtime
handing over to hostforward through the layer's exec wrapper, hostforward
starting the app with UPSTREAM_COMMAND), the invalidate function, and moto
for S3, SQS, CloudFront and Secrets Manager. At start it migrates, creates
the superuser (kept if it exists) and collects the static files; an edit of
a Python file or template restarts the app. Ctrl-C (or closing the
terminal) stops every process; if djfront local is killed, the kernel
kills what it started.

The app's environment is the shell's and the env file's (KEY=VALUE lines),
DATABASE_URL included; without one the database is .djfront/db.sqlite3.
The superuser is admin, its password kept in .djfront/.cache/admin-password
(sam build copies .djfront into the function's zip, but never a .cache).
The interpreter is the project's: --python, else the python3 next to this
djfront (its virtualenv), else $VIRTUAL_ENV's. State and the processes'
output (.djfront/local.log) are in .djfront/. See docs/local.md.
`

func init() {
	commands["local"] = command{usage: "[--port 3000] [--env-file FILE] [--python PATH] [--template FILE] [--no-reload]  run this project's whole stack on https://localhost:PORT", run: runLocal}
}

// localOptions are djfront local's flags.
type localOptions struct {
	port                      int
	envFile, python, template string
	noReload                  bool
}

func parseLocal(args []string, stderr io.Writer) (*localOptions, error) {
	o := &localOptions{}
	fs := flag.NewFlagSet("djfront local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.port, "port", 3000, "the local edge's port on 127.0.0.1 (0: any free port)")
	fs.StringVar(&o.envFile, "env-file", "", "a file of KEY=VALUE lines for the app's environment")
	fs.StringVar(&o.python, "python", "", "the project's Python interpreter (default: the python3 beside djfront, else $VIRTUAL_ENV's)")
	fs.StringVar(&o.template, "template", "", "the SAM template (default template.yaml, .yml or .json here)")
	fs.BoolVar(&o.noReload, "no-reload", false, "do not restart the app when its code changes")
	fs.Usage = func() { fmt.Fprint(stderr, localUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() != 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.port < 0 || o.port > 65535:
		return nil, fmt.Errorf("--port %d: want 0 to 65535", o.port)
	}
	return o, nil
}

// runLocal runs the stack (see localUsage) until Ctrl-C, SIGTERM, SIGHUP (the
// terminal closed) or a part of it dies. Each child the stack starts is
// tied to it (childproc.Options.KillWithParent): a SIGKILL leaves none.
func runLocal(ctx context.Context, e env, args []string) int {
	o, err := parseLocal(args, e.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		fmt.Fprintf(e.stderr, "djfront local: %v\n", err)
		return exitUsage
	}
	lock, err := lockProject()
	if err != nil {
		fmt.Fprintf(e.stderr, "djfront local: %v\n", err)
		return 1
	}
	defer lock.Close()
	cfg, err := localConfig(e, o)
	if err != nil {
		fmt.Fprintf(e.stderr, "djfront local: %v\n", err)
		return 1
	}
	logPath := filepath.Join(cfg.StateDir, "local.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		fmt.Fprintf(e.stderr, "djfront local: %v\n", err)
		return 1
	}
	defer logFile.Close()
	cfg.Progress, cfg.Logs = e.stdout, logFile
	fmt.Fprintf(e.stdout, "djfront local: the processes' output goes to %s\n", logPath)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	stack, err := demo.Start(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(e.stderr, "djfront local: interrupted; everything started was stopped")
		} else {
			fmt.Fprintf(e.stderr, "djfront local: %v\n(more in %s)\n", err, logPath)
		}
		return 1
	}
	defer func() {
		fmt.Fprintln(e.stdout, "djfront local: stopping every process")
		stack.Close()
	}()
	printReady(e.stdout, stack, proctree.Getenv(cfg.Env, "DJANGO_SUPERUSER_PASSWORD") != "")
	select {
	case <-ctx.Done():
		return 0
	case err := <-stack.Failures():
		fmt.Fprintf(e.stderr, "djfront local: %v\n(more in %s)\n", err, logPath)
		return 1
	}
}

// printReady says where the site is, who logs in, and how to run a
// management command. A password the user chose (passwordFromEnv: the
// environment's DJANGO_SUPERUSER_PASSWORD) is named, never shown.
func printReady(w io.Writer, s *demo.Stack, passwordFromEnv bool) {
	password := s.AdminPassword
	if passwordFromEnv {
		password = "(from DJANGO_SUPERUSER_PASSWORD)"
	}
	login := "password " + password
	if s.AdminExisted {
		login = "who existed already: its password unchanged, djfront's is " + password
	}
	fmt.Fprintf(w, "ready: %s/ (Django admin %s/admin/, user %s, %s)\n", s.URL, s.URL, s.AdminUser, login)
	fmt.Fprintf(w, "manage: %s\n", s.ManageCommand())
	fmt.Fprintln(w, "Up until Ctrl-C. The certificate is self-signed: accept it in the browser once. "+
		"An edit of a Python file or template restarts the app; static files need collectstatic (the manage command above).")
}

// localConfig returns the stack's configuration for the project in the
// working directory: its template, its interpreter, its environment (the
// shell's, then the env file's), its state in .djfront, the superuser
// (DJANGO_SUPERUSER_USERNAME and _PASSWORD if the environment has them,
// else admin and a password kept in .djfront/.cache/admin-password:
// keptPassword) and this
// djfront as the runner of djfront's prebuilt Lambdas.
func localConfig(e env, o *localOptions) (demo.Config, error) {
	root, err := os.Getwd()
	if err != nil {
		return demo.Config{}, err
	}
	exe, err := e.executable()
	if err != nil {
		return demo.Config{}, fmt.Errorf("locate this executable: %w", err)
	}
	python, err := projectPython(o.python, exe, e.getenv)
	if err != nil {
		return demo.Config{}, err
	}
	appEnv, err := localEnv(e, o.envFile)
	if err != nil {
		return demo.Config{}, err
	}
	state, err := stateDir(root)
	if err != nil {
		return demo.Config{}, err
	}
	password := proctree.Getenv(appEnv, "DJANGO_SUPERUSER_PASSWORD")
	if password == "" {
		if password, err = keptPassword(state); err != nil {
			return demo.Config{}, err
		}
	}
	return demo.Config{
		Root: root, Template: o.template, Addr: "127.0.0.1:" + strconv.Itoa(o.port),
		Python: python, Self: exe, SelfVersion: buildVersion(), CLI: "djfront",
		Env: appEnv, StateDir: state, Reload: !o.noReload,
		AdminUser: proctree.Getenv(appEnv, "DJANGO_SUPERUSER_USERNAME"), AdminPassword: password,
	}, nil
}

// localEnv returns the app's environment: the shell's (shellEnv), then the
// env file's (parseEnvFile), each of whose variables the stack sets itself
// is named on stderr as ignored.
func localEnv(e env, envFile string) ([]string, error) {
	out := shellEnv(e.environ())
	if envFile == "" {
		return out, nil
	}
	data, err := os.ReadFile(envFile)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	vars, err := parseEnvFile(data, envFile)
	if err != nil {
		return nil, err
	}
	for _, kv := range vars {
		name, _, _ := strings.Cut(kv, "=")
		if demo.StackVariable(name) && name != "DJANGO_SUPERUSER_USERNAME" && name != "DJANGO_SUPERUSER_PASSWORD" {
			fmt.Fprintf(e.stderr, "djfront local: %s sets %s, which the local stack sets itself: ignored\n", envFile, name)
		}
	}
	return append(out, vars...), nil
}

// stateDir makes the project's .djfront directory, which git ignores (its
// own .gitignore says so), and returns it. It refuses a .djfront that is a
// symbolic link or not a directory, and a symbolic link directly inside it:
// djfront local creates and truncates files there (local.log, the SQLite
// database, admin-password), and a project can ship such links (git stores
// them) to make those writes land outside the project.
func stateDir(root string) (string, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	}
	defer r.Close()
	if err := r.Mkdir(".djfront", 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("state directory: %w", err)
	}
	dir := filepath.Join(root, ".djfront")
	if fi, err := r.Lstat(".djfront"); err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("state directory: %s is a %s, not a directory: djfront local keeps its state inside the project; remove it", dir, fileKind(fi.Mode()))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("state directory: %w", err)
	}
	for _, entry := range entries {
		if entry.Type()&fs.ModeSymlink != 0 {
			return "", fmt.Errorf("state directory: %s is a symbolic link: djfront local writes only inside the project; remove it", filepath.Join(dir, entry.Name()))
		}
	}
	ignore := filepath.Join(dir, ".gitignore")
	if _, err := os.Stat(ignore); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(ignore, []byte("# djfront local's state: the SQLite database, builds, logs\n*\n"), 0o644); err != nil {
			return "", fmt.Errorf("state directory: %w", err)
		}
	}
	return dir, nil
}

// keptPassword returns the superuser's password of the project whose state
// directory is state, making one the first time, so that a kept database's
// superuser keeps its password. `sam build` copies the project's directory,
// .djfront included, into the function's zip, except the names its Python
// builder always leaves out (aws-lambda-builders' python_pip
// EXCLUDED_FILES, .cache among them, at any depth): so the password is kept
// in state/.cache/admin-password (mode 0600), where the zip never gets it.
// The file of earlier versions, state/admin-password, is moved there.
func keptPassword(state string) (string, error) {
	dir, legacy := filepath.Join(state, ".cache"), filepath.Join(state, "admin-password")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("superuser password: %w", err)
	}
	file := filepath.Join(dir, "admin-password")
	b, err := os.ReadFile(file)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("superuser password: %w", err)
	}
	password := rand.Text()
	if old, err := os.ReadFile(legacy); err == nil && strings.TrimSpace(string(old)) != "" {
		password = strings.TrimSpace(string(old))
	}
	if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("superuser password: %w", err)
	}
	if err := os.Remove(legacy); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("superuser password: remove %s: %w", legacy, err)
	}
	return password, nil
}
