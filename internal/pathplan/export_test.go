package pathplan

// PlanWithin plans keys as NewPlan does for created keys without an origin
// path or immutable check, but with at most limit wildcards in place of
// MaxWildcards, so that tests can search small trees exhaustively.
func PlanWithin(keys []string, budget, limit int) []string {
	var ts []target
	for _, k := range keys {
		if p, ok := (Options{}).ObjectPath(k); ok {
			ts = appendTargets(ts, p)
		}
	}
	return coalesceWithin(ts, max(budget, 1), limit)
}

// BaselineNewPlan is the planner of commit 0bbd7db (baseline_test.go), for
// BenchmarkNewPlan.
var BaselineNewPlan = baselineNewPlan
