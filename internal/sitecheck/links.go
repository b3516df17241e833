package sitecheck

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Links found in a response body: attribute values (href, src, action,
// srcset's first URL, an absolute URL in content) and, for JSON APIs,
// absolute URLs in strings. HTML parsing proper is not needed: the checker
// only asks which hosts and schemes the app writes into links, and which
// same-site pages and static files it links to. A relative content value
// is no link: it is the words of a <meta> tag ("width=device-width,").
var (
	attrURL     = regexp.MustCompile(`(?i)\b(href|src|action|content|srcset)\s*=\s*["']\s*([^"'\s<>]+)`)
	absoluteURL = regexp.MustCompile(`(?i)\bhttps?:(?:\\?/){2}(?:[^\s"'<>\\]|\\/)+`)
)

// maxLinks bounds the links taken from one body.
const maxLinks = 500

// Link is a URL found in a response body.
type Link struct {
	URL *url.URL
	// Absolute is true when the body wrote the scheme and host out
	// ("https://example.com/x", not "/x"): such links show what Django thinks
	// the site's scheme and host are (build_absolute_uri(), STATIC_URL).
	Absolute bool
	// ProtocolRelative is true when the body wrote the host but not the
	// scheme ("//example.com/x"), which the browser takes from the page:
	// such links show the host Django thinks the site has, not the scheme.
	ProtocolRelative bool
	// Form is true when the URL is a form's action, a target for POST that
	// is never fetched as a page.
	Form bool
}

// Links returns the http and https URLs the body of a response to base
// links to, resolved against base as a browser does (resolveLink), without
// fragments, deduplicated, in order of appearance, at most maxLinks.
// JSON's escaped slashes ("https:\/\/") and HTML's &amp; are undone.
func Links(base *url.URL, body []byte) []Link {
	var out []Link
	seen := map[string]bool{}
	add := func(raw string, attr string) {
		if len(out) >= maxLinks {
			return
		}
		raw = strings.ReplaceAll(strings.ReplaceAll(raw, `\/`, "/"), "&amp;", "&")
		u, kind, err := resolveLink(base, raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (attr == "content" && kind == relativeRef) {
			return
		}
		u.Fragment, u.RawFragment = "", ""
		key := u.String()
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Link{URL: u, Absolute: kind == absoluteRef, ProtocolRelative: kind == hostRef, Form: attr == "action"})
	}
	for _, m := range attrURL.FindAllSubmatch(body, -1) {
		add(string(m[2]), strings.ToLower(string(m[1])))
	}
	for _, m := range absoluteURL.FindAll(body, -1) {
		add(strings.TrimRight(string(m), ".,;)"), "")
	}
	return out
}

// refKind is what a link writes out of its URL.
type refKind int

const (
	relativeRef refKind = iota // a path or a query: the page's scheme and host ("/x", "https:/x" on an https page)
	hostRef                    // the host, the page's scheme ("//example.com/x")
	absoluteRef                // the scheme and the host ("https://example.com/x"), or another scheme
)

// schemePrefix matches a URL's scheme and its colon (RFC 3986 §3.1).
var schemePrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// resolveLink returns the URL raw, a link (or a Location) on the page at
// base, takes a browser to, and what it writes out. Browsers follow the URL
// Standard (https://url.spec.whatwg.org/#url-parsing), not RFC 3986, for
// http and https: a backslash is a slash (before the query); two or more
// slashes start the host ("//h", "///h", "/\h"); "http:h" and "http:/h"
// name a host too, unless the scheme is the page's: "https:/x" on an https
// page is the path "/x".
func resolveLink(base *url.URL, raw string) (*url.URL, refKind, error) {
	ref, kind := raw, relativeRef
	if scheme := schemePrefix.FindString(raw); scheme != "" {
		name, rest := strings.ToLower(strings.TrimSuffix(scheme, ":")), raw[len(scheme):]
		switch {
		case name != "http" && name != "https":
			return nil, absoluteRef, fmt.Errorf("link %q: not http or https", raw)
		case name == base.Scheme && !twoSlashes(rest):
			ref = rest
			if schemePrefix.MatchString(rest) {
				ref = "./" + rest // a path whose first segment has a colon
			}
		default:
			ref, kind = name+"://"+strings.TrimLeft(rest, `/\`), absoluteRef
		}
	} else if twoSlashes(raw) {
		ref, kind = "//"+strings.TrimLeft(raw, `/\`), hostRef
	}
	end := strings.IndexAny(ref, "?#")
	if end < 0 {
		end = len(ref)
	}
	u, err := base.Parse(strings.ReplaceAll(ref[:end], `\`, "/") + ref[end:])
	return u, kind, err
}

// twoSlashes reports whether s starts with two slashes, either way.
func twoSlashes(s string) bool {
	return len(s) >= 2 && (s[0] == '/' || s[0] == '\\') && (s[1] == '/' || s[1] == '\\')
}
