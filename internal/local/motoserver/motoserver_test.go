package motoserver_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/testenv"
)

// TestCommandLineShort: moto runs the wrapper script (it answers, which
// only the script's __main__ makes it do) from a command line of a few dozen
// bytes; it used to carry the whole script, kilobytes in every ps listing.
func TestCommandLineShort(t *testing.T) {
	testenv.Integration(t)
	testenv.Python(t, "moto.server")
	srv, err := motoserver.Start(t.Context(), nil, childproc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Process.Stop(childproc.DefaultGrace)
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(srv.Process.Pid()) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(cmdline), "\x00", " "); len(got) > 300 || !strings.Contains(got, "moto_server.py") {
		t.Errorf("command line of %d bytes: %.300q; want a short one naming moto_server.py", len(got), got)
	}
}
