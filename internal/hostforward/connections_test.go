package hostforward_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/hostforward"
)

// frozenConn makes a transport learn that the app closed a pooled
// connection only after the next request was written on it. That is what a
// Lambda frozen between invocations sees: the app's FIN arrives while no
// goroutine runs, and at thaw the new request goes out before the
// transport's read loop reports the EOF.
type frozenConn struct {
	net.Conn
	wrote     chan struct{} // one token per Write, at most one pending
	closed    chan struct{}
	closeOnce sync.Once
}

func (c *frozenConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	select {
	case c.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (c *frozenConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		select { // the token of the request already answered
		case <-c.wrote:
		default:
		}
		select { // hold the EOF until the next request is written
		case <-c.wrote:
		case <-c.closed:
		case <-time.After(10 * time.Second):
		}
	}
	return n, err
}

func (c *frozenConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// An app that closes idle keep-alive connections after 2 s (gunicorn's
// default keep-alive) and a POST after a longer pause: Go retries only
// idempotent requests on a dead pooled connection, so without the fix the
// POST is a 502 (issue 10, item 6).
func TestPostAfterAppClosedIdleConnection(t *testing.T) {
	tests := []struct {
		name      string
		transport func() *http.Transport
	}{
		{"NewTransport", hostforward.NewTransport},
		{"a transport that keeps idle connections longer (HTTP/2, custom transports)", func() *http.Transport {
			tr := hostforward.NewTransport()
			tr.IdleConnTimeout = time.Minute
			return tr
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var dials atomic.Int32
			app := httptest.NewUnstartedServer(http.HandlerFunc(ok))
			app.Config.IdleTimeout = 2 * time.Second
			app.Start()
			t.Cleanup(app.Close)

			tr := tt.transport()
			dial := tr.DialContext
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				c, err := dial(ctx, network, addr)
				if err != nil {
					return nil, err
				}
				return &frozenConn{Conn: c, wrote: make(chan struct{}, 1), closed: make(chan struct{})}, nil
			}
			t.Cleanup(tr.CloseIdleConnections)
			h := newHandlerWith(t, app.URL, tr)

			if resp, _ := h.Handle(context.Background(), loadEvent(t, "api-get.json")); resp.StatusCode != http.StatusOK {
				t.Fatalf("first request: %d %s", resp.StatusCode, resp.Body)
			}
			time.Sleep(2*time.Second + 500*time.Millisecond) // the app closes the idle connection
			ev := loadEvent(t, "api-post-form.json")
			if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != http.StatusOK {
				t.Errorf("POST after the app closed the idle connection: %d %q, want 200", resp.StatusCode, resp.Body)
			}
			if got := dials.Load(); got != 2 {
				t.Errorf("dialed %d connections, want 2 (a fresh one after the pause)", got)
			}
		})
	}
}
