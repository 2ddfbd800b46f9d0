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

// globals builds the names of one render that are its own; they shadow
// the shared c.baseGlobals (see render).
func (c *compilation) globals(self int, rc *renderCall, incremental bool) map[string]any {
	g := make(map[string]any, 16)
	g["config"] = func(args ...any) (any, error) {
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
	g["ref"] = func(args ...any) (any, error) {
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
	g["source"] = func(args ...any) (any, error) {
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
	if self >= 0 {
		g["this"] = c.placeholderRelation(self)
		g["model"] = map[string]any{"name": c.models[self].node.Name, "unique_id": c.models[self].node.UniqueID}
	}
	g["is_incremental"] = func() bool { return incremental }
	c.addRenderBuiltins(g, self)
	return g
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
