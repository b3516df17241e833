package hostforward

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/snapstart"
)

// DefaultUpstreamTimeout is UPSTREAM_TIMEOUT's default: below API Gateway's
// fixed 30-second integration timeout, so the app's slowness becomes a 504
// from this function rather than a bare 503 from API Gateway.
const DefaultUpstreamTimeout = 25 * time.Second

// Config is the function's configuration, read once at cold start by
// [ConfigFromEnv]. It holds values only: [New] reads the secrets it names by
// ARN.
type Config struct {
	// Upstream is the app's base URL (UPSTREAM_URL); its path, if any, is
	// prefixed to every request path.
	Upstream *url.URL
	// AllowedHosts are the viewer hosts the app serves (ALLOWED_HOSTS).
	AllowedHosts AllowedHosts
	// Secrets are the accepted X-Origin-Verify values
	// (ORIGIN_VERIFY_SECRETS), for local runs.
	Secrets []string
	// OriginSecretARN names the Secrets Manager secret whose AWSCURRENT,
	// AWSPENDING and AWSPREVIOUS values are accepted as X-Origin-Verify
	// (ORIGIN_VERIFY_SECRET_ARN).
	OriginSecretARN string
	// UpstreamSecret is the X-Upstream-Verify value sent to the app
	// (UPSTREAM_VERIFY_SECRET), for local runs.
	UpstreamSecret string
	// UpstreamSecretARN names the Secrets Manager secret whose AWSCURRENT
	// value is sent as X-Upstream-Verify (UPSTREAM_VERIFY_SECRET_ARN).
	UpstreamSecretARN string
	// Timeout bounds each upstream request (UPSTREAM_TIMEOUT).
	Timeout time.Duration
	// RemoveBasePath is removed once from the front of each request path
	// (REMOVE_BASE_PATH), for example a named API Gateway stage.
	RemoveBasePath string
	// App is the in-function app (UPSTREAM_COMMAND and the other variables
	// of package appproc), run by [Setup]; nil when the app runs elsewhere.
	App *appproc.Config
	// SnapStart is where the Runtime API is when the environment is
	// initialized for a SnapStart snapshot (AWS_LAMBDA_INITIALIZATION_TYPE
	// snap-start); nil otherwise. [Setup] then runs the SnapStart protocol.
	SnapStart *snapstart.Config
}

// ConfigFromEnv reads and validates the configuration through getenv (for
// example os.Getenv), the in-function app's included. Values are trimmed of
// surrounding whitespace. Every error names the variable at fault, and every
// variable at fault is named.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	bad := func(name string, err error) { errs = append(errs, fmt.Errorf("%s: %w", name, err)) }
	trim := trimmed(getenv)
	c.readApp(trim, bad)
	c.readSecretSettings(trim, bad)
	c.readRequestLimits(trim, bad)
	// appproc reads its own variables, and tells a blank UPSTREAM_COMMAND
	// from an unset one, so it gets them untrimmed.
	app, inFunction, err := appproc.ConfigFromEnv(getenv, c.Upstream, c.AllowedHosts.FirstExact())
	if err != nil {
		errs = append(errs, err)
	} else if inFunction {
		c.App = &app
	}
	if ss, ok, err := snapstart.ConfigFromEnv(getenv); err != nil {
		errs = append(errs, err)
	} else if ok {
		c.SnapStart = &ss
	}
	return c, errors.Join(errs...)
}

// readApp reads where the app is and which hosts it serves: UPSTREAM_URL
// (given UPSTREAM_COMMAND) and ALLOWED_HOSTS.
func (c *Config) readApp(getenv func(string) string, bad func(string, error)) {
	if u, err := parseUpstream(getenv("UPSTREAM_URL"), getenv("UPSTREAM_COMMAND") != ""); err != nil {
		bad("UPSTREAM_URL", err)
	} else {
		c.Upstream = u
	}
	if v := getenv("ALLOWED_HOSTS"); v == "" {
		bad("ALLOWED_HOSTS", errors.New("required (comma-separated hosts, Django semantics)"))
	} else if h, err := ParseAllowedHosts(v); err != nil {
		bad("ALLOWED_HOSTS", err)
	} else {
		c.AllowedHosts = h
	}
}

// readRequestLimits reads how long a request may take and which path prefix
// it loses: UPSTREAM_TIMEOUT and REMOVE_BASE_PATH.
func (c *Config) readRequestLimits(getenv func(string) string, bad func(string, error)) {
	c.Timeout = DefaultUpstreamTimeout
	if v := getenv("UPSTREAM_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad("UPSTREAM_TIMEOUT", fmt.Errorf("not a Go duration like 25s: %q", v))
		case d <= 0:
			bad("UPSTREAM_TIMEOUT", fmt.Errorf("must be positive, got %s", d))
		default:
			c.Timeout = d
		}
	}
	if v := getenv("REMOVE_BASE_PATH"); v != "" {
		// Compared with API Gateway's decoded rawPath, so written decoded.
		p := "/" + strings.Trim(v, "/")
		if p == "/" || strings.ContainsAny(p, "?#%") || strings.ContainsFunc(p, isSpaceOrControl) {
			bad("REMOVE_BASE_PATH", fmt.Errorf("want a path prefix like /prod, got %q", v))
		} else {
			c.RemoveBasePath = p
		}
	}
}

// trimmed returns getenv with surrounding whitespace removed from every
// value.
func trimmed(getenv func(string) string) func(string) string {
	return func(name string) string { return strings.TrimSpace(getenv(name)) }
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// DefaultAppURL is UPSTREAM_URL's default when UPSTREAM_COMMAND runs the app
// inside the function.
const DefaultAppURL = "http://127.0.0.1:8000"

// parseUpstream validates UPSTREAM_URL completely at cold start: a value
// that would fail, or mean something else, on the first request is refused
// with the reason. With inFunction (UPSTREAM_COMMAND set) it defaults to
// DefaultAppURL and must be a loopback http:// URL with a port: the app's
// PORT.
func parseUpstream(v string, inFunction bool) (*url.URL, error) {
	if v == "" && inFunction {
		v = DefaultAppURL
	}
	if v == "" {
		return nil, errors.New("required (the app's base URL, like http://127.0.0.1:8000)")
	}
	u, err := url.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("want an http:// or https:// URL, got %q", v)
	}
	if u.Opaque != "" || u.User != nil || strings.ContainsAny(v, "?#") {
		return nil, fmt.Errorf("want scheme://host[:port][/base/path] only, got %q", v)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("no host in %q", v)
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q is not a number from 1 to 65535 in %q", p, v)
		}
	}
	if err := checkBasePath(u); err != nil {
		return nil, err
	}
	if inFunction {
		h := u.Hostname()
		ip := net.ParseIP(h)
		if u.Scheme != "http" || u.Port() == "" || (h != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return nil, fmt.Errorf("with UPSTREAM_COMMAND, want a loopback http:// URL with a port, like %s, got %q", DefaultAppURL, v)
		}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// checkBasePath refuses a base path whose meaning depends on who decodes
// it: an encoded '/' or '\' (one segment to the proxy, two to the app) or a
// "." or ".." segment (which the app may or may not resolve).
func checkBasePath(u *url.URL) error {
	esc := strings.ToUpper(u.EscapedPath())
	if strings.Contains(esc, "%2F") || strings.Contains(esc, "%5C") {
		return fmt.Errorf("base path %q has an encoded slash or backslash", u.EscapedPath())
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("base path %q has a dot segment", u.Path)
		}
	}
	return nil
}
