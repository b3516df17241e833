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
// 10,000), and of a re-upload where three files changed, with the default
// budget and with the largest; and 3,000 keys of a deep, narrow tree with
// the default budget and with 2,000. bench/invalidate.sh runs it against
// the planner of an earlier commit.
func BenchmarkNewPlan(b *testing.B) {
	changed := []string{"static/app0/css/base.css", "static/app1/js/core.js", "static/staticfiles.json"}
	for _, bc := range []struct {
		name    string
		keys    []string
		budgets []int
	}{
		{"first-upload", apps(b, 4), []int{15, 3000}},
		{"first-upload", apps(b, 40), []int{15, 3000}},
		{"three-changed", changed, []int{15, 3000}},
		{"deep-tree", deepTree(3000), []int{15, 2000}},
	} {
		for _, budget := range bc.budgets {
			o := pathplan.Options{OriginPath: "/static", Immutable: immutable, MaxPaths: budget}
			b.Run(fmt.Sprintf("%s/keys=%d/max=%d", bc.name, len(bc.keys), budget), func(b *testing.B) {
				var p pathplan.Plan
				for b.Loop() {
					p = pathplan.NewPlan(bc.keys, nil, o)
				}
				wildcards := 0
				for _, path := range p.Paths {
					if strings.HasSuffix(path, "*") {
						wildcards++
					}
				}
				b.ReportMetric(float64(len(p.Paths)), "paths")
				b.ReportMetric(float64(wildcards), "wildcards")
			})
		}
	}
}
