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

func (r recorder) Query(ctx context.Context, sql string) ([][]any, error) {
	*r.stmts = append(*r.stmts, sql)
	return r.inner.Query(ctx, sql)
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
		err = buildModel(ctx, wh, n, r, opts)
	case compiler.Seed:
		err = loadSeed(ctx, wh, n, r)
	case compiler.Test:
		err = runTest(ctx, wh, n, r)
	case compiler.Snapshot:
		err = buildSnapshot(ctx, wh, n, r, opts)
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

func buildModel(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result, opts Options) error {
	d := wh.Dialect()
	rel := *n.Relation
	if n.Materialized() == "incremental" {
		if n.Incremental == nil {
			return fmt.Errorf("incremental model %s has no incremental plan", n.Name)
		}
		return aroundHooks(ctx, wh, n, r, func() error { return buildIncremental(ctx, wh, n, r, opts) })
	}
	existing, err := wh.RelationKind(ctx, rel)
	if err != nil {
		return err
	}
	switch n.Materialized() {
	case "view":
		return replaceRelation(ctx, wh, n, r, existing, d.ReplaceWith(dialect.KindView, rel, n.CompiledSQL, existing, dialect.RelationOptionsFromConfig(n.Config)))
	case "table":
		return replaceRelation(ctx, wh, n, r, existing, keepPrevious(n, d, existing, d.ReplaceWith(dialect.KindTable, rel, n.CompiledSQL, existing, dialect.RelationOptionsFromConfig(n.Config))))
	}
	return fmt.Errorf("materialization %q is not supported by the runner", n.Materialized())
}

// replaceRelation runs stmts, which build the node under a temporary name and swap
// it in, in one transaction, and counts the rows of a table; then, in the
// same transaction, each of then (an incremental model's watermark).
func replaceRelation(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result, existing dialect.Kind, stmts []string, then ...func(tx Execer) error) error {
	d := wh.Dialect()
	rel := *n.Relation
	isView := n.Materialized() == "view"
	// Hooks run in the build's transaction (hooks.go); an incremental
	// model's run around its build (aroundHooks), its full build included.
	if n.Materialized() != "incremental" {
		stmts = withHooks(n, stmts)
	}
	err := wh.InTx(ctx, func(tx Execer) error {
		rec := recorder{tx, &r.Statements}
		for _, s := range stmts {
			if _, err := rec.Exec(ctx, s); err != nil {
				return err
			}
		}
		if !isView {
			rows, err := tx.QueryInt(ctx, "select count(*) from "+d.Render(rel))
			if err != nil {
				return err
			}
			r.RowsAffected = rows
		}
		for _, f := range then {
			if err := f(rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.Status = StatusSuccess
	if isView {
		r.Message = "CREATE VIEW"
	} else {
		r.Message = fmt.Sprintf("SELECT %d", r.RowsAffected)
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
		for _, s := range d.ReplaceWith(dialect.KindTable, rel, "select * from "+d.Render(staging), existing, dialect.RelationOptionsFromConfig(n.Config)) {
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
