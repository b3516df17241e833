package sitecheck

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxRequests    = 40
	DefaultRequestTimeout = 15 * time.Second
	DefaultTimeout        = 2 * time.Minute
	// maxPages bounds the same-site pages visited besides the first.
	maxPages = 4
)

// UserAgent identifies the checker's requests in the site's logs.
const UserAgent = "djfront-check/1 (+https://github.com/djfront/djfront#djfront-check)"

// ErrUnreachable is returned by Run when the site's page gets no answer at
// all (DNS, connection, TLS, timeout): there is nothing to check.
var ErrUnreachable = errors.New("the site cannot be reached")

// Options configure a Run.
type Options struct {
	// URL is the page to check, https://host[:port][/path].
	URL *url.URL
	// Origin, if set, is the distribution's origin (the API Gateway
	// endpoint or the app's own URL), for origin-bypass.
	Origin *url.URL
	// ProbeToken, if set, is DJFRONT_PROBE_TOKEN of the site's Django probe.
	ProbeToken string
	// Insecure accepts any TLS certificate (the CLI's --insecure, for the
	// local edge's self-signed one).
	Insecure bool
	// Transport, if set, sends the requests instead of the checker's own
	// and decides alone where they go (Insecure is then ignored): tests
	// route names to their servers with it. The checker's own connects
	// directly (no proxy), to any address of URL's and Origin's hosts and
	// to public addresses only for any other host, judged when it dials.
	Transport http.RoundTripper
	// MaxRequests bounds the requests sent; default DefaultMaxRequests.
	MaxRequests int
	// RequestTimeout bounds each request, Timeout the whole run; defaults
	// DefaultRequestTimeout and DefaultTimeout.
	RequestTimeout, Timeout time.Duration
}

// Run checks the site and returns every check's result, in Order. Its
// error is ErrUnreachable (wrapped with the cause) when the page at
// opts.URL gets no answer, or a usage error for a URL that is not https.
func Run(ctx context.Context, opts Options) (Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Report{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	s := newSession(opts)
	site := Site{URL: opts.URL}
	base := &url.URL{Scheme: "https", Host: opts.URL.Host, Path: "/"}

	page := s.get(ctx, opts.URL, nil)
	if page.Err != nil {
		return Report{}, fmt.Errorf("%w: %s: %w", ErrUnreachable, opts.URL, page.Err)
	}
	results := map[string]Result{}
	results[IDHTTPSRedirect] = HTTPSRedirect(site, s.plainHTTP(ctx, opts.URL))
	results[IDHSTS] = HSTS(site, page)
	options, post := s.methods(ctx, base)
	results[IDMethods] = Methods(options, post)

	pages := s.pages(ctx, site, page, base)
	probe, probeErr := s.probe(ctx, opts, base)
	results[IDHost] = Host(site, pages, probe)
	results[IDScheme] = Scheme(site, pages, probe)
	results[IDCSRF] = CSRF(probe, probeErr)

	first, repeat, withA, withB := s.cacheCookies(ctx, opts.URL, pages)
	results[IDCacheCookies] = CacheCookies(first, repeat, withA, withB, s.log)
	asset, missing := s.static(ctx, site, pages)
	results[IDStatic] = Static(site, page, asset, missing)
	forged, siteHost := s.originBypass(ctx, opts)
	results[IDOriginBypass] = OriginBypass(forged, siteHost)

	report := Report{URL: opts.URL.String()}
	for _, id := range Order {
		report.Checks = append(report.Checks, results[id])
	}
	return report, nil
}

// withDefaults returns opts with the defaults filled in, or a usage error
// for a URL or origin Run cannot check.
func (opts Options) withDefaults() (Options, error) {
	if opts.URL == nil || opts.URL.Scheme != "https" || opts.URL.Host == "" {
		return Options{}, errors.New("the URL must be https://host[:port][/path]")
	}
	if opts.Origin != nil && (opts.Origin.Scheme != "https" && opts.Origin.Scheme != "http" || opts.Origin.Host == "") {
		return Options{}, errors.New("--origin must be an http(s)://host[:port][/path] URL")
	}
	if opts.MaxRequests <= 0 {
		opts.MaxRequests = DefaultMaxRequests
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	return opts, nil
}

// newSession returns the session of one run: its own client, which never
// follows a redirect, its request budget and its nonce.
func newSession(opts Options) *session {
	transport := opts.Transport
	if transport == nil {
		transport = newTransport(opts)
	}
	return &session{
		client: &http.Client{
			Transport:     transport,
			Timeout:       opts.RequestTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		budget: opts.MaxRequests,
		nonce:  nonce(),
	}
}

// plainHTTP asks for u over http, for https-redirect. Only a site on the
// default port has an http listener of the distribution's (port 80); for
// any other it returns nil.
func (s *session) plainHTTP(ctx context.Context, u *url.URL) *Exchange {
	if u.Port() != "" && u.Port() != "443" {
		return nil
	}
	plain := *u
	plain.Scheme, plain.Host = "http", u.Hostname()
	if strings.Contains(plain.Host, ":") {
		plain.Host = "[" + plain.Host + "]" // an IPv6 address
	}
	return s.get(ctx, &plain, nil)
}

// methods sends an OPTIONS and an empty POST, for methods, to a path that
// cannot exist, so nothing can change.
func (s *session) methods(ctx context.Context, base *url.URL) (options, post *Exchange) {
	missingPage := base.JoinPath("djfront-check-" + s.nonce + "/")
	return s.send(ctx, http.MethodOptions, missingPage, nil), s.send(ctx, http.MethodPost, missingPage, nil)
}

// pages returns the pages host, scheme, cache-cookies and static read: the
// first, the same-site page it redirects to, a few same-site pages they
// link to, and Django's admin login, which sets the CSRF cookie and links
// hashed static files.
func (s *session) pages(ctx context.Context, site Site, page *Exchange, base *url.URL) []*Exchange {
	pages := []*Exchange{page}
	if to := redirectTarget(page); to != nil && sameSite(site, to) {
		pages = append(pages, s.get(ctx, to, nil))
	}
	for _, u := range candidatePages(site, pages, base) {
		if len(pages) > maxPages {
			break
		}
		pages = append(pages, s.get(ctx, u, nil))
	}
	return pages
}

// probe asks the site's Django probe view, when opts carries its token,
// and returns what it answered; nil without a token.
func (s *session) probe(ctx context.Context, opts Options, base *url.URL) (*Probe, error) {
	if opts.ProbeToken == "" {
		return nil, nil
	}
	h := http.Header{}
	h.Set(ProbeTokenHeader, opts.ProbeToken)
	h.Set("Origin", "https://"+opts.URL.Host)
	return ParseProbe(s.get(ctx, base.JoinPath(ProbePath), h))
}

// cacheCookies returns the exchanges cache-cookies judges: a page that
// sets a cookie (first) asked again (repeat); then one page with two
// made-up session cookies (Django ignores unknown session keys), under a
// query string of their own so no earlier visitor's copy can answer. The
// page is first's, or u when no page sets a cookie.
func (s *session) cacheCookies(ctx context.Context, u *url.URL, pages []*Exchange) (first, repeat, withA, withB *Exchange) {
	for _, p := range pages {
		if p.setCookieNames() != nil && p.Status < 400 {
			first = p
			repeat = s.get(ctx, p.URL, nil)
			break
		}
	}
	target := u
	if first != nil {
		target = first.URL
	}
	keyed := *target
	q := keyed.Query()
	q.Set("djfront-check", s.nonce)
	keyed.RawQuery = q.Encode()
	withA = s.get(ctx, &keyed, cookie("sessionid", "djfrontchecka"+s.nonce))
	withB = s.get(ctx, &keyed, cookie("sessionid", "djfrontcheckb"+s.nonce))
	return first, repeat, withA, withB
}

// static returns the exchanges static judges: the first static file the
// pages link to (a hashed name if any), and a name next to it that does
// not exist; both nil when the pages link to none.
func (s *session) static(ctx context.Context, site Site, pages []*Exchange) (asset, missing *Exchange) {
	u := staticLink(site, pages)
	if u == nil {
		return nil, nil
	}
	asset = s.get(ctx, u, nil)
	m := *u
	m.Path, m.RawPath, m.RawQuery = path.Join(path.Dir(u.Path), "djfront-check-missing-"+s.nonce+".css"), "", ""
	return asset, s.get(ctx, &m, nil)
}

// originBypass returns the exchanges origin-bypass judges: the origin asked
// directly, as an attacker would: with forged forwarding headers, then with
// the site's Host (which a load balancer or the app's own URL serves by).
// Both are nil without opts.Origin.
func (s *session) originBypass(ctx context.Context, opts Options) (forged, siteHost *Exchange) {
	if opts.Origin == nil {
		return nil, nil
	}
	u := *opts.Origin
	if u.Path == "" || u.Path == "/" {
		u.Path, u.RawQuery = opts.URL.Path, opts.URL.RawQuery
	}
	h := http.Header{}
	h.Set("X-Forwarded-Host", opts.URL.Host)
	h.Set("X-Forwarded-Proto", "https")
	h.Set("X-Forwarded-For", "203.0.113.7")
	forged = s.get(ctx, &u, h)
	siteHost = s.get(ctx, &u, http.Header{"Host": {opts.URL.Host}})
	return forged, siteHost
}

// session sends the run's requests within its budget and keeps them.
type session struct {
	client *http.Client
	budget int
	nonce  string
	log    []*Exchange
}

// safeMethods are the only methods a session sends; POST only without a
// body, to a path that does not exist.
var safeMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true, http.MethodPost: true}

func (s *session) get(ctx context.Context, u *url.URL, h http.Header) *Exchange {
	return s.send(ctx, http.MethodGet, u, h)
}

// send sends one request with no body and records the exchange; past the
// budget or the run's deadline it records the refusal instead.
func (s *session) send(ctx context.Context, method string, u *url.URL, h http.Header) *Exchange {
	e := &Exchange{Method: method, URL: u, Sent: h}
	switch {
	case !safeMethods[method]:
		e.Err = fmt.Errorf("method %s is not one the checker sends", method)
		return e
	case s.budget <= 0:
		e.Err = errors.New("not sent: the run's request budget is spent")
		return e
	}
	s.budget--
	req, err := http.NewRequestWithContext(ctx, method, u.String(), http.NoBody)
	if err != nil {
		e.Err = err
		return e
	}
	for name, values := range h {
		req.Header[name] = values
	}
	if host := h.Get("Host"); host != "" {
		req.Host = host // net/http sends req.Host, never Header["Host"]
	}
	req.Header.Set("User-Agent", UserAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		e.Err = unwrapURLError(err)
		s.log = append(s.log, e)
		return e
	}
	defer resp.Body.Close()
	e.Status, e.Header = resp.StatusCode, resp.Header
	e.Body, err = io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		e.Err = fmt.Errorf("reading the body: %w", err)
	}
	s.log = append(s.log, e)
	return e
}

// unwrapURLError drops *url.Error's "Get \"…\": " prefix: the exchange
// names the request already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func cookie(name, value string) http.Header {
	h := http.Header{}
	h.Set("Cookie", name+"="+value)
	return h
}

func sameSite(site Site, u *url.URL) bool {
	return u.Scheme == "https" && normalHost(u.Host, u.Scheme) == site.host()
}

// risky are words of links (in the path or the query) never followed,
// though GET should be safe: Django before 5.0 logs out on GET /logout/.
var risky = []string{"logout", "signout", "sign-out", "log-out", "delete", "remove", "unsubscribe", "cancel"}

// candidatePages returns same-site pages (not static files, not forms'
// actions) linked from the pages, then Django's admin login, none already
// visited.
func candidatePages(site Site, pages []*Exchange, base *url.URL) []*url.URL {
	seen := map[string]bool{}
	for _, p := range pages {
		seen[p.URL.String()] = true
	}
	var out []*url.URL
	add := func(u *url.URL) {
		lower := strings.ToLower(u.Path + "?" + u.RawQuery)
		for _, w := range risky {
			if strings.Contains(lower, w) {
				return
			}
		}
		if !seen[u.String()] && sameSite(site, u) && !site.isAsset(u) {
			seen[u.String()] = true
			out = append(out, u)
		}
	}
	for _, p := range pages {
		if p.answered() && strings.Contains(strings.ToLower(p.Header.Get("Content-Type")), "html") {
			for _, l := range Links(p.URL, p.Body) {
				if !l.Form {
					add(l.URL)
				}
			}
		}
	}
	if len(out) > maxPages-1 {
		out = out[:maxPages-1]
	}
	add(base.JoinPath("/admin/login/"))
	return out
}

// staticLink returns the static file to check: the first hashed name the
// pages link to, else the first static file; only the site's own
// (Site.staticFile), so no request goes to a third party.
func staticLink(site Site, pages []*Exchange) *url.URL {
	var any *url.URL
	for _, p := range pages {
		if !p.answered() {
			continue
		}
		for _, l := range Links(p.URL, p.Body) {
			if l.Form || l.URL.Scheme != "https" || !site.staticFile(l.URL) {
				continue
			}
			if hashedName.MatchString(l.URL.Path) {
				return l.URL
			}
			if any == nil {
				any = l.URL
			}
		}
	}
	return any
}

// nonce returns 12 random lowercase letters and digits, for names no one
// else uses.
func nonce() string { return strings.ToLower(rand.Text()[:12]) }
