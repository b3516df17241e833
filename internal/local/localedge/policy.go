package localedge

import (
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/djfront/djfront/internal/local/awsid"
)

// originRequest is a viewer request as CloudFront sends it to the origin,
// after the behaviour's viewer-request function and policies.
type originRequest struct {
	origin   *origin
	method   string
	path     string // decoded
	rawQuery string // the query strings the policies pass, as the viewer wrote them
	host     string // the viewer's Host when a policy forwards it, else ""
	header   http.Header
	cookies  []string // name=value
	body     []byte
	key      string // the cache key (GET and HEAD of cached methods)
}

// hopByHop are the headers of one connection (RFC 9110 §7.6.1), which no
// proxy forwards.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// handledHeaders are viewer headers CloudFront never passes as they are:
// it removes X-Forwarded-Proto and X-Real-IP, replaces Via and X-Amz-Cf-Id,
// and treats the others separately below.
var handledHeaders = map[string]bool{
	"Host": true, "Cookie": true, "Authorization": true, "Accept-Encoding": true, "X-Forwarded-For": true,
	"X-Forwarded-Proto": true, "X-Real-Ip": true, "Via": true, "X-Amz-Cf-Id": true,
}

// includes reports whether s takes the named header, cookie or query
// string (headers compare without case).
func (s selection) includes(name string, header bool) bool {
	in := slices.ContainsFunc(s.names, func(n string) bool {
		if header {
			return strings.EqualFold(n, name)
		}
		return n == name
	})
	switch s.behavior {
	case "whitelist":
		return in
	case "allExcept":
		return !in
	case "all", "allViewer", "allViewerAndWhitelistCloudFront":
		return true
	}
	return false
}

// forwards reports whether the behaviour's cache or origin request policy
// passes a viewer's header (kind "header"), cookie or query string.
func (b *behavior) forwards(kind, name string) bool {
	var c, o selection
	switch kind {
	case "header":
		c = b.cache.headers
		if b.originRequest != nil {
			o = b.originRequest.headers
		}
	case "cookie":
		c = b.cache.cookies
		if b.originRequest != nil {
			o = b.originRequest.cookies
		}
	default:
		c = b.cache.queries
		if b.originRequest != nil {
			o = b.originRequest.queries
		}
	}
	return c.includes(name, kind == "header") || o.includes(name, kind == "header")
}

// forwardsCookies reports whether any cookie reaches the origin; CloudFront
// removes Set-Cookie from the responses of a behaviour that forwards none.
func (b *behavior) forwardsCookies() bool {
	return b.cache.cookies.behavior != "none" || (b.originRequest != nil && b.originRequest.cookies.behavior != "none")
}

// addedCloudFrontHeaders are the CloudFront-* headers a policy of the
// behaviour names: CloudFront sets them, overwriting a viewer's copy.
func (b *behavior) addedCloudFrontHeaders() []string {
	var out []string
	lists := [][]string{}
	if b.cache.headers.behavior == "whitelist" {
		lists = append(lists, b.cache.headers.names)
	}
	if o := b.originRequest; o != nil && (o.headers.behavior == "whitelist" || o.headers.behavior == "allViewerAndWhitelistCloudFront") {
		lists = append(lists, o.headers.names)
	}
	for _, l := range lists {
		for _, n := range l {
			if c := http.CanonicalHeaderKey(n); strings.HasPrefix(c, "Cloudfront-") && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// forward builds what the origin receives for r: the viewer-request
// function's headers, then the headers, cookies and query strings the
// cache and origin request policies pass, then CloudFront's own headers.
// viewer is the viewer's address (host:port).
func (b *behavior) forward(r *http.Request, viewer string, body []byte) *originRequest {
	viewerIP, _, err := net.SplitHostPort(viewer)
	if err != nil {
		viewerIP = viewer
	}
	in := r.Header.Clone()
	for _, c := range in.Values("Connection") {
		for name := range strings.SplitSeq(c, ",") {
			in.Del(strings.TrimSpace(name))
		}
	}
	if b.viewerRequest {
		// The template's CloudFront Function (test/template runs its code).
		if r.Host != "" {
			in.Set("X-Forwarded-Host", r.Host)
		} else {
			in.Del("X-Forwarded-Host")
		}
		in.Set("True-Client-Ip", viewerIP)
	}

	out := &originRequest{origin: b.origin, method: r.Method, path: r.URL.Path, header: http.Header{}, body: body}
	for name, values := range in {
		if hopByHop[name] || handledHeaders[name] || !b.forwards("header", name) {
			continue
		}
		out.header[name] = values
	}
	// Authorization: removed from GET and HEAD unless the cache policy has
	// it; other methods pass it when a policy forwards all viewer headers.
	if auth := in.Values("Authorization"); len(auth) > 0 {
		inKey := b.cache.headers.includes("Authorization", true)
		viewerAll := b.originRequest != nil && b.originRequest.headers.behavior != "whitelist" &&
			b.originRequest.headers.includes("Authorization", true)
		if inKey || (r.Method != http.MethodGet && r.Method != http.MethodHead && viewerAll) {
			out.header["Authorization"] = auth
		}
	}
	if !b.forwards("header", "User-Agent") {
		out.header.Set("User-Agent", "Amazon CloudFront") // what CloudFront sends in place of the viewer's
	}
	if b.forwards("header", "Host") {
		out.host = r.Host
	}
	if enc := b.acceptEncoding(in.Get("Accept-Encoding")); enc != "" {
		out.header.Set("Accept-Encoding", enc)
	} else if !b.cache.gzip && !b.cache.brotli && b.forwards("header", "Accept-Encoding") && in.Get("Accept-Encoding") != "" {
		out.header["Accept-Encoding"] = in.Values("Accept-Encoding")
	}
	for _, h := range b.addedCloudFrontHeaders() {
		switch h {
		case "Cloudfront-Forwarded-Proto":
			out.header.Set(h, "https") // the edge speaks only HTTPS to viewers
		case "Cloudfront-Viewer-Address":
			out.header.Set(h, viewer)
		}
	}
	xff := viewerIP
	if prior := strings.Join(in.Values("X-Forwarded-For"), ", "); prior != "" && b.forwards("header", "X-Forwarded-For") {
		xff = prior + ", " + viewerIP
	}
	out.header.Set("X-Forwarded-For", xff)
	out.header.Set("Via", "2.0 "+awsid.Hex(16)+".cloudfront.net (CloudFront)")
	out.header.Set("X-Amz-Cf-Id", base64.RawURLEncoding.EncodeToString(randomBytes(42))+"==")

	// The key starts with the path: the distribution is the one the edge
	// plays, whichever of its names (alias or *.cloudfront.net) the viewer
	// used; the Host is in the key only when the cache policy puts it there.
	var key strings.Builder
	key.WriteString(r.URL.EscapedPath() + "\x00")
	for _, c := range cookies(in.Values("Cookie")) {
		name, _, _ := strings.Cut(c, "=")
		if b.forwards("cookie", name) {
			out.cookies = append(out.cookies, c)
		}
		if b.cache.cookies.includes(name, false) {
			key.WriteString("c:" + c + "\x00")
		}
	}
	var query []string
	for p := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if p == "" {
			continue
		}
		raw, _, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(raw)
		if err != nil {
			name = raw
		}
		if b.forwards("query", name) {
			query = append(query, p)
		}
		if b.cache.queries.includes(name, false) {
			key.WriteString("q:" + p + "\x00")
		}
	}
	out.rawQuery = strings.Join(query, "&")
	if b.cache.headers.behavior == "whitelist" {
		for _, n := range b.cache.headers.names {
			c := http.CanonicalHeaderKey(n)
			v := strings.Join(out.header.Values(c), ",")
			if c == "Host" {
				v = r.Host
			}
			key.WriteString("h:" + c + "=" + v + "\x00")
		}
	}
	key.WriteString("e:" + out.header.Get("Accept-Encoding"))
	out.key = key.String()
	return out
}

// acceptEncoding is the Accept-Encoding CloudFront normalizes a viewer's to
// when the cache policy enables gzip or Brotli: "br,gzip", "gzip", "br" or
// nothing.
func (b *behavior) acceptEncoding(viewer string) string {
	var gzip, br bool
	for part := range strings.SplitSeq(viewer, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.ReplaceAll(strings.TrimSpace(params), " ", "") == "q=0" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip":
			gzip = true
		case "br":
			br = true
		}
	}
	var out []string
	if br && b.cache.brotli {
		out = append(out, "br")
	}
	if gzip && b.cache.gzip {
		out = append(out, "gzip")
	}
	return strings.Join(out, ",")
}

// cookies splits Cookie header lines into name=value pairs.
func cookies(lines []string) []string {
	var out []string
	for _, line := range lines {
		for c := range strings.SplitSeq(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}
