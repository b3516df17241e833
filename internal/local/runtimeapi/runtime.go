package runtimeapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/djfront/djfront/internal/lambdalimit"
	"github.com/djfront/djfront/internal/local/awsid"
)

// Header names of the Runtime API.
const (
	headerRequestID     = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline      = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN   = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID       = "Lambda-Runtime-Trace-Id"
	headerClientContext = "Lambda-Runtime-Client-Context"
	headerErrorType     = "Lambda-Runtime-Function-Error-Type"
	headerErrorBody     = "Lambda-Runtime-Function-Error-Body" // a trailer, base64 of the error document
)

// invocation is one event on its way through the Runtime API.
type invocation struct {
	id            string
	payload       []byte
	deadline      time.Time
	functionARN   string
	traceID       string
	clientContext string      // JSON, sent as Lambda-Runtime-Client-Context when not empty
	result        chan Result // buffered (1); receives the runtime's answer
}

// runtimeAPI is the Runtime API of one execution environment (one runtime
// process), with the Extensions API beside it. Invocations are handed to
// the runtime through invocations; its answer arrives on the invocation's
// result channel.
type runtimeAPI struct {
	function    string // the function's name, told to extensions
	mux         *http.ServeMux
	invocations chan *invocation // unbuffered: a send completes when /next takes it
	ready       chan struct{}    // closed when init is done: see initDone
	initFailed  chan struct{}    // closed when the runtime posts /init/error

	mu         sync.Mutex
	started    bool                  // the runtime called /next
	extensions map[string]*extension // registered, by identifier
	initErr    *FunctionError        // set before initFailed is closed
	current    *invocation           // handed out by /next and not answered yet
	snap       *snapAPI              // SnapStart's endpoints (snapstart.go); nil without
}

// extension is one extension registered through the Extensions API.
type extension struct {
	name  string
	asked bool // called event/next: its init is done
}

func newRuntimeAPI(function string) *runtimeAPI {
	a := &runtimeAPI{
		function:    function,
		mux:         http.NewServeMux(),
		invocations: make(chan *invocation),
		ready:       make(chan struct{}),
		initFailed:  make(chan struct{}),
		extensions:  map[string]*extension{},
	}
	const prefix = "/2018-06-01/runtime/"
	a.mux.HandleFunc("GET "+prefix+"invocation/next", a.next)
	a.mux.HandleFunc("POST "+prefix+"invocation/{id}/response", a.response)
	a.mux.HandleFunc("POST "+prefix+"invocation/{id}/error", a.invocationError)
	a.mux.HandleFunc("POST "+prefix+"init/error", a.initError)
	const ext = "/2020-01-01/extension/"
	a.mux.HandleFunc("POST "+ext+"register", a.register)
	a.mux.HandleFunc("GET "+ext+"event/next", a.extensionNext)
	return a
}

// initDone closes ready once the runtime has asked for its first invocation
// and every registered extension for its first event, as Lambda ends the
// init phase; a.mu is held.
func (a *runtimeAPI) initDone() {
	if !a.started {
		return
	}
	for _, e := range a.extensions {
		if !e.asked {
			return
		}
	}
	select {
	case <-a.ready:
	default:
		close(a.ready)
	}
}

// extensionCount returns how many extensions registered.
func (a *runtimeAPI) extensionCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.extensions)
}

// register serves POST /extension/register: during init only, for an
// extension subscribing to no events — what an extension registers to make
// Lambda send SIGTERM at shutdown. INVOKE and SHUTDOWN events are not
// delivered by this server, so a subscription to them is refused rather
// than silently never served.
func (a *runtimeAPI) register(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get("Lambda-Extension-Name")
	var body struct {
		Events []string `json:"events"`
	}
	if name == "" {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Lambda-Extension-Name header is required")
		return
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "body: want {\"events\": []}: "+err.Error())
		return
	}
	if len(body.Events) > 0 {
		writeError(w, http.StatusBadRequest, "InvalidRequest",
			fmt.Sprintf("runtimeapi delivers no extension events: register with {\"events\": []}, got %q", body.Events))
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, done := received(a.ready); done {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "extensions register during init only")
		return
	}
	id := awsid.UUID()
	a.extensions[id] = &extension{name: name}
	w.Header().Set("Lambda-Extension-Identifier", id)
	writeJSON(w, http.StatusOK, map[string]string{"functionName": a.function, "functionVersion": "$LATEST", "handler": "bootstrap"})
}

// extensionNext serves GET /extension/event/next: it ends the extension's
// init and, since no events are delivered, blocks until the environment
// shuts down.
func (a *runtimeAPI) extensionNext(w http.ResponseWriter, r *http.Request) {
	if !a.asked(r.Header.Get("Lambda-Extension-Identifier")) {
		writeError(w, http.StatusForbidden, "Extension.UnknownExtensionIdentifier", "unknown Lambda-Extension-Identifier")
		return
	}
	<-r.Context().Done() // the environment's listener closes at shutdown
}

// asked records that the extension with identifier id asked for an event;
// it is false if there is no such extension.
func (a *runtimeAPI) asked(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.extensions[id]
	if e != nil {
		e.asked = true
		a.initDone()
	}
	return e != nil
}

// ServeHTTP serves the Runtime API. Methods not allowed on a path get 405
// with an Allow header, unknown paths 404.
func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// next serves GET /runtime/invocation/next: it blocks until an invocation is
// handed over (or the runtime goes away) and sends it with its metadata.
func (a *runtimeAPI) next(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if a.initErr != nil {
		a.mu.Unlock()
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "the runtime reported an initialization error")
		return
	}
	a.started = true
	a.initDone()
	a.askedForInvocation()
	a.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-a.invocations:
	case <-r.Context().Done():
		return
	}
	a.mu.Lock()
	a.current = inv
	a.mu.Unlock()

	h := w.Header()
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, inv.functionARN)
	h.Set(headerTraceID, inv.traceID)
	if inv.clientContext != "" {
		h.Set(headerClientContext, inv.clientContext)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(inv.payload) // a runtime that went away times out or exits
}

// response serves POST /runtime/invocation/{id}/response.
func (a *runtimeAPI) response(w http.ResponseWriter, r *http.Request) {
	a.complete(w, r, func(id string, body []byte) Result {
		// aws-lambda-go reports a failure while streaming the response in trailers.
		if t := r.Trailer.Get(headerErrorType); t != "" {
			doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(headerErrorBody))
			return Result{RequestID: id, Error: parseFunctionError(doc, t)}
		}
		return Result{RequestID: id, Payload: body}
	})
}

// invocationError serves POST /runtime/invocation/{id}/error.
func (a *runtimeAPI) invocationError(w http.ResponseWriter, r *http.Request) {
	a.complete(w, r, func(id string, body []byte) Result {
		return Result{RequestID: id, Error: parseFunctionError(body, r.Header.Get(headerErrorType))}
	})
}

// complete answers the current invocation with the result that answer makes
// of the request body: 202 if the id is the current invocation's, 400 if not,
// and 413 (with a "Function.ResponseSizeTooLarge" result) if the body is
// larger than lambdalimit.MaxResponse.
func (a *runtimeAPI) complete(w http.ResponseWriter, r *http.Request, answer func(id string, body []byte) Result) {
	id := r.PathValue("id")
	if a.invocation(id) == nil {
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, lambdalimit.MaxResponse+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "reading the request body: "+err.Error())
		return
	}
	tooLarge := len(body) > lambdalimit.MaxResponse
	var res Result
	if tooLarge {
		res = errorResult(id, "Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", lambdalimit.MaxResponse))
	} else {
		res = answer(id, body)
	}
	inv := a.take(id)
	if inv == nil { // answered meanwhile by another request
		writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	inv.result <- res
	if tooLarge {
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
			fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", lambdalimit.MaxResponse))
		return
	}
	writeAccepted(w)
}

// initError serves POST /runtime/init/error, allowed once and only before
// the runtime's first /next.
func (a *runtimeAPI) initError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, lambdalimit.MaxResponse))
	if err != nil {
		writeError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "reading the request body: "+err.Error())
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started || a.initErr != nil {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "initialization is over: an init error is no longer accepted")
		return
	}
	a.initErr = parseFunctionError(body, r.Header.Get(headerErrorType))
	close(a.initFailed)
	writeAccepted(w)
}

// invocation returns the current invocation if its id is id.
func (a *runtimeAPI) invocation(id string) *invocation {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.current == nil || a.current.id != id {
		return nil
	}
	return a.current
}

// take is like invocation, but also ends the current invocation.
func (a *runtimeAPI) take(id string) *invocation {
	a.mu.Lock()
	defer a.mu.Unlock()
	inv := a.current
	if inv == nil || inv.id != id {
		return nil
	}
	a.current = nil
	return inv
}

// reportedInitError returns the error the runtime posted to /init/error, if any.
func (a *runtimeAPI) reportedInitError() *FunctionError {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.initErr
}

// errorDocument is Lambda's error format, for runtimes and callers alike.
type errorDocument struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

// parseFunctionError reads an error document posted by a runtime. The type
// comes from the document's errorType, else from the
// Lambda-Runtime-Function-Error-Type header, else it is "Runtime.Unknown". A
// body that is not a JSON object becomes the message, and the caller is then
// given a well-formed error document instead.
func parseFunctionError(body []byte, headerType string) *FunctionError {
	var doc errorDocument
	isObject := json.Unmarshal(body, &struct{}{}) == nil
	if isObject {
		json.Unmarshal(body, &doc) // fields of the wrong type stay empty
	} else {
		doc.Message = string(body)
	}
	if doc.Type == "" {
		doc.Type = headerType
	}
	if doc.Type == "" {
		doc.Type = "Runtime.Unknown"
	}
	fe := &FunctionError{Type: doc.Type, Message: doc.Message, Payload: body}
	if !isObject {
		fe.Payload = mustMarshal(doc)
	}
	return fe
}

// errorResult is a failed invocation whose error Lambda itself reports.
func errorResult(id, errorType, message string) Result {
	doc := errorDocument{Type: errorType, Message: message}
	return Result{RequestID: id, Error: &FunctionError{Type: errorType, Message: message, Payload: mustMarshal(doc)}}
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only called with types that always marshal
	}
	return b
}

func writeAccepted(w http.ResponseWriter) {
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func writeError(w http.ResponseWriter, status int, errorType, message string) {
	writeJSON(w, status, errorDocument{Type: errorType, Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(mustMarshal(v)) // nothing to do if the client went away
}
