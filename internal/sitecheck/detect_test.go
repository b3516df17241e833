package sitecheck_test

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/djfront/djfront/internal/sitecheck"
)

const site = "https://www.example.com"

// recorded returns the response in testdata/file as the answer to method url.
func recorded(t *testing.T, file, method, rawURL string) *sitecheck.Exchange {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := sitecheck.ReadExchange(method, rawURL, f)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// answer builds an exchange: header is name, value pairs.
func answer(method, rawURL string, status int, body string, header ...string) *sitecheck.Exchange {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &sitecheck.Exchange{Method: method, URL: u, Status: status, Header: h, Body: []byte(body)}
}

func failed(method, rawURL string, err error) *sitecheck.Exchange {
	u, _ := url.Parse(rawURL)
	return &sitecheck.Exchange{Method: method, URL: u, Err: err}
}

func siteOf(rawURL string) sitecheck.Site {
	u, _ := url.Parse(rawURL)
	return sitecheck.Site{URL: u}
}

// want is the expected outcome of a check: "pass", "fail" or "skip", and a
// part of its detail.
type want struct {
	result, detail string
}

func assertResult(t *testing.T, got sitecheck.Result, id string, w want) {
	t.Helper()
	result := "pass"
	switch {
	case got.Failed():
		result = "fail"
	case got.OK == nil:
		result = "skip"
	}
	if got.ID != id {
		t.Errorf("id = %q, want %q", got.ID, id)
	}
	if result != w.result || !strings.Contains(got.Detail, w.detail) {
		t.Errorf("got %s %q, want %s with %q", result, got.Detail, w.result, w.detail)
	}
	if result == "fail" && !strings.Contains(got.Fix, "https://github.com/djfront/djfront/blob/main/docs/check.md#check-"+id) {
		t.Errorf("fix %q does not link the README section of %s", got.Fix, id)
	}
}

func TestHTTPSRedirect(t *testing.T) {
	tests := []struct {
		name string
		site string
		ex   *sitecheck.Exchange
		want want
	}{
		{"CloudFront's redirect-to-https", site + "/accounts/", recorded(t, "cloudfront-301-https.http", "GET", "http://www.example.com/accounts/"), want{"pass", "http:// → 301 https://www.example.com/accounts/"}},
		{"served over http (allow-all)", site + "/", answer("GET", "http://www.example.com/", 200, "<html>"), want{"fail", "served as is (200)"}},
		{"https-only: CloudFront's 403", site + "/", recorded(t, "cloudfront-403-method.http", "GET", "http://www.example.com/"), want{"fail", "https-only"}},
		{"to another host", site + "/", answer("GET", "http://www.example.com/", 301, "", "Location", "https://abc.execute-api.us-east-1.amazonaws.com/"), want{"fail", "to another host"}},
		{"to http", site + "/", answer("GET", "http://www.example.com/", 302, "", "Location", "http://www.example.com/"), want{"fail", "not to https"}},
		{"the path is lost", site + "/a/", answer("GET", "http://www.example.com/a/", 301, "", "Location", "https://www.example.com/"), want{"fail", "the path is lost"}},
		{"no http listener", site + "/", failed("GET", "http://www.example.com/", syscall.ECONNREFUSED), want{"fail", "did not answer"}},
		{"a site on its own port", "https://localhost:3000/", nil, want{"skip", "port 3000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, sitecheck.HTTPSRedirect(siteOf(tt.site), tt.ex), sitecheck.IDHTTPSRedirect, tt.want)
		})
	}
}

func TestHSTS(t *testing.T) {
	tests := []struct {
		name, header string
		site         string // default site
		want         want
	}{
		{"SecurityHeadersPolicy's", "max-age=31536000", "", want{"pass", "max-age=31536000 (365 days)"}},
		{"with subdomains and preload", `max-age="63072000"; includeSubDomains; preload`, "", want{"pass", "includeSubDomains, preload"}},
		{"missing", "", "", want{"fail", "no Strict-Transport-Security"}},
		{"too short", "max-age=300", "", want{"fail", "shorter than 180 days"}},
		{"zero", "max-age=0", "", want{"fail", "forget"}},
		{"invalid", "max-age=1y", "", want{"fail", "invalid"}},
		{"twice", "max-age=31536000; max-age=1", "", want{"fail", "appears twice"}},
		{"a local stand-in", "", "https://localhost:3000", want{"skip", "would pin every local project"}},
		{"a subdomain of localhost", "", "https://app.localhost", want{"skip", "app.localhost"}},
		{"an IP address (RFC 6797 §8.1)", "", "https://[::1]:8443", want{"skip", "IP address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.site
			if base == "" {
				base = site
			}
			page := answer("GET", base+"/", 200, "")
			if tt.header != "" {
				page.Header.Set("Strict-Transport-Security", tt.header)
			}
			assertResult(t, sitecheck.HSTS(siteOf(base+"/"), page), sitecheck.IDHSTS, tt.want)
		})
	}
}

func TestMethods(t *testing.T) {
	const path = site + "/djfront-check-1/"
	fromApp := func(method string) *sitecheck.Exchange {
		return answer(method, path, 404, "<h1>Not Found</h1>", "Content-Type", "text/html", "X-Cache", "Miss from cloudfront")
	}
	refused := func(method string) *sitecheck.Exchange {
		return recorded(t, "cloudfront-403-method.http", method, path)
	}
	tests := []struct {
		name          string
		options, post *sitecheck.Exchange
		want          want
	}{
		{"all seven methods", fromApp("OPTIONS"), fromApp("POST"), want{"pass", "OPTIONS → 404, POST → 404"}},
		{"the app's 405 is the app's", answer("OPTIONS", path, 405, "", "Allow", "GET, HEAD", "X-Cache", "Error from cloudfront"), answer("POST", path, 405, "", "X-Cache", "Error from cloudfront"),
			want{"pass", "OPTIONS → 405, POST → 405"}},
		{"CloudFront's 403 for OPTIONS alone", refused("OPTIONS"), fromApp("POST"), want{"fail", "CORS preflights never reach the app"}},
		{"the app's own 403 is the app's", fromApp("OPTIONS"), answer("POST", path, 403, "CSRF verification failed"), want{"pass", "POST → 403"}},
		{"GET and HEAD only", refused("OPTIONS"), refused("POST"), want{"fail", "GET and HEAD only"}},
		{"GET, HEAD and OPTIONS", fromApp("OPTIONS"), refused("POST"), want{"fail", "GET, HEAD and OPTIONS only"}},
		{"the 2018 wording", fromApp("OPTIONS"), recorded(t, "cloudfront-403-method-2018.http", "POST", path), want{"fail", "GET, HEAD and OPTIONS only"}},
		{"origin down: inconclusive", fromApp("OPTIONS"), recorded(t, "cloudfront-502.http", "POST", path), want{"skip", "CloudFront's own error page"}},
		{"no answer", fromApp("OPTIONS"), failed("POST", path, errors.New("timeout")), want{"skip", "no answer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, sitecheck.Methods(tt.options, tt.post), sitecheck.IDMethods, tt.want)
		})
	}
}

func TestHost(t *testing.T) {
	page := func(body string, header ...string) *sitecheck.Exchange {
		return answer("GET", site+"/", 200, body, append([]string{"Content-Type", "text/html"}, header...)...)
	}
	good := &sitecheck.Probe{Version: 1, Host: "www.example.com", Scheme: "https", IsSecure: true, RemoteAddr: "10.0.0.5", XForwardedFor: "192.0.2.1"}
	tests := []struct {
		name  string
		pages []*sitecheck.Exchange
		probe *sitecheck.Probe
		want  want
	}{
		{"relative links only", []*sitecheck.Exchange{page(`<a href="/about/">`)}, nil, want{"pass", "inferred from 1 responses"}},
		{"the CDN domain for static files is fine", []*sitecheck.Exchange{page(`<link href="https://d111.cloudfront.net/static/a.css">`)}, nil, want{"pass", "inferred"}},
		{"media on the CDN domain without a prefix (django-storages custom_domain, seed [4])", []*sitecheck.Exchange{page(`<img src="https://d3268ld43vues4.cloudfront.net/photos/cat.jpg">`)}, nil, want{"pass", "inferred"}},
		{"the probe agrees", []*sitecheck.Exchange{page("")}, good, want{"pass", "get_host() is www.example.com (probe); client REMOTE_ADDR 10.0.0.5"}},
		{"AllViewer: API Gateway's 403", []*sitecheck.Exchange{recorded(t, "apigw-403-forbidden.http", "GET", site+"/")}, nil, want{"fail", "AllViewer instead of AllViewerExceptHostHeader"}},
		{"DisallowedHost", []*sitecheck.Exchange{recorded(t, "django-400.http", "GET", site+"/")}, nil, want{"fail", "DisallowedHost"}},
		{"no CloudFront Function: hostforward gets the API's Host", []*sitecheck.Exchange{answer("GET", site+"/", 400,
			"400 Bad Request: host \"a1b2c3d4e5.execute-api.us-east-1.amazonaws.com\" is not in ALLOWED_HOSTS (request id x)\n", "Content-Type", "text/plain; charset=utf-8")}, nil,
			want{"fail", "the viewer's Host does not reach it"}},
		{"redirect to the API's domain", []*sitecheck.Exchange{answer("GET", site+"/", 302, "", "Location", "https://abc123.execute-api.eu-west-1.amazonaws.com/accounts/login/")}, nil,
			want{"fail", "redirects to abc123.execute-api.eu-west-1.amazonaws.com (an API Gateway endpoint)"}},
		{"protocol-relative link to the API's domain", []*sitecheck.Exchange{page(`<a href="//abc123.execute-api.eu-west-1.amazonaws.com/next/">`)}, nil,
			want{"fail", "links to abc123.execute-api.eu-west-1.amazonaws.com (an API Gateway endpoint)"}},
		{"a redirect whose backslash names the API's domain", []*sitecheck.Exchange{answer("GET", site+"/", 302, "", "Location", `/\abc123.execute-api.eu-west-1.amazonaws.com/accounts/login/`)}, nil,
			want{"fail", "redirects to abc123.execute-api.eu-west-1.amazonaws.com (an API Gateway endpoint)"}},
		{"absolute link to a load balancer", []*sitecheck.Exchange{page(`<a href="http://app-1.us-east-1.elb.amazonaws.com/next/">`)}, nil, want{"fail", "(a load balancer)"}},
		{"JSON with the app's bind address", []*sitecheck.Exchange{answer("GET", site+"/api/", 200, `{"next":"http:\/\/127.0.0.1:8000\/api\/?page=2"}`)}, nil, want{"fail", "(a loopback address)"}},
		{"a page link on the distribution's domain", []*sitecheck.Exchange{page(`<a href="https://d111.cloudfront.net/accounts/">`)}, nil, want{"fail", "the distribution's own domain"}},
		{"the probe sees another host", []*sitecheck.Exchange{page("")}, &sitecheck.Probe{Version: 1, Host: "abc.execute-api.us-east-1.amazonaws.com"}, want{"fail", `get_host() is "abc.execute-api.us-east-1.amazonaws.com"`}},
		{"the probe saw a refusal", []*sitecheck.Exchange{page("")}, &sitecheck.Probe{Version: 1, RawHost: "d111.cloudfront.net", HostError: "Invalid HTTP_HOST header"}, want{"fail", `refused the host "d111.cloudfront.net"`}},
		{"CloudFront's 502: nothing to judge", []*sitecheck.Exchange{recorded(t, "cloudfront-502.http", "GET", site+"/")}, nil, want{"skip", "CloudFront's own error page"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, sitecheck.Host(siteOf(site+"/"), tt.pages, tt.probe), sitecheck.IDHost, tt.want)
		})
	}
}

func TestHostNamesTheRefusedHost(t *testing.T) {
	const cdn = "https://d111abcdef8.cloudfront.net"
	refusal := func(viewer, body string) []*sitecheck.Exchange {
		return []*sitecheck.Exchange{answer("GET", viewer+"/", 400, body, "Content-Type", "text/html")}
	}
	tests := []struct {
		name, viewer string
		pages        []*sitecheck.Exchange
		want         want
	}{
		{"the distribution's domain reaches the app, which serves the custom domain only (hostforward)", cdn,
			refusal(cdn, `400 Bad Request: host "d111abcdef8.cloudfront.net" is not in ALLOWED_HOSTS (request id x)`),
			want{"fail", `the viewer's host "d111abcdef8.cloudfront.net" reaches the app, which does not allow it`}},
		{"Django with DEBUG names the viewer's host", site,
			refusal(site, `<title>DisallowedHost at /</title> Invalid HTTP_HOST header: &#x27;www.example.com&#x27;. You may need to add &#x27;www.example.com&#x27; to ALLOWED_HOSTS.`),
			want{"fail", `the viewer's host "www.example.com" reaches the app, which does not allow it`}},
		{"hostforward names the API's host", site,
			refusal(site, `400 Bad Request: host "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com" is not in ALLOWED_HOSTS (request id x)`),
			want{"fail", `the app was given "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", not the viewer's host`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, sitecheck.Host(siteOf(tt.viewer+"/"), tt.pages, nil), sitecheck.IDHost, tt.want)
		})
	}
}

func TestScheme(t *testing.T) {
	page := func(body string, header ...string) []*sitecheck.Exchange {
		return []*sitecheck.Exchange{answer("GET", site+"/", 200, body, header...)}
	}
	tests := []struct {
		name  string
		pages []*sitecheck.Exchange
		probe *sitecheck.Probe
		want  want
	}{
		{"https links", page(`<link href="https://www.example.com/static/a.1234567890ab.css"><a href="https://www.example.com/x/">`), nil, want{"pass", "2 absolute links"}},
		{"the probe says https", page(""), &sitecheck.Probe{Version: 1, Scheme: "https", IsSecure: true}, want{"pass", "is_secure() True (probe)"}},
		{"build_absolute_uri behind TLS termination", page(`{"url": "http://www.example.com/api/items/1/"}`), nil, want{"fail", "names http://www.example.com/api/items/1/"}},
		{"an http redirect to the site", []*sitecheck.Exchange{answer("GET", site+"/admin", 301, "", "Location", "http://www.example.com/admin/")}, nil, want{"fail", "http:// links"}},
		{"an https page that redirects to itself (SECURE_SSL_REDIRECT, the scheme lost)", []*sitecheck.Exchange{
			answer("GET", site+"/?a=1", 301, "", "Location", "https://www.example.com/?a=1"),
			answer("GET", site+"/?a=1", 301, "", "Location", "https://www.example.com/?a=1"),
		}, nil, want{"fail", "GET /?a=1 → 301 redirects to itself"}},
		{"a relative redirect names no scheme (Django's own redirects)", []*sitecheck.Exchange{answer("GET", site+"/", 302, "", "Location", "/accounts/login/?next=/")}, nil, want{"skip", "no absolute link"}},
		{"a redirect to the login page is no loop", []*sitecheck.Exchange{answer("GET", site+"/", 302, "", "Location", "https://www.example.com/accounts/login/?next=/")}, nil, want{"pass", "1 absolute links"}},
		{"the probe says http", page(""), &sitecheck.Probe{Version: 1, Scheme: "http"}, want{"fail", `scheme "http", is_secure() false`}},
		{"protocol-relative links name no scheme", page(`<a href="//www.example.com/x/">`), nil, want{"skip", "no absolute link"}},
		{"a protocol-relative redirect names no scheme", []*sitecheck.Exchange{answer("GET", site+"/", 302, "", "Location", "//www.example.com/accounts/login/")}, nil, want{"skip", "no absolute link"}},
		{"http links to other sites are theirs", page(`<a href="http://example.org/">`), nil, want{"skip", "no absolute link"}},
		{"nothing to judge by", page(`<a href="/x/">`), nil, want{"skip", "no absolute link"}},
		{"the pages are refused", []*sitecheck.Exchange{recorded(t, "django-400.http", "GET", site+"/")}, nil, want{"skip", "refuses the host it is given (see host)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sitecheck.Scheme(siteOf(site+"/"), tt.pages, tt.probe)
			assertResult(t, got, sitecheck.IDScheme, tt.want)
			if got.OK == nil && strings.Contains(got.Detail, "no absolute link") && !strings.Contains(got.Fix, "--probe-token") {
				t.Errorf("skip hint %q does not name --probe-token", got.Fix)
			}
		})
	}
}

func TestCSRF(t *testing.T) {
	tests := []struct {
		name  string
		probe *sitecheck.Probe
		err   error
		want  want
	}{
		{"accepted", &sitecheck.Probe{Version: 1, Origin: site, CSRFOriginOK: true}, nil, want{"pass", "Origin https://www.example.com passes"}},
		{"refused", &sitecheck.Probe{Version: 1, Origin: site, CSRFReason: "Origin 'https://www.example.com' is neither 'http://www.example.com' nor in CSRF_TRUSTED_ORIGINS"}, nil, want{"fail", "neither 'http://www.example.com'"}},
		{"no probe", nil, nil, want{"skip", "--probe-token"}},
		{"probe off", nil, errors.New("probe /djfront/probe/: 404: the probe is off"), want{"skip", "the probe is off"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, sitecheck.CSRF(tt.probe, tt.err), sitecheck.IDCSRF, tt.want)
		})
	}
}

func TestCacheCookies(t *testing.T) {
	const login = site + "/accounts/login/"
	const token = "csrftoken=Zx81bq0Wn2mHq6VtY3kLr9sPc4dFg7Jh; expires=Tue, 30 Nov 2027 08:00:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax; Secure"
	miss := func(rawURL string, header ...string) *sitecheck.Exchange {
		return answer("GET", rawURL, 200, "<form>", append([]string{"X-Cache", "Miss from cloudfront"}, header...)...)
	}
	hit := func(rawURL string, header ...string) *sitecheck.Exchange {
		return answer("GET", rawURL, 200, "<form>", append([]string{"X-Cache", "Hit from cloudfront", "Age", "52"}, header...)...)
	}
	keyed := login + "?djfront-check=1"
	tests := []struct {
		name                        string
		first, repeat, withA, withB *sitecheck.Exchange
		want                        want
	}{
		{"cookies in the key, TTL 0", miss(login, "Set-Cookie", token), miss(login, "Set-Cookie", strings.Replace(token, "Zx81", "Ab12", 1)), miss(keyed), miss(keyed),
			want{"pass", "/accounts/login/ sets csrftoken, never from the cache"}},
		{"a cached Set-Cookie", miss(login, "Set-Cookie", token), hit(login, "Set-Cookie", token), miss(keyed), miss(keyed),
			want{"fail", "with Set-Cookie csrftoken came from the cache (X-Cache: Hit from cloudfront, Age: 52)"}},
		{"a replayed cookie without cache headers", miss(login, "Set-Cookie", token), answer("GET", login, 200, "", "Set-Cookie", token), miss(keyed), miss(keyed),
			want{"fail", "got the same Set-Cookie csrftoken"}},
		{"short constant cookies are not replays", miss(login, "Set-Cookie", "seen=1"), miss(login, "Set-Cookie", "seen=1"), miss(keyed), miss(keyed), want{"pass", "sets seen"}},
		{"CachingOptimized: cookies not in the key", nil, nil, miss(keyed), hit(keyed), want{"fail", "the cache key ignores cookies"}},
		{"no page sets a cookie", nil, nil, miss(keyed), miss(keyed), want{"pass", "no page set a cookie"}},
		{"no answers", nil, nil, failed("GET", keyed, errors.New("timeout")), miss(keyed), want{"skip", "no answer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var all []*sitecheck.Exchange
			for _, e := range []*sitecheck.Exchange{tt.first, tt.repeat, tt.withA, tt.withB} {
				if e != nil {
					all = append(all, e)
				}
			}
			assertResult(t, sitecheck.CacheCookies(tt.first, tt.repeat, tt.withA, tt.withB, all), sitecheck.IDCacheCookies, tt.want)
		})
	}
}

func TestStatic(t *testing.T) {
	const css = site + "/static/admin/css/base.6b517d0d5813.css"
	const gone = site + "/static/admin/css/djfront-check-missing-1.css"
	cdn := []string{"Content-Type", "text/css", "Via", "1.1 abc.cloudfront.net (CloudFront)", "X-Cache", "Hit from cloudfront", "Age", "3600"}
	notFound := answer("GET", gone, 404, "", "X-Cache", "Error from cloudfront")
	tests := []struct {
		name                 string
		page, asset, missing *sitecheck.Exchange
		want                 want
	}{
		{"hashed, a year, immutable; 404", nil, answer("GET", css, 200, "body{}", append(cdn, "Cache-Control", "max-age=31536000, immutable")...), notFound,
			want{"pass", "base.6b517d0d5813.css through CloudFront, Cache-Control: max-age=31536000, immutable; a missing file is 404"}},
		{"an unhashed name needs no long max-age", nil, answer("GET", site+"/static/site.css", 200, "", cdn...), notFound, want{"pass", "(not a hashed name)"}},
		{"hashed without Cache-Control", nil, answer("GET", css, 200, "", cdn...), notFound, want{"fail", "not cached long by browsers"}},
		{"hashed, long for the CDN only (s-maxage)", nil, answer("GET", css, 200, "", append(cdn, "Cache-Control", "s-maxage=31536000, max-age=60")...), notFound, want{"fail", "not cached long by browsers"}},
		{"hashed, long but no-cache", nil, answer("GET", css, 200, "", append(cdn, "Cache-Control", "max-age=31536000, no-cache")...), notFound, want{"fail", "not cached long by browsers"}},
		{"missing is S3's 403", nil, answer("GET", css, 200, "", append(cdn, "Cache-Control", "max-age=31536000")...), recorded(t, "s3-403-accessdenied.http", "GET", gone),
			want{"fail", "a missing file answers 403, not 404"}},
		{"missing is a 200 catch-all", nil, answer("GET", css, 200, "", append(cdn, "Cache-Control", "max-age=31536000")...), answer("GET", gone, 200, "<html>"), want{"fail", "answers 200, not 404"}},
		{"linked straight from the bucket", nil, answer("GET", "https://my-bucket.s3.amazonaws.com/static/a.css", 200, ""), nil, want{"fail", "straight from the bucket"}},
		{"served by the app, not the CDN", nil, answer("GET", css, 200, "", "Cache-Control", "max-age=31536000"), notFound, want{"fail", "bypass the CDN"}},
		{"the linked file is missing", nil, recorded(t, "s3-403-accessdenied.http", "GET", css), notFound, want{"fail", "does not load"}},
		{"nothing linked", nil, nil, nil, want{"skip", "no static file"}},
		{"nothing linked: the pages are refused", recorded(t, "apigw-403-forbidden.http", "GET", site+"/"), nil, nil, want{"skip", "refuses the host it is given (see host)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := tt.page
			if page == nil {
				page = answer("GET", site+"/", 200, "<p>home</p>")
			}
			assertResult(t, sitecheck.Static(siteOf(site+"/"), page, tt.asset, tt.missing), sitecheck.IDStatic, tt.want)
		})
	}
}

func TestOriginBypass(t *testing.T) {
	const api = "https://abc.execute-api.us-east-1.amazonaws.com/"
	tests := []struct {
		name string
		ex   *sitecheck.Exchange
		want want
	}{
		{"hostforward refuses it", answer("GET", api, 403, "403 Forbidden: request did not come through the CloudFront distribution (request id x)\n"), want{"pass", "refuses requests that did not come through"}},
		{"not reachable", failed("GET", api, syscall.ECONNREFUSED), want{"pass", "does not answer from here"}},
		{"no secret: the app answers", answer("GET", api, 200, "<html>"), want{"fail", "forged X-Forwarded-Host"}},
		{"the app's 404 is an answer too", answer("GET", api, 404, "Not Found"), want{"fail", "→ 404"}},
		{"a 502", answer("GET", api, 502, ""), want{"skip", "neither refusal nor answer"}},
		{"the forged host refused", answer("GET", api, 400, "400 Bad Request: host \"a.execute-api.us-east-1.amazonaws.com\" is not in ALLOWED_HOSTS (request id x)\n"), want{"pass", "refuses the forged host"}},
		{"no --origin", nil, want{"skip", "needs --origin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, sitecheck.OriginBypass(tt.ex), sitecheck.IDOriginBypass, tt.want)
		})
	}
}

// TestOriginBypassWithTheSitesHost: the origin is asked twice, with its own
// Host and a forged X-Forwarded-Host, and with the site's Host, as anyone
// can send to a load balancer or the app's own URL.
func TestOriginBypassWithTheSitesHost(t *testing.T) {
	const alb = "https://app-1.us-east-1.elb.amazonaws.com/"
	withSiteHost := func(e *sitecheck.Exchange) *sitecheck.Exchange {
		e.Sent = http.Header{"Host": {"www.example.com"}}
		return e
	}
	tests := []struct {
		name         string
		forged, host *sitecheck.Exchange
		want         want
	}{
		{"Django refuses the ALB's host but serves the site's", recorded(t, "django-400.http", "GET", alb), withSiteHost(answer("GET", alb, 200, "<html>")),
			want{"fail", "GET / → 200 with the site's Host www.example.com: anyone can skip the distribution"}},
		{"hostforward refuses both", answer("GET", alb, 403, "403 Forbidden"), withSiteHost(answer("GET", alb, 403, "403 Forbidden")), want{"pass", "refuses requests that did not come through"}},
		{"API Gateway refuses a Host not its own", answer("GET", alb, 403, "403 Forbidden"), withSiteHost(recorded(t, "apigw-403-forbidden.http", "GET", alb)), want{"pass", "refuses requests that did not come through"}},
		{"API Gateway's own 404: --origin names no route of the app", answer("GET", alb, 404, `{"message":"Not Found"}`, "Content-Type", "application/json"), withSiteHost(recorded(t, "apigw-403-forbidden.http", "GET", alb)),
			want{"skip", "API Gateway's own 404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertResult(t, sitecheck.OriginBypass(tt.forged, tt.host), sitecheck.IDOriginBypass, tt.want)
		})
	}
}

func TestParseProbe(t *testing.T) {
	const probeURL = site + "/djfront/probe/"
	tests := []struct {
		name    string
		ex      *sitecheck.Exchange
		host    string
		wantErr string
	}{
		{"the probe's answer", answer("GET", probeURL, 200, `{"djfront_probe": 1, "host": "www.example.com", "host_error": null, "is_secure": true}`), "www.example.com", ""},
		{"off", answer("GET", probeURL, 404, "<h1>Not Found</h1>"), "", "the probe is off"},
		{"token refused", answer("GET", probeURL, 403, `{"error": "probe token refused"}`), "", "the token was refused"},
		{"another page", answer("GET", probeURL, 200, `{"host": "x"}`), "", `no "djfront_probe": 1`},
		{"not JSON", answer("GET", probeURL, 200, "<html>"), "", "not the probe's JSON"},
		{"no answer", failed("GET", probeURL, errors.New("timeout")), "", "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := sitecheck.ParseProbe(tt.ex)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || p.Host != tt.host || !p.IsSecure {
				t.Errorf("got %+v, %v; want host %q, secure", p, err, tt.host)
			}
		})
	}
}
