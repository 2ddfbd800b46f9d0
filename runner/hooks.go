package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler"
)

// RunHooks executes the project's on-run-start or on-run-end statements
// in order, stopping at the first that fails.
func RunHooks(ctx context.Context, wh Warehouse, stmts []string) error {
	for i, s := range stmts {
		if _, err := wh.Exec(ctx, s); err != nil {
			return fmt.Errorf("hook %d of %d: %w", i+1, len(stmts), err)
		}
	}
	return nil
}

// withHooks puts a model's pre-hooks before and its post-hooks after the
// statements of its build, so they run in the build's transaction.
func withHooks(n *compiler.Node, stmts []string) []string {
	if len(n.PreHooks) == 0 && len(n.PostHooks) == 0 {
		return stmts
	}
	out := make([]string, 0, len(n.PreHooks)+len(stmts)+len(n.PostHooks))
	out = append(out, n.PreHooks...)
	out = append(out, stmts...)
	return append(out, n.PostHooks...)
}

// aroundHooks runs a build that manages its own transactions (incremental
// models) between the model's pre-hooks and post-hooks.
func aroundHooks(ctx context.Context, wh Warehouse, n *compiler.Node, r *Result, build func() error) error {
	rec := recorder{wh, &r.Statements}
	for _, s := range n.PreHooks {
		if _, err := rec.Exec(ctx, s); err != nil {
			return fmt.Errorf("pre-hook: %w", err)
		}
	}
	if err := build(); err != nil {
		return err
	}
	for _, s := range n.PostHooks {
		if _, err := rec.Exec(ctx, s); err != nil {
			return fmt.Errorf("post-hook: %w", err)
		}
	}
	return nil
}

// QueryColumns runs a query for run_query() and returns its rows with the
// column names. On DuckDB the names come from DESCRIBE of the query; where
// they cannot be had (Snowflake, statements that are not queries) they are
// left empty and the compiler names them column_1, column_2, ...
func QueryColumns(ctx context.Context, wh Warehouse, sql string) ([][]any, []string, error) {
	rows, err := wh.Query(ctx, sql)
	if err != nil {
		return nil, nil, err
	}
	if wh.Dialect().Name() != "duckdb" {
		return rows, nil, nil
	}
	trimmed := strings.TrimRight(strings.TrimSpace(sql), ";")
	desc, err := wh.Query(ctx, "describe "+trimmed)
	if err != nil {
		return rows, nil, nil
	}
	cols := make([]string, 0, len(desc))
	for _, d := range desc {
		if len(d) > 0 {
			cols = append(cols, fmt.Sprint(d[0]))
		}
	}
	return rows, cols, nil
}
