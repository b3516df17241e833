package sitecheck

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// STS is a parsed Strict-Transport-Security header (RFC 6797 §6.1).
type STS struct {
	MaxAge            int64 // seconds
	IncludeSubDomains bool
	Preload           bool
}

// MinHSTSMaxAge is the shortest max-age the hsts check accepts: 180 days,
// the floor common scanners use (browsers' preload lists want a year).
const MinHSTSMaxAge = 180 * 24 * 60 * 60

// ParseSTS parses a Strict-Transport-Security value. As RFC 6797 says, a
// header without exactly one valid max-age, or with a directive twice, is
// invalid (a browser ignores it).
func ParseSTS(value string) (STS, error) {
	var sts STS
	seen := map[string]bool{}
	haveMaxAge := false
	for d := range strings.SplitSeq(value, ";") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		name, val, hasVal := strings.Cut(d, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if seen[name] {
			return STS{}, fmt.Errorf("directive %q appears twice", name)
		}
		seen[name] = true
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		switch name {
		case "max-age":
			if !hasVal || val == "" {
				return STS{}, errors.New("max-age has no value")
			}
			for _, c := range val {
				if c < '0' || c > '9' {
					return STS{}, fmt.Errorf("max-age %q is not a number of seconds", val)
				}
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return STS{}, fmt.Errorf("max-age %q: %w", val, err)
			}
			sts.MaxAge, haveMaxAge = n, true
		case "includesubdomains":
			sts.IncludeSubDomains = true
		case "preload":
			sts.Preload = true
		}
	}
	if !haveMaxAge {
		return STS{}, errors.New("no max-age directive")
	}
	return sts, nil
}
