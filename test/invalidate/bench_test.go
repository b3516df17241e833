package invalidate_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// BenchmarkInvalidationCounts compares what three ways of invalidating cost
// for the same collectstatic runs of the Django admin's static files plus a
// small app: (a) the first upload, (b) a re-upload with three files
// changed. It reports counts, not timings — CreateInvalidation calls and
// billable paths (CloudFront charges $0.005 a path past 1,000 a month):
//
//   - djfront: this function, as moto recorded its invalidations;
//   - naive: a Lambda that invalidates each notified object on its own,
//     one call and one path per S3 event;
//   - blanket: one /static/* per deploy — one path, but the whole static
//     cache is thrown away.
//
// Run it with `go test -run '^$' -bench InvalidationCounts ./test/invalidate/`;
// the setup runs once, whatever b.N.
func BenchmarkInvalidationCounts(b *testing.B) {
	testenv.Integration(b)
	st := newStack(b, collectstaticStack)
	s := startSite(b, st)
	first := s.deploy(b)
	s.write(b, changedFiles)
	changed := s.deploy(b)

	type counts struct{ calls, paths int }
	strategies := []struct {
		name  string
		count func(deployment) counts
	}{
		{"djfront", func(d deployment) counts { return counts{len(d.added), len(allPaths(d.added))} }},
		{"naive", func(d deployment) counts { return counts{d.messages, d.messages} }},
		{"blanket", func(deployment) counts { return counts{1, 1} }},
	}
	var table strings.Builder
	table.WriteString("| deploy | S3 events | strategy | CreateInvalidation calls | billable paths |\n|---|---:|---|---:|---:|\n")
	for _, sc := range []struct {
		name string
		d    deployment
	}{{"first-upload", first}, {"three-changed", changed}} {
		for _, strat := range strategies {
			c := strat.count(sc.d)
			fmt.Fprintf(&table, "| %s | %d | %s | %d | %d |\n", sc.name, sc.d.messages, strat.name, c.calls, c.paths)
			b.Run(sc.name+"/"+strat.name, func(b *testing.B) {
				b.ReportMetric(0, "ns/op") // counts, not timings
				b.ReportMetric(float64(c.calls), "calls")
				b.ReportMetric(float64(c.paths), "paths")
			})
		}
	}
	b.Logf("\n%s", table.String())
}
