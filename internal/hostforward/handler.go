package hostforward

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/childproc"
)

// deadlineMargin is kept back from the Lambda deadline so that a slow app
// still gets a 504 answered, rather than the invocation timing out.
const deadlineMargin = 250 * time.Millisecond

// Handler forwards API Gateway HTTP API events to the upstream app. It is
// safe for concurrent use; build one at cold start and reuse it.
type Handler struct {
	cfg     Config
	secrets [][sha256.Size]byte // digests of cfg.Secrets, for the constant-time check
	proxy   *httputil.ReverseProxy
	log     *slog.Logger
}

// NewTransport returns the pooled transport a Handler should reuse across
// invocations: keep-alive connections to the app, no transparent
// decompression (Content-Encoding passes through to the viewer).
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // the app is reached directly, never through HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// New returns a Handler for cfg that sends requests through transport and
// logs to logger. When cfg has no origin-verify secrets it logs a warning
// once: anyone who finds the API Gateway URL can then reach the app.
func New(cfg Config, transport http.RoundTripper, logger *slog.Logger) *Handler {
	h := &Handler{cfg: cfg, log: logger}
	for _, s := range cfg.Secrets {
		h.secrets = append(h.secrets, sha256.Sum256([]byte(s)))
	}
	h.proxy = &httputil.ReverseProxy{
		Rewrite:        h.rewrite,
		Transport:      transport,
		ModifyResponse: watchBody,
		ErrorHandler:   func(w http.ResponseWriter, _ *http.Request, err error) { w.(*recorder).fail(err) },
		ErrorLog:       log.New(io.Discard, "", 0), // every failure is logged once, by Handle
	}
	if len(cfg.Secrets) == 0 {
		logger.Warn("ORIGIN_VERIFY_SECRETS is not set: requests are not checked for the CloudFront origin header, " +
			"so a client that finds the API Gateway URL bypasses CloudFront, and True-Client-IP and " +
			"CloudFront-Forwarded-Proto are ignored")
	}
	return h
}

type viewerKey struct{}

// rewrite sets everything the app learns about the viewer. ReverseProxy has
// already removed hop-by-hop headers and the X-Forwarded-For/Host/Proto and
// Forwarded headers from Out; newRequest dropped every other untrusted one.
func (h *Handler) rewrite(pr *httputil.ProxyRequest) {
	v := pr.In.Context().Value(viewerKey{}).(*viewer)
	pr.SetURL(h.cfg.Upstream)
	pr.Out.Host = v.host
	hdr := pr.Out.Header
	hdr["X-Forwarded-Host"] = []string{v.host}
	hdr["X-Forwarded-Proto"] = []string{v.proto}
	hdr["X-Forwarded-Port"] = []string{v.port}
	hdr["X-Forwarded-For"] = []string{v.clientIP}
	hdr["X-Real-Ip"] = []string{v.clientIP}
	hdr["Forwarded"] = []string{forwardedHeader(v)}
	if v.requestID != "" {
		hdr["X-Request-Id"] = []string{v.requestID}
	}
}

// forwardedHeader renders the RFC 7239 Forwarded element for v.
func forwardedHeader(v *viewer) string {
	forIP := v.clientIP
	if strings.Contains(forIP, ":") {
		forIP = `"[` + forIP + `]"` // RFC 7239 §6: IPv6 in brackets, quoted
	}
	host := v.host
	if !isToken(host) || strings.Contains(host, ":") {
		host = `"` + host + `"`
	}
	return "for=" + forIP + ";host=" + host + ";proto=" + v.proto
}

// Handle answers one event. It never returns an error: every failure
// becomes a short plain-text response naming the reason and the request id,
// and one JSON log line per request carries the detail.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	id := ev.RequestContext.RequestID
	resp, v, upstream, err := h.forward(ctx, &ev)
	if err != nil {
		resp = errorResponse(err, id)
	}
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", ev.RequestContext.HTTP.Method),
		slog.String("path", ev.RawPath),
	}
	if v != nil {
		attrs = append(attrs, slog.String("host", v.host), slog.String("client_ip", v.clientIP), slog.Bool("verified", v.verified))
	} else { // refused before the viewer was known: log what was asked for
		attrs = append(attrs, slog.String("host", viewerHost(&ev)), slog.String("source_ip", ev.RequestContext.HTTP.SourceIP))
	}
	attrs = append(attrs,
		slog.Int("status", resp.StatusCode),
		slog.Int64("upstream_ms", upstream.Milliseconds()),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()))
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if resp.StatusCode >= 500 {
			level = slog.LevelError
		} else {
			level = slog.LevelWarn
		}
	}
	h.log.LogAttrs(ctx, level, "request", attrs...)
	return resp, nil
}

// forward does the work of Handle: it returns the app's response, the
// viewer (nil when refused before it was known) and how long the app took.
func (h *Handler) forward(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, *viewer, time.Duration, error) {
	req, v, err := h.newRequest(ctx, ev)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, nil, 0, err
	}

	timeout, limit := h.cfg.Timeout, fmt.Sprintf("within %s", h.cfg.Timeout)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl)-deadlineMargin < timeout {
		timeout, limit = max(time.Until(dl)-deadlineMargin, 0), "before the Lambda deadline"
	}
	rec := newRecorder()
	ctx = context.WithValue(context.WithValue(ctx, viewerKey{}, v), recorderKey{}, rec)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	start := time.Now()
	h.proxy.ServeHTTP(rec, req.WithContext(ctx))
	took := time.Since(start)
	if err := rec.err(); err != nil {
		return events.APIGatewayV2HTTPResponse{}, v, took, classify(err, limit)
	}
	resp, err := rec.response()
	return resp, v, took, err
}

// classify maps an upstream failure to the status the viewer gets; limit
// says which time limit applied ("within 25s").
func classify(err error, limit string) error {
	var r *refusal
	var exited *childproc.ExitError
	switch {
	case errors.As(err, &r):
		return r
	case errors.As(err, &exited): // in-function mode: the app died
		return &refusal{status: http.StatusBadGateway, reason: "the app exited (" + exited.Status + ")", err: err}
	case errors.Is(err, appproc.ErrStarting):
		return &refusal{status: http.StatusServiceUnavailable, reason: "the app is still starting", err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &refusal{status: http.StatusGatewayTimeout, reason: "the app did not answer " + limit, err: err}
	default:
		return &refusal{status: http.StatusBadGateway, reason: "the app is unreachable or sent a broken response", err: err}
	}
}

// errorResponse renders a refusal as the short plain-text answer the viewer
// sees. It is never cached: a 4xx/5xx would otherwise stay at the edge for
// CloudFront's default error caching time.
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
