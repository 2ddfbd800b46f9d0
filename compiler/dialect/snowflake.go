package dialect

import (
	"strings"
)

// Snowflake is the dialect of Snowflake. Unquoted identifiers fold to upper
// case there; like dbt-snowflake, Kiln leaves identifiers unquoted unless
// they need it or Quoting asks for it.
type Snowflake struct {
	Quoting Quoting
}

// Quoting is dbt's `quoting:` config: quote these parts of relation names
// always, keeping their case.
type Quoting struct {
	Database   bool `json:"database,omitempty"`
	Schema     bool `json:"schema,omitempty"`
	Identifier bool `json:"identifier,omitempty"`
}

var _ Dialect = Snowflake{}

// snowflakeKeywords are Snowflake's reserved keywords (docs: "Reserved &
// limited keywords").
var snowflakeKeywords = keywordSet(`
account all alter and any as between by case cast check column connect
connection constraint create cross current current_date current_time
current_timestamp current_user database delete distinct drop else exists
false following for from full grant group gscluster having ilike in
increment inner insert intersect into is issue join lateral left like
localtime localtimestamp minus natural not null of on or order organization
qualify regexp revoke right rlike row rows sample schema select set some
start table tablesample then to trigger true try_cast union unique update
using values view when whenever where with`)

// snowflakePlain reports whether ident matches ^[A-Za-z_][A-Za-z0-9_$]*$.
func snowflakePlain(ident string) bool { return plainIdent(ident, true) }

// plainIdent reports whether s is a letter or underscore followed by
// letters, digits, underscores and dollar signs, upper case letters
// included only when upper is set (ASCII only).
func plainIdent(s string, upper bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= 'A' && c <= 'Z':
			if !upper {
				return false
			}
		case c >= '0' && c <= '9', c == '$':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (Snowflake) Name() string { return "snowflake" }

// Quote leaves plain identifiers alone. A plain identifier that is a
// keyword is quoted in upper case, the name it would fold to unquoted, so
// `order` still means ORDER.
func (Snowflake) Quote(ident string) string {
	if !snowflakePlain(ident) {
		return quoteAlways(ident)
	}
	if snowflakeKeywords[strings.ToLower(ident)] {
		return quoteAlways(strings.ToUpper(ident))
	}
	return ident
}

func (Snowflake) QuoteAlways(ident string) string { return quoteAlways(ident) }

// Literal escapes backslashes as well as quotes: a backslash starts an
// escape sequence in Snowflake string literals.
func (Snowflake) Literal(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (s Snowflake) Render(r Relation) string {
	always := [3]bool{s.Quoting.Database, s.Quoting.Schema, s.Quoting.Identifier}
	return render(r, func(i int, p string) string {
		if always[i] {
			return quoteAlways(p)
		}
		return s.Quote(p)
	})
}

func (s Snowflake) CreateSchema(database, schema string) string {
	r := Relation{Database: database, Schema: schema}
	return "create schema if not exists " + s.Render(r)
}

// ReplaceTable is one atomic statement on Snowflake; tables are transient
// (no fail-safe storage) as in dbt-snowflake. A view in the way is dropped
// first, since create or replace cannot change the kind.
func (s Snowflake) ReplaceTable(rel Relation, sql string, existing Kind) []string {
	return s.ReplaceWith(KindTable, rel, sql, existing, RelationOptions{})
}

func (s Snowflake) ReplaceView(rel Relation, sql string, existing Kind) []string {
	return s.ReplaceWith(KindView, rel, sql, existing, RelationOptions{})
}

// ReplaceWith spells the options in Snowflake's order: create or replace
// [transient] table <name> [cluster by (...)] [copy grants] as (...), and
// create or replace [secure] view <name> [copy grants] as (...).
func (s Snowflake) ReplaceWith(kind Kind, rel Relation, sql string, existing Kind, opts RelationOptions) []string {
	var stmts []string
	if existing != KindNone && existing != kind {
		stmts = append(stmts, s.Drop(rel, existing))
	}
	var b strings.Builder
	b.WriteString("create or replace ")
	if kind == KindView {
		if opts.Secure {
			b.WriteString("secure ")
		}
		b.WriteString("view " + s.Render(rel))
	} else {
		if !opts.Permanent {
			b.WriteString("transient ")
		}
		b.WriteString("table " + s.Render(rel))
		if len(opts.ClusterBy) > 0 {
			b.WriteString(" cluster by (" + strings.Join(opts.ClusterBy, ", ") + ")")
		}
	}
	if opts.CopyGrants {
		b.WriteString(" copy grants")
	}
	b.WriteString(" as " + wrapped(sql))
	return append(stmts, b.String())
}

func (s Snowflake) Drop(rel Relation, kind Kind) string {
	if kind == KindNone {
		return ""
	}
	return "drop " + kindWord(kind) + " if exists " + s.Render(rel)
}

func (s Snowflake) CreateTable(rel Relation, cols []Column) string {
	return createTable(s.Render(rel), cols, s.Quote)
}

func (Snowflake) CountRows(sql string) string { return countRows(sql) }

func (s Snowflake) TestUnique(rel, column, where string) string {
	return testUnique(s.Quote, rel, column, where)
}

func (s Snowflake) TestNotNull(rel, column, where string) string {
	return testNotNull(s.Quote, rel, column, where)
}

func (s Snowflake) TestAcceptedValues(rel, column string, values []string, quote bool, where string) string {
	return testAcceptedValues(s.Quote, s.Literal, rel, column, values, quote, where)
}

func (s Snowflake) TestRelationships(rel, column, toRel, field, where string) string {
	return testRelationships(s.Quote, rel, column, toRel, field, where)
}
