package pathplan_test

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"testing"

	"github.com/djfront/djfront/internal/pathplan"
)

var immutable = regexp.MustCompile(pathplan.DefaultImmutablePattern)

func TestDefaultImmutablePattern(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"admin/css/base.6b517d0d5813.css", true},
		{"static/admin/css/base.6b517d0d5813.css", true},
		{"admin/js/vendor/jquery/jquery.min.2f7f8bb7c5ef.js", true},
		{"admin/js/vendor/select2/i18n/zh-TW.0e4f5e4e4a0d.js", true},
		{"admin/img/gis/move_vertex_on.0047eba25b67.svg", true},
		{"base.6b517d0d5813.css", true}, // no directory
		{"LICENSE.6b517d0d5813", true},  // no extension
		{"admin/js/vendor/xregexp/LICENSE.6b517d0d5813.txt", true},
		{"a.b.c.6b517d0d5813.d", true},                  // several dots
		{"foo.6b517d0d5813.", true},                     // splitext("foo.") keeps "." as the extension
		{"admin/css/base.css", false},                   // the unhashed original
		{"admin/js/vendor/jquery/jquery.min.js", false}, // dots but no hash
		{"staticfiles.json", false},                     // the manifest
		{"static/staticfiles.json", false},
		{"admin/css/base.6b517d0d581.css", false},   // 11 hex digits
		{"admin/css/base.6b517d0d58131.css", false}, // 13 hex digits
		{"admin/css/base.6B517D0D5813.css", false},  // upper-case hex
		{"admin/css/base.6b517d0d581g.css", false},  // not hex
		{"admin/css/base6b517d0d5813.css", false},   // no dot before the hash
		{"admin/css/.6b517d0d5813.css", false},      // nothing before the hash
		{"6b517d0d5813.css", false},                 // the hash is the whole root
		{"admin/css/base.6b517d0d5813.min.css", false},
		{"admin.6b517d0d5813/css/base.css", false}, // hash in a directory
		{"admin/css/base.6b517d0d5813.css/", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := immutable.MatchString(tt.key); got != tt.want {
				t.Errorf("MatchString(%q) = %t, want %t", tt.key, got, tt.want)
			}
		})
	}
}

// TestDefaultImmutablePatternAdmin checks the pattern against the real
// names of the Django admin's static files and their hashed copies.
func TestDefaultImmutablePatternAdmin(t *testing.T) {
	for _, f := range adminFiles(t) {
		key := "static/" + f
		if immutable.MatchString(key) {
			t.Errorf("MatchString(%q) = true, want false", key)
		}
		if h := "static/" + hashedName(f); !immutable.MatchString(h) {
			t.Errorf("MatchString(%q) = false, want true", h)
		}
	}
}

// countsTests are TestNewPlanCounts' cases: options, and the plan they
// give its keys.
var countsTests = []struct {
	name string
	opts pathplan.Options
	want pathplan.Plan
}{
	{
		name: "origin path and immutable",
		opts: pathplan.Options{OriginPath: "/static", Immutable: immutable, MaxPaths: 15},
		want: pathplan.Plan{
			Paths: []string{"/admin/css/base.css", "/staticfiles.json"},
			Keys:  6, Immutable: 1, Outside: 3,
		},
	},
	{
		name: "no origin path",
		opts: pathplan.Options{Immutable: immutable, MaxPaths: 15},
		want: pathplan.Plan{
			Paths: []string{"/media/upload.png", "/static/admin/css/base.css", "/static/staticfiles.json", "/staticfiles.json"},
			Keys:  6, Immutable: 1, Outside: 1,
		},
	},
	{
		name: "immutable check off",
		opts: pathplan.Options{OriginPath: "static/", MaxPaths: 15},
		want: pathplan.Plan{
			Paths: []string{"/admin/css/base.6b517d0d5813.css", "/admin/css/base.css", "/staticfiles.json"},
			Keys:  6, Outside: 3,
		},
	},
	{
		name: "outside wins over immutable",
		opts: pathplan.Options{OriginPath: "/media", Immutable: immutable, MaxPaths: 15},
		want: pathplan.Plan{
			Paths: []string{"/upload.png"},
			Keys:  6, Outside: 5,
		},
	},
	{
		name: "budget below one counts as one",
		opts: pathplan.Options{OriginPath: "/static", Immutable: immutable},
		want: pathplan.Plan{
			Paths: []string{"/*"},
			Keys:  6, Immutable: 1, Outside: 3,
		},
	},
}

func TestNewPlanCounts(t *testing.T) {
	keys := []string{
		"static/admin/css/base.css",
		"static/admin/css/base.css", // repeated: created, then removed
		"static/admin/css/base.6b517d0d5813.css",
		"static/admin/css/base.6b517d0d5813.css",
		"static/staticfiles.json",
		"media/upload.png",
		"staticfiles.json",
		"",
	}
	for _, tt := range countsTests {
		t.Run(tt.name, func(t *testing.T) {
			got := pathplan.NewPlan(keys, nil, tt.opts)
			if !slices.Equal(got.Paths, tt.want.Paths) || got.Keys != tt.want.Keys ||
				got.Immutable != tt.want.Immutable || got.Outside != tt.want.Outside {
				t.Errorf("NewPlan = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestNewPlanImmutableOnlyCreatedStatic: the hashed-name rule skips only
// created keys under the static prefix. Media uploads reuse names for new
// content (django-storages with file_overwrite=False picks a free name,
// which may be one deleted before), and a removed hashed file must stop
// being served; both are invalidated (issue 10, item 10).
func TestNewPlanImmutableOnlyCreatedStatic(t *testing.T) {
	const hashed = "static/css/base.6b517d0d5813.css"
	const upload = "media/avatars/me.6b517d0d5813.png"
	tests := []struct {
		name             string
		created, removed []string
		static           string
		want             []string
		wantImmutable    int
	}{
		{name: "created static hashed file", created: []string{hashed}, static: "static", wantImmutable: 1},
		{name: "slashes around the prefix", created: []string{hashed}, static: "/static/", wantImmutable: 1},
		{name: "removed static hashed file", removed: []string{hashed}, static: "static", want: []string{"/" + hashed}},
		{name: "created and removed in one batch", created: []string{hashed}, removed: []string{hashed}, static: "static", want: []string{"/" + hashed}},
		{name: "media upload with a hashed-looking name", created: []string{upload}, static: "static", want: []string{"/" + upload}},
		{name: "removed media upload", removed: []string{upload}, static: "static", want: []string{"/" + upload}},
		{name: "prefix is a whole segment", created: []string{"staticky/a.6b517d0d5813.css"}, static: "static", want: []string{"/staticky/a.6b517d0d5813.css"}},
		{name: "no prefix: every key static", created: []string{hashed, upload}, wantImmutable: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := pathplan.Options{Immutable: immutable, StaticPrefix: tt.static, MaxPaths: 15}
			got := pathplan.NewPlan(tt.created, tt.removed, o)
			if !slices.Equal(got.Paths, tt.want) || got.Immutable != tt.wantImmutable {
				t.Errorf("got paths %q, %d immutable; want %q, %d", got.Paths, got.Immutable, tt.want, tt.wantImmutable)
			}
		})
	}
}

func TestNewPlanNothingToDo(t *testing.T) {
	for _, keys := range [][]string{nil, {"static/a.6b517d0d5813.css"}, {"media/a.png"}} {
		got := pathplan.NewPlan(keys, nil, pathplan.Options{OriginPath: "static", Immutable: immutable, MaxPaths: 15})
		if got.Paths != nil {
			t.Errorf("NewPlan(%q).Paths = %q, want nil", keys, got.Paths)
		}
	}
}

// files returns the keys dir+name for each name.
func files(dir string, names ...string) []string {
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = dir + n
	}
	return keys
}

// numbered returns n keys in dir: dir+"0"+ext, dir+"1"+ext, ...
func numbered(dir string, n int, ext string) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%s%d%s", dir, i, ext)
	}
	return keys
}

func TestNewPlanCoalesce(t *testing.T) {
	cssJS := slices.Concat(files("static/admin/css/", "base.css", "forms.css", "rtl.css"),
		files("static/admin/js/", "core.js", "actions.js", "calendar.js"))
	deep := slices.Concat(numbered("s/a/x/", 2, ".js"), numbered("s/a/y/", 2, ".js"), numbered("s/b/z/", 2, ".js"))
	tieBreak := slices.Concat(numbered("s/a/", 3, ".css"), numbered("s/b/", 2, ".css"), []string{"s/c.css"})
	tests := []struct {
		name   string
		keys   []string
		budget int
		want   []string
	}{
		{"one dir with many files", numbered("static/admin/img/icon-", 30, ".svg"), 15,
			[]string{"/static/admin/img/*"}},
		{"within budget stays exact", cssJS, 15, []string{
			"/static/admin/css/base.css", "/static/admin/css/forms.css", "/static/admin/css/rtl.css",
			"/static/admin/js/actions.js", "/static/admin/js/calendar.js", "/static/admin/js/core.js"}},
		{"exactly the budget stays exact", cssJS, 6, []string{
			"/static/admin/css/base.css", "/static/admin/css/forms.css", "/static/admin/css/rtl.css",
			"/static/admin/js/actions.js", "/static/admin/js/calendar.js", "/static/admin/js/core.js"}},
		{"budget 2: the two deepest directories", cssJS, 2, []string{"/static/admin/css/*", "/static/admin/js/*"}},
		{"budget 4: one directory merged", cssJS, 4, []string{
			"/static/admin/css/*", "/static/admin/js/actions.js", "/static/admin/js/calendar.js", "/static/admin/js/core.js"}},
		{"budget 1: the common prefix", cssJS, 1, []string{"/static/admin/*"}},
		{"mixed depths: merge only what is needed", slices.Concat(numbered("static/a/b/c/", 2, ".js"), numbered("static/d/e/", 4, ".css")), 3,
			[]string{"/static/a/b/c/0.js", "/static/a/b/c/1.js", "/static/d/e/*"}},
		{"deep tree, budget 3", deep, 3, []string{"/s/a/x/*", "/s/a/y/*", "/s/b/z/*"}},
		{"deep tree, budget 2: two deep rather than one shallow", deep, 2, []string{"/s/a/*", "/s/b/z/*"}},
		{"deep tree, budget 1", deep, 1, []string{"/s/*"}},
		{"equal cost: fewer paths", tieBreak, 5, []string{"/s/a/*", "/s/b/0.css", "/s/b/1.css", "/s/c.css"}},
		{"files beside directories", tieBreak, 3, []string{"/s/a/*", "/s/b/*", "/s/c.css"}},
		{"disjoint trees fall back to the root", []string{"static/a.css", "media/b.png"}, 1, []string{"/*"}},
		{"root files fall back to the root", []string{"favicon.ico", "robots.txt"}, 1, []string{"/*"}},
		{"index.html's /dir lives in the parent", []string{"docs/index.html"}, 2, []string{"/docs", "/docs/*"}},
		{"index.html at budget 1", []string{"docs/index.html"}, 1, []string{"/*"}},
		{"star key covers its siblings", []string{"static/css/a*.css", "static/css/ab.css", "static/css/a/x.css", "static/css/b.css"}, 15,
			[]string{"/static/css/a*", "/static/css/b.css"}},
		{"star directory key covers the directory", []string{"static/css/*", "static/css/a.css", "static/css/x/y.css"}, 15,
			[]string{"/static/css/*"}},
		{"star wildcard counts against the budget", []string{"static/css/a*.css", "static/css/b.css", "static/js/c.js"}, 2,
			[]string{"/static/css/*", "/static/js/c.js"}},
		{"duplicates count once", slices.Concat(cssJS, cssJS), 6, []string{
			"/static/admin/css/base.css", "/static/admin/css/forms.css", "/static/admin/css/rtl.css",
			"/static/admin/js/actions.js", "/static/admin/js/calendar.js", "/static/admin/js/core.js"}},
		{"directory marker and its files", []string{"static/css/", "static/css/a.css", "static/css/b.css"}, 1,
			[]string{"/static/css/*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pathplan.NewPlan(tt.keys, nil, pathplan.Options{MaxPaths: tt.budget})
			if !slices.Equal(got.Paths, tt.want) {
				t.Errorf("NewPlan(%q, budget %d).Paths = %q, want %q", tt.keys, tt.budget, got.Paths, tt.want)
			}
		})
	}
}

// TestNewPlanWildcardLimitWithinBudget: with MAX_PATHS above CloudFront's
// 15 wildcards, the plan keeps at most 15 wildcards but uses the rest of the
// budget for exact paths instead of planning again with 15 paths in all,
// which cleared four whole directories here (issue 10, item 11).
func TestNewPlanWildcardLimitWithinBudget(t *testing.T) {
	var keys []string
	for _, app := range []string{"a", "b", "c", "d"} {
		for i := range 10 {
			keys = append(keys, numbered(fmt.Sprintf("static/%s/%d/", app, i), 2, ".js")...)
		}
	}
	o := pathplan.Options{MaxPaths: 50}
	p := pathplan.NewPlan(keys, nil, o)
	checkPlan(t, keys, nil, o, p)
	// 80 files, 30 paths to save with at most 15 wildcards: one app
	// directory (saves 19) and 11 of its sibling apps' directories (1 each).
	if got, want := depthCounts(p.Paths), []int{0, 0, 1, 11}; !slices.Equal(got, want) {
		t.Errorf("got wildcard depths %v in %q, want %v", got, p.Paths, want)
	}
	if got, want := len(p.Paths), 50; got != want {
		t.Errorf("got %d paths, want %d", got, want)
	}
}

// TestNewPlanCollectstatic plans a first collectstatic of the Django admin
// with the default budget: every unhashed file and the manifest must be
// covered by directory wildcards no shallower than the admin's directories.
func TestNewPlanCollectstatic(t *testing.T) {
	keys := collectstatic("static/", adminFiles(t))
	o := pathplan.Options{Immutable: immutable, MaxPaths: 15}
	p := pathplan.NewPlan(keys, nil, o)
	checkPlan(t, keys, nil, o, p)
	if got, want := p.Immutable, (len(keys)-1)/2; got != want {
		t.Errorf("Immutable = %d, want %d", got, want)
	}
	for _, path := range p.Paths {
		if path == "/*" || path == "/static/*" {
			t.Errorf("Paths = %q: %q clears more than the admin's directories", p.Paths, path)
		}
	}
	t.Logf("%d keys → %q", len(keys), p.Paths)
}

func TestCost(t *testing.T) {
	tests := []struct {
		paths []string
		want  float64
	}{
		{nil, 0},
		{[]string{"/a"}, 0.005},
		{[]string{"/*"}, 0.005},
		{[]string{"/a", "/b/*", "/c"}, 0.015},
	}
	for _, tt := range tests {
		got := pathplan.Plan{Paths: tt.paths}.Cost()
		if math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Plan{Paths: %q}.Cost() = %v, want %v", tt.paths, got, tt.want)
		}
	}
}

func TestNewPlanMaxWildcards(t *testing.T) {
	var keys []string
	for i := range 20 {
		keys = append(keys, fmt.Sprintf("static/d%02d/a*.css", i), fmt.Sprintf("static/d%02d/b.css", i))
	}
	o := pathplan.Options{MaxPaths: 100}
	p := pathplan.NewPlan(keys, nil, o)
	checkPlan(t, keys, nil, o, p)
	if len(p.Paths) > pathplan.MaxWildcards {
		t.Errorf("len(Paths) = %d, want at most %d wildcards: %q", len(p.Paths), pathplan.MaxWildcards, p.Paths)
	}
}

// TestSkipsImmutableLastSegment: SkipsImmutable matches the default pattern
// against the key's last segment only, which must decide as the pattern
// does on the whole key.
func TestSkipsImmutableLastSegment(t *testing.T) {
	o := pathplan.Options{Immutable: immutable}
	for _, key := range []string{
		"static/admin/css/base.6b517d0d5813.css", "base.6b517d0d5813.css", "a/LICENSE.6b517d0d5813",
		"a/.6b517d0d5813.css", "a/dir.6b517d0d5813/x.css", "a/dir.6b517d0d5813.css/", "a/b.6b517d0d5813.c/d",
		"a/x.6b517d0d581.css", "a/x.6B517D0D5813.css", "a/x.6b517d0d5813.tar.gz", "", "/", "x.6b517d0d5813/",
	} {
		if got, want := o.SkipsImmutable(key), immutable.MatchString(key); got != want {
			t.Errorf("SkipsImmutable(%q) = %v, want %v as the pattern decides on the whole key", key, got, want)
		}
	}
}
