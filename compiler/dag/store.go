package dag

import (
	"slices"
	"sync"

	"github.com/dominikbraun/graph"
)

// store is the graph library's storage for Kiln's graphs. The library's
// default in-memory store keeps two maps per vertex (out- and in-edges,
// each edge with its own properties map), which made inserting a large
// project's edges the slowest part of building its graph. This store keeps
// dense vertex indexes, one child slice per vertex and one set of edge keys,
// and lets Freeze read the edges back as indexes without a conversion.
//
// It implements the whole graph.Store contract, so the library's own
// algorithms (AdjacencyMap, PredecessorMap, Edge, ...) work on it.
type store struct {
	ids      []string
	index    map[string]int32
	vprops   map[int32]graph.VertexProperties // only non-empty properties
	removed  []bool                           // tombstones of removed vertices
	nremoved int

	children [][]int32 // in insertion order
	nparents []int32
	edges    map[uint64]struct{}
	eprops   map[uint64]graph.EdgeProperties // only non-empty properties

	// fill, when set, fills the store on first use (lazyStore).
	fill func()
	once sync.Once
}

var _ graph.Store[string, string] = (*store)(nil)

func newStore(vertices, edges int) *store {
	return &store{
		ids:      make([]string, 0, vertices),
		index:    make(map[string]int32, vertices),
		children: make([][]int32, 0, vertices),
		nparents: make([]int32, 0, vertices),
		edges:    make(map[uint64]struct{}, edges),
	}
}

// lazyStore returns a store that holds g's nodes and edges, copied from g
// the first time the store is used: a graph made by Build is queried
// through its own index structures, and most are never changed or handed
// to the library's algorithms.
func lazyStore(g *Graph) *store {
	s := &store{}
	s.fill = func() {
		n := len(g.ids)
		s.ids = slices.Clone(g.ids)
		s.index = make(map[string]int32, n)
		s.children = make([][]int32, n)
		s.nparents = make([]int32, n)
		s.edges = map[uint64]struct{}{}
		for i, id := range g.ids {
			s.index[id] = int32(i)
			s.children[i] = slices.Clone(g.children[i])
			s.nparents[i] = int32(len(g.parents[i]))
			for _, c := range g.children[i] {
				s.edges[edgeKey(int32(i), c)] = struct{}{}
			}
		}
	}
	return s
}

// load fills a lazy store once.
func (s *store) load() {
	if s.fill != nil {
		s.once.Do(s.fill)
	}
}

func edgeKey(from, to int32) uint64 { return uint64(uint32(from))<<32 | uint64(uint32(to)) }

func (s *store) lookup(hash string) (int32, bool) {
	s.load()
	i, ok := s.index[hash]
	if !ok || s.removed != nil && s.removed[i] {
		return 0, false
	}
	return i, true
}

func (s *store) AddVertex(hash string, _ string, p graph.VertexProperties) error {
	if _, ok := s.lookup(hash); ok {
		return graph.ErrVertexAlreadyExists
	}
	i := s.addVertex(hash)
	if p.Weight != 0 || len(p.Attributes) > 0 {
		if s.vprops == nil {
			s.vprops = map[int32]graph.VertexProperties{}
		}
		s.vprops[i] = p
	}
	return nil
}

// addVertex adds a vertex without properties that is not in the store.
func (s *store) addVertex(hash string) int32 {
	s.load()
	i := int32(len(s.ids))
	s.ids = append(s.ids, hash)
	s.index[hash] = i
	s.children = append(s.children, nil)
	s.nparents = append(s.nparents, 0)
	if s.removed != nil {
		s.removed = append(s.removed, false)
	}
	return i
}

func (s *store) Vertex(hash string) (string, graph.VertexProperties, error) {
	i, ok := s.lookup(hash)
	if !ok {
		return "", graph.VertexProperties{}, graph.ErrVertexNotFound
	}
	// Vertices without properties answer with a nil attribute map: the
	// library reads it on every AddEdge, and a fresh map per call was a
	// large share of building a graph.
	return hash, s.vprops[i], nil
}

func (s *store) RemoveVertex(hash string) error {
	i, ok := s.lookup(hash)
	if !ok {
		return graph.ErrVertexNotFound
	}
	if len(s.children[i]) > 0 || s.nparents[i] > 0 {
		return graph.ErrVertexHasEdges
	}
	if s.removed == nil {
		s.removed = make([]bool, len(s.ids))
	}
	s.removed[i] = true
	s.nremoved++
	delete(s.index, hash)
	delete(s.vprops, i)
	return nil
}

func (s *store) ListVertices() ([]string, error) {
	s.load()
	out := make([]string, 0, len(s.ids)-s.nremoved)
	for i, id := range s.ids {
		if s.removed == nil || !s.removed[i] {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *store) VertexCount() (int, error) {
	s.load()
	return len(s.ids) - s.nremoved, nil
}

func (s *store) pair(from, to string) (int32, int32, error) {
	f, ok := s.lookup(from)
	if !ok {
		return 0, 0, graph.ErrVertexNotFound
	}
	t, ok := s.lookup(to)
	if !ok {
		return 0, 0, graph.ErrVertexNotFound
	}
	return f, t, nil
}

func (s *store) AddEdge(from, to string, e graph.Edge[string]) error {
	f, t, err := s.pair(from, to)
	if err != nil {
		return err
	}
	if !s.addEdge(f, t) {
		return graph.ErrEdgeAlreadyExists
	}
	s.setEdgeProps(edgeKey(f, t), e.Properties)
	return nil
}

// addEdge adds the edge f -> t without properties, unless it exists.
func (s *store) addEdge(f, t int32) bool {
	s.load()
	k := edgeKey(f, t)
	if _, dup := s.edges[k]; dup {
		return false
	}
	s.edges[k] = struct{}{}
	s.children[f] = append(s.children[f], t)
	s.nparents[t]++
	return true
}

func (s *store) setEdgeProps(k uint64, p graph.EdgeProperties) {
	if p.Weight == 0 && len(p.Attributes) == 0 && p.Data == nil {
		delete(s.eprops, k)
		return
	}
	if s.eprops == nil {
		s.eprops = map[uint64]graph.EdgeProperties{}
	}
	s.eprops[k] = p
}

// existing finds the edge from -> to: its vertices and key, or the error
// of a missing vertex or edge.
func (s *store) existing(from, to string) (f, t int32, k uint64, err error) {
	if f, t, err = s.pair(from, to); err != nil {
		return 0, 0, 0, err
	}
	k = edgeKey(f, t)
	if _, ok := s.edges[k]; !ok {
		return 0, 0, 0, graph.ErrEdgeNotFound
	}
	return f, t, k, nil
}

func (s *store) UpdateEdge(from, to string, e graph.Edge[string]) error {
	_, _, k, err := s.existing(from, to)
	if err != nil {
		return err
	}
	s.setEdgeProps(k, e.Properties)
	return nil
}

func (s *store) RemoveEdge(from, to string) error {
	f, t, k, err := s.existing(from, to)
	if err != nil {
		return err
	}
	delete(s.edges, k)
	delete(s.eprops, k)
	s.children[f] = slices.DeleteFunc(s.children[f], func(c int32) bool { return c == t })
	s.nparents[t]--
	return nil
}

func (s *store) Edge(from, to string) (graph.Edge[string], error) {
	f, t, k, err := s.existing(from, to)
	if err != nil {
		return graph.Edge[string]{}, graph.ErrEdgeNotFound
	}
	return s.edge(f, t, k), nil
}

func (s *store) edge(f, t int32, k uint64) graph.Edge[string] {
	return graph.Edge[string]{Source: s.ids[f], Target: s.ids[t], Properties: s.eprops[k]}
}

// ListEdges lists edges grouped by source, in vertex insertion order.
func (s *store) ListEdges() ([]graph.Edge[string], error) {
	s.load()
	out := make([]graph.Edge[string], 0, len(s.edges))
	for f, cs := range s.children {
		for _, t := range cs {
			out = append(out, s.edge(int32(f), t, edgeKey(int32(f), t)))
		}
	}
	return out, nil
}
