package runner

import (
	"context"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// relationLister is a warehouse that lists every relation of its catalog
// in one query.
type relationLister interface {
	listRelations(ctx context.Context) (current string, kinds map[relKey]dialect.Kind, err error)
}

// relKey names a relation case-insensitively, as the catalogs compare.
type relKey struct{ database, schema, name string }

// prefetched answers the first RelationKind of each relation from one
// listing of the catalog taken as the run starts, and later ones from the
// warehouse. Each node asks for its own relation's kind before anything in
// the run has touched it, so the listing is still true then; a probe of the
// catalog per node cost about 1.4 ms at 1,000 relations and 30–48 ms at
// 10,000 on DuckDB, one listing about as much as a single probe.
type prefetched struct {
	Warehouse
	current string
	mu      sync.Mutex
	kinds   map[relKey]dialect.Kind
	asked   map[relKey]bool
}

func prefetch(ctx context.Context, wh Warehouse) Warehouse {
	l, ok := wh.(relationLister)
	if !ok {
		return wh
	}
	current, kinds, err := l.listRelations(ctx)
	if err != nil {
		return wh // probe per node, as without the listing
	}
	return &prefetched{Warehouse: wh, current: current, kinds: kinds, asked: map[relKey]bool{}}
}

func (p *prefetched) RelationKind(ctx context.Context, rel dialect.Relation) (dialect.Kind, error) {
	db, schema := rel.Database, rel.Schema
	if db == "" {
		db = p.current
	}
	if schema == "" {
		schema = "main"
	}
	k := relKey{strings.ToLower(db), strings.ToLower(schema), strings.ToLower(rel.Identifier)}
	p.mu.Lock()
	first := !p.asked[k]
	p.asked[k] = true
	kind := p.kinds[k]
	p.mu.Unlock()
	if first {
		return kind, nil // KindNone when the listing did not have it
	}
	return p.Warehouse.RelationKind(ctx, rel)
}

// listRelations lists the relations of every attached database.
func (w *DuckDB) listRelations(ctx context.Context) (string, map[relKey]dialect.Kind, error) {
	var current string
	if err := w.db.QueryRowContext(ctx, "select current_database()").Scan(&current); err != nil {
		return "", nil, err
	}
	q := "select table_catalog, table_schema, table_name, table_type from information_schema.tables"
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return "", nil, queryError(ctx.Err(), q, err)
	}
	defer rows.Close()
	kinds := map[relKey]dialect.Kind{}
	for rows.Next() {
		var k relKey
		var typ string
		if err := rows.Scan(&k.database, &k.schema, &k.name, &typ); err != nil {
			return "", nil, err
		}
		kinds[relKey{strings.ToLower(k.database), strings.ToLower(k.schema), strings.ToLower(k.name)}] = catalogKind(typ)
	}
	return strings.ToLower(current), kinds, rows.Err()
}
