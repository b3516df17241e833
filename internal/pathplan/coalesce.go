package pathplan

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
	size     int      // the targets in the subtree; see count
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
// bring), at most budget paths, so at least need paths saved.
type planner struct {
	limit  int
	budget int
	need   int
}

// plan returns at most budget targets, at most limit of them wildcards,
// covering ts, chosen as the package doc describes (“Choosing wildcards”).
// ts must not be empty.
func plan(ts []target, budget, limit int) []target {
	p := planner{limit: limit, budget: budget, need: len(ts) - budget}
	root := newTree(ts)
	root.count()
	f := p.solve(root, nil)
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

// count sets n.size, the targets in n's subtree, for n and its
// descendants, and returns it.
func (n *node) count() int {
	n.size = len(n.targets)
	for _, c := range n.children {
		n.size += c.count()
	}
	return n.size
}

// solve returns the frontier of n's subtree: a tree knapsack over the
// choice, for each directory, between its wildcard and the best covers of
// its targets and children.
//
// outside bounds what the rest of the tree can save: the most paths
// wildcards outside n's subtree can save (see [planner.top]). An option
// that, with the rest's best, still saves fewer than need is dropped, as
// is one that leaves more paths than the budget in its own part of the
// tree: the rest adds paths, never removes them. Both keep the frontiers
// small for a tree of few, large directories (a collectstatic), whatever
// the budget. They do not bound them in a deep tree of many small
// directories with a budget that is a large fraction of the targets: there
// the options worth keeping grow with the budget, and planning takes
// seconds (BenchmarkNewPlan's deep-tree rows).
func (p planner) solve(n *node, outside []int) frontier {
	forced := 0
	for _, t := range n.targets {
		forced += boolInt(t.wildcard)
	}
	f := make(frontier, p.limit+1)
	if forced <= p.limit {
		f[forced] = []*option{{}}
	}
	// gains[i] is the most children[i] can save with one wildcard;
	// rest[i] the best of the children from i on.
	gains := make([]int, len(n.children))
	for i, c := range n.children {
		gains[i] = c.size - 1
	}
	rest := make([][]int, len(n.children)+1)
	for i := len(n.children) - 1; i >= 0; i-- {
		rest[i] = p.top(rest[i+1], gains[i:i+1])
	}
	// best holds one more than top keeps, so that without any one child
	// it still holds the best limit of the others.
	best := slices.SortedFunc(slices.Values(gains), func(x, y int) int { return y - x })
	best = best[:min(len(best), p.limit+1)]
	size := len(n.targets)
	for i, c := range n.children {
		siblings := best
		if j := slices.Index(best, gains[i]); j >= 0 {
			siblings = slices.Delete(slices.Clone(best), j, j+1)
		}
		cf := p.solve(c, p.top(outside, siblings))
		size += c.size
		f = p.combine(f, cf, size, p.top(outside, rest[i+1]))
	}
	// The directory's own wildcard: one path for the whole subtree. For a
	// single target it saves nothing.
	if n.size >= 2 && encodedLen(n.dir)+1 <= MaxPathLength && p.limit >= 1 {
		own := &option{cost: cost{depth(n.dir)}, saved: n.size - 1, merged: true}
		f[1] = p.prune(append(f[1], own), 1, outside)
	}
	return f
}

// top returns the limit largest of a and b together, largest first: an
// upper bound, summed, on what that many wildcards can save in the disjoint
// subtrees whose single-wildcard savings a and b list (each wildcard saves
// at most its subtree's targets less one).
func (p planner) top(a, b []int) []int {
	out := slices.Concat(a, b)
	slices.SortFunc(out, func(x, y int) int { return y - x })
	return out[:min(len(out), p.limit)]
}

// combine returns the frontier of the options of a and b taken together,
// which cover size targets, with rest bounding what the remainder of the
// tree can save (see [planner.solve]). Between options of equal cost and
// saving, the first found is kept: the one with more of its wildcards in
// a, the directories sorted first.
func (p planner) combine(a, b frontier, size int, rest []int) frontier {
	out := make(frontier, p.limit+1)
	for wa := len(a) - 1; wa >= 0; wa-- {
		as := a[wa]
		for wb, bs := range b {
			if wa+wb > p.limit {
				break
			}
			for _, x := range as {
				for _, y := range bs {
					if size-(x.saved+y.saved) <= p.budget {
						out[wa+wb] = append(out[wa+wb], &option{cost: sum(x.cost, y.cost), saved: x.saved + y.saved, left: x, right: y})
					}
				}
			}
		}
	}
	for w := range out {
		out[w] = p.prune(out[w], w, rest)
	}
	return out
}

// prune sorts the options with w wildcards opts by cost, best first and,
// for equal costs, saving most first, and keeps the options worth keeping
// (see [frontier]) that, with what the rest of the tree can save by the
// bound rest, save at least need.
func (p planner) prune(opts []*option, w int, rest []int) []*option {
	more := 0
	for _, g := range rest[:min(len(rest), p.limit-w)] {
		more += g
	}
	opts = slices.DeleteFunc(opts, func(o *option) bool { return o.saved+more < p.need })
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
