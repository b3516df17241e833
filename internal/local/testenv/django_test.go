package testenv_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/testenv"
)

// pinned keeps the fields of w the whoami cases pin.
func pinned(w djangoserver.Whoami) djangoserver.Whoami {
	return djangoserver.Whoami{Host: w.Host, Secure: w.Secure, Absolute: w.Absolute, Query: w.Query, Method: w.Method,
		BodyLen: w.BodyLen, BodySHA256: w.BodySHA256, XOriginVerify: w.XOriginVerify, XForwardedHost: w.XForwardedHost}
}

// do sends req without following redirects and returns the response with
// its body read.
func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func newRequest(t *testing.T, method, url string, body io.Reader, header map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	return req
}

// The proxy headers hostforward sends for a viewer of www.example.com.
var viaProxy = map[string]string{
	"Host":              "www.example.com",
	"X-Forwarded-Host":  "www.example.com",
	"X-Forwarded-Proto": "https",
	"X-Forwarded-Port":  "443",
}

func TestStartDjango(t *testing.T) {
	testenv.Integration(t)
	d := testenv.StartDjango(t, map[string]string{"DJFRONT_HOSTS": "www.example.com,127.0.0.1"})
	t.Run("whoami", func(t *testing.T) { testWhoami(t, d) })
	t.Run("disallowed host", func(t *testing.T) { testDisallowedHost(t, d) })
	t.Run("responses", func(t *testing.T) { testResponses(t, d) })
	t.Run("CSRF form and admin login", func(t *testing.T) { testCSRFAndAdmin(t, d) })
	t.Run("Manage", func(t *testing.T) { testManage(t, d) })
}

func testWhoami(t *testing.T, d *testenv.Django) {
	body := []byte("any method echoes its body")
	sum := sha256.Sum256(body)
	tests := []struct {
		name   string
		method string
		target string
		body   []byte
		header map[string]string
		want   djangoserver.Whoami
	}{
		{
			name:   "direct",
			method: http.MethodGet,
			target: "/whoami/",
			header: map[string]string{"Host": "127.0.0.1"},
			want: djangoserver.Whoami{Host: "127.0.0.1", Absolute: "http://127.0.0.1/whoami/",
				Query: map[string][]string{}, Method: "GET", BodySHA256: hex.EncodeToString(sha256.New().Sum(nil))},
		},
		{
			// gunicorn trusts no peer's scheme headers (--forwarded-allow-ips
			// empty); gunicorn 27's default trusts 127.0.0.1, and would make
			// this request https.
			name:   "X-Forwarded-Ssl from loopback ignored",
			method: http.MethodGet,
			target: "/whoami/",
			header: map[string]string{"Host": "127.0.0.1", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"},
			want: djangoserver.Whoami{Host: "127.0.0.1", Absolute: "http://127.0.0.1/whoami/",
				Query: map[string][]string{}, Method: "GET", BodySHA256: hex.EncodeToString(sha256.New().Sum(nil))},
		},
		{
			name:   "through the proxy headers",
			method: http.MethodGet,
			target: "/whoami/?a=1&a=2&b=%C3%A9+x",
			header: viaProxy,
			want: djangoserver.Whoami{Host: "www.example.com", Secure: true,
				Absolute: "https://www.example.com/whoami/?a=1&a=2&b=%C3%A9+x",
				Query:    map[string][]string{"a": {"1", "2"}, "b": {"é x"}}, Method: "GET",
				BodySHA256: hex.EncodeToString(sha256.New().Sum(nil)), XForwardedHost: ptr("www.example.com")},
		},
		{
			name:   "PUT with a body",
			method: http.MethodPut,
			target: "/whoami/",
			body:   body,
			header: viaProxy,
			want: djangoserver.Whoami{Host: "www.example.com", Secure: true, Absolute: "https://www.example.com/whoami/",
				Query: map[string][]string{}, Method: "PUT", BodyLen: len(body),
				BodySHA256: hex.EncodeToString(sum[:]), XForwardedHost: ptr("www.example.com")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, raw := do(t, newRequest(t, tt.method, d.URL+tt.target, bytes.NewReader(tt.body), tt.header))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d, want 200; body:\n%s", resp.StatusCode, raw)
			}
			var got djangoserver.Whoami
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("decode %s: %v", raw, err)
			}
			if got, want := jsonText(t, pinned(got)), jsonText(t, tt.want); got != want {
				t.Errorf("whoami:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func testDisallowedHost(t *testing.T, d *testenv.Django) {
	req := newRequest(t, http.MethodGet, d.URL+"/whoami/", nil,
		map[string]string{"Host": "127.0.0.1", "X-Forwarded-Host": "evil.example.net"})
	if resp, body := do(t, req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status: got %d, want 400; body:\n%s", resp.StatusCode, body)
	}
}

func testResponses(t *testing.T, d *testenv.Django) {
	tests := []struct {
		target string
		status int
		check  func(t *testing.T, resp *http.Response, body []byte)
	}{
		{"/cookies/", http.StatusOK, func(t *testing.T, resp *http.Response, _ []byte) {
			got := strings.Join(resp.Header.Values("Set-Cookie"), "\n")
			for _, want := range []string{
				"dated=1; expires=Fri, 31 Dec 2099 23:59:59 GMT; Path=/",
				"private=s3cret; HttpOnly; Path=/; SameSite=Lax; Secure",
				"scoped=x; Path=/x",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("Set-Cookie: got\n%s\nwant a line %q", got, want)
				}
			}
		}},
		{"/binary/", http.StatusOK, func(t *testing.T, resp *http.Response, body []byte) {
			if got, want := resp.Header.Get("Content-Type"), "image/png"; got != want {
				t.Errorf("Content-Type: got %q, want %q", got, want)
			}
			if !bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("body: got % x..., want a PNG signature", body[:min(len(body), 8)])
			}
		}},
		{"/gzip/", http.StatusOK, func(t *testing.T, resp *http.Response, body []byte) {
			if got, want := resp.Header.Get("Content-Encoding"), "gzip"; got != want {
				t.Fatalf("Content-Encoding: got %q, want %q", got, want)
			}
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("gunzip: %v", err)
			}
			var got struct{ Compressed bool }
			if err := json.NewDecoder(zr).Decode(&got); err != nil || !got.Compressed {
				t.Errorf("decoded body: got %+v (%v), want compressed true", got, err)
			}
		}},
		{"/big/?bytes=100000", http.StatusOK, func(t *testing.T, _ *http.Response, body []byte) {
			if got, want := len(body), 100000; got != want {
				t.Errorf("body length: got %d, want %d", got, want)
			}
		}},
		{"/slow/?s=0.2", http.StatusOK, func(t *testing.T, _ *http.Response, body []byte) {
			if got, want := string(body), "slept 0.2s\n"; got != want {
				t.Errorf("body: got %q, want %q", got, want)
			}
		}},
		{"/slow/?s=never", http.StatusBadRequest, nil},
		{"/redirect/", http.StatusFound, func(t *testing.T, resp *http.Response, _ []byte) {
			if got, want := resp.Header.Get("Location"), "/whoami/"; got != want {
				t.Errorf("Location: got %q, want %q", got, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			// The client asks for no compression, so /gzip/ arrives as sent.
			resp, body := do(t, newRequest(t, http.MethodGet, d.URL+tt.target, nil,
				map[string]string{"Host": "www.example.com", "Accept-Encoding": "identity"}))
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d; body:\n%s", resp.StatusCode, tt.status, body)
			}
			if tt.check != nil {
				tt.check(t, resp, body)
			}
		})
	}
}

func testCSRFAndAdmin(t *testing.T, d *testenv.Django) {
	jar := cookies{}
	get := func(target string) (*http.Response, []byte) {
		req := newRequest(t, http.MethodGet, d.URL+target, nil, viaProxy)
		jar.add(req)
		resp, body := do(t, req)
		jar.keep(resp)
		return resp, body
	}
	post := func(target string, form url.Values, origin string) (*http.Response, []byte) {
		req := newRequest(t, http.MethodPost, d.URL+target, strings.NewReader(form.Encode()), viaProxy)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		jar.add(req)
		resp, body := do(t, req)
		jar.keep(resp)
		return resp, body
	}
	token := regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

	_, page := get("/form/")
	m := token.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token in /form/:\n%s", page)
	}
	form := url.Values{"csrfmiddlewaretoken": {string(m[1])}, "name": {"Zoë"}}
	if resp, body := post("/form/", form, "https://www.example.com"); resp.StatusCode != http.StatusOK ||
		string(body) != "posted: Zoë" {
		t.Errorf("POST /form/ from the site: got %d %q, want 200 %q", resp.StatusCode, body, "posted: Zoë")
	}
	if resp, _ := post("/form/", form, "http://www.example.com"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST /form/ from an http origin: got %d, want 403", resp.StatusCode)
	}

	resp, _ := get("/admin/")
	if got, want := resp.Header.Get("Location"), "/admin/login/?next=/admin/"; resp.StatusCode != http.StatusFound || got != want {
		t.Fatalf("GET /admin/: got %d Location %q, want 302 %q", resp.StatusCode, got, want)
	}
	_, page = get("/admin/login/?next=/admin/")
	if m = token.FindSubmatch(page); m == nil {
		t.Fatalf("no CSRF token in the login page:\n%s", page)
	}
	login := url.Values{"csrfmiddlewaretoken": {string(m[1])}, "username": {testenv.DjangoAdminUser},
		"password": {testenv.DjangoAdminPassword}, "next": {"/admin/"}}
	resp, body := post("/admin/login/?next=/admin/", login, "https://www.example.com")
	if got, want := resp.Header.Get("Location"), "/admin/"; resp.StatusCode != http.StatusFound || got != want {
		t.Fatalf("POST login: got %d Location %q, want 302 %q; body:\n%s", resp.StatusCode, got, want, body)
	}
	if resp, body := get("/admin/"); resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("Site administration")) {
		t.Errorf("GET /admin/ logged in: got %d, want 200 with the admin index", resp.StatusCode)
	}
}

func testManage(t *testing.T, d *testenv.Django) {
	if got, want := d.Manage(t, "check"), "System check identified no issues"; !strings.Contains(got, want) {
		t.Errorf("manage.py check: got %q, want it to contain %q", got, want)
	}
}

// cookies is a minimal cookie store that, unlike net/http/cookiejar, sends
// Secure cookies over the plain-HTTP loopback, as the proxy chain would over
// https.
type cookies map[string]string

func (c cookies) keep(resp *http.Response) {
	for _, ck := range resp.Cookies() {
		c[ck.Name] = ck.Value
	}
}

func (c cookies) add(req *http.Request) {
	for name, value := range c {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
}

func ptr(s string) *string { return &s }

// jsonText renders v as JSON without HTML escaping, for readable diffs.
func jsonText(t *testing.T, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}
