package runtimeapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// MaxRequestSize is the largest payload, in bytes, of a synchronous
// invocation.
const MaxRequestSize = 6291456

// ServeHTTP serves Lambda's Invoke API the way the Runtime Interface Emulator
// does: POST /2015-03-31/functions/{name}/invocations (any name) invokes the
// function with the request body and answers 200 with its response. A
// function error is answered 200 too, with the error document as the body and
// the header X-Amz-Function-Error: Unhandled. The request's
// X-Amz-Client-Context (base64 of a JSON object) reaches the runtime as
// Lambda-Runtime-Client-Context, and its X-Amzn-Trace-Id as
// Lambda-Runtime-Trace-Id.
//
// See https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) serveInvoke(w http.ResponseWriter, r *http.Request) {
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestSize+1))
	if err != nil {
		writeServiceError(w, http.StatusBadRequest, "InvalidRequestContentException", "reading the request body: "+err.Error())
		return
	}
	if len(payload) > MaxRequestSize {
		writeServiceError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			"Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	inv := &invocation{payload: payload, traceID: r.Header.Get("X-Amzn-Trace-Id")}
	if cc := r.Header.Get("X-Amz-Client-Context"); cc != "" {
		var ok bool
		if inv.clientContext, ok = decodeClientContext(cc); !ok {
			writeServiceError(w, http.StatusBadRequest, "InvalidRequestContentException",
				"Client context must be a valid Base64-encoded JSON object.")
			return
		}
	}
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
