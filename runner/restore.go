package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// PrevRelation is where a table with keep_previous_version: true keeps
// the version a build replaced.
func PrevRelation(rel dialect.Relation) dialect.Relation {
	rel.Identifier += "__kiln_prev"
	return rel
}

// keepPrevious rewrites a table swap so the replaced table is renamed to
// <id>__kiln_prev instead of dropped, when the node asks for it.
func keepPrevious(n *compiler.Node, d dialect.Dialect, existing dialect.Kind, stmts []string) []string {
	if existing != dialect.KindTable || n.Config["keep_previous_version"] != true {
		return stmts
	}
	rel := *n.Relation
	prev := PrevRelation(rel)
	drop := d.Drop(rel, dialect.KindTable)
	out := make([]string, 0, len(stmts)+1)
	for _, s := range stmts {
		if s == drop {
			out = append(out, d.Drop(prev, dialect.KindTable), "alter table "+d.Render(rel)+" rename to "+d.Quote(prev.Identifier))
			continue
		}
		out = append(out, s)
	}
	return out
}

// Restore brings back an earlier version of a table. On Snowflake it
// clones the table as it was at `at` (Time Travel); elsewhere it swaps in
// the <id>__kiln_prev table kept by keep_previous_version, keeping the
// current version as the new __kiln_prev so a restore can be undone.
func Restore(ctx context.Context, wh Warehouse, rel dialect.Relation, at *time.Time) (string, error) {
	d := wh.Dialect()
	if d.Name() == "snowflake" {
		if at == nil {
			return "", fmt.Errorf("a Snowflake restore needs --at or --before-run")
		}
		q := fmt.Sprintf("create or replace table %s clone %s at(timestamp => '%s'::timestamp_ltz)",
			d.Render(rel), d.Render(rel), at.UTC().Format("2006-01-02 15:04:05.000000 -0700"))
		if _, err := wh.Exec(ctx, q); err != nil {
			return q, err
		}
		forget, err := forgetWatermark(ctx, wh, rel)
		if err != nil || forget == "" {
			return q, err
		}
		_, err = wh.Exec(ctx, forget)
		return q + "; " + forget, err
	}
	prev := PrevRelation(rel)
	k, err := wh.RelationKind(ctx, prev)
	if err != nil {
		return "", err
	}
	if k != dialect.KindTable {
		return "", fmt.Errorf("no previous version of %s is kept (%s does not exist): set keep_previous_version: true on the model, and a later build keeps the version it replaces", d.Render(rel), d.Render(prev))
	}
	cur, err := wh.RelationKind(ctx, rel)
	if err != nil {
		return "", err
	}
	tmp := rel
	tmp.Identifier += "__kiln_restore"
	stmts := []string{d.Drop(tmp, dialect.KindTable)}
	if cur == dialect.KindTable {
		stmts = append(stmts, "alter table "+d.Render(rel)+" rename to "+d.Quote(tmp.Identifier))
	} else if cur != dialect.KindNone {
		stmts = append(stmts, d.Drop(rel, cur))
	}
	stmts = append(stmts, "alter table "+d.Render(prev)+" rename to "+d.Quote(rel.Identifier))
	if cur == dialect.KindTable {
		stmts = append(stmts, "alter table "+d.Render(tmp)+" rename to "+d.Quote(prev.Identifier))
	}
	forget, err := forgetWatermark(ctx, wh, rel)
	if err != nil {
		return "", err
	}
	if forget != "" {
		stmts = append(stmts, forget)
	}
	err = wh.InTx(ctx, func(tx Execer) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	return fmt.Sprint(stmts), err
}

// forgetWatermark is the statement that deletes the high-water mark Kiln
// keeps for rel when rel is an incremental model's table, or "" when its
// schema has no watermark table. A restored table's mark is its own, not
// the one kept for the version it replaces; without a stored mark the next
// run reads it from the table.
func forgetWatermark(ctx context.Context, wh Warehouse, rel dialect.Relation) (string, error) {
	k, err := wh.RelationKind(ctx, dialect.WatermarksRelation(rel))
	if err != nil || k != dialect.KindTable {
		return "", err
	}
	return wh.Dialect().DeleteWatermark(dialect.Watermark{Target: rel}), nil
}
