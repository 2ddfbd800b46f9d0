package dialect

import (
	"fmt"
	"strings"
)

// Interval is a span of time: a lookback window or a microbatch size.
type Interval struct {
	N    int    `json:"n"`
	Unit string `json:"unit"` // minute, hour, day, month
}

func (iv Interval) String() string {
	if iv.N == 1 {
		return fmt.Sprintf("1 %s", iv.Unit)
	}
	return fmt.Sprintf("%d %ss", iv.N, iv.Unit)
}

// Merge describes a MERGE of a batch relation into a target.
type Merge struct {
	Target Relation
	// Source is the batch relation (a temporary table).
	Source string
	Keys   []string
	// Update are the columns set when a key matches; Insert the columns
	// inserted when it does not.
	Update []string
	Insert []string
	// Prune are extra conditions on the target side of the join (the
	// batch's event-time range, incremental_predicates). They may refer to
	// the target as DBT_INTERNAL_DEST and the batch as DBT_INTERNAL_SOURCE,
	// the aliases dbt's incremental_predicates use.
	Prune []string
	// DeleteWhen, when set, deletes matched rows whose batch row satisfies
	// it, and never inserts such rows.
	DeleteWhen string
}

const (
	destAlias   = "DBT_INTERNAL_DEST"
	sourceAlias = "DBT_INTERNAL_SOURCE"
)

// incrementalSQL is the SQL both dialects share for incremental models;
// they differ in quoting and interval arithmetic, passed in.
type incrementalSQL struct {
	q      func(string) string
	render func(Relation) string
}

func (s incrementalSQL) cols(cols []string, prefix string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = prefix + s.q(c)
	}
	return strings.Join(out, ", ")
}

// dedup keeps one row per key: the first by order.
func (s incrementalSQL) dedup(sql string, keys, order []string) string {
	return "select * from " + wrapped(sql) + " as kiln_src\nqualify row_number() over (partition by " +
		s.cols(keys, "") + " order by " + strings.Join(order, ", ") + ") = 1"
}

// hasDuplicateKeys groups by the keys, so NULL keys count as equal, as
// they do in dedup's partitions.
func (s incrementalSQL) hasDuplicateKeys(rel string, keys []string) string {
	return "select exists (select 1 from " + rel + " group by " + s.cols(keys, "") + " having count(*) > 1)"
}

func (s incrementalSQL) filter(sql string, preds []string) string {
	if len(preds) == 0 {
		return sql
	}
	return "select * from " + wrapped(sql) + " as kiln_src\nwhere " + strings.Join(preds, "\n  and ")
}

func (s incrementalSQL) merge(m Merge) string {
	var b strings.Builder
	fmt.Fprintf(&b, "merge into %s as %s\nusing %s as %s\non ", s.render(m.Target), destAlias, m.Source, sourceAlias)
	var on []string
	for _, k := range m.Keys {
		on = append(on, fmt.Sprintf("%s.%s = %s.%s", destAlias, s.q(k), sourceAlias, s.q(k)))
	}
	on = append(on, m.Prune...)
	b.WriteString(strings.Join(on, "\n  and "))
	if m.DeleteWhen != "" {
		fmt.Fprintf(&b, "\nwhen matched and (%s) then delete", m.DeleteWhen)
	}
	if len(m.Update) > 0 {
		sets := make([]string, len(m.Update))
		for i, c := range m.Update {
			sets[i] = fmt.Sprintf("%s = %s.%s", s.q(c), sourceAlias, s.q(c))
		}
		b.WriteString("\nwhen matched then update set\n    " + strings.Join(sets, ",\n    "))
	}
	b.WriteString("\nwhen not matched")
	if m.DeleteWhen != "" {
		fmt.Fprintf(&b, " and not (%s)", m.DeleteWhen)
	}
	fmt.Fprintf(&b, " then insert (%s)\n    values (%s)", s.cols(m.Insert, ""), s.cols(m.Insert, sourceAlias+"."))
	return b.String()
}

func (s incrementalSQL) deleteMatching(m Merge) string {
	keys := s.cols(m.Keys, "")
	where := []string{"(" + keys + ") in (select " + keys + " from " + m.Source + ")"}
	for _, p := range m.Prune {
		where = append(where, strings.ReplaceAll(p, sourceAlias+".", m.Source+"."))
	}
	return fmt.Sprintf("delete from %s as %s\nwhere %s", s.render(m.Target), destAlias, strings.Join(where, "\n  and "))
}

func (s incrementalSQL) insertSelect(target Relation, cols []string, from string, where string) string {
	q := fmt.Sprintf("insert into %s (%s)\nselect %s from %s", s.render(target), s.cols(cols, ""), s.cols(cols, ""), from)
	if where != "" {
		q += "\nwhere " + where
	}
	return q
}

func (s incrementalSQL) deleteWhere(target Relation, where string) string {
	return fmt.Sprintf("delete from %s\nwhere %s", s.render(target), where)
}

// DuckDB.

func (d DuckDB) inc() incrementalSQL { return incrementalSQL{q: d.Quote, render: d.Render} }

func (d DuckDB) Dedup(sql string, keys, order []string) string {
	return d.inc().dedup(sql, keys, order)
}
func (d DuckDB) Filter(sql string, preds []string) string { return d.inc().filter(sql, preds) }
func (d DuckDB) CreateTemp(name, sql string) string {
	return "create or replace temporary table " + d.Quote(name) + " as\n" + body(sql)
}
func (d DuckDB) DropTemp(name string) string { return "drop table if exists temp." + d.Quote(name) }

// StagesBatch: yes. DuckDB sizes a window's hash partitions by the
// estimated rows of its input, and the estimate of a filtered scan is a
// fraction of the whole source table: in one statement a 10,000-row batch
// of a 20M-row source is partitioned as if it held 4M rows, and its
// reduction costs twice what it does at 10M. Read from a temporary table
// the estimate is the batch's own size; and a batch without repeated keys,
// the common case, skips the window altogether.
func (d DuckDB) StagesBatch() bool { return true }
func (d DuckDB) HasDuplicateKeys(rel string, keys []string) string {
	return d.inc().hasDuplicateKeys(rel, keys)
}
func (d DuckDB) TypedLiteral(value, typ string) string {
	return "cast(" + d.Literal(value) + " as " + typ + ")"
}
func (d DuckDB) Minus(expr string, iv Interval) string {
	return fmt.Sprintf("(%s - interval '%d %s')", expr, iv.N, iv.Unit)
}
func (d DuckDB) Plus(expr string, iv Interval) string {
	return fmt.Sprintf("(%s + interval '%d %s')", expr, iv.N, iv.Unit)
}
func (d DuckDB) TruncTo(expr, unit string) string {
	return fmt.Sprintf("date_trunc('%s', %s)", unit, expr)
}
func (d DuckDB) Merge(m Merge) string          { return d.inc().merge(m) }
func (d DuckDB) DeleteMatching(m Merge) string { return d.inc().deleteMatching(m) }
func (d DuckDB) InsertSelect(target Relation, cols []string, from, where string) string {
	return d.inc().insertSelect(target, cols, from, where)
}
func (d DuckDB) DeleteWhere(target Relation, where string) string {
	return d.inc().deleteWhere(target, where)
}
func (d DuckDB) DescribeColumns(rel string) string {
	return "select column_name, column_type from (describe " + rel + ")"
}
func (d DuckDB) AddColumn(rel Relation, col Column) string {
	return fmt.Sprintf("alter table %s add column %s %s", d.Render(rel), d.Quote(col.Name), col.Type)
}
func (d DuckDB) DropColumn(rel Relation, name string) string {
	return fmt.Sprintf("alter table %s drop column %s", d.Render(rel), d.Quote(name))
}
func (d DuckDB) AlterColumnType(rel Relation, col Column) string {
	return fmt.Sprintf("alter table %s alter column %s set data type %s", d.Render(rel), d.Quote(col.Name), col.Type)
}

// Snowflake.

func (s Snowflake) inc() incrementalSQL { return incrementalSQL{q: s.Quote, render: s.Render} }

func (s Snowflake) Dedup(sql string, keys, order []string) string {
	return s.inc().dedup(sql, keys, order)
}
func (s Snowflake) Filter(sql string, preds []string) string { return s.inc().filter(sql, preds) }
func (s Snowflake) CreateTemp(name, sql string) string {
	return "create or replace temporary table " + s.Quote(name) + " as\n" + body(sql)
}
func (s Snowflake) DropTemp(name string) string { return "drop table if exists " + s.Quote(name) }

// StagesBatch: no. Every statement is a round trip to Snowflake, whose
// optimizer does not size the reduction by the source.
func (s Snowflake) StagesBatch() bool { return false }
func (s Snowflake) HasDuplicateKeys(rel string, keys []string) string {
	return s.inc().hasDuplicateKeys(rel, keys)
}
func (s Snowflake) TypedLiteral(value, typ string) string {
	return "cast(" + s.Literal(value) + " as " + typ + ")"
}
func (s Snowflake) Minus(expr string, iv Interval) string {
	return fmt.Sprintf("dateadd(%s, -%d, %s)", iv.Unit, iv.N, expr)
}
func (s Snowflake) Plus(expr string, iv Interval) string {
	return fmt.Sprintf("dateadd(%s, %d, %s)", iv.Unit, iv.N, expr)
}
func (s Snowflake) TruncTo(expr, unit string) string {
	return fmt.Sprintf("date_trunc('%s', %s)", unit, expr)
}
func (s Snowflake) Merge(m Merge) string          { return s.inc().merge(m) }
func (s Snowflake) DeleteMatching(m Merge) string { return s.inc().deleteMatching(m) }
func (s Snowflake) InsertSelect(target Relation, cols []string, from, where string) string {
	return s.inc().insertSelect(target, cols, from, where)
}
func (s Snowflake) DeleteWhere(target Relation, where string) string {
	return s.inc().deleteWhere(target, where)
}
func (s Snowflake) DescribeColumns(rel string) string {
	return "describe table " + rel
}
func (s Snowflake) AddColumn(rel Relation, col Column) string {
	return fmt.Sprintf("alter table %s add column %s %s", s.Render(rel), s.Quote(col.Name), col.Type)
}
func (s Snowflake) DropColumn(rel Relation, name string) string {
	return fmt.Sprintf("alter table %s drop column %s", s.Render(rel), s.Quote(name))
}
func (s Snowflake) AlterColumnType(rel Relation, col Column) string {
	return fmt.Sprintf("alter table %s alter column %s set data type %s", s.Render(rel), s.Quote(col.Name), col.Type)
}
