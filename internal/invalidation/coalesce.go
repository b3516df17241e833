package invalidation

import (
	"slices"
	"strings"
)

// A cost measures how much a set of wildcards may clear beyond the changed
// files: the depths of its directory wildcards, in ascending order. Exact
// paths, and the wildcards every plan must carry, cost nothing.
//
// Costs are ordered by the number of wildcards at depth 0, then at depth 1,
// and so on: fewer is better. In sorted form that is: at the first position
// where two costs differ, the one with the deeper wildcard is better; if one
// is a prefix of the other, the shorter is better.
type cost []int

// compareSum compares a+b, the cost of both sets of wildcards, with c,
// returning -1 if a+b is better, +1 if it is worse and 0 if they are equal,
// without building a+b.
func compareSum(a, b, c cost) int {
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

// sum returns the cost of both sets of wildcards.
func sum(a, b cost) cost {
	s := make(cost, 0, len(a)+len(b))
	s = append(append(s, a...), b...)
	slices.Sort(s)
	return s
}

// An option is the best way found to cover a subtree with a given number
// of paths.
type option struct {
	ok   bool // whether the subtree can be covered with that many paths
	cost cost
}

// A node is a directory that holds targets, or holds directories that do.
type node struct {
	dir      string   // unencoded, ending in '/'
	targets  []target // the targets directly in dir
	children []*node  // sorted by dir

	// best[k] is the cheapest way to cover the subtree with exactly k paths
	// (k up to the budget); merged tells whether best[1] is the wildcard of
	// dir; splits[i][k] is how many paths children[i] gets when targets and
	// children[0..i] share k paths at the least cost.
	best   []option
	merged bool
	splits [][]int
}

// newTree returns the root ("/") of the directory tree holding ts.
func newTree(ts []target) *node {
	nodes := map[string]*node{}
	var get func(dir string) *node
	get = func(dir string) *node {
		if n := nodes[dir]; n != nil {
			return n
		}
		n := &node{dir: dir}
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
		slices.SortFunc(n.children, func(a, b *node) int { return strings.Compare(a.dir, b.dir) })
	}
	return root
}

// plan returns at most budget targets covering the tree rooted at n, chosen
// as NewPlan describes. n must hold at least one target.
func (n *node) plan(budget int) []target {
	n.solve(budget)
	k := 0
	for i, o := range n.best {
		if o.ok && (k == 0 || compareSum(o.cost, nil, n.best[k].cost) < 0) {
			k = i
		}
	}
	return n.collect(k, nil)
}

// solve fills in best, merged and splits for n and its subtree: a tree
// knapsack over the choice, for each directory, between its wildcard and
// the best covers of its targets and children.
func (n *node) solve(budget int) {
	best := make([]option, min(len(n.targets), budget)+1)
	if len(n.targets) <= budget {
		best[len(n.targets)] = option{ok: true}
	}
	for _, c := range n.children {
		c.solve(budget)
		next := make([]option, min(len(best)+len(c.best)-2, budget)+1)
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
				if b.ok && (!next[k].ok || compareSum(a.cost, b.cost, next[k].cost) < 0) {
					next[k] = option{ok: true, cost: sum(a.cost, b.cost)}
					split[k] = kc
				}
			}
		}
		best = next
		n.splits = append(n.splits, split)
	}
	if len(best) < 2 {
		best = append(best, option{})
	}
	wildcard := cost{depth(n.dir)}
	if encodedLen(n.dir)+1 <= MaxPathLength && (!best[1].ok || compareSum(wildcard, nil, best[1].cost) < 0) {
		best[1] = option{ok: true, cost: wildcard}
		n.merged = true
	}
	n.best = best
}

// collect appends to out the k targets of the best cover of n's subtree
// with k paths.
func (n *node) collect(k int, out []target) []target {
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
