package runtimeapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/djfront/djfront/internal/lambdalimit"
	"github.com/djfront/djfront/internal/local/awsid"
	"github.com/djfront/djfront/internal/manageapi"
)

// MaxRequestSize is the largest payload, in bytes, of a synchronous
// invocation.
const MaxRequestSize = lambdalimit.MaxRequest

// ServeHTTP serves Lambda's Invoke API the way the Runtime Interface Emulator
// does, with Lambda's invocation types and qualifiers:
// POST /2015-03-31/functions/{name}/invocations (any name, with an optional
// :QUALIFIER, or ?Qualifier=) invokes the function with the request body.
// The qualifier, $LATEST or one of Function.Aliases (anything else is 404
// ResourceNotFoundException), ends the invoked function ARN the runtime
// sees, as on AWS. X-Amz-Invocation-Type RequestResponse (the default)
// answers 200 with the function's response; a function error is answered
// 200 too, with the error document as the body and the header
// X-Amz-Function-Error: Unhandled. Event answers 202 at once and runs the
// invocation after those before it, without a client context (Lambda passes
// one to synchronous invocations only) and without Lambda's retries. DryRun
// answers 204 and runs nothing. The request's X-Amz-Client-Context (base64
// of a JSON object) reaches the runtime as Lambda-Runtime-Client-Context,
// and its X-Amzn-Trace-Id as Lambda-Runtime-Trace-Id.
//
// See https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Invocation types of the Invoke API (X-Amz-Invocation-Type).
const (
	requestResponse = "RequestResponse"
	event           = "Event"
	dryRun          = "DryRun"
)

func (s *Server) serveInvoke(w http.ResponseWriter, r *http.Request) {
	inv, kind, ok := s.invocationFrom(w, r)
	if !ok {
		return
	}
	switch kind {
	case dryRun:
		w.WriteHeader(http.StatusNoContent)
	case event:
		inv.id, inv.clientContext = awsid.UUID(), ""
		go s.invoke(context.Background(), inv) //nolint:errcheck // nobody waits for an asynchronous invocation; the function's logs tell
		w.Header().Set("X-Amzn-Requestid", inv.id)
		w.WriteHeader(http.StatusAccepted)
	default:
		s.answer(w, r, inv)
	}
}

// invocationFrom reads an Invoke API request into an invocation and its
// type, or answers the request with Lambda's error and returns false.
func (s *Server) invocationFrom(w http.ResponseWriter, r *http.Request) (*invocation, string, bool) {
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestSize+1))
	if err != nil {
		writeServiceError(w, http.StatusBadRequest, "InvalidRequestContentException", "reading the request body: "+err.Error())
		return nil, "", false
	}
	if len(payload) > MaxRequestSize {
		writeServiceError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			"Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return nil, "", false
	}
	kind := r.Header.Get("X-Amz-Invocation-Type")
	switch kind {
	case "":
		kind = requestResponse
	case requestResponse, event, dryRun:
	default:
		writeServiceError(w, http.StatusBadRequest, "InvalidParameterValueException",
			"X-Amz-Invocation-Type: want RequestResponse, Event or DryRun, got "+strconv.Quote(kind))
		return nil, "", false
	}
	_, qualifier := manageapi.SplitQualifier(r.PathValue("name"))
	if q := r.URL.Query().Get("Qualifier"); q != "" && qualifier != "" && q != qualifier {
		writeServiceError(w, http.StatusBadRequest, "InvalidParameterValueException",
			"The derived qualifier from the function name does not match the specified qualifier.")
		return nil, "", false
	} else if q != "" {
		qualifier = q
	}
	inv := &invocation{payload: payload, traceID: r.Header.Get("X-Amzn-Trace-Id")}
	if inv.functionARN, err = s.invokedARN(qualifier); err != nil {
		writeServiceError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+s.arn+":"+qualifier)
		return nil, "", false
	}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		var ok bool
		if inv.clientContext, ok = decodeClientContext(cc); !ok {
			writeServiceError(w, http.StatusBadRequest, "InvalidRequestContentException",
				"Client context must be a valid Base64-encoded JSON object.")
			return nil, "", false
		}
	}
	return inv, kind, true
}

// answer runs a synchronous invocation and answers with its result.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, inv *invocation) {
	res, err := s.invoke(r.Context(), inv)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, ErrServerClosed) {
			status = http.StatusServiceUnavailable
		}
		writeServiceError(w, status, "ServiceException", err.Error())
		return
	}
	h := w.Header()
	h.Set("X-Amzn-Requestid", res.RequestID)
	h.Set("X-Amz-Executed-Version", "$LATEST")
	h.Set("Content-Type", "application/json")
	body := res.Payload
	if res.Error != nil {
		h.Set("X-Amz-Function-Error", "Unhandled")
		body = res.Error.Payload
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body) // nothing to do if the client went away
}

// decodeClientContext decodes X-Amz-Client-Context, base64 of a JSON
// object; ok is false if header is not that.
func decodeClientContext(header string) (clientContext string, ok bool) {
	b, err := base64.StdEncoding.DecodeString(header)
	if err != nil || json.Unmarshal(b, &struct{}{}) != nil {
		return "", false
	}
	return string(b), true
}

// writeServiceError answers with an error of the Lambda service itself (not
// of the function), named in X-Amzn-ErrorType as the Lambda API does.
func writeServiceError(w http.ResponseWriter, status int, errorType, message string) {
	kind := "User"
	if status >= http.StatusInternalServerError {
		kind = "Service"
	}
	w.Header().Set("X-Amzn-ErrorType", errorType)
	writeJSON(w, status, map[string]string{"Type": kind, "message": message})
}
