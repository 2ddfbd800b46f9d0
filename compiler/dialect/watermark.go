package dialect

import "strings"

// WatermarksTable is the table Kiln keeps the high-water marks of
// incremental models in, one per schema that holds such models.
const WatermarksTable = "kiln_watermarks"

// Watermark is an incremental model's high-water mark as Kiln keeps it: a
// row of the kiln_watermarks table of the model's own schema (dropping or
// cloning the schema takes it along), read by a run instead of scanning the
// target for max(mark column), and written in the transaction of the batch
// that moves it, so it cannot disagree with the target. The row also holds
// the target's row count after Kiln's write: a different count means
// something else wrote to the table.
type Watermark struct {
	// Target is the model's table.
	Target Relation
	// Column is the mark column; Type its SQL type in Target.
	Column string
	Type   string
	// Source is the relation whose maximum of Column is the new mark
	// (WriteWatermark): the batch's temporary table, or Target itself
	// after a full build.
	Source string
	// Floor, when set, is the mark the batch was selected with: the new
	// mark is never below it (a batch of no rows keeps it).
	Floor *string
}

// WatermarksRelation is the watermark table of rel's schema.
func WatermarksRelation(rel Relation) Relation {
	return Relation{Database: rel.Database, Schema: rel.Schema, Identifier: WatermarksTable}
}

// watermarkColumns are the columns of the watermark table, in order.
var watermarkColumns = []string{"relation_name", "mark_column", "mark_type", "mark_value", "row_count", "updated_at"}

// createWatermarks is the table's DDL; the dialects differ in the keyword
// before "table" and the type of updated_at.
func createWatermarks(d Dialect, w Watermark, table, tstz string) string {
	types := []string{"varchar", "varchar", "varchar", "varchar", "bigint", tstz}
	cols := make([]string, len(watermarkColumns))
	for i, c := range watermarkColumns {
		cols[i] = "\n    " + c + " " + types[i]
	}
	return "create " + table + " if not exists " + d.Render(WatermarksRelation(w.Target)) + " (" + strings.Join(cols, ",") + "\n)"
}

// readWatermark returns the stored mark_column, mark_type, mark_value and
// row_count of w.Target with the target's row count now (no row when none
// is stored).
func readWatermark(d Dialect, w Watermark) string {
	return "select w.mark_column, w.mark_type, w.mark_value, w.row_count, t.row_count\n" +
		"from " + d.Render(WatermarksRelation(w.Target)) + " as w,\n" +
		"    (select count(*) as row_count from " + d.Render(w.Target) + ") as t\n" +
		"where w.relation_name = " + d.Literal(w.Target.Identifier)
}

func deleteWatermark(d Dialect, w Watermark) string {
	return "delete from " + d.Render(WatermarksRelation(w.Target)) + "\nwhere relation_name = " + d.Literal(w.Target.Identifier)
}

// writeWatermark inserts the row of w.Target (DeleteWatermark removes the
// old one first): the greatest of the floor and max(Column) over Source,
// and the target's row count, both read in the writing transaction.
func writeWatermark(d Dialect, w Watermark) string {
	mark := "max(cast(" + d.Quote(w.Column) + " as " + w.Type + "))"
	if w.Floor != nil {
		floor := d.TypedLiteral(*w.Floor, w.Type)
		// Snowflake's greatest() is NULL when an argument is; DuckDB's
		// skips NULLs. coalesce gives both the floor for an empty batch.
		mark = "coalesce(greatest(" + mark + ", " + floor + "), " + floor + ")"
	}
	return "insert into " + d.Render(WatermarksRelation(w.Target)) + " (" + strings.Join(watermarkColumns, ", ") + ")\n" +
		"select " + d.Literal(w.Target.Identifier) + ", " + d.Literal(w.Column) + ", " + d.Literal(w.Type) +
		", cast(m.mark_value as varchar), t.row_count, current_timestamp\n" +
		"from (select " + mark + " as mark_value from " + w.Source + ") as m,\n" +
		"    (select count(*) as row_count from " + d.Render(w.Target) + ") as t"
}

// DuckDB.

func (d DuckDB) CreateWatermarks(w Watermark) string {
	return createWatermarks(d, w, "table", "timestamptz")
}
func (d DuckDB) ReadWatermark(w Watermark) string   { return readWatermark(d, w) }
func (d DuckDB) DeleteWatermark(w Watermark) string { return deleteWatermark(d, w) }
func (d DuckDB) WriteWatermark(w Watermark) string  { return writeWatermark(d, w) }

// Snowflake: transient like Kiln's tables (no fail-safe storage), and
// count(*) of a table is answered from its metadata.

func (s Snowflake) CreateWatermarks(w Watermark) string {
	return createWatermarks(s, w, "transient table", "timestamp_ltz")
}
func (s Snowflake) ReadWatermark(w Watermark) string   { return readWatermark(s, w) }
func (s Snowflake) DeleteWatermark(w Watermark) string { return deleteWatermark(s, w) }
func (s Snowflake) WriteWatermark(w Watermark) string  { return writeWatermark(s, w) }
