package pgserver_test

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/pgserver"
	"github.com/djfront/djfront/internal/local/testenv"
)

// psql runs one SQL command against dbURL with Debian's psql and returns its
// unaligned output, or the error with psql's output.
func psql(t *testing.T, dbURL, sql string) (string, error) {
	t.Helper()
	bin, err := pgserver.FindBin()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(bin, "psql"), "--no-psqlrc", "--tuples-only", "--no-align",
		"--set", "ON_ERROR_STOP=1", "--command", sql, dbURL).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %q: %w\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

func mustPsql(t *testing.T, dbURL, sql string) string {
	t.Helper()
	out, err := psql(t, dbURL, sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestServer starts a server, checks what its URL reaches and who may log
// in, restarts it with data in it, and stops it.
func TestServer(t *testing.T) {
	testenv.Integration(t)
	srv := testenv.StartPostgres(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Host, "127.0.0.1:"+strconv.Itoa(srv.Port); got != want {
		t.Errorf("URL host = %q, want %q", got, want)
	}

	t.Run("the URL reaches the database as its owner, no superuser", func(t *testing.T) {
		got := mustPsql(t, srv.URL, "SELECT current_user, current_database(), rolsuper FROM pg_roles WHERE rolname = current_user")
		if want := pgserver.Role + "|" + pgserver.Database + "|f"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("a wrong password is refused", func(t *testing.T) {
		wrong := *u
		wrong.User = url.UserPassword(pgserver.Role, "guess")
		if _, err := psql(t, wrong.String(), "SELECT 1"); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
			t.Errorf("psql with a wrong password: %v, want password authentication failed", err)
		}
	})
	t.Run("the socket is in the server's directory", func(t *testing.T) {
		if _, err := os.Stat(filepath.Join(srv.Dir, "socket", ".s.PGSQL."+strconv.Itoa(srv.Port))); err != nil {
			t.Error(err)
		}
	})
	t.Run("restart keeps the data and the port", func(t *testing.T) {
		mustPsql(t, srv.URL, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('before the restart')")
		before := srv.Process().Pid()
		if err := srv.Restart(t.Context()); err != nil {
			t.Fatal(err)
		}
		if srv.Process().Pid() == before {
			t.Errorf("the server process %d was not replaced", before)
		}
		if got, want := mustPsql(t, srv.URL, "SELECT v FROM kept"), "before the restart"; got != want {
			t.Errorf("after the restart: got %q, want %q", got, want)
		}
	})
	t.Run("stop ends the server and removes its files", func(t *testing.T) {
		p := srv.Process()
		srv.Stop()
		if testenv.Alive(p.Pid()) {
			t.Errorf("server process %d alive after Stop", p.Pid())
		}
		if _, err := os.Stat(srv.Dir); !os.IsNotExist(err) {
			t.Errorf("%s after Stop: %v, want it gone", srv.Dir, err)
		}
		if _, err := psql(t, srv.URL, "SELECT 1"); err == nil {
			t.Error("the server still answers after Stop")
		}
	})
}
