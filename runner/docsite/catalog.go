// Package docsite builds Kiln's documentation site: it reads the catalog
// (column names and types) from the warehouse, derives column-level lineage
// from compiled SQL, lays out the lineage graph and writes a static site
// that opens from the file system.
package docsite

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// Catalog is target/catalog.json in dbt's shape.
type Catalog struct {
	Metadata map[string]any          `json:"metadata"`
	Nodes    map[string]*CatalogNode `json:"nodes"`
	Sources  map[string]*CatalogNode `json:"sources"`
	Errors   []string                `json:"errors"`
}

// CatalogNode is one relation's metadata and columns.
type CatalogNode struct {
	UniqueID string                    `json:"unique_id"`
	Metadata CatalogMetadata           `json:"metadata"`
	Columns  map[string]*CatalogColumn `json:"columns"`
	Stats    map[string]any            `json:"stats"`
}

// CatalogMetadata describes the relation.
type CatalogMetadata struct {
	Type     string  `json:"type"`
	Database string  `json:"database"`
	Schema   string  `json:"schema"`
	Name     string  `json:"name"`
	Comment  *string `json:"comment"`
	Owner    *string `json:"owner"`
}

// CatalogColumn is one column.
type CatalogColumn struct {
	Type    string  `json:"type"`
	Index   int     `json:"index"`
	Name    string  `json:"name"`
	Comment *string `json:"comment"`
}

// OrderedColumns returns the node's columns by index.
func (n *CatalogNode) OrderedColumns() []*CatalogColumn {
	out := make([]*CatalogColumn, 0, len(n.Columns))
	for _, c := range n.Columns {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

type relKey struct{ db, schema, name string }

// ReadCatalog lists the columns of every model, seed, snapshot and source
// relation that exists, with one information_schema query per database.
func ReadCatalog(ctx context.Context, wh runner.Warehouse, m *compiler.Manifest) (*Catalog, error) {
	cat := &Catalog{
		Metadata: map[string]any{
			"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json",
			"kiln_version":       compiler.Version,
			"generated_at":       time.Now().UTC().Format(time.RFC3339Nano),
		},
		Nodes:   map[string]*CatalogNode{},
		Sources: map[string]*CatalogNode{},
		Errors:  nil,
	}
	want := map[relKey][]*compiler.Node{}
	byDB := map[string]map[string]bool{} // database -> schemas
	for _, n := range m.All() {
		if n.Relation == nil || n.Relation.Identifier == "" {
			continue
		}
		switch n.ResourceType {
		case compiler.Model, compiler.Seed, compiler.Snapshot, compiler.Source:
		default:
			continue
		}
		if n.ResourceType == compiler.Model && n.Materialized() == "ephemeral" {
			continue
		}
		schema := n.Relation.Schema
		if schema == "" {
			schema = "main"
		}
		k := relKey{strings.ToLower(n.Relation.Database), strings.ToLower(schema), strings.ToLower(n.Relation.Identifier)}
		want[k] = append(want[k], n)
		if byDB[k.db] == nil {
			byDB[k.db] = map[string]bool{}
		}
		byDB[k.db][k.schema] = true
	}
	q := m.Dialect.Quote
	dbs := make([]string, 0, len(byDB))
	for db := range byDB {
		dbs = append(dbs, db)
	}
	sort.Strings(dbs)
	for _, db := range dbs {
		var schemas []string
		for sc := range byDB[db] {
			schemas = append(schemas, "'"+strings.ReplaceAll(sc, "'", "''")+"'")
		}
		sort.Strings(schemas)
		prefix := ""
		if db != "" && m.Dialect.Name() != "duckdb" {
			prefix = q(db) + "."
		}
		where := "lower(c.table_schema) in (" + strings.Join(schemas, ", ") + ")"
		if db != "" {
			where += " and lower(c.table_catalog) = '" + strings.ReplaceAll(db, "'", "''") + "'"
		} else if m.Dialect.Name() == "duckdb" {
			where += " and c.table_catalog = current_database()"
		}
		sql := "select c.table_catalog, c.table_schema, c.table_name, c.column_name, c.data_type, c.ordinal_position, t.table_type" +
			" from " + prefix + "information_schema.columns c join " + prefix + "information_schema.tables t" +
			" on t.table_catalog = c.table_catalog and t.table_schema = c.table_schema and t.table_name = c.table_name" +
			" where " + where + " order by 1, 2, 3, 6"
		rows, err := wh.Query(ctx, sql)
		if err != nil {
			return nil, fmt.Errorf("reading the catalog: %w", err)
		}
		for _, r := range rows {
			str := func(i int) string { return fmt.Sprint(r[i]) }
			key := relKey{db, strings.ToLower(str(1)), strings.ToLower(str(2))}
			nodes := want[key]
			if len(nodes) == 0 && db == "" {
				continue
			}
			idx := 0
			switch v := r[5].(type) {
			case int64:
				idx = int(v)
			case int32:
				idx = int(v)
			default:
				fmt.Sscan(fmt.Sprint(v), &idx)
			}
			for _, n := range nodes {
				set := cat.Nodes
				if n.ResourceType == compiler.Source {
					set = cat.Sources
				}
				cn := set[n.UniqueID]
				if cn == nil {
					cn = &CatalogNode{UniqueID: n.UniqueID, Columns: map[string]*CatalogColumn{}, Stats: map[string]any{},
						Metadata: CatalogMetadata{Type: str(6), Database: str(0), Schema: str(1), Name: str(2)}}
					set[n.UniqueID] = cn
				}
				cn.Columns[str(3)] = &CatalogColumn{Type: str(4), Index: idx, Name: str(3)}
			}
		}
	}
	return cat, nil
}
