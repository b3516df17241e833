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
// is a prefix of the other, the shorter is better. The order is compatible
// with adding wildcards: if a is better than b, a+c is better than b+c.
type cost []int

// compare returns -1 if a is better than b, +1 if it is worse and 0 if
// they are equal.
func (a cost) compare(b cost) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			if a[i] > b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// sum returns the cost of both sets of wildcards.
func sum(a, b cost) cost {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	s := make(cost, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || i < len(a) && a[i] <= b[j] {
			s, i = append(s, a[i]), i+1
		} else {
			s, j = append(s, b[j]), j+1
		}
	}
	return s
}

// An option is one way to cover a subtree: its cost, how many paths it
// saves against invalidating every target exactly, and how it was built,
// for [node.collect]. An option of a node's own wildcard has merged set; an
// option that combines the targets and first children of a node with one
// more child has the two options it combines in left and right.
type option struct {
	cost   cost
	saved  int
	merged bool
	left   *option
	right  *option
}

// A frontier holds, for each number of wildcard paths w from 0 to the
// limit, the options that cover a subtree with exactly w wildcards and are
// worth keeping: sorted by cost, best first, each saving strictly more paths
// than every better one, and none after the first that saves enough (see
// [planner.need]) — a worse cost can only be chosen for saving more.
type frontier [][]*option

// A node is a directory that holds targets, or holds directories that do.
type node struct {
	dir      string   // unencoded, ending in '/'
	targets  []target // the targets directly in dir
	children []*node  // sorted by dir
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

// A planner chooses the directory wildcards for one tree: at most limit
// wildcard paths in all (chosen directories and the wildcards targets
// bring), and at least need paths saved so that the plan fits its budget.
type planner struct {
	limit int
	need  int
}

// plan returns at most budget targets, at most limit of them wildcards,
// covering the n tree's targets ts (n = newTree(ts)), chosen as NewPlan
// describes. The tree must hold at least one target.
func plan(ts []target, budget, limit int) []target {
	p := planner{limit: limit, need: len(ts) - budget}
	root := newTree(ts)
	f, _ := p.solve(root)
	var best *option
	for _, opts := range f {
		for _, o := range opts {
			if o.saved >= p.need && (best == nil || o.cost.compare(best.cost) < 0 ||
				o.cost.compare(best.cost) == 0 && o.saved > best.saved) {
				best = o
			}
		}
	}
	return root.collect(best, nil)
}

// solve returns the frontier of n's subtree and how many targets it holds:
// a tree knapsack over the choice, for each directory, between its
// wildcard and the best covers of its targets and children. The
// frontier's size, not the budget, bounds the work: a wildcard saves at
// least one path, so few options are worth keeping.
func (p planner) solve(n *node) (frontier, int) {
	count, forced := len(n.targets), 0
	for _, t := range n.targets {
		forced += boolInt(t.wildcard)
	}
	f := make(frontier, p.limit+1)
	if forced <= p.limit {
		f[forced] = []*option{{}}
	}
	for _, c := range n.children {
		cf, cn := p.solve(c)
		count += cn
		f = p.combine(f, cf)
	}
	// The directory's own wildcard: one path for the whole subtree. For a
	// single target it saves nothing.
	if count >= 2 && encodedLen(n.dir)+1 <= MaxPathLength && p.limit >= 1 {
		own := &option{cost: cost{depth(n.dir)}, saved: count - 1, merged: true}
		f[1] = p.prune(append(f[1], own))
	}
	return f, count
}

// combine returns the frontier of the options of a and b taken together.
// Between options of equal cost and saving, the first found is kept: the
// one with more of its wildcards in a, the directories sorted first.
func (p planner) combine(a, b frontier) frontier {
	out := make(frontier, p.limit+1)
	for wa := len(a) - 1; wa >= 0; wa-- {
		as := a[wa]
		for wb, bs := range b {
			if wa+wb > p.limit {
				break
			}
			for _, x := range as {
				for _, y := range bs {
					out[wa+wb] = append(out[wa+wb], &option{cost: sum(x.cost, y.cost), saved: x.saved + y.saved, left: x, right: y})
				}
			}
		}
	}
	for w := range out {
		out[w] = p.prune(out[w])
	}
	return out
}

// prune sorts opts by cost, best first and, for equal costs, saving most
// first, and keeps the options worth keeping (see [frontier]).
func (p planner) prune(opts []*option) []*option {
	slices.SortStableFunc(opts, func(x, y *option) int {
		if c := x.cost.compare(y.cost); c != 0 {
			return c
		}
		return y.saved - x.saved
	})
	out := opts[:0]
	for _, o := range opts {
		if len(out) > 0 && o.saved <= out[len(out)-1].saved {
			continue
		}
		out = append(out, o)
		if o.saved >= p.need {
			break
		}
	}
	return out
}

// collect appends to out the targets of option o of n's subtree.
func (n *node) collect(o *option, out []target) []target {
	if o.merged {
		return append(out, target{prefix: n.dir, wildcard: true})
	}
	for i := len(n.children) - 1; i >= 0; i-- {
		out = n.children[i].collect(o.right, out)
		o = o.left
	}
	return append(out, n.targets...)
}
