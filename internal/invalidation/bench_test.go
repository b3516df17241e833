package invalidation_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/invalidation"
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

// BenchmarkNewPlan plans the keys of a first collectstatic of four apps
// shaped like the Django admin (about 1,000 keys) and of forty (about
// 10,000), and of a re-upload where three files changed, with the default
// budget and with the largest. bench/invalidate.sh runs it against the
// planner of an earlier commit.
func BenchmarkNewPlan(b *testing.B) {
	changed := []string{"static/app0/css/base.css", "static/app1/js/core.js", "static/staticfiles.json"}
	for _, bc := range []struct {
		name string
		keys []string
	}{{"first-upload", apps(b, 4)}, {"first-upload", apps(b, 40)}, {"three-changed", changed}} {
		for _, budget := range []int{15, 3000} {
			o := invalidation.Options{OriginPath: "/static", Immutable: immutable, MaxPaths: budget}
			b.Run(fmt.Sprintf("%s/keys=%d/max=%d", bc.name, len(bc.keys), budget), func(b *testing.B) {
				var p invalidation.Plan
				for b.Loop() {
					p = invalidation.NewPlan(bc.keys, nil, o)
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
