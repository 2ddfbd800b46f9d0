// Package dag holds the project's dependency graph: nodes keyed by unique id,
// edges from parent (upstream) to child. Nodes and edges live in a
// github.com/dominikbraun/graph graph; ordering, cycle detection and
// traversal run on sorted adjacency slices built once by Freeze, because the
// library's own TopologicalSort is quadratic on large projects.
package dag

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/dominikbraun/graph"
)

// Graph is a directed graph of node ids. Build it with AddNode and AddEdge,
// then call Freeze; queries on a graph that changed since the last Freeze
// freeze it first. A frozen graph is safe for concurrent queries.
type Graph struct {
	lib   graph.Graph[string, string]
	st    *store // lib's storage
	dirty bool

	// Index structures, rebuilt by Freeze. Node indexes follow id order, so
	// sorting by index is sorting by id.
	ids      []string
	children [][]int32 // sorted
	parents  [][]int32 // sorted
	order    []int32   // topological order, ties broken by id
	cycle    *Cycle

	// index maps ids to indexes. It is built on the first lookup by id:
	// hashing every id of a 400,000-node project is a real share of
	// building its graph, and writing a manifest never looks one up.
	index     map[string]int32
	indexOnce sync.Once
}

// New returns an empty graph.
func New() *Graph { return NewSized(0, 0) }

// NewSized returns an empty graph with room for about that many nodes and
// edges.
func NewSized(nodes, edges int) *Graph {
	st := newStore(nodes, edges)
	return &Graph{lib: graph.NewWithStore[string, string](graph.StringHash, st, graph.Directed()), st: st, dirty: true}
}

// Underlying returns the library graph holding the nodes and edges, for
// read-only uses such as drawing. Add nodes and edges through Graph, not
// through it, so the graph knows to freeze again.
func (g *Graph) Underlying() graph.Graph[string, string] { return g.lib }

// AddNode adds a node; adding it again is a no-op.
func (g *Graph) AddNode(id string) { g.vertex(id) }

// vertex returns id's index in the store, adding it if needed. Nodes and
// edges go to the store directly: the library's AddVertex and AddEdge
// (which would store the same) look each vertex up three times and make
// an attribute map per call, a third of building a 100,000-model graph.
func (g *Graph) vertex(id string) int32 {
	if i, ok := g.st.lookup(id); ok {
		return i
	}
	g.dirty = true
	return g.st.addVertex(id)
}

// AddEdge adds an edge from parent (upstream) to child. Nodes not yet added
// are added, so callers can report unknown references themselves before
// building the graph; a duplicate edge is a no-op. Self-loops are kept and
// reported as cycles by Order.
func (g *Graph) AddEdge(from, to string) {
	if g.st.addEdge(g.vertex(from), g.vertex(to)) {
		g.dirty = true
	}
}

// Freeze builds the index structures and the topological order once.
// Call it after all nodes and edges are added.
func (g *Graph) Freeze() error {
	// The store holds the edges as child index slices; renumber them so
	// that indexes follow id order.
	st := g.st
	live := make([]int32, 0, len(st.ids)-st.nremoved)
	for i := range st.ids {
		if st.removed == nil || !st.removed[i] {
			live = append(live, int32(i))
		}
	}
	slices.SortFunc(live, func(a, b int32) int { return strings.Compare(st.ids[a], st.ids[b]) })
	perm := make([]int32, len(st.ids)) // store index -> sorted index
	ids := make([]string, len(live))
	for k, i := range live {
		perm[i] = int32(k)
		ids[k] = st.ids[i]
	}
	children := make([][]int32, len(ids))
	for k, i := range live {
		cs := st.children[i]
		if len(cs) == 0 {
			continue
		}
		out := make([]int32, len(cs))
		for j, c := range cs {
			out[j] = perm[c]
		}
		slices.Sort(out)
		children[k] = out
	}
	g.set(ids, children, parentsOf(children))
	g.dirty = false
	return nil
}

// Build returns the frozen graph of the nodes ids, which must be distinct,
// with an edge from each node in parents[i] (positions in ids) to ids[i].
// It is AddNode and AddEdge for a whole graph at once, for callers that
// know where each node's parents are: no id is hashed, and the library's
// store behind Underlying is filled in only if it is used.
func Build(ids []string, parents [][]int32) (*Graph, error) {
	sorted := sortIDs(ids)
	perm := make([]int32, len(ids)) // position -> sorted index
	byID := make([]string, len(ids))
	for k, e := range sorted {
		if k > 0 && e.id == byID[k-1] {
			return nil, fmt.Errorf("dag: node %q given twice", e.id)
		}
		perm[e.pos] = int32(k)
		byID[k] = e.id
	}
	// Children come out sorted because parents are visited in index order.
	nchildren := make([]int32, len(ids))
	for _, ps := range parents {
		for _, p := range ps {
			if p < 0 || int(p) >= len(ids) {
				return nil, fmt.Errorf("dag: parent position %d out of range", p)
			}
			nchildren[perm[p]]++
		}
	}
	children := emptyLists(nchildren)
	up := make([][]int32, len(ids)) // parents by sorted index
	for i, ps := range parents {
		up[perm[i]] = ps
	}
	for k, ps := range up {
		for _, p := range ps {
			children[perm[p]] = append(children[perm[p]], int32(k))
		}
	}
	for k, cs := range children {
		children[k] = slices.Compact(cs) // a parent listed twice is one edge
	}
	g := &Graph{dirty: false}
	g.set(byID, children, parentsOf(children))
	g.st = lazyStore(g)
	g.lib = graph.NewWithStore[string, string](graph.StringHash, g.st, graph.Directed())
	return g, nil
}

// keyedID is an id and its position in the caller's list. Sorting these,
// rather than positions that point at the ids, reads each compared id's
// header from the slice being sorted: one cache miss per compare, not two.
type keyedID struct {
	id  string
	pos int32
}

// sortIDs sorts ids with their positions. Large lists sort in two halves
// at once and are merged: sorting is most of building a large graph.
func sortIDs(ids []string) []keyedID {
	keyed := make([]keyedID, len(ids))
	for i, id := range ids {
		keyed[i] = keyedID{id, int32(i)}
	}
	cmp := func(a, b keyedID) int { return strings.Compare(a.id, b.id) }
	if len(ids) < 1<<14 || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(keyed, cmp)
		return keyed
	}
	lo, hi := keyed[:len(keyed)/2], keyed[len(keyed)/2:]
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		slices.SortFunc(lo, cmp)
	}()
	slices.SortFunc(hi, cmp)
	wg.Wait()
	out := make([]keyedID, 0, len(keyed))
	for len(lo) > 0 && len(hi) > 0 {
		if hi[0].id < lo[0].id {
			out, hi = append(out, hi[0]), hi[1:]
		} else {
			out, lo = append(out, lo[0]), lo[1:]
		}
	}
	return append(append(out, lo...), hi...)
}

// parentsOf inverts sorted child lists into sorted parent lists.
func parentsOf(children [][]int32) [][]int32 {
	nparents := make([]int32, len(children))
	for _, cs := range children {
		for _, c := range cs {
			nparents[c]++
		}
	}
	// Parents come out sorted because sources are visited in index order.
	parents := emptyLists(nparents)
	for i, cs := range children {
		for _, c := range cs {
			parents[c] = append(parents[c], int32(i))
		}
	}
	return parents
}

// emptyLists returns empty lists with room for counts[i] items each, all
// in one backing array: a graph of 100,000 models has 400,000 nodes, and a
// list each made hundreds of thousands of small allocations. Each list's
// capacity ends where the next one's begins, so appending past counts[i]
// copies instead of overwriting a neighbour.
func emptyLists(counts []int32) [][]int32 {
	total := 0
	for _, n := range counts {
		total += int(n)
	}
	flat := make([]int32, total)
	lists := make([][]int32, len(counts))
	off := 0
	for i, n := range counts {
		if n > 0 {
			lists[i] = flat[off : off : off+int(n)]
			off += int(n)
		}
	}
	return lists
}

// set installs the index structures and orders the graph.
func (g *Graph) set(ids []string, children, parents [][]int32) {
	g.ids, g.children, g.parents = ids, children, parents
	g.index, g.indexOnce = nil, sync.Once{}
	g.order, g.cycle = g.topoSort()
}

// lookup returns id's index in the frozen graph.
func (g *Graph) lookup(id string) (int32, bool) {
	g.frozen()
	g.indexOnce.Do(func() {
		g.index = make(map[string]int32, len(g.ids))
		for i, id := range g.ids {
			g.index[id] = int32(i)
		}
	})
	i, ok := g.index[id]
	return i, ok
}

func (g *Graph) frozen() *Graph {
	if g.dirty {
		if err := g.Freeze(); err != nil {
			panic(err) // the in-memory store never fails
		}
	}
	return g
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.frozen().ids) }

// IDs returns every node id, sorted.
func (g *Graph) IDs() []string { return slices.Clone(g.frozen().ids) }

// Has reports whether id is a node.
func (g *Graph) Has(id string) bool {
	_, ok := g.lookup(id)
	return ok
}

// Index returns the dense index of id (0..Len-1, in id order), for callers
// that keep per-node data in slices or bit sets.
func (g *Graph) Index(id string) (int, bool) {
	i, ok := g.lookup(id)
	return int(i), ok
}

// ID is the inverse of Index.
func (g *Graph) ID(i int) string { return g.frozen().ids[i] }

// Parents returns the direct parents of id, sorted.
func (g *Graph) Parents(id string) []string {
	i, ok := g.lookup(id)
	if !ok {
		return nil
	}
	return g.names(g.parents[i])
}

// Children returns the direct children of id, sorted.
func (g *Graph) Children(id string) []string {
	i, ok := g.lookup(id)
	if !ok {
		return nil
	}
	return g.names(g.children[i])
}

// ParentIndexes returns the direct parents of node i as sorted indexes. The
// slice is shared: do not modify it.
func (g *Graph) ParentIndexes(i int) []int32 { return g.frozen().parents[i] }

// ChildIndexes returns the direct children of node i as sorted indexes. The
// slice is shared: do not modify it.
func (g *Graph) ChildIndexes(i int) []int32 { return g.frozen().children[i] }

func (g *Graph) names(idx []int32) []string {
	if len(idx) == 0 {
		return nil
	}
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = g.ids[i]
	}
	return out
}
