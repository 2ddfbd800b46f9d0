package dialect_test

import (
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/dialect"
)

var (
	duck = dialect.DuckDB{}
	snow = dialect.Snowflake{}
)

func TestForAdapter(t *testing.T) {
	for name, want := range map[string]string{"duckdb": "duckdb", "DuckDB": "duckdb", "snowflake": "snowflake"} {
		d, ok := dialect.ForAdapter(name)
		if !ok || d.Name() != want {
			t.Errorf("ForAdapter(%q) = %v, %v", name, d, ok)
		}
	}
	if _, ok := dialect.ForAdapter("postgres"); ok {
		t.Error("ForAdapter(postgres) ok")
	}
}

func TestQuote(t *testing.T) {
	cases := []struct{ in, duck, snow string }{
		{"orders", "orders", "orders"},
		{"_x1$", "_x1$", "_x1$"},
		{"Orders", `"Orders"`, "Orders"},
		{"ORDER_ID", `"ORDER_ID"`, "ORDER_ID"},
		{"order", `"order"`, `"ORDER"`},
		{"Select", `"Select"`, `"SELECT"`},
		{"left", `"left"`, `"LEFT"`},
		{"values", "values", `"VALUES"`},
		{"first name", `"first name"`, `"first name"`},
		{`a"b`, `"a""b"`, `"a""b"`},
		{"1st", `"1st"`, `"1st"`},
		{"", `""`, `""`},
		{"café", `"café"`, `"café"`},
	}
	for _, c := range cases {
		if got := duck.Quote(c.in); got != c.duck {
			t.Errorf("DuckDB.Quote(%q) = %s, want %s", c.in, got, c.duck)
		}
		if got := snow.Quote(c.in); got != c.snow {
			t.Errorf("Snowflake.Quote(%q) = %s, want %s", c.in, got, c.snow)
		}
	}
	if got := duck.QuoteAlways(`x"y`); got != `"x""y"` {
		t.Errorf("QuoteAlways = %s", got)
	}
}

func TestLiteral(t *testing.T) {
	cases := []struct{ in, duck, snow string }{
		{"abc", "'abc'", "'abc'"},
		{"O'Brien", "'O''Brien'", "'O''Brien'"},
		{`a\b`, `'a\b'`, `'a\\b'`},
		{`\'`, `'\'''`, `'\\'''`},
		{"", "''", "''"},
	}
	for _, c := range cases {
		if got := duck.Literal(c.in); got != c.duck {
			t.Errorf("DuckDB.Literal(%q) = %s, want %s", c.in, got, c.duck)
		}
		if got := snow.Literal(c.in); got != c.snow {
			t.Errorf("Snowflake.Literal(%q) = %s, want %s", c.in, got, c.snow)
		}
	}
}

func TestRender(t *testing.T) {
	r := dialect.Relation{Database: "Analytics", Schema: "main", Identifier: "order"}
	if got, want := duck.Render(r), `"Analytics".main."order"`; got != want {
		t.Errorf("DuckDB.Render = %s, want %s", got, want)
	}
	if got, want := snow.Render(r), `Analytics.main."ORDER"`; got != want {
		t.Errorf("Snowflake.Render = %s, want %s", got, want)
	}
	q := dialect.Snowflake{Quoting: dialect.Quoting{Identifier: true}}
	if got, want := q.Render(r), `Analytics.main."order"`; got != want {
		t.Errorf("Snowflake{Quoting}.Render = %s, want %s", got, want)
	}
	if got, want := duck.Render(dialect.Relation{Identifier: "t"}), "t"; got != want {
		t.Errorf("Render(identifier only) = %s, want %s", got, want)
	}
}

var rel = dialect.Relation{Schema: "analytics", Identifier: "orders"}

// TestGoldenSQL pins the exact text of every statement for both dialects.
func TestGoldenSQL(t *testing.T) {
	type pair struct{ duck, snow string }
	both := func(f func(d dialect.Dialect) string) pair { return pair{f(duck), f(snow)} }
	join := func(s []string) string { return strings.Join(s, ";\n") }
	const body = "select 1 as id -- trailing comment\n;\n"
	cases := []struct {
		name string
		got  pair
		want pair
	}{
		{"create schema", both(func(d dialect.Dialect) string { return d.CreateSchema("", "analytics") }), pair{
			"create schema if not exists analytics",
			"create schema if not exists analytics",
		}},
		{"create schema in database", both(func(d dialect.Dialect) string { return d.CreateSchema("db", "s") }), pair{
			"create schema if not exists db.s",
			"create schema if not exists db.s",
		}},
		{"replace table, new", both(func(d dialect.Dialect) string { return join(d.ReplaceTable(rel, body, dialect.KindNone)) }), pair{
			"drop table if exists analytics.orders__kiln_tmp;\n" +
				"create table analytics.orders__kiln_tmp as (\nselect 1 as id -- trailing comment\n);\n" +
				"alter table analytics.orders__kiln_tmp rename to orders",
			"create or replace transient table analytics.orders as (\nselect 1 as id -- trailing comment\n)",
		}},
		{"replace table over view", both(func(d dialect.Dialect) string { return join(d.ReplaceTable(rel, "select 1", dialect.KindView)) }), pair{
			"drop table if exists analytics.orders__kiln_tmp;\n" +
				"create table analytics.orders__kiln_tmp as (\nselect 1\n);\n" +
				"drop view if exists analytics.orders;\n" +
				"alter table analytics.orders__kiln_tmp rename to orders",
			"drop view if exists analytics.orders;\n" +
				"create or replace transient table analytics.orders as (\nselect 1\n)",
		}},
		{"replace view over table", both(func(d dialect.Dialect) string { return join(d.ReplaceView(rel, "select 1", dialect.KindTable)) }), pair{
			"drop view if exists analytics.orders__kiln_tmp;\n" +
				"create view analytics.orders__kiln_tmp as (\nselect 1\n);\n" +
				"drop table if exists analytics.orders;\n" +
				"alter view analytics.orders__kiln_tmp rename to orders",
			"drop table if exists analytics.orders;\n" +
				"create or replace view analytics.orders as (\nselect 1\n)",
		}},
		{"replace view over view", both(func(d dialect.Dialect) string { return join(d.ReplaceView(rel, "select 1", dialect.KindView)) }), pair{
			"drop view if exists analytics.orders__kiln_tmp;\n" +
				"create view analytics.orders__kiln_tmp as (\nselect 1\n);\n" +
				"drop view if exists analytics.orders;\n" +
				"alter view analytics.orders__kiln_tmp rename to orders",
			"create or replace view analytics.orders as (\nselect 1\n)",
		}},
		{"drop none", both(func(d dialect.Dialect) string { return d.Drop(rel, dialect.KindNone) }), pair{"", ""}},
		{"create table", both(func(d dialect.Dialect) string {
			return d.CreateTable(dialect.Relation{Identifier: "Seed"}, []dialect.Column{{Name: "id", Type: "INTEGER"}, {Name: "Order", Type: "VARCHAR"}})
		}), pair{
			"create table \"Seed\" (\n    id INTEGER,\n    \"Order\" VARCHAR\n)",
			"create table Seed (\n    id INTEGER,\n    \"ORDER\" VARCHAR\n)",
		}},
		{"count rows", both(func(d dialect.Dialect) string { return d.CountRows("select 1;") }), pair{
			"select count(*) from (\nselect 1\n) as dbt_internal_test",
			"select count(*) from (\nselect 1\n) as dbt_internal_test",
		}},
		{"unique", both(func(d dialect.Dialect) string { return d.TestUnique("orders", "id", "") }), pair{
			"select\n    id as unique_field,\n    count(*) as n_records\nfrom orders\nwhere id is not null\ngroup by id\nhaving count(*) > 1",
			"select\n    id as unique_field,\n    count(*) as n_records\nfrom orders\nwhere id is not null\ngroup by id\nhaving count(*) > 1",
		}},
		{"unique where", both(func(d dialect.Dialect) string { return d.TestUnique("orders", "order", "id > 1") }), pair{
			"select\n    \"order\" as unique_field,\n    count(*) as n_records\nfrom (select * from orders where id > 1) as dbt_subquery\nwhere \"order\" is not null\ngroup by \"order\"\nhaving count(*) > 1",
			"select\n    \"ORDER\" as unique_field,\n    count(*) as n_records\nfrom (select * from orders where id > 1) as dbt_subquery\nwhere \"ORDER\" is not null\ngroup by \"ORDER\"\nhaving count(*) > 1",
		}},
		{"not null", both(func(d dialect.Dialect) string { return d.TestNotNull("orders", "id", "") }), pair{
			"select id\nfrom orders\nwhere id is null",
			"select id\nfrom orders\nwhere id is null",
		}},
		{"accepted values", both(func(d dialect.Dialect) string {
			return d.TestAcceptedValues("orders", "status", []string{"a", `O'Brien\`}, true, "")
		}), pair{
			"select\n    status as value_field,\n    count(*) as n_records\nfrom orders\nwhere status not in ('a', 'O''Brien\\')\ngroup by status",
			"select\n    status as value_field,\n    count(*) as n_records\nfrom orders\nwhere status not in ('a', 'O''Brien\\\\')\ngroup by status",
		}},
		{"accepted values unquoted", both(func(d dialect.Dialect) string {
			return d.TestAcceptedValues("orders", "n", []string{"1", "2"}, false, "")
		}), pair{
			"select\n    n as value_field,\n    count(*) as n_records\nfrom orders\nwhere n not in (1, 2)\ngroup by n",
			"select\n    n as value_field,\n    count(*) as n_records\nfrom orders\nwhere n not in (1, 2)\ngroup by n",
		}},
		{"accepted values empty", both(func(d dialect.Dialect) string {
			return d.TestAcceptedValues("orders", "n", nil, true, "")
		}), pair{
			"select\n    n as value_field,\n    count(*) as n_records\nfrom orders\nwhere n is not null\ngroup by n",
			"select\n    n as value_field,\n    count(*) as n_records\nfrom orders\nwhere n is not null\ngroup by n",
		}},
		{"relationships", both(func(d dialect.Dialect) string {
			return d.TestRelationships("orders", "customer_id", "customers", "id", "x = 1")
		}), pair{
			relationshipsGolden, relationshipsGolden,
		}},
	}
	for _, c := range cases {
		if c.got.duck != c.want.duck {
			t.Errorf("%s (duckdb):\ngot:\n%s\nwant:\n%s", c.name, c.got.duck, c.want.duck)
		}
		if c.got.snow != c.want.snow {
			t.Errorf("%s (snowflake):\ngot:\n%s\nwant:\n%s", c.name, c.got.snow, c.want.snow)
		}
	}
}

const relationshipsGolden = `with child as (
    select customer_id as from_field
    from (select * from orders where x = 1) as dbt_subquery
    where customer_id is not null
),
parent as (
    select id as to_field
    from customers
)
select from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null`
