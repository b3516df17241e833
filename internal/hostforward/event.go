package hostforward

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// payloadVersion is the only API Gateway payload format the function serves.
const payloadVersion = "2.0"

// event is an invocation's payload as the function started without the app
// reads it: an API Gateway HTTP API event, and in the same decoding the
// fields that tell apart the shapes an integration wired by mistake sends —
// payload format 1.0 (REST APIs, and HTTP API integrations set to 1.0) and
// Application Load Balancer targets.
type event struct {
	events.APIGatewayV2HTTPRequest
	Resource          string   `json:"resource"`          // payload 1.0
	HTTPMethod        string   `json:"httpMethod"`        // payload 1.0 and ALB
	MultiValueHeaders presence `json:"multiValueHeaders"` // payload 1.0, ALB with multi-value headers
}

// presence records whether a JSON field holds something other than null,
// without keeping it.
type presence bool

func (p *presence) UnmarshalJSON(b []byte) error {
	*p = presence(!bytes.Equal(b, []byte("null")))
	return nil
}

// shape names what ev is when it is not an API Gateway HTTP API event of
// payload format 2.0, with the fix; "" when it is one.
func (ev *event) shape() string {
	const serves = "this function serves API Gateway HTTP API events of payload format 2.0"
	switch {
	case ev.Version == payloadVersion:
		return ""
	case ev.Version == "1.0" && ev.RequestContext.APIID != "":
		return "an API Gateway HTTP API event of payload format 1.0; " + serves + ": set the integration's PayloadFormatVersion to 2.0"
	case ev.Version == "" && (ev.Resource != "" || ev.RequestContext.APIID != ""):
		return "an API Gateway REST API event (payload format 1.0); " + serves + ": put the HTTP API of template.yaml in front of it"
	case ev.Version == "" && ev.HTTPMethod != "" && bool(ev.MultiValueHeaders):
		return "an Application Load Balancer event with multi-value headers; " + serves + ": put the HTTP API of template.yaml in front of it"
	case ev.Version == "" && ev.HTTPMethod != "":
		return "an Application Load Balancer event; " + serves + ": put the HTTP API of template.yaml in front of it"
	case ev.Version != "":
		return fmt.Sprintf("an event of payload format version %q; %s", ev.Version, serves)
	}
	return "not an API Gateway HTTP API event (no version 2.0); " + serves
}

// UnsupportedEventError is the Lambda error (errorType
// "UnsupportedEventError") of a payload the function does not serve: not
// JSON, or not an API Gateway HTTP API event of payload format 2.0. Its
// message names the shape received and the fix. The app is never called
// for it: any answer would blame the viewer for a wiring mistake.
type UnsupportedEventError struct {
	Shape string // what the payload is, and what to do
}

func (e *UnsupportedEventError) Error() string { return "unsupported event: " + e.Shape }

// Invoke implements aws-lambda-go's lambda.Handler for the function
// without the app inside it, and answers what dispatch hands on with the
// app: it reads the payload and hands an HTTP API event of payload format
// 2.0 to [Handler.Handle], encoding the answer as encoding/json does
// without HTML escaping (which checkPayloadSize assumes), a binary body
// base64-encoded straight into the result. Any other payload
// fails as an [*UnsupportedEventError], logged once here with its
// error_type, which the template's metric filter counts.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	var ev event
	err := json.Unmarshal(payload, &ev)
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		err = &UnsupportedEventError{Shape: "not JSON (" + err.Error() + ")"}
	case err != nil:
		err = &UnsupportedEventError{Shape: "not an API Gateway HTTP API event of payload format 2.0 (" + err.Error() + ")"}
	case ev.shape() != "":
		err = &UnsupportedEventError{Shape: ev.shape()}
	}
	if err != nil {
		attrs := []slog.Attr{slog.String("error_type", "UnsupportedEventError"), slog.String("error", err.Error()),
			slog.Int64("duration_ms", time.Since(start).Milliseconds())}
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			attrs = append([]slog.Attr{slog.String("request_id", lc.AwsRequestID)}, attrs...)
		}
		h.log.LogAttrs(ctx, slog.LevelError, "unsupported event", attrs...)
		return nil, err
	}
	r := h.serve(ctx, &ev.APIGatewayV2HTTPRequest)
	return r.encode()
}
