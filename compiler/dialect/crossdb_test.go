package dialect_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// crossCases are dbt's cross-database macros with the SQL each dialect
// gets and, for DuckDB, the value the SQL evaluates to.
var crossCases = []struct {
	name      string
	pos       []any
	kw        map[string]any
	duckdb    string
	snowflake string
	value     string // DuckDB result, "" to skip execution
}{
	{"date_trunc", []any{"month", "date '2024-02-15'"}, nil, "date_trunc('month', date '2024-02-15')", "date_trunc('month', date '2024-02-15')", "2024-02-01 00:00:00 +0000 UTC"},
	{"dateadd", []any{"day", 3, "date '2024-02-15'"}, nil, "date_add(date '2024-02-15', interval (3) day)", "dateadd(day, 3, date '2024-02-15')", "2024-02-18 00:00:00 +0000 UTC"},
	{"datediff", []any{"date '2024-01-01'", "date '2024-02-15'", "day"}, nil, "date_diff('day', date '2024-01-01'::timestamp, date '2024-02-15'::timestamp)", "datediff(day, date '2024-01-01', date '2024-02-15')", "45"},
	{"last_day", []any{"date '2024-02-15'", "month"}, nil, "cast(date_add(date_add(date_trunc('month', date '2024-02-15'), interval (1) month), interval (-1) day) as date)", "cast(last_day(date '2024-02-15', month) as date)", "2024-02-29 00:00:00 +0000 UTC"},
	{"safe_cast", []any{"'x'", "integer"}, nil, "try_cast('x' as integer)", "try_cast('x' as integer)", "<nil>"},
	{"cast", []any{"'7'", "integer"}, nil, "cast('7' as integer)", "cast('7' as integer)", "7"},
	{"hash", []any{"'abc'"}, nil, "md5(cast('abc' as varchar))", "md5(cast('abc' as varchar))", "900150983cd24fb0d6963f7d28e17f72"},
	{"concat", []any{[]any{"'a'", "'b'"}}, nil, "concat('a', 'b')", "concat('a', 'b')", "ab"},
	{"split_part", []any{"'a,b,c'", "','", 2}, nil, "split_part('a,b,c', ',', 2)", "split_part('a,b,c', ',', 2)", "b"},
	{"position", []any{"'b'", "'abc'"}, nil, "position('b' in 'abc')", "position('b' in 'abc')", "2"},
	{"replace", []any{"'abc'", "'b'", "'x'"}, nil, "replace('abc', 'b', 'x')", "replace('abc', 'b', 'x')", "axc"},
	{"right", []any{"'abc'", 2}, nil, "right('abc', 2)", "right('abc', 2)", "bc"},
	{"length", []any{"'abc'"}, nil, "length('abc')", "length('abc')", "3"},
	{"any_value", []any{"1"}, nil, "any_value(1)", "any_value(1)", "1"},
	{"bool_or", []any{"true"}, nil, "bool_or(true)", "boolor_agg(true)", "true"},
	{"cast_bool_to_text", []any{"true"}, nil, "cast(true as varchar)", "cast(true as varchar)", "true"},
	{"equals", []any{"null", "null"}, nil, "((null = null) or (null is null and null is null))", "((null = null) or (null is null and null is null))", "true"},
	{"string_literal", []any{"it's"}, nil, "'it''s'", "'it''s'", "it's"},
	{"escape_single_quotes", []any{"it's"}, nil, "it''s", `it\'s`, ""},
	{"listagg", []any{"v"}, map[string]any{"order_by_clause": "order by v"}, "string_agg(v, ',' order by v)", "listagg(v, ',') within group (order by v)", ""},
	{"array_construct", []any{[]any{1, 2}}, nil, "[1, 2]", "array_construct(1, 2)", "[1 2]"},
	{"array_append", []any{"[1]", 2}, nil, "list_append([1], 2)", "array_append([1], 2)", "[1 2]"},
	{"array_concat", []any{"[1]", "[2]"}, nil, "list_concat([1], [2])", "array_cat([1], [2])", "[1 2]"},
	{"date", []any{2024, 3, 1}, nil, "make_date(2024, 3, 1)", "date_from_parts(2024, 3, 1)", "2024-03-01 00:00:00 +0000 UTC"},
	{"current_timestamp", nil, nil, "now()", "convert_timezone('UTC', current_timestamp())", ""},
	{"except", nil, nil, "except", "except", ""},
	{"intersect", nil, nil, "intersect", "intersect", ""},
	{"type_string", nil, nil, "varchar", "varchar", ""},
	{"type_timestamp", nil, nil, "timestamp", "timestamp_ntz", ""},
	{"type_int", nil, nil, "integer", "int", ""},
	{"type_bigint", nil, nil, "bigint", "bigint", ""},
	{"type_numeric", nil, nil, "numeric(28,6)", "numeric(28,6)", ""},
	{"type_boolean", nil, nil, "boolean", "boolean", ""},
	{"type_float", nil, nil, "double", "float", ""},
}

func TestCrossDB(t *testing.T) {
	conn := openDuckDB(t)
	for _, c := range crossCases {
		for adapter, want := range map[string]string{"duckdb": c.duckdb, "snowflake": c.snowflake} {
			got, ok, err := dialect.CrossDB(adapter, c.name, c.pos, c.kw)
			if !ok || err != nil || got != want {
				t.Errorf("%s on %s: got %q (ok=%v, err=%v), want %q", c.name, adapter, got, ok, err, want)
			}
		}
		if c.value == "" {
			continue
		}
		var v any
		if err := conn.QueryRowContext(context.Background(), "select "+c.duckdb).Scan(&v); err != nil {
			t.Errorf("%s: %s: %v", c.name, c.duckdb, err)
			continue
		}
		if got := fmt.Sprint(v); got != c.value {
			t.Errorf("%s: %s = %s, want %s", c.name, c.duckdb, got, c.value)
		}
	}
	if _, _, err := dialect.CrossDB("duckdb", "dateadd", []any{"day"}, nil); err == nil {
		t.Error("dateadd with a missing argument: no error")
	}
	if _, ok, _ := dialect.CrossDB("duckdb", "no_such_macro", nil, nil); ok {
		t.Error("unknown macro reported as known")
	}
	if len(dialect.CrossDBMacros()) != len(crossCases)+1 { // + current_timestamp_in_utc_backcompat
		t.Errorf("%d macros, %d cases: add a case for each macro", len(dialect.CrossDBMacros()), len(crossCases))
	}
}
