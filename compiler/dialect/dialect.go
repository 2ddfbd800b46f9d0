// Package dialect holds the SQL text Kiln emits for each warehouse: quoting,
// DDL for each materialization, seed tables and data-test queries. Every
// function here is pure (returns strings); executing them is the runner's
// job.
package dialect

// Relation names a table or view in a warehouse.
type Relation struct {
	Database   string `json:"database,omitempty"`
	Schema     string `json:"schema"`
	Identifier string `json:"identifier"`
}

// Kind is what a relation is in the warehouse.
type Kind string

const (
	KindNone  Kind = ""
	KindTable Kind = "table"
	KindView  Kind = "view"
)

// Column is a column name with a SQL type in the dialect's spelling.
type Column struct {
	Name string `json:"name"`
	Type string `json:"data_type"`
}

// Dialect generates SQL text for one warehouse.
type Dialect interface {
	// Name is the adapter name used in profiles and dispatch: "duckdb", "snowflake".
	Name() string
	// Quote quotes an identifier when it needs it (reserved word, mixed
	// case where the warehouse folds case, characters outside [A-Za-z0-9_]),
	// escaping embedded quotes.
	Quote(ident string) string
	// QuoteAlways quotes an identifier unconditionally.
	QuoteAlways(ident string) string
	// Literal renders s as a SQL string literal, escaping quotes.
	Literal(s string) string
	// Render renders a relation as database.schema.identifier (omitting
	// empty parts).
	Render(r Relation) string
	// CreateSchema is an idempotent CREATE SCHEMA IF NOT EXISTS.
	CreateSchema(database, schema string) string
	// ReplaceTable returns the statements that build sql into a table under
	// a temporary name and swap it in for rel, which currently is of kind
	// existing. The runner executes them in order inside one transaction
	// where the warehouse supports transactional DDL.
	ReplaceTable(rel Relation, sql string, existing Kind) []string
	// ReplaceView is ReplaceTable for a view.
	ReplaceView(rel Relation, sql string, existing Kind) []string
	// ReplaceWith is ReplaceTable (kind table) or ReplaceView (kind view)
	// with the options of the node's config (see RelationOptions); a
	// dialect ignores the options it has no use for.
	ReplaceWith(kind Kind, rel Relation, sql string, existing Kind, opts RelationOptions) []string
	// Drop drops rel of the given kind if it exists.
	Drop(rel Relation, kind Kind) string
	// CreateTable creates an empty table with the given columns (seeds).
	CreateTable(rel Relation, cols []Column) string
	// CountRows wraps a query that returns failing rows of a data test into
	// one returning their count.
	CountRows(sql string) string
	// Data-test queries: each returns the rows that violate the test.
	// where, when not empty, is a SQL predicate that filters the tested
	// relation first (dbt's `where` test config).
	TestUnique(rel string, column string, where string) string
	TestNotNull(rel string, column string, where string) string
	// AcceptedValues: values are rendered as string literals when quote is
	// true, as they are otherwise.
	TestAcceptedValues(rel string, column string, values []string, quote bool, where string) string
	// Relationships: every non-null column of rel must appear in field of
	// toRel.
	TestRelationships(rel, column, toRel, field, where string) string

	// Incremental models.

	// Dedup keeps one row of sql per key: the first in order (each item of
	// order is an expression with its direction, over kiln_src).
	Dedup(sql string, keys []string, order []string) string
	// Filter wraps sql (aliased kiln_src) in a WHERE of all preds.
	Filter(sql string, preds []string) string
	// CreateTemp materializes sql as a temporary table named name.
	CreateTemp(name string, sql string) string
	// DropTemp drops the temporary table name.
	DropTemp(name string) string
	// StagesBatch reports whether an incremental batch's rows are
	// materialized before they are reduced to one row per key, rather
	// than selected and reduced in one statement.
	StagesBatch() bool
	// HasDuplicateKeys is a query returning one boolean: whether rel holds
	// some combination of keys more than once.
	HasDuplicateKeys(rel string, keys []string) string
	// TypedLiteral is value cast to the SQL type typ.
	TypedLiteral(value string, typ string) string
	// Minus subtracts an interval from a time expression.
	Minus(expr string, iv Interval) string
	// Plus adds an interval to a time expression.
	Plus(expr string, iv Interval) string
	// TruncTo truncates a time expression to the interval's unit.
	TruncTo(expr string, unit string) string
	// Merge upserts a batch into a target in one statement.
	Merge(m Merge) string
	// DeleteMatching deletes the target rows whose keys are in the batch
	// (delete+insert).
	DeleteMatching(m Merge) string
	// InsertSelect inserts cols of from (a relation) into target, filtered
	// by where when it is not empty.
	InsertSelect(target Relation, cols []string, from string, where string) string
	// DeleteWhere deletes target rows matching where.
	DeleteWhere(target Relation, where string) string
	// DescribeColumns is a query returning (name, type) of the columns of
	// a relation given as SQL text (temporary tables included).
	DescribeColumns(rel string) string
	// AddColumn, DropColumn and AlterColumnType change a table for
	// on_schema_change.
	AddColumn(rel Relation, col Column) string
	DropColumn(rel Relation, name string) string
	AlterColumnType(rel Relation, col Column) string
	// CreateWatermarks creates the watermark table of w's schema if it
	// does not exist (see Watermark).
	CreateWatermarks(w Watermark) string
	// ReadWatermark, DeleteWatermark and WriteWatermark read, delete and
	// write the row of w.Target in it.
	ReadWatermark(w Watermark) string
	// CheckWatermark is a query returning one boolean: whether w.Target
	// holds a row whose mark column is at or above value (nil: any row),
	// that is, whether a stored mark of value still describes it.
	CheckWatermark(w Watermark, value *string) string
	DeleteWatermark(w Watermark) string
	WriteWatermark(w Watermark) string

	// Snapshots (SCD2).

	// SnapshotCreate creates the snapshot table from s.Staged on its
	// first run: every row a current version.
	SnapshotCreate(s Snapshot) string
	// SnapshotDuplicateKeys counts the unique keys that occur more than
	// once in s.Staged.
	SnapshotDuplicateKeys(s Snapshot) string
	// SnapshotMerge are the statements of a later run, in order, to run
	// in one transaction after s.Staged exists and the target has every
	// staged column.
	SnapshotMerge(s Snapshot) []SnapshotStatement
}
