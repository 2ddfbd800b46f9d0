// Package dag holds the project's dependency graph: nodes keyed by unique id,
// edges from parent (upstream) to child. Nodes and edges live in a
// github.com/dominikbraun/graph graph; ordering, cycle detection and
// traversal run on sorted adjacency slices built once by Freeze, because the
// library's own TopologicalSort is quadratic on large projects.
package dag

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dominikbraun/graph"
)

// Graph is a directed graph of node ids. Build it with AddNode and AddEdge,
// then call Freeze; queries on a graph that changed since the last Freeze
// freeze it first. A frozen graph is safe for concurrent queries.
type Graph struct {
	lib   graph.Graph[string, string]
	added []string // vertex ids in the order AddNode first saw them
	dirty bool

	// Index structures, rebuilt by Freeze. Node indexes follow id order, so
	// sorting by index is sorting by id.
	ids      []string
	index    map[string]int32
	children [][]int32 // sorted
	parents  [][]int32 // sorted
	order    []int32   // topological order, ties broken by id
	cycle    *Cycle
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{lib: graph.New(graph.StringHash, graph.Directed()), dirty: true}
}

// Underlying returns the library graph holding the nodes and edges, for
// read-only uses such as drawing. Add nodes and edges through Graph, not
// through it: Freeze then reads the edges back without the library's
// costlier adjacency maps.
func (g *Graph) Underlying() graph.Graph[string, string] { return g.lib }

// AddNode adds a node; adding it again is a no-op.
func (g *Graph) AddNode(id string) {
	if err := g.lib.AddVertex(id); err == nil {
		g.added = append(g.added, id)
		g.dirty = true
	}
}

// AddEdge adds an edge from parent (upstream) to child. Nodes not yet added
// are added, so callers can report unknown references themselves before
// building the graph; a duplicate edge is a no-op. Self-loops are kept and
// reported as cycles by Order.
func (g *Graph) AddEdge(from, to string) {
	err := g.lib.AddEdge(from, to)
	if errors.Is(err, graph.ErrVertexNotFound) {
		g.AddNode(from)
		g.AddNode(to)
		err = g.lib.AddEdge(from, to)
	}
	if err == nil {
		g.dirty = true
	}
}

// Freeze builds the index structures and the topological order once.
// Call it after all nodes and edges are added.
func (g *Graph) Freeze() error {
	// Edges() is one slice; AdjacencyMap() would build a map per vertex and
	// costs twice as much on large graphs.
	edges, err := g.lib.Edges()
	if err != nil {
		return fmt.Errorf("dag: reading edges: %w", err)
	}
	ids := slices.Clone(g.added)
	if n, err := g.lib.Order(); err != nil || n != len(ids) {
		ids, err = g.libVertices() // vertices were added behind our back
		if err != nil {
			return err
		}
	}
	slices.Sort(ids)
	index := make(map[string]int32, len(ids))
	for i, id := range ids {
		index[id] = int32(i)
	}
	children := make([][]int32, len(ids))
	nparents := make([]int32, len(ids))
	lastSource, from := "", int32(-1)
	for _, e := range edges {
		if from < 0 || e.Source != lastSource { // the library lists edges grouped by source
			lastSource, from = e.Source, index[e.Source]
		}
		to := index[e.Target]
		children[from] = append(children[from], to)
		nparents[to]++
	}
	for _, cs := range children {
		slices.Sort(cs)
	}
	// Parents come out sorted because sources are visited in index order.
	parents := make([][]int32, len(ids))
	for i, n := range nparents {
		if n > 0 {
			parents[i] = make([]int32, 0, n)
		}
	}
	for i, cs := range children {
		for _, c := range cs {
			parents[c] = append(parents[c], int32(i))
		}
	}
	g.ids, g.index, g.children, g.parents = ids, index, children, parents
	g.order, g.cycle = g.topoSort()
	g.dirty = false
	return nil
}

func (g *Graph) libVertices() ([]string, error) {
	adj, err := g.lib.AdjacencyMap()
	if err != nil {
		return nil, fmt.Errorf("dag: reading vertices: %w", err)
	}
	ids := make([]string, 0, len(adj))
	for id := range adj {
		ids = append(ids, id)
	}
	return ids, nil
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
	_, ok := g.frozen().index[id]
	return ok
}

// Index returns the dense index of id (0..Len-1, in id order), for callers
// that keep per-node data in slices or bit sets.
func (g *Graph) Index(id string) (int, bool) {
	i, ok := g.frozen().index[id]
	return int(i), ok
}

// ID is the inverse of Index.
func (g *Graph) ID(i int) string { return g.frozen().ids[i] }

// Parents returns the direct parents of id, sorted.
func (g *Graph) Parents(id string) []string {
	g.frozen()
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	return g.names(g.parents[i])
}

// Children returns the direct children of id, sorted.
func (g *Graph) Children(id string) []string {
	g.frozen()
	i, ok := g.index[id]
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
