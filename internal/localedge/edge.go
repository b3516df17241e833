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
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/runtimeapi"
)

// API Gateway HTTP API limits.
const (
	// MaxPayload is API Gateway's request payload quota, 10 MB.
	MaxPayload = 10 << 20
	// IntegrationTimeout is the HTTP API's fixed integration timeout.
	IntegrationTimeout = 30 * time.Second
)

// Defaults of a Config.
const (
	DefaultAPIID  = "a1b2c3d4e5"
	DefaultEdgeIP = "127.0.0.2"
)

// Invoker runs a Lambda function synchronously; *runtimeapi.Server is one.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (runtimeapi.Result, error)
}

var _ Invoker = (*runtimeapi.Server)(nil)

// Config configures an Edge.
type Config struct {
	// App is the function behind the API's $default route (hostforward).
	App Invoker
	// Assets serves the cache behaviours of AssetPrefixes; nil answers
	// those paths with 404.
	Assets *Assets
	// OriginVerify is the value of the origin custom header X-Origin-Verify.
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
}

// Edge is the stand-in distribution and API, an http.Handler for viewers.
type Edge struct {
	cfg Config
}

// New returns an Edge for cfg.
func New(cfg Config) *Edge {
	if cfg.APIID == "" {
		cfg.APIID = DefaultAPIID
	}
	if cfg.EdgeIP == "" {
		cfg.EdgeIP = DefaultEdgeIP
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Edge{cfg: cfg}
}

func (e *Edge) apiDomain() string { return e.cfg.APIID + ".execute-api.us-east-1.amazonaws.com" }

// ServeHTTP answers a viewer's request: from the bucket for an asset path,
// through the function otherwise.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Via", "1.1 "+randomHex(16)+".cloudfront.net (CloudFront)")
	w.Header().Set("X-Cache", "Miss from cloudfront")
	if e.cfg.Assets != nil && e.cfg.Assets.Matches(r.URL.Path) {
		e.cfg.Assets.ServeHTTP(w, r)
		return
	}
	e.serveApp(w, r)
}

// serveApp sends r through API Gateway to the function.
func (e *Edge) serveApp(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPayload))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", "")
			return
		}
		e.cfg.Logger.Warn("edge: read request body", "path", r.URL.Path, "error", err)
		apiError(w, http.StatusBadRequest, "Bad Request", "")
		return
	}
	ev := e.event(r, body, start)
	id := ev.RequestContext.RequestID
	payload, err := json.Marshal(ev)
	if err != nil {
		e.cfg.Logger.Error("edge: encode event", "error", err)
		apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), IntegrationTimeout)
	defer cancel()
	res, err := e.cfg.App.Invoke(ctx, payload)
	log := e.cfg.Logger.With("method", r.Method, "path", r.URL.Path, "request_id", id)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		log.Error("edge: no answer within the integration timeout", "timeout", IntegrationTimeout)
		apiError(w, http.StatusServiceUnavailable, "Service Unavailable", id)
		return
	case err != nil:
		log.Error("edge: invoke", "error", err)
		apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
		return
	case res.Error != nil:
		log.Error("edge: function error", "error", res.Error)
		e.observe(&ev, nil)
		apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
		return
	}
	resp, err := parseResponse(res.Payload)
	if err != nil {
		log.Error("edge: malformed function response", "error", err)
		e.observe(&ev, nil)
		apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
		return
	}
	e.observe(&ev, resp)
	if err := writeResponse(w, resp, id); err != nil {
		log.Error("edge: malformed function response", "error", err)
		apiError(w, http.StatusInternalServerError, "Internal Server Error", id)
		return
	}
	log.Info("edge", "status", resp.StatusCode, "ms", time.Since(start).Milliseconds())
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

// writeResponse writes resp to the viewer; it fails, writing nothing, if a
// base64 body does not decode.
func writeResponse(w http.ResponseWriter, resp *events.APIGatewayV2HTTPResponse, requestID string) error {
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return fmt.Errorf("body is not base64: %w", err)
		}
	}
	h := w.Header()
	for name, value := range resp.Headers {
		if hopByHop[http.CanonicalHeaderKey(name)] || strings.EqualFold(name, "Content-Length") {
			continue
		}
		h.Set(name, value)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Apigw-Requestid", requestID)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body) // an error means the viewer went away: nobody to tell
	return nil
}

// apiError writes one of API Gateway's own error answers.
func apiError(w http.ResponseWriter, status int, message, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if requestID != "" {
		h.Set("Apigw-Requestid", requestID)
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"message\":%q}", message)
}
