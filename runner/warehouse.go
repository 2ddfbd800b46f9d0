// Package runner executes a compiled manifest against a warehouse.
package runner

import (
	"context"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// Execer runs statements; a Warehouse and the Tx passed to InTx both are.
type Execer interface {
	// Exec runs one statement and returns the rows it affected (-1 when the
	// warehouse does not say).
	Exec(ctx context.Context, sql string) (int64, error)
	// QueryInt runs a query returning one integer (a count).
	QueryInt(ctx context.Context, sql string) (int64, error)
	// Query runs a query and returns all its rows (nil is NULL). For small
	// results: high-water marks, column lists.
	Query(ctx context.Context, sql string) ([][]any, error)
}

// Warehouse is a connection to one target. Implementations must be safe for
// use by --threads goroutines at once, and every call stops when ctx is
// cancelled (the running query is interrupted).
type Warehouse interface {
	Execer
	Dialect() dialect.Dialect
	// InTx runs fn in one transaction: committed when fn returns nil,
	// rolled back (and nothing visible changed) otherwise.
	InTx(ctx context.Context, fn func(tx Execer) error) error
	// RelationKind reports whether rel exists and whether it is a table or
	// a view.
	RelationKind(ctx context.Context, rel dialect.Relation) (dialect.Kind, error)
	// Columns lists rel's columns in order with their warehouse types.
	Columns(ctx context.Context, rel dialect.Relation) ([]dialect.Column, error)
	// LoadRows inserts rows (already typed by the caller: nil is NULL) into
	// the existing table rel through tx, in batches; returns rows loaded.
	LoadRows(ctx context.Context, tx Execer, rel dialect.Relation, cols []dialect.Column, rows [][]any) (int64, error)
	Close() error
}
