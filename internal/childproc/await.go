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
}

// AwaitHTTP sends r's request until an answer says ready, p exits (an
// *ExitError), or ctx ends (ctx's error wrapped with the last attempt's). One
// attempt waits for its answer as long as ctx allows: a server that accepted
// the connection is starting, and an app's first request may take long.
func AwaitHTTP(ctx context.Context, p *Process, r Readiness) error {
	every := r.Every
	if every <= 0 {
		every = 20 * time.Millisecond
	}
	ready := r.Ready
	if ready == nil {
		ready = func(int) bool { return true }
	}
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
			select {
			case <-p.exited: // both ended: the exit is the news
				return p.exitError()
			default:
			}
			if last == nil {
				last = ctx.Err()
			}
			return fmt.Errorf("%s did not answer %s: %w (last attempt: %v)", p.name, r.URL, ctx.Err(), last)
		case <-timer.C:
		}
		req, err := http.NewRequestWithContext(attempt, http.MethodGet, r.URL, nil)
		if err != nil {
			return fmt.Errorf("readiness request for %s: %w", p.name, err)
		}
		if r.Host != "" {
			req.Host = r.Host
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if ready(resp.StatusCode) {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		timer.Reset(every)
	}
}
