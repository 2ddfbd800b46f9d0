package compiler

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/compiler/jinja"
)

// DbtVersion is the dbt version whose template context Kiln follows,
// visible to templates as dbt_version.
const DbtVersion = "1.9.0"

// addBuiltins adds dbt's context members that are the same for every
// render: log, exceptions, modules, adapter.dispatch, the cross-database
// macros (under dbt. and bare) and the generate_*_name defaults.
func (c *compilation) addBuiltins(g map[string]any) {
	adapter := c.target.Type
	crossFn := func(name string) any {
		return func(args ...any) (any, error) {
			pos, kw := jinja.Args(args)
			sql, _, err := dialect.CrossDB(adapter, name, pos, kw)
			return sql, err
		}
	}
	dbt := map[string]any{}
	for _, name := range dialect.CrossDBMacros() {
		dbt[name] = crossFn(name)
		// Bare names as in dbt, unless the project defines a macro so named.
		if _, taken := g[name]; !taken && !c.env.HasMacro(name) {
			g[name] = crossFn(name)
		}
	}
	for name, fn := range c.builtinNameMacros() {
		dbt[name] = fn
		g["default__"+name] = fn
	}
	g["dbt"] = dbt
	g["adapter"] = map[string]any{
		"dispatch": jinja.Dispatch(adapter, func(name string) any {
			if f, ok := dbt[name]; ok {
				return f
			}
			return nil
		}),
		"quote": func(s string) string { return c.dialect.QuoteAlways(s) },
		"type":  func() string { return adapter },
	}
	g["log"] = func(args ...any) (any, error) {
		pos, kw := jinja.Args(args)
		if c.opts.Log != nil && len(pos) > 0 {
			info := jinja.Truth(kw["info"])
			if len(pos) > 1 {
				info = jinja.Truth(pos[1])
			}
			c.opts.Log(fmt.Sprint(pos[0]), info)
		}
		return "", nil
	}
	g["exceptions"] = map[string]any{
		"raise_compiler_error": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			msg := "compilation error"
			if len(pos) > 0 {
				msg = fmt.Sprint(pos[0])
			}
			return nil, diag.Diagnostic{Summary: msg}
		},
		"warn": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			if len(pos) > 0 {
				c.warnf(diag.Pos{}, "", "%s", fmt.Sprint(pos[0]))
			}
			return "", nil
		},
		"raise_not_implemented": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			return nil, diag.Diagnostic{Summary: "not implemented: " + fmt.Sprint(argAt(pos, 0))}
		},
	}
	g["modules"] = map[string]any{"datetime": datetimeModule()}
	g["tojson"] = func(args ...any) (any, error) {
		pos, _ := jinja.Args(args)
		return jinja.ToJSON(argAt(pos, 0))
	}
	g["fromjson"] = func(args ...any) (any, error) {
		pos, _ := jinja.Args(args)
		if len(pos) > 1 && (argAt(pos, 0) == nil || fmt.Sprint(argAt(pos, 0)) == "") {
			return pos[1], nil
		}
		return jinja.FromJSON(fmt.Sprint(argAt(pos, 0)))
	}
	g["zip"] = func(args ...any) (any, error) {
		pos, _ := jinja.Args(args)
		var lists [][]any
		n := -1
		for _, p := range pos {
			l, ok := p.([]any)
			if !ok {
				return nil, fmt.Errorf("zip() arguments must be lists")
			}
			lists = append(lists, l)
			if n < 0 || len(l) < n {
				n = len(l)
			}
		}
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			t := make([]any, len(lists))
			for j, l := range lists {
				t[j] = l[i]
			}
			out = append(out, t)
		}
		return out, nil
	}
	g["dbt_version"] = DbtVersion
	g["flags"] = map[string]any{"FULL_REFRESH": false, "STORE_FAILURES": false, "WHICH": "run"}
	g["invocation_id"] = "00000000-0000-0000-0000-000000000000"
}

func (c *compilation) warnf(pos diag.Pos, hint, format string, args ...any) {
	c.diagsMu.Lock()
	c.diags.Warnf(pos, hint, format, args...)
	c.diagsMu.Unlock()
}

// makeQueryBuiltin makes the members whose state is one render's:
// run_query, statement and load_result (renderScope).
func (s *renderScope) makeQueryBuiltin(name string) any {
	c := s.c
	switch name {
	case "run_query":
		return func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			if len(pos) != 1 {
				return nil, diag.Diagnostic{Summary: "run_query() takes one SQL string"}
			}
			return s.query(c.substitute(fmt.Sprint(pos[0]), nil))
		}
	case "statement":
		return func(args ...any) (any, error) {
			pos, kw := jinja.Args(args)
			name := "main"
			if v := argAt(pos, 0); v != nil {
				name = fmt.Sprint(v)
			} else if v, ok := kw["name"]; ok && v != nil {
				name = fmt.Sprint(v)
			}
			body, ok := kw["caller"]
			if !ok || !jinja.IsCaller(body) {
				return nil, diag.Diagnostic{Summary: "statement() is used as {% call statement('name', fetch_result=True) %} ... {% endcall %}"}
			}
			sql, err := jinja.CallCaller(body)
			if err != nil {
				return nil, err
			}
			t, err := s.query(c.substitute(strings.TrimSpace(sql), nil))
			if err != nil {
				return nil, err
			}
			if s.results == nil {
				s.results = map[string]any{}
			}
			r := map[string]any{"response": map[string]any{"code": "SUCCESS", "rows_affected": len(t.rows)}, "data": nil, "table": nil}
			if jinja.Truth(kw["fetch_result"]) {
				r["data"] = t.Items()
				r["table"] = t
			}
			s.results[name] = r
			return "", nil
		}
	case "load_result":
		return func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			if r, ok := s.results[fmt.Sprint(argAt(pos, 0))]; ok {
				return r, nil
			}
			return nil, nil
		}
	}
	return nil
}

// query runs sql for run_query() and statement(), or, when the render
// cannot query yet, returns an empty table (and marks a model's render as
// one that queries).
func (s *renderScope) query(sql string) (*QueryTable, error) {
	c := s.c
	nodeID := ""
	if s.self >= 0 {
		nodeID = c.models[s.self].node.UniqueID
	}
	if nodeID != "" {
		c.compat.queryMu.Lock()
		if c.compat.queryNodes == nil {
			c.compat.queryNodes = map[string]bool{}
		}
		c.compat.queryNodes[nodeID] = true
		c.compat.queryMu.Unlock()
	}
	deferred := c.queryDeferred(nodeID)
	if nodeID == "" { // tests, hooks, operations: after relations are final
		deferred = c.opts.Query == nil || !c.compat.relationsFinal || c.opts.QueryOnly != nil
	}
	if deferred {
		return &QueryTable{}, nil
	}
	rows, cols, err := c.opts.Query(c.ctx, sql)
	if err != nil {
		return nil, diag.Diagnostic{Summary: "run_query: " + err.Error()}
	}
	return newQueryTable(rows, cols), nil
}

// queryDeferred reports whether a model runs queries while rendering but
// gets no connection in this compile: it is rendered with execute false.
func (c *compilation) queryDeferred(id string) bool {
	c.compat.queryMu.Lock()
	used := c.compat.queryNodes[id]
	c.compat.queryMu.Unlock()
	// Until relations are final, ref() inside the query could not be named.
	return used && (c.opts.Query == nil || !c.compat.relationsFinal || (c.opts.QueryOnly != nil && !c.opts.QueryOnly[id]))
}

// queryNodeIDs are the models whose render ran a query, sorted.
func (c *compilation) queryNodeIDs() []string {
	out := make([]string, 0, len(c.compat.queryNodes))
	for id := range c.compat.queryNodes {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// QueryTable is what run_query() returns, shaped like dbt's agate table:
// iterable and indexable by row ([0][0]), with .rows, .columns (each with
// .name and .values()) and .column_names.
type QueryTable struct {
	rows []any // each a []any
	cols []string
}

func newQueryTable(rows [][]any, cols []string) *QueryTable {
	t := &QueryTable{cols: cols}
	width := len(cols)
	for _, r := range rows {
		row := make([]any, len(r))
		for i, v := range r {
			row[i] = templateValue(v)
		}
		width = max(width, len(r))
		t.rows = append(t.rows, row)
	}
	for i := len(t.cols); i < width; i++ {
		t.cols = append(t.cols, fmt.Sprintf("column_%d", i+1))
	}
	return t
}

// Items makes the table a sequence of rows.
func (t *QueryTable) Items() []any { return t.rows }

// Rows is agate's table.rows.
func (t *QueryTable) Rows() []any { return t.rows }

// ColumnNames is agate's table.column_names.
func (t *QueryTable) ColumnNames() []any {
	out := make([]any, len(t.cols))
	for i, c := range t.cols {
		out[i] = c
	}
	return out
}

// Columns is agate's table.columns.
func (t *QueryTable) Columns() []any {
	out := make([]any, len(t.cols))
	for i, name := range t.cols {
		out[i] = &QueryColumn{Name: name, t: t, i: i}
	}
	return out
}

// String prints the table's rows.
func (t *QueryTable) String() string { return fmt.Sprint(t.rows) }

// QueryColumn is one column of a QueryTable.
type QueryColumn struct {
	Name string
	t    *QueryTable
	i    int
}

// Values are the column's values, top to bottom.
func (c *QueryColumn) Values() []any {
	out := make([]any, 0, len(c.t.rows))
	for _, r := range c.t.rows {
		row := r.([]any)
		if c.i < len(row) {
			out = append(out, row[c.i])
		} else {
			out = append(out, nil)
		}
	}
	return out
}

// templateValue turns a driver value into one templates handle.
func templateValue(v any) any {
	switch x := v.(type) {
	case nil, string, bool, int, float64:
		return v
	case int64:
		return int(x)
	case int32:
		return int(x)
	case int16:
		return int(x)
	case int8:
		return int(x)
	case uint8:
		return int(x)
	case uint16:
		return int(x)
	case uint32:
		return int(x)
	case uint64:
		return int(x)
	case float32:
		return float64(x)
	case []byte:
		return string(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return pyDate{x}
		}
		return pyDatetime{x}
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// renderQueryModels renders again, now that relations are final, the
// models whose first render deferred their queries although this compile
// has a connection for them, and finishes their SQL.
func (c *compilation) renderQueryModels() {
	if c.opts.Query == nil {
		return
	}
	c.compat.relationsFinal = true
	for _, id := range c.queryNodeIDs() {
		if c.opts.QueryOnly != nil && !c.opts.QueryOnly[id] {
			continue
		}
		for i, r := range c.models {
			if r.node.UniqueID == id {
				c.renderModel(i)
				c.finishModelSQL(i)
			}
		}
	}
}
