package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// buildSnapshot brings an SCD2 snapshot up to date, as dbt's snapshot
// materialization does. The source query is staged once into a temporary
// table; the first run creates the table from it, later runs add new
// source columns, close changed and (per hard_deletes) vanished rows and
// insert new versions. Everything runs in one transaction, so a failure
// leaves the snapshot as it was. --full-refresh does not apply: a
// snapshot's history cannot be rebuilt from its source.
func buildSnapshot(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result, opts Options) error {
	d := wh.Dialect()
	plan := n.Snapshot
	if plan == nil || n.Relation == nil {
		return fmt.Errorf("snapshot %s has no snapshot plan", n.Name)
	}
	rel := *n.Relation
	existing, err := wh.RelationKind(ctx, rel)
	if err != nil {
		return err
	}
	if existing == dialect.KindView {
		return fmt.Errorf("snapshot %s: %s is a view; drop it, or give the snapshot another alias", n.Name, d.Render(rel))
	}
	tmp := "kiln_snapshot__" + rel.Identifier
	s := dialect.Snapshot{
		Target: rel, Staged: d.Quote(tmp), UniqueKey: plan.UniqueKey, Strategy: plan.Strategy,
		UpdatedAt: plan.UpdatedAt, CheckCols: plan.CheckCols, HardDeletes: plan.HardDeletes,
		ValidToCurrent: plan.ValidToCurrent,
		Now:            d.TypedLiteral(opts.Now().UTC().Format("2006-01-02 15:04:05.000000"), "timestamp"),
	}
	var inserted, closed int64
	err = wh.InTx(ctx, func(tx Execer) error {
		rec := recorder{tx, &r.Statements}
		if _, err := rec.Exec(ctx, d.CreateTemp(tmp, n.CompiledSQL)); err != nil {
			return err
		}
		staged, err := describe(ctx, rec, d, s.Staged)
		if err != nil {
			return err
		}
		if err := resolveSnapshotColumns(n, &s, staged); err != nil {
			return err
		}
		dups, err := rec.QueryInt(ctx, d.SnapshotDuplicateKeys(s))
		if err != nil {
			return err
		}
		if dups > 0 {
			return fmt.Errorf("snapshot %s: %d value%s of unique_key (%s) occur more than once in the source query; a snapshot needs one row per key (deduplicate the query, or widen unique_key)",
				n.Name, dups, plural(dups), strings.Join(plan.UniqueKey, ", "))
		}
		if existing == dialect.KindNone {
			if _, err := rec.Exec(ctx, d.SnapshotCreate(s)); err != nil {
				return err
			}
			inserted, err = tx.QueryInt(ctx, "select count(*) from "+d.Render(rel))
			if err != nil {
				return err
			}
		} else {
			if err := alignSnapshotTable(ctx, rec, d, n, &s, staged); err != nil {
				return err
			}
			for _, st := range d.SnapshotMerge(s) {
				k, err := rec.Exec(ctx, st.SQL)
				if err != nil {
					return err
				}
				if k < 0 {
					k = 0
				}
				switch st.Action {
				case "close", "invalidate":
					closed += k
				default:
					inserted += k
				}
			}
		}
		_, err = rec.Exec(ctx, d.DropTemp(tmp))
		return err
	})
	if err != nil {
		return err
	}
	r.Status = StatusSuccess
	r.RowsAffected = inserted + closed
	if existing == dialect.KindNone {
		r.Message = fmt.Sprintf("SNAPSHOT created %d row%s", inserted, plural(inserted))
	} else {
		r.Message = fmt.Sprintf("SNAPSHOT %d inserted, %d closed", inserted, closed)
	}
	return nil
}

// resolveSnapshotColumns fills in the source columns from the staged
// query and checks that the configured columns are among them.
func resolveSnapshotColumns(n *compiler.Node, s *dialect.Snapshot, staged []dialect.Column) error {
	plan := n.Snapshot
	s.Columns = s.Columns[:0]
	for _, c := range staged {
		if !hasFold(dialect.SnapshotMetaColumns, c.Name) {
			s.Columns = append(s.Columns, c.Name)
		}
	}
	missing := func(what string, cols []string) error {
		for _, c := range cols {
			if !hasFold(s.Columns, c) {
				return fmt.Errorf("snapshot %s: %s column %s is not in the source query (it returns %s)", n.Name, what, c, strings.Join(s.Columns, ", "))
			}
		}
		return nil
	}
	if err := missing("unique_key", plan.UniqueKey); err != nil {
		return err
	}
	if plan.UpdatedAt != "" {
		if err := missing("updated_at", []string{plan.UpdatedAt}); err != nil {
			return err
		}
	}
	if err := missing("check_cols", plan.CheckCols); err != nil {
		return err
	}
	if plan.CheckAll {
		s.CheckCols = nil
		for _, c := range s.Columns {
			if !hasFold(plan.UniqueKey, c) {
				s.CheckCols = append(s.CheckCols, c)
			}
		}
	}
	return nil
}

// alignSnapshotTable checks that the existing table is a snapshot and
// adds the columns it lacks: new source columns (as dbt does) and
// dbt_is_deleted when hard_deletes became new_record.
func alignSnapshotTable(ctx context.Context, tx Execer, d dialect.Dialect, n *compiler.Node, s *dialect.Snapshot, staged []dialect.Column) error {
	target, err := describe(ctx, tx, d, d.Render(s.Target))
	if err != nil {
		return err
	}
	for _, meta := range []string{dialect.SnapshotSCDID, dialect.SnapshotUpdatedAt, dialect.SnapshotValidFrom, dialect.SnapshotValidTo} {
		if typeOf(target, meta) == "" {
			return fmt.Errorf("snapshot %s: %s exists but is not a snapshot table (it has no %s column); drop it or give the snapshot another alias", n.Name, d.Render(s.Target), meta)
		}
	}
	s.TargetColumns = s.TargetColumns[:0]
	for _, c := range target {
		if !hasFold(dialect.SnapshotMetaColumns, c.Name) {
			s.TargetColumns = append(s.TargetColumns, c.Name)
		}
	}
	for _, c := range staged {
		if hasFold(dialect.SnapshotMetaColumns, c.Name) || typeOf(target, c.Name) != "" {
			continue
		}
		if _, err := tx.Exec(ctx, d.AddColumn(s.Target, c)); err != nil {
			return err
		}
		s.TargetColumns = append(s.TargetColumns, c.Name)
	}
	if s.HardDeletes == "new_record" && typeOf(target, dialect.SnapshotIsDeleted) == "" {
		if _, err := tx.Exec(ctx, d.AddColumn(s.Target, dialect.Column{Name: dialect.SnapshotIsDeleted, Type: "varchar"})); err != nil {
			return err
		}
	}
	return nil
}

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
