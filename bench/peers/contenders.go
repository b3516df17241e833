package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// Versions of the peers, as pinned in requirements/requirements.txt and
// scripts/install-peers.sh.
const (
	lwaVersion            = "0.9.1"
	apigWSGIVersion       = "2.20.0"
	serverlessWSGIVersion = "3.1.0"
)

// baselineCommand is the template's UPSTREAM_COMMAND before issue 19: the
// baseline djfront's own changes are measured against.
const baselineCommand = "exec python3 -m gunicorn --bind 127.0.0.1:$PORT --workers 1 --threads 2 --timeout 0 demo.wsgi:application"

// The events' hosts and secrets: those of sam/fixtures.
const (
	site          = "www.example.com"
	originSecret  = "local-only-not-a-secret"
	appCredential = "local-only-app-credential"
)

// contender is one way of running the app in the function.
type contender struct {
	name   string // the table's row
	peer   bool   // an alternative to djfront (the ratios' reference is the best peer)
	binary string // the runtime process Lambda starts
	// env returns the contender's variables for one start, besides the
	// app's (fresh ports each time).
	env func() ([]string, error)
}

// lineup returns djfront with the template's UPSTREAM_COMMAND, with the
// command before issue 19, with each of variants (name=gunicorn flags added
// to the template's), under each of builds (name=path of another built
// hostforward), and the peers; only those named in only, if any.
func (b *bench) lineup(variants, builds, only []string) ([]contender, error) {
	tmpl, err := samlocal.ReadTemplate(filepath.Join(b.o.root, "template.yaml"), nil)
	if err != nil {
		return nil, err
	}
	fn, err := tmpl.Function("AppFunction")
	if err != nil {
		return nil, err
	}
	command := fn.Environment["UPSTREAM_COMMAND"]
	if command == "" {
		return nil, errors.New("template.yaml: AppFunction has no UPSTREAM_COMMAND")
	}
	b.memoryMB = fn.MemoryMB
	all := []contender{b.djfront("djfront (template)", command)}
	if command != baselineCommand {
		all = append(all, b.djfront("djfront (before)", baselineCommand))
	}
	for _, v := range variants {
		name, flags, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("variant %q: want NAME=FLAGS", v)
		}
		if !strings.HasPrefix(flags, "exec ") {
			flags = addFlags(command, flags)
		}
		all = append(all, b.djfront("djfront "+name, flags))
	}
	for _, v := range builds {
		name, path, ok := strings.Cut(v, "=")
		if !ok || name == "" || path == "" {
			return nil, fmt.Errorf("bootstrap variant %q: want NAME=PATH", v)
		}
		if err := checkExecutable(path, "go build it (make bin/hostforward/bootstrap in that tree)"); err != nil {
			return nil, err
		}
		c := b.djfront("djfront "+name, command)
		c.binary = path
		all = append(all, c)
	}
	all = append(all, b.lwa(), b.pythonPeer("apig-wsgi "+apigWSGIVersion, "peersbench.apig.handler"),
		b.pythonPeer("serverless-wsgi "+serverlessWSGIVersion, "peersbench.serverless.handler"))
	if len(only) == 0 {
		return all, nil
	}
	var out []contender
	for _, c := range all {
		for _, name := range only {
			if c.name == name {
				out = append(out, c)
			}
		}
	}
	if len(out) != len(only) {
		return nil, fmt.Errorf("-only %q: the contenders are %q", only, names(all))
	}
	return out, nil
}

func names(cs []contender) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name
	}
	return out
}

// addFlags inserts flags before command's last word (gunicorn's app).
func addFlags(command, flags string) string {
	i := strings.LastIndexByte(command, ' ')
	return command[:i] + " " + strings.TrimSpace(flags) + command[i:]
}

// djfront is hostforward running command as UPSTREAM_COMMAND, configured as
// the template configures it: the viewer host, the origin secret, and the
// app credential it adds and the app's middleware checks.
func (b *bench) djfront(name, command string) contender {
	return contender{name: name, binary: b.o.bootstrap, env: func() ([]string, error) {
		env, err := b.app.FunctionEnv(command)
		if err != nil {
			return nil, err
		}
		return append(env,
			"ALLOWED_HOSTS="+site,
			"ORIGIN_VERIFY_SECRETS="+originSecret,
			"UPSTREAM_VERIFY_SECRET="+appCredential,
			"DJFRONT_UPSTREAM_SECRETS="+appCredential,
			"UPSTREAM_TIMEOUT=25s",
		), nil
	}}
}

// lwa is LWA as its python3.12 exec-wrapper examples run it (flask-zip):
// the adapter an external extension, the handler run.sh starting gunicorn
// with one worker; see bench/peers/app/lwa-sandbox.
func (b *bench) lwa() contender {
	return contender{name: "LWA " + lwaVersion, peer: true, binary: filepath.Join(b.appDir, "lwa-sandbox"),
		env: func() ([]string, error) {
			port, err := proctree.FreePort()
			if err != nil {
				return nil, err
			}
			return append(b.appEnv(),
				"PEERS_LWA_BINARY="+b.o.lwa, "PEERS_APP_DIR="+b.appDir,
				"PORT="+strconv.Itoa(port),
				"AWS_LWA_READINESS_CHECK_PATH=/whoami/", // as djfront's UPSTREAM_READY_PATH: no database
			), nil
		}}
}

// pythonPeer is an in-process adapter's handler run by awslambdaric as the
// managed python3.12 runtime runs it; see bench/peers/app/python-runtime.
func (b *bench) pythonPeer(name, handler string) contender {
	return contender{name: name, peer: true, binary: filepath.Join(b.appDir, "python-runtime"),
		env: func() ([]string, error) { return append(b.appEnv(), "_HANDLER="+handler), nil }}
}

// appEnv is the app's environment in a function, as the djfront contenders
// get it, without hostforward's own variables.
func (b *bench) appEnv() []string {
	env, _ := b.app.FunctionEnv("") // fails only without a database, which newBench set
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "UPSTREAM_") {
			out = append(out, kv)
		}
	}
	return out
}

// checkExecutable fails unless path is an executable file, naming how to
// build it.
func checkExecutable(path, build string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w (build it: %s)", err, build)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file (build it: %s)", path, build)
	}
	return nil
}
