package appproc

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// DefaultManageCommand is MANAGE_COMMAND's default.
const DefaultManageCommand = "python3 manage.py"

// DefaultBootTimeout is UPSTREAM_BOOT_TIMEOUT's default: the init and two
// requests waiting UPSTREAM_TIMEOUT's default of 25 s each for an app that
// hangs at boot, before it is started again.
const DefaultBootTimeout = time.Minute

// Config is the in-function app's configuration, read once at cold start.
type Config struct {
	// Command is the shell command that starts the app (UPSTREAM_COMMAND),
	// run with /bin/sh -c.
	Command string
	// Dir is the app's working directory: LAMBDA_TASK_ROOT, else the
	// current directory.
	Dir string
	// URL is the app's base URL, a loopback http:// URL with a port
	// (UPSTREAM_URL); the port is the app's PORT.
	URL *url.URL
	// ReadyPath is the path, with an optional query, whose first answer
	// with a status from 100 to 499 means the app is ready
	// (UPSTREAM_READY_PATH).
	ReadyPath string
	// ReadyHost is the Host of the readiness requests: the first exact
	// ALLOWED_HOSTS entry, so that Django does not log DisallowedHost.
	// Empty: the URL's host.
	ReadyHost string
	// BootTimeout is how long invocations (and the init) may wait for the
	// app to be ready before it is started again (UPSTREAM_BOOT_TIMEOUT):
	// time spent waiting, which a freeze between invocations does not add
	// to. Zero means DefaultBootTimeout.
	BootTimeout time.Duration
	// Manage is the command prefix management invocations run
	// (MANAGE_COMMAND): shell words and variables, to which the invocation's
	// arguments are appended as given; no comment, list or pipeline (#, ;,
	// &, |).
	Manage string
	// ManageAllow lists the commands management invocations may run
	// (MANAGE_ALLOW, default DefaultManageAllow); empty: none.
	ManageAllow []string
	// Env is the environment of the app and its management commands, to
	// which PORT is added; nil means this process's environment.
	Env []string
	// HookPath is the path prefix of the app's SnapStart hooks
	// (UPSTREAM_SNAPSTART_PATH, default DefaultHookPath; "off": none), to
	// which App.Hook appends the phase and a slash.
	HookPath string
	// HookToken, when set, is given to the app as DJFRONT_SNAPSTART_TOKEN,
	// the credential App.Hook sends (see NewHookToken).
	HookToken string
}

// ConfigFromEnv reads the in-function configuration through getenv (for
// example os.Getenv). hostforward.ConfigFromEnv calls it with upstream and
// readyHost from its own: UPSTREAM_URL, defaulted and checked to be a
// loopback http:// URL with a port, and the first exact ALLOWED_HOSTS entry.
// ok is false when UPSTREAM_COMMAND is not set: the app runs elsewhere.
// Every error names the variable at fault.
func ConfigFromEnv(getenv func(string) string, upstream *url.URL, readyHost string) (c Config, ok bool, err error) {
	c.Command = strings.TrimSpace(getenv("UPSTREAM_COMMAND"))
	if c.Command == "" {
		if getenv("UPSTREAM_COMMAND") != "" {
			return Config{}, false, errors.New("UPSTREAM_COMMAND: blank, want a shell command that starts the app on $PORT")
		}
		return Config{}, false, nil
	}
	var errs []error
	bad := func(name string, err error) { errs = append(errs, fmt.Errorf("%s: %w", name, err)) }

	c.URL, c.ReadyHost = upstream, readyHost

	if root := getenv("LAMBDA_TASK_ROOT"); root != "" {
		if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
			bad("LAMBDA_TASK_ROOT", fmt.Errorf("%q is not a directory", root))
		}
		c.Dir = root
	} else if wd, err := os.Getwd(); err != nil {
		bad("LAMBDA_TASK_ROOT", fmt.Errorf("unset, and the current directory is unknown: %w", err))
	} else {
		c.Dir = wd
	}

	c.ReadyPath = "/"
	if v := getenv("UPSTREAM_READY_PATH"); v != "" {
		if p, err := parseReadyPath(v); err != nil {
			bad("UPSTREAM_READY_PATH", err)
		} else {
			c.ReadyPath = p
		}
	}

	c.HookPath = DefaultHookPath
	if v := getenv("UPSTREAM_SNAPSTART_PATH"); v == "off" {
		c.HookPath = ""
	} else if v != "" {
		if p, err := parseHookPath(v); err != nil {
			bad("UPSTREAM_SNAPSTART_PATH", err)
		} else {
			c.HookPath = p
		}
	}

	c.BootTimeout = DefaultBootTimeout
	if v := getenv("UPSTREAM_BOOT_TIMEOUT"); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			bad("UPSTREAM_BOOT_TIMEOUT", fmt.Errorf("want a positive Go duration like 1m, got %q", v))
		} else {
			c.BootTimeout = d
		}
	}

	c.Manage = DefaultManageCommand
	if v := getenv("MANAGE_COMMAND"); v != "" {
		if m, err := parseManage(v); err != nil {
			bad("MANAGE_COMMAND", err)
		} else {
			c.Manage = m
		}
	}
	if allow, err := parseManageAllow(getenv("MANAGE_ALLOW")); err != nil {
		bad("MANAGE_ALLOW", err)
	} else {
		c.ManageAllow = allow
	}
	if len(errs) > 0 {
		return Config{}, false, errors.Join(errs...)
	}
	return c, true, nil
}

// parseManage checks that v is one command and its first arguments on one
// line, and returns it trimmed. Manage runs `exec MANAGE_COMMAND "$@"`: a
// comment would drop the arguments, a list or pipeline would not get them.
func parseManage(v string) (string, error) {
	if strings.TrimSpace(v) == "" || strings.ContainsAny(v, "\n\r\x00") {
		return "", fmt.Errorf("want a command like %q on one line, got %q", DefaultManageCommand, v)
	}
	if strings.ContainsAny(v, "#;&|") || strings.HasSuffix(strings.TrimSpace(v), `\`) {
		return "", fmt.Errorf("want one command and its first arguments, like %q (put more shell in a script), got %q", DefaultManageCommand, v)
	}
	return strings.TrimSpace(v), nil
}

// parseReadyPath checks that v is an absolute path with an optional query.
func parseReadyPath(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || u.Fragment != "" ||
		strings.ContainsAny(v, " \t\r\n#") {
		return "", fmt.Errorf("want a path like /healthz, got %q", v)
	}
	return v, nil
}

// bootTimeout returns BootTimeout, or its default.
func (c Config) bootTimeout() time.Duration {
	if c.BootTimeout <= 0 {
		return DefaultBootTimeout
	}
	return c.BootTimeout
}

// environ returns the app's environment: Env (or this process's) with PORT
// set to the URL's port, replacing any PORT already there, and
// DJFRONT_SNAPSTART_TOKEN set to HookToken and DJFRONT_SNAPSTART_PATH to
// HookPath, both removed when HookToken is empty.
func (c Config) environ() []string {
	base := c.Env
	if base == nil {
		base = os.Environ()
	}
	env := make([]string, 0, len(base)+3)
	for _, kv := range base {
		if !strings.HasPrefix(kv, "PORT=") && !strings.HasPrefix(kv, HookTokenEnv+"=") && !strings.HasPrefix(kv, HookPathEnv+"=") {
			env = append(env, kv)
		}
	}
	if c.HookToken != "" {
		env = append(env, HookTokenEnv+"="+c.HookToken, HookPathEnv+"="+c.HookPath)
	}
	return append(env, "PORT="+c.URL.Port())
}
