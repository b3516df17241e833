// Package pgserver runs a throwaway PostgreSQL server for the demo and the
// tests: Debian's server (/usr/lib/postgresql/VERSION/bin, the newest
// installed), a fresh cluster in a temporary directory, listening on
// 127.0.0.1 at a free port with its Unix socket in that directory, and one
// database owned by a role that is not a superuser, which the app reaches
// through Server.URL, a DATABASE_URL. Stop removes it all.
//
// When the caller is root, the server runs as the postgres user (initdb and
// postgres refuse root), otherwise as the caller. It is tuned for tests,
// not for keeping data through a crash: fsync and synchronous commit are
// off. Restart stops it (fast shutdown: sessions are ended) and starts it
// again on the same port and data, as an outage of a real database would.
//
// Processes are started with internal/childproc.
package pgserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/proctree"
)

// Install is the step that installs PostgreSQL.
const Install = "run make install (scripts/install-system.sh, as root: Debian's postgresql)"

// Database and Role name the database Start creates and the role that owns
// it, the one Server.URL logs in as.
const (
	Database = "djfront"
	Role     = "djfront"
)

// binGlob finds Debian's PostgreSQL servers, one directory per major version.
const binGlob = "/usr/lib/postgresql/*/bin"

// stopWait bounds the wait for a fast shutdown before the server is killed.
const stopWait = 10 * time.Second

// Server is a running PostgreSQL server.
type Server struct {
	// URL is the DATABASE_URL of the database Start created:
	// postgres://Role:PASSWORD@127.0.0.1:PORT/Database.
	URL string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Dir holds the cluster (Dir/data) and the Unix socket (Dir/socket).
	Dir string

	bin      string // the server's bin directory
	as       *runAs // the user the server runs as, nil for the caller
	password string // the superuser's
	opts     childproc.Options

	mu   sync.Mutex
	proc *childproc.Process
}

// Start creates a cluster in a new temporary directory, starts the server
// with its output going to opts, creates Database owned by Role, and returns
// once the server accepts connections, or when ctx ends (everything
// stopped and removed). Stop it when done.
func Start(ctx context.Context, opts childproc.Options) (_ *Server, err error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	as, err := serverUser()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "djfront-pg-")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Server{Dir: dir, bin: bin, as: as, password: rand.Text(), opts: opts}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	appPassword := rand.Text()
	if err := s.initCluster(ctx); err != nil {
		return nil, err
	}
	if s.Port, err = proctree.FreePort(); err != nil {
		return nil, err
	}
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	if err := s.createDatabase(ctx, appPassword); err != nil {
		return nil, err
	}
	s.URL = (&url.URL{
		Scheme: "postgres", User: url.UserPassword(Role, appPassword),
		Host: "127.0.0.1:" + strconv.Itoa(s.Port), Path: "/" + Database,
	}).String()
	return s, nil
}

// FindBin returns the bin directory of the newest PostgreSQL Debian
// installed, or an error naming Install.
func FindBin() (string, error) {
	dirs, _ := filepath.Glob(binGlob) // the pattern is valid
	dirs = slices.DeleteFunc(dirs, func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "postgres"))
		return err != nil
	})
	if len(dirs) == 0 {
		return "", fmt.Errorf("PostgreSQL is missing (no %s/postgres): %s", binGlob, Install)
	}
	slices.SortFunc(dirs, func(a, b string) int { return majorOf(a) - majorOf(b) })
	return dirs[len(dirs)-1], nil
}

// majorOf returns the major version in a path /usr/lib/postgresql/MAJOR/bin.
func majorOf(bin string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return n
}

// runAs is a user other than the caller that the server runs as.
type runAs struct{ uid, gid int }

// serverUser returns the postgres user when the caller is root, else nil.
func serverUser() (*runAs, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres: as root the server runs as the postgres user: %w (%s)", err, Install)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres user: %w", err)
	}
	return &runAs{uid: uid, gid: gid}, nil
}

// command returns the server's program name with args, run as s.as (through
// setpriv, which execs it: the process is the program's) in Dir.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.as == nil {
		cmd = exec.Command(path, args...)
	} else {
		// --pdeathsig=keep: the uid change clears the death signal that
		// childproc.Options.KillWithParent sets; setpriv sets it again.
		cmd = exec.Command("setpriv", append([]string{"--reuid=" + strconv.Itoa(s.as.uid),
			"--regid=" + strconv.Itoa(s.as.gid), "--clear-groups", "--pdeathsig=keep", "--", path}, args...)...)
	}
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

// run runs cmd, the server's program name, to completion.
func run(ctx context.Context, name string, cmd *exec.Cmd) error {
	res, err := childproc.Run(ctx, cmd, 64<<10)
	switch {
	case err != nil:
		return fmt.Errorf("postgres: %s: %w", name, err)
	case res.Killed:
		return fmt.Errorf("postgres: %s: killed: %w\n%s", name, context.Cause(ctx), res.Output)
	case res.ExitCode != 0:
		return fmt.Errorf("postgres: %s: exit status %d\n%s", name, res.ExitCode, res.Output)
	}
	return nil
}

// initCluster creates the cluster in Dir/data, the superuser postgres with
// s.password, and Dir/socket.
func (s *Server) initCluster(ctx context.Context) error {
	pwfile := filepath.Join(s.Dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer os.Remove(pwfile)
	if err := os.Mkdir(filepath.Join(s.Dir, "socket"), 0o700); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if s.as != nil {
		for _, p := range []string{s.Dir, pwfile, filepath.Join(s.Dir, "socket")} {
			if err := os.Chown(p, s.as.uid, s.as.gid); err != nil {
				return fmt.Errorf("postgres: %w", err)
			}
		}
	}
	return run(ctx, "initdb", s.command("initdb", "--pgdata", filepath.Join(s.Dir, "data"), "--username", "postgres",
		"--pwfile", pwfile, "--auth", "scram-sha-256", "--encoding", "UTF8", "--no-locale", "--no-sync"))
}

// start starts the server on s.Port and waits until it accepts connections.
func (s *Server) start(ctx context.Context) error {
	cmd := s.command("postgres", "-D", filepath.Join(s.Dir, "data"),
		"-c", "listen_addresses=127.0.0.1", "-p", strconv.Itoa(s.Port),
		"-c", "unix_socket_directories="+filepath.Join(s.Dir, "socket"),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB")
	p, err := childproc.Start("postgres", cmd, s.opts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return s.awaitReady(ctx, p)
}

// awaitReady polls pg_isready until the server accepts connections, p
// exits or ctx ends.
func (s *Server) awaitReady(ctx context.Context, p *childproc.Process) error {
	for {
		res, err := childproc.Run(ctx, exec.Command(filepath.Join(s.bin, "pg_isready"), "--quiet",
			"--host", "127.0.0.1", "--port", strconv.Itoa(s.Port), "--dbname", "postgres"), 4<<10)
		if err != nil {
			return fmt.Errorf("postgres: pg_isready: %w", err)
		}
		if res.ExitCode == 0 {
			return nil
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("postgres exited: %s\n%s", childproc.ExitStatus(p.Err()), childproc.LastLines(p.Tail(), 40))
		case <-ctx.Done():
			return childproc.WithOutput(fmt.Errorf("postgres not ready: %w", context.Cause(ctx)), p)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// createDatabase creates Role with password and Database owned by it.
func (s *Server) createDatabase(ctx context.Context, password string) error {
	quoted := "'" + strings.ReplaceAll(password, "'", "''") + "'"
	cmd := s.command("psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1",
		"--host", "127.0.0.1", "--port", strconv.Itoa(s.Port), "--username", "postgres", "--dbname", "postgres",
		"--command", "CREATE ROLE "+Role+" LOGIN PASSWORD "+quoted,
		"--command", "CREATE DATABASE "+Database+" OWNER "+Role)
	cmd.Env = append(cmd.Env, "PGPASSWORD="+s.password)
	return run(ctx, "psql", cmd)
}

// Process returns the running server's process (a new one after Restart).
func (s *Server) Process() *childproc.Process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// shutdown ends the server with a fast shutdown (SIGINT: sessions are
// ended, then a clean stop), killing its group if it takes longer than
// stopWait.
func (s *Server) shutdown() {
	p := s.Process()
	if p == nil {
		return
	}
	_ = p.Signal(syscall.SIGINT) // fails once it has exited
	select {
	case <-p.Exited():
	case <-time.After(stopWait):
	}
	p.Stop(0)
}

// Restart stops the server (fast shutdown: every session is ended) and
// starts it again on the same port with the same data, returning once it
// accepts connections again, or when ctx ends.
func (s *Server) Restart(ctx context.Context) error {
	s.shutdown()
	return s.start(ctx)
}

// Stop stops the server and removes Dir. It is safe to call more than once.
func (s *Server) Stop() {
	s.shutdown()
	if s.Dir != "" {
		os.RemoveAll(s.Dir)
	}
}
