package hostforward

import (
	"fmt"
	"strconv"
	"strings"
)

// AllowedHosts matches request hosts the way Django's ALLOWED_HOSTS does:
// "www.example.com" matches exactly, ".example.com" matches the domain and
// every subdomain, "*" matches anything. Matching is case-insensitive, a
// trailing dot is ignored, and a port on the request host is not compared.
type AllowedHosts struct {
	any      bool
	patterns []string // lowercase, without trailing dot
}

// ParseAllowedHosts parses a comma-separated ALLOWED_HOSTS value. Empty
// entries are an error, as are entries with a scheme, path or port: they
// could never match and would hide a misconfiguration.
func ParseAllowedHosts(s string) (AllowedHosts, error) {
	var a AllowedHosts
	for _, raw := range strings.Split(s, ",") {
		p := strings.TrimSpace(raw)
		switch {
		case p == "":
			return AllowedHosts{}, fmt.Errorf("empty host in %q", s)
		case !isASCII(p):
			return AllowedHosts{}, fmt.Errorf("%q is not ASCII: write an internationalized name in its xn-- form", raw)
		case p == "*":
			a.any = true
			continue
		}
		domain, ok := splitHost(strings.TrimPrefix(p, "."))
		if !ok || len(domain) != len(strings.TrimSuffix(strings.TrimPrefix(p, "."), ".")) {
			return AllowedHosts{}, fmt.Errorf("%q is not a host name, [IPv6] or .domain pattern", raw)
		}
		a.patterns = append(a.patterns, strings.TrimSuffix(strings.ToLower(p), "."))
	}
	return a, nil
}

// Allows reports whether host (as sent in Host or X-Forwarded-Host, with an
// optional port) is syntactically valid and matches one of the patterns.
func (a AllowedHosts) Allows(host string) bool {
	domain, ok := splitHost(host)
	if !ok {
		return false
	}
	if a.any {
		return true
	}
	for _, p := range a.patterns {
		if domain == p || (p[0] == '.' && (strings.HasSuffix(domain, p) || domain == p[1:])) {
			return true
		}
	}
	return false
}

// FirstExact returns the first pattern that names one host (not "*" or a
// ".domain" pattern), lowercase, or "" if there is none.
func (a AllowedHosts) FirstExact() string {
	for _, p := range a.patterns {
		if p[0] != '.' {
			return p
		}
	}
	return ""
}

// splitHost validates host the way Django's split_domain_port and
// host_validation_re do and returns its lowercase domain without port or
// trailing dot. Bracketed IPv6 literals keep their brackets. A byte above
// 0x7F is refused before lowercasing, since Unicode case mapping folds some
// non-ASCII letters into ASCII ones (the Kelvin sign to "k", the dotted
// capital I to "i") and would let a look-alike host match.
func splitHost(host string) (domain string, ok bool) {
	if host == "" || len(host) > 255 || !isASCII(host) {
		return "", false
	}
	host = strings.ToLower(host)
	if host[0] == '[' {
		end := strings.IndexByte(host, ']')
		if end < 0 || !validPort(host[end+1:]) || !onlyChars(host[1:end], "0123456789abcdef:.") ||
			!strings.Contains(host[1:end], ":") {
			return "", false
		}
		return host[:end+1], true
	}
	domain, port, hasPort := strings.Cut(host, ":")
	if hasPort && !validPort(":"+port) {
		return "", false
	}
	domain = strings.TrimSuffix(domain, ".")
	if domain == "" || !onlyChars(domain, "abcdefghijklmnopqrstuvwxyz0123456789.-") {
		return "", false
	}
	return domain, true
}

// validPort reports whether s is empty or ":" followed by a port number
// from 1 to 65535.
func validPort(s string) bool {
	if s == "" {
		return true
	}
	if s[0] != ':' {
		return false
	}
	n, err := strconv.Atoi(s[1:])
	return err == nil && n >= 1 && n <= 65535 && onlyChars(s[1:], "0123456789")
}

// isASCII reports whether s has no byte above 0x7F.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// onlyChars reports whether every byte of s is one of set's (ASCII) bytes.
func onlyChars(s, set string) bool { return strings.Trim(s, set) == "" }
