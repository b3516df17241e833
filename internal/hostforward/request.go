package hostforward

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/textproto"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/appproc"
)

// Headers the edge sets (and the function reads) but the app never sees.
const (
	headerOriginVerify = "X-Origin-Verify"
	headerTrueClientIP = "True-Client-Ip" // canonical form of True-Client-IP
	headerCFProto      = "Cloudfront-Forwarded-Proto"
)

// viewer holds the facts about the viewer that the app receives.
type viewer struct {
	host      string // as the viewer sent it, port included if any
	proto     string // "https" or "http"
	port      string
	clientIP  string
	verified  bool   // the request carried a valid X-Origin-Verify
	requestID string // API Gateway's, for X-Request-Id
}

// dropped reports whether an event header is not copied to the app as
// sent: the forwarding headers the rewrite sets (client copies are never
// trusted), the edge's own inputs, aws-lambda-go-api-proxy's spoofable
// context headers, headers rebuilt from the event (Host, Cookie,
// Content-Length), the connection-level Connection and Upgrade (there is
// no connection to upgrade behind API Gateway) and Expect: the body is in
// the event, and a forwarded 100-continue would make the transport hold it
// back for up to ExpectContinueTimeout from an app that does not answer
// 100 Continue.
//
// Every name with an underscore is dropped too, as nginx and Apache do and
// gunicorn 22 refuses: CGI-style servers (gunicorn before 22, among others)
// map "_" and "-" to the same variable, so x_forwarded_for would reach the
// app as HTTP_X_FORWARDED_FOR, joined to the real one.
//
// So are the client-address and location headers of other proxies and CDNs
// and every CloudFront-* header: this stack's policies add none of them
// (AllViewerExceptHostHeader adds no CloudFront-* header; CloudFront passes a
// viewer's copy of one no policy adds), so any that arrives was written by
// the client. The viewer's address reaches the app as X-Forwarded-For,
// X-Real-IP and Forwarded. appproc.HookTokenHeader is hostforward's own
// credential for the app's SnapStart hooks: a viewer never runs them.
func dropped(canonical string) bool {
	switch canonical {
	case "Forwarded", "X-Real-Ip", "X-Request-Id", headerOriginVerify, headerUpstreamVerify, headerTrueClientIP,
		appproc.HookTokenHeader,
		"Host", "Cookie", "Content-Length", "Connection", "Upgrade", "Expect",
		"Client-Ip", "X-Client-Ip", "Cf-Connecting-Ip", "Fastly-Client-Ip", "X-Cluster-Client-Ip",
		"Forwarded-For", "X-Forwarded", "X-Originating-Ip", "X-Remote-Ip", "X-Remote-Addr":
		return true
	}
	return strings.HasPrefix(canonical, "X-Forwarded-") || strings.HasPrefix(canonical, "Cloudfront-") ||
		strings.HasPrefix(canonical, "X-Golambdaproxy-") || strings.IndexByte(canonical, '_') >= 0
}

// newRequest checks the event and converts it into the request the proxy
// forwards, with the viewer facts attached for the rewrite. Errors are
// *refusal values carrying the status the viewer gets.
func (h *Handler) newRequest(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (*http.Request, *viewer, error) {
	headers, err := lowercaseKeys(ev.Headers)
	if err != nil {
		return nil, nil, err
	}
	ev.Headers = headers
	verified, err := h.verify(ctx, ev.Headers)
	if err != nil {
		return nil, nil, err
	}
	v, err := h.viewerOf(ev, verified)
	if err != nil {
		return nil, nil, err
	}
	v.requestID = ev.RequestContext.RequestID

	method := ev.RequestContext.HTTP.Method
	if method == "" || !isToken(method) {
		return nil, nil, badRequest("invalid method %q", method)
	}
	u, err := h.requestURL(ev.RawPath, ev.RawQueryString)
	if err != nil {
		return nil, nil, err
	}
	body, err := eventBody(ev)
	if err != nil {
		return nil, nil, err
	}
	hdr, err := forwardedHeaders(ev)
	if err != nil {
		return nil, nil, err
	}

	req := (&http.Request{
		Method:        method,
		URL:           u,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        hdr,
		Host:          v.host,
		ContentLength: int64(len(body)),
		// RemoteAddr carries a port: httputil.ReverseProxy would ignore a
		// bare IP (the api-proxy library's defect); it is informational only,
		// since the rewrite sets every forwarding header itself.
		RemoteAddr: netipAddrPort(v.clientIP),
	}).WithContext(ctx)
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	} else {
		req.Body = http.NoBody
	}
	return req, v, nil
}

type viewerKey struct{}

// rewrite is the proxy's Rewrite hook: it points the request newRequest
// built at the app and sets everything the app learns about the viewer.
// ReverseProxy has already removed hop-by-hop headers and the
// X-Forwarded-For/Host/Proto and Forwarded headers from Out; newRequest
// dropped every other untrusted one.
//
// ReverseProxy also "cleans" Out's query before Rewrite runs, re-encoding
// it without the parameters url.ParseQuery refuses (a ';', a malformed '%')
// and sorted by key; the query the viewer sent is restored from In, which
// requestURL checked.
func (h *Handler) rewrite(pr *httputil.ProxyRequest) {
	v := pr.In.Context().Value(viewerKey{}).(*viewer)
	pr.SetURL(h.cfg.Upstream)
	pr.Out.URL.RawQuery = pr.In.URL.RawQuery // the upstream URL has no query of its own
	pr.Out.Host = v.host
	hdr := pr.Out.Header
	hdr["X-Forwarded-Host"] = []string{v.host}
	hdr["X-Forwarded-Proto"] = []string{v.proto}
	hdr["X-Forwarded-Port"] = []string{v.port}
	hdr["X-Forwarded-For"] = []string{v.clientIP}
	hdr["X-Real-Ip"] = []string{v.clientIP}
	hdr["Forwarded"] = []string{forwardedHeader(v)}
	if v.requestID != "" {
		hdr["X-Request-Id"] = []string{v.requestID}
	}
	if h.creds.upstream != nil {
		hdr[headerUpstreamVerify] = []string{h.creds.upstream.Current(pr.In.Context())}
	}
}

// forwardedHeader renders the RFC 7239 Forwarded element for v.
func forwardedHeader(v *viewer) string {
	forIP := v.clientIP
	if strings.Contains(forIP, ":") {
		forIP = `"[` + forIP + `]"` // RFC 7239 §6: IPv6 in brackets, quoted
	}
	host := v.host
	if !isToken(host) || strings.Contains(host, ":") {
		host = `"` + host + `"`
	}
	return "for=" + forIP + ";host=" + host + ";proto=" + v.proto
}

// eventBody returns the event's body, base64-decoded when API Gateway
// encoded it.
func eventBody(ev *events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if !ev.IsBase64Encoded {
		return []byte(ev.Body), nil
	}
	body, err := base64.StdEncoding.DecodeString(ev.Body)
	if err != nil {
		return nil, &refusal{status: http.StatusBadRequest, reason: "the body is not valid base64", err: err}
	}
	return body, nil
}

// forwardedHeaders returns the event's headers as the app gets them before
// the rewrite: one value each, without the dropped ones and those named in
// Connection, with the cookies as one Cookie header. ev.Headers must have
// lowercase, valid names (see lowercaseKeys).
func forwardedHeaders(ev *events.APIGatewayV2HTTPRequest) (http.Header, error) {
	// Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
	var hop []string
	if c := ev.Headers["connection"]; c != "" {
		hop = strings.Split(c, ",")
		for i := range hop {
			hop[i] = strings.ToLower(strings.TrimSpace(hop[i]))
		}
	}
	hdr := make(http.Header, len(ev.Headers)+8)
	for name, value := range ev.Headers {
		if !validHeaderValue(value) {
			return nil, badRequest("invalid value in header %q", name)
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if dropped(key) || slices.Contains(hop, name) {
			continue
		}
		// One value, never split: payload 2.0 joins repeats with commas, and
		// dates, signatures and user agents contain commas of their own.
		hdr[key] = []string{value}
	}
	if len(ev.Cookies) > 0 {
		cookie := strings.Join(ev.Cookies, "; ")
		if !validHeaderValue(cookie) {
			return nil, badRequest("invalid cookie")
		}
		hdr["Cookie"] = []string{cookie}
	} else if c, ok := ev.Headers["cookie"]; ok {
		hdr["Cookie"] = []string{c}
	}
	return hdr, nil
}

// lowercaseKeys checks that every header name is a token and returns
// headers keyed by lowercase name. API Gateway's payload 2.0 already
// lowercases them; hand-written and generated events (sam local
// generate-event) may not, and the edge headers are looked up by their
// lowercase names. The check comes first, so a non-ASCII name never folds
// into an ASCII one ("coo\u212Aie", with a Kelvin sign, lowercases to
// "cookie"). Two keys that differ only in case are refused rather than
// resolved in map order.
func lowercaseKeys(headers map[string]string) (map[string]string, error) {
	allLower := true
	for k := range headers {
		if !isToken(k) {
			return nil, badRequest("invalid header name %q", k)
		}
		allLower = allLower && strings.ToLower(k) == k
	}
	if allLower {
		return headers, nil
	}
	lower := make(map[string]string, len(headers))
	for k, v := range headers {
		l := strings.ToLower(k)
		if _, dup := lower[l]; dup {
			return nil, badRequest("header %q appears twice", k)
		}
		lower[l] = v
	}
	return lower, nil
}

// verify checks X-Origin-Verify with the origin secret, which compares digests in
// constant time, so neither the secrets' contents nor their lengths show in
// the timing. With no check configured nothing is verified and nothing
// refused.
func (h *Handler) verify(ctx context.Context, headers map[string]string) (bool, error) {
	if h.creds.origin == nil {
		return false, nil
	}
	if !h.creds.origin.Match(ctx, headers["x-origin-verify"]) {
		return false, &refusal{status: http.StatusForbidden, reason: "request did not come through the CloudFront distribution"}
	}
	return true, nil
}

// viewerOf derives the viewer's host, scheme and address. Edge-set headers
// (True-Client-IP, CloudFront-Forwarded-Proto) count only on a verified request.
func (h *Handler) viewerOf(ev *events.APIGatewayV2HTTPRequest, verified bool) (*viewer, error) {
	v := &viewer{proto: "https", verified: verified}

	host := viewerHost(ev)
	switch {
	case strings.Contains(host, ","):
		return nil, badRequest("the viewer host must be one host, got %q", host)
	case !h.cfg.AllowedHosts.Allows(host):
		return nil, badRequest("host %q is not in ALLOWED_HOSTS", host)
	}
	v.host = host

	if p, ok := ev.Headers["cloudfront-forwarded-proto"]; ok && verified {
		switch strings.ToLower(p) {
		case "https", "http":
			v.proto = strings.ToLower(p)
		default:
			return nil, badRequest("invalid CloudFront-Forwarded-Proto %q", p)
		}
	}
	v.port = "443"
	if v.proto == "http" {
		v.port = "80"
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		v.port = host[i+1:]
	}

	ip := ev.RequestContext.HTTP.SourceIP
	if t, ok := ev.Headers["true-client-ip"]; ok && verified {
		ip = t
	}
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil || addr.Zone() != "" { // a zone is free text: never forward it
		return nil, badRequest("invalid client address %q", ip)
	}
	v.clientIP = addr.Unmap().String()
	return v, nil
}

// viewerHost returns the host the viewer asked for: X-Forwarded-Host (set
// at the edge from the viewer's Host), else Host, else the API's domain.
// ev.Headers must have lowercase keys.
func viewerHost(ev *events.APIGatewayV2HTTPRequest) string {
	host, ok := ev.Headers["x-forwarded-host"]
	if !ok {
		host, ok = ev.Headers["host"]
	}
	if !ok {
		host = ev.RequestContext.DomainName
	}
	return strings.TrimSpace(host)
}

// requestURL builds the inbound URL from API Gateway's decoded rawPath and
// raw query string. The path is re-encoded minimally so that what the
// viewer sent (sub-delimiters, '+', non-ASCII) reaches the app unchanged;
// the query string passes byte for byte.
func (h *Handler) requestURL(rawPath, rawQuery string) (*url.URL, error) {
	p := rawPath
	if p == "" {
		p = "/"
	}
	if p[0] != '/' || strings.ContainsAny(p, "\x00\r\n") {
		return nil, badRequest("invalid path %q", rawPath)
	}
	if b := h.cfg.RemoveBasePath; b != "" && strings.HasPrefix(p, b) {
		if rest := p[len(b):]; rest == "" || rest[0] == '/' {
			p = "/" + strings.TrimPrefix(rest, "/")
		}
	}
	if !validQuery(rawQuery) {
		return nil, badRequest("invalid query string")
	}
	return &url.URL{Path: p, RawPath: escapePath(p), RawQuery: rawQuery}, nil
}

// validQuery reports whether q can go on the request line as it is: no
// control byte (tab included), space, DEL or '#'. Anything else, a stray
// '%' or ';' and non-ASCII bytes included, passes byte for byte.
func validQuery(q string) bool {
	for i := 0; i < len(q); i++ {
		if c := q[i]; c <= ' ' || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

// escapePath percent-encodes the bytes that may not appear literally in a
// URL path (RFC 3986 §3.3): controls, space, non-ASCII, '%' and the
// delimiters Go's url package would also escape. Everything else, '+' and
// the sub-delimiters included, is left as the viewer sent it.
func escapePath(p string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(p); i++ {
		if pathByteNeedsEscape(p[i]) {
			n++
		}
	}
	if n == 0 {
		return p
	}
	b := make([]byte, 0, len(p)+2*n)
	for i := 0; i < len(p); i++ {
		if c := p[i]; pathByteNeedsEscape(c) {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func pathByteNeedsEscape(c byte) bool {
	if c <= ' ' || c >= 0x7f {
		return true
	}
	return strings.IndexByte(`"#%<>?\^`+"`{|}", c) >= 0
}

// isToken reports whether s is a non-empty RFC 9110 token (header names,
// methods).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control characters other
// than horizontal tab (RFC 9110 §5.5), so it cannot split a header.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func netipAddrPort(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	return netip.AddrPortFrom(addr, 0).String()
}
