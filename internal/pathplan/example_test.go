package pathplan_test

import (
	"fmt"
	"regexp"

	"github.com/djfront/djfront/internal/pathplan"
)

func ExampleNewPlan() {
	// Keys as they arrive in S3 event notifications after a collectstatic.
	raw := []string{
		"static/admin/css/base.css",
		"static/admin/css/base.6b517d0d5813.css",
		"static/admin/css/forms.css",
		"static/admin/css/forms.8d2c0d4a3e4b.css",
		"static/admin/js/core.js",
		"static/admin/js/core.0d3b5e41b8f4.js",
		"static/staticfiles.json",
		"static%2Fmy+notes.txt",
	}
	var keys []string
	for _, r := range raw {
		k, err := pathplan.DecodeKey(r)
		if err != nil {
			fmt.Println(err)
			continue
		}
		keys = append(keys, k)
	}
	p := pathplan.NewPlan(keys, nil, pathplan.Options{
		OriginPath: "/static",
		Immutable:  regexp.MustCompile(pathplan.DefaultImmutablePattern),
		MaxPaths:   3,
	})
	fmt.Println(p.Paths)
	fmt.Printf("%d keys, %d immutable, $%.3f\n", p.Keys, p.Immutable, p.Cost())
	// Output:
	// [/admin/* /my%20notes.txt /staticfiles.json]
	// 8 keys, 3 immutable, $0.015
}
