package dialect

import (
	"strings"
)

// DuckDB is the dialect of DuckDB. Identifiers are case-insensitive there,
// so only names that would not parse unquoted are quoted.
type DuckDB struct{}

var _ Dialect = DuckDB{}

// duckdbKeywords are the "reserved" and "type_function" keywords of
// duckdb_keywords() (DuckDB 1.5): words that cannot name a column or
// table unquoted.
var duckdbKeywords = keywordSet(`
all analyse analyze and any array as asc asymmetric both case cast check
collate column constraint create default deferrable desc describe distinct do
else end except false fetch for foreign from group having in initially
intersect into lambda lateral leading limit not null offset on only or order
pivot pivot_longer pivot_wider placing primary qualify references returning
select show some summarize symmetric table then to trailing true union unique
unpivot using variadic when where window with
anti asof at authorization binary by collation columns concurrently cross
freeze full generated glob ilike inner is isnull join left like map natural
notnull outer overlaps positional right semi similar struct tablesample
try_cast unpack verbose`)

// duckdbPlain reports whether ident matches ^[a-z_][a-z0-9_$]*$: an
// identifier DuckDB reads as written without quotes. A byte loop, not a
// regexp: every relation and test renders its names through Quote.
func duckdbPlain(ident string) bool { return plainIdent(ident, false) }

func (DuckDB) Name() string { return "duckdb" }

func (d DuckDB) Quote(ident string) string {
	if duckdbPlain(ident) && !duckdbKeywords[ident] {
		return ident
	}
	return quoteAlways(ident)
}

func (DuckDB) QuoteAlways(ident string) string { return quoteAlways(ident) }

// Literal escapes quotes by doubling; a backslash is an ordinary character
// in DuckDB string literals.
func (DuckDB) Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (d DuckDB) Render(r Relation) string {
	return render(r, func(_ int, s string) string { return d.Quote(s) })
}

func (d DuckDB) CreateSchema(database, schema string) string {
	return "create schema if not exists " + d.Render(Relation{Database: database, Schema: schema})
}

// ReplaceTable builds the table under a temporary name and swaps it in;
// DuckDB DDL is transactional, so run in one transaction the swap is
// atomic and a failure leaves the old relation untouched.
func (d DuckDB) ReplaceTable(rel Relation, sql string, existing Kind) []string {
	return d.replace(KindTable, rel, sql, existing)
}

func (d DuckDB) ReplaceView(rel Relation, sql string, existing Kind) []string {
	return d.replace(KindView, rel, sql, existing)
}

// ReplaceWith ignores opts: transient tables, copy grants, clustering and
// secure views are Snowflake's.
func (d DuckDB) ReplaceWith(kind Kind, rel Relation, sql string, existing Kind, _ RelationOptions) []string {
	return d.replace(kind, rel, sql, existing)
}

func (d DuckDB) replace(kind Kind, rel Relation, sql string, existing Kind) []string {
	tmp := tmpRelation(rel)
	w := kindWord(kind)
	stmts := []string{
		d.Drop(tmp, kind),
		"create " + w + " " + d.Render(tmp) + " as " + wrapped(sql),
	}
	if existing != KindNone {
		stmts = append(stmts, d.Drop(rel, existing))
	}
	return append(stmts, "alter "+w+" "+d.Render(tmp)+" rename to "+d.Quote(rel.Identifier))
}

func (d DuckDB) Drop(rel Relation, kind Kind) string {
	if kind == KindNone {
		return ""
	}
	return "drop " + kindWord(kind) + " if exists " + d.Render(rel)
}

func (d DuckDB) CreateTable(rel Relation, cols []Column) string {
	return createTable(d.Render(rel), cols, d.Quote)
}

func (DuckDB) CountRows(sql string) string { return countRows(sql) }

func (d DuckDB) TestUnique(rel, column, where string) string {
	return testUnique(d.Quote, rel, column, where)
}

func (d DuckDB) TestNotNull(rel, column, where string) string {
	return testNotNull(d.Quote, rel, column, where)
}

func (d DuckDB) TestAcceptedValues(rel, column string, values []string, quote bool, where string) string {
	return testAcceptedValues(d.Quote, d.Literal, rel, column, values, quote, where)
}

func (d DuckDB) TestRelationships(rel, column, toRel, field, where string) string {
	return testRelationships(d.Quote, rel, column, toRel, field, where)
}
