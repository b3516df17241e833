package hostforward

import "strings"

// privateCacheControl returns the Cache-Control for a response that sets a
// cookie, and whether it differs from cc. With cookies forwarded, CloudFront
// stores Set-Cookie along with a cacheable object and replays it to every
// viewer; a response that keeps shared caches from storing it (an
// unqualified private, or no-store) is left as it is. Otherwise the result
// is "private" followed by the app's directives that still mean something
// to the browser's private cache: public, s-maxage, proxy-revalidate and a
// qualified private="…" (which lets shared caches store the rest) are
// dropped. no-cache alone is not enough: a shared cache may store such a
// response and, after a 304 revalidation, replay its Set-Cookie (RFC 9111
// §5.2.2.4, against §5.2.2.5 no-store and §5.2.2.7 private).
func privateCacheControl(cc string) (string, bool) {
	dirs := directives(cc)
	for _, d := range dirs {
		switch name, qualified := directiveName(d); name {
		case "private":
			if !qualified {
				return cc, false
			}
		case "no-store":
			return cc, false
		}
	}
	out := make([]string, 1, len(dirs)+1)
	out[0] = "private"
	for _, d := range dirs {
		switch name, _ := directiveName(d); name {
		case "public", "s-maxage", "proxy-revalidate", "private":
			continue
		}
		out = append(out, d)
	}
	return strings.Join(out, ", "), true
}

// directives splits a Cache-Control value into its trimmed, non-empty
// directives, at commas outside quoted strings (RFC 9110 §5.6.1, §5.6.4).
func directives(cc string) []string {
	var dirs []string
	start, quoted := 0, false
	add := func(end int) {
		if d := strings.TrimSpace(cc[start:end]); d != "" {
			dirs = append(dirs, d)
		}
		start = end + 1
	}
	for i := 0; i < len(cc); i++ {
		switch c := cc[i]; {
		case quoted && c == '\\':
			i++ // skip the escaped byte
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			add(i)
		}
	}
	add(len(cc))
	return dirs
}

// directiveName returns a directive's lowercase name and whether it has an
// argument ("private" versus `private="Set-Cookie"`).
func directiveName(d string) (name string, hasArg bool) {
	name, _, hasArg = strings.Cut(d, "=")
	return strings.ToLower(strings.TrimSpace(name)), hasArg
}
