package dag

import (
	"fmt"
	"testing"
)

// frozen100k is the dbt-shaped graph of layeredEdges, frozen.
func frozen100k(b *testing.B) *Graph {
	g := New()
	for _, e := range layeredEdges(100_000) {
		g.AddEdge(e[0], e[1])
	}
	if err := g.Freeze(); err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkWalk100k is the traversal under +model and model+: every
// ancestor of a late node (tens of thousands), every descendant of an early
// one, and a walk limited to 3 generations.
func BenchmarkWalk100k(b *testing.B) {
	g := frozen100k(b)
	late, _ := g.Index("model.proj.m099000")
	early, _ := g.Index("model.proj.m001000")
	for _, c := range []struct {
		name  string
		start int
		dir   Direction
		depth int
	}{
		{"up_all", late, Up, -1},
		{"down_all", early, Down, -1},
		{"up_3", late, Up, 3},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n = 0
				g.Walk([]int{c.start}, c.dir, c.depth, func(int) { n++ })
			}
			b.ReportMetric(float64(n), "reached")
		})
	}
}

// BenchmarkAncestors100k is Walk with ids in and a map of ids out, as
// callers outside the selector use it.
func BenchmarkAncestors100k(b *testing.B) {
	g := frozen100k(b)
	var got map[string]bool
	b.ReportAllocs()
	for b.Loop() {
		got = g.Ancestors([]string{"model.proj.m099000"}, -1)
	}
	b.ReportMetric(float64(len(got)), "reached")
}

func BenchmarkLevels100k(b *testing.B) {
	g := frozen100k(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(g.Levels()) != 100_000 {
			b.Fatal("levels")
		}
	}
}

// BenchmarkSetOps100k is the bit-set algebra of --select a,b and
// --exclude on 100,000 nodes.
func BenchmarkSetOps100k(b *testing.B) {
	const n = 100_000
	x, y := NewSet(n), NewSet(n)
	for i := range n {
		if i%3 == 0 {
			x.Add(i)
		}
		if i%5 == 0 {
			y.Add(i)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		s := x.Clone()
		s.Union(y)
		s.Intersect(x)
		s.Subtract(y)
		if s.Len() == 0 {
			b.Fatal("empty")
		}
	}
}

// BenchmarkTopoSort100k orders a compiled project's graph: 100,000
// models (layeredEdges) and three tests on each, whose ids sort after
// every model's, so that most of the 400,000 nodes wait in the ready set
// while the models are ordered.
func BenchmarkTopoSort100k(b *testing.B) {
	const n = 100_000
	ids := make([]string, 0, 4*n)
	index := map[string]int32{}
	for i := range n {
		id := fmt.Sprintf("model.proj.m%06d", i)
		index[id] = int32(len(ids))
		ids = append(ids, id)
	}
	parents := make([][]int32, n, 4*n)
	for _, e := range layeredEdges(n) {
		c := index[e[1]]
		parents[c] = append(parents[c], index[e[0]])
	}
	for i := range n {
		for _, t := range []string{"unique", "not_null", "relationships"} {
			ids = append(ids, fmt.Sprintf("test.proj.%s_m%06d", t, i))
			parents = append(parents, []int32{int32(i)})
		}
	}
	g, err := Build(ids, parents)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if order, cyc := g.topoSort(); cyc != nil || len(order) != len(ids) {
			b.Fatalf("order %d of %d, cycle %v", len(order), len(ids), cyc)
		}
	}
}
