package sitecheck

import (
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
	// Form is true when the URL is a form's action, a target for POST that
	// is never fetched as a page.
	Form bool
}

// Links returns the http and https URLs the body of a response to base
// links to, resolved against base, without fragments, deduplicated, in
// order of appearance, at most maxLinks. JSON's escaped slashes
// ("https:\/\/") and HTML's &amp; are undone.
func Links(base *url.URL, body []byte) []Link {
	var out []Link
	seen := map[string]bool{}
	add := func(raw string, form bool) {
		if len(out) >= maxLinks {
			return
		}
		raw = strings.ReplaceAll(strings.ReplaceAll(raw, `\/`, "/"), "&amp;", "&")
		u, err := base.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return
		}
		u.Fragment, u.RawFragment = "", ""
		key := u.String()
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Link{URL: u, Absolute: isAbsolute(raw), Form: form})
	}
	for _, m := range attrURL.FindAllSubmatch(body, -1) {
		attr, value := strings.ToLower(string(m[1])), string(m[2])
		if attr == "content" && !isAbsolute(value) {
			continue
		}
		add(value, attr == "action")
	}
	for _, m := range absoluteURL.FindAll(body, -1) {
		add(strings.TrimRight(string(m), ".,;)"), false)
	}
	return out
}

// isAbsolute reports whether a link names its scheme and host.
func isAbsolute(raw string) bool {
	lower := strings.ToLower(raw)
	return strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") ||
		strings.HasPrefix(lower, `http:\/\/`) || strings.HasPrefix(lower, `https:\/\/`)
}
