package docsite

import (
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// The manifest's relations resolve a query's table references by database,
// schema and name, case-insensitively, the first node in id order winning
// where the database is left out and several match; tests and ephemeral
// models build no relation.
func TestManifestRelationsResolve(t *testing.T) {
	node := func(id, typ, db, schema, name string, cfg map[string]any) *compiler.Node {
		return &compiler.Node{UniqueID: id, ResourceType: typ, Config: cfg, Relation: &dialect.Relation{Database: db, Schema: schema, Identifier: name}}
	}
	m := &compiler.Manifest{
		Nodes: map[string]*compiler.Node{},
		Sources: map[string]*compiler.Node{
			"source.p.raw.events": node("source.p.raw.events", compiler.Source, "", "raw", "events", nil),
		},
	}
	for _, n := range []*compiler.Node{
		node("model.p.b", compiler.Model, "db2", "main", "orders", nil),
		node("model.p.a", compiler.Model, "db1", "main", "orders", nil),
		node("model.p.c", compiler.Model, "", "other", "Customers", nil),
		node("model.p.eph", compiler.Model, "", "main", "eph", map[string]any{"materialized": "ephemeral"}),
		node("test.p.t", compiler.Test, "", "main", "t", nil),
	} {
		m.Nodes[n.UniqueID] = n
	}
	r := newManifestRelations(m, nil)
	for _, c := range []struct{ db, schema, table, want string }{
		{"db2", "main", "orders", "model.p.b"},
		{"DB1", "MAIN", "ORDERS", "model.p.a"},
		{"", "main", "orders", "model.p.a"}, // both match: the first id
		{"x", "other", "customers", "model.p.c"},
		{"db1", "raw", "events", "source.p.raw.events"},
		{"", "", "customers", "model.p.c"},
		{"", "", "orders", ""}, // two nodes of that name
		{"db3", "main", "orders", ""},
		{"", "nope", "orders", ""},
		{"", "main", "eph", ""},
		{"", "main", "t", ""},
	} {
		id, _, ok := r.Resolve(c.db, c.schema, c.table)
		if id != c.want || ok != (c.want != "") {
			t.Errorf("Resolve(%q, %q, %q) = %q, %v; want %q", c.db, c.schema, c.table, id, ok, c.want)
		}
	}
}
