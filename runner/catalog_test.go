package runner

import (
	"context"
	"testing"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// The listing answers each relation's first question; later ones go to
// the warehouse, so a relation the run changed is seen as it is now.
func TestPrefetchedRelationKinds(t *testing.T) {
	ctx := context.Background()
	w := openTestDuckDB(t, DuckDBConfig{Path: t.TempDir() + "/p.duckdb"})
	for _, q := range []string{"create schema Sales", "create table sales.Orders as select 1 as id", "create view main.v as select 1 as id"} {
		if _, err := w.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	p := prefetch(ctx, w)
	if _, ok := p.(*prefetched); !ok {
		t.Fatalf("DuckDB was not prefetched: %T", p)
	}
	if _, err := w.Exec(ctx, "drop table sales.orders"); err != nil {
		t.Fatal(err)
	}
	kind := func(rel dialect.Relation) dialect.Kind {
		t.Helper()
		k, err := p.RelationKind(ctx, rel)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	orders := dialect.Relation{Schema: "SALES", Identifier: "orders"}
	if k := kind(orders); k != dialect.KindTable {
		t.Errorf("first ask of sales.orders = %v, want the listing's table", k)
	}
	if k := kind(orders); k != dialect.KindNone {
		t.Errorf("second ask of sales.orders = %v, want none (dropped)", k)
	}
	if k := kind(dialect.Relation{Identifier: "V"}); k != dialect.KindView {
		t.Errorf("main.v = %v, want view", k)
	}
	if k := kind(dialect.Relation{Database: "p", Schema: "main", Identifier: "nope"}); k != dialect.KindNone {
		t.Errorf("p.main.nope = %v, want none", k)
	}
}

// A warehouse whose catalog cannot be listed is probed per node, as before.
func TestPrefetchFallsBackWhenListingFails(t *testing.T) {
	w := openTestDuckDB(t, DuckDBConfig{Path: t.TempDir() + "/f.duckdb"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if p := prefetch(context.Background(), w); p != Warehouse(w) {
		t.Fatalf("prefetch of a closed warehouse = %T, want the warehouse itself", p)
	}
}
