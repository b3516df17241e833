package dispatch

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// What a log line keeps of a management invocation's arguments.
const (
	maxLoggedArgs = 64  // arguments; the rest are counted
	maxLoggedArg  = 256 // bytes of one argument; the rest are counted
	masked        = "***"
)

// urlPassword matches the password of a URL's user information
// (postgres://user:PASSWORD@host), anywhere in an argument. The password
// ends at the last @ before the host ends, as Python's urlsplit reads it
// (postgres://u:p@ss@h is the password p@ss at h).
var urlPassword = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*):[^@\s]*(?:@[^@/?#\s]*)*@`)

// queryParam matches a parameter of a URL's query (?sslmode=x&password=y),
// anywhere in an argument: libpq and the database URL parsers take a
// password there too.
var queryParam = regexp.MustCompile(`([?&])([^=&#\s]+)=([^&#\s]*)`)

// maskURL returns arg with the passwords of its URLs, in their user
// information or a query parameter with a secret name, replaced by masked.
func maskURL(arg string) string {
	arg = urlPassword.ReplaceAllString(arg, "$1:"+masked+"@")
	if !strings.Contains(arg, "://") {
		return arg
	}
	return queryParam.ReplaceAllStringFunc(arg, func(p string) string {
		name, _, _ := strings.Cut(p[1:], "=")
		if !secretName(name) {
			return p
		}
		return p[:1] + name + "=" + masked
	})
}

// negativeNumber is what argparse takes for a negative number, not an
// option, and so for an option's value (its _negative_number_matcher).
var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// assignment is NAME=VALUE with a variable-like NAME.
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*=`)

// maskArgs returns args as a log line shows them: the value of an option or
// NAME=VALUE whose name looks secret (--password=x, --api-key x,
// DB_PASSWORD=x) and the password of any URL (maskURL) replaced by ***, each argument
// cut at maxLoggedArg bytes and the list at maxLoggedArgs. Free text (the
// code of shell -c, say) is shown as given but for its URLs' passwords.
func maskArgs(args []string) []string {
	out := make([]string, 0, min(len(args), maxLoggedArgs+1))
	valueIsSecret := false // the previous argument was a secret option without =VALUE
	for i, arg := range args {
		if i == maxLoggedArgs {
			out = append(out, fmt.Sprintf("…[%d more arguments]", len(args)-i))
			break
		}
		shown := maskURL(arg)
		name, _, hasValue := strings.Cut(arg, "=")
		isOption := strings.HasPrefix(arg, "-") && !negativeNumber.MatchString(arg)
		switch {
		case valueIsSecret && !isOption:
			shown = masked
		case hasValue && (isOption || assignment.MatchString(arg)) && secretName(name):
			shown = name + "=" + masked
		}
		valueIsSecret = isOption && !hasValue && secretName(name)
		out = append(out, clip(shown, maxLoggedArg))
	}
	return out
}

// secretWords are the words of a name that make its value a secret.
var secretWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "passphrase": true, "secret": true,
	"token": true, "key": true, "apikey": true, "credential": true, "credentials": true, "auth": true,
	"authorization": true, "cookie": true,
}

// secretFragments make a name secret wherever they appear in it, once its
// separators are removed (DATABASEPASSWORD, awsSecretAccessKey).
var secretFragments = []string{"password", "passwd", "secret", "token", "apikey", "accesskey", "privatekey", "credential"}

// abbreviated are the secret words whose abbreviation (minAbbrev letters
// or more) ending a long option argparse takes for the option: --passw
// for --password.
var abbreviated = []string{"password", "passphrase", "secret", "token", "credential"}

// minAbbrev is the shortest abbreviation of a secret word taken as one.
const minAbbrev = 4

// secretName reports whether an option or variable name (leading dashes
// allowed) names a secret, or is a long option abbreviating a secret word.
func secretName(name string) bool {
	long := strings.HasPrefix(name, "--")
	name = strings.ToLower(strings.TrimLeft(name, "-"))
	words := strings.FieldsFunc(name, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') })
	for _, w := range words {
		if secretWords[w] {
			return true
		}
	}
	if last := len(words) - 1; long && last >= 0 && len(words[last]) >= minAbbrev {
		for _, w := range abbreviated {
			if strings.HasPrefix(w, words[last]) {
				return true
			}
		}
	}
	joined := strings.Join(words, "")
	for _, f := range secretFragments {
		if strings.Contains(joined, f) {
			return true
		}
	}
	return false
}

// clip returns s cut to at most n bytes at a character boundary, saying
// how many bytes were left out.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[%d more bytes]", len(s)-cut)
}
