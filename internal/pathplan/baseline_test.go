package pathplan

import (
	"slices"
	"strings"
)

// This file keeps the planner of commit 0bbd7db (before the wildcard-limit
// rework of issue 10) as the baseline BenchmarkNewPlan measures NewPlan
// against (bench/invalidate.sh). It is test code, so no binary links it.
// Only its coalescing differs from NewPlan's: the helpers it calls
// (ObjectPath, appendTargets, minimal, wildcards, encode…) are unchanged
// since that commit, and its own types carry a baseline prefix. Keep it as
// it was; it is a measure, not a second planner.

// A cost is the depths of a set of directory wildcards, in ascending
// order, as coalesce.go of 0bbd7db measured them.
type cost []int

// baselineNewPlan is NewPlan as of 0bbd7db: one list of keys, the
// immutable pattern matched against every key, and baselineCoalesce.
func baselineNewPlan(keys []string, o Options) Plan {
	var p Plan
	seen := make(map[string]bool, len(keys))
	var targets []target
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		p.Keys++
		path, ok := o.ObjectPath(k)
		switch {
		case !ok:
			p.Outside++
		case o.Immutable != nil && o.Immutable.MatchString(k):
			p.Immutable++
		default:
			targets = appendTargets(targets, path)
		}
	}
	p.Paths = baselineCoalesce(targets, max(o.MaxPaths, 1))
	return p
}

// baselineCoalesce plans without the wildcard limit first, its table
// growing with the budget, and plans again with MaxWildcards paths in all
// when that plan carries more than MaxWildcards wildcards.
func baselineCoalesce(targets []target, budget int) []string {
	ts := minimal(targets)
	if len(ts) > budget {
		ts = newBaselineTree(ts).plan(budget)
	}
	if wildcards(ts) > MaxWildcards {
		ts = newBaselineTree(minimal(targets)).plan(MaxWildcards)
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

// baselineCompareSum compares a+b, the cost of both sets of wildcards, with
// c, returning -1 if a+b is better, +1 if it is worse and 0 if they are
// equal, without building a+b.
func baselineCompareSum(a, b, c cost) int {
	i, j := 0, 0
	for k := 0; ; k++ {
		more := i < len(a) || j < len(b)
		switch {
		case !more && k == len(c):
			return 0
		case !more:
			return -1
		case k == len(c):
			return 1
		}
		var x int
		if j == len(b) || i < len(a) && a[i] <= b[j] {
			x, i = a[i], i+1
		} else {
			x, j = b[j], j+1
		}
		if x != c[k] {
			if x > c[k] {
				return -1
			}
			return 1
		}
	}
}

// baselineSum returns the cost of both sets of wildcards.
func baselineSum(a, b cost) cost {
	s := make(cost, 0, len(a)+len(b))
	s = append(append(s, a...), b...)
	slices.Sort(s)
	return s
}

// A baselineOption is the best way found to cover a subtree with a given
// number of paths.
type baselineOption struct {
	ok   bool // whether the subtree can be covered with that many paths
	cost cost
}

// A baselineNode is a directory that holds targets, or holds directories
// that do.
type baselineNode struct {
	dir      string          // unencoded, ending in '/'
	targets  []target        // the targets directly in dir
	children []*baselineNode // sorted by dir

	// best[k] is the cheapest way to cover the subtree with exactly k paths
	// (k up to the budget); merged tells whether best[1] is the wildcard of
	// dir; splits[i][k] is how many paths children[i] gets when targets and
	// children[0..i] share k paths at the least cost.
	best   []baselineOption
	merged bool
	splits [][]int
}

// newBaselineTree returns the root ("/") of the directory tree holding ts.
func newBaselineTree(ts []target) *baselineNode {
	nodes := map[string]*baselineNode{}
	var get func(dir string) *baselineNode
	get = func(dir string) *baselineNode {
		if n := nodes[dir]; n != nil {
			return n
		}
		n := &baselineNode{dir: dir}
		nodes[dir] = n
		if dir != "/" {
			parent := get(dirOf(dir[:len(dir)-1]))
			parent.children = append(parent.children, n)
		}
		return n
	}
	root := get("/")
	for _, t := range ts {
		n := get(dirOf(t.prefix))
		n.targets = append(n.targets, t)
	}
	for _, n := range nodes {
		slices.SortFunc(n.children, func(a, b *baselineNode) int { return strings.Compare(a.dir, b.dir) })
	}
	return root
}

// plan returns at most budget targets covering the tree rooted at n, with
// the fewest wildcards at the shallowest depth, then at the next, and so on.
// n must hold at least one target.
func (n *baselineNode) plan(budget int) []target {
	n.solve(budget)
	k := 0
	for i, o := range n.best {
		if o.ok && (k == 0 || baselineCompareSum(o.cost, nil, n.best[k].cost) < 0) {
			k = i
		}
	}
	return n.collect(k, nil)
}

// solve fills in best, merged and splits for n and its subtree: a tree
// knapsack over the choice, for each directory, between its wildcard and
// the best covers of its targets and children.
func (n *baselineNode) solve(budget int) {
	best := make([]baselineOption, min(len(n.targets), budget)+1)
	if len(n.targets) <= budget {
		best[len(n.targets)] = baselineOption{ok: true}
	}
	for _, c := range n.children {
		c.solve(budget)
		next := make([]baselineOption, min(len(best)+len(c.best)-2, budget)+1)
		split := make([]int, len(next))
		for j, a := range best {
			if !a.ok {
				continue
			}
			for kc, b := range c.best {
				k := j + kc
				if k > budget {
					break
				}
				if b.ok && (!next[k].ok || baselineCompareSum(a.cost, b.cost, next[k].cost) < 0) {
					next[k] = baselineOption{ok: true, cost: baselineSum(a.cost, b.cost)}
					split[k] = kc
				}
			}
		}
		best = next
		n.splits = append(n.splits, split)
	}
	if len(best) < 2 {
		best = append(best, baselineOption{})
	}
	wildcard := cost{depth(n.dir)}
	if encodedLen(n.dir)+1 <= MaxPathLength && (!best[1].ok || baselineCompareSum(wildcard, nil, best[1].cost) < 0) {
		best[1] = baselineOption{ok: true, cost: wildcard}
		n.merged = true
	}
	n.best = best
}

// collect appends to out the k targets of the best cover of n's subtree
// with k paths.
func (n *baselineNode) collect(k int, out []target) []target {
	if k == 1 && n.merged {
		return append(out, target{prefix: n.dir, wildcard: true})
	}
	for i := len(n.children) - 1; i >= 0; i-- {
		kc := n.splits[i][k]
		out = n.children[i].collect(kc, out)
		k -= kc
	}
	return append(out, n.targets...)
}
