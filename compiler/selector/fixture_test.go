package selector

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kiln-build/kiln/compiler/dag"
)

type node struct {
	id, name, rtype, path, pkg, source, test string
	fqn, tags                                []string
	config                                   map[string]any
	parents                                  []string
}

func (n *node) ID() string           { return n.id }
func (n *node) Name() string         { return n.name }
func (n *node) ResourceType() string { return n.rtype }
func (n *node) Path() string         { return n.path }
func (n *node) FQN() []string        { return n.fqn }
func (n *node) Package() string      { return n.pkg }
func (n *node) Tags() []string       { return n.tags }
func (n *node) SourceName() string   { return n.source }
func (n *node) TestName() string     { return n.test }
func (n *node) Config(key string) (any, bool) {
	v, ok := n.config[key]
	return v, ok
}

type universe struct {
	nodes []Node
	byID  map[string]Node
	g     *dag.Graph
}

func (u *universe) Nodes() []Node { return u.nodes }
func (u *universe) Node(id string) (Node, bool) {
	n, ok := u.byID[id]
	return n, ok
}
func (u *universe) Graph() *dag.Graph { return u.g }

// newUniverse lists nodes in the order given: shop() keeps them unsorted so
// the evaluator's map lookups are exercised, bigUniverse sorts them by id as
// a manifest would.
func newUniverse(nodes ...*node) *universe {
	u := &universe{byID: map[string]Node{}, g: dag.New()}
	for _, n := range nodes {
		u.nodes = append(u.nodes, n)
		u.byID[n.id] = n
		u.g.AddNode(n.id)
		for _, p := range n.parents {
			u.g.AddEdge(p, n.id)
		}
	}
	if err := u.g.Freeze(); err != nil {
		panic(err)
	}
	return u
}

// shop is the fixture project: a source feeding staging, core and marts
// models, a seed, a snapshot, an analysis, an exposure, tests of each kind,
// and a model from another package.
func shop() *universe {
	model := func(name, dir string, tags []string, mat string, parents ...string) *node {
		return &node{id: "model.shop." + name, name: name, rtype: "model", path: "models/" + dir + "/" + name + ".sql", pkg: "shop",
			fqn: []string{"shop", dir, name}, tags: tags, config: map[string]any{"materialized": mat}, parents: parents}
	}
	source := func(table string) *node {
		return &node{id: "source.shop.raw_pos." + table, name: table, rtype: "source", path: "models/staging/sources.yml", pkg: "shop",
			source: "raw_pos", fqn: []string{"shop", "staging", "raw_pos", table}, tags: []string{"pii"}}
	}
	test := func(name, testName, path string, parents ...string) *node {
		return &node{id: "test.shop." + name, name: name, rtype: "test", path: path, pkg: "shop", test: testName,
			fqn: []string{"shop", name}, parents: parents}
	}
	fct := model("fct_sales", "marts", []string{"finance", "nightly"}, "incremental", "model.shop.int_sales")
	fct.config["meta"] = map[string]any{"owner": "finance-team"}
	fct.config["grants"] = []any{"reporter", "analyst"}
	fct.config["enabled"] = true
	return newUniverse(
		source("transactions"),
		source("stores"),
		&node{id: "seed.shop.country_codes", name: "country_codes", rtype: "seed", path: "seeds/country_codes.csv", pkg: "shop", fqn: []string{"shop", "country_codes"}},
		model("stg_transactions", "staging", []string{"staging"}, "view", "source.shop.raw_pos.transactions"),
		model("stg_stores", "staging", []string{"staging"}, "view", "source.shop.raw_pos.stores", "seed.shop.country_codes"),
		model("int_sales", "core", nil, "ephemeral", "model.shop.stg_transactions", "model.shop.stg_stores"),
		fct,
		model("dim_stores", "marts", []string{"nightly"}, "table", "model.shop.stg_stores"),
		&node{id: "snapshot.shop.stores_snapshot", name: "stores_snapshot", rtype: "snapshot", path: "snapshots/stores_snapshot.sql", pkg: "shop",
			fqn: []string{"shop", "stores_snapshot"}, parents: []string{"model.shop.stg_stores"}},
		&node{id: "analysis.shop.sales_report", name: "sales_report", rtype: "analysis", path: "analyses/sales_report.sql", pkg: "shop",
			fqn: []string{"shop", "analysis", "sales_report"}, parents: []string{"model.shop.fct_sales"}},
		&node{id: "exposure.shop.weekly_dashboard", name: "weekly_dashboard", rtype: "exposure", path: "models/marts/exposures.yml", pkg: "shop",
			fqn: []string{"shop", "marts", "weekly_dashboard"}, parents: []string{"model.shop.fct_sales", "model.shop.dim_stores"}},
		test("unique_fct_sales_sale_id", "unique", "models/marts/schema.yml", "model.shop.fct_sales"),
		test("not_null_stg_transactions_id", "not_null", "models/staging/schema.yml", "model.shop.stg_transactions"),
		test("relationships_fct_sales_store_id", "relationships", "models/marts/schema.yml", "model.shop.fct_sales", "model.shop.dim_stores"),
		test("assert_positive_sales", "", "tests/assert_positive_sales.sql", "model.shop.fct_sales"),
		&node{id: "unit_test.shop.test_int_sales", name: "test_int_sales", rtype: "unit_test", path: "models/core/unit.yml", pkg: "shop",
			fqn: []string{"shop", "core", "int_sales", "test_int_sales"}, parents: []string{"model.shop.int_sales"}},
		&node{id: "model.other_pkg.helper", name: "helper", rtype: "model", path: "models/helper.sql", pkg: "other_pkg",
			fqn: []string{"other_pkg", "helper"}, config: map[string]any{"materialized": "view"}},
	)
}

// names renders a selection as sorted node names.
func names(u *universe, sel map[string]bool) string {
	var out []string
	for id := range sel {
		n, ok := u.byID[id]
		if !ok {
			out = append(out, "?"+id)
			continue
		}
		out = append(out, n.Name())
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

// stateByName is a StateChecker that answers from a fixed table of
// "method:value" to node names.
type stateByName map[string][]string

func (s stateByName) Check(method, value string, n Node) (bool, error) {
	list, ok := s[method+":"+value]
	if !ok {
		return false, fmt.Errorf("no %s information for %s", method, value)
	}
	return slices.Contains(list, n.Name()), nil
}
