package dialect

import (
	"fmt"
	"sort"
	"strings"
)

// dbt's cross-database macros (dbt.date_trunc, dbt.dateadd, ...): each takes
// SQL expressions as text, as dbt's do, and returns the SQL of the
// warehouse. The DuckDB spelling follows dbt-duckdb, the Snowflake one
// dbt-snowflake.

// crossParam is a macro parameter; def is its default when optional.
type crossParam struct {
	name string
	def  any
	opt  bool
}

func req(name string) crossParam          { return crossParam{name: name} }
func opt(name string, def any) crossParam { return crossParam{name: name, def: def, opt: true} }

// crossMacro renders one macro for an adapter from its bound arguments.
type crossMacro struct {
	params []crossParam
	sql    func(adapter string, a crossArgs) (string, error)
}

// crossArgs are bound arguments.
type crossArgs map[string]any

func (a crossArgs) s(name string) string {
	v := a[name]
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (a crossArgs) list(name string) []string {
	switch x := a[name].(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out
	case []string:
		return x
	default:
		return []string{fmt.Sprint(x)}
	}
}

func isSnowflake(adapter string) bool { return adapter == "snowflake" }

// typeName is the spelling of a dbt type_* macro.
func typeName(adapter, t string) string {
	sf := isSnowflake(adapter)
	switch t {
	case "string":
		return "varchar"
	case "timestamp":
		if sf {
			return "timestamp_ntz"
		}
		return "timestamp"
	case "int":
		if sf {
			return "int"
		}
		return "integer"
	case "bigint":
		return "bigint"
	case "numeric":
		return "numeric(28,6)"
	case "boolean":
		return "boolean"
	case "float":
		if sf {
			return "float"
		}
		return "double"
	}
	return t
}

func simple(format string, params ...crossParam) crossMacro {
	return crossMacro{params: params, sql: func(_ string, a crossArgs) (string, error) {
		vals := make([]any, len(params))
		for i, p := range params {
			vals[i] = a.s(p.name)
		}
		return fmt.Sprintf(format, vals...), nil
	}}
}

func typeMacro(t string) crossMacro {
	return crossMacro{sql: func(adapter string, _ crossArgs) (string, error) { return typeName(adapter, t), nil }}
}

var crossMacros = map[string]crossMacro{
	"date_trunc": simple("date_trunc('%s', %s)", req("datepart"), req("date")),
	"dateadd": {params: []crossParam{req("datepart"), req("interval"), req("from_date_or_timestamp")}, sql: func(ad string, a crossArgs) (string, error) {
		return crossDateadd(ad, a.s("datepart"), a.s("interval"), a.s("from_date_or_timestamp")), nil
	}},
	"datediff": {params: []crossParam{req("first_date"), req("second_date"), req("datepart")}, sql: func(ad string, a crossArgs) (string, error) {
		if isSnowflake(ad) {
			return fmt.Sprintf("datediff(%s, %s, %s)", a.s("datepart"), a.s("first_date"), a.s("second_date")), nil
		}
		return fmt.Sprintf("date_diff('%s', %s::timestamp, %s::timestamp)", a.s("datepart"), a.s("first_date"), a.s("second_date")), nil
	}},
	"last_day": {params: []crossParam{req("date"), req("datepart")}, sql: func(ad string, a crossArgs) (string, error) {
		d, p := a.s("date"), a.s("datepart")
		if isSnowflake(ad) && p != "quarter" {
			return fmt.Sprintf("cast(last_day(%s, %s) as date)", d, p), nil
		}
		return fmt.Sprintf("cast(%s as date)", crossDateadd(ad, "day", "-1", crossDateadd(ad, p, "1", fmt.Sprintf("date_trunc('%s', %s)", p, d)))), nil
	}},
	"safe_cast": simple("try_cast(%s as %s)", req("field"), req("type")),
	"cast":      simple("cast(%s as %s)", req("field"), req("type")),
	"hash": {params: []crossParam{req("field")}, sql: func(ad string, a crossArgs) (string, error) {
		return fmt.Sprintf("md5(cast(%s as %s))", a.s("field"), typeName(ad, "string")), nil
	}},
	"concat": {params: []crossParam{req("fields")}, sql: func(_ string, a crossArgs) (string, error) {
		return "concat(" + strings.Join(a.list("fields"), ", ") + ")", nil
	}},
	"split_part":  simple("split_part(%s, %s, %s)", req("string_text"), req("delimiter_text"), req("part_number")),
	"position":    simple("position(%s in %s)", req("substring_text"), req("string_text")),
	"replace":     simple("replace(%s, %s, %s)", req("field"), req("old_chars"), req("new_chars")),
	"right":       simple("right(%s, %s)", req("string_text"), req("length_expression")),
	"length":      simple("length(%s)", req("expression")),
	"any_value":   simple("any_value(%s)", req("expression")),
	"equals":      simple("((%[1]s = %[2]s) or (%[1]s is null and %[2]s is null))", req("expr1"), req("expr2")),
	"except":      simple("except"),
	"intersect":   simple("intersect"),
	"type_string": typeMacro("string"), "type_timestamp": typeMacro("timestamp"), "type_int": typeMacro("int"),
	"type_bigint": typeMacro("bigint"), "type_numeric": typeMacro("numeric"), "type_boolean": typeMacro("boolean"),
	"type_float": typeMacro("float"),
	"bool_or": {params: []crossParam{req("expression")}, sql: func(ad string, a crossArgs) (string, error) {
		if isSnowflake(ad) {
			return "boolor_agg(" + a.s("expression") + ")", nil
		}
		return "bool_or(" + a.s("expression") + ")", nil
	}},
	"cast_bool_to_text": {params: []crossParam{req("field")}, sql: func(ad string, a crossArgs) (string, error) {
		return fmt.Sprintf("cast(%s as %s)", a.s("field"), typeName(ad, "string")), nil
	}},
	"current_timestamp": {sql: func(ad string, _ crossArgs) (string, error) {
		if isSnowflake(ad) {
			return "convert_timezone('UTC', current_timestamp())", nil
		}
		return "now()", nil
	}},
	"current_timestamp_in_utc_backcompat": {sql: func(ad string, _ crossArgs) (string, error) {
		if isSnowflake(ad) {
			return "convert_timezone('UTC', current_timestamp())::timestamp_ntz", nil
		}
		return "(now() at time zone 'UTC')", nil
	}},
	"escape_single_quotes": {params: []crossParam{req("expression")}, sql: func(ad string, a crossArgs) (string, error) {
		if isSnowflake(ad) {
			return strings.ReplaceAll(a.s("expression"), "'", `\'`), nil
		}
		return strings.ReplaceAll(a.s("expression"), "'", "''"), nil
	}},
	"string_literal": {params: []crossParam{req("value")}, sql: func(ad string, a crossArgs) (string, error) {
		if isSnowflake(ad) {
			return Snowflake{}.Literal(a.s("value")), nil
		}
		return DuckDB{}.Literal(a.s("value")), nil
	}},
	"listagg": {params: []crossParam{req("measure"), opt("delimiter_text", "','"), opt("order_by_clause", nil), opt("limit_num", nil)}, sql: func(ad string, a crossArgs) (string, error) {
		m, d, ob, lim := a.s("measure"), a.s("delimiter_text"), a.s("order_by_clause"), a.s("limit_num")
		if isSnowflake(ad) {
			s := fmt.Sprintf("listagg(%s, %s)", m, d)
			if ob != "" {
				s += " within group (" + ob + ")"
			}
			if lim != "" {
				return "", fmt.Errorf("listagg: limit_num is not supported on snowflake")
			}
			return s, nil
		}
		if lim != "" {
			return fmt.Sprintf("array_to_string(list_slice(list(%s%s), 1, %s), %s)", m, spaced(ob), lim, d), nil
		}
		return fmt.Sprintf("string_agg(%s, %s%s)", m, d, spaced(ob)), nil
	}},
	"array_construct": {params: []crossParam{opt("inputs", []any{}), opt("data_type", nil)}, sql: func(ad string, a crossArgs) (string, error) {
		in := a.list("inputs")
		if isSnowflake(ad) {
			return "array_construct(" + strings.Join(in, ", ") + ")", nil
		}
		if len(in) == 0 {
			t := a.s("data_type")
			if t == "" {
				t = "integer"
			}
			return "cast([] as " + t + "[])", nil
		}
		return "[" + strings.Join(in, ", ") + "]", nil
	}},
	"array_append": {params: []crossParam{req("array"), req("new_element")}, sql: func(ad string, a crossArgs) (string, error) {
		if isSnowflake(ad) {
			return fmt.Sprintf("array_append(%s, %s)", a.s("array"), a.s("new_element")), nil
		}
		return fmt.Sprintf("list_append(%s, %s)", a.s("array"), a.s("new_element")), nil
	}},
	"array_concat": {params: []crossParam{req("array_1"), req("array_2")}, sql: func(ad string, a crossArgs) (string, error) {
		if isSnowflake(ad) {
			return fmt.Sprintf("array_cat(%s, %s)", a.s("array_1"), a.s("array_2")), nil
		}
		return fmt.Sprintf("list_concat(%s, %s)", a.s("array_1"), a.s("array_2")), nil
	}},
	"date": {params: []crossParam{req("year"), req("month"), req("day")}, sql: func(ad string, a crossArgs) (string, error) {
		if isSnowflake(ad) {
			return fmt.Sprintf("date_from_parts(%s, %s, %s)", a.s("year"), a.s("month"), a.s("day")), nil
		}
		return fmt.Sprintf("make_date(%s, %s, %s)", a.s("year"), a.s("month"), a.s("day")), nil
	}},
}

func spaced(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

func crossDateadd(ad, part, interval, from string) string {
	if isSnowflake(ad) {
		return fmt.Sprintf("dateadd(%s, %s, %s)", part, interval, from)
	}
	return fmt.Sprintf("date_add(%s, interval (%s) %s)", from, interval, part)
}

// CrossDBMacros lists the cross-database macros Kiln implements, sorted.
func CrossDBMacros() []string {
	out := make([]string, 0, len(crossMacros))
	for k := range crossMacros {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CrossDB renders the cross-database macro name for adapter ("duckdb",
// "snowflake") from positional and keyword arguments, as dbt binds them.
// ok is false when Kiln has no such macro.
func CrossDB(adapter, name string, pos []any, kw map[string]any) (sql string, ok bool, err error) {
	m, ok := crossMacros[name]
	if !ok {
		return "", false, nil
	}
	if len(pos) > len(m.params) {
		return "", true, fmt.Errorf("dbt.%s() takes %d argument(s) (%d given)", name, len(m.params), len(pos))
	}
	a := crossArgs{}
	for i, v := range pos {
		a[m.params[i].name] = v
	}
	for k, v := range kw {
		found := false
		for _, p := range m.params {
			if p.name == k {
				found = true
			}
		}
		if !found {
			return "", true, fmt.Errorf("dbt.%s() got an unexpected keyword argument '%s'", name, k)
		}
		if _, dup := a[k]; dup {
			return "", true, fmt.Errorf("dbt.%s() got multiple values for argument '%s'", name, k)
		}
		a[k] = v
	}
	for _, p := range m.params {
		if _, ok := a[p.name]; ok {
			continue
		}
		if !p.opt {
			return "", true, fmt.Errorf("dbt.%s() is missing required argument '%s'", name, p.name)
		}
		a[p.name] = p.def
	}
	sql, err = m.sql(adapter, a)
	return sql, true, err
}
