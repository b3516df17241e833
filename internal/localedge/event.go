package localedge

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// accountID is the AWS account in the events: the documentation's example.
const accountID = "123456789012"

// hopByHop are the headers of one connection (RFC 9110 §7.6.1), which no
// proxy forwards.
var hopByHop = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

// removedByCloudFront are viewer headers CloudFront removes or replaces
// before the origin request.
var removedByCloudFront = map[string]bool{
	"X-Forwarded-Proto": true, "X-Real-Ip": true, "Cookie": true, // cookies travel in cookies[]
	"Host": true, "Via": true, "X-Amz-Cf-Id": true, "Cloudfront-Forwarded-Proto": true,
	"X-Forwarded-Host": true, "True-Client-Ip": true, "X-Origin-Verify": true,
	"X-Forwarded-Port": true, "X-Amzn-Trace-Id": true,
}

// event builds the payload-2.0 event API Gateway sends for r after the
// distribution handled it. body is r's body, already read.
func (e *Edge) event(r *http.Request, body []byte, now time.Time) events.APIGatewayV2HTTPRequest {
	viewerIP, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		viewerIP = r.RemoteAddr
	}
	domain := e.apiDomain()

	headers := make(map[string]string, len(r.Header)+12)
	for name, values := range r.Header {
		if hopByHop[name] || removedByCloudFront[name] {
			continue
		}
		headers[strings.ToLower(name)] = strings.Join(values, ",")
	}
	// The viewer-request CloudFront Function.
	if r.Host != "" {
		headers["x-forwarded-host"] = r.Host
	}
	headers["true-client-ip"] = viewerIP
	// The distribution: origin custom header, cache policy header, its own.
	headers["x-origin-verify"] = e.cfg.OriginVerify
	headers["cloudfront-forwarded-proto"] = "https"
	headers["via"] = "2.0 " + randomHex(16) + ".cloudfront.net (CloudFront)"
	headers["x-amz-cf-id"] = base64.RawURLEncoding.EncodeToString(randomBytes(42)) + "=="
	xff := viewerIP
	if prior := headers["x-forwarded-for"]; prior != "" {
		xff = prior + ", " + viewerIP
	}
	// API Gateway.
	headers["host"] = domain
	headers["x-forwarded-for"] = xff + ", " + e.cfg.EdgeIP
	headers["x-forwarded-proto"] = "https"
	headers["x-forwarded-port"] = "443"
	headers["x-amzn-trace-id"] = fmt.Sprintf("Root=1-%08x-%s", now.Unix(), randomHex(12))
	if len(body) > 0 || r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		headers["content-length"] = strconv.Itoa(len(body))
	}

	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        r.URL.Path, // decoded, as HTTP APIs report it
		RawQueryString: r.URL.RawQuery,
		Cookies:        cookies(r.Header.Values("Cookie")),
		Headers:        headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     "$default",
			AccountID:    accountID,
			Stage:        "$default",
			RequestID:    base64.StdEncoding.EncodeToString(randomBytes(10))[:15] + "=",
			APIID:        e.cfg.APIID,
			DomainName:   domain,
			DomainPrefix: e.cfg.APIID,
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  e.cfg.EdgeIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// cookies splits Cookie header lines into the event's cookies[].
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

// isText reports whether a body of this Content-Type is passed as text;
// anything else (forms, uploads, no type at all) is base64, as the HTTP API
// sends it.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript":
		return true
	}
	return false
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }
