package pathplan_test

import (
	"math/rand/v2"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/pathplan"
)

// pathByte reports whether b may appear as itself in an invalidation path:
// printable ASCII except RFC 1738's unsafe characters and '?'.
func pathByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		strings.IndexByte("-_.!$&'()*+,/:;=@", b) >= 0
}

var escape = regexp.MustCompile(`^%[0-9A-F]{2}`)

// checkPlan checks the invariants of a plan p for the created and removed
// keys under o: at most MaxPaths valid, sorted, distinct paths, at most
// MaxWildcards of them wildcards, that cover every kept key (and the
// directory of every kept index.html) — every removed key inside the origin
// path among them — and consistent counts.
func checkPlan(tb testing.TB, created, removed []string, o pathplan.Options, p pathplan.Plan) {
	tb.Helper()
	keys := slices.Concat(created, removed)
	if budget := max(o.MaxPaths, 1); len(p.Paths) > budget {
		tb.Errorf("len(Paths) = %d, want <= %d", len(p.Paths), budget)
	}
	if !slices.IsSorted(p.Paths) || len(slices.Compact(slices.Clone(p.Paths))) != len(p.Paths) {
		tb.Errorf("Paths = %q, want sorted and distinct", p.Paths)
	}
	wildcards := checkPaths(tb, p.Paths)
	if wildcards > pathplan.MaxWildcards {
		tb.Errorf("Paths = %q: %d wildcards, want at most %d", p.Paths, wildcards, pathplan.MaxWildcards)
	}

	distinct := slices.Compact(slices.Sorted(slices.Values(keys)))
	kept, stars := checkCovered(tb, distinct, removed, o, p.Paths)
	if p.Keys != len(distinct) || p.Keys != kept+p.Immutable+p.Outside {
		tb.Errorf("Keys = %d, Immutable = %d, Outside = %d; want Keys = %d = %d kept + Immutable + Outside",
			p.Keys, p.Immutable, p.Outside, len(distinct), kept)
	}
	if kept == 0 && len(p.Paths) != 0 {
		tb.Errorf("Paths = %q for no kept key, want none", p.Paths)
	}
	// No wildcard that nothing asks for: 3*kept bounds the exact paths.
	if !stars && 3*kept <= max(o.MaxPaths, 1) && wildcards > 0 && !slices.ContainsFunc(keys, isLong) {
		tb.Errorf("Paths = %q: wildcards for %d kept keys within budget %d", p.Paths, kept, o.MaxPaths)
	}
}

// checkPaths checks each of paths against CloudFront's rules — '*' only
// last, a leading '/', at most MaxPathLength characters, every byte that
// needs it encoded — and ValidatePath, and returns how many are wildcards.
func checkPaths(tb testing.TB, paths []string) (wildcards int) {
	tb.Helper()
	for _, s := range paths {
		switch i := strings.IndexByte(s, '*'); {
		case i == len(s)-1:
			wildcards++
		case i >= 0:
			tb.Errorf("path %q has '*' before its end", s)
		}
		if err := pathplan.ValidatePath(s); err != nil {
			tb.Errorf("planned path fails ValidatePath: %v", err)
		}
		if !strings.HasPrefix(s, "/") || len(s) > pathplan.MaxPathLength {
			tb.Errorf("path %.80q: want a leading '/' and at most %d characters, got %d", s, pathplan.MaxPathLength, len(s))
		}
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && escape.MatchString(s[i:]) {
				i += 2
			} else if !pathByte(s[i]) {
				tb.Errorf("path %q: byte %q at %d is not encoded", s, s[i], i)
			}
		}
	}
	return wildcards
}

// checkCovered checks that paths cover the object of every distinct key
// that o keeps (a removed one, or a created one not immutable, inside the
// origin path) and the directory of every kept index.html. It returns how
// many keys were kept and whether one of them contains '*'.
func checkCovered(tb testing.TB, distinct, removed []string, o pathplan.Options, paths []string) (kept int, stars bool) {
	tb.Helper()
	for _, k := range distinct {
		obj, ok := o.ObjectPath(k)
		if !ok || !slices.Contains(removed, k) && o.SkipsImmutable(k) {
			continue
		}
		kept++
		stars = stars || strings.Contains(k, "*")
		objects := []string{obj}
		if dir, base := path.Split(obj); base == "index.html" {
			objects = append(objects, dir, strings.TrimSuffix(dir, "/"))
		}
		for _, obj := range objects {
			if obj != "" && !pathplan.Covers(paths, obj) {
				tb.Errorf("key %q: object %q is not covered by %q", k, obj, paths)
			}
		}
	}
	return kept, stars
}

// isLong reports whether key may be too long for an exact path.
func isLong(key string) bool { return len(key) > pathplan.MaxPathLength/3-2 }

// randomKeys returns up to n keys drawn from a small tree of names so that
// directories repeat, with hashed names, index.html, stars, markers, unsafe
// and non-ASCII characters mixed in.
func randomKeys(r *rand.Rand, n int) []string {
	dirs := []string{"static", "admin", "css", "js", "img", "vendor", "a", "b", "ü", "x y", "Static"}
	names := []string{"base.css", "app.js", "index.html", "logo.svg", "staticfiles.json",
		"base.6b517d0d5813.css", "a*b.css", "q?.txt", "100%.css", "~tilde", "é.png", ""}
	keys := make([]string, r.IntN(n+1))
	for i := range keys {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(dirs[r.IntN(len(dirs))])
			b.WriteByte('/')
		}
		b.WriteString(names[r.IntN(len(names))])
		keys[i] = b.String()
	}
	return keys
}

// staticPrefixes are the StaticPrefix values the property tests and the
// fuzzer draw from.
var staticPrefixes = []string{"", "static", "/static/", "a"}

// TestNewPlanProperties checks the plan invariants on random key sets.
func TestNewPlanProperties(t *testing.T) {
	origins := []string{"", "/static", "static/", "media"}
	budgets := []int{0, 1, 2, 3, 5, 15, 16, 100, 3000}
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 1))
		keys := randomKeys(r, 120)
		removed := randomKeys(r, 10)
		o := pathplan.Options{
			OriginPath:   origins[r.IntN(len(origins))],
			MaxPaths:     budgets[r.IntN(len(budgets))],
			StaticPrefix: staticPrefixes[r.IntN(len(staticPrefixes))],
		}
		if r.IntN(2) == 0 {
			o.Immutable = immutable
		}
		checkPlan(t, keys, removed, o, pathplan.NewPlan(keys, removed, o))
		if t.Failed() {
			t.Fatalf("seed %d: keys %q, removed %q, options %+v", seed, keys, removed, o)
		}
	}
}

// smallTree returns n random keys up to three directories deep in a tree
// of a/ and b/, each named one of names: small enough to search every set
// of directory wildcards.
func smallTree(r *rand.Rand, n int, names ...string) []string {
	keys := make([]string, n)
	for i := range keys {
		var b strings.Builder
		for range r.IntN(4) {
			b.WriteString([]string{"a/", "b/"}[r.IntN(2)])
		}
		b.WriteString(names[r.IntN(len(names))])
		keys[i] = b.String()
	}
	return keys
}

// TestNewPlanOptimal compares NewPlan with an exhaustive search over all
// sets of directory wildcards on small random trees: the plan must use as
// few paths as the best set, with wildcards no shallower — fewest at depth
// 0, then at depth 1, and so on. The planner decides a depth at a time and
// is not always that good on larger trees (see the package doc); on trees
// this small it is, for these seeds and thousands more, so a difference
// here means the choice got worse.
func TestNewPlanOptimal(t *testing.T) {
	searched := 0
	for seed := range uint64(200) {
		r := rand.New(rand.NewPCG(seed, 2))
		keys := smallTree(r, 2+r.IntN(7), "x", "y")
		budget := 1 + r.IntN(4)
		p := pathplan.NewPlan(keys, nil, pathplan.Options{MaxPaths: budget})
		wantCost, wantPaths := bestCover(keys, budget, pathplan.MaxWildcards)
		if wantPaths < 0 {
			continue // too many directories to search
		}
		searched++
		if got := depthCounts(p.Paths); compareDepths(got, wantCost) != 0 || len(p.Paths) != wantPaths {
			t.Errorf("seed %d: NewPlan(%q, budget %d) = %q (wildcard depths %v), want %d paths with wildcard depths %v",
				seed, keys, budget, p.Paths, got, wantPaths, wantCost)
		}
	}
	if searched < 150 {
		t.Errorf("searched %d of 200 random trees, want at least 150", searched)
	}
}

// TestNewPlanOptimalWithinWildcards is TestNewPlanOptimal with a wildcard
// limit below the budget, as MAX_PATHS above CloudFront's 15 wildcards
// has it: the plan must be the best cover with at most that many
// wildcards, not one planned again with the limit as its whole budget
// (issue 10, item 11).
func TestNewPlanOptimalWithinWildcards(t *testing.T) {
	searched := 0
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 3))
		keys := smallTree(r, 3+r.IntN(9), "x", "y", "z")
		budget, limit := 1+r.IntN(8), 1+r.IntN(3)
		got := pathplan.PlanWithin(keys, budget, limit)
		wantCost, wantPaths := bestCover(keys, budget, limit)
		if wantPaths < 0 {
			continue
		}
		searched++
		if c := depthCounts(got); compareDepths(c, wantCost) != 0 || len(got) != wantPaths || wildcardCount(got) > limit {
			t.Errorf("seed %d: PlanWithin(%q, budget %d, limit %d) = %q (wildcard depths %v), want %d paths with wildcard depths %v",
				seed, keys, budget, limit, got, c, wantPaths, wantCost)
		}
	}
	if searched < 200 {
		t.Errorf("searched %d of 300 random trees, want at least 200", searched)
	}
}

// wildcardCount returns how many of paths end in '*'.
func wildcardCount(paths []string) int {
	n := 0
	for _, p := range paths {
		if strings.HasSuffix(p, "*") {
			n++
		}
	}
	return n
}

// bestCover searches every set of directories to wildcard for the best
// cover of the keys' paths within budget and with at most limit wildcards,
// returning its wildcard counts by depth and its number of paths; -1 paths
// when there are more than 12 directories to choose from.
func bestCover(keys []string, budget, limit int) (best []int, bestPaths int) {
	var objects, dirs []string
	for _, k := range keys {
		objects = append(objects, "/"+k)
		for d := path.Dir("/" + k); ; d = path.Dir(d) {
			dirs = append(dirs, strings.TrimSuffix(d, "/")+"/")
			if d == "/" {
				break
			}
		}
	}
	objects = slices.Compact(slices.Sorted(slices.Values(objects)))
	dirs = slices.Compact(slices.Sorted(slices.Values(dirs)))
	bestPaths = -1
	if len(dirs) > 12 {
		return nil, -1
	}
	for set := range 1 << len(dirs) {
		var paths []string
		for i, d := range dirs {
			if set&(1<<i) != 0 {
				paths = append(paths, d+"*")
			}
		}
		for _, o := range objects {
			if !pathplan.Covers(paths, o) {
				paths = append(paths, o)
			}
		}
		if len(paths) > budget || wildcardCount(paths) > limit {
			continue
		}
		c := depthCounts(paths)
		if bestPaths < 0 || compareDepths(c, best) < 0 || compareDepths(c, best) == 0 && len(paths) < bestPaths {
			best, bestPaths = c, len(paths)
		}
	}
	return best, bestPaths
}

// depthCounts returns how many wildcards paths has at each depth.
func depthCounts(paths []string) []int {
	var counts []int
	for _, p := range paths {
		if strings.HasSuffix(p, "*") {
			d := strings.Count(p, "/") - 1
			for len(counts) <= d {
				counts = append(counts, 0)
			}
			counts[d]++
		}
	}
	return counts
}

// compareDepths orders wildcard counts by depth: fewer at the shallowest
// depth where they differ is better (-1).
func compareDepths(a, b []int) int {
	for d := range max(len(a), len(b)) {
		x, y := 0, 0
		if d < len(a) {
			x = a[d]
		}
		if d < len(b) {
			y = b[d]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// FuzzNewPlan checks the plan invariants on arbitrary keys (one per line of
// data; a line starting with "-" is a removed key), origin paths, static
// prefixes and budgets.
func FuzzNewPlan(f *testing.F) {
	f.Add("static/admin/css/base.css\nstatic/admin/js/core.js", "/static", uint8(1), true)
	f.Add("a/index.html\na/b/c\na/b/d\nz", "", uint8(2), false)
	f.Add("a*b\na/b*\n*\n\n/\n//x", "", uint8(3), false)
	f.Add("s/café.css\ns/x y?.css\ns/100%.css\ns/~", "s", uint8(0), true)
	f.Add("s/base.6b517d0d5813.css\ns/staticfiles.json\ns/", "/s/", uint8(15), true)
	f.Add(strings.Repeat("d/", 1000)+"x\n"+strings.Repeat(" ", 2000), "", uint8(1), false)
	f.Add("-s/base.6b517d0d5813.css\ns/app.6b517d0d5813.js\nmedia/a.6b517d0d5813.png", "", uint8(15), true)
	f.Fuzz(func(t *testing.T, data, origin string, budget uint8, hashed bool) {
		var created, removed []string
		for _, k := range strings.Split(data, "\n") {
			if r, ok := strings.CutPrefix(k, "-"); ok {
				removed = append(removed, r)
			} else {
				created = append(created, k)
			}
		}
		o := pathplan.Options{OriginPath: origin, MaxPaths: int(budget % 32), StaticPrefix: staticPrefixes[budget%4]}
		if budget >= 128 {
			o.MaxPaths = 3000
		}
		if hashed {
			o.Immutable = immutable
		}
		checkPlan(t, created, removed, o, pathplan.NewPlan(created, removed, o))
	})
}
