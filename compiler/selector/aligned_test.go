package selector

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// inIDOrder is the shop fixture listed in id order, as a compiled manifest
// lists its nodes, so the evaluator takes its index fast paths.
func inIDOrder(u *universe) *universe {
	var nodes []*node
	for _, n := range u.nodes {
		nodes = append(nodes, n.(*node))
	}
	slices.SortFunc(nodes, func(a, b *node) int { return strings.Compare(a.id, b.id) })
	return newUniverse(nodes...)
}

func TestSelectSameInIDOrder(t *testing.T) {
	shuffled := shop()
	sorted := inIDOrder(shuffled)
	e := newEvaluator(sorted, Options{})
	e.learn()
	if !e.aligned {
		t.Fatal("the sorted fixture is not aligned with the graph: the fast paths go untested")
	}
	state := stateByName{"state:modified": {"int_sales"}, "result:error": {"stg_transactions"}}
	for _, o := range []Options{
		{},
		{Include: []string{"+fct_sales"}},
		{Include: []string{"stg_stores+"}, Indirect: Cautious},
		{Include: []string{"int_sales"}, Indirect: Buildable},
		{Include: []string{"@dim_stores"}, Indirect: Empty},
		{Include: []string{"fct_sales dim_stores"}, Exclude: []string{"dim_stores"}},
		{Include: []string{"resource_type:test"}, Exclude: []string{"fct_sales"}},
		{Exclude: []string{"resource_type:source", "tag:nightly+"}},
		{Include: []string{"state:modified+", "result:error"}, State: state},
		{Include: []string{"tag:nightly,config.materialized:table"}},
		{Include: []string{"+fct_sales"}, Keep: func(n Node) bool { return n.ResourceType() == "model" }},
		{Keep: func(n Node) bool { return n.ResourceType() == "test" }},
	} {
		a, ads := Evaluate(shuffled, o)
		b, bds := Evaluate(sorted, o)
		if !maps.Equal(a, b) || len(ads) != len(bds) {
			t.Errorf("%+v:\nlisted as built: %s %v\nin id order:     %s %v", o, names(shuffled, a), ads, names(sorted, b), bds)
		}
	}
}

func TestSelectKeep(t *testing.T) {
	u := shop()
	models := func(n Node) bool { return n.ResourceType() == "model" }
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{Include: []string{"+fct_sales"}, Keep: models}, "fct_sales int_sales stg_stores stg_transactions"},
		{Options{Include: []string{"fct_sales"}, Exclude: []string{"resource_type:test"}, Keep: func(n Node) bool { return true }}, "fct_sales"},
		{Options{Exclude: []string{"tag:staging+"}, Keep: models}, "helper"},
	} {
		got, ds := Evaluate(u, tc.o)
		if len(ds) > 0 {
			t.Fatalf("unexpected diagnostics: %v", ds)
		}
		if g := names(u, got); g != tc.want {
			t.Errorf("%+v\n got: %s\nwant: %s", tc.o, g, tc.want)
		}
	}
}
