package hostforward

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// DefaultUpstreamTimeout is UPSTREAM_TIMEOUT's default: below API Gateway's
// fixed 30-second integration timeout, so the app's slowness becomes a 504
// from this function rather than a bare 503 from API Gateway.
const DefaultUpstreamTimeout = 25 * time.Second

// Config is the function's configuration, read once at cold start.
type Config struct {
	// Upstream is the app's base URL (UPSTREAM_URL); its path, if any, is
	// prefixed to every request path.
	Upstream *url.URL
	// AllowedHosts are the viewer hosts the app serves (ALLOWED_HOSTS).
	AllowedHosts AllowedHosts
	// Secrets are the accepted X-Origin-Verify values
	// (ORIGIN_VERIFY_SECRETS); empty turns the check off.
	Secrets []string
	// Timeout bounds each upstream request (UPSTREAM_TIMEOUT).
	Timeout time.Duration
	// RemoveBasePath is removed once from the front of each request path
	// (REMOVE_BASE_PATH), for example a named API Gateway stage.
	RemoveBasePath string
}

// ConfigFromEnv reads and validates the configuration through getenv (for
// example os.Getenv). Every error names the variable at fault.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	bad := func(name string, err error) { errs = append(errs, fmt.Errorf("%s: %w", name, err)) }

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

	if v := getenv("ORIGIN_VERIFY_SECRETS"); v != "" {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				bad("ORIGIN_VERIFY_SECRETS", errors.New("empty secret in list"))
				break
			}
			c.Secrets = append(c.Secrets, s)
		}
	}

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
		p := "/" + strings.Trim(v, "/")
		if p == "/" || strings.ContainsAny(p, "?#%") {
			bad("REMOVE_BASE_PATH", fmt.Errorf("want a path prefix like /prod, got %q", v))
		} else {
			c.RemoveBasePath = p
		}
	}
	return c, errors.Join(errs...)
}

// DefaultAppURL is UPSTREAM_URL's default when UPSTREAM_COMMAND runs the app
// inside the function.
const DefaultAppURL = "http://127.0.0.1:8000"

// parseUpstream checks UPSTREAM_URL. With inFunction (UPSTREAM_COMMAND set)
// it defaults to DefaultAppURL and must be a loopback http:// URL with a
// port: the app's PORT.
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
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("want scheme://host[:port][/base/path] only, got %q", v)
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
