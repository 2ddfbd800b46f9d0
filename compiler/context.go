package compiler

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// Placeholders stand for relations whose final name is not known while a
// template renders (a ref'd model's schema, alias or ephemeral CTE depend on
// its own config, which may not have been rendered yet). They are swapped for
// the real names in one linear pass once every model is rendered, so each
// template is rendered once. The delimiter is a control character that cannot
// appear in a SQL file by accident.
const phMark = '\x1f'

func refPlaceholder(nodeIdx int) string {
	return string(phMark) + strconv.Itoa(nodeIdx) + string(phMark)
}

// RelationRef is what ref(), source() and this evaluate to in a template: it
// prints as the relation and exposes dbt's Relation attributes.
type RelationRef struct {
	Database   string
	Schema     string
	Identifier string
	text       string
}

func (r RelationRef) String() string { return r.text }

// Name is dbt's alias for Identifier.
func (r RelationRef) Name() string { return r.Identifier }

// Table is dbt's alias for Identifier.
func (r RelationRef) Table() string { return r.Identifier }

// Include returns the relation itself (dbt's include() narrows the printed
// parts; Kiln prints what the dialect needs).
func (r RelationRef) Include(args ...any) RelationRef { return r }

// renderCall collects what one template render recorded: its config() calls,
// refs and sources. One exists per render, so renders can run in parallel.
type renderCall struct {
	config   map[string]any
	refs     []int // indexes into compilation.models
	refNames []string
	sources  [][2]string
	srcIDs   []string
}

// renderScope is one render's own globals, which shadow the shared
// c.baseGlobals: config, ref, source and is_incremental; this and model in
// a model's render; run_query, statement and load_result; and execute,
// false, when a model's queries wait (builtins.go). Each is made when the
// template first reads it: most read two or three, and making all of them
// for every render was a tenth of a large compile's allocations.
type renderScope struct {
	c           *compilation
	self        int
	rc          *renderCall
	incremental bool
	noExecute   bool
	made        [len(scopedNames)]any
	results     map[string]any // statement() results, for load_result()
}

var scopedNames = [...]string{"config", "ref", "source", "is_incremental", "this", "model", "run_query", "statement", "load_result", "execute"}

func (c *compilation) scope(self int, rc *renderCall, incremental bool) *renderScope {
	s := &renderScope{c: c, self: self, rc: rc, incremental: incremental}
	if self >= 0 {
		s.noExecute = c.queryDeferred(c.models[self].node.UniqueID)
	}
	return s
}

// globals is a render's own globals as a map, for callers that add to them.
func (c *compilation) globals(self int, rc *renderCall, incremental bool) map[string]any {
	s := c.scope(self, rc, incremental)
	g := make(map[string]any, len(scopedNames)+4)
	for _, name := range s.Names() {
		g[name], _ = s.Lookup(name)
	}
	return g
}

func (s *renderScope) Names() []string {
	names := make([]string, 0, len(scopedNames))
	for _, name := range scopedNames {
		if _, ok := s.index(name); ok {
			names = append(names, name)
		}
	}
	return names
}

// index is name's slot in made, if the render has it: this and model only
// in a model's render, execute only when its queries wait.
func (s *renderScope) index(name string) (int, bool) {
	for i, n := range scopedNames {
		if n != name {
			continue
		}
		switch n {
		case "this", "model":
			return i, s.self >= 0
		case "execute":
			return i, s.noExecute
		}
		return i, true
	}
	return 0, false
}

func (s *renderScope) Lookup(name string) (any, bool) {
	i, ok := s.index(name)
	if !ok {
		return nil, false
	}
	if s.made[i] == nil {
		s.made[i] = s.make(i)
	}
	return s.made[i], true
}

func (s *renderScope) make(i int) any {
	c, rc, self := s.c, s.rc, s.self
	switch scopedNames[i] {
	case "config":
		return func(args ...any) (any, error) {
			pos, kw := jinja.Args(args)
			if len(pos) == 1 {
				if m, ok := pos[0].(map[string]any); ok { // config({'materialized': 'view'})
					if kw == nil {
						kw = make(map[string]any, len(m))
					}
					for k, v := range m {
						kw[k] = v
					}
				}
			} else if len(pos) > 1 {
				return nil, diag.Diagnostic{Summary: "config() takes keyword arguments only", Hint: "write config(materialized='table')"}
			}
			if rc.config == nil {
				rc.config = map[string]any{}
			}
			for k, v := range kw {
				rc.config[k] = v
			}
			return "", nil
		}
	case "ref":
		return func(args ...any) (any, error) {
			pos, kw := jinja.Args(args)
			if len(pos) == 0 || len(pos) > 2 {
				return nil, diag.Diagnostic{Summary: "ref() takes a model name (and optionally a package name)", Hint: "write ref('stg_orders')"}
			}
			name := fmt.Sprint(pos[len(pos)-1])
			idx, ok := c.byName[name]
			if vidx, found, err := c.versionedRef(name, kw); err != nil {
				return nil, err
			} else if found {
				idx, ok = vidx, true
			}
			if !ok {
				return nil, diag.Diagnostic{Summary: fmt.Sprintf("unknown ref '%s'", name), Hint: c.refHint(name)}
			}
			if idx == self {
				return nil, diag.Diagnostic{Summary: fmt.Sprintf("model '%s' refers to itself", name), Hint: "use {{ this }} for the model's own relation"}
			}
			rc.refs = append(rc.refs, idx)
			rc.refNames = append(rc.refNames, name)
			return c.placeholderRelation(idx), nil
		}
	case "source":
		return func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			if len(pos) != 2 {
				return nil, diag.Diagnostic{Summary: "source() takes a source name and a table name", Hint: "write source('raw_pos', 'transactions')"}
			}
			sname, tname := fmt.Sprint(pos[0]), fmt.Sprint(pos[1])
			src, ok := c.sourceByName[sname+"."+tname]
			if !ok {
				return nil, diag.Diagnostic{Summary: fmt.Sprintf("unknown source '%s.%s'", sname, tname), Hint: c.sourceHint(sname, tname)}
			}
			rc.sources = append(rc.sources, [2]string{sname, tname})
			rc.srcIDs = append(rc.srcIDs, src.UniqueID)
			r := src.Relation
			return RelationRef{Database: r.Database, Schema: r.Schema, Identifier: r.Identifier, text: src.RelationName}, nil
		}
	case "is_incremental":
		incremental := s.incremental
		return func() bool { return incremental }
	case "this":
		return c.placeholderRelation(self)
	case "model":
		return map[string]any{"name": c.models[self].node.Name, "unique_id": c.models[self].node.UniqueID}
	case "execute":
		return false
	}
	return s.makeQueryBuiltin(scopedNames[i])
}

// renderIn executes a template with the render's own globals in s over
// the shared ones.
func (c *compilation) renderIn(t *jinja.Template, s *renderScope) (string, error) {
	return t.ExecuteScope(s, c.baseGlobals)
}

// render executes a template with a render's own globals over the shared
// ones.
func (c *compilation) render(t *jinja.Template, local map[string]any) (string, error) {
	return t.ExecuteWith(local, c.baseGlobals)
}

func (c *compilation) placeholderRelation(idx int) RelationRef {
	n := c.models[idx].node
	return RelationRef{Schema: c.target.Schema, Identifier: n.Name, Database: c.target.Database, text: refPlaceholder(idx)}
}

func (c *compilation) refHint(name string) string {
	if h := diag.DidYouMean(name, c.modelNames); h != "" {
		return h
	}
	return "ref() names a model, seed or snapshot of this project by its file name without extension"
}

func (c *compilation) sourceHint(sname, tname string) string {
	var cands []string
	for k := range c.sourceByName {
		cands = append(cands, k)
	}
	sort.Strings(cands)
	if h := diag.DidYouMean(sname+"."+tname, cands); h != "" {
		return h
	}
	return "declare it under sources: in a models/*.yml file"
}

// substitute replaces relation placeholders in sql with final relation names
// (or ephemeral CTE names, which it reports in ctes).
func (c *compilation) substitute(sql string, ctes *[]int) string {
	if strings.IndexByte(sql, phMark) < 0 {
		return sql
	}
	var b strings.Builder
	b.Grow(len(sql) + 64)
	for {
		i := strings.IndexByte(sql, phMark)
		if i < 0 {
			b.WriteString(sql)
			break
		}
		j := strings.IndexByte(sql[i+1:], phMark)
		if j < 0 {
			b.WriteString(sql)
			break
		}
		idx, err := strconv.Atoi(sql[i+1 : i+1+j])
		if err != nil || idx < 0 || idx >= len(c.models) {
			b.WriteString(sql[:i+1])
			sql = sql[i+1:]
			continue
		}
		b.WriteString(sql[:i])
		n := c.models[idx].node
		if n.ResourceType == Model && n.Materialized() == "ephemeral" {
			b.WriteString(cteName(n.Name))
			if ctes != nil {
				*ctes = append(*ctes, idx)
			}
		} else {
			b.WriteString(n.RelationName)
		}
		sql = sql[i+2+j:]
	}
	return b.String()
}

func cteName(model string) string { return "__kiln_cte__" + model }

// relationFor computes where a node lives: the target's database and
// schema, a custom schema appended as dbt's generate_schema_name does, and
// the alias or name as identifier.
func (c *compilation) relationFor(n *Node) dialect.Relation {
	if c.compat.nameMacros {
		return c.relationByMacros(n) // generate_*_name overrides (dbtcompat.go)
	}
	schema := c.target.Schema
	if custom := n.ConfigString("schema"); custom != "" {
		schema = schema + "_" + custom
	}
	db := c.target.Database
	if d := n.ConfigString("database"); d != "" {
		db = d
	}
	if n.ResourceType == Snapshot {
		schema, db = snapshotSchema(n, schema, db)
	}
	ident := n.Name
	if a := n.ConfigString("alias"); a != "" {
		ident = a
	}
	return dialect.Relation{Database: db, Schema: schema, Identifier: ident}
}
