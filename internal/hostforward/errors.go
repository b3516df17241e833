package hostforward

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/childproc"
)

// refusal is a request the function answers itself, with the status and the
// short reason the viewer sees. Every failure of a request ends as one.
type refusal struct {
	status int
	reason string
	err    error // detail for the log, if any
}

func (r *refusal) Error() string {
	if r.err != nil {
		return r.reason + ": " + r.err.Error()
	}
	return r.reason
}

func (r *refusal) Unwrap() error { return r.err }

func badRequest(format string, args ...any) *refusal {
	return &refusal{status: http.StatusBadRequest, reason: fmt.Sprintf(format, args...)}
}

func badGateway(format string, args ...any) *refusal {
	return &refusal{status: http.StatusBadGateway, reason: fmt.Sprintf(format, args...)}
}

// classify maps an upstream failure — the proxy's error, a body read error
// or a refusal the recorder made — to the status the viewer gets; limit
// says which time limit applied ("within 25s"). A new kind of upstream
// failure gets its case here.
func classify(err error, limit string) error {
	var (
		r        *refusal
		protocol textproto.ProtocolError
		exited   *childproc.ExitError
		starting *appproc.StartingError
	)
	switch {
	case errors.As(err, &r):
		return r
	case errors.As(err, &exited): // in-function mode: the app died
		return &refusal{status: http.StatusBadGateway, reason: "the app exited (" + exited.Status + ")", err: err}
	case errors.As(err, &starting) && starting.Status != 0:
		// The app answers, but not ready (a Django 500 at boot): say so
		// rather than "starting" for good; the traceback is in its output.
		return &refusal{status: http.StatusServiceUnavailable, err: err,
			reason: fmt.Sprintf("the app is not ready: it answers %d on %s; its output is in the function's log", starting.Status, starting.Path)}
	case errors.Is(err, appproc.ErrStarting):
		return &refusal{status: http.StatusServiceUnavailable, reason: "the app is still starting", err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &refusal{status: http.StatusGatewayTimeout, reason: "the app did not answer " + limit, err: err}
	case errors.As(err, &protocol):
		// net/textproto refused the status line or a header line (a
		// control byte in a value, a name that is not a token).
		return &refusal{status: http.StatusBadGateway, reason: "the app sent a malformed response", err: err}
	default:
		return &refusal{status: http.StatusBadGateway, reason: "the app is unreachable or sent a broken response", err: err}
	}
}

// errorResponse renders a refusal as the short plain-text answer the viewer
// sees, naming API Gateway's request id (the one the app gets as
// X-Request-Id). It is never cached: a 4xx/5xx would otherwise stay at the
// edge for CloudFront's default error caching time.
func errorResponse(err error, requestID string) events.APIGatewayV2HTTPResponse {
	var r *refusal
	if !errors.As(err, &r) {
		r = &refusal{status: http.StatusBadGateway, reason: "internal error", err: err}
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: r.status,
		Headers: map[string]string{
			"Content-Type":           "text/plain; charset=utf-8",
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		},
		Body: fmt.Sprintf("%d %s: %s (request id %s)\n", r.status, http.StatusText(r.status), r.reason, requestID),
	}
}
