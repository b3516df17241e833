package pathplan

import (
	"fmt"
	"net/url"
	"strings"
)

// MaxPathLength is the longest invalidation path CloudFront accepts, counted
// in characters of the encoded path.
const MaxPathLength = 4000

// DecodeKey decodes an object key as it appears in an S3 event notification.
// S3 encodes keys with query semantics: '+' stands for a space and other
// bytes may be percent-encoded; some emulators (moto) also encode '/' as %2F,
// which decodes to '/' here like any other escape. A '%' that does not start
// a valid escape is an error.
//
// See https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
func DecodeKey(raw string) (string, error) {
	key, err := url.QueryUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("decode s3 key %q: %w", raw, err)
	}
	return key, nil
}

// ObjectPath returns the CloudFront object path, unencoded, that serves key:
// "/" followed by the key without the origin path. It reports false for a key
// outside the origin path, which the distribution never serves, and for the
// empty key, which names no object.
//
// With OriginPath "/static", the key "static/css/app.css" has the path
// "/css/app.css", the directory marker "static/" has the path "/", and the
// keys "static" and "media/x.png" are outside.
func (o Options) ObjectPath(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	origin := strings.Trim(o.OriginPath, "/")
	if origin == "" {
		return "/" + key, true
	}
	rest, ok := strings.CutPrefix(key, origin+"/")
	if !ok {
		return "", false
	}
	return "/" + rest, true
}

// Covers reports whether an object is covered by one of paths, the encoded
// invalidation paths of a [Plan]: whether a path equals the object's encoded
// path, or ends with the * wildcard and the object's encoded path starts with
// the rest of it.
//
// objectPath is the unencoded form returned by [Options.ObjectPath] ("/" +
// key without the origin path); Covers encodes it the way [NewPlan] encodes
// paths. Passing an already encoded path would encode its '%' a second time.
func Covers(paths []string, objectPath string) bool {
	enc := encode(objectPath)
	for _, p := range paths {
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(enc, prefix) {
				return true
			}
		} else if p == enc {
			return true
		}
	}
	return false
}

// escaped reports whether b must be percent-encoded in an invalidation path:
// control characters, space, DEL and non-ASCII bytes, the characters RFC 1738
// section 2.2 calls unsafe ("<>\"#%{}|\\^~[]`), and '?', which RFC 1738
// section 3.3 reserves in HTTP paths and CloudFront reads as the start of a
// query string. Everything else, '*' included, stays as it is.
func escaped(b byte) bool {
	if b <= ' ' || b >= 0x7f {
		return true
	}
	return strings.IndexByte(`<>"#%{}|\^~[]`+"`?", b) >= 0
}

// encode percent-encodes s byte by byte (non-ASCII characters as their UTF-8
// bytes) with upper-case hex digits. Encoding is injective and keeps prefixes:
// encode(a+b) == encode(a)+encode(b).
func encode(s string) string {
	n := encodedLen(s)
	if n == len(s) {
		return s
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if escaped(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// encodedLen returns len(encode(s)) without building it.
func encodedLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		if escaped(s[i]) {
			n += 2
		}
	}
	return n
}

// dirOf returns the directory of an unencoded path: everything up to and
// including its last '/'. The directory of "/a/b" and of "/a/" is "/a/".
func dirOf(p string) string {
	return p[:strings.LastIndexByte(p, '/')+1]
}

// depth returns how many directories deep dir is: 0 for "/", 1 for "/a/".
func depth(dir string) int {
	return strings.Count(dir, "/") - 1
}

// ValidatePath checks an encoded invalidation path against CloudFront's
// rules: a leading '/', at most [MaxPathLength] characters, '*' only as the
// last character, and every byte that must be percent-encoded encoded (a
// '%' starts an escape of two upper- or lower-case hex digits). Every path
// of a [Plan] passes; callers check paths before sending them anyway, so
// that a bad one is caught before CloudFront refuses the whole request.
func ValidatePath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("invalidation path %.80q does not start with '/'", p)
	case len(p) > MaxPathLength:
		return fmt.Errorf("invalidation path %.80q… is %d characters long, more than CloudFront's %d", p, len(p), MaxPathLength)
	}
	if i := strings.IndexByte(p, '*'); i >= 0 && i != len(p)-1 {
		return fmt.Errorf("invalidation path %.80q has '*' before its end", p)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '%' {
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return fmt.Errorf("invalidation path %.80q: '%%' at %d does not start an escape", p, i)
			}
			i += 2
			continue
		}
		if escaped(c) {
			return fmt.Errorf("invalidation path %.80q: byte %q at %d must be percent-encoded", p, c, i)
		}
	}
	return nil
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
