package pathplan

import (
	"slices"
)

// A node is a directory that holds targets, or holds directories that do.
type node struct {
	dir      string   // unencoded, ending in '/'
	depth    int      // 0 for "/", 1 for "/a/"
	targets  []target // the targets directly in dir
	children []*node
	size     int // the targets in the subtree
	forced   int // the wildcard targets in the subtree
	wild     int // the wildcard targets directly in dir
	// wildcardable: n's own wildcard may be chosen, as it saves a path and
	// fits CloudFront's path length.
	wildcardable bool
	chosen       bool // the plan has dir's wildcard
	covered      bool // dir is under a chosen wildcard, or is one
}

// gain is the number of paths n's wildcard saves: its subtree's targets
// become one path.
func (n *node) gain() int { return n.size - 1 }

// newLevels returns the directory tree holding ts, its nodes listed by
// depth (levels[0] holds only the root, "/"), sizes and forced counts set.
func newLevels(ts []target) [][]*node {
	nodes := map[string]*node{}
	var levels [][]*node
	var get func(dir string) *node
	get = func(dir string) *node {
		if n := nodes[dir]; n != nil {
			return n
		}
		n := &node{dir: dir, depth: depth(dir)}
		nodes[dir] = n
		for len(levels) <= n.depth {
			levels = append(levels, nil)
		}
		levels[n.depth] = append(levels[n.depth], n)
		if dir != "/" {
			parent := get(dirOf(dir[:len(dir)-1]))
			parent.children = append(parent.children, n)
		}
		return n
	}
	get("/")
	for _, t := range ts {
		n := get(dirOf(t.prefix))
		n.targets = append(n.targets, t)
	}
	for d := len(levels) - 1; d >= 0; d-- { // children before parents
		for _, n := range levels[d] {
			n.wild = wildcards(n.targets)
			n.size, n.forced = len(n.targets), n.wild
			for _, c := range n.children {
				n.size += c.size
				n.forced += c.forced
			}
			n.wildcardable = n.size >= 2 && encodedLen(n.dir)+1 <= MaxPathLength
		}
	}
	return levels
}

// A planner chooses the directory wildcards for one tree, a level at a
// time from the root down (see plan). saved counts the paths the wildcards
// chosen so far save, wild the wildcard paths of the plan so far (the
// chosen ones and the wildcard targets not under them).
type planner struct {
	levels [][]*node
	limit  int
	need   int // paths to save: targets less budget
	saved  int
	wild   int
}

// plan returns at most budget targets, at most limit of them wildcards,
// covering ts, the wildcards chosen a depth at a time as the package doc
// describes (“Choosing wildcards”). ts must not be empty.
func plan(ts []target, budget, limit int) []target {
	levels := newLevels(ts)
	root := levels[0][0]
	p := &planner{levels: levels, limit: limit, need: root.size - budget, wild: root.forced}
	last := -1
	for !p.fits() {
		d := p.deepestFit(last + 1)
		if d < 0 || !p.choose(d) {
			// Not reached (the root's wildcard fits any budget and limit of
			// at least 1, and each step leaves a fit below it); if it were,
			// the root's wildcard alone is the plan that still fits.
			return []target{{prefix: "/", wildcard: true}}
		}
		last = d
	}
	return collect(root, nil)
}

// fits reports whether the plan so far fits the budget and the limit.
func (p *planner) fits() bool { return p.saved >= p.need && p.wild <= p.limit }

// deepestFit returns the deepest depth d at or below from (levels are
// nested: a directory's wildcard saves at least what any wildcards under
// it save, with no more wildcard paths, so fitting at d means fitting at
// every depth from `from` down to d) at which wildcards of directories at
// d, with those chosen, fit; -1 if none does.
func (p *planner) deepestFit(from int) int {
	lo, hi := from, len(p.levels)-1
	if lo > hi || !p.fitsAt(lo) {
		return -1
	}
	for lo < hi { // fitsAt(lo) holds
		mid := (lo + hi + 1) / 2
		if p.fitsAt(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// fitsAt reports whether wildcards of directories at depth d, added to the
// chosen ones, can fit the budget and the limit. A wildcard over wildcard
// targets never adds a wildcard path, so those are all taken; then the
// others in order of what they save, while the limit allows.
func (p *planner) fitsAt(d int) bool {
	saved, wild := p.saved, p.wild
	var gains []int
	for _, n := range p.levels[d] {
		switch {
		case n.covered || !n.wildcardable:
		case n.forced > 0:
			saved, wild = saved+n.gain(), wild+1-n.forced
		default:
			gains = append(gains, n.gain())
		}
	}
	slices.SortFunc(gains, func(a, b int) int { return b - a })
	for _, g := range gains {
		if saved >= p.need || wild >= p.limit {
			break
		}
		saved, wild = saved+g, wild+1
	}
	return saved >= p.need && wild <= p.limit
}

// take adds n's wildcard to the plan and marks its subtree covered.
func (p *planner) take(n *node) {
	n.chosen = true
	p.saved += n.gain()
	p.wild += 1 - n.forced
	var cover func(*node)
	cover = func(n *node) {
		n.covered = true
		for _, c := range n.children {
			cover(c)
		}
	}
	cover(n)
}

// collect appends to out the targets of the plan for n's subtree: the
// wildcard of a chosen directory, else its own targets and its children's.
func collect(n *node, out []target) []target {
	if n.chosen {
		return append(out, target{prefix: n.dir, wildcard: true})
	}
	out = append(out, n.targets...)
	for _, c := range n.children {
		out = collect(c, out)
	}
	return out
}

// noPlan marks an entry of a table that no choice reaches.
const noPlan = -1

// A stage is the choice of the wildcards at one depth d: groups are the
// directories at d not yet covered, room the wildcard paths their subtrees
// may hold.
type stage struct {
	p      *planner
	d      int
	groups []*node
	room   int
}

// choose adds to the plan the wildcards at depth d: the fewest with which
// wildcards one level deeper can still make the plan fit (at least one when
// fitsAt(d+1) does not hold). Among those it takes the ones with which the
// plan fits with the next wildcards deepest — none at all if it can (see
// lookahead) — and, among those, the ones that save the most paths, then
// hold the fewest wildcard paths. It reports false if nothing fits.
func (p *planner) choose(d int) bool {
	s := stage{p: p, d: d, room: p.limit - p.wild}
	for _, n := range p.levels[d] {
		if !n.covered {
			s.groups = append(s.groups, n)
			s.room += n.forced
		}
	}
	s.room = min(s.room, p.limit)
	if s.room < 0 {
		return false
	}
	t, _ := s.table(1)
	k, ok := t.fewest(p.need - p.saved)
	if !ok {
		return false
	}
	t, how := s.table(s.lookahead(k))
	x, _ := t.most(k, p.need-p.saved)
	for i := len(s.groups) - 1; i >= 0; i-- {
		var c int8
		if how[i] != nil {
			c = how[i][t.at(k, x)]
		}
		if c < 0 {
			p.take(s.groups[i])
			k, x = k-1, x-1
		} else {
			x -= int(c)
		}
	}
	return true
}

// lookahead returns the largest j with which k wildcards at d, and
// wildcards j levels deeper, can make the plan fit: at least 1, as choose
// found; past the deepest directory, the k wildcards fit on their own.
// Fitting with j means fitting with every smaller j (see deepestFit).
func (s *stage) lookahead(k int) int {
	need := s.p.need - s.p.saved
	lo, hi := 1, len(s.p.levels)-s.d
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if t, _ := s.table(mid); fits(t, k, need) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// fits reports whether some entry of t for k wildcards saves need paths.
func fits(t table, k, need int) bool {
	_, ok := t.most(k, need)
	return ok
}

// table returns the knapsack over the groups, each either its own
// wildcard or open with the wildcards j levels below it, and for each
// group how each entry was reached (see table.add; nil: open, holding no
// wildcard path).
func (s *stage) table(j int) (table, [][]int8) {
	t, next := newTable(s.room), newTable(s.room)
	how := make([][]int8, len(s.groups))
	for i, n := range s.groups {
		o := open(n, j, s.room)
		if !n.wildcardable && o.base == 0 && len(o.saved) == 1 && o.saved[0] == 0 {
			continue // nothing to choose: the table stays as it is
		}
		how[i] = t.add(n, o, next)
		t, next = next, t
	}
	return t, how
}

// An opening is what the wildcards under an open directory can save:
// with its subtree holding base+i wildcard paths, saved[i] paths.
type opening struct {
	base  int
	saved []int
}

// open returns the opening of n with the wildcards of the directories j
// levels below it, within room wildcard paths (no saved entry if its
// subtree cannot hold that few). A wildcard over wildcard targets never
// adds a wildcard path, so those are always taken; the others in order of
// what they save.
func open(n *node, j, room int) opening {
	var o opening
	saved := 0
	var extra []int
	var walk func(m *node, below int)
	walk = func(m *node, below int) {
		switch {
		case below < j:
			o.base += m.wild
			for _, c := range m.children {
				walk(c, below+1)
			}
		case !m.wildcardable:
			o.base += m.forced
		case m.forced > 0:
			o.base, saved = o.base+1, saved+m.gain()
		default:
			extra = append(extra, m.gain())
		}
	}
	walk(n, 0)
	if o.base > room {
		return o
	}
	slices.SortFunc(extra, func(a, b int) int { return b - a })
	o.saved = append(o.saved, saved)
	for _, g := range extra[:min(len(extra), room-o.base)] {
		saved += g
		o.saved = append(o.saved, saved)
	}
	return o
}

// A table holds, for k wildcards chosen at one depth and x wildcard paths
// in the subtrees at that depth, the most paths saved (noPlan if no choice
// gives k and x).
type table struct {
	room  int
	saved []int
}

func newTable(room int) table {
	t := table{room: room, saved: make([]int, (room+1)*(room+1))}
	t.clear()
	t.saved[0] = 0
	return t
}

func (t table) clear() {
	for i := range t.saved {
		t.saved[i] = noPlan
	}
}

func (t table) at(k, x int) int { return k*(t.room+1) + x }

// add fills next with t and directory n added, either as its own wildcard
// or open as o, and returns for each entry how it was reached: -1 for n's
// wildcard, else the wildcard paths the open n holds.
func (t table) add(n *node, o opening, next table) []int8 {
	next.clear()
	how := make([]int8, len(t.saved))
	// Between equal entries the first found is kept: k downwards, so that
	// an earlier directory's wildcard wins over a later one's.
	for k := t.room; k >= 0; k-- {
		for x := 0; x <= t.room; x++ {
			s := t.saved[t.at(k, x)]
			if s == noPlan {
				continue
			}
			for i, g := range o.saved {
				y := o.base + i
				if x+y > t.room {
					break
				}
				if at := next.at(k, x+y); s+g > next.saved[at] {
					next.saved[at], how[at] = s+g, int8(y)
				}
			}
			if at := next.at(k+1, x+1); n.wildcardable && k < t.room && x < t.room && s+n.gain() > next.saved[at] {
				next.saved[at], how[at] = s+n.gain(), -1
			}
		}
	}
	return how
}

// fewest returns the fewest wildcards k with which some entry saves at
// least need paths.
func (t table) fewest(need int) (int, bool) {
	for k := 0; k <= t.room; k++ {
		if _, ok := t.most(k, need); ok {
			return k, true
		}
	}
	return 0, false
}

// most returns, for k wildcards, the wildcard paths x whose entry saves the
// most (the fewest x among equals), if it saves at least need.
func (t table) most(k, need int) (int, bool) {
	x := -1
	for y := 0; y <= t.room; y++ {
		if s := t.saved[t.at(k, y)]; s != noPlan && (x < 0 || s > t.saved[t.at(k, x)]) {
			x = y
		}
	}
	return x, x >= 0 && t.saved[t.at(k, x)] >= need
}
