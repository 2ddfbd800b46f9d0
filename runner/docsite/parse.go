package docsite

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// SQLParser returns DuckDB's parse tree of one statement as JSON.
type SQLParser struct {
	q     runner.Execer
	close func() error
}

// NewSQLParser parses through wh when it is DuckDB, else through an
// in-memory DuckDB opened only for parsing.
func NewSQLParser(ctx context.Context, wh runner.Warehouse) (*SQLParser, error) {
	if wh != nil && wh.Dialect().Name() == "duckdb" {
		return &SQLParser{q: wh, close: func() error { return nil }}, nil
	}
	mem, err := runner.OpenDuckDB(ctx, runner.DuckDBConfig{Path: ":memory:", Threads: 4})
	if err != nil {
		return nil, err
	}
	return &SQLParser{q: mem, close: mem.Close}, nil
}

// Close releases the in-memory database, if one was opened.
func (p *SQLParser) Close() error { return p.close() }

// Parse returns the JSON parse tree of sql.
func (p *SQLParser) Parse(ctx context.Context, sql string) ([]byte, error) {
	trees, err := p.ParseAll(ctx, []string{sql})
	if err != nil {
		return nil, err
	}
	return trees[0], nil
}

// ParseAll returns the JSON parse trees of several statements, in one
// query: a query's own parsing, planning and round trip cost more than
// parsing a model's SQL, so a statement at a time was most of tracing a
// large project. A statement DuckDB cannot parse gets a tree that says so
// ({"error": true, ...}), as with Parse.
func (p *SQLParser) ParseAll(ctx context.Context, sqls []string) ([][]byte, error) {
	var q strings.Builder
	q.WriteString("select i, json_serialize_sql(s)::varchar from (values ")
	for i, sql := range sqls {
		if i > 0 {
			q.WriteString(", ")
		}
		sql = strings.TrimRight(strings.TrimSpace(sql), ";")
		fmt.Fprintf(&q, "(%d, '%s')", i, strings.ReplaceAll(sql, "'", "''"))
	}
	q.WriteString(") as t(i, s)")
	rows, err := p.q.Query(ctx, q.String())
	if err != nil {
		return nil, err
	}
	trees := make([][]byte, len(sqls))
	for _, row := range rows {
		var i int64 = -1
		if len(row) == 2 {
			switch v := row[0].(type) {
			case int32:
				i = int64(v)
			case int64:
				i = v
			}
		}
		if i < 0 || i >= int64(len(sqls)) {
			return nil, fmt.Errorf("json_serialize_sql returned an unexpected row %v", row)
		}
		trees[i] = []byte(fmt.Sprint(row[1]))
	}
	for _, t := range trees {
		if t == nil {
			return nil, fmt.Errorf("json_serialize_sql returned %d rows for %d statements", len(rows), len(sqls))
		}
	}
	return trees, nil
}

// manifestRelations resolves relation names to manifest nodes, with
// columns from the catalog (else the documented columns of seeds).
type manifestRelations struct {
	full  map[schemaName][]dbRelation // (schema, identifier) -> by database
	short map[string][]string         // identifier -> ids
	cols  map[string][]string
}

// schemaName is a relation's schema and identifier, lower-cased.
type schemaName struct{ schema, name string }

// dbRelation is the node whose relation is schema.name in database db.
type dbRelation struct{ db, id string }

func newManifestRelations(m *compiler.Manifest, cat *Catalog) *manifestRelations {
	r := &manifestRelations{full: map[schemaName][]dbRelation{}, short: map[string][]string{}, cols: map[string][]string{}}
	for _, n := range m.All() {
		if n.Relation == nil || n.Relation.Identifier == "" || n.ResourceType == compiler.Test {
			continue
		}
		if n.ResourceType == compiler.Model && n.Materialized() == "ephemeral" {
			continue
		}
		id := strings.ToLower(n.Relation.Identifier)
		r.addFull(strings.ToLower(n.Relation.Database), schemaName{strings.ToLower(n.Relation.Schema), id}, n.UniqueID)
		r.short[id] = append(r.short[id], n.UniqueID)
		var cn *CatalogNode
		if cat != nil {
			if cn = cat.Nodes[n.UniqueID]; cn == nil {
				cn = cat.Sources[n.UniqueID]
			}
		}
		if cn != nil {
			for _, c := range cn.OrderedColumns() {
				r.cols[n.UniqueID] = append(r.cols[n.UniqueID], strings.ToLower(c.Name))
			}
		} else if n.SeedData != nil {
			for _, c := range n.SeedData.Columns {
				r.cols[n.UniqueID] = append(r.cols[n.UniqueID], strings.ToLower(c.Name))
			}
		}
	}
	return r
}

// addFull records that id builds db.sn; a later node for the same
// relation replaces an earlier one.
func (r *manifestRelations) addFull(db string, sn schemaName, id string) {
	rels := r.full[sn]
	for i := range rels {
		if rels[i].db == db {
			rels[i].id = id
			return
		}
	}
	r.full[sn] = append(rels, dbRelation{db, id})
}

// Resolve finds the node a query's table reference reads. A reference
// with a schema is looked up by schema and name, then matched on the
// database (either side may leave it out); the first node in id order
// wins if several match. Looking it up, rather than scanning every
// relation for each reference, keeps tracing linear: at 10,000 models
// the scan was 2.7 of docs generate's 6 CPU-seconds.
func (r *manifestRelations) Resolve(catalog, schema, table string) (string, []string, bool) {
	catalog, schema, table = strings.ToLower(catalog), strings.ToLower(schema), strings.ToLower(table)
	var id string
	if schema != "" {
		for _, rel := range r.full[schemaName{schema, table}] {
			if catalog == "" || rel.db == "" || rel.db == catalog {
				id = rel.id
				break
			}
		}
	} else if ids := r.short[table]; len(ids) == 1 {
		id = ids[0]
	}
	if id == "" {
		return "", nil, false
	}
	return id, r.cols[id], true
}

// ModelLineage is the column lineage of one node, or why there is none.
type ModelLineage struct {
	Columns []ColumnLineage `json:"columns,omitempty"`
	Error   string          `json:"error,omitempty"`
}

// Lineage traces the columns of every model with compiled SQL,
// several at a time.
func Lineage(ctx context.Context, p *SQLParser, m *compiler.Manifest, cat *Catalog) map[string]*ModelLineage {
	rels := newManifestRelations(m, cat)
	var ids []string
	for _, n := range m.All() {
		if n.ResourceType == compiler.Model && n.CompiledSQL != "" {
			ids = append(ids, n.UniqueID)
		}
	}
	out := make(map[string]*ModelLineage, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	work := make(chan []string)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range work {
				ls := lineageOfBatch(ctx, p, m, batch, rels)
				mu.Lock()
				for i, id := range batch {
					out[id] = ls[i]
				}
				mu.Unlock()
			}
		}()
	}
	for len(ids) > 0 && ctx.Err() == nil {
		n := min(lineageBatch, len(ids))
		work <- ids[:n]
		ids = ids[n:]
	}
	close(work)
	wg.Wait()
	return out
}

// lineageBatch is how many models' SQL one query parses.
const lineageBatch = 32

// lineageOfBatch traces the models ids, their SQL parsed in one query; if
// that query fails as a whole, each is parsed alone, so that whatever
// broke it is reported for its own model only.
func lineageOfBatch(ctx context.Context, p *SQLParser, m *compiler.Manifest, ids []string, rels *manifestRelations) []*ModelLineage {
	sqls := make([]string, len(ids))
	for i, id := range ids {
		sqls[i] = m.Nodes[id].CompiledSQL
	}
	trees, err := p.ParseAll(ctx, sqls)
	out := make([]*ModelLineage, len(ids))
	for i, id := range ids {
		if err == nil {
			out[i] = lineageOf(trees[i], nil, m.Nodes[id], rels)
			continue
		}
		tree, perr := p.Parse(ctx, sqls[i])
		out[i] = lineageOf(tree, perr, m.Nodes[id], rels)
	}
	return out
}

// lineageOf traces one model from its parse tree, or says why it cannot.
func lineageOf(tree []byte, err error, n *compiler.Node, rels *manifestRelations) *ModelLineage {
	if err != nil {
		return &ModelLineage{Error: "cannot parse the compiled SQL: " + firstLine(err.Error())}
	}
	cols, err := LineageFromTree(tree, rels)
	if err != nil {
		return &ModelLineage{Error: firstLine(err.Error())}
	}
	// The warehouse names unaliased expressions; take its names by position.
	if ids := rels.cols[n.UniqueID]; len(ids) == len(cols) {
		for i := range cols {
			cols[i].Name = ids[i]
		}
	}
	return &ModelLineage{Columns: cols}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
