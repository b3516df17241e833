package hostforward

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/lambdalimit"
)

// recorder is the http.ResponseWriter the proxy writes the app's response
// into. Like a server's writer it sends the headers as they are when the
// status is written (later changes are trailers, which payload 2.0 cannot
// carry), ignores informational 1xx statuses, keeps at most lambdalimit.MaxResponse
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
	switch {
	case r.status != 0:
		return
	case status < 100 || status > 599: // net/http's client accepts any three digits
		r.status = status
		r.fail(badGateway("the app answered with status %d, outside 100-599", status))
		return
	case status < 200: // 1xx (100 Continue, 103 Early Hints) are never final
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
	if r.body.Len()+len(p) > lambdalimit.MaxResponse {
		r.fail(badGateway("the app's response is larger than Lambda's %d-byte response limit", lambdalimit.MaxResponse))
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
		if res.ContentLength > 0 { // one allocation for the body, not a doubling series
			rec.body.Grow(int(min(res.ContentLength, lambdalimit.MaxResponse+1)))
		}
	}
	return nil
}

type recorderKey struct{}

// reply is an answer for the runtime: resp, and for a binary body its
// bytes, base64-encoded only as the answer is encoded (resp.Body is then
// empty), so that a large download is not copied into a string first.
type reply struct {
	resp   events.APIGatewayV2HTTPResponse
	binary []byte
}

// response returns the payload 2.0 response r stands for, its binary body
// base64-encoded into Body.
func (r *reply) response() events.APIGatewayV2HTTPResponse {
	resp := r.resp
	if r.binary != nil {
		resp.Body = base64.StdEncoding.EncodeToString(r.binary)
	}
	return resp
}

// response converts the recorded answer into the API Gateway payload 2.0
// response (see responseHeaders), the body base64-encoded unless it is text
// without a Content-Encoding. It reports what it changed for the log.
func (r *recorder) response() (reply, changes, error) {
	r.WriteHeader(http.StatusOK) // an app that sent no body and no status
	out := reply{resp: events.APIGatewayV2HTTPResponse{StatusCode: r.status}}
	var ch changes
	out.resp.Headers, out.resp.Cookies, ch = responseHeaders(r.sent)
	body := r.body.Bytes()
	text := isText(r.sent) && utf8.Valid(body)
	if text {
		out.resp.Body = string(body)
	} else if len(body) > 0 {
		out.binary = body
		out.resp.IsBase64Encoded = true
	}
	return out, ch, checkPayloadSize(&out)
}

// singleValued are the response headers that hold one value, not a list
// (RFC 9110): sent more than once, only the first is kept, the one
// net/http's Header.Get (and isText) reads. Joined with a comma they would
// be a different, broken value ("text/html, text/plain").
var singleValued = map[string]bool{
	"Content-Type": true, "Content-Location": true, "Content-Range": true, "Content-Disposition": true,
	"Location": true, "Date": true, "Expires": true, "Last-Modified": true, "Etag": true,
	"Retry-After": true, "Age": true,
}

// responseHeaders converts the app's response headers into payload 2.0's:
// every Set-Cookie into cookies, other repeated headers joined with ", "
// (single-valued ones reduced to their first value), framing headers
// removed. A name with whitespace before the colon has it removed (RFC
// 9112 §5.1); a name that is still not a token is dropped. A value that is
// not valid UTF-8 is read as ISO-8859-1, as HTTP's obs-text allows (RFC
// 9110 §5.5): the payload is JSON, which carries text, so the viewer gets
// the same characters in UTF-8 rather than U+FFFD in place of the bytes. A
// response that sets a cookie is made private (privateCacheControl).
func responseHeaders(sent http.Header) (map[string]string, []string, changes) {
	var ch changes
	out := make(map[string]string, len(sent))
	var cookies []string
	for _, name := range sortedKeys(sent) {
		values := sent[name]
		key := textproto.CanonicalMIMEHeaderKey(strings.TrimRight(name, " \t"))
		if !isToken(key) {
			ch.droppedHeaders = append(ch.droppedHeaders, name)
			continue
		}
		if decoded := latin1Values(values); decoded != nil {
			values = decoded
			ch.latin1Headers = append(ch.latin1Headers, key)
		}
		switch {
		case key == "Set-Cookie":
			cookies = append(cookies, values...)
		case key == "Content-Length", key == "Transfer-Encoding", key == "Trailer":
			// API Gateway sets its own framing; payload 2.0 has no trailers.
		case singleValued[key]:
			if _, seen := out[key]; !seen {
				out[key] = values[0]
			}
			if len(values) > 1 || out[key] != values[0] {
				ch.firstValueOnly = append(ch.firstValueOnly, key)
			}
		default:
			if prev, seen := out[key]; seen {
				out[key] = prev + ", " + strings.Join(values, ", ")
			} else {
				out[key] = strings.Join(values, ", ")
			}
		}
	}
	if len(cookies) > 0 {
		cc, changed := privateCacheControl(out["Cache-Control"])
		if changed {
			ch.privateCache, ch.appCacheControl = true, out["Cache-Control"]
			out["Cache-Control"] = cc
		}
	}
	return out, cookies, ch
}

// latin1Values returns values with every value that is not valid UTF-8
// decoded from ISO-8859-1, whose bytes are the first 256 code points; nil
// if all of them are valid UTF-8.
func latin1Values(values []string) []string {
	i := slices.IndexFunc(values, func(v string) bool { return !utf8.ValidString(v) })
	if i < 0 {
		return nil
	}
	out := slices.Clone(values)
	for ; i < len(out); i++ {
		if v := out[i]; !utf8.ValidString(v) {
			runes := make([]rune, len(v))
			for j := range len(v) {
				runes[j] = rune(v[j])
			}
			out[i] = string(runes)
		}
	}
	return out
}

// sortedKeys returns h's names in order, so that names merged after
// trimming join their values the same way every time.
func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkPayloadSize refuses a reply whose JSON encoding exceeds Lambda's
// limit. JSON escaping at most sextuples a byte: only a payload whose bound
// crosses the limit is measured exactly.
func checkPayloadSize(r *reply) error {
	if payloadBound(r) <= lambdalimit.MaxResponse {
		return nil
	}
	head := r.resp
	head.Body = ""
	var n byteCounter
	enc := json.NewEncoder(&n)
	enc.SetEscapeHTML(false) // as the runtime client encodes it (see functions/hostforward)
	if err := enc.Encode(head); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	// n counts `"body":""` and a newline; the body replaces the quotes.
	if total := int(n) - 1 - 2 + bodyJSONLen(r); total > lambdalimit.MaxResponse {
		return badGateway("the app's response encodes to %d bytes, over Lambda's %d-byte response limit", total, lambdalimit.MaxResponse)
	}
	return nil
}

// bodyJSONLen is the length of r's body as a JSON string, quotes included;
// base64 needs no escaping.
func bodyJSONLen(r *reply) int {
	if r.binary != nil {
		return base64.StdEncoding.EncodedLen(len(r.binary)) + 2
	}
	return jsonStringLen(r.resp.Body)
}

// byteCounter is an io.Writer that only counts.
type byteCounter int

func (c *byteCounter) Write(p []byte) (int, error) { *c += byteCounter(len(p)); return len(p), nil }

// payloadBound is an upper bound on r's JSON-encoded size.
func payloadBound(r *reply) int {
	n := 256 // field names, status, punctuation
	for k, v := range r.resp.Headers {
		n += 6*(len(k)+len(v)) + 6
	}
	for _, c := range r.resp.Cookies {
		n += 6*len(c) + 3
	}
	if r.binary != nil {
		return n + base64.StdEncoding.EncodedLen(len(r.binary)) + 2
	}
	return n + 6*len(r.resp.Body) + 2
}

// encode returns r.response() as JSON, byte for byte what encoding/json
// writes with HTML escaping off (as the runtime client encodes responses)
// but without the trailing newline, in one allocation of the right size
// for a binary body, which is base64-encoded straight into it.
func (r *reply) encode() ([]byte, error) {
	if r.binary == nil {
		return encodeJSON(nil, r.resp)
	}
	// The fields in APIGatewayV2HTTPResponse's order; body and
	// isBase64Encoded are the binary body's, the rest encoding/json's.
	head, err := encodeJSON([]byte(`{"statusCode":`), r.resp.StatusCode)
	if err == nil {
		head = append(head, `,"headers":`...)
		head, err = encodeJSON(head, r.resp.Headers)
	}
	if err == nil {
		head = append(head, `,"multiValueHeaders":`...)
		head, err = encodeJSON(head, r.resp.MultiValueHeaders)
	}
	var tail []byte
	if err == nil {
		tail, err = encodeJSON([]byte(`","isBase64Encoded":true,"cookies":`), r.resp.Cookies)
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(`,"body":"`)+base64.StdEncoding.EncodedLen(len(r.binary))+len(tail)+1)
	out = append(out, head...)
	out = append(out, `,"body":"`...)
	out = base64.StdEncoding.AppendEncode(out, r.binary)
	out = append(out, tail...)
	return append(out, '}'), nil
}

// encodeJSON appends v encoded by encoding/json with HTML escaping off,
// without the newline Encoder adds, to dst.
func encodeJSON(dst []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
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

// changes records what the response conversion changed in the app's
// response, for the request's log line.
type changes struct {
	privateCache    bool     // a Set-Cookie made Cache-Control private
	appCacheControl string   // the app's Cache-Control before that, if any
	droppedHeaders  []string // names that are not tokens even without trailing whitespace
	firstValueOnly  []string // single-valued headers sent more than once
	latin1Headers   []string // headers with a value read as ISO-8859-1
}

func (c *changes) attrs() []slog.Attr {
	var attrs []slog.Attr
	if c.privateCache {
		attrs = append(attrs, slog.Bool("cache_control_private", true))
		if c.appCacheControl != "" {
			attrs = append(attrs, slog.String("app_cache_control", c.appCacheControl))
		}
	}
	if len(c.droppedHeaders) > 0 {
		attrs = append(attrs, slog.Any("dropped_response_headers", c.droppedHeaders))
	}
	if len(c.firstValueOnly) > 0 {
		attrs = append(attrs, slog.Any("first_value_only_headers", c.firstValueOnly))
	}
	if len(c.latin1Headers) > 0 {
		attrs = append(attrs, slog.Any("latin1_response_headers", c.latin1Headers))
	}
	return attrs
}
