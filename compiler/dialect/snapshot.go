package dialect

import (
	"fmt"
	"strings"
)

// Snapshot meta columns, as dbt names them.
const (
	SnapshotSCDID     = "dbt_scd_id"
	SnapshotUpdatedAt = "dbt_updated_at"
	SnapshotValidFrom = "dbt_valid_from"
	SnapshotValidTo   = "dbt_valid_to"
	SnapshotIsDeleted = "dbt_is_deleted"
)

// SnapshotMetaColumns are the columns a snapshot adds to its source's.
var SnapshotMetaColumns = []string{SnapshotSCDID, SnapshotUpdatedAt, SnapshotValidFrom, SnapshotValidTo, SnapshotIsDeleted}

// Snapshot describes one run of an SCD2 snapshot (dbt's snapshot
// materialization): its source query staged as a temporary table, and the
// target table holding every version.
type Snapshot struct {
	Target Relation
	// Staged is the staged source relation (a quoted temporary table name).
	Staged string
	// Columns are the staged source's columns: what a new version copies.
	Columns []string
	// TargetColumns are the target's columns other than the meta columns:
	// what a deletion record copies from the row it closes.
	TargetColumns []string
	UniqueKey     []string
	// Strategy is timestamp or check.
	Strategy string
	// UpdatedAt is the source column that stamps a version; empty with
	// the check strategy, which stamps versions with Now.
	UpdatedAt string
	// CheckCols are the columns the check strategy compares.
	CheckCols []string
	// Now is a SQL expression of the run's timestamp.
	Now string
	// HardDeletes is ignore, invalidate or new_record.
	HardDeletes string
	// ValidToCurrent, when set, is the SQL expression current rows have as
	// dbt_valid_to instead of NULL (dbt_valid_to_current).
	ValidToCurrent string
}

// SnapshotStatement is one statement of a snapshot update, with what it
// does: close (changed rows get a dbt_valid_to), delete_record (new_record
// deletion rows), invalidate (rows whose key vanished are closed), insert
// (new versions and new keys).
type SnapshotStatement struct {
	Action string
	SQL    string
}

const (
	snapSource = "source_data"
	snapTarget = "snapshotted_data"
)

// snapshotSQL is the snapshot SQL both dialects share; they differ in
// quoting, passed in.
type snapshotSQL struct {
	q      func(string) string
	render func(Relation) string
}

// updatedAt is the expression stamping a version built from the row
// aliased prefix.
func (x snapshotSQL) updatedAt(s Snapshot, prefix string) string {
	if s.UpdatedAt == "" {
		return s.Now
	}
	return prefix + "." + x.q(s.UpdatedAt)
}

// scdID is dbt's dbt_scd_id: md5 of the unique key and the version stamp.
func (x snapshotSQL) scdID(s Snapshot, prefix, updatedAt string) string {
	parts := make([]string, 0, len(s.UniqueKey)+1)
	for _, k := range s.UniqueKey {
		parts = append(parts, "coalesce(cast("+prefix+"."+x.q(k)+" as varchar), '')")
	}
	parts = append(parts, "coalesce(cast("+updatedAt+" as varchar), '')")
	return "md5(" + strings.Join(parts, " || '|' || ") + ")"
}

// validTo is a current row's dbt_valid_to, typed like updatedAt.
func (x snapshotSQL) validTo(s Snapshot, updatedAt string) string {
	null := "nullif(" + updatedAt + ", " + updatedAt + ")"
	if s.ValidToCurrent == "" {
		return null
	}
	return "coalesce(" + null + ", " + s.ValidToCurrent + ")"
}

func (x snapshotSQL) current(s Snapshot) string {
	vt := snapTarget + "." + x.q(SnapshotValidTo)
	if s.ValidToCurrent == "" {
		return vt + " is null"
	}
	return "(" + vt + " is null or " + vt + " = " + s.ValidToCurrent + ")"
}

// keyMatch joins the snapshot and source rows on the unique key; indent
// is the indentation of the lines after the first.
func (x snapshotSQL) keyMatch(s Snapshot, indent string) string {
	out := make([]string, len(s.UniqueKey))
	for i, k := range s.UniqueKey {
		out[i] = snapTarget + "." + x.q(k) + " = " + snapSource + "." + x.q(k)
	}
	return strings.Join(out, "\n"+indent+"and ")
}

func (x snapshotSQL) notDeleted() string {
	return "coalesce(" + snapTarget + "." + x.q(SnapshotIsDeleted) + ", 'False') <> 'True'"
}

// changed is true when the source row is a new version of the current
// snapshot row.
func (x snapshotSQL) changed(s Snapshot) string {
	var conds []string
	if s.Strategy == "check" {
		for _, c := range s.CheckCols {
			conds = append(conds, snapTarget+"."+x.q(c)+" is distinct from "+snapSource+"."+x.q(c))
		}
	} else {
		conds = append(conds, snapSource+"."+x.q(s.UpdatedAt)+" > "+snapTarget+"."+x.q(SnapshotUpdatedAt))
	}
	if s.HardDeletes == "new_record" {
		// A key that comes back after a deletion record starts a new version.
		conds = append(conds, snapTarget+"."+x.q(SnapshotIsDeleted)+" = 'True'")
	}
	return "(" + strings.Join(conds, "\n    or ") + ")"
}

func (x snapshotSQL) metaCols(s Snapshot) []string {
	cols := []string{SnapshotSCDID, SnapshotUpdatedAt, SnapshotValidFrom, SnapshotValidTo}
	if s.HardDeletes == "new_record" {
		cols = append(cols, SnapshotIsDeleted)
	}
	return cols
}

func (x snapshotSQL) colList(cols []string, prefix string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		if prefix != "" {
			out[i] = prefix + "." + x.q(c)
		} else {
			out[i] = x.q(c)
		}
	}
	return strings.Join(out, ", ")
}

// metaValues are the meta columns of a version built from the row aliased
// prefix and stamped with upd.
func (x snapshotSQL) metaValues(s Snapshot, prefix, upd, deleted string) string {
	vals := []string{x.scdID(s, prefix, upd), upd, upd, x.validTo(s, upd)}
	if s.HardDeletes == "new_record" {
		vals = append(vals, deleted)
	}
	return strings.Join(vals, ",\n    ")
}

func (x snapshotSQL) create(s Snapshot, permanent string) string {
	upd := x.updatedAt(s, snapSource)
	meta := x.metaCols(s)
	vals := strings.Split(x.metaValues(s, snapSource, upd, "'False'"), ",\n    ")
	var b strings.Builder
	fmt.Fprintf(&b, "create %s %s as\nselect\n    %s.*", permanent, x.render(s.Target), snapSource)
	for i, c := range meta {
		fmt.Fprintf(&b, ",\n    %s as %s", vals[i], x.q(c))
	}
	fmt.Fprintf(&b, "\nfrom %s as %s", s.Staged, snapSource)
	return b.String()
}

func (x snapshotSQL) duplicateKeys(s Snapshot) string {
	keys := x.colList(s.UniqueKey, "")
	return "select count(*) from (\n    select " + keys + "\n    from " + s.Staged + "\n    group by " + keys +
		"\n    having count(*) > 1\n) as dbt_duplicate_keys"
}

func (x snapshotSQL) merge(s Snapshot) []SnapshotStatement {
	target := x.render(s.Target)
	vt := x.q(SnapshotValidTo)
	vanished := "not exists (\n    select 1 from " + s.Staged + " as " + snapSource + "\n    where " + x.keyMatch(s, "      ") + "\n  )"
	var out []SnapshotStatement
	// 1. Close the current version of every key whose source row changed.
	out = append(out, SnapshotStatement{"close", fmt.Sprintf(
		"update %s as %s\nset %s = %s\nfrom %s as %s\nwhere %s\n  and %s\n  and %s",
		target, snapTarget, vt, x.updatedAt(s, snapSource), s.Staged, snapSource,
		x.keyMatch(s, "  "), x.current(s), x.changed(s))})
	// 2. Hard deletes: keys gone from the source.
	switch s.HardDeletes {
	case "new_record":
		meta := x.metaCols(s)
		out = append(out, SnapshotStatement{"delete_record", fmt.Sprintf(
			"insert into %s (%s, %s)\nselect\n    %s,\n    %s\nfrom %s as %s\nwhere %s\n  and %s\n  and %s",
			target, x.colList(s.TargetColumns, ""), x.colList(meta, ""),
			x.colList(s.TargetColumns, snapTarget), x.metaValues(s, snapTarget, s.Now, "'True'"),
			target, snapTarget, x.current(s), x.notDeleted(), vanished)})
		fallthrough
	case "invalidate":
		where := []string{x.current(s)}
		if s.HardDeletes == "new_record" {
			where = append(where, x.notDeleted())
		}
		where = append(where, vanished)
		out = append(out, SnapshotStatement{"invalidate", fmt.Sprintf(
			"update %s as %s\nset %s = %s\nwhere %s",
			target, snapTarget, vt, s.Now, strings.Join(where, "\n  and "))})
	}
	// 3. Insert a new version for every source row whose key has no
	// current version now: changed rows (closed above) and new keys.
	upd := x.updatedAt(s, snapSource)
	out = append(out, SnapshotStatement{"insert", fmt.Sprintf(
		"insert into %s (%s, %s)\nselect\n    %s,\n    %s\nfrom %s as %s\nwhere not exists (\n    select 1 from %s as %s\n    where %s\n      and %s\n)",
		target, x.colList(s.Columns, ""), x.colList(x.metaCols(s), ""),
		x.colList(s.Columns, snapSource), x.metaValues(s, snapSource, upd, "'False'"),
		s.Staged, snapSource, target, snapTarget, x.keyMatch(s, "      "), x.current(s))})
	return out
}

// DuckDB.

func (d DuckDB) snap() snapshotSQL { return snapshotSQL{q: d.Quote, render: d.Render} }

func (d DuckDB) SnapshotCreate(s Snapshot) string        { return d.snap().create(s, "table") }
func (d DuckDB) SnapshotDuplicateKeys(s Snapshot) string { return d.snap().duplicateKeys(s) }
func (d DuckDB) SnapshotMerge(s Snapshot) []SnapshotStatement {
	return d.snap().merge(s)
}

// Snowflake.

func (sf Snowflake) snap() snapshotSQL { return snapshotSQL{q: sf.Quote, render: sf.Render} }

// SnapshotCreate makes a permanent table on Snowflake, not a transient one
// as dbt-snowflake does: a snapshot's history cannot be rebuilt from its
// source, so it keeps Fail-safe.
func (sf Snowflake) SnapshotCreate(s Snapshot) string        { return sf.snap().create(s, "table") }
func (sf Snowflake) SnapshotDuplicateKeys(s Snapshot) string { return sf.snap().duplicateKeys(s) }
func (sf Snowflake) SnapshotMerge(s Snapshot) []SnapshotStatement {
	return sf.snap().merge(s)
}
