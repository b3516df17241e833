// Package hostforward_test runs the built hostforward bootstrap under the
// local Lambda Runtime API in front of the real example Django app (under
// gunicorn, in the project's Python environment, on PostgreSQL) and checks
// what Django made of each request.
package hostforward_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/sam/fixtures"
)

const (
	site   = "www.example.com"
	secret = "local-only-not-a-secret" // as in sam/fixtures and sam/env.json
	// appCredential is hostforward's UPSTREAM_VERIFY_SECRET and the app's
	// DJFRONT_UPSTREAM_SECRETS: Django's UpstreamVerifyMiddleware is on.
	appCredential = "local-only-app-credential"
	// underscoreHeaders is the GUNICORN_CMD_ARGS that makes gunicorn 27 map
	// a header whose name has an underscore to the CGI variable of its
	// hyphenated spelling, joining repeats, as gunicorn before 22 (Debian
	// 12's 20.1) and other WSGI servers do; gunicorn 22 and later drop such
	// a header by default (header_map "drop"). djangoChecks runs the app so,
	// so that hostforward alone must keep those headers away from it.
	underscoreHeaders = "--header-map dangerous"
	// upstreamTimeout is hostforward's UPSTREAM_TIMEOUT here: above what the
	// app takes, on a loaded machine, for its slowest page (an admin login:
	// PBKDF2 with 1,000,000 iterations in Django 5.2, 1,500,000 in 6.1) and
	// to boot again after a crash; below the function's 10 s timeout.
	upstreamTimeout = 8 * time.Second
)

// chain is hostforward in front of Django.
type chain struct {
	t   *testing.T
	fn  *runtimeapi.Server
	bin string // the bootstrap binary the function runs
	app string // the app's own URL, to reach it without hostforward
}

func startChain(t *testing.T, upstream string, env ...string) *chain {
	t.Helper()
	bin := testenv.BuildBootstrap(t, "./functions/hostforward")
	env = append([]string{
		"UPSTREAM_URL=" + upstream,
		"ALLOWED_HOSTS=" + site,
		"ORIGIN_VERIFY_SECRETS=" + secret,
		"UPSTREAM_VERIFY_SECRET=" + appCredential,
		"UPSTREAM_TIMEOUT=" + upstreamTimeout.String(),
	}, env...)
	return &chain{t: t, fn: testenv.StartFunction(t, bin, env, 10*time.Second), bin: bin, app: upstream}
}

// direct sends GET /whoami/ straight to the app at c.app, with hostforward's
// credential and header (values by name, as written), and decodes what
// Django saw.
func (c *chain) direct(header map[string]string) djangoserver.Whoami {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.app+"/whoami/", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Host = site
	req.Header.Set("X-Upstream-Verify", appCredential)
	for name, value := range header {
		req.Header[name] = []string{value} // not canonicalized: sent as written
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return decodeWhoami(c.t, events.APIGatewayV2HTTPResponse{StatusCode: resp.StatusCode, Body: string(body)})
}

// invoke sends ev through the function as API Gateway would and decodes
// the payload-2.0 response; a Lambda error fails the test.
func (c *chain) invoke(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	c.t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := c.fn.Invoke(context.Background(), payload)
	if err != nil {
		c.t.Fatalf("invoke: %v", err)
	}
	if res.Error != nil {
		c.t.Fatalf("Lambda error (the function must always answer): %v", res.Error)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		c.t.Fatalf("decode response %s: %v", res.Payload, err)
	}
	return resp
}

// event loads a fixture from sam/fixtures and points it at method and target
// (a decoded path as API Gateway delivers it, with an optional raw query).
func event(t testing.TB, fixture, method, target string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(fixtures.Must(t, fixture), &ev); err != nil {
		t.Fatal(err)
	}
	if method != "" {
		path, query, _ := strings.Cut(target, "?")
		ev.RequestContext.HTTP.Method = method
		ev.RawPath, ev.RequestContext.HTTP.Path, ev.RawQueryString = path, path, query
		ev.Body, ev.IsBase64Encoded, ev.Cookies = "", false, nil
	}
	return ev
}

func decodeWhoami(t *testing.T, resp events.APIGatewayV2HTTPResponse) djangoserver.Whoami {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	var w djangoserver.Whoami
	if err := json.Unmarshal([]byte(resp.Body), &w); err != nil {
		t.Fatalf("decode %q: %v", resp.Body, err)
	}
	return w
}

func str(p *string) string {
	if p == nil {
		return "<absent>"
	}
	return *p
}

func TestDjangoBehindHostforward(t *testing.T) {
	testenv.Integration(t)
	dj := testenv.StartDjango(t, map[string]string{"DJFRONT_HOSTS": site, "DJFRONT_UPSTREAM_SECRETS": appCredential,
		"GUNICORN_CMD_ARGS": underscoreHeaders})
	djangoChecks(t, startChain(t, dj.URL))
}

// djangoChecks asserts what Django makes of requests through c; both modes
// (the app elsewhere, the app in the function) run it.
func djangoChecks(t *testing.T, c *chain) {
	t.Run("host, scheme, client IP, path and query as the viewer sent them", func(t *testing.T) {
		ev := event(t, "api-get.json", "", "")
		w := decodeWhoami(t, c.invoke(ev))
		checks := []struct{ name, got, want string }{
			{"get_host()", w.Host, site},
			{"scheme", w.Scheme, "https"},
			{"path", w.Path, "/whoami/café (1)+x"},
			{"raw query", w.RawQuery, ev.RawQueryString},
			{"X-Forwarded-For", str(w.XForwardedFor), "203.0.113.7"},
			{"X-Real-IP", str(w.XRealIP), "203.0.113.7"},
			{"REMOTE_ADDR (UpstreamVerifyMiddleware)", w.RemoteAddr, "203.0.113.7"},
			{"Forwarded", str(w.Forwarded), "for=203.0.113.7;host=www.example.com;proto=https"},
			{"X-Request-Id", str(w.XRequestID), ev.RequestContext.RequestID},
			{"X-Origin-Verify", str(w.XOriginVerify), "<absent>"},
			{"query q", strings.Join(w.Query["q"], "|"), "a+b c"},
			{"query tag", strings.Join(w.Query["tag"], "|"), "1|2"},
			{"query empty", strings.Join(w.Query["empty"], "|"), ""},
			{"query name", strings.Join(w.Query["name"], "|"), "été"},
			{"cookie sessionid", w.Cookies["sessionid"], "abc123"},
		}
		for _, ck := range checks {
			if ck.got != ck.want {
				t.Errorf("%s = %q, want %q", ck.name, ck.got, ck.want)
			}
		}
		if !w.Secure {
			t.Error("is_secure() = false, want true")
		}
		if want := "https://www.example.com/whoami/caf%C3%A9%20(1)+x?" + ev.RawQueryString; w.Absolute != want {
			t.Errorf("build_absolute_uri() = %q, want %q", w.Absolute, want)
		}
	})

	t.Run("client-forged forwarding headers replaced", func(t *testing.T) {
		w := decodeWhoami(t, c.invoke(event(t, "api-forged-headers.json", "", "")))
		if str(w.XForwardedFor) != "203.0.113.7" || str(w.XRealIP) != "203.0.113.7" || w.RemoteAddr != "203.0.113.7" ||
			str(w.XRequestID) != "Jn8xYgABoAMEVbi=" || w.Host != site || !w.Secure {
			t.Errorf("Django saw %+v", w)
		}
	})

	t.Run("query string byte for byte in QUERY_STRING", func(t *testing.T) {
		for _, query := range []string{
			event(t, "api-raw-query.json", "", "").RawQueryString,
			"a=1;b=2", "discount=100%", "bad=%zz&c=%2", "z=1&a=2&z=3&&a",
		} {
			ev := event(t, "api-get.json", "GET", "/whoami/?"+query)
			if got := decodeWhoami(t, c.invoke(ev)).RawQuery; got != query {
				t.Errorf("QUERY_STRING = %q, want %q", got, query)
			}
		}
	})

	// An app server that maps "_" and "-" to the same CGI variable and joins
	// repeats (gunicorn 20.1; here gunicorn 27 with underscoreHeaders) lets
	// an underscore header that got through change what Django sees. First
	// the app is shown to take one, straight from a client; then each one
	// alone through hostforward must leave the request as it was.
	t.Run("underscore spellings of forwarding headers change nothing", func(t *testing.T) {
		if got := c.direct(map[string]string{"X_Forwarded_For": "6.6.6.6"}); str(got.XForwardedFor) != "6.6.6.6" {
			t.Fatalf("straight to the app, X_Forwarded_For: 6.6.6.6 gave X-Forwarded-For %s, want 6.6.6.6: "+
				"the app server drops underscore headers, so this test would prove nothing of hostforward", str(got.XForwardedFor))
		}
		forged := event(t, "api-underscore-headers.json", "", "")
		clean := forged
		clean.Headers = map[string]string{}
		for name, value := range forged.Headers {
			if !strings.Contains(name, "_") {
				clean.Headers[name] = value
			}
		}
		want := c.invoke(clean)
		if w := decodeWhoami(t, want); str(w.XForwardedFor) != "203.0.113.7" || w.Host != site || str(w.TrueClientIP) != "<absent>" {
			t.Fatalf("without underscore headers Django saw %+v", w)
		}
		for name, value := range forged.Headers {
			if !strings.Contains(name, "_") {
				continue
			}
			ev := clean
			ev.Headers = maps.Clone(clean.Headers)
			ev.Headers[name] = value
			if got := c.invoke(ev); got.StatusCode != want.StatusCode || got.Body != want.Body {
				t.Errorf("%s: %s changed what Django saw:\ngot  %d %s\nwant %d %s", name, value, got.StatusCode, got.Body, want.StatusCode, want.Body)
			}
		}
	})

	t.Run("refused before Django", func(t *testing.T) {
		for _, tt := range []struct {
			fixture string
			status  int
		}{{"api-foreign-host.json", 400}, {"api-direct.json", 403}} {
			if resp := c.invoke(event(t, tt.fixture, "", "")); resp.StatusCode != tt.status || strings.Contains(resp.Body, "DisallowedHost") {
				t.Errorf("%s: got %d %q, want %d from hostforward", tt.fixture, resp.StatusCode, resp.Body, tt.status)
			}
		}
	})

	t.Run("CSRF-protected POST with Origin", func(t *testing.T) {
		page := c.invoke(event(t, "api-get.json", "GET", "/form/"))
		token := csrfToken(t, page)
		for _, tt := range []struct {
			origin string
			status int
		}{{"https://" + site, 200}, {"https://evil.example", 403}, {"http://" + site, 403}} {
			ev := event(t, "api-post-form.json", "", "")
			ev.Cookies = cookiesFrom(page.Cookies)
			ev.Headers["origin"] = tt.origin
			ev.Body = base64.StdEncoding.EncodeToString([]byte("csrfmiddlewaretoken=" + url.QueryEscape(token) + "&name=caf%C3%A9+au+lait"))
			resp := c.invoke(ev)
			if resp.StatusCode != tt.status {
				t.Errorf("Origin %s: status %d, want %d: %.200s", tt.origin, resp.StatusCode, tt.status, resp.Body)
			}
			if tt.status == 200 && resp.Body != "posted: café au lait" {
				t.Errorf("body = %q", resp.Body)
			}
		}
	})

	t.Run("admin login: cookies and redirect", func(t *testing.T) {
		page := c.invoke(event(t, "api-get.json", "GET", "/admin/login/?next=/admin/"))
		ev := event(t, "api-post-form.json", "", "")
		ev.RawPath, ev.RequestContext.HTTP.Path, ev.RawQueryString = "/admin/login/", "/admin/login/", "next=/admin/"
		ev.Cookies = cookiesFrom(page.Cookies)
		ev.Body = base64.StdEncoding.EncodeToString([]byte(url.Values{
			"csrfmiddlewaretoken": {csrfToken(t, page)}, "username": {testenv.DjangoAdminUser},
			"password": {testenv.DjangoAdminPassword}, "next": {"/admin/"},
		}.Encode()))
		resp := c.invoke(ev)
		if resp.StatusCode != 302 || resp.Headers["Location"] != "/admin/" {
			t.Fatalf("login: %d Location %q, want 302 to /admin/: %.300s", resp.StatusCode, resp.Headers["Location"], resp.Body)
		}
		session := ""
		for _, ck := range resp.Cookies {
			if strings.HasPrefix(ck, "sessionid=") {
				session = ck
			}
		}
		if !strings.Contains(session, "Secure") || !strings.Contains(session, "HttpOnly") {
			t.Errorf("session cookie %q, want Secure and HttpOnly", session)
		}
		home := event(t, "api-get.json", "GET", "/admin/")
		home.Cookies = cookiesFrom(append(page.Cookies, resp.Cookies...))
		if r := c.invoke(home); r.StatusCode != 200 || !strings.Contains(r.Body, "Site administration") {
			t.Errorf("admin index: %d %.300s", r.StatusCode, r.Body)
		}
	})

	t.Run("response shapes", func(t *testing.T) {
		cookies := c.invoke(event(t, "api-get.json", "GET", "/cookies/"))
		if got := cookies.Headers["Cache-Control"]; got != "private" {
			t.Errorf("Cache-Control of a response that sets cookies = %q, want private", got)
		}
		joined := strings.Join(cookies.Cookies, "\n")
		for _, want := range []string{"dated=1; expires=Fri, 31 Dec 2099 23:59:59 GMT", "private=s3cret; HttpOnly", "Secure", "scoped=x; Path=/x"} {
			if !strings.Contains(joined, want) {
				t.Errorf("cookies %q lack %q", cookies.Cookies, want)
			}
		}
		bin := c.invoke(event(t, "api-get.json", "GET", "/binary/"))
		if raw, _ := base64.StdEncoding.DecodeString(bin.Body); !bin.IsBase64Encoded || !bytes.HasPrefix(raw, []byte("\x89PNG")) {
			t.Errorf("binary: base64=%v body %.40q", bin.IsBase64Encoded, bin.Body)
		}
		gz := c.invoke(event(t, "api-get.json", "GET", "/gzip/"))
		if !gz.IsBase64Encoded || gz.Headers["Content-Encoding"] != "gzip" {
			t.Errorf("gzip: base64=%v headers %v", gz.IsBase64Encoded, gz.Headers)
		}
	})

	t.Run("failures become plain-text 502/504", func(t *testing.T) {
		for _, tt := range []struct {
			target, reason string
			status         int
		}{
			{"/slow/?s=" + strconv.Itoa(int(upstreamTimeout/time.Second)+2), "did not answer within", 504},
			{"/big/?bytes=7000000", "response limit", 502},
		} {
			resp := c.invoke(event(t, "api-get.json", "GET", tt.target))
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.reason) {
				t.Errorf("%s: %d %q, want %d naming %q", tt.target, resp.StatusCode, resp.Body, tt.status, tt.reason)
			}
		}
		down := startChain(t, "http://127.0.0.1:"+strconv.Itoa(testenv.FreePort(t)))
		if resp := down.invoke(event(t, "api-get.json", "GET", "/whoami/")); resp.StatusCode != 502 || !strings.Contains(resp.Body, "unreachable") {
			t.Errorf("app down: %d %q, want 502", resp.StatusCode, resp.Body)
		}
	})
}

var csrfInput = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

func csrfToken(t *testing.T, page events.APIGatewayV2HTTPResponse) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(page.Body)
	if page.StatusCode != 200 || m == nil {
		t.Fatalf("no CSRF token in %d page: %.300s", page.StatusCode, page.Body)
	}
	return m[1]
}

// cookiesFrom turns Set-Cookie values into the event's cookies list, as a
// browser would send them back.
func cookiesFrom(setCookies []string) []string {
	var out []string
	for _, sc := range setCookies {
		pair, _, _ := strings.Cut(sc, ";")
		out = append(out, strings.TrimSpace(pair))
	}
	return out
}
