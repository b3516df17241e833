package localedge

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// repoDistribution reads the repository's template.yaml.
func repoDistribution(tb testing.TB) *Distribution {
	tb.Helper()
	d, err := ReadDistribution("../../../template.yaml", nil)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// FuzzTTL checks the expiration rules on any status, Cache-Control and
// Expires: never negative, never past MaxTTL or the error caching TTL,
// nothing for a status CloudFront does not cache, nothing for a 400 or 403
// without max-age or s-maxage or a 307 or 308 without Cache-Control, and
// MinTTL for a private answer.
func FuzzTTL(f *testing.F) {
	for _, s := range []struct {
		status  int
		cc, exp string
	}{
		{200, "max-age=60", ""}, {200, "private, max-age=60", ""}, {200, "s-maxage=-1, max-age=99999999999999", ""},
		{404, "no-store", ""}, {503, "no-store", ""}, {200, "", "Wed, 21 Oct 2099 07:28:00 GMT"}, {302, `max-age="30"`, "0"},
		{206, "max-age=1", ""}, {500, "max-age=600", ""}, {403, "", "Wed, 21 Oct 2099 07:28:00 GMT"}, {307, "", ""},
	} {
		f.Add(s.status, s.cc, s.exp)
	}
	d := repoDistribution(f)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, cc, exp string) {
		for _, b := range d.behaviors {
			h := http.Header{}
			if cc != "" {
				h.Set("Cache-Control", cc)
			}
			if exp != "" {
				h.Set("Expires", exp)
			}
			ttl := d.ttl(b, &response{status: status, header: h}, now)
			limit := b.cache.maxTTL
			for _, e := range d.errorTTL {
				limit = max(limit, e)
			}
			limit = max(limit, defaultErrorCachingTTL)
			if ttl < 0 || ttl > limit {
				t.Fatalf("%s: status %d, Cache-Control %q, Expires %q: ttl %v outside [0, %v]", b.pattern, status, cc, exp, ttl, limit)
			}
			cacheable := slices.Contains(cachedStatuses, status) || slices.Contains(cachedErrors, status)
			if !cacheable && ttl != 0 {
				t.Fatalf("status %d is not cached, got ttl %v", status, ttl)
			}
			cd := parseCacheControl(h.Values("Cache-Control"))
			if slices.Contains(errorsCachedWithMaxAge, status) && !cd.hasMaxAge && !cd.hasSMaxAge && ttl != 0 {
				t.Fatalf("status %d without max-age or s-maxage (%q): ttl %v, want 0", status, cc, ttl)
			}
			if slices.Contains(redirectsCachedWithCacheControl, status) && cc == "" && ttl != 0 {
				t.Fatalf("status %d without Cache-Control: ttl %v, want 0", status, ttl)
			}
			if slices.Contains(cachedStatuses, status) && (cd.private || cd.noStore || cd.noCache) && ttl != b.cache.minTTL {
				t.Fatalf("status %d, %q: ttl %v, want MinTTL %v", status, cc, ttl, b.cache.minTTL)
			}
		}
	})
}

// FuzzForward checks the origin request on any query string and Cookie
// header: query strings and cookies that reach the origin are the viewer's
// own, in the viewer's order, and the cache key tells different ones apart.
func FuzzForward(f *testing.F) {
	for _, s := range []struct{ query, cookie string }{
		{"a=1&b=2", "sessionid=x; csrftoken=y"}, {"q=a+b&q=c%2B&e=", "a=1;b"}, {"%zz=1&&;=", ";;="}, {"", ""},
	} {
		f.Add(s.query, s.cookie)
	}
	d := repoDistribution(f)
	f.Fuzz(func(t *testing.T, query, cookie string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/p", RawQuery: query}, Host: "www.example.com",
			Header: http.Header{"Cookie": {cookie}}, RemoteAddr: "192.0.2.1:1"}
		for _, b := range d.behaviors {
			fwd := b.forward(r, r.RemoteAddr, nil)
			if !subsequence(strings.Split(fwd.rawQuery, "&"), strings.Split(query, "&")) && fwd.rawQuery != "" {
				t.Fatalf("%s: query %q became %q", b.pattern, query, fwd.rawQuery)
			}
			if !subsequence(fwd.cookies, cookies([]string{cookie})) {
				t.Fatalf("%s: cookies %q became %q", b.pattern, cookie, fwd.cookies)
			}
			other := *r
			other.URL = &url.URL{Path: "/p", RawQuery: query + "&zz=1"}
			if b.cache.queries.behavior == "all" && b.forward(&other, r.RemoteAddr, nil).key == fwd.key {
				t.Fatalf("%s: one cache key for queries %q and %q", b.pattern, query, other.URL.RawQuery)
			}
		}
	})
}

// subsequence reports whether sub's elements appear in all, in order.
func subsequence(sub, all []string) bool {
	i := 0
	for _, s := range all {
		if i < len(sub) && sub[i] == s {
			i++
		}
	}
	return i == len(sub)
}
