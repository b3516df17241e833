package pathplan_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/pathplan"
)

// apps returns the keys of a first collectstatic of n apps shaped like the
// Django admin (its static files under app0/, app1/, …).
func apps(tb testing.TB, n int) []string {
	admin := adminFiles(tb)
	var files []string
	for i := range n {
		for _, f := range admin {
			files = append(files, fmt.Sprintf("app%d/%s", i, f[len("admin/"):]))
		}
	}
	return collectstatic("static/", files)
}

// deepTree returns n keys under static/ in a narrow, deep tree: each up to
// ten directories deep, each directory one of two names. Its many small
// directories make the planner's frontiers large when MAX_PATHS is a large
// fraction of n.
func deepTree(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]string, n)
	for i := range keys {
		var b strings.Builder
		b.WriteString("static/")
		for range r.IntN(11) {
			fmt.Fprintf(&b, "d%d/", r.IntN(2))
		}
		fmt.Fprintf(&b, "f%d", i)
		keys[i] = b.String()
	}
	return keys
}

// BenchmarkNewPlan plans the keys of a first collectstatic of four apps
// shaped like the Django admin (about 1,000 keys) and of forty (about
// 10,000), of a re-upload where three files changed, and of a deep, narrow
// tree of 3,000 and of 10,000 keys, each with the default budget and with
// larger ones up to nearly the number of keys. The first rows (before the
// 10,000-key ones) also run impl=baseline, the planner of commit 0bbd7db
// (before issue 10: BaselineNewPlan), one after the other so that both see
// the same load; bench/invalidate.sh compares them with benchstat. The
// 10,000-key rows run NewPlan alone: planning must stay near-linear at any
// MAX_PATHS, and the baseline's table grows with the budget.
func BenchmarkNewPlan(b *testing.B) {
	changed := []string{"static/app0/css/base.css", "static/app1/js/core.js", "static/staticfiles.json"}
	impls := []struct {
		name    string
		newPlan func(keys []string, o pathplan.Options) pathplan.Plan
	}{
		{"baseline", pathplan.BaselineNewPlan},
		{"djfront", func(keys []string, o pathplan.Options) pathplan.Plan { return pathplan.NewPlan(keys, nil, o) }},
	}
	for _, bc := range []struct {
		name     string
		keys     []string
		budgets  []int
		baseline bool
	}{
		{"first-upload", apps(b, 4), []int{15, 3000}, true},
		{"first-upload", apps(b, 40), []int{15, 3000}, true},
		{"three-changed", changed, []int{15, 3000}, true},
		{"deep-tree", deepTree(3000), []int{15, 2000}, true},
		{"first-upload", apps(b, 40), []int{1000, 4000}, false},
		{"deep-tree", deepTree(10000), []int{15, 1000, 3000, 5000, 9000, 9900}, false},
	} {
		for _, budget := range bc.budgets {
			o := pathplan.Options{OriginPath: "/static", Immutable: immutable, MaxPaths: budget}
			for _, impl := range impls {
				if impl.name == "baseline" && !bc.baseline {
					continue
				}
				b.Run(fmt.Sprintf("%s/keys=%d/max=%d/impl=%s", bc.name, len(bc.keys), budget, impl.name), func(b *testing.B) {
					var p pathplan.Plan
					for b.Loop() {
						p = impl.newPlan(bc.keys, o)
					}
					b.ReportMetric(float64(len(p.Paths)), "paths")
					b.ReportMetric(float64(wildcardCount(p.Paths)), "wildcards")
				})
			}
		}
	}
}

// TestBaselineNewPlan pins the benchmark's baseline to what commit 0bbd7db
// planned for the benchmark's keys (bench/README.md), every kept key
// covered: so that an edit to baseline_test.go cannot quietly change what
// NewPlan is measured against.
func TestBaselineNewPlan(t *testing.T) {
	keys := apps(t, 4)
	tests := []struct {
		budget, paths, wildcards int
	}{
		{15, 13, 12},
		{3000, 469, 0},
		{100, 100, 9},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("max=", tt.budget), func(t *testing.T) {
			o := pathplan.Options{OriginPath: "/static", Immutable: immutable, MaxPaths: tt.budget}
			p := pathplan.BaselineNewPlan(keys, o)
			if got, want := [2]int{len(p.Paths), wildcardCount(p.Paths)}, [2]int{tt.paths, tt.wildcards}; got != want {
				t.Errorf("got %d paths (%d wildcards), want %d (%d)", got[0], got[1], want[0], want[1])
			}
			for _, k := range keys {
				if path, ok := o.ObjectPath(k); ok && !o.SkipsImmutable(k) && !pathplan.Covers(p.Paths, path) {
					t.Errorf("key %q not covered by %q", k, p.Paths)
				}
			}
		})
	}
}
