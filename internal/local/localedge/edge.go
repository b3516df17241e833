package localedge

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/lambdalimit"
	"github.com/djfront/djfront/internal/local/awsid"
	"github.com/djfront/djfront/internal/local/runtimeapi"
)

// API Gateway HTTP API limits.
const (
	// MaxPayload is API Gateway's request payload quota, 10 MB.
	MaxPayload = 10 << 20
	// IntegrationTimeout is the HTTP API's fixed integration timeout.
	IntegrationTimeout = 30 * time.Second
	// MaxRequestHeaders is the HTTP API's quota on the total combined size
	// of the request line and header values it receives, 10,240 bytes (not
	// adjustable). A viewer's large cookies or query count against it,
	// and so do the headers CloudFront adds.
	MaxRequestHeaders = 10240
)

// Defaults of a Config.
const (
	DefaultAPIID  = "a1b2c3d4e5"
	DefaultEdgeIP = "127.0.0.2"
)

// methodNotAllowed is CloudFront's message for a method the behaviour does
// not allow.
const methodNotAllowed = "This distribution is not configured to allow the HTTP request method that was used for this request. " +
	"The distribution supports only cachable requests."

// Invoker runs a Lambda function synchronously; *runtimeapi.Server is one.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (runtimeapi.Result, error)
}

var _ Invoker = (*runtimeapi.Server)(nil)

// Config configures an Edge.
type Config struct {
	// Distribution is the template's distribution (ReadDistribution); it
	// must not be nil.
	Distribution *Distribution
	// App is the function behind the API's $default route (hostforward),
	// the origin of behaviours whose origin is not S3.
	App Invoker
	// Assets is the S3 origin; nil answers its behaviours with 502.
	Assets *Assets
	// OriginVerify is the value of the app origin's custom header (the
	// template resolves it from Secrets Manager).
	OriginVerify string
	// APIID is the HTTP API's id; its domain is
	// <APIID>.execute-api.us-east-1.amazonaws.com. Default: DefaultAPIID.
	APIID string
	// EdgeIP is the address API Gateway sees the request come from (a
	// CloudFront edge), its requestContext.http.sourceIp. Default:
	// DefaultEdgeIP.
	EdgeIP string
	// Observe, if set, is called after each request the function answered,
	// with the event sent and the response received (nil on a Lambda error).
	Observe func(*events.APIGatewayV2HTTPRequest, *events.APIGatewayV2HTTPResponse)
	// Logger receives one line per request; default slog.Default().
	Logger *slog.Logger
	// Now is the clock of the cache; default time.Now.
	Now func() time.Time
}

// Edge is the stand-in distribution and API, an http.Handler for viewers.
type Edge struct {
	cfg   Config
	cache cache
}

// New returns an Edge for cfg. It panics if cfg.Distribution is nil.
func New(cfg Config) *Edge {
	if cfg.Distribution == nil {
		panic("localedge: Config.Distribution is nil")
	}
	if cfg.APIID == "" {
		cfg.APIID = DefaultAPIID
	}
	if cfg.EdgeIP == "" {
		cfg.EdgeIP = DefaultEdgeIP
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Edge{cfg: cfg}
}

// Invalidate removes cached objects as a CloudFront invalidation does:
// each path is a URL path, exact or ending in * for a prefix. It returns
// how many objects were removed.
func (e *Edge) Invalidate(paths ...string) int { return e.cache.invalidate(paths) }

func (e *Edge) apiDomain() string { return e.cfg.APIID + ".execute-api.us-east-1.amazonaws.com" }

// ServeHTTP answers a viewer's request as the distribution would: the
// behaviour for its path, its allowed methods, the cache (hit, or the
// origin's answer stored as the cache policy and error caching allow), the
// response headers policy.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := e.cfg.Now()
	b := e.cfg.Distribution.behavior(r.URL.EscapedPath())
	xcache, resp, age := e.answer(w, r, b, start)
	e.write(w, r, b, resp, xcache, age)
	e.cfg.Logger.Info("edge", "method", r.Method, "path", r.URL.Path, "behavior", b.pattern, "status", resp.status,
		"x_cache", xcache, "apigw_request_id", resp.header.Get("Apigw-Requestid"),
		"duration_ms", time.Since(start).Milliseconds())
}

// answer returns the response for r, from the cache or the origin, with
// its X-Cache value and, for a hit, its age.
func (e *Edge) answer(w http.ResponseWriter, r *http.Request, b *behavior, now time.Time) (string, *response, time.Duration) {
	if !slices.Contains(b.allowed, r.Method) {
		return "Error from cloudfront", cloudFrontError(http.StatusForbidden, methodNotAllowed), -1
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPayload))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "Error from cloudfront", apiError(http.StatusRequestEntityTooLarge, "Request Entity Too Large", ""), -1
		}
		e.cfg.Logger.Warn("edge: read request body", "path", r.URL.Path, "error", err)
		return "Error from cloudfront", apiError(http.StatusBadRequest, "Bad Request", ""), -1
	}
	fwd := b.forward(r, r.RemoteAddr, body)
	cacheable := (r.Method == http.MethodGet || r.Method == http.MethodHead) && slices.Contains(b.cached, r.Method)
	if cacheable {
		if hit := e.cache.get(fwd.key, now); hit != nil {
			return xCache(hit.resp.status, "Hit"), hit.resp, now.Sub(hit.stored)
		}
		// The edge answers conditional requests itself, from what it has.
		for _, h := range []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "Range", "If-Range"} {
			fwd.header.Del(h)
		}
	}
	var resp *response
	switch {
	case b.origin.s3 && e.cfg.Assets == nil:
		resp = cloudFrontError(http.StatusBadGateway, "CloudFront wasn't able to connect to the origin: no S3 origin is configured.")
	case b.origin.s3:
		resp = e.cfg.Assets.fetch(r.Context(), fwd.path, b.origin.listBucket)
	default:
		resp = e.invokeApp(r.Context(), fwd, r, now)
	}
	if !b.forwardsCookies() {
		resp.header.Del("Set-Cookie")
	}
	// Only a GET's answer is stored: a HEAD's has no body to serve a GET.
	if cacheable && r.Method == http.MethodGet {
		if ttl := e.cfg.Distribution.ttl(b, resp, now); ttl > 0 {
			e.cache.put(fwd.key, &entry{resp: resp, path: r.URL.EscapedPath(), stored: now, expires: now.Add(ttl)})
		}
	}
	return xCache(resp.status, "Miss"), resp, -1
}

func xCache(status int, outcome string) string {
	if status >= 400 {
		return "Error from cloudfront"
	}
	return outcome + " from cloudfront"
}

// write sends resp to the viewer with the response headers policy applied,
// answering a conditional GET or HEAD with 304 when resp is current.
func (e *Edge) write(w http.ResponseWriter, r *http.Request, b *behavior, resp *response, xcache string, age time.Duration) {
	h := w.Header()
	for name, values := range resp.header {
		if hopByHop[name] || name == "Content-Length" {
			continue
		}
		h[name] = slices.Clone(values)
	}
	if p := b.headers; p != nil {
		for _, ph := range p.add {
			// Strict-Transport-Security would pin localhost to https in the
			// user's browser for a year: not sent by the stand-in.
			if ph.name == "Strict-Transport-Security" {
				continue
			}
			if ph.override || h.Get(ph.name) == "" {
				h.Set(ph.name, ph.value)
			}
		}
		for _, name := range p.remove {
			h.Del(name)
		}
	}
	h.Set("Via", "1.1 "+awsid.Hex(16)+".cloudfront.net (CloudFront)")
	h.Set("X-Cache", xcache)
	h.Set("X-Amz-Cf-Pop", "LOCAL1-P1")
	if age >= 0 {
		h.Set("Age", strconv.Itoa(int(age/time.Second)))
	}
	status := resp.status
	if status == http.StatusOK && (r.Method == http.MethodGet || r.Method == http.MethodHead) && notModified(r.Header, resp.header) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method != http.MethodHead {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(resp.body) // an error means the viewer went away: nobody to tell
	}
}

// notModified reports whether a viewer's conditional request is answered
// by 304 (RFC 9110 §13.1.2, §13.1.3: If-None-Match wins).
func notModified(req, resp http.Header) bool {
	if inm := req.Get("If-None-Match"); inm != "" {
		etag := strings.TrimPrefix(resp.Get("Etag"), "W/")
		for tag := range strings.SplitSeq(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if etag != "" && (tag == "*" || tag == etag) {
				return true
			}
		}
		return false
	}
	ims, err := http.ParseTime(req.Get("If-Modified-Since"))
	if err != nil {
		return false
	}
	lm, err := http.ParseTime(resp.Get("Last-Modified"))
	return err == nil && !lm.After(ims)
}

// invokeApp sends the origin request through API Gateway to the function
// and returns its answer, or API Gateway's own error answer.
func (e *Edge) invokeApp(ctx context.Context, fwd *originRequest, r *http.Request, now time.Time) *response {
	if fwd.host != "" && fwd.host != e.apiDomain() {
		// API Gateway refuses a Host that is not one of its domains: what
		// a behaviour that forwards the viewer's Host gets.
		return apiError(http.StatusForbidden, "Forbidden", "")
	}
	ev := e.event(fwd, r, now)
	id := ev.RequestContext.RequestID
	payload, refused := e.encode(fwd, r, &ev)
	if refused != nil {
		return refused
	}
	ctx, cancel := context.WithTimeout(ctx, IntegrationTimeout)
	defer cancel()
	res, err := e.cfg.App.Invoke(ctx, payload)
	log := e.cfg.Logger.With("method", r.Method, "path", r.URL.Path, "apigw_request_id", id)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		log.Error("edge: no answer within the integration timeout", "timeout", IntegrationTimeout)
		return apiError(http.StatusServiceUnavailable, "Service Unavailable", id)
	case err != nil:
		log.Error("edge: invoke", "error", err)
		return apiError(http.StatusInternalServerError, "Internal Server Error", id)
	case res.Error != nil:
		log.Error("edge: function error", "error", res.Error)
		e.observe(&ev, nil)
		return apiError(http.StatusInternalServerError, "Internal Server Error", id)
	}
	out, err := parseResponse(res.Payload)
	if err != nil {
		log.Error("edge: malformed function response", "error", err)
		e.observe(&ev, nil)
		return apiError(http.StatusInternalServerError, "Internal Server Error", id)
	}
	e.observe(&ev, out)
	resp, err := fromFunction(out, id)
	if err != nil {
		log.Error("edge: malformed function response", "error", err)
		return apiError(http.StatusInternalServerError, "Internal Server Error", id)
	}
	return resp
}

// encode returns the event ev of fwd as the payload Lambda gets, or API
// Gateway's answer when ev is over a quota the function never sees.
func (e *Edge) encode(fwd *originRequest, r *http.Request, ev *events.APIGatewayV2HTTPRequest) ([]byte, *response) {
	id := ev.RequestContext.RequestID
	if n := requestHeadersSize(fwd, ev); n > MaxRequestHeaders {
		// The quota is documented (http-api-quotas), the status API
		// Gateway answers with is not: the edge says 431.
		e.cfg.Logger.Warn("edge: request line and headers over the HTTP API's quota", "path", r.URL.Path,
			"bytes", n, "quota", MaxRequestHeaders, "apigw_request_id", id)
		return nil, apiError(http.StatusRequestHeaderFieldsTooLarge, "Request Header Fields Too Large", id)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		e.cfg.Logger.Error("edge: encode event", "error", err)
		return nil, apiError(http.StatusInternalServerError, "Internal Server Error", id)
	}
	if len(payload) > lambdalimit.MaxRequest {
		// Lambda's Invoke refuses the event (RequestTooLargeException, HTTP
		// 413: gettingstarted-limits, 6 MB per synchronous invocation) though
		// the body fits the HTTP API's 10 MB. Which status API Gateway then
		// answers the viewer with is not documented; the edge answers
		// Invoke's own 413, as for a body over the HTTP API's quota.
		e.cfg.Logger.Warn("edge: event over Lambda's invocation payload limit", "path", r.URL.Path,
			"bytes", len(payload), "limit", lambdalimit.MaxRequest, "apigw_request_id", id)
		return nil, apiError(http.StatusRequestEntityTooLarge, "Request Entity Too Large", id)
	}
	return payload, nil
}

// apiGatewayHeaders are the event's headers API Gateway adds itself, after
// its request-size quota.
var apiGatewayHeaders = map[string]bool{"x-forwarded-proto": true, "x-forwarded-port": true, "x-amzn-trace-id": true}

// requestHeadersSize is the size of the request line and header values of
// the origin request as API Gateway receives it from CloudFront.
func requestHeadersSize(fwd *originRequest, ev *events.APIGatewayV2HTTPRequest) int {
	n := len(fwd.method) + len(" ") + len((&url.URL{Path: fwd.path}).EscapedPath()) + len(" HTTP/1.1")
	if fwd.rawQuery != "" {
		n += len("?") + len(fwd.rawQuery)
	}
	for name, value := range ev.Headers {
		if !apiGatewayHeaders[name] {
			n += len(value)
		}
	}
	if len(ev.Cookies) > 0 {
		n += len(strings.Join(ev.Cookies, "; "))
	}
	return n
}

func (e *Edge) observe(ev *events.APIGatewayV2HTTPRequest, resp *events.APIGatewayV2HTTPResponse) {
	if e.cfg.Observe != nil {
		e.cfg.Observe(ev, resp)
	}
}

// parseResponse reads a payload-2.0 response. As in API Gateway, a payload
// without statusCode is the body of a 200 application/json answer.
func parseResponse(payload []byte) (*events.APIGatewayV2HTTPResponse, error) {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) == nil && probe["statusCode"] != nil {
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(payload, &resp); err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
		if resp.StatusCode < 100 || resp.StatusCode > 599 {
			return nil, fmt.Errorf("status code %d", resp.StatusCode)
		}
		return &resp, nil
	}
	if !json.Valid(payload) {
		return nil, errors.New("the response is not JSON")
	}
	return &events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(payload),
	}, nil
}

// fromFunction turns a payload-2.0 response into what API Gateway sends:
// cookies as Set-Cookie lines, a base64 body decoded. It fails if the body
// does not decode.
func fromFunction(out *events.APIGatewayV2HTTPResponse, requestID string) (*response, error) {
	body := []byte(out.Body)
	if out.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(out.Body); err != nil {
			return nil, fmt.Errorf("body is not base64: %w", err)
		}
	}
	h := http.Header{}
	for name, value := range out.Headers {
		h.Set(name, value)
	}
	for _, c := range out.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Apigw-Requestid", requestID)
	return &response{status: out.StatusCode, header: h, body: body}, nil
}

// apiError is one of API Gateway's own error answers.
func apiError(status int, message, requestID string) *response {
	h := http.Header{"Content-Type": {"application/json"}}
	if requestID != "" {
		h.Set("Apigw-Requestid", requestID)
	}
	return &response{status: status, header: h, body: fmt.Appendf(nil, "{\"message\":%q}", message)}
}
