package appproc

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// exitNotice is how long a failed request waits to learn whether the app
// died: the connection breaks a moment before the exit is reaped.
const exitNotice = 250 * time.Millisecond

// Transport returns an http.RoundTripper that sends each request through
// next once the app is ready. A request whose context ends first fails with
// ErrStarting; one whose app dies before or while it answers fails with an
// error wrapping the app's *childproc.ExitError (also when the body breaks
// off midway), so that the caller can say the app exited, and with what
// status, rather than that it is unreachable. A request whose context ends
// while the app answers has the next one check that the app is not wedged
// (see App.check).
func (a *App) Transport(next http.RoundTripper) http.RoundTripper {
	return &transport{app: a, next: next}
}

type transport struct {
	app  *App
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	inst, err := t.app.await(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close() // RoundTrip must close it, even on failure
		}
		return nil, err
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, inst.explain(req, err)
	}
	resp.Body = &watchedBody{ReadCloser: resp.Body, inst: inst, req: req}
	return resp, nil
}

// explain returns err, wrapped with the app's exit if the app died: it
// waits up to exitNotice for the exit, unless the request itself ended —
// the app did not answer in time, so the next request checks that it still
// answers at all (App.check).
func (inst *instance) explain(req *http.Request, err error) error {
	if req.Context().Err() != nil {
		inst.suspect.Store(true)
		return err
	}
	timer := time.NewTimer(exitNotice)
	defer timer.Stop()
	select {
	case <-inst.p.Exited():
		return fmt.Errorf("%w: %w", inst.exitError(), err)
	case <-timer.C:
		return err
	case <-req.Context().Done():
		return err
	}
}

// watchedBody explains a read error of the app's response body.
type watchedBody struct {
	io.ReadCloser
	inst *instance
	req  *http.Request
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = b.inst.explain(b.req, err)
	}
	return n, err
}
