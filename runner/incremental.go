package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// buildIncremental brings an incremental model up to date. The first build,
// a missing target and --full-refresh build the whole table (deduplicated
// by the same rule as the batches); otherwise one batch is selected with
// Kiln's late-data predicates, reduced to one row per key, materialized
// once into a temporary table and applied with the model's strategy, all in
// one transaction: a failure anywhere leaves the target as it was. The
// high-water mark the batch is selected by is kept in the schema's watermark
// table, written in the same transaction (watermark.go in the dialect).
func buildIncremental(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result, opts Options) error {
	d := wh.Dialect()
	rel := *n.Relation
	inc := n.Incremental
	existing, err := wh.RelationKind(ctx, rel)
	if err != nil {
		return err
	}
	// Microbatch finds its windows from the target's newest event itself.
	col := inc.MarkColumn()
	if inc.Strategy == "microbatch" {
		col = ""
	}
	if col != "" {
		if err := createWatermarks(ctx, recorder{wh, &r.Statements}, d.CreateWatermarks(dialect.Watermark{Target: rel})); err != nil {
			return err
		}
	}
	if existing != dialect.KindTable || (opts.FullRefresh && fullRefreshAllowed(n)) {
		if inc.Strategy == "microbatch" && (opts.EventTimeStart != nil || opts.EventTimeEnd != nil) && existing == dialect.KindTable {
			return microbatch(ctx, wh, n, r, opts)
		}
		stmts := d.ReplaceWith(dialect.KindTable, rel, n.CompiledSQL, existing, dialect.RelationOptionsFromConfig(n.Config))
		if col == "" {
			return replaceRelation(ctx, wh, n, r, existing, stmts)
		}
		// The old mark is deleted before the swap, the new table's set
		// after it, in its transaction. Where DDL commits on its own
		// (Snowflake), a failure in between leaves no mark, and the next
		// run reads it from the table.
		w := dialect.Watermark{Target: rel, Column: col, Source: d.Render(rel)}
		stmts = append([]string{d.DeleteWatermark(w)}, stmts...)
		return replaceRelation(ctx, wh, n, r, existing, stmts, func(tx Execer) error {
			cols, err := describe(ctx, tx, d, d.Render(rel))
			if err != nil {
				return err
			}
			if w.Type = typeOf(cols, col); w.Type == "" {
				return nil // the next run reports the missing column
			}
			_, err = tx.Exec(ctx, d.WriteWatermark(w))
			return err
		})
	}
	if inc.Strategy == "microbatch" {
		return microbatch(ctx, wh, n, r, opts)
	}
	tmp := "kiln_batch__" + rel.Identifier
	target := d.Render(rel)
	err = wh.InTx(ctx, func(tx Execer) error {
		rec := recorder{tx, &r.Statements}
		targetCols, err := describe(ctx, rec, d, target)
		if err != nil {
			return err
		}
		var mark *compiler.Mark
		var w dialect.Watermark
		if col != "" {
			typ := typeOf(targetCols, col)
			if typ == "" {
				return fmt.Errorf("column %s of the incremental model is not in the existing table %s (run with --full-refresh after changing it)", col, target)
			}
			w = dialect.Watermark{Target: rel, Column: col, Type: typ, Source: d.Quote(tmp)}
			if inc.HardDeletes() {
				// The batch's deleted rows do not stay in the target, so
				// they do not move the mark: a mark no row holds would
				// fail the next run's check. Taking them again is harmless
				// (deleting an absent key changes nothing).
				w.Where = "not " + compiler.DeletedFlag
			}
			if mark, err = readMark(ctx, rec, d, w); err != nil {
				return err
			}
			if mark != nil {
				w.Floor = &mark.Value
			}
		}
		if err := createBatch(ctx, rec, inc.Batch(d, mark, tmp)); err != nil {
			return err
		}
		batchCols, err := describe(ctx, rec, d, d.Quote(tmp))
		if err != nil {
			return err
		}
		// The delete flag is the batch's own column, not the model's.
		modelCols := batchCols[:0:0]
		for _, c := range batchCols {
			if c.Name != compiler.DeletedFlag {
				modelCols = append(modelCols, c)
			}
		}
		cols, err := reconcileSchema(ctx, rec, d, n, rel, targetCols, modelCols)
		if len(modelCols) < len(batchCols) {
			cols = append(cols, compiler.DeletedFlag)
		}
		if err != nil {
			return err
		}
		var batchMin *compiler.Mark
		if inc.EventTime != "" && inc.Strategy != "append" {
			lo, err := rec.Query(ctx, fmt.Sprintf("select cast(min(%s) as varchar) from %s", d.Quote(inc.EventTime), d.Quote(tmp)))
			if err != nil {
				return err
			}
			if v := firstString(lo); v != "" {
				batchMin = &compiler.Mark{Value: v, Type: typeOf(targetCols, inc.EventTime)}
			}
		}
		stmts := inc.ApplySQL(d, rel, tmp, cols, batchMin)
		var affected int64
		for _, s := range stmts {
			if affected, err = rec.Exec(ctx, s); err != nil {
				return err
			}
		}
		if col != "" {
			// The new mark, from the batch alone, in the batch's
			// transaction. When sync_all_columns changed the mark column's
			// type the mark is only deleted: the next run reads it from
			// the table.
			if _, err := rec.Exec(ctx, d.DeleteWatermark(w)); err != nil {
				return err
			}
			if inc.OnSchemaChange != "sync_all_columns" || strings.EqualFold(typeOf(modelCols, col), w.Type) {
				if _, err := rec.Exec(ctx, d.WriteWatermark(w)); err != nil {
					return err
				}
			}
		}
		r.RowsAffected = affected
		_, err = rec.Exec(ctx, d.DropTemp(tmp))
		return err
	})
	if err != nil {
		return err
	}
	r.Status = StatusSuccess
	r.Message = fmt.Sprintf("%s %d", strings.ToUpper(strings.ReplaceAll(inc.Strategy, "+", " ")), r.RowsAffected)
	return nil
}

// createBatch executes a batch plan: the staging statements, the key
// reduction unless the staged rows have no repeated key, the clean-up.
func createBatch(ctx context.Context, ex Execer, b compiler.Batch) error {
	if b.Stage != "" {
		if _, err := ex.Exec(ctx, b.Stage); err != nil {
			return err
		}
	}
	create := b.Create
	if b.Check != "" {
		rows, err := ex.Query(ctx, b.Check)
		if err != nil {
			return err
		}
		if firstString(rows) == "false" {
			create = b.NoDuplicates
		}
	}
	if _, err := ex.Exec(ctx, create); err != nil {
		return err
	}
	if b.Drop != "" {
		_, err := ex.Exec(ctx, b.Drop)
		return err
	}
	return nil
}

// createWatermarks creates the schema's watermark table when it is missing,
// in its own transaction: created inside the node's, two nodes of one
// schema would conflict. Two nodes creating it in the same instant still
// can (DuckDB fails the second with a write-write conflict); the table
// exists once the first commits, so the statement is tried again.
func createWatermarks(ctx context.Context, ex Execer, stmt string) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if _, err = ex.Exec(ctx, stmt); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 25 * time.Millisecond):
		}
	}
	return err
}

// readMark is the high-water mark a batch is selected by: the stored
// watermark when it is valid, else max(mark column) over the target, a scan
// of the whole table. The stored one is valid when it is of the same column
// and type and the target still holds a row at or above it (or, for the
// mark of an empty table, no row at all): its newest rows deleted by hand,
// or the table replaced by an older one, and it is not.
func readMark(ctx context.Context, ex Execer, d dialect.Dialect, w dialect.Watermark) (*compiler.Mark, error) {
	rows, err := ex.Query(ctx, d.ReadWatermark(w))
	if err != nil {
		return nil, err
	}
	if len(rows) == 1 && len(rows[0]) == 3 {
		row := rows[0]
		if strings.EqualFold(fmt.Sprint(row[0]), w.Column) && fmt.Sprint(row[1]) == w.Type {
			var value *string
			if row[2] != nil {
				v := fmt.Sprint(row[2])
				value = &v
			}
			holds, err := ex.Query(ctx, d.CheckWatermark(w, value))
			if err != nil {
				return nil, err
			}
			switch {
			case value == nil && firstString(holds) == "false":
				return nil, nil // the table was empty and still is
			case value != nil && firstString(holds) == "true":
				return &compiler.Mark{Value: *value, Type: w.Type}, nil
			}
		}
	}
	hw, err := ex.Query(ctx, fmt.Sprintf("select cast(max(%s) as varchar) from %s", d.Quote(w.Column), d.Render(w.Target)))
	if err != nil {
		return nil, err
	}
	if v := firstString(hw); v != "" {
		return &compiler.Mark{Value: v, Type: w.Type}, nil
	}
	return nil, nil
}

// fullRefreshAllowed honours the full_refresh config: false protects a
// model from --full-refresh, as in dbt.
func fullRefreshAllowed(n *compiler.Node) bool {
	if v, ok := n.Config["full_refresh"].(bool); ok {
		return v
	}
	return true
}

func describe(ctx context.Context, tx Execer, d dialect.Dialect, rel string) ([]dialect.Column, error) {
	rows, err := tx.Query(ctx, d.DescribeColumns(rel))
	if err != nil {
		return nil, err
	}
	cols := make([]dialect.Column, 0, len(rows))
	for _, row := range rows {
		if len(row) < 2 {
			continue
		}
		cols = append(cols, dialect.Column{Name: fmt.Sprint(row[0]), Type: fmt.Sprint(row[1])})
	}
	return cols, nil
}

func typeOf(cols []dialect.Column, name string) string {
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return c.Type
		}
	}
	return ""
}

func firstString(rows [][]any) string {
	if len(rows) == 0 || len(rows[0]) == 0 || rows[0][0] == nil {
		return ""
	}
	return fmt.Sprint(rows[0][0])
}

// reconcileSchema applies on_schema_change and returns the columns to
// write from the batch.
func reconcileSchema(ctx context.Context, tx Execer, d dialect.Dialect, n *compiler.Node, rel dialect.Relation, target, batch []dialect.Column) ([]string, error) {
	var added, removed, changed []dialect.Column
	for _, b := range batch {
		t := typeOf(target, b.Name)
		switch {
		case t == "":
			added = append(added, b)
		case !strings.EqualFold(t, b.Type):
			changed = append(changed, b)
		}
	}
	for _, t := range target {
		if typeOf(batch, t.Name) == "" {
			removed = append(removed, t)
		}
	}
	names := func(cs []dialect.Column) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.Name
		}
		return out
	}
	var cols []string
	switch n.Incremental.OnSchemaChange {
	case "fail":
		if len(added)+len(removed) > 0 {
			return nil, fmt.Errorf("the columns of %s changed (added: %s; removed: %s) and on_schema_change is 'fail'; run with --full-refresh, or set on_schema_change to append_new_columns or sync_all_columns",
				n.Name, orNone(names(added)), orNone(names(removed)))
		}
		cols = names(batch)
	case "append_new_columns", "sync_all_columns":
		for _, c := range added {
			if _, err := tx.Exec(ctx, d.AddColumn(rel, c)); err != nil {
				return nil, err
			}
		}
		if n.Incremental.OnSchemaChange == "sync_all_columns" {
			for _, c := range removed {
				if _, err := tx.Exec(ctx, d.DropColumn(rel, c.Name)); err != nil {
					return nil, err
				}
			}
			for _, c := range changed {
				if _, err := tx.Exec(ctx, d.AlterColumnType(rel, c)); err != nil {
					return nil, err
				}
			}
		}
		cols = names(batch)
	default: // ignore: write the columns both have
		for _, b := range batch {
			if typeOf(target, b.Name) != "" {
				cols = append(cols, b.Name)
			}
		}
	}
	return cols, nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// microbatch replaces the model's data one event-time window at a time,
// each window's delete and insert in one transaction, so no window is ever
// seen empty. Without --event-time-start/--event-time-end it reprocesses
// from lookback batches before the target's newest event to the newest
// event of the model.
func microbatch(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result, opts Options) error {
	d := wh.Dialect()
	rel := *n.Relation
	inc := n.Incremental
	target := d.Render(rel)
	et := d.Quote(inc.EventTime)
	unit := inc.BatchSize
	var start, end time.Time
	if opts.EventTimeStart != nil {
		start = *opts.EventTimeStart
	} else {
		rows, err := wh.Query(ctx, fmt.Sprintf("select cast(max(%s) as timestamp) from %s", et, target))
		if err != nil {
			return err
		}
		t, ok := asTime(rows)
		if !ok {
			return replaceRelation(ctx, wh, n, r, dialect.KindTable, d.ReplaceWith(dialect.KindTable, rel, n.CompiledSQL, dialect.KindTable, dialect.RelationOptionsFromConfig(n.Config)))
		}
		start = addUnit(truncUnit(t, unit), unit, -inc.LookbackBatches)
	}
	if opts.EventTimeEnd != nil {
		end = *opts.EventTimeEnd
	} else {
		rows, err := wh.Query(ctx, fmt.Sprintf("select cast(max(%s) as timestamp) from %s as kiln_src", et, "(\n"+inc.SQL+"\n)"))
		if err != nil {
			return err
		}
		t, ok := asTime(rows)
		if !ok {
			r.Status, r.Message = StatusSuccess, "MICROBATCH 0 batches"
			return nil
		}
		end = addUnit(truncUnit(t, unit), unit, 1)
	}
	start = truncUnit(start, unit)
	cols, err := describe(ctx, wh, d, target)
	if err != nil {
		return err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	batches := 0
	for s := start; s.Before(end); s = addUnit(s, unit, 1) {
		e := addUnit(s, unit, 1)
		window := fmt.Sprintf("%s >= %s and %s < %s", et, d.TypedLiteral(s.Format("2006-01-02 15:04:05"), "timestamp"), et, d.TypedLiteral(e.Format("2006-01-02 15:04:05"), "timestamp"))
		err := wh.InTx(ctx, func(tx Execer) error {
			rec := recorder{tx, &r.Statements}
			if _, err := rec.Exec(ctx, d.DeleteWhere(rel, window)); err != nil {
				return err
			}
			src := "(\n" + d.Filter(inc.SQL, []string{"kiln_src." + window}) + "\n) as kiln_batch"
			k, err := rec.Exec(ctx, d.InsertSelect(rel, names, src, ""))
			r.RowsAffected += k
			return err
		})
		if err != nil {
			return fmt.Errorf("batch %s: %w", s.Format(time.DateTime), err)
		}
		batches++
	}
	r.Status = StatusSuccess
	r.Message = fmt.Sprintf("MICROBATCH %d batch%s, %d rows", batches, map[bool]string{true: "", false: "es"}[batches == 1], r.RowsAffected)
	return nil
}

func asTime(rows [][]any) (time.Time, bool) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return time.Time{}, false
	}
	t, ok := rows[0][0].(time.Time)
	return t, ok
}

func truncUnit(t time.Time, unit string) time.Time {
	switch unit {
	case "hour":
		return t.Truncate(time.Hour)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func addUnit(t time.Time, unit string, n int) time.Time {
	switch unit {
	case "hour":
		return t.Add(time.Duration(n) * time.Hour)
	case "month":
		return t.AddDate(0, n, 0)
	}
	return t.AddDate(0, 0, n)
}
