package dialect

import (
	"regexp"
	"strings"
)

// ForAdapter returns the dialect for a profile's adapter type ("duckdb",
// "snowflake"), with default settings.
func ForAdapter(name string) (Dialect, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "duckdb":
		return DuckDB{}, true
	case "snowflake":
		return Snowflake{}, true
	}
	return nil, false
}

// quoteAlways wraps ident in double quotes, doubling embedded ones; both
// warehouses spell delimited identifiers this way.
func quoteAlways(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

func keywordSet(words string) map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(words) {
		m[strings.ToLower(w)] = true
	}
	return m
}

// render joins the non-empty parts of r, each passed through quote.
func render(r Relation, quote func(part int, s string) string) string {
	parts := make([]string, 0, 3)
	for i, p := range []string{r.Database, r.Schema, r.Identifier} {
		if p != "" {
			parts = append(parts, quote(i, p))
		}
	}
	return strings.Join(parts, ".")
}

// tmpRelation is the name a relation is built under before the swap.
func tmpRelation(r Relation) Relation {
	r.Identifier += "__kiln_tmp"
	return r
}

var trailingSemicolons = regexp.MustCompile(`[\s;]+$`)

// body trims what would break when a query is wrapped in parentheses: a
// trailing semicolon. The query is put on its own lines so a trailing line
// comment cannot swallow the closing parenthesis.
func body(sql string) string {
	return trailingSemicolons.ReplaceAllString(sql, "")
}

func wrapped(sql string) string {
	return "(\n" + body(sql) + "\n)"
}

// testRelation is the relation a data test reads: rel itself, or rel
// filtered by the test's where config as dbt does.
func testRelation(rel, where string) string {
	if strings.TrimSpace(where) == "" {
		return rel
	}
	return "(select * from " + rel + " where " + where + ") as dbt_subquery"
}

// The data-test queries are the SQL of dbt's generic tests, shared by the
// dialects; they differ only in quoting, passed in as q and lit.

func testUnique(q func(string) string, rel, column, where string) string {
	c := q(column)
	return "select\n    " + c + " as unique_field,\n    count(*) as n_records\n" +
		"from " + testRelation(rel, where) + "\n" +
		"where " + c + " is not null\n" +
		"group by " + c + "\n" +
		"having count(*) > 1"
}

func testNotNull(q func(string) string, rel, column, where string) string {
	c := q(column)
	return "select " + c + "\nfrom " + testRelation(rel, where) + "\nwhere " + c + " is null"
}

func testAcceptedValues(q, lit func(string) string, rel, column string, values []string, quote bool, where string) string {
	c := q(column)
	from := testRelation(rel, where)
	// Written into one buffer: a project may have a test like this on
	// every model.
	var b strings.Builder
	size := 3*len(c) + len(from) + 96
	for _, v := range values {
		size += len(v) + 4
	}
	b.Grow(size)
	b.WriteString("select\n    ")
	b.WriteString(c)
	b.WriteString(" as value_field,\n    count(*) as n_records\nfrom ")
	b.WriteString(from)
	b.WriteString("\nwhere ")
	b.WriteString(c)
	// With no accepted value every non-null value fails; "not in ()" would
	// not parse.
	if len(values) == 0 {
		b.WriteString(" is not null")
	} else {
		b.WriteString(" not in (")
		for i, v := range values {
			if i > 0 {
				b.WriteString(", ")
			}
			if quote {
				v = lit(v)
			}
			b.WriteString(v)
		}
		b.WriteString(")")
	}
	b.WriteString("\ngroup by ")
	b.WriteString(c)
	return b.String()
}

func testRelationships(q func(string) string, rel, column, toRel, field, where string) string {
	c, f := q(column), q(field)
	return "with child as (\n" +
		"    select " + c + " as from_field\n" +
		"    from " + testRelation(rel, where) + "\n" +
		"    where " + c + " is not null\n" +
		"),\n" +
		"parent as (\n" +
		"    select " + f + " as to_field\n" +
		"    from " + toRel + "\n" +
		")\n" +
		"select from_field\n" +
		"from child\n" +
		"left join parent on child.from_field = parent.to_field\n" +
		"where parent.to_field is null"
}

func countRows(sql string) string {
	return "select count(*) from " + wrapped(sql) + " as dbt_internal_test"
}

func createTable(rel string, cols []Column, q func(string) string) string {
	var b strings.Builder
	b.WriteString("create table " + rel + " (")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    " + q(c.Name) + " " + c.Type)
	}
	b.WriteString("\n)")
	return b.String()
}

func kindWord(k Kind) string {
	if k == KindView {
		return "view"
	}
	return "table"
}
