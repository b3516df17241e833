package sitecheck

// Check ids: a contract with scripts that read `djfront check --json`.
const (
	IDHTTPSRedirect = "https-redirect"
	IDHSTS          = "hsts"
	IDMethods       = "methods"
	IDHost          = "host"
	IDScheme        = "scheme"
	IDCSRF          = "csrf"
	IDCacheCookies  = "cache-cookies"
	IDStatic        = "static"
	IDOriginBypass  = "origin-bypass"
)

// Order is the order checks are reported in.
var Order = []string{IDHTTPSRedirect, IDHSTS, IDMethods, IDHost, IDScheme, IDCSRF, IDCacheCookies, IDStatic, IDOriginBypass}

// Result is the outcome of one check. OK is nil when the check was skipped,
// with the reason in Detail. Fix, for a failed or skipped check, says what
// to change and links the README section (and through it the seed post)
// the pitfall comes from.
type Result struct {
	ID     string `json:"id"`
	OK     *bool  `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix"`
}

// Passed reports whether the check ran and passed.
func (r Result) Passed() bool { return r.OK != nil && *r.OK }

// Failed reports whether the check ran and failed.
func (r Result) Failed() bool { return r.OK != nil && !*r.OK }

// Report is every check's result for one site.
type Report struct {
	URL    string   `json:"url"`
	Checks []Result `json:"checks"`
}

// Failed reports whether any check failed (skipped checks do not count).
func (r Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Failed() {
			return true
		}
	}
	return false
}

// Get returns the result of the check id, and whether there is one.
func (r Report) Get(id string) (Result, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Result{}, false
}

func pass(id, detail string) Result {
	ok := true
	return Result{ID: id, OK: &ok, Detail: detail}
}

func fail(id, detail string) Result {
	ok := false
	return Result{ID: id, OK: &ok, Detail: detail, Fix: fixes[id]}
}

func skip(id, detail, hint string) Result {
	return Result{ID: id, Detail: detail, Fix: hint}
}

// readme is the address of docs/check.md's sections: each check has one,
// "check: <id>".
const readme = "https://github.com/djfront/djfront/blob/main/docs/check.md#check-"

// fixes is each check's fix: what to change, then where it is explained.
var fixes = map[string]string{
	IDHTTPSRedirect: "set the behaviours' ViewerProtocolPolicy to redirect-to-https; see " + readme + IDHTTPSRedirect,
	IDHSTS:          "attach a response headers policy with Strict-Transport-Security (managed SecurityHeadersPolicy: max-age=31536000); see " + readme + IDHSTS,
	IDMethods:       "allow all seven methods on the app behaviour (AllowedMethods GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE); see " + readme + IDMethods,
	IDHost:          "origin request policy AllViewerExceptHostHeader, a viewer-request CloudFront Function that copies Host into X-Forwarded-Host, USE_X_FORWARDED_HOST and ALLOWED_HOSTS in Django; see " + readme + IDHost,
	IDScheme:        "tell Django the viewer's scheme: X-Forwarded-Proto (or CloudFront-Forwarded-Proto) from a hop that overwrites it, and SECURE_PROXY_SSL_HEADER; see " + readme + IDScheme,
	IDCSRF:          "make get_host() and is_secure() right (checks host and scheme), and list the site as an https origin in CSRF_TRUSTED_ORIGINS; see " + readme + IDCSRF,
	IDCacheCookies:  "put cookies and query strings in the app behaviour's cache key, MinTTL and DefaultTTL 0, and mark responses that set cookies Cache-Control: private; see " + readme + IDCacheCookies,
	IDStatic:        "serve /static/* from the private bucket through CloudFront (origin access control, CachingOptimized, s3:ListBucket for a 404), hashed names with Cache-Control: max-age=31536000, immutable; see " + readme + IDStatic,
	IDOriginBypass:  "refuse requests without the distribution's secret header at the origin (djfront's ORIGIN_VERIFY_SECRETS), or keep the origin private; see " + readme + IDOriginBypass,
}
