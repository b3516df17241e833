package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Accepted names the payload shapes Handle accepts, for error messages.
const Accepted = `an API Gateway HTTP API event (payload format 2.0, with requestContext) or a management invocation {"manage": ["migrate", "--noinput"]}`

// HTTPHandler answers an API Gateway event (hostforward.Handler.Handle).
type HTTPHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// UnsupportedEventError is the Lambda error (errorType
// "UnsupportedEventError") for a payload of neither accepted shape.
type UnsupportedEventError struct {
	Reason string // what is wrong with the payload
}

func (e *UnsupportedEventError) Error() string {
	return "unsupported event: " + e.Reason + "; want " + Accepted
}

// Handler routes invocations; build one at cold start.
type Handler struct {
	http   HTTPHandler
	manage Manage
	allow  map[string]bool
	log    *slog.Logger
}

// New returns a Handler that sends API Gateway events to httpHandler and
// management invocations, once checked, to manage.Run, and logs to logger.
func New(httpHandler HTTPHandler, manage Manage, logger *slog.Logger) *Handler {
	allow := map[string]bool{}
	for _, name := range manage.Allow {
		allow[name] = true
	}
	return &Handler{http: httpHandler, manage: manage, allow: allow, log: logger}
}

// Handle answers one invocation with an events.APIGatewayV2HTTPResponse or
// a manageapi.Result. Its error is an *UnsupportedEventError, logged here, or
// a *ManageRefusedError or *ManageError, logged with the management
// invocation's line: each error is logged once.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	res, err := h.route(ctx, payload)
	var unsupported *UnsupportedEventError
	if errors.As(err, &unsupported) {
		h.log.LogAttrs(ctx, slog.LevelWarn, "invocation refused", slog.String("request_id", requestID(ctx)), slog.String("error", err.Error()))
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (h *Handler) route(ctx context.Context, payload json.RawMessage) (any, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil || fields == nil {
		return nil, &UnsupportedEventError{Reason: "not a JSON object"}
	}
	if _, ok := fields["requestContext"]; ok {
		var version string
		if json.Unmarshal(fields["version"], &version); version != "2.0" {
			return nil, &UnsupportedEventError{Reason: fmt.Sprintf("API Gateway payload format version %q", version)}
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, &UnsupportedEventError{Reason: "malformed API Gateway event: " + err.Error()}
		}
		return h.http(ctx, ev)
	}
	raw, ok := fields["manage"]
	if !ok {
		return nil, &UnsupportedEventError{Reason: "neither requestContext nor manage"}
	}
	if len(fields) != 1 {
		return nil, &UnsupportedEventError{Reason: "a management invocation has no field but manage"}
	}
	var args []string
	if err := json.Unmarshal(raw, &args); err != nil || args == nil {
		return nil, &UnsupportedEventError{Reason: "manage is not a list of strings"}
	}
	for i, arg := range args {
		if strings.IndexByte(arg, 0) >= 0 { // no command line can carry one
			return nil, &UnsupportedEventError{Reason: fmt.Sprintf("manage argument %d holds a NUL byte", i+1)}
		}
	}
	return h.runManage(ctx, args)
}

// requestID is Lambda's request id, or "" outside Lambda.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
