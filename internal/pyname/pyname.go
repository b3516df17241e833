// Package pyname checks the Python names djfront writes into a user's
// project: a settings module (DJANGO_SETTINGS_MODULE) and a WSGI application
// (gunicorn's module:callable). They end up in a shell command
// (UPSTREAM_COMMAND) and in YAML, so only plain ASCII identifiers pass:
// no spaces, quotes, shell or YAML syntax, no relative or empty parts.
//
// See https://docs.python.org/3/reference/lexical_analysis.html#identifiers
// (djfront accepts the ASCII subset) and
// https://docs.gunicorn.org/en/stable/run.html (module:callable).
package pyname

import (
	"fmt"
	"slices"
	"strings"
)

// MaxLen bounds a dotted name; real ones are far shorter.
const MaxLen = 200

// keywords are Python 3.12's hard keywords, which no identifier may be
// (keyword.kwlist).
var keywords = []string{
	"False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
	"del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
	"lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
}

// Identifier reports whether s is an ASCII Python identifier that is not a
// keyword: a letter or underscore, then letters, digits and underscores.
func Identifier(s string) bool {
	if s == "" || slices.Contains(keywords, s) {
		return false
	}
	for i, c := range []byte(s) {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// CheckModule returns an error unless name is a dotted module path such as
// "mysite.settings": identifiers (Identifier) joined by single dots, at
// most MaxLen bytes. The error quotes name with Go's %q, so a hostile value
// prints no control characters.
func CheckModule(name string) error {
	if len(name) > MaxLen {
		return fmt.Errorf("module %.40q…: longer than %d characters", name, MaxLen)
	}
	for part := range strings.SplitSeq(name, ".") {
		if !Identifier(part) {
			return fmt.Errorf("module %q: not a dotted path of Python identifiers (ASCII letters, digits and _, like mysite.settings)", name)
		}
	}
	return nil
}

// WSGI is a WSGI application: a callable in a module.
type WSGI struct {
	Module   string // "mysite.wsgi"
	Callable string // "application"
}

// String returns w as gunicorn takes it, "mysite.wsgi:application".
func (w WSGI) String() string { return w.Module + ":" + w.Callable }

// Dotted returns w as Django's WSGI_APPLICATION and Lambda's Handler name
// it, "mysite.wsgi.application".
func (w WSGI) Dotted() string { return w.Module + "." + w.Callable }

// ParseWSGI reads a WSGI application written either as gunicorn's
// module:callable ("mysite.wsgi:application") or as Django's
// WSGI_APPLICATION, a dotted path whose last part is the callable
// ("mysite.wsgi.application"). Both parts must pass CheckModule and the
// callable must be one identifier.
func ParseWSGI(s string) (WSGI, error) {
	module, callable, colon := strings.Cut(s, ":")
	if !colon {
		i := strings.LastIndexByte(s, '.')
		if i < 0 {
			return WSGI{}, fmt.Errorf("WSGI application %q: want module:callable or a dotted path ending in the callable (mysite.wsgi.application)", s)
		}
		module, callable = s[:i], s[i+1:]
	}
	if err := CheckModule(module); err != nil {
		return WSGI{}, fmt.Errorf("WSGI application %q: %w", s, err)
	}
	if !Identifier(callable) {
		return WSGI{}, fmt.Errorf("WSGI application %q: callable %q is not a Python identifier", s, callable)
	}
	return WSGI{Module: module, Callable: callable}, nil
}
