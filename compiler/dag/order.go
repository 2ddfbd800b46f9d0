package dag

import (
	"math/bits"
	"strings"
)

// Cycle is one dependency cycle as the full path a -> b -> c -> a: the first
// id is repeated at the end, and the path starts at the cycle's smallest id.
type Cycle struct{ Path []string }

// String renders the path as "a -> b -> c -> a".
func (c *Cycle) String() string { return strings.Join(c.Path, " -> ") }

// Order returns every node in topological order (parents first), ties broken
// by smallest id, so the order is the same whatever order edges were added
// in. When the graph has a cycle, Order returns the nodes that could be
// ordered and one cycle, chosen stably: the shortest cycle through the
// smallest id that lies on any cycle.
func (g *Graph) Order() ([]string, *Cycle) {
	g.frozen()
	return g.names(g.order), g.cycle
}

// OrderIndexes is Order as node indexes. The slice is shared: do not modify it.
func (g *Graph) OrderIndexes() ([]int32, *Cycle) {
	g.frozen()
	return g.order, g.cycle
}

// topoSort is Kahn's algorithm taking the smallest ready node each time
// (readySet): O(E + V) word operations.
func (g *Graph) topoSort() ([]int32, *Cycle) {
	n := len(g.ids)
	indeg := make([]int32, n)
	ready := newReadySet(n)
	for i := range n {
		indeg[i] = int32(len(g.parents[i]))
		if indeg[i] == 0 {
			ready.push(int32(i))
		}
	}
	order := make([]int32, 0, n)
	for {
		v, ok := ready.pop()
		if !ok {
			break
		}
		order = append(order, v)
		for _, c := range g.children[v] {
			indeg[c]--
			if indeg[c] == 0 {
				ready.push(c)
			}
		}
	}
	if len(order) == n {
		return order, nil
	}
	return order, g.findCycle(indeg)
}

// findCycle picks one cycle among the nodes Kahn's algorithm could not order
// (indeg > 0): strongly connected components (Tarjan, iterative) mark which
// of them lie on a cycle; a breadth-first search from the smallest such node,
// within its component and over sorted children, finds the shortest cycle
// back to it.
func (g *Graph) findCycle(indeg []int32) *Cycle {
	n := len(g.ids)
	const unvisited = -1
	num := make([]int32, n)
	low := make([]int32, n)
	comp := make([]int32, n)
	onStack := make([]bool, n)
	for i := range num {
		num[i], comp[i] = unvisited, unvisited
	}
	var stack []int32
	type frame struct{ v, next int32 }
	var call []frame
	counter, ncomp := int32(0), int32(0)
	best := int32(-1) // smallest node on a cycle
	for root := range n {
		if indeg[root] == 0 || num[root] != unvisited {
			continue
		}
		call = append(call, frame{v: int32(root)})
		num[root], low[root] = counter, counter
		counter++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if cs := g.children[v]; int(f.next) < len(cs) {
				w := cs[f.next]
				f.next++
				if indeg[w] == 0 {
					continue // ordered, so on no cycle
				}
				if num[w] == unvisited {
					num[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{v: w})
				} else if onStack[w] {
					low[v] = min(low[v], num[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] != num[v] {
				continue
			}
			size, smallest := 0, v
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				size++
				smallest = min(smallest, w)
				if w == v {
					break
				}
			}
			if size == 1 && !g.hasSelfLoop(v) {
				comp[v] = unvisited // trivial component: on no cycle
			} else if best < 0 || smallest < best {
				best = smallest
			}
			ncomp++
		}
	}
	if best < 0 {
		return nil // cannot happen: unordered nodes imply a cycle
	}
	return g.shortestCycle(best, comp)
}

func (g *Graph) hasSelfLoop(v int32) bool {
	for _, c := range g.children[v] {
		if c == v {
			return true
		}
	}
	return false
}

func (g *Graph) shortestCycle(s int32, comp []int32) *Cycle {
	prev := map[int32]int32{s: -1}
	queue := []int32{s}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.children[v] {
			if w == s {
				var rev []int32
				for x := v; x != -1; x = prev[x] {
					rev = append(rev, x)
				}
				path := make([]string, 0, len(rev)+1)
				for k := len(rev) - 1; k >= 0; k-- {
					path = append(path, g.ids[rev[k]])
				}
				return &Cycle{Path: append(path, g.ids[s])}
			}
			if _, seen := prev[w]; seen || comp[w] != comp[s] {
				continue
			}
			prev[w] = v
			queue = append(queue, w)
		}
	}
	return nil
}

// Levels returns, for every node that can be ordered, the length of the
// longest path to it from a root (roots are 0). Nodes on or downstream of a
// cycle are absent.
func (g *Graph) Levels() map[string]int {
	g.frozen()
	level := make([]int32, len(g.ids))
	out := make(map[string]int, len(g.order))
	for _, v := range g.order {
		for _, p := range g.parents[v] {
			level[v] = max(level[v], level[p]+1)
		}
		out[g.ids[v]] = int(level[v])
	}
	return out
}

// readySet is a set of node indexes below n that gives up its smallest
// member in a few word operations however large it is: a bitmap, with a
// summary bitmap above it marking its non-empty words, and so on up to a
// single word. Kahn's algorithm above kept a binary heap instead; at
// 100,000 models its 370,000 ready tests made each push and pop some 18
// levels of cache misses (80 ms of a serial phase in perf).
type readySet struct {
	levels [][]uint64 // levels[0]: one bit per index; levels[k+1]: one per word of levels[k]
}

func newReadySet(n int) *readySet {
	s := &readySet{}
	for {
		words := (n + 63) / 64
		s.levels = append(s.levels, make([]uint64, max(words, 1)))
		if words <= 1 {
			return s
		}
		n = words
	}
}

func (s *readySet) push(i int32) {
	for _, l := range s.levels {
		w := i >> 6
		was := l[w]
		l[w] |= 1 << (i & 63)
		if was != 0 {
			return // the levels above already mark this word
		}
		i = w
	}
}

// pop removes and returns the smallest member; false when s is empty.
func (s *readySet) pop() (int32, bool) {
	top := len(s.levels) - 1
	if s.levels[top][0] == 0 {
		return 0, false
	}
	i := int32(0)
	for k := top; k >= 0; k-- {
		i = i<<6 | int32(bits.TrailingZeros64(s.levels[k][i]))
	}
	v := i
	for _, l := range s.levels {
		w := i >> 6
		l[w] &^= 1 << (i & 63)
		if l[w] != 0 {
			break
		}
		i = w
	}
	return v, true
}
