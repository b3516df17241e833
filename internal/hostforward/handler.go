package hostforward

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/djfront/djfront/internal/secretcache"
)

// deadlineMargin is kept back from the Lambda deadline so that a slow app
// still gets a 504 answered, rather than the invocation timing out.
const deadlineMargin = 250 * time.Millisecond

// staleAfter is how long a pooled connection to the app may stay idle and
// still be reused: below the shortest common app keep-alive (gunicorn's
// default is 2 s). Between invocations Lambda freezes the function, so an
// app that closes an idle connection meanwhile is noticed only after the
// next request was written on it — and Go retries only idempotent requests
// on such a connection, so a POST would fail with a 502.
const staleAfter = time.Second

// Handler forwards API Gateway HTTP API events to the upstream app. It is
// safe for concurrent use; build one at cold start and reuse it.
type Handler struct {
	cfg   Config
	creds credentials
	proxy *httputil.ReverseProxy
	log   *slog.Logger
	// idle is the transport, when it can close its idle connections.
	idle interface{ CloseIdleConnections() }
	// lastUsed is when a request to the app last ended (Unix nanoseconds,
	// wall clock, as the transport's own idle check reads it).
	lastUsed atomic.Int64
}

// NewTransport returns the pooled transport a Handler should reuse across
// invocations: keep-alive connections to the app, reused only while idle
// for less than a second (see docs/hostforward.md), no transparent decompression
// (Content-Encoding passes through to the viewer).
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // the app is reached directly, never through HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       staleAfter, // checked when a connection is taken from the pool
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// New returns a Handler for cfg, ready for requests, or an error. It reads
// the secrets cfg names by ARN through secrets (bounded by ctx; nil will do
// when cfg names none), and fails, naming the variable, when one cannot be
// read; with cfg.App set it reads the upstream credential once, for good (the
// app read its own once, as it started). The Handler sends requests through
// transport; when transport has a CloseIdleConnections method (as
// *http.Transport does), it calls it when a request follows more than a
// second without one, so that no request goes out on a connection the app
// closed meanwhile. When cfg has no origin check New logs a warning once:
// anyone who finds the API Gateway URL can then reach the app.
func New(ctx context.Context, cfg Config, transport http.RoundTripper, secrets secretcache.API, logger *slog.Logger) (*Handler, error) {
	creds, err := loadCredentials(ctx, cfg, secrets, logger)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, creds: creds, log: logger}
	h.idle, _ = transport.(interface{ CloseIdleConnections() })
	h.proxy = &httputil.ReverseProxy{
		Rewrite:        h.rewrite,
		Transport:      transport,
		ModifyResponse: watchBody,
		ErrorHandler:   func(w http.ResponseWriter, _ *http.Request, err error) { w.(*recorder).fail(err) },
		ErrorLog:       log.New(io.Discard, "", 0), // every failure is logged once, by Handle
	}
	if creds.origin == nil {
		logger.Warn("neither ORIGIN_VERIFY_SECRET_ARN nor ORIGIN_VERIFY_SECRETS is set: requests are not checked for the CloudFront origin header, " +
			"so a client that finds the API Gateway URL bypasses CloudFront, and True-Client-IP and " +
			"CloudFront-Forwarded-Proto are ignored")
	}
	return h, nil
}

// Handle answers one event. It never returns an error: every failure
// becomes a short plain-text response naming the reason and API Gateway's
// request id, and one JSON log line per request carries the detail.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r := h.serve(ctx, &ev)
	return r.response(), nil
}

// serve is Handle's work, the answer left as a reply (its binary body not
// yet base64-encoded) for Invoke to encode.
func (h *Handler) serve(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) reply {
	start := time.Now()
	out, err := h.forward(ctx, ev)
	if err != nil {
		out.reply = reply{resp: errorResponse(err, ev.RequestContext.RequestID)}
	}
	h.logRequest(ctx, ev, &out, err, time.Since(start))
	return out.reply
}

// outcome is what forward learned about one request.
type outcome struct {
	reply    reply
	viewer   *viewer       // nil when refused before the viewer was known
	called   bool          // the app was called
	upstream time.Duration // how long the app took, when called
	changes  changes       // what the response conversion changed
}

// forward does the work of Handle: event → checks and request (newRequest)
// → proxy (rewrite, the app) → response (recorder.response).
func (h *Handler) forward(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (outcome, error) {
	var out outcome
	req, v, err := h.newRequest(ctx, ev)
	if err != nil {
		return out, err
	}
	out.viewer = v

	timeout, limit := h.cfg.Timeout, fmt.Sprintf("within %s", h.cfg.Timeout)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl)-deadlineMargin < timeout {
		timeout, limit = max(time.Until(dl)-deadlineMargin, 0), "before the Lambda deadline"
	}
	rec := newRecorder()
	ctx = context.WithValue(context.WithValue(ctx, viewerKey{}, v), recorderKey{}, rec)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	h.dropStaleConnections()
	start := time.Now()
	h.proxy.ServeHTTP(rec, req.WithContext(ctx))
	out.called, out.upstream = true, time.Since(start)
	h.lastUsed.Store(time.Now().UnixNano())
	if err := rec.err(); err != nil {
		return out, classify(err, limit)
	}
	out.reply, out.changes, err = rec.response()
	return out, err
}

// dropStaleConnections closes the transport's idle connections when no
// request to the app ended within staleAfter: the function was most likely
// frozen meanwhile, and the app may have closed them without the transport
// noticing. NewTransport's IdleConnTimeout does the same for HTTP/1.1
// connections; this also covers HTTP/2 and other transports.
func (h *Handler) dropStaleConnections() {
	last := h.lastUsed.Load()
	if h.idle != nil && last != 0 && time.Now().UnixNano()-last > int64(staleAfter) {
		h.idle.CloseIdleConnections()
	}
}

// logRequest writes the request's one log line. request_id is Lambda's
// request id, apigw_request_id API Gateway's; fields that were never
// learned (the viewer of a refused request, the app's time when it was not
// called, whatever a malformed event left empty) are left out rather than
// zero-filled.
func (h *Handler) logRequest(ctx context.Context, ev *events.APIGatewayV2HTTPRequest, out *outcome, err error, took time.Duration) {
	attrs := make([]slog.Attr, 0, 16)
	known := func(key, value string) {
		if value != "" {
			attrs = append(attrs, slog.String(key, value))
		}
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		known("request_id", lc.AwsRequestID)
	}
	known("apigw_request_id", ev.RequestContext.RequestID)
	known("method", ev.RequestContext.HTTP.Method)
	known("path", ev.RawPath)
	if v := out.viewer; v != nil {
		attrs = append(attrs, slog.String("host", v.host), slog.String("client_ip", v.clientIP), slog.Bool("verified", v.verified))
	} else { // refused before the viewer was known: log what was asked for
		known("host", viewerHost(ev))
		known("source_ip", ev.RequestContext.HTTP.SourceIP)
	}
	attrs = append(attrs, slog.Int("status", out.reply.resp.StatusCode))
	if out.called {
		attrs = append(attrs, slog.Int64("upstream_ms", out.upstream.Milliseconds()))
	}
	attrs = append(attrs, slog.Int64("duration_ms", took.Milliseconds()))
	attrs = append(attrs, out.changes.attrs()...)
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		level = slog.LevelWarn
		if out.reply.resp.StatusCode >= 500 {
			level = slog.LevelError
		}
	}
	h.log.LogAttrs(ctx, level, "request", attrs...)
}
