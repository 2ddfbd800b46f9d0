package docsite

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// ColumnRef is one upstream column: a node and a column of it.
type ColumnRef struct {
	Node   string `json:"node"`
	Column string `json:"column"`
}

// ColumnLineage says where one output column of a model comes from.
type ColumnLineage struct {
	Name    string      `json:"name"`
	Sources []ColumnRef `json:"sources,omitempty"`
	// Derived is set when the column is computed (an aggregate, a window
	// function, an expression) rather than passed through.
	Derived bool `json:"derived,omitempty"`
	// Untraced explains why the sources could not be determined; Sources
	// then holds only what was certain.
	Untraced string `json:"untraced,omitempty"`
}

// Relations resolves a table named in SQL to a node and its known columns.
type Relations interface {
	// Resolve returns the unique id of the node stored at the relation
	// (catalog and schema may be empty) and its columns in order when the
	// catalog knows them (nil otherwise).
	Resolve(catalog, schema, table string) (id string, columns []string, ok bool)
}

// LineageFromTree derives column lineage from DuckDB's json_serialize_sql
// output for one statement.
func LineageFromTree(tree []byte, rels Relations) ([]ColumnLineage, error) {
	var doc struct {
		Error        bool   `json:"error"`
		ErrorMessage string `json:"error_message"`
		Statements   []struct {
			Node map[string]any `json:"node"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(tree, &doc); err != nil {
		return nil, fmt.Errorf("parse tree: %w", err)
	}
	if doc.Error {
		return nil, fmt.Errorf("parse: %s", doc.ErrorMessage)
	}
	if len(doc.Statements) != 1 {
		return nil, fmt.Errorf("expected one statement, found %d", len(doc.Statements))
	}
	t := &tracer{rels: rels}
	cols := t.query(doc.Statements[0].Node, nil)
	out := make([]ColumnLineage, len(cols))
	for i, c := range cols {
		out[i] = ColumnLineage{Name: c.name, Sources: c.sources(), Derived: c.derived, Untraced: c.untraced}
	}
	return out, nil
}

// col is a column in scope: what it comes from.
type col struct {
	name     string
	srcs     map[ColumnRef]bool
	derived  bool
	untraced string
	// through is set on a "*" column that stands for every column of a
	// node whose columns are unknown; names read from it are trusted.
	through string
}

func (c *col) sources() []ColumnRef {
	out := make([]ColumnRef, 0, len(c.srcs))
	for r := range c.srcs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].Column < out[j].Column
	})
	return out
}

func (c *col) add(o *col) {
	if c.srcs == nil {
		c.srcs = map[ColumnRef]bool{}
	}
	for r := range o.srcs {
		c.srcs[r] = true
	}
	c.derived = c.derived || o.derived
	if c.untraced == "" {
		c.untraced = o.untraced
	}
}

// rel is a relation in a FROM clause.
type rel struct {
	alias string
	// node is set for a warehouse relation that is a project node.
	node string
	// cols in order; known is false when they cannot be listed.
	cols  []*col
	known bool
	label string // for messages
}

func (r *rel) find(name string) *col {
	for _, c := range r.cols {
		if strings.EqualFold(c.name, name) {
			return c
		}
	}
	if !r.known && r.node != "" {
		// A project node whose columns the catalog lacks: trust the name.
		return &col{name: name, srcs: map[ColumnRef]bool{{Node: r.node, Column: strings.ToLower(name)}: true}}
	}
	return nil
}

// scope is what a SELECT can see: its FROM relations and the CTEs.
type scope struct {
	rels  []*rel
	using map[string]bool
	ctes  map[string][]*col
	outer *scope
}

type tracer struct{ rels Relations }

func m(v any) map[string]any { x, _ := v.(map[string]any); return x }
func s(v any) string         { x, _ := v.(string); return x }
func list(v any) []any       { x, _ := v.([]any); return x }

// query returns the output columns of a query node.
func (t *tracer) query(node map[string]any, outer *scope) []*col {
	ctes := map[string][]*col{}
	if outer != nil {
		for k, v := range outer.ctes {
			ctes[k] = v
		}
	}
	if cm := m(node["cte_map"]); cm != nil {
		for _, e := range list(cm["map"]) {
			e := m(e)
			q := m(m(m(e["value"])["query"])["node"])
			if q == nil {
				continue
			}
			cs := t.query(q, &scope{ctes: ctes, outer: outer})
			if aliases := list(m(e["value"])["aliases"]); len(aliases) > 0 {
				for i, a := range aliases {
					if i < len(cs) {
						cs[i] = &col{name: s(a), srcs: cs[i].srcs, derived: cs[i].derived, untraced: cs[i].untraced}
					}
				}
			}
			ctes[strings.ToLower(s(e["key"]))] = cs
		}
	}
	switch s(node["type"]) {
	case "SET_OPERATION_NODE":
		var parts []map[string]any
		if l := m(node["left"]); l != nil {
			parts = append(parts, l)
		}
		if r := m(node["right"]); r != nil {
			parts = append(parts, r)
		}
		for _, c := range list(node["children"]) {
			parts = append(parts, m(c))
		}
		var out []*col
		for k, p := range parts {
			cs := t.query(p, &scope{ctes: ctes, outer: outer})
			if k == 0 {
				for _, c := range cs {
					out = append(out, &col{name: c.name, srcs: map[ColumnRef]bool{}, derived: c.derived, untraced: c.untraced})
					out[len(out)-1].add(c)
				}
				continue
			}
			for i := range min(len(out), len(cs)) {
				out[i].add(cs[i])
			}
		}
		return out
	case "SELECT_NODE":
		sc := &scope{ctes: ctes, outer: outer, using: map[string]bool{}}
		t.from(m(node["from_table"]), sc)
		var out []*col
		for _, e := range list(node["select_list"]) {
			out = append(out, t.selectItem(m(e), sc)...)
		}
		return out
	}
	return []*col{{name: "*", untraced: "unsupported query form " + s(node["type"])}}
}

func (t *tracer) from(ref map[string]any, sc *scope) {
	if ref == nil {
		return
	}
	alias := s(ref["alias"])
	switch s(ref["type"]) {
	case "BASE_TABLE":
		table, schema, catalog := s(ref["table_name"]), s(ref["schema_name"]), s(ref["catalog_name"])
		if alias == "" {
			alias = table
		}
		if schema == "" && catalog == "" {
			if cs, ok := sc.ctes[strings.ToLower(table)]; ok {
				sc.rels = append(sc.rels, derivedRel(alias, table, cs))
				return
			}
		}
		label := strings.Join(nonEmpty(catalog, schema, table), ".")
		r := &rel{alias: alias, label: label}
		if id, cols, ok := t.rels.Resolve(catalog, schema, table); ok {
			r.node = id
			if cols != nil {
				r.known = true
				for _, c := range cols {
					r.cols = append(r.cols, &col{name: c, srcs: map[ColumnRef]bool{{Node: id, Column: c}: true}})
				}
			}
		}
		sc.rels = append(sc.rels, r)
	case "SUBQUERY":
		q := m(m(ref["subquery"])["node"])
		cs := t.query(q, &scope{ctes: sc.ctes, outer: sc.outer})
		for i, a := range list(ref["column_name_alias"]) {
			if i < len(cs) {
				cs[i] = &col{name: s(a), srcs: cs[i].srcs, derived: cs[i].derived, untraced: cs[i].untraced}
			}
		}
		sc.rels = append(sc.rels, derivedRel(alias, "subquery "+alias, cs))
	case "JOIN":
		t.from(m(ref["left"]), sc)
		t.from(m(ref["right"]), sc)
		for _, u := range list(ref["using_columns"]) {
			sc.using[strings.ToLower(s(u))] = true
		}
	case "EMPTY":
	default:
		name := alias
		if f := m(ref["function"]); f != nil && name == "" {
			name = s(f["function_name"])
		}
		sc.rels = append(sc.rels, &rel{alias: name, label: strings.ToLower(s(ref["type"])) + " " + name})
	}
}

// derivedRel is a CTE or subquery in FROM. When it is a bare select * from
// a node whose columns are unknown, it stands for that node.
func derivedRel(alias, label string, cs []*col) *rel {
	r := &rel{alias: alias, cols: cs, known: true, label: label}
	for _, c := range cs {
		if c.name == "*" {
			r.known = false
			if len(cs) == 1 && c.through != "" {
				r.node, r.cols = c.through, nil
			}
		}
	}
	return r
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (t *tracer) selectItem(e map[string]any, sc *scope) []*col {
	alias := s(e["alias"])
	if s(e["class"]) == "STAR" {
		return t.star(e, sc)
	}
	c := &col{name: alias, srcs: map[ColumnRef]bool{}}
	if s(e["class"]) == "COLUMN_REF" {
		names := list(e["column_names"])
		if c.name == "" && len(names) > 0 {
			c.name = s(names[len(names)-1])
		}
	} else if inner := m(e["child"]); s(e["class"]) == "CAST" && inner != nil && s(inner["class"]) == "COLUMN_REF" {
		names := list(inner["column_names"])
		if c.name == "" && len(names) > 0 {
			c.name = s(names[len(names)-1])
		}
	} else {
		c.derived = true
	}
	t.expr(e, sc, c)
	return []*col{c}
}

// expr adds the columns an expression reads to c.
func (t *tracer) expr(v any, sc *scope, c *col) {
	switch x := v.(type) {
	case []any:
		for _, y := range x {
			t.expr(y, sc, c)
		}
	case map[string]any:
		if s(x["class"]) == "COLUMN_REF" {
			c.add(t.column(x, sc))
			return
		}
		if s(x["class"]) == "SUBQUERY" {
			for _, sub := range t.query(m(m(x["subquery"])["node"]), sc) {
				c.add(sub)
			}
			c.derived = true
			if ch, ok := x["child"]; ok {
				t.expr(ch, sc, c)
			}
			return
		}
		// In key order: the first column that cannot be traced names the
		// reason, and a map's own order would change it from run to run.
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if k == "query_location" || k == "value" || k == "cast_type" || k == "type" {
				continue
			}
			t.expr(x[k], sc, c)
		}
	}
}

// column resolves a column reference in scope (and enclosing scopes, for
// correlated subqueries).
func (t *tracer) column(ref map[string]any, sc *scope) *col {
	var names []string
	for _, n := range list(ref["column_names"]) {
		names = append(names, s(n))
	}
	if len(names) == 0 {
		return &col{}
	}
	name := names[len(names)-1]
	for cur := sc; cur != nil; cur = cur.outer {
		if len(names) > 1 {
			q := names[len(names)-2]
			for _, r := range cur.rels {
				if strings.EqualFold(r.alias, q) {
					if found := r.find(name); found != nil {
						return found
					}
					return &col{untraced: fmt.Sprintf("column %s not found in %s", name, r.label)}
				}
			}
			continue
		}
		var hits []*col
		var where, unknownAt []string
		unknown := 0
		for _, r := range cur.rels {
			if found := r.find(name); found != nil {
				hits = append(hits, found)
				where = append(where, r.label)
			} else if !r.known {
				unknown++
				unknownAt = append(unknownAt, r.label)
			}
		}
		switch {
		case len(hits) == 1 && unknown == 0:
			return hits[0]
		case len(hits) > 1 && cur.using[strings.ToLower(name)]:
			out := &col{name: name}
			for _, h := range hits {
				out.add(h)
			}
			return out
		case len(hits) > 1:
			return &col{untraced: fmt.Sprintf("column %s is ambiguous: it is in %s", name, strings.Join(where, " and "))}
		case len(hits) == 1:
			return &col{untraced: fmt.Sprintf("column %s may come from %s or from a relation whose columns are unknown", name, where[0])}
		case unknown == 1:
			return &col{untraced: fmt.Sprintf("column %s comes from %s, whose columns are unknown", name, unknownAt[0])}
		case unknown > 0:
			return &col{untraced: fmt.Sprintf("column %s: cannot tell which of %s (columns unknown) holds it", name, strings.Join(unknownAt, ", "))}
		}
	}
	return &col{untraced: fmt.Sprintf("column %s not found in any relation in scope", name)}
}

// star expands * (or rel.*) from relations whose columns are known.
func (t *tracer) star(e map[string]any, sc *scope) []*col {
	exclude := map[string]bool{}
	for _, x := range list(e["exclude_list"]) {
		switch y := x.(type) {
		case string:
			exclude[strings.ToLower(y)] = true
		case map[string]any:
			if n := list(y["column_names"]); len(n) > 0 {
				exclude[strings.ToLower(s(n[len(n)-1]))] = true
			} else if n := s(y["name"]); n != "" {
				exclude[strings.ToLower(n)] = true
			}
		}
	}
	only := strings.ToLower(s(e["relation_name"]))
	var out []*col
	seen := map[string]bool{}
	for _, r := range sc.rels {
		if only != "" && !strings.EqualFold(r.alias, only) {
			continue
		}
		if !r.known {
			through := r.node
			if only == "" && len(sc.rels) > 1 {
				through = ""
			}
			return append(out, &col{name: "*", through: through, untraced: fmt.Sprintf("select * from %s, whose columns are not in the catalog", r.label)})
		}
		for _, c := range r.cols {
			lc := strings.ToLower(c.name)
			if exclude[lc] || (only == "" && sc.using[lc] && seen[lc]) {
				continue
			}
			seen[lc] = true
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return []*col{{name: "*", untraced: "select * from no known relation"}}
	}
	return out
}
