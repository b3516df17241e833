package localedge

import (
	"crypto/rand"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/local/awsid"
)

// accountID is the AWS account in the events: the documentation's example.
const accountID = "123456789012"

// event builds the payload-2.0 event API Gateway sends for the origin
// request fwd of the viewer's r.
func (e *Edge) event(fwd *originRequest, r *http.Request, now time.Time) events.APIGatewayV2HTTPRequest {
	domain := e.apiDomain()
	headers := make(map[string]string, len(fwd.header)+8)
	for name, values := range fwd.header {
		headers[strings.ToLower(name)] = strings.Join(values, ",")
	}
	// The origin's custom headers: CloudFront overwrites a viewer's copy.
	for _, h := range fwd.origin.customHeaders {
		value := h.value
		if h.name == originVerifyHeader {
			value = e.cfg.OriginVerify
		}
		headers[strings.ToLower(h.name)] = value
	}
	// API Gateway.
	headers["host"] = domain
	headers["x-forwarded-for"] = fwd.header.Get("X-Forwarded-For") + ", " + e.cfg.EdgeIP
	headers["x-forwarded-proto"] = "https"
	headers["x-forwarded-port"] = "443"
	headers["x-amzn-trace-id"] = awsid.TraceRoot(now)
	if len(fwd.body) > 0 || fwd.method == http.MethodPost || fwd.method == http.MethodPut || fwd.method == http.MethodPatch {
		headers["content-length"] = strconv.Itoa(len(fwd.body))
	}

	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       "$default",
		RawPath:        fwd.path, // decoded, as HTTP APIs report it
		RawQueryString: fwd.rawQuery,
		Cookies:        fwd.cookies,
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
				Method:    fwd.method,
				Path:      fwd.path,
				Protocol:  r.Proto,
				SourceIP:  e.cfg.EdgeIP,
				UserAgent: fwd.header.Get("User-Agent"),
			},
		},
	}
	if q, err := url.ParseQuery(fwd.rawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	if len(fwd.body) > 0 {
		if isText(fwd.header.Get("Content-Type")) {
			ev.Body = string(fwd.body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(fwd.body), true
		}
	}
	return ev
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
