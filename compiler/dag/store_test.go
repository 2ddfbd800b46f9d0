package dag

import (
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/dominikbraun/graph"
)

// TestStoreContract drives the store through the library's API and checks
// what the library's own algorithms see.
func TestStoreContract(t *testing.T) {
	g := New()
	lib := g.Underlying()
	for _, v := range []string{"a", "b", "c", "d"} {
		if err := lib.AddVertex(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := lib.AddVertex("a"); !errors.Is(err, graph.ErrVertexAlreadyExists) {
		t.Fatalf("duplicate vertex: %v", err)
	}
	for _, e := range [][2]string{{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}} {
		if err := lib.AddEdge(e[0], e[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := lib.AddEdge("a", "b"); !errors.Is(err, graph.ErrEdgeAlreadyExists) {
		t.Fatalf("duplicate edge: %v", err)
	}
	if err := lib.AddEdge("a", "zz"); !errors.Is(err, graph.ErrVertexNotFound) {
		t.Fatalf("edge to unknown vertex: %v", err)
	}
	if _, err := lib.Edge("b", "a"); !errors.Is(err, graph.ErrEdgeNotFound) {
		t.Fatalf("reverse edge: %v", err)
	}
	if err := lib.UpdateEdge("a", "b", graph.EdgeWeight(7)); err != nil {
		t.Fatal(err)
	}
	if e, err := lib.Edge("a", "b"); err != nil || e.Properties.Weight != 7 {
		t.Fatalf("edge a-b = %+v, %v", e, err)
	}
	pred, err := lib.PredecessorMap()
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for p := range pred["d"] {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	if !reflect.DeepEqual(ps, []string{"b", "c"}) {
		t.Fatalf("predecessors of d = %v", ps)
	}
	if err := lib.RemoveVertex("d"); !errors.Is(err, graph.ErrVertexHasEdges) {
		t.Fatalf("remove vertex with edges: %v", err)
	}
	for _, e := range [][2]string{{"b", "d"}, {"c", "d"}} {
		if err := lib.RemoveEdge(e[0], e[1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := lib.RemoveVertex("d"); err != nil {
		t.Fatal(err)
	}
	if n, _ := lib.Order(); n != 3 {
		t.Fatalf("order after removal = %d", n)
	}
	if n, _ := lib.Size(); n != 2 {
		t.Fatalf("size after removal = %d", n)
	}
	g.dirty = true // changed behind the Graph's back
	if got, _ := g.Order(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("order = %v", got)
	}
	if got := g.Children("a"); !reflect.DeepEqual(got, []string{"b", "c"}) {
		t.Fatalf("children of a = %v", got)
	}
	// A removed id can come back.
	if err := lib.AddVertex("d"); err != nil {
		t.Fatal(err)
	}
	if err := lib.AddEdge("c", "d"); err != nil {
		t.Fatal(err)
	}
	g.dirty = true
	if got, _ := g.Order(); !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("order after re-adding d = %v", got)
	}
}
