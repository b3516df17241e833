package sitecheck_test

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/sitecheck"
)

// recorder is a site that records every request it gets: a page linking
// to two others, a login page that sets a cookie and links a hashed static
// file, and that static file.
type recorder struct {
	mu   sync.Mutex
	got  []request
	slow time.Duration
	// home, if set, is the body of "/" instead of its two links.
	home string
}

type request struct {
	method, uri, token string
	bodyLen            int
}

// requests returns what the site got so far.
func (rec *recorder) requests() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]request(nil), rec.got...)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.got = append(rec.got, request{r.Method, r.URL.RequestURI(), r.Header.Get(sitecheck.ProbeTokenHeader), len(body)})
	rec.mu.Unlock()
	if rec.slow > 0 {
		time.Sleep(rec.slow)
	}
	w.Header().Set("Via", "1.1 abc.cloudfront.net (CloudFront)")
	w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	switch {
	case r.URL.Path == "/" && rec.home != "":
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, rec.home)
	case r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<a href="/a/">a</a><a href="/b/">b</a><a href="/accounts/logout/">out</a>`)
	case r.URL.Path == "/admin/login/":
		w.Header().Set("Content-Type", "text/html")
		http.SetCookie(w, &http.Cookie{Name: "csrftoken", Value: rand.Text(), Secure: true}) // a new one per visitor, as Django does
		io.WriteString(w, `<link href="https://`+r.Host+`/static/admin/base.0123456789ab.css">`)
	case r.URL.Path == "/static/admin/base.0123456789ab.css":
		w.Header().Set("Cache-Control", "max-age=31536000, immutable")
		io.WriteString(w, "body{}")
	case r.URL.Path == sitecheck.ProbePath:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"djfront_probe": 1, "host": "`+r.Host+`", "scheme": "https", "is_secure": true, "origin": "`+r.Header.Get("Origin")+`", "csrf_origin_ok": true}`)
	default:
		http.NotFound(w, r)
	}
}

// startSite serves rec over TLS as https://example.com:PORT/ (a name the
// test certificate covers, resolved to the server whatever DNS says).
func startSite(t *testing.T, rec *recorder) (*url.URL, http.RoundTripper) {
	t.Helper()
	srv := httptest.NewTLSServer(rec)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	transport := srv.Client().Transport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	u, _ := url.Parse("https://example.com:" + port + "/")
	return u, transport
}

func TestRunSendsOnlyHarmlessRequests(t *testing.T) {
	rec := &recorder{}
	u, transport := startSite(t, rec)
	report, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: transport, ProbeToken: "t0ken-t0ken-t0ken"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rec.requests()), sitecheck.DefaultMaxRequests; got > want {
		t.Errorf("%d requests, want at most %d", got, want)
	}
	for _, r := range rec.requests() {
		if r.method != http.MethodGet && r.method != http.MethodOptions && r.method != http.MethodPost {
			t.Errorf("%s %s: want only GET, OPTIONS and POST", r.method, r.uri)
		}
		if r.bodyLen != 0 {
			t.Errorf("%s %s with a %d-byte body, want none", r.method, r.uri, r.bodyLen)
		}
		if r.method == http.MethodPost && !strings.HasPrefix(r.uri, "/djfront-check-") {
			t.Errorf("POST %s: want POSTs only to the made-up missing path", r.uri)
		}
		if strings.Contains(r.uri, "logout") {
			t.Errorf("GET %s: the checker must not follow logout links", r.uri)
		}
		if (r.token != "") != (r.uri == sitecheck.ProbePath) {
			t.Errorf("%s %s carried token %q: want the token on the probe request only", r.method, r.uri, r.token)
		}
	}
	for _, id := range []string{sitecheck.IDHSTS, sitecheck.IDMethods, sitecheck.IDHost, sitecheck.IDScheme, sitecheck.IDCSRF, sitecheck.IDCacheCookies, sitecheck.IDStatic} {
		if c, _ := report.Get(id); !c.Passed() {
			t.Errorf("%s: got %+v, want a pass on this well-behaved site", id, c)
		}
	}
	if c, _ := report.Get(sitecheck.IDCacheCookies); !strings.Contains(c.Detail, "/admin/login/ sets csrftoken,") {
		t.Errorf("cache-cookies detail %q: want it to have found the admin login's cookie", c.Detail)
	}
}

func TestRunVisitsOnlyPagesALinkOffers(t *testing.T) {
	rec := &recorder{home: `<head><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="description" content="Shop"></head>` +
		`<form method="post" action="/account/close/"><button>Close my account</button></form>` +
		`<a href="/items/?action=delete&amp;id=1">x</a><a href="/?logout=1">out</a><a href="/a/">a</a>`}
	u, transport := startSite(t, rec)
	if _, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: transport}); err != nil {
		t.Fatal(err)
	}
	var visited []string
	for _, r := range rec.requests() {
		if r.method == http.MethodGet {
			visited = append(visited, r.uri)
		}
	}
	for _, never := range []string{"/account/close/", "/items/?action=delete&id=1", "/?logout=1", "/width=device-width,", "/Shop"} {
		if slices.Contains(visited, never) {
			t.Errorf("GET %s: want no visit to a form's action, a link whose query logs out or deletes, or a meta tag's words", never)
		}
	}
	if !slices.Contains(visited, "/a/") {
		t.Errorf("visited %q, want the page /a/ the home page links to", visited)
	}
}

// hostsSeen is a transport that records the host (and port, if named) of
// every request.
type hostsSeen struct {
	mu    sync.Mutex
	next  http.RoundTripper
	hosts []string
}

func (h *hostsSeen) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

func TestRunStaticFilesOfTheSiteOnly(t *testing.T) {
	tests := []struct {
		name, home string
		want       want
		visit      string // a host:port the run must ask
		never      string // a host:port it must not
	}{
		{"a third party's /static/ is not the site's", `<script src="https://widgets.example.org/static/w.0123456789ab.js"></script>`,
			want{"pass", "/static/admin/base.0123456789ab.css through CloudFront"}, "", "widgets.example.org"},
		{"a sibling host's /static/ is the site's", `<script src="https://widgets.example.org/static/w.0123456789ab.js"></script><link href="https://static.example.com/static/admin/base.0123456789ab.css">`,
			want{"pass", "/static/admin/base.0123456789ab.css through CloudFront"}, "static.example.com", "widgets.example.org"},
		{"django-storages without a location: the bucket's files have no /static/", `<script src="https://widgets.example.org/static/w.0123456789ab.js"></script><link href="https://my-bucket.s3.amazonaws.com/admin/css/base.6b517d0d5813.css">`,
			want{"fail", "straight from the bucket (my-bucket.s3.amazonaws.com)"}, "my-bucket.s3.amazonaws.com", "widgets.example.org"},
		{"another port of the site's host is another service", `<link href="https://example.com:17002/static/admin/base.0123456789ab.css">`,
			want{"pass", "/static/admin/base.0123456789ab.css through CloudFront"}, "", "example.com:17002"},
		{"another port of a sibling is another service", `<link href="https://static.example.com:17002/static/admin/base.0123456789ab.css">`,
			want{"pass", "/static/admin/base.0123456789ab.css through CloudFront"}, "", "static.example.com:17002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, transport := startSite(t, &recorder{home: tt.home})
			seen := &hostsSeen{next: transport}
			report, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: seen})
			if err != nil {
				t.Fatal(err)
			}
			c, _ := report.Get(sitecheck.IDStatic)
			assertResult(t, c, sitecheck.IDStatic, tt.want)
			if slices.Contains(seen.hosts, tt.never) {
				t.Errorf("requests to %q: want none to %s", seen.hosts, tt.never)
			}
			if tt.visit != "" && !slices.Contains(seen.hosts, tt.visit) {
				t.Errorf("requests to %q: want the static file on %s checked", seen.hosts, tt.visit)
			}
		})
	}
}

func TestRunHTTPSRedirectOnAnIPv6Address(t *testing.T) {
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
			return
		}
		io.WriteString(w, "home")
	})
	tlsSrv, plainSrv := httptest.NewTLSServer(redirect), httptest.NewServer(redirect)
	t.Cleanup(tlsSrv.Close)
	t.Cleanup(plainSrv.Close)
	transport := tlsSrv.Client().Transport.(*http.Transport).Clone()
	transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := tlsSrv.Listener.Addr().String()
		if _, port, _ := net.SplitHostPort(addr); port == "80" {
			to = plainSrv.Listener.Addr().String()
		}
		return (&net.Dialer{}).DialContext(ctx, network, to)
	}
	u, _ := url.Parse("https://[::1]:443/") // the test certificate covers ::1
	report, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := report.Get(sitecheck.IDHTTPSRedirect)
	assertResult(t, c, sitecheck.IDHTTPSRedirect, want{"pass", "http:// → 301 https://[::1]/"})
}

// roundTripper is a function as an http.RoundTripper.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRunOriginBypassAsksWithTheSitesHost(t *testing.T) {
	u, siteTransport := startSite(t, &recorder{})
	// The app's own URL (a load balancer's, say) with Django behind it and no
	// secret: its own name is not in ALLOWED_HOSTS, the site's is.
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != u.Host {
			http.Error(w, "<h1>Bad Request (400)</h1>", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "<p>home</p>")
	}))
	t.Cleanup(origin.Close)
	originURL, _ := url.Parse(origin.URL + "/")
	transport := roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == originURL.Host {
			return http.DefaultTransport.RoundTrip(r)
		}
		return siteTransport.RoundTrip(r)
	})
	report, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Origin: originURL, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := report.Get(sitecheck.IDOriginBypass)
	assertResult(t, c, sitecheck.IDOriginBypass, want{"fail", "GET / → 200 with the site's Host " + u.Host})
}

func TestRunIsBounded(t *testing.T) {
	t.Run("request budget", func(t *testing.T) {
		rec := &recorder{}
		u, transport := startSite(t, rec)
		if _, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: transport, MaxRequests: 4}); err != nil {
			t.Fatal(err)
		}
		if got := len(rec.requests()); got != 4 {
			t.Errorf("%d requests with MaxRequests 4, want 4", got)
		}
	})
	t.Run("the whole run's time", func(t *testing.T) {
		full := &recorder{}
		u, transport := startSite(t, full)
		if _, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: transport}); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{slow: 100 * time.Millisecond}
		u, transport = startSite(t, rec)
		report, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: transport, Timeout: 250 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if got, all := len(rec.requests()), len(full.requests()); got >= all {
			t.Errorf("%d requests within a 250 ms run of 100 ms answers, want fewer than the %d of a whole run", got, all)
		}
		if c, _ := report.Get(sitecheck.IDMethods); c.OK != nil {
			t.Errorf("methods after the deadline: got %+v, want skipped", c)
		}
	})
	t.Run("each request's time", func(t *testing.T) {
		rec := &recorder{slow: 300 * time.Millisecond}
		u, transport := startSite(t, rec)
		_, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Transport: transport, RequestTimeout: 50 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "cannot be reached") {
			t.Errorf("error = %v, want the site unreachable within the request timeout", err)
		}
	})
}

func TestRunRefusesBadOptions(t *testing.T) {
	for name, raw := range map[string]string{"http": "http://www.example.com/", "no host": "https:///x"} {
		t.Run(name, func(t *testing.T) {
			u, _ := url.Parse(raw)
			if _, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u}); err == nil {
				t.Errorf("Run(%s): want an error", raw)
			}
		})
	}
}

// TestRunOwnTransportReachesTheNamedHosts runs with the checker's own
// transport: the site and the origin the user named are on loopback (as
// the local stack is) and are asked; Insecure accepts their test
// certificates, which without it make the site unreachable.
func TestRunOwnTransportReachesTheNamedHosts(t *testing.T) {
	siteRec, originRec := &recorder{}, &recorder{}
	siteSrv, originSrv := httptest.NewTLSServer(siteRec), httptest.NewTLSServer(originRec)
	t.Cleanup(siteSrv.Close)
	t.Cleanup(originSrv.Close)
	u, _ := url.Parse(siteSrv.URL + "/")
	origin, _ := url.Parse(originSrv.URL + "/")

	if _, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without Insecure: error %v, want the site unreachable for its certificate", err)
	}
	report, err := sitecheck.Run(context.Background(), sitecheck.Options{URL: u, Origin: origin, Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := report.Get(sitecheck.IDStatic); !c.Passed() {
		t.Errorf("static: got %+v, want the site's own static file checked", c)
	}
	if len(originRec.requests()) != 2 {
		t.Errorf("the origin got %v, want the two requests of origin-bypass", originRec.requests())
	}
}
