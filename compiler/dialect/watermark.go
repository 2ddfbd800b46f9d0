package dialect

import "strings"

// WatermarksTable is the table Kiln keeps the high-water marks of
// incremental models in, one per schema that holds such models.
const WatermarksTable = "kiln_watermarks"

// Watermark is an incremental model's high-water mark as Kiln keeps it: a
// row of the kiln_watermarks table of the model's own schema (dropping or
// cloning the schema takes it along), read by a run instead of scanning the
// target for max(mark column), and written in the transaction of the batch
// that moves it, so it cannot disagree with the target. A run trusts it
// while the target still holds a row at or above it (CheckWatermark): a
// table whose newest rows were deleted or replaced by an older one does
// not.
type Watermark struct {
	// Target is the model's table.
	Target Relation
	// Column is the mark column; Type its SQL type in Target.
	Column string
	Type   string
	// Source is the relation whose maximum of Column is the new mark
	// (WriteWatermark): the batch's temporary table, or Target itself
	// after a full build. Where, when set, keeps only the rows of Source
	// that stay in the target (the batch's deletes do not).
	Source string
	Where  string
	// Floor, when set, is the mark the batch was selected with: the new
	// mark is never below it (a batch of no rows keeps it).
	Floor *string
}

// WatermarksRelation is the watermark table of rel's schema.
func WatermarksRelation(rel Relation) Relation {
	return Relation{Database: rel.Database, Schema: rel.Schema, Identifier: WatermarksTable}
}

// watermarkColumns are the columns of the watermark table, in order.
// (Tables created before this version also have a row_count column,
// left NULL now.)
var watermarkColumns = []string{"relation_name", "mark_column", "mark_type", "mark_value", "updated_at"}

// createWatermarks is the table's DDL; the dialects differ in the keyword
// before "table" and the type of updated_at.
func createWatermarks(d Dialect, w Watermark, table, tstz string) string {
	types := []string{"varchar", "varchar", "varchar", "varchar", tstz}
	cols := make([]string, len(watermarkColumns))
	for i, c := range watermarkColumns {
		cols[i] = "\n    " + c + " " + types[i]
	}
	return "create " + table + " if not exists " + d.Render(WatermarksRelation(w.Target)) + " (" + strings.Join(cols, ",") + "\n)"
}

// readWatermark returns the stored mark_column, mark_type and mark_value
// of w.Target (no row when none is stored).
func readWatermark(d Dialect, w Watermark) string {
	return "select w.mark_column, w.mark_type, w.mark_value\n" +
		"from " + d.Render(WatermarksRelation(w.Target)) + " as w\n" +
		"where w.relation_name = " + d.Literal(w.Target.Identifier)
}

// checkWatermark returns whether w.Target holds a row at or above the
// mark value (nil: any row). The bound is a constant, so DuckDB's zone
// maps and Snowflake's micro-partition pruning read only the newest part
// of the table; a count(*) would visit all of it on DuckDB.
func checkWatermark(d Dialect, w Watermark, value *string) string {
	q := "select exists (select 1 from " + d.Render(w.Target)
	if value != nil {
		q += " where " + d.Quote(w.Column) + " >= " + d.TypedLiteral(*value, w.Type)
	}
	return q + ")"
}

func deleteWatermark(d Dialect, w Watermark) string {
	return "delete from " + d.Render(WatermarksRelation(w.Target)) + "\nwhere relation_name = " + d.Literal(w.Target.Identifier)
}

// writeWatermark inserts the row of w.Target (DeleteWatermark removes the
// old one first): the greatest of the floor and max(Column) over Source,
// read in the writing transaction.
func writeWatermark(d Dialect, w Watermark) string {
	mark := "max(cast(" + d.Quote(w.Column) + " as " + w.Type + "))"
	if w.Floor != nil {
		floor := d.TypedLiteral(*w.Floor, w.Type)
		// Snowflake's greatest() is NULL when an argument is; DuckDB's
		// skips NULLs. coalesce gives both the floor for an empty batch.
		mark = "coalesce(greatest(" + mark + ", " + floor + "), " + floor + ")"
	}
	where := ""
	if w.Where != "" {
		where = " where " + w.Where
	}
	return "insert into " + d.Render(WatermarksRelation(w.Target)) + " (" + strings.Join(watermarkColumns, ", ") + ")\n" +
		"select " + d.Literal(w.Target.Identifier) + ", " + d.Literal(w.Column) + ", " + d.Literal(w.Type) +
		", cast(m.mark_value as varchar), current_timestamp\n" +
		"from (select " + mark + " as mark_value from " + w.Source + where + ") as m"
}

// DuckDB.

func (d DuckDB) CreateWatermarks(w Watermark) string {
	return createWatermarks(d, w, "table", "timestamptz")
}
func (d DuckDB) ReadWatermark(w Watermark) string { return readWatermark(d, w) }
func (d DuckDB) CheckWatermark(w Watermark, value *string) string {
	return checkWatermark(d, w, value)
}
func (d DuckDB) DeleteWatermark(w Watermark) string { return deleteWatermark(d, w) }
func (d DuckDB) WriteWatermark(w Watermark) string  { return writeWatermark(d, w) }

// Snowflake: transient like Kiln's tables (no fail-safe storage).

func (s Snowflake) CreateWatermarks(w Watermark) string {
	return createWatermarks(s, w, "transient table", "timestamp_ltz")
}
func (s Snowflake) ReadWatermark(w Watermark) string { return readWatermark(s, w) }
func (s Snowflake) CheckWatermark(w Watermark, value *string) string {
	return checkWatermark(s, w, value)
}
func (s Snowflake) DeleteWatermark(w Watermark) string { return deleteWatermark(s, w) }
func (s Snowflake) WriteWatermark(w Watermark) string  { return writeWatermark(s, w) }
