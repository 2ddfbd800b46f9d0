package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// recorder is an Execer that remembers what it ran, for target/run/.
type recorder struct {
	inner Execer
	stmts *[]string
}

func (r recorder) Exec(ctx context.Context, sql string) (int64, error) {
	*r.stmts = append(*r.stmts, sql)
	return r.inner.Exec(ctx, sql)
}

func (r recorder) QueryInt(ctx context.Context, sql string) (int64, error) {
	*r.stmts = append(*r.stmts, sql)
	return r.inner.QueryInt(ctx, sql)
}

// execute runs one node and reports what happened. It never panics on bad
// SQL: the warehouse's error becomes the result's message.
func execute(ctx context.Context, wh Warehouse, m *compiler.Manifest, n *compiler.Node, opts Options) *Result {
	r := &Result{UniqueID: n.UniqueID, Node: n, StartedAt: opts.Now(), ThreadID: "Thread-1"}
	var err error
	switch n.ResourceType {
	case compiler.Model:
		err = buildModel(ctx, wh, n, r)
	case compiler.Seed:
		err = loadSeed(ctx, wh, n, r)
	case compiler.Test:
		err = runTest(ctx, wh, n, r)
	default:
		err = fmt.Errorf("kiln cannot execute a %s", n.ResourceType)
	}
	r.CompletedAt = opts.Now()
	r.ExecutionTime = r.CompletedAt.Sub(r.StartedAt).Seconds()
	if err != nil {
		r.Status = StatusError
		r.Message = cleanError(err)
	}
	return r
}

func cleanError(err error) string {
	msg := err.Error()
	return strings.TrimSpace(msg)
}

func buildModel(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result) error {
	d := wh.Dialect()
	rel := *n.Relation
	existing, err := wh.RelationKind(ctx, rel)
	if err != nil {
		return err
	}
	var stmts []string
	switch n.Materialized() {
	case "view":
		stmts = d.ReplaceView(rel, n.CompiledSQL, existing)
	case "table":
		stmts = d.ReplaceTable(rel, n.CompiledSQL, existing)
	default:
		return fmt.Errorf("materialization %q is not supported by the runner", n.Materialized())
	}
	err = wh.InTx(ctx, func(tx Execer) error {
		rec := recorder{tx, &r.Statements}
		if _, err := rec.Exec(ctx, d.CreateSchema(rel.Database, rel.Schema)); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := rec.Exec(ctx, s); err != nil {
				return err
			}
		}
		if n.Materialized() == "table" {
			rows, err := tx.QueryInt(ctx, "select count(*) from "+d.Render(rel))
			if err != nil {
				return err
			}
			r.RowsAffected = rows
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.Status = StatusSuccess
	if n.Materialized() == "table" {
		r.Message = fmt.Sprintf("SELECT %d", r.RowsAffected)
	} else {
		r.Message = "CREATE VIEW"
	}
	return nil
}

func loadSeed(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result) error {
	d := wh.Dialect()
	rel := *n.Relation
	existing, err := wh.RelationKind(ctx, rel)
	if err != nil {
		return err
	}
	staging := rel
	staging.Identifier = rel.Identifier + "__kiln_seed"
	data := n.SeedData
	if data == nil {
		return fmt.Errorf("seed %s has no data", n.Name)
	}
	err = wh.InTx(ctx, func(tx Execer) error {
		rec := recorder{tx, &r.Statements}
		for _, s := range []string{
			d.CreateSchema(rel.Database, rel.Schema),
			d.Drop(staging, dialect.KindTable),
			d.CreateTable(staging, data.Columns),
		} {
			if _, err := rec.Exec(ctx, s); err != nil {
				return err
			}
		}
		rows, err := wh.LoadRows(ctx, tx, staging, data.Columns, data.Rows)
		if err != nil {
			return err
		}
		r.RowsAffected = rows
		for _, s := range d.ReplaceTable(rel, "select * from "+d.Render(staging), existing) {
			if _, err := rec.Exec(ctx, s); err != nil {
				return err
			}
		}
		_, err = rec.Exec(ctx, d.Drop(staging, dialect.KindTable))
		return err
	})
	if err != nil {
		return err
	}
	r.Status = StatusSuccess
	r.Message = fmt.Sprintf("INSERT %d", r.RowsAffected)
	return nil
}

func runTest(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result) error {
	q := wh.Dialect().CountRows(n.CompiledSQL)
	r.Statements = append(r.Statements, q)
	failures, err := wh.QueryInt(ctx, q)
	if err != nil {
		return err
	}
	r.Failures = failures
	switch {
	case failures == 0:
		r.Status = StatusPass
		r.Message = "PASS"
	case strings.EqualFold(n.ConfigString("severity"), "warn"):
		r.Status = StatusWarn
		r.Message = fmt.Sprintf("Got %d result%s, configured to warn if != 0", failures, plural(failures))
	default:
		r.Status = StatusFail
		r.Message = fmt.Sprintf("Got %d result%s, configured to fail if != 0", failures, plural(failures))
	}
	return nil
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}
