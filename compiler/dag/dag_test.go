package dag

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// build makes a graph from "a>b" edge strings and bare node names.
func build(t testing.TB, items ...string) *Graph {
	t.Helper()
	g := New()
	for _, it := range items {
		if from, to, ok := strings.Cut(it, ">"); ok {
			g.AddEdge(from, to)
		} else {
			g.AddNode(it)
		}
	}
	if err := g.Freeze(); err != nil {
		t.Fatal(err)
	}
	return g
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestParentsChildren(t *testing.T) {
	g := build(t, "b>d", "a>d", "c>d", "d>e", "a>d", "lonely")
	if got := g.Parents("d"); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Errorf("Parents(d) = %v", got)
	}
	if got := g.Children("a"); !reflect.DeepEqual(got, []string{"d"}) {
		t.Errorf("Children(a) = %v (duplicate edge must collapse)", got)
	}
	if got := g.Parents("lonely"); got != nil {
		t.Errorf("Parents(lonely) = %v", got)
	}
	if got := g.Parents("missing"); got != nil {
		t.Errorf("Parents(missing) = %v", got)
	}
	if g.Len() != 6 || !g.Has("lonely") || g.Has("missing") {
		t.Errorf("Len = %d", g.Len())
	}
}

func TestOrderDeterministic(t *testing.T) {
	edges := []string{"stg_a>int_x", "stg_b>int_x", "int_x>fct", "stg_c>fct", "raw>stg_a", "raw>stg_b", "raw>stg_c", "seed"}
	want := []string{"raw", "seed", "stg_a", "stg_b", "int_x", "stg_c", "fct"}
	for k := range 20 {
		perm := slices.Clone(edges)
		r := rand.New(rand.NewPCG(uint64(k), 1))
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		got, cyc := build(t, perm...).Order()
		if cyc != nil {
			t.Fatalf("unexpected cycle %v", cyc)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("order for %v = %v, want %v", perm, got, want)
		}
	}
}

func TestCycles(t *testing.T) {
	tests := []struct {
		name  string
		edges []string
		want  string
	}{
		{"self loop", []string{"a>b", "b>b", "b>c"}, "b -> b"},
		{"two cycle", []string{"x>y", "y>x"}, "x -> y -> x"},
		{"rotated to smallest", []string{"c>a", "a>b", "b>c", "root>c"}, "a -> b -> c -> a"},
		{"reachable only from a subgraph", []string{"a>b", "b>c", "m>n", "n>o", "o>p", "p>n", "p>q"}, "n -> o -> p -> n"},
		{"multiple cycles", []string{"z1>z2", "z2>z1", "k>l", "l>m", "m>k", "b>c", "c>d", "d>b"}, "b -> c -> d -> b"},
		{"shortest through smallest", []string{"a>b", "b>c", "c>d", "d>a", "b>a"}, "a -> b -> a"},
		{"downstream of cycle is not a cycle", []string{"a>b", "b>a", "b>c", "c>d"}, "a -> b -> a"},
		{"cycle between ordered nodes", []string{"a>m", "m>n", "n>m", "n>z", "0>a"}, "m -> n -> m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k := range 10 {
				perm := slices.Clone(tc.edges)
				r := rand.New(rand.NewPCG(uint64(k), 2))
				r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
				_, cyc := build(t, perm...).Order()
				if cyc == nil {
					t.Fatalf("no cycle found for %v", perm)
				}
				if got := cyc.String(); got != tc.want {
					t.Fatalf("cycle for %v = %q, want %q", perm, got, tc.want)
				}
			}
		})
	}
}

func TestOrderWithCycleKeepsOrderablePrefix(t *testing.T) {
	order, cyc := build(t, "a>b", "b>c", "c>b", "c>d", "e").Order()
	if cyc == nil || !reflect.DeepEqual(order, []string{"a", "e"}) {
		t.Fatalf("order = %v, cycle = %v", order, cyc)
	}
	lv := build(t, "a>b", "b>c", "c>b", "e").Levels()
	if !reflect.DeepEqual(lv, map[string]int{"a": 0, "e": 0}) {
		t.Fatalf("levels = %v", lv)
	}
}

func TestAncestorsDescendants(t *testing.T) {
	// a -> b -> c -> d, x -> c, d -> e
	g := build(t, "a>b", "b>c", "c>d", "x>c", "d>e")
	tests := []struct {
		up    bool
		ids   []string
		depth int
		want  []string
	}{
		{true, []string{"d"}, -1, []string{"a", "b", "c", "x"}},
		{true, []string{"d"}, 1, []string{"c"}},
		{true, []string{"d"}, 2, []string{"b", "c", "x"}},
		{true, []string{"d"}, 0, []string{}},
		{true, []string{"d", "b"}, -1, []string{"a", "b", "c", "x"}},
		{true, []string{"nope"}, -1, []string{}},
		{false, []string{"b"}, -1, []string{"c", "d", "e"}},
		{false, []string{"a", "x"}, 2, []string{"b", "c", "d"}},
		{false, []string{"e"}, -1, []string{}},
	}
	for _, tc := range tests {
		var got map[string]bool
		if tc.up {
			got = g.Ancestors(tc.ids, tc.depth)
		} else {
			got = g.Descendants(tc.ids, tc.depth)
		}
		if k := keys(got); !reflect.DeepEqual(k, tc.want) {
			t.Errorf("up=%v %v depth %d = %v, want %v", tc.up, tc.ids, tc.depth, k, tc.want)
		}
	}
}

func TestLevels(t *testing.T) {
	g := build(t, "a>b", "b>c", "a>c", "c>d", "x>d", "solo")
	want := map[string]int{"a": 0, "x": 0, "solo": 0, "b": 1, "c": 2, "d": 3}
	if got := g.Levels(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Levels = %v", got)
	}
}

func TestChangeAfterFreeze(t *testing.T) {
	g := build(t, "a>b")
	g.AddEdge("b", "c")
	if got, _ := g.Order(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("order after change = %v", got)
	}
}

func TestSet(t *testing.T) {
	var s Set
	for _, i := range []int{3, 64, 200, 3} {
		s.Add(i)
	}
	o := NewSet(10)
	o.Add(64)
	o.Add(5)
	u := s.Clone()
	u.Union(o)
	in := s.Clone()
	in.Intersect(o)
	sub := s.Clone()
	sub.Subtract(o)
	members := func(s Set) (out []int) {
		s.Each(func(i int) { out = append(out, i) })
		return out
	}
	if got := members(u); !reflect.DeepEqual(got, []int{3, 5, 64, 200}) {
		t.Errorf("union %v", got)
	}
	if got := members(in); !reflect.DeepEqual(got, []int{64}) {
		t.Errorf("intersect %v", got)
	}
	if got := members(sub); !reflect.DeepEqual(got, []int{3, 200}) || sub.Len() != 2 || sub.Has(64) {
		t.Errorf("subtract %v", got)
	}
}

// layeredEdges returns a dbt-shaped DAG: n nodes, each with up to three
// parents among the previous 1,000 nodes.
func layeredEdges(n int) [][2]string {
	r := rand.New(rand.NewPCG(42, 42))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("model.proj.m%06d", i)
	}
	var edges [][2]string
	for i := 1; i < n; i++ {
		for range 1 + r.IntN(3) {
			p := i - 1 - r.IntN(min(i, 1000))
			edges = append(edges, [2]string{ids[p], ids[i]})
		}
	}
	return edges
}

func BenchmarkBuildFreezeOrder100k(b *testing.B) {
	const n = 100_000
	edges := layeredEdges(n)
	b.ReportAllocs()
	for b.Loop() {
		g := New()
		for i := range n {
			g.AddNode(fmt.Sprintf("model.proj.m%06d", i))
		}
		for _, e := range edges {
			g.AddEdge(e[0], e[1])
		}
		if err := g.Freeze(); err != nil {
			b.Fatal(err)
		}
		order, cyc := g.Order()
		if cyc != nil || len(order) != n {
			b.Fatalf("order %d, cycle %v", len(order), cyc)
		}
	}
}

func BenchmarkFreezeOrder100k(b *testing.B) {
	const n = 100_000
	g := New()
	for _, e := range layeredEdges(n) {
		g.AddEdge(e[0], e[1])
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Freeze(); err != nil {
			b.Fatal(err)
		}
		g.Order()
	}
}

func BenchmarkCycle100k(b *testing.B) {
	const n = 100_000
	g := New()
	for _, e := range layeredEdges(n) {
		g.AddEdge(e[0], e[1])
	}
	g.AddEdge("model.proj.m099999", "model.proj.m000000") // one big cycle
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Freeze(); err != nil {
			b.Fatal(err)
		}
		if _, cyc := g.Order(); cyc == nil {
			b.Fatal("no cycle")
		}
	}
}

func TestUnderlyingAdditionsAreSeen(t *testing.T) {
	g := build(t, "a>b")
	_ = g.Underlying().AddVertex("c")
	_ = g.Underlying().AddEdge("b", "c")
	if err := g.Freeze(); err != nil {
		t.Fatal(err)
	}
	if got, _ := g.Order(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("order = %v", got)
	}
}

// Build must make the graph AddNode and AddEdge make from the same nodes
// and edges, cycles, self-loops and repeated parents included, and its
// library store must hold them too.
func TestBuildMatchesIncremental(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 200 {
		n := 1 + rng.IntN(40)
		if round == 0 {
			n = 1<<14 + 3 // large enough for sortIDs to sort in halves
		}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("n%08d", rng.IntN(1000)*100000+i) // distinct, shuffled order
		}
		parents := make([][]int32, n)
		inc := New()
		for i, id := range ids {
			inc.AddNode(id)
			for range rng.IntN(4) {
				p := int32(rng.IntN(n))
				if round%3 != 0 && p >= int32(i) && i > 0 { // mostly acyclic
					p = int32(rng.IntN(i))
				}
				parents[i] = append(parents[i], p)
			}
		}
		for i, ps := range parents {
			for _, p := range ps {
				inc.AddEdge(ids[p], ids[i])
			}
		}
		g, err := Build(ids, parents)
		if err != nil {
			t.Fatal(err)
		}
		wantOrder, wantCycle := inc.Order()
		gotOrder, gotCycle := g.Order()
		if !slices.Equal(gotOrder, wantOrder) || !reflect.DeepEqual(gotCycle, wantCycle) {
			t.Fatalf("round %d: order %v %v, want %v %v", round, gotOrder, gotCycle, wantOrder, wantCycle)
		}
		for _, id := range ids {
			if !slices.Equal(g.Parents(id), inc.Parents(id)) || !slices.Equal(g.Children(id), inc.Children(id)) {
				t.Fatalf("round %d: %s has parents %v and children %v, want %v and %v", round, id, g.Parents(id), g.Children(id), inc.Parents(id), inc.Children(id))
			}
			if i, ok := g.Index(id); !ok || g.ID(i) != id {
				t.Fatalf("round %d: Index(%s) = %d, %v", round, id, i, ok)
			}
		}
		wantAdj, _ := inc.Underlying().AdjacencyMap()
		gotAdj, err := g.Underlying().AdjacencyMap()
		if err != nil || !reflect.DeepEqual(keysOfAdj(gotAdj), keysOfAdj(wantAdj)) {
			t.Fatalf("round %d: library adjacency %v, want %v (%v)", round, keysOfAdj(gotAdj), keysOfAdj(wantAdj), err)
		}
	}
}

func keysOfAdj[E any](adj map[string]map[string]E) map[string][]string {
	out := map[string][]string{}
	for from, tos := range adj {
		out[from] = []string{}
		for to := range tos {
			out[from] = append(out[from], to)
		}
		slices.Sort(out[from])
	}
	return out
}

func TestBuildThenChange(t *testing.T) {
	g, err := Build([]string{"b", "a"}, [][]int32{{1}, nil})
	if err != nil {
		t.Fatal(err)
	}
	g.AddEdge("b", "c")
	if got, _ := g.Order(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("order after AddEdge = %v", got)
	}
	if !g.Has("c") || !slices.Equal(g.Parents("c"), []string{"b"}) {
		t.Fatalf("c: has %v, parents %v", g.Has("c"), g.Parents("c"))
	}
	if _, err := Build([]string{"a", "b", "a"}, make([][]int32, 3)); err == nil {
		t.Fatal("Build accepted a node given twice")
	}
	if _, err := Build([]string{"a"}, [][]int32{{3}}); err == nil {
		t.Fatal("Build accepted a parent out of range")
	}
}
