package testenv

import (
	"testing"

	"github.com/djfront/djfront/internal/local/pgserver"
)

// StartPostgres starts a PostgreSQL server of its own for tb (see package
// pgserver) and returns it once it accepts connections; its URL is the
// DATABASE_URL of its one database. It is stopped and its files removed
// when tb ends; its output is logged if tb failed. Without Debian's server
// the test is reported missing (pgserver.Install).
func StartPostgres(tb testing.TB) *pgserver.Server {
	tb.Helper()
	if _, err := pgserver.FindBin(); err != nil {
		Missing(tb, "PostgreSQL", pgserver.Install)
	}
	ctx, cancel := readyContext(tb)
	defer cancel()
	srv, err := pgserver.Start(ctx, serverOutput)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		p := srv.Process()
		srv.Stop()
		if tb.Failed() {
			tb.Logf("%s output (tail):\n%s", p.Name(), p.Tail())
		}
	})
	return srv
}
