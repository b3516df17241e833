package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// HTTPHandler answers, from its raw payload, every invocation that is not a
// management invocation (hostforward.Handler.Invoke): an API Gateway HTTP
// API event of payload format 2.0 gets its response, as JSON; any other
// shape fails with an error that names it, which HTTPHandler logs.
type HTTPHandler func(ctx context.Context, payload []byte) ([]byte, error)

// UnsupportedEventError is the Lambda error (errorType
// "UnsupportedEventError") of a malformed management invocation: a payload
// with manage (and no requestContext) that is not {"manage": [ARGS…]}.
type UnsupportedEventError struct {
	Reason string // what is wrong with the payload
}

func (e *UnsupportedEventError) Error() string {
	return "unsupported event: " + e.Reason + `; a management invocation is {"manage": ["migrate", "--noinput"]}`
}

// Handler routes invocations; build one at cold start.
type Handler struct {
	http   HTTPHandler
	manage Manage
	allow  map[string]bool
	log    *slog.Logger
}

// New returns a Handler that sends management invocations, once checked, to
// manage.Run and every other invocation to httpHandler, and logs to logger.
func New(httpHandler HTTPHandler, manage Manage, logger *slog.Logger) *Handler {
	allow := map[string]bool{}
	for _, name := range manage.Allow {
		allow[name] = true
	}
	return &Handler{http: httpHandler, manage: manage, allow: allow, log: logger}
}

// Handle answers one invocation: a management invocation (a payload with
// manage and without requestContext, which API Gateway events always carry)
// with a manageapi.Result, anything else with what the HTTPHandler answers
// (a json.RawMessage). Its error is the HTTPHandler's (logged there), an
// *UnsupportedEventError (logged here, with the error_type the template's
// metric filter counts), or a *ManageRefusedError or *ManageError, logged
// with the management invocation's line: each error is logged once.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	var fields map[string]json.RawMessage
	manage := false
	if json.Unmarshal(payload, &fields) == nil {
		_, withManage := fields["manage"]
		_, withContext := fields["requestContext"]
		manage = withManage && !withContext
	}
	if !manage {
		out, err := h.http(ctx, payload)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(out), nil
	}
	args, err := manageArgs(fields)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "unsupported event", slog.String("request_id", requestID(ctx)),
			slog.String("error_type", "UnsupportedEventError"), slog.String("error", err.Error()))
		return nil, err
	}
	res, err := h.runManage(ctx, args)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Invoke implements aws-lambda-go's lambda.Handler: Handle's answer as
// JSON, so that the runtime client sends it as it is. The HTTPHandler's
// bytes pass on untouched (returned from Handle as a json.RawMessage, the
// runtime client would validate and copy them again: tens of milliseconds
// for a 1 MiB download); a management result is encoded as the runtime
// client encodes, without HTML escaping.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := h.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	if raw, ok := res.(json.RawMessage); ok {
		return raw, nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return nil, fmt.Errorf("encode management result: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// manageArgs returns the arguments of the management invocation fields, or
// an *UnsupportedEventError saying what is wrong with it.
func manageArgs(fields map[string]json.RawMessage) ([]string, error) {
	if len(fields) != 1 {
		return nil, &UnsupportedEventError{Reason: "a management invocation has no field but manage"}
	}
	var args []string
	if err := json.Unmarshal(fields["manage"], &args); err != nil || args == nil {
		return nil, &UnsupportedEventError{Reason: "manage is not a list of strings"}
	}
	for i, arg := range args {
		if strings.IndexByte(arg, 0) >= 0 { // no command line can carry one
			return nil, &UnsupportedEventError{Reason: fmt.Sprintf("manage argument %d holds a NUL byte", i+1)}
		}
	}
	return args, nil
}

// requestID is Lambda's request id, or "" outside Lambda.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
