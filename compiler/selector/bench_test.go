package selector

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// bigUniverse is a dbt-shaped project of n nodes: models with up to three
// parents among the previous 1,000, every tenth node a test of the one
// before it.
func bigUniverse(n int) *universe {
	r := rand.New(rand.NewPCG(7, 7))
	nodes := make([]*node, n)
	for i := range nodes {
		name := fmt.Sprintf("m%06d", i)
		nd := &node{id: "model.big." + name, name: name, rtype: "model", path: "models/" + name + ".sql", pkg: "big",
			fqn: []string{"big", name}, tags: []string{fmt.Sprintf("t%d", i%100)}, config: map[string]any{"materialized": "view"}}
		switch {
		case i%10 == 9:
			nd.rtype, nd.test, nd.id = "test", "not_null", "test.big."+name
			nd.parents = []string{nodes[i-1].id}
		case i > 0:
			for range 1 + r.IntN(3) {
				p := i - 1 - r.IntN(min(i, 1000))
				if nodes[p].rtype != "test" {
					nd.parents = append(nd.parents, nodes[p].id)
				}
			}
		}
		nodes[i] = nd
	}
	slices.SortFunc(nodes, func(a, b *node) int { return strings.Compare(a.id, b.id) })
	return newUniverse(nodes...)
}

func benchSelect(b *testing.B, include ...string) {
	u := bigUniverse(100_000)
	got, ds := Select(u, include, nil, nil)
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Select(u, include, nil, nil)
	}
	b.ReportMetric(float64(len(got)), "selected")
}

// A model near the end: few descendants, tens of thousands of ancestors.
func BenchmarkSelectPlusModelPlus100k(b *testing.B) { benchSelect(b, "+m099000+") }
func BenchmarkSelectModelPlus100k(b *testing.B)     { benchSelect(b, "m099000+") }
func BenchmarkSelectDepthLimited100k(b *testing.B)  { benchSelect(b, "3+m050000+3") }
func BenchmarkSelectTagIntersect100k(b *testing.B) {
	benchSelect(b, "tag:t42,config.materialized:view")
}
func BenchmarkSelectAtModel100k(b *testing.B)       { benchSelect(b, "@m099000") }
func BenchmarkSelectEverything100k(b *testing.B)    { benchSelect(b) }
func BenchmarkSelectGlobPlusModel100k(b *testing.B) { benchSelect(b, "+m09900*") }
