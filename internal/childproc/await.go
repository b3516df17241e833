package childproc

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Readiness is the HTTP readiness check AwaitHTTP makes: the request it
// sends, how often, and which answer means ready.
type Readiness struct {
	// URL is fetched with GET.
	URL string
	// Host, if set, is the request's Host header.
	Host string
	// Every is the pause between attempts. Default: 20 ms.
	Every time.Duration
	// Ready reports whether a status means the server is ready. Default: any
	// HTTP answer.
	Ready func(status int) bool
	// AnsweredEvery, if longer than Every, is the pause after an answer that
	// is not ready: a server that answers 500 logs each attempt's traceback.
	AnsweredEvery time.Duration
	// Observe, if set, is called with each attempt's outcome: the status of
	// the answer, or 0 and the error of a request that got none.
	Observe func(status int, err error)
}

// AwaitHTTP sends r's request until an answer says ready, p exits (an
// *ExitError), or ctx ends (ctx's error wrapped with the last attempt's). One
// attempt waits for its answer as long as ctx allows: a server that accepted
// the connection is starting, and an app's first request may take long.
func AwaitHTTP(ctx context.Context, p *Process, r Readiness) error {
	r = r.withDefaults()
	attempt, cancel := context.WithCancel(ctx) // an attempt in flight ends when the process does
	defer cancel()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-attempt.Done():
		}
	}()
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		// A redirect is an answer: readiness never follows one.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last error
	for {
		select {
		case <-p.exited:
			return p.exitError()
		case <-ctx.Done():
			return p.notReady(ctx, r, last)
		case <-timer.C:
		}
		req, err := http.NewRequestWithContext(attempt, http.MethodGet, r.URL, nil)
		if err != nil {
			return fmt.Errorf("readiness request for %s: %w", p.name, err)
		}
		if r.Host != "" {
			req.Host = r.Host
		}
		status, err := r.try(client, req)
		if last = err; last == nil {
			return nil
		}
		timer.Reset(r.pause(status))
	}
}

// withDefaults returns r with Every and Ready set.
func (r Readiness) withDefaults() Readiness {
	if r.Every <= 0 {
		r.Every = 20 * time.Millisecond
	}
	if r.Ready == nil {
		r.Ready = func(int) bool { return true }
	}
	return r
}

// try sends req through client and returns the answer's status (0 if
// none) and nil when it says ready, else why not; Observe sees both.
func (r Readiness) try(client *http.Client, req *http.Request) (int, error) {
	status, err := 0, error(nil)
	if resp, doErr := client.Do(req); doErr != nil {
		err = doErr
	} else {
		resp.Body.Close()
		status = resp.StatusCode
		if !r.Ready(status) {
			err = fmt.Errorf("status %d", status)
		}
	}
	if r.Observe != nil {
		r.Observe(status, err)
	}
	return status, err
}

// pause is the wait before the next attempt after one that got status.
func (r Readiness) pause(status int) time.Duration {
	if status != 0 {
		return max(r.Every, r.AnsweredEvery)
	}
	return r.Every
}

// notReady is AwaitHTTP's error once ctx has ended: p's exit if p exited
// too, else ctx's error with the last attempt's (ctx's own if none was made).
func (p *Process) notReady(ctx context.Context, r Readiness, last error) error {
	select {
	case <-p.exited: // both ended: the exit is the news
		return p.exitError()
	default:
	}
	if last == nil {
		last = ctx.Err()
	}
	return fmt.Errorf("%s did not answer %s: %w (last attempt: %v)", p.name, r.URL, ctx.Err(), last)
}
