package invalidation_test

import (
	"fmt"
	"testing"

	"github.com/djfront/djfront/internal/invalidation"
)

// BenchmarkNewPlan plans the keys of a first collectstatic of the Django
// admin's static files and three apps of the same shape (about 1,000 keys),
// and of a re-upload where three files changed.
func BenchmarkNewPlan(b *testing.B) {
	admin := adminFiles(b)
	var files []string
	for _, app := range []string{"admin/", "app1/", "app2/", "app3/"} {
		for _, f := range admin {
			files = append(files, app+f[len("admin/"):])
		}
	}
	first := collectstatic("static/", files)
	changed := []string{"static/admin/css/base.css", "static/app1/js/core.js", "static/staticfiles.json"}
	for _, bc := range []struct {
		name string
		keys []string
	}{{"first-upload", first}, {"three-changed", changed}} {
		for _, budget := range []int{15, 3000} {
			o := invalidation.Options{OriginPath: "/static", Immutable: immutable, MaxPaths: budget}
			b.Run(fmt.Sprintf("%s/keys=%d/max=%d", bc.name, len(bc.keys), budget), func(b *testing.B) {
				var p invalidation.Plan
				for b.Loop() {
					p = invalidation.NewPlan(bc.keys, nil, o)
				}
				b.ReportMetric(float64(len(p.Paths)), "paths")
			})
		}
	}
}
