package hostforward

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// MaxPayloadBytes is Lambda's limit on a synchronous invocation's response
// payload (6 MB), which the JSON-encoded API Gateway response must fit.
const MaxPayloadBytes = 6_291_556

// recorder is the http.ResponseWriter the proxy writes the app's response
// into. Like a server's writer it sends the headers as they are when the
// status is written (later changes are trailers, which payload 2.0 cannot
// carry), ignores informational 1xx statuses, keeps at most MaxPayloadBytes
// of body, and records the first failure: the proxy's error, a body read
// error, or an oversize body.
type recorder struct {
	header  http.Header
	sent    http.Header // header as of WriteHeader
	status  int
	body    bytes.Buffer
	failure error
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status != 0 || status < 200 { // 1xx (100 Continue, 103 Early Hints) are never final
		return
	}
	r.status = status
	r.sent = r.header.Clone()
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.failure != nil {
		return 0, r.failure
	}
	if r.body.Len()+len(p) > MaxPayloadBytes {
		r.fail(&refusal{status: http.StatusBadGateway,
			reason: fmt.Sprintf("the app's response is larger than Lambda's %d-byte response limit", MaxPayloadBytes)})
		return 0, r.failure
	}
	return r.body.Write(p)
}

func (r *recorder) fail(err error) {
	if r.failure == nil {
		r.failure = err
	}
}

func (r *recorder) err() error { return r.failure }

// bodyWatch records a read error of the app's response body in the
// recorder; ReverseProxy itself would only log it and pass on a truncated
// body.
type bodyWatch struct {
	io.ReadCloser
	onErr func(error)
}

func (b bodyWatch) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.onErr(fmt.Errorf("read response body: %w", err))
	}
	return n, err
}

// watchBody is the proxy's ModifyResponse hook; the recorder travels in the
// request context because ReverseProxy hands ModifyResponse no writer.
func watchBody(res *http.Response) error {
	if rec, ok := res.Request.Context().Value(recorderKey{}).(*recorder); ok {
		res.Body = bodyWatch{ReadCloser: res.Body, onErr: rec.fail}
	}
	return nil
}

type recorderKey struct{}

// response converts the recorded answer into the API Gateway payload 2.0
// response: every Set-Cookie into cookies, other repeated headers joined,
// the body base64-encoded unless it is text without a Content-Encoding.
func (r *recorder) response() (events.APIGatewayV2HTTPResponse, error) {
	r.WriteHeader(http.StatusOK) // an app that sent no body and no status
	resp := events.APIGatewayV2HTTPResponse{StatusCode: r.status, Headers: make(map[string]string, len(r.sent))}
	for name, values := range r.sent {
		switch name {
		case "Set-Cookie":
			resp.Cookies = values
		case "Content-Length", "Transfer-Encoding", "Trailer":
			// API Gateway sets its own framing; payload 2.0 has no trailers.
		default:
			resp.Headers[name] = strings.Join(values, ", ")
		}
	}
	body := r.body.Bytes()
	text := isText(r.sent) && utf8.Valid(body)
	if text {
		resp.Body = string(body)
	} else if len(body) > 0 {
		resp.Body = base64.StdEncoding.EncodeToString(body)
		resp.IsBase64Encoded = true
	}
	// JSON escaping at most sextuples a byte: only a payload whose bound
	// crosses the limit is measured exactly.
	if payloadBound(&resp, text) > MaxPayloadBytes {
		head := resp
		head.Body = ""
		var n byteCounter
		enc := json.NewEncoder(&n)
		enc.SetEscapeHTML(false) // as the runtime client encodes it (see functions/hostforward)
		if err := enc.Encode(head); err != nil {
			return resp, fmt.Errorf("encode response: %w", err)
		}
		// n counts `"body":""` and a newline; the body replaces the quotes.
		if total := int(n) - 1 - 2 + jsonStringLen(resp.Body); total > MaxPayloadBytes {
			return resp, &refusal{status: http.StatusBadGateway,
				reason: fmt.Sprintf("the app's response encodes to %d bytes, over Lambda's %d-byte response limit", total, MaxPayloadBytes)}
		}
	}
	return resp, nil
}

// byteCounter is an io.Writer that only counts.
type byteCounter int

func (c *byteCounter) Write(p []byte) (int, error) { *c += byteCounter(len(p)); return len(p), nil }

// payloadBound is an upper bound on resp's JSON-encoded size.
func payloadBound(resp *events.APIGatewayV2HTTPResponse, text bool) int {
	n := 256 // field names, status, punctuation
	for k, v := range resp.Headers {
		n += 6*(len(k)+len(v)) + 6
	}
	for _, c := range resp.Cookies {
		n += 6*len(c) + 3
	}
	if text {
		return n + 6*len(resp.Body) + 2
	}
	return n + len(resp.Body) + 2
}

// isText reports whether a response body can travel as a JSON string: a
// textual media type and no Content-Encoding (compressed bytes are binary).
func isText(h http.Header) bool {
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return false
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		return true // decided by utf8.Valid on the body
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/ecmascript", "application/xml",
		"application/x-www-form-urlencoded", "application/graphql", "application/x-ndjson":
		return true
	}
	return false
}

// jsonStringLen returns the length of s encoded as a JSON string by
// encoding/json with HTML escaping off, as the Lambda runtime client encodes
// responses (quotes included), without encoding it: control characters,
// invalid UTF-8 and U+2028/U+2029 take six bytes, '"', '\\' and the short
// escapes two.
func jsonStringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			n += 6 // \ufffd
		case r == '\u2028' || r == '\u2029':
			n += 6
		default:
			n += size
		}
		i += size
	}
	return n
}
