package pathplan

import (
	"regexp"
	"slices"
	"strings"
)

// DefaultImmutablePattern matches the file names Django's
// ManifestStaticFilesStorage gives hashed copies: the original name with a
// dot and the first 12 lower-case hex digits of the content's MD5 inserted
// before the extension (the part from the last dot of the base name, as
// Python's os.path.splitext splits it), or appended when there is none. Such
// a file gets a new name whenever its content changes, so a cached copy is
// never stale and it never needs invalidating.
//
// It matches "admin/css/base.6b517d0d5813.css",
// "admin/js/vendor/jquery/jquery.min.2f7f8bb7c5ef.js", "base.6b517d0d5813.css"
// (no directory) and "LICENSE.6b517d0d5813" (no extension). It does not
// match 11 or 13 hex digits, upper-case hex, a hash that is the whole base
// name (".6b517d0d5813.css"), a hash in a directory name, or the manifest
// "staticfiles.json", which changes on every collectstatic run and must be
// invalidated. A file whose own name happens to have a dot and 12 hex digits
// before its extension is skipped too; a different pattern fixes that.
const DefaultImmutablePattern = `[^/]\.[0-9a-f]{12}(?:\.[^./]*)?$`

// MaxWildcards is the most wildcard paths CloudFront lets a distribution
// have in invalidations in progress; a plan never carries more.
const MaxWildcards = 15

// PricePerPath is what CloudFront charges, in US dollars, for each
// invalidation path past the free tier.
const PricePerPath = 0.005

// indexDocument is the file name that also stands for its directory.
const indexDocument = "index.html"

// Options configures [NewPlan].
type Options struct {
	// OriginPath is the origin path of the distribution's S3 origin. It is
	// removed from the front of each key, and keys outside it are ignored.
	// Leading and trailing slashes are optional: "/static", "static/" and
	// "static" are the same. Empty means the whole bucket.
	OriginPath string

	// Immutable matches the created keys (whole S3 keys, origin path
	// included) under StaticPrefix that are never invalidated. Nil turns
	// the check off. See [DefaultImmutablePattern] and
	// [Options.SkipsImmutable].
	Immutable *regexp.Regexp

	// StaticPrefix is the key prefix of the static files, where names
	// change with content (Django's STATICFILES_STORAGE location, such as
	// "static"); slashes around it are optional. Immutable applies only
	// under it: media uploads reuse names for new content. Empty means
	// every key is a static file.
	StaticPrefix string

	// MaxPaths is the most paths one invalidation may carry; beyond it, paths
	// are coalesced into wildcards. Values below 1 count as 1.
	MaxPaths int
}

// Plan is the invalidation planned for a set of changed keys.
type Plan struct {
	// Paths are the CloudFront invalidation paths: encoded, sorted,
	// without duplicates, at most Options.MaxPaths of them, of which at most
	// MaxWildcards end in the * wildcard. Nil when no key needs
	// invalidating.
	Paths []string

	// Keys counts the distinct keys considered.
	Keys int

	// Immutable counts the distinct keys skipped as immutable.
	Immutable int

	// Outside counts the distinct keys skipped as outside the origin path.
	Outside int
}

// Cost returns the estimated price of the plan in US dollars at
// [PricePerPath] for each path; a wildcard path is one path. It is the
// marginal price: the first 1,000 paths each month are free for the whole
// AWS account, so a plan within the free tier costs nothing in fact.
func (p Plan) Cost() float64 {
	return float64(len(p.Paths)) * PricePerPath
}

// NewPlan plans one invalidation covering the objects of created and
// removed: decoded S3 keys (see [DecodeKey]), which may repeat; a key in
// both lists counts as removed. Each distinct key is counted in Plan.Keys
// and then skipped as Outside, skipped as Immutable (a created key only),
// or invalidated: its object is covered (see [Covers]) by Plan.Paths, at
// most o.MaxPaths (at least 1) paths with at most [MaxWildcards] wildcards.
// The package doc gives the rules and the reasons for them.
func NewPlan(created, removed []string, o Options) Plan {
	var p Plan
	seen := make(map[string]bool, len(created)+len(removed))
	var targets []target
	for i, k := range slices.Concat(removed, created) {
		if seen[k] {
			continue
		}
		seen[k] = true
		p.Keys++
		path, ok := o.ObjectPath(k)
		switch {
		case !ok:
			p.Outside++
		case i >= len(removed) && o.SkipsImmutable(k):
			p.Immutable++
		default:
			targets = appendTargets(targets, path)
		}
	}
	p.Paths = coalesce(targets, max(o.MaxPaths, 1))
	return p
}

// SkipsImmutable reports whether a created object with key needs no
// invalidation: it is under o.StaticPrefix and matches o.Immutable.
func (o Options) SkipsImmutable(key string) bool {
	if o.Immutable == nil {
		return false
	}
	if prefix := strings.Trim(o.StaticPrefix, "/"); prefix != "" && !strings.HasPrefix(key, prefix+"/") {
		return false
	}
	if o.Immutable.String() == DefaultImmutablePattern {
		// No part of the default pattern matches '/', and it ends at the
		// key's end: it can only match within the last segment, so it is
		// matched against that alone. Unanchored, the regexp would try
		// every position of the key (about a hundred times slower on a
		// deep key).
		key = key[strings.LastIndexByte(key, '/')+1:]
	}
	return o.Immutable.MatchString(key)
}

// A target is one thing to invalidate, unencoded: the object at prefix, or,
// with wildcard set, every object whose path starts with prefix.
type target struct {
	prefix   string
	wildcard bool
}

// String returns the target as an encoded invalidation path.
func (t target) String() string {
	if t.wildcard {
		return encode(t.prefix) + "*"
	}
	return encode(t.prefix)
}

// appendTargets appends the targets that invalidate the object at path.
func appendTargets(ts []target, path string) []target {
	ts = append(ts, fit(path))
	if dir := dirOf(path); path[len(dir):] == indexDocument {
		ts = append(ts, fit(dir))
		if dir != "/" {
			ts = append(ts, fit(strings.TrimSuffix(dir, "/")))
		}
	}
	return ts
}

// fit returns the target for the object at path, within CloudFront's rules:
// a path with '*' becomes a wildcard ending before its first '*', and a path
// too long for CloudFront becomes the wildcard of its deepest directory
// short enough.
func fit(path string) target {
	t := target{prefix: path}
	if i := strings.IndexByte(path, '*'); i >= 0 {
		t = target{prefix: path[:i], wildcard: true}
	}
	if encodedLen(t.prefix) <= MaxPathLength-boolInt(t.wildcard) {
		return t
	}
	dir := dirOf(t.prefix)
	for encodedLen(dir)+1 > MaxPathLength {
		dir = dirOf(dir[:len(dir)-1])
	}
	return target{prefix: dir, wildcard: true}
}

// boolInt returns 1 for true and 0 for false.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// coalesce returns the encoded, sorted paths of at most budget paths, at
// most MaxWildcards of them wildcards, that cover all targets, choosing
// wildcards as the package doc describes (“Choosing wildcards”).
func coalesce(targets []target, budget int) []string {
	return coalesceWithin(targets, budget, MaxWildcards)
}

// coalesceWithin is coalesce with limit in place of MaxWildcards, so that
// tests can search small trees exhaustively against a small limit.
func coalesceWithin(targets []target, budget, limit int) []string {
	ts := minimal(targets)
	if len(ts) > budget || wildcards(ts) > limit {
		ts = plan(ts, budget, limit)
	}
	if len(ts) == 0 {
		return nil
	}
	paths := make([]string, len(ts))
	for i, t := range ts {
		paths[i] = t.String()
	}
	slices.Sort(paths)
	return paths
}

// wildcards returns how many of ts are wildcards.
func wildcards(ts []target) int {
	n := 0
	for _, t := range ts {
		n += boolInt(t.wildcard)
	}
	return n
}

// minimal returns the targets without duplicates and without those covered
// by a wildcard among them, sorted by prefix.
func minimal(ts []target) []target {
	ts = slices.Clone(ts)
	// Sorted by prefix, everything a wildcard covers follows it directly;
	// for equal prefixes the wildcard comes first.
	slices.SortFunc(ts, func(a, b target) int {
		if c := strings.Compare(a.prefix, b.prefix); c != 0 {
			return c
		}
		return boolInt(b.wildcard) - boolInt(a.wildcard)
	})
	out := ts[:0]
	var cover target // the last wildcard kept, if cover.wildcard
	for _, t := range ts {
		if cover.wildcard && strings.HasPrefix(t.prefix, cover.prefix) {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == t {
			continue
		}
		out = append(out, t)
		cover = t
	}
	return out
}
