package sitecheck

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Site is what the detectors know about the site under check.
type Site struct {
	// URL is the page the user named, https://host[:port]/path.
	URL *url.URL
}

func (s Site) host() string { return normalHost(s.URL.Host, s.URL.Scheme) }

// assetPrefixes are the paths of Django's STATIC_URL and MEDIA_URL as
// djfront_settings.py and most deployments name them.
var assetPrefixes = []string{"/static/", "/media/"}

func (s Site) isAsset(u *url.URL) bool {
	for _, p := range assetPrefixes {
		if strings.HasPrefix(u.Path, p) {
			return true
		}
	}
	return false
}

// staticFile reports whether u is one of the site's static or media files,
// the only kind the static check fetches off the page's own host: a file
// (a name with an extension) on a CloudFront or S3 domain, where
// django-storages' custom_domain or a bucket without a location puts them
// at the root (seed [4]), or under /static/ or /media/ on one of the
// site's hosts, never a third party's; and on a port of the site's
// (ownPort), never another service of a host.
func (s Site) staticFile(u *url.URL) bool {
	if !s.ownPort(u) {
		return false
	}
	if cdnHost(u.Hostname()) {
		return s.isAsset(u) || path.Ext(u.Path) != ""
	}
	return s.isAsset(u) && s.ownHost(u.Hostname())
}

// ownPort reports whether u's port (443 when it names none) may be the
// site's: the site's own port on the site's host; on any other host the
// site's port or 443.
func (s Site) ownPort(u *url.URL) bool {
	port, sitePort := httpsPort(u), httpsPort(s.URL)
	if strings.EqualFold(u.Hostname(), s.URL.Hostname()) {
		return port == sitePort
	}
	return port == sitePort || port == "443"
}

// httpsPort returns u's port, 443 when it names none.
func httpsPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return "443"
}

// ownHost reports whether host (no port) is the site's or a neighbour's:
// the site's host or another name of the same registrable domain, by the
// public suffix list (static.example.com for www.example.com; not
// other.co.uk for example.co.uk, nor cdn.github.io for shop.github.io). A
// host that is an IP address or a public suffix itself (localhost) has no
// neighbours.
func (s Site) ownHost(host string) bool {
	h, sh := strings.ToLower(host), strings.ToLower(s.URL.Hostname())
	switch {
	case h == sh:
		return true
	case net.ParseIP(sh) != nil || net.ParseIP(h) != nil:
		return false
	}
	domain, err := publicsuffix.EffectiveTLDPlusOne(h)
	siteDomain, siteErr := publicsuffix.EffectiveTLDPlusOne(sh)
	return err == nil && siteErr == nil && domain == siteDomain
}

// cdnHost reports whether host (no port) is a CloudFront distribution's
// own domain or an S3 endpoint.
func cdnHost(host string) bool {
	return strings.HasSuffix(strings.ToLower(host), ".cloudfront.net") || s3Host(host)
}

// s3Host reports whether host (no port) is an S3 endpoint: a bucket's
// virtual host, the path-style s3.amazonaws.com, or a website endpoint.
func s3Host(host string) bool {
	h := strings.ToLower(host)
	return strings.HasSuffix(h, ".amazonaws.com") && (strings.HasPrefix(h, "s3.") || strings.HasPrefix(h, "s3-") ||
		strings.Contains(h, ".s3.") || strings.Contains(h, ".s3-"))
}

// normalHost lowercases host and drops the scheme's default port (an IPv6
// address keeps its brackets: [::1]:443 is [::1]).
func normalHost(host, scheme string) string {
	host = strings.ToLower(host)
	if h, port, err := net.SplitHostPort(host); err == nil &&
		((scheme == "https" && port == "443") || (scheme == "http" && port == "80")) {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return host
}

// hostOnly returns host without a port; an IPv6 address without a port
// keeps its brackets ([::1]).
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return host
}

// originHostKind names the kind of AWS origin (or loopback bind) host is,
// or "" when it is none: a viewer never should see these in the app's
// links, because they mean the app built them from the Host it was given
// rather than the viewer's.
func originHostKind(host string) string {
	h := strings.ToLower(hostOnly(host))
	switch {
	case strings.Contains(h, ".execute-api.") && strings.HasSuffix(h, ".amazonaws.com"):
		return "an API Gateway endpoint"
	case strings.HasSuffix(h, ".elb.amazonaws.com"):
		return "a load balancer"
	case strings.Contains(h, ".lambda-url.") && strings.HasSuffix(h, ".on.aws"):
		return "a Lambda function URL"
	case strings.HasSuffix(h, ".awsapprunner.com"), strings.HasSuffix(h, ".elasticbeanstalk.com"):
		return "the app's own AWS endpoint"
	case strings.HasSuffix(h, ".cloudfront.net"):
		return "the distribution's own domain"
	}
	if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); (ip != nil && ip.IsLoopback()) || h == "localhost" {
		return "a loopback address"
	}
	return ""
}

// redirectTarget returns the Location of a redirect, resolved as a browser
// does (resolveLink).
func redirectTarget(e *Exchange) *url.URL {
	u, _ := redirect(e)
	return u
}

// redirect returns the Location of a redirect, resolved as a browser does,
// and what it writes out; nil for no redirect.
func redirect(e *Exchange) (*url.URL, refKind) {
	if !e.answered() || e.Status < 300 || e.Status > 399 {
		return nil, relativeRef
	}
	loc := e.Header.Get("Location")
	if loc == "" {
		return nil, relativeRef
	}
	u, kind, err := resolveLink(e.URL, loc)
	if err != nil {
		return nil, relativeRef
	}
	return u, kind
}

// HTTPSRedirect judges the answer to http://host/path (nil: not sent, the
// URL names a port, so there is no port-80 listener to ask).
func HTTPSRedirect(site Site, e *Exchange) Result {
	const id = IDHTTPSRedirect
	if e == nil {
		return skip(id, fmt.Sprintf("the URL names port %s: a distribution answers http:// on port 80 only", site.URL.Port()), "")
	}
	if e.Err != nil {
		return fail(id, fmt.Sprintf("http://%s%s did not answer: %v", e.URL.Host, e.URL.RequestURI(), e.Err))
	}
	to := redirectTarget(e)
	switch {
	case to != nil && to.Scheme == "https" && normalHost(to.Host, "https") == site.host() && to.Path == e.URL.Path:
		return pass(id, fmt.Sprintf("http:// → %d %s", e.Status, to))
	case to != nil && to.Scheme == "https" && normalHost(to.Host, "https") != site.host():
		return fail(id, fmt.Sprintf("http:// → %d to another host: %s", e.Status, to))
	case to != nil && to.Scheme == "https":
		return fail(id, fmt.Sprintf("http://%s%s → %d %s: the path is lost", e.URL.Host, e.URL.Path, e.Status, to))
	case to != nil:
		return fail(id, fmt.Sprintf("http:// → %d %s: not to https", e.Status, to))
	case e.Status >= 200 && e.Status < 300:
		return fail(id, fmt.Sprintf("http:// is served as is (%d), no redirect to https", e.Status))
	case e.cloudFrontError():
		return fail(id, fmt.Sprintf("http:// → CloudFront's %d error: the behaviour is https-only, so old http:// links break", e.Status))
	}
	return fail(id, fmt.Sprintf("http:// → %d, not a redirect to https", e.Status))
}

// HSTS judges the Strict-Transport-Security header of the https page. It
// skips a site on an IP address (RFC 6797 §8.1: browsers ignore the header
// there) or a loopback name such as localhost, a development stand-in: a
// browser would pin it to https for every local project for the header's
// max-age.
func HSTS(site Site, page *Exchange) Result {
	const id = IDHSTS
	switch h := strings.ToLower(site.URL.Hostname()); {
	case net.ParseIP(h) != nil:
		return skip(id, "the site is on an IP address, where browsers ignore Strict-Transport-Security (RFC 6797 §8.1)", "")
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		return skip(id, "the site is on "+h+": Strict-Transport-Security there would pin every local project to https (the distribution's response headers policy sends it)", "")
	}
	v := page.Header.Get("Strict-Transport-Security")
	if v == "" {
		return fail(id, "no Strict-Transport-Security header on "+page.URL.String())
	}
	sts, err := ParseSTS(v)
	switch {
	case err != nil:
		return fail(id, fmt.Sprintf("Strict-Transport-Security %q is invalid (%v): browsers ignore it", v, err))
	case sts.MaxAge == 0:
		return fail(id, "Strict-Transport-Security max-age=0 tells browsers to forget the site is https-only")
	case sts.MaxAge < MinHSTSMaxAge:
		return fail(id, fmt.Sprintf("Strict-Transport-Security max-age=%d (%s) is shorter than 180 days", sts.MaxAge, days(sts.MaxAge)))
	}
	detail := fmt.Sprintf("max-age=%d (%s)", sts.MaxAge, days(sts.MaxAge))
	if sts.IncludeSubDomains {
		detail += ", includeSubDomains"
	}
	if sts.Preload {
		detail += ", preload"
	}
	return pass(id, detail)
}

func days(seconds int64) string { return fmt.Sprintf("%d days", seconds/86400) }

// Methods judges an OPTIONS and an empty POST to a path that does not
// exist. CloudFront's AllowedMethods is one of three sets (GET/HEAD,
// GET/HEAD/OPTIONS, all seven), so a POST that passes means PUT, PATCH and
// DELETE do too.
func Methods(options, post *Exchange) Result {
	const id = IDMethods
	optRefused, postRefused := options.methodRefusedByCloudFront(), post.methodRefusedByCloudFront()
	switch {
	case optRefused && postRefused:
		return fail(id, "CloudFront itself answers OPTIONS and POST with 403 (\"not configured to allow the HTTP request method\"): the app behaviour allows GET and HEAD only")
	case postRefused:
		return fail(id, "CloudFront itself answers POST with 403 (\"not configured to allow the HTTP request method\"): the app behaviour allows GET, HEAD and OPTIONS only")
	case optRefused:
		return fail(id, "CloudFront answers OPTIONS itself with 403: CORS preflights never reach the app")
	}
	for _, e := range []*Exchange{options, post} {
		if !e.answered() {
			return skip(id, e.String()+": no answer to judge by", "")
		}
		if e.cloudFrontError() {
			return skip(id, fmt.Sprintf("%s is CloudFront's own error page: the origin did not answer", e), "")
		}
	}
	return pass(id, fmt.Sprintf("OPTIONS → %d, POST → %d from the origin: all seven methods pass CloudFront", options.Status, post.Status))
}

// foreignLinks lists the redirects and absolute links of the https pages
// that name an origin's own host rather than the viewer's.
func foreignLinks(site Site, pages []*Exchange) []string {
	var found []string
	viewerIsOrigin := originHostKind(site.URL.Host) != ""
	note := func(e *Exchange, what string, u *url.URL) {
		if viewerIsOrigin || normalHost(u.Host, u.Scheme) == site.host() {
			return
		}
		kind := originHostKind(u.Host)
		if kind == "" || (kind == "the distribution's own domain" && site.staticFile(u)) {
			return // another site, or the CDN domain serving static files
		}
		found = append(found, fmt.Sprintf("%s %s %s (%s)", e, what, u.Host, kind))
	}
	for _, e := range pages {
		if !e.answered() || e.URL.Scheme != "https" {
			continue
		}
		if to := redirectTarget(e); to != nil {
			note(e, "redirects to", to)
		}
		for _, l := range Links(e.URL, e.Body) {
			if l.Absolute || l.ProtocolRelative {
				note(e, "links to", l.URL)
			}
		}
	}
	return found
}

// pageError describes why the first page says nothing about the app, or
// "" when it came from the app.
func pageError(page *Exchange) string {
	switch {
	case !page.answered():
		return page.String()
	case page.cloudFrontError():
		return fmt.Sprintf("%s is CloudFront's own error page: the origin did not answer", page)
	case page.apiGatewayForbidden(), page.disallowedHost():
		return fmt.Sprintf("%s: the app refuses the host it is given (see host), so its pages say nothing", page)
	}
	return ""
}

// Host judges whether the app sees the viewer's host: from the probe when
// there is one, else from the pages (a refusal of the host, redirects and
// absolute links naming an origin's own host).
func Host(site Site, pages []*Exchange, probe *Probe) Result {
	const id = IDHost
	page := pages[0]
	switch {
	case page.apiGatewayForbidden():
		return fail(id, fmt.Sprintf("%s {\"message\":\"Forbidden\"} is API Gateway refusing the viewer's Host: the origin request policy forwards Host (AllViewer instead of AllViewerExceptHostHeader)", page))
	case page.disallowedHost():
		switch h := page.refusedHost(); {
		case h != "" && normalHost(h, "https") == site.host():
			detail := fmt.Sprintf("%s: the viewer's host %q reaches the app, which does not allow it (ALLOWED_HOSTS)", page, h)
			if originHostKind(site.URL.Host) != "" {
				detail += "; if the site has a domain of its own, check that one"
			}
			return fail(id, detail)
		case h != "":
			return fail(id, fmt.Sprintf("%s: the app was given %q, not the viewer's host, and refuses it: the viewer's Host does not reach it", page, h))
		}
		return fail(id, fmt.Sprintf("%s: the host the app was given is refused (Django's DisallowedHost, or hostforward's ALLOWED_HOSTS): the viewer's Host does not reach it, or ALLOWED_HOSTS lacks it", page))
	}
	if probe != nil {
		switch {
		case probe.HostError != "":
			return fail(id, fmt.Sprintf("Django refused the host %q: %s", probe.RawHost, probe.HostError))
		case normalHost(probe.Host, "https") != site.host():
			return fail(id, fmt.Sprintf("Django's get_host() is %q, the viewer's host is %q", probe.Host, site.URL.Host))
		}
	}
	if found := foreignLinks(site, pages); found != nil {
		return fail(id, strings.Join(found, "; "))
	}
	if probe != nil {
		return pass(id, fmt.Sprintf("Django's get_host() is %s (probe); client REMOTE_ADDR %s, X-Forwarded-For %q", probe.Host, probe.RemoteAddr, probe.XForwardedFor))
	}
	if why := pageError(page); why != "" {
		return skip(id, why, "")
	}
	return pass(id, fmt.Sprintf("inferred from %d responses: no host refused, no redirect or link to an origin's own host (--probe-token makes it exact)", len(pages)))
}

// Scheme judges whether the app knows the viewer used https: from the
// probe, else from the scheme of its absolute links and redirects to the
// site. An https page that redirects to itself fails too: that is Django's
// SECURE_SSL_REDIRECT taking the request for http, a loop in every browser.
func Scheme(site Site, pages []*Exchange, probe *Probe) Result {
	const id = IDScheme
	var httpLinks, loops []string
	httpsLinks := 0
	for _, e := range pages {
		if !e.answered() || e.URL.Scheme != "https" {
			continue
		}
		var urls []*url.URL
		if to, kind := redirect(e); to != nil {
			if kind == absoluteRef { // a relative or protocol-relative one names no scheme
				urls = append(urls, to)
			}
			if to.Scheme == "https" && normalHost(to.Host, "https") == normalHost(e.URL.Host, "https") &&
				to.EscapedPath() == e.URL.EscapedPath() && to.RawQuery == e.URL.RawQuery && !slices.Contains(loops, e.String()) {
				loops = append(loops, e.String())
			}
		}
		for _, l := range Links(e.URL, e.Body) {
			if l.Absolute {
				urls = append(urls, l.URL)
			}
		}
		for _, u := range urls {
			if !strings.EqualFold(u.Hostname(), site.URL.Hostname()) {
				continue
			}
			if u.Scheme == "http" {
				httpLinks = append(httpLinks, fmt.Sprintf("%s names %s", e, u))
			} else {
				httpsLinks++
			}
		}
	}
	if probe != nil && (!probe.IsSecure || probe.Scheme != "https") {
		return fail(id, fmt.Sprintf("Django saw scheme %q, is_secure() %t, for an https request (probe)", probe.Scheme, probe.IsSecure))
	}
	if loops != nil {
		return fail(id, fmt.Sprintf("%s redirects to itself: the app takes the https request for http (SECURE_SSL_REDIRECT without SECURE_PROXY_SSL_HEADER), so browsers loop (too many redirects)", strings.Join(loops, "; ")))
	}
	if httpLinks != nil {
		if len(httpLinks) > 3 {
			httpLinks = append(httpLinks[:3], fmt.Sprintf("and %d more", len(httpLinks)-3))
		}
		return fail(id, "http:// links to the site on https pages: "+strings.Join(httpLinks, "; "))
	}
	switch {
	case probe != nil:
		return pass(id, "Django saw https, is_secure() True (probe)")
	case httpsLinks > 0:
		return pass(id, fmt.Sprintf("inferred: %d absolute links and redirects to the site, all https (--probe-token makes it exact)", httpsLinks))
	}
	if why := pageError(pages[0]); why != "" {
		return skip(id, why, "")
	}
	return skip(id, "no absolute link or redirect to the site to judge by",
		"run with --probe-token for Django's own answer; see "+readme+IDScheme)
}

// CSRF judges, from the probe, whether Django's CSRF middleware accepts the
// site's own Origin (Django ≥ 4.0 compares it with scheme://get_host()).
func CSRF(probe *Probe, probeErr error) Result {
	const id = IDCSRF
	switch {
	case probe == nil && probeErr != nil:
		return skip(id, probeErr.Error(), "see "+readme+IDCSRF)
	case probe == nil:
		return skip(id, "needs the probe view: run with --probe-token", "see "+readme+IDCSRF)
	case probe.CSRFOriginOK:
		return pass(id, fmt.Sprintf("Origin %s passes Django's CSRF check (probe)", probe.Origin))
	}
	reason := probe.CSRFReason
	if reason == "" {
		reason = "refused"
	}
	return fail(id, fmt.Sprintf("Django's CSRF check refuses Origin %s: %s; every form POST gets 403", probe.Origin, reason))
}

// CacheCookies judges whether the CDN can hand one visitor's cookies or
// page to another. first is a response that set cookies and repeat the
// same request again, both without cookies (nil: no page set one); withA and
// withB the same page with two different made-up session cookies; all is
// every response of the run.
func CacheCookies(first, repeat, withA, withB *Exchange, all []*Exchange) Result {
	const id = IDCacheCookies
	for _, e := range all {
		if names := e.setCookieNames(); names != nil && e.fromCache() {
			return fail(id, fmt.Sprintf("%s with Set-Cookie %s came from the cache (%s): every visitor gets the same cookie", e, strings.Join(names, ", "), e.cacheSummary()))
		}
	}
	if first != nil && repeat.answered() {
		if same := sameRandomCookies(first, repeat); same != nil {
			return fail(id, fmt.Sprintf("two requests for %s got the same Set-Cookie %s: it is replayed from a cache", first.URL.Path, strings.Join(same, ", ")))
		}
	}
	if !withA.answered() || !withB.answered() {
		return skip(id, "the requests with session cookies got no answer", "")
	}
	for _, e := range []*Exchange{withA, withB} {
		if e.fromCache() {
			return fail(id, fmt.Sprintf("%s with a made-up session cookie came from the cache (%s): the cache key ignores cookies, so one visitor's page goes to another", e, e.cacheSummary()))
		}
	}
	detail := "two different session cookies, two trips to the origin"
	if xc := withB.Header.Get("X-Cache"); xc != "" {
		detail += " (" + xc + ")"
	}
	if first != nil {
		detail = fmt.Sprintf("%s sets %s, never from the cache; ", first.URL.Path, strings.Join(first.setCookieNames(), ", ")) + detail
	} else {
		detail = "no page set a cookie; " + detail
	}
	return pass(id, detail)
}

// sameRandomCookies returns the cookies both responses set to the same
// value, among values long enough to be random (tokens, session ids).
func sameRandomCookies(a, b *Exchange) []string {
	values := map[string]string{}
	for _, c := range (&http.Response{Header: a.Header}).Cookies() {
		if len(c.Value) >= 16 {
			values[c.Name] = c.Value
		}
	}
	var same []string
	for _, c := range (&http.Response{Header: b.Header}).Cookies() {
		if v, ok := values[c.Name]; ok && v == c.Value {
			same = append(same, c.Name)
		}
	}
	slices.Sort(same)
	return slices.Compact(same)
}

// hashedName matches Django's ManifestStaticFilesStorage names:
// base.6b517d0d5813.css.
var hashedName = regexp.MustCompile(`\.[0-9a-f]{12}\.[A-Za-z0-9]+$`)

// MinHashedMaxAge is the shortest Cache-Control max-age the static check
// accepts for a hashed name: 30 days (a year, immutable, is the goal).
const MinHashedMaxAge = 30 * 24 * 60 * 60

// Static judges a static file linked from the site (asset; nil when none
// was found) and a file under the same directory that does not exist
// (missing). page, the site's first page, explains a missing asset.
func Static(site Site, page, asset, missing *Exchange) Result {
	const id = IDStatic
	if asset == nil {
		if why := pageError(page); why != "" {
			return skip(id, why, "")
		}
		return skip(id, "no static file of the site's (on its hosts, its CloudFront or S3 domain) is linked from the pages checked", "")
	}
	if s3Host(asset.URL.Hostname()) {
		return fail(id, fmt.Sprintf("static files are linked straight from the bucket (%s): not through the CDN, and the bucket must be public", asset.URL.Host))
	}
	switch {
	case !asset.answered():
		return fail(id, asset.String())
	case asset.Status != http.StatusOK:
		return fail(id, fmt.Sprintf("%s: a file the site links to does not load", asset))
	case !asset.viaCDN():
		return fail(id, fmt.Sprintf("%s came without CloudFront (no Via or X-Cache from it): static files bypass the CDN", asset))
	}
	var problems []string
	hashed := hashedName.MatchString(asset.URL.Path)
	if hashed {
		if age, ok := browserMaxAge(asset.Header.Get("Cache-Control")); !ok || age < MinHashedMaxAge {
			problems = append(problems, fmt.Sprintf("hashed name %s is not cached long by browsers (%s)", asset.URL.Path, asset.cacheSummary()))
		}
	}
	switch {
	case missing == nil:
	case !missing.answered():
		problems = append(problems, missing.String())
	case missing.Status == http.StatusForbidden:
		problems = append(problems, fmt.Sprintf("a missing file answers 403, not 404 (%s): the bucket denies CloudFront s3:ListBucket", missing))
	case missing.Status != http.StatusNotFound:
		problems = append(problems, fmt.Sprintf("a missing file answers %d, not 404 (%s)", missing.Status, missing))
	}
	if problems != nil {
		return fail(id, strings.Join(problems, "; "))
	}
	detail := asset.URL.Path + " through CloudFront"
	if cc := asset.Header.Get("Cache-Control"); cc != "" {
		detail += ", Cache-Control: " + cc
	}
	if !hashed {
		detail += " (not a hashed name)"
	}
	if missing != nil {
		detail += "; a missing file is 404"
	}
	return pass(id, detail)
}

// OriginBypass judges the requests sent straight to the origin (none, or
// nil: no --origin given), as anyone could send them: with the origin's own
// Host and forged forwarding headers (what an API Gateway endpoint routes),
// and with the site's Host (Sent "Host", what a load balancer or the app's
// own URL serves by). The origin passes when it refuses them all.
func OriginBypass(direct ...*Exchange) Result {
	const id = IDOriginBypass
	var sent []*Exchange
	for _, e := range direct {
		if e != nil {
			sent = append(sent, e)
		}
	}
	if sent == nil {
		return skip(id, "needs --origin URL (the API Gateway endpoint or the app's own URL)", "see "+readme+IDOriginBypass)
	}
	var refused, inconclusive *Result
	for _, e := range sent {
		r := originVerdict(e)
		switch {
		case r.Failed():
			return r
		case r.Passed() && refused == nil:
			refused = &r
		case r.OK == nil && inconclusive == nil:
			inconclusive = &r
		}
	}
	if inconclusive != nil {
		return *inconclusive
	}
	return *refused
}

// originVerdict judges one request sent straight to the origin.
func originVerdict(e *Exchange) Result {
	const id = IDOriginBypass
	switch {
	case e.Err != nil:
		return pass(id, fmt.Sprintf("the origin does not answer from here (%v)", e.Err))
	case e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized:
		return pass(id, fmt.Sprintf("%s: the origin refuses requests that did not come through the distribution", e))
	case e.disallowedHost():
		return pass(id, fmt.Sprintf("%s: the origin refuses the forged host", e))
	case e.apiGatewayNotFound():
		return skip(id, fmt.Sprintf("%s is API Gateway's own 404 {\"message\":\"Not Found\"}: --origin names no route of the app (a REST API wants its stage, /prod)", e), "see "+readme+IDOriginBypass)
	case e.Status >= 500:
		return skip(id, fmt.Sprintf("%s: the origin failed, neither refusal nor answer", e), "")
	}
	if host := e.Sent.Get("Host"); host != "" {
		return fail(id, fmt.Sprintf("%s with the site's Host %s: anyone can skip the distribution and reach the app", e, host))
	}
	return fail(id, fmt.Sprintf("%s with a forged X-Forwarded-Host: anyone can skip the distribution and pick the host Django uses", e))
}
