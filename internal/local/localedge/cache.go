package localedge

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Cache limits: the stand-in keeps a bounded number of small objects.
const (
	maxCacheEntries = 4096
	maxCachedBody   = 10 << 20
)

// response is an origin's (or API Gateway's) answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// cachedErrors are the 4xx and 5xx statuses CloudFront caches, for their
// error caching minimum TTL (DeveloperGuide: HTTPStatusCodes).
var cachedErrors = []int{400, 403, 404, 405, 412, 414, 415, 500, 501, 502, 503, 504}

// errorsCachedWithMaxAge are the cachedErrors CloudFront caches only when
// the origin sends Cache-Control max-age or s-maxage (DeveloperGuide:
// HTTPStatusCodes, "HTTP 4xx status codes that CloudFront caches based on
// Cache-Control headers").
var errorsCachedWithMaxAge = []int{400, 403, 412, 415}

// redirectsCachedWithCacheControl are the cachedStatuses CloudFront caches
// only when the origin sends Cache-Control (DeveloperGuide:
// http-3xx-status-codes).
var redirectsCachedWithCacheControl = []int{307, 308}

// cachedStatuses are the other statuses the edge caches by the cache
// policy's TTLs.
var cachedStatuses = []int{200, 203, 204, 300, 301, 302, 307, 308, 410}

// directives is a parsed Cache-Control.
type directives struct {
	noStore, noCache, private bool
	maxAge, sMaxAge           time.Duration
	hasMaxAge, hasSMaxAge     bool
}

func parseCacheControl(values []string) directives {
	var d directives
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(part), "=")
			arg = strings.Trim(strings.TrimSpace(arg), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store":
				d.noStore = true
			case "no-cache":
				d.noCache = true
			case "private":
				d.private = true
			case "max-age":
				if n, err := strconv.Atoi(arg); err == nil && n >= 0 {
					d.maxAge, d.hasMaxAge = time.Duration(n)*time.Second, true
				}
			case "s-maxage":
				if n, err := strconv.Atoi(arg); err == nil && n >= 0 {
					d.sMaxAge, d.hasSMaxAge = time.Duration(n)*time.Second, true
				}
			}
		}
	}
	return d
}

// originTTL returns how long the origin asks a shared cache to keep a
// response: s-maxage, else max-age, else Expires; ok is false without any.
func originTTL(h http.Header, d directives, now time.Time) (time.Duration, bool) {
	switch {
	case d.hasSMaxAge:
		return d.sMaxAge, true
	case d.hasMaxAge:
		return d.maxAge, true
	}
	if e := h.Get("Expires"); e != "" {
		t, err := http.ParseTime(e)
		if err != nil || !t.After(now) {
			return 0, true // an invalid or past Expires: already stale
		}
		return t.Sub(now), true
	}
	return 0, false
}

// ttl returns how long CloudFront keeps resp under the behaviour's cache
// policy and the distribution's error caching, 0 for not at all
// (DeveloperGuide: Expiration, custom-error-pages-expiration):
//
//   - 4xx/5xx it caches: the origin's max-age, s-maxage or Expires (at most
//     MaxTTL) if longer than the error caching minimum TTL, else that TTL
//     (10 s unless CustomErrorResponses says otherwise); 400, 403, 412 and
//     415 only when the origin sends max-age or s-maxage; a 4xx or a 501
//     marked no-store, no-cache or private is not cached, the other 5xx
//     ignore those directives.
//   - other cacheable statuses: no-store, no-cache or private mean MinTTL
//     (so not cached when it is 0); s-maxage, max-age or Expires clamped to
//     [MinTTL, MaxTTL]; without them DefaultTTL; a 307 or 308 without
//     Cache-Control is not cached.
func (d *Distribution) ttl(b *behavior, resp *response, now time.Time) time.Duration {
	cc := parseCacheControl(resp.header.Values("Cache-Control"))
	c := b.cache
	if slices.Contains(cachedErrors, resp.status) {
		minTTL, ok := d.errorTTL[resp.status]
		if !ok {
			minTTL = defaultErrorCachingTTL
		}
		if slices.Contains(errorsCachedWithMaxAge, resp.status) && !cc.hasMaxAge && !cc.hasSMaxAge {
			return 0
		}
		if (cc.noStore || cc.noCache || cc.private) && (resp.status < 500 || resp.status == 501) {
			return 0
		}
		if v, ok := originTTL(resp.header, cc, now); ok {
			return max(min(v, c.maxTTL), minTTL)
		}
		return minTTL
	}
	if !slices.Contains(cachedStatuses, resp.status) {
		return 0
	}
	if slices.Contains(redirectsCachedWithCacheControl, resp.status) && len(resp.header.Values("Cache-Control")) == 0 {
		return 0
	}
	if cc.noStore || cc.noCache || cc.private {
		return c.minTTL
	}
	if v, ok := originTTL(resp.header, cc, now); ok {
		return min(max(v, c.minTTL), c.maxTTL)
	}
	return c.defaultTTL
}

// entry is a cached response.
type entry struct {
	resp    *response
	path    string // the request's escaped path, for invalidations
	stored  time.Time
	expires time.Time
}

// cache is the edge's cache: one per distribution, as for one edge
// location.
type cache struct {
	mu      sync.Mutex
	entries map[string]*entry
}

func (c *cache) get(key string, now time.Time) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		delete(c.entries, key)
		return nil
	}
	return e
}

func (c *cache) put(key string, e *entry) {
	if len(e.resp.body) > maxCachedBody {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*entry{}
	}
	if len(c.entries) >= maxCacheEntries {
		var oldest string
		for k, x := range c.entries {
			if !e.stored.Before(x.expires) {
				delete(c.entries, k)
				continue
			}
			if oldest == "" || x.stored.Before(c.entries[oldest].stored) {
				oldest = k
			}
		}
		if len(c.entries) >= maxCacheEntries {
			delete(c.entries, oldest)
		}
	}
	c.entries[key] = e
}

// invalidate removes the entries of the paths: exact paths, or a prefix
// ending in * (CloudFront invalidation paths).
func (c *cache) invalidate(paths []string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, e := range c.entries {
		for _, p := range paths {
			prefix, wild := strings.CutSuffix(p, "*")
			if e.path == p || (wild && strings.HasPrefix(e.path, prefix)) {
				delete(c.entries, k)
				n++
				break
			}
		}
	}
	return n
}
