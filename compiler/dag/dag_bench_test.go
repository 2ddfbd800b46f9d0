package dag

import "testing"

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
