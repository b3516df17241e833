package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/manageapi"
)

// Accepted names the payload shapes Handle accepts, for error messages.
const Accepted = `an API Gateway HTTP API event (payload format 2.0, with requestContext) or a management invocation {"manage": ["migrate", "--noinput"]}`

// killedNote ends the output of a management command killed at the deadline.
const killedNote = "\n[djfront: killed shortly before the invocation deadline]\n"

// HTTPHandler answers an API Gateway event (hostforward.Handler.Handle).
type HTTPHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// Manager runs a management command with args (appproc.App.Manage).
type Manager func(ctx context.Context, args []string) (childproc.Result, error)

// UnsupportedEventError is the Lambda error (errorType
// "UnsupportedEventError") for a payload of neither accepted shape.
type UnsupportedEventError struct {
	Reason string // what is wrong with the payload
}

func (e *UnsupportedEventError) Error() string {
	return "unsupported event: " + e.Reason + "; want " + Accepted
}

// ManageError is the Lambda error (errorType "ManageError") for a
// management command that could not be started at all.
type ManageError struct {
	Err error
}

func (e *ManageError) Error() string { return "management command: " + e.Err.Error() }

func (e *ManageError) Unwrap() error { return e.Err }

// Handler routes invocations; build one at cold start.
type Handler struct {
	http      HTTPHandler
	manage    Manager
	maxOutput int
	log       *slog.Logger
}

// New returns a Handler that sends API Gateway events to httpHandler and
// management invocations to manage, keeping the last maxOutput bytes of a
// command's output, and logs to logger.
func New(httpHandler HTTPHandler, manage Manager, maxOutput int, logger *slog.Logger) *Handler {
	return &Handler{http: httpHandler, manage: manage, maxOutput: maxOutput, log: logger}
}

// Handle answers one invocation with an events.APIGatewayV2HTTPResponse or
// a manageapi.Result. Its error is an *UnsupportedEventError or a *ManageError,
// each logged here once.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (any, error) {
	res, err := h.route(ctx, payload)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "invocation refused", slog.String("request_id", requestID(ctx)), slog.String("error", err.Error()))
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

func (h *Handler) runManage(ctx context.Context, args []string) (manageapi.Result, error) {
	start := time.Now()
	res, err := h.manage(ctx, args)
	if err != nil {
		return manageapi.Result{}, &ManageError{Err: err}
	}
	out := res.Output
	if res.Killed {
		out = lastBytes(out, h.maxOutput-len(killedNote)) + killedNote
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestID(ctx)),
		slog.Int("exit_code", res.ExitCode),
		slog.Bool("killed", res.Killed),
		slog.Bool("truncated", res.Truncated),
		slog.Int("output_bytes", len(out)),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	if len(args) > 0 {
		attrs = append(attrs, slog.String("command", args[0])) // only the name: arguments may hold secrets
	}
	level := slog.LevelInfo
	if res.ExitCode != 0 {
		level = slog.LevelWarn
	}
	h.log.LogAttrs(ctx, level, "manage", attrs...)
	return manageapi.Result{ExitCode: res.ExitCode, Output: validUTF8Start(out)}, nil
}

// lastBytes returns the last n bytes of s.
func lastBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// validUTF8Start drops the bytes of a character cut off at the start of a
// truncated output, which JSON would turn into U+FFFD.
func validUTF8Start(s string) string {
	for i := 0; i < len(s) && i < utf8.UTFMax; i++ {
		if utf8.RuneStart(s[i]) {
			return s[i:]
		}
	}
	return s
}

// requestID is Lambda's request id, or "" outside Lambda.
func requestID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		return lc.AwsRequestID
	}
	return ""
}
