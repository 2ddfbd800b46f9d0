package runner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// DuckDBConfig is a DuckDB target.
type DuckDBConfig struct {
	Path       string            // database file, or ":memory:" (also when empty)
	Threads    int               // Kiln's --threads: size of the connection pool
	Settings   map[string]string // DuckDB configuration options, set at open
	Extensions []string          // installed and loaded at open
}

// DuckDB is an embedded DuckDB database.
type DuckDB struct {
	db   *sql.DB
	path string
}

var _ Warehouse = (*DuckDB)(nil)

const memoryPath = ":memory:"

// OpenDuckDB opens (creating it and its directory if needed) the database
// in cfg. A file locked by another process gives a *DatabaseInUseError.
func OpenDuckDB(ctx context.Context, cfg DuckDBConfig) (*DuckDB, error) {
	path := cfg.Path
	if path == "" {
		path = memoryPath
	}
	if path != memoryPath {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("create directory for database %s: %w", path, err)
		}
	}

	// Settings go in the DSN: DuckDB applies them as database config, which
	// also accepts options that can only be set at startup (dbt-duckdb
	// passes `settings` the same way).
	dsn := path
	if len(cfg.Settings) > 0 {
		q := url.Values{}
		for k, v := range cfg.Settings {
			q.Set(k, v)
		}
		dsn += "?" + q.Encode()
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, lockError(path, fmt.Errorf("open database %s: %w", path, err))
	}
	db := sql.OpenDB(connector)
	// One connection per thread, plus one so metadata queries and InTx
	// bodies that call the warehouse never wait on a full pool.
	threads := max(cfg.Threads, 1)
	db.SetMaxOpenConns(threads + 1)
	db.SetMaxIdleConns(threads + 1)
	w := &DuckDB{db: db, path: path}

	for _, ext := range cfg.Extensions {
		if err := w.loadExtension(ctx, ext); err != nil {
			db.Close()
			return nil, err
		}
	}
	return w, nil
}

// loadExtension loads ext, installing it only when loading fails: built-in
// and already installed extensions then need no network.
func (w *DuckDB) loadExtension(ctx context.Context, ext string) error {
	q := dialect.DuckDB{}.Quote(ext)
	if _, err := w.Exec(ctx, "load "+q); err == nil {
		return nil
	}
	for _, stmt := range []string{"install " + q, "load " + q} {
		if _, err := w.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("extension %s: %w", ext, err)
		}
	}
	return nil
}

// Path is the database file, or ":memory:".
func (w *DuckDB) Path() string { return w.path }

func (w *DuckDB) Dialect() dialect.Dialect { return dialect.DuckDB{} }

func (w *DuckDB) Close() error { return w.db.Close() }

// conn is what *sql.DB and *sql.Tx share.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

func execSQL(ctx context.Context, c conn, query string, args ...any) (int64, error) {
	res, err := c.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, queryError(ctx.Err(), query, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return -1, nil
	}
	return n, nil
}

func queryInt(ctx context.Context, c conn, query string) (int64, error) {
	var v any
	if err := c.QueryRowContext(ctx, query).Scan(&v); err != nil {
		return 0, queryError(ctx.Err(), query, err)
	}
	switch n := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case int8:
		return int64(n), nil
	case uint64:
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case *big.Int: // HUGEINT, e.g. sum() of integers
		if n.IsInt64() {
			return n.Int64(), nil
		}
	}
	return 0, &QueryError{SQL: query, Err: fmt.Errorf("query returned %T %v, want an integer", v, v)}
}

func queryRows(ctx context.Context, c conn, query string) ([][]any, error) {
	rs, err := c.QueryContext(ctx, query)
	if err != nil {
		return nil, queryError(ctx.Err(), query, err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, queryError(ctx.Err(), query, err)
	}
	var out [][]any
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, queryError(ctx.Err(), query, err)
		}
		out = append(out, vals)
	}
	if err := rs.Err(); err != nil {
		return nil, queryError(ctx.Err(), query, err)
	}
	return out, nil
}

func (w *DuckDB) Query(ctx context.Context, query string) ([][]any, error) {
	return queryRows(ctx, w.db, query)
}

func (t duckTx) Query(ctx context.Context, query string) ([][]any, error) {
	return queryRows(ctx, t.tx, query)
}

func (w *DuckDB) Exec(ctx context.Context, query string) (int64, error) {
	return execSQL(ctx, w.db, query)
}

func (w *DuckDB) QueryInt(ctx context.Context, query string) (int64, error) {
	return queryInt(ctx, w.db, query)
}

// duckTx is the Execer InTx passes to its function.
type duckTx struct{ tx *sql.Tx }

func (t duckTx) Exec(ctx context.Context, query string) (int64, error) {
	return execSQL(ctx, t.tx, query)
}

func (t duckTx) QueryInt(ctx context.Context, query string) (int64, error) {
	return queryInt(ctx, t.tx, query)
}

// InTx runs fn in a transaction on one connection of the pool. DuckDB DDL
// is transactional, so a rollback also undoes creates, drops and renames.
func (w *DuckDB) InTx(ctx context.Context, fn func(tx Execer) error) (err error) {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return queryError(ctx.Err(), "begin transaction", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(duckTx{tx}); err != nil {
		// database/sql rolls back by itself when ctx is cancelled; then
		// Rollback says ErrTxDone, which is no news.
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return queryError(ctx.Err(), "commit", err)
	}
	return nil
}

// catalogFilter matches rel in information_schema; names compare
// case-insensitively as DuckDB resolves them.
func catalogFilter(rel dialect.Relation) (string, []any) {
	schema := rel.Schema
	if schema == "" {
		schema = "main"
	}
	where := "lower(table_schema) = lower(?) and lower(table_name) = lower(?)"
	args := []any{schema, rel.Identifier}
	if rel.Database != "" {
		where += " and lower(table_catalog) = lower(?)"
		args = append(args, rel.Database)
	} else {
		where += " and table_catalog = current_database()"
	}
	return where, args
}

func (w *DuckDB) RelationKind(ctx context.Context, rel dialect.Relation) (dialect.Kind, error) {
	where, args := catalogFilter(rel)
	q := "select table_type from information_schema.tables where " + where
	var typ string
	err := w.db.QueryRowContext(ctx, q, args...).Scan(&typ)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return dialect.KindNone, nil
	case err != nil:
		return dialect.KindNone, queryError(ctx.Err(), q, err)
	}
	return catalogKind(typ), nil
}

// catalogKind is the kind of an information_schema.tables table_type.
func catalogKind(typ string) dialect.Kind {
	if typ == "VIEW" {
		return dialect.KindView
	}
	return dialect.KindTable // BASE TABLE, LOCAL TEMPORARY
}

func (w *DuckDB) Columns(ctx context.Context, rel dialect.Relation) ([]dialect.Column, error) {
	where, args := catalogFilter(rel)
	q := "select column_name, data_type from information_schema.columns where " + where + " order by ordinal_position"
	rows, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, queryError(ctx.Err(), q, err)
	}
	defer rows.Close()
	var cols []dialect.Column
	for rows.Next() {
		var c dialect.Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, queryError(ctx.Err(), q, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, queryError(ctx.Err(), q, err)
	}
	return cols, nil
}

// Rows per INSERT, and a cap on bind parameters per statement for wide
// tables.
const (
	loadBatchRows   = 200
	loadBatchParams = 8192
)

// LoadRows inserts rows with multi-row INSERT statements of bind
// parameters, prepared once per batch size. tx is an Execer from this
// warehouse's InTx, or nil (or w) to insert outside a transaction.
// A column whose values include strings but whose type is not text (a
// column_types override such as DECIMAL(10,2)) is cast explicitly.
func (w *DuckDB) LoadRows(ctx context.Context, tx Execer, rel dialect.Relation, cols []dialect.Column, rows [][]any) (int64, error) {
	var c conn // nil: tx is some other Execer (a wrapper), fed literal SQL
	switch t := tx.(type) {
	case nil:
		c = w.db
	case *DuckDB:
		c = t.db
	case duckTx:
		c = t.tx
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if len(cols) == 0 {
		return 0, fmt.Errorf("load %s: no columns", rel.Identifier)
	}
	for i, r := range rows {
		if len(r) != len(cols) {
			return 0, fmt.Errorf("load %s: row %d has %d values for %d columns", rel.Identifier, i+1, len(r), len(cols))
		}
	}

	d := dialect.DuckDB{}
	placeholders := make([]string, len(cols))
	names := make([]string, len(cols))
	for i, col := range cols {
		names[i] = d.Quote(col.Name)
		placeholders[i] = "?"
		if needsCast(col.Type, rows, i) {
			placeholders[i] = "cast(? as " + col.Type + ")"
		}
	}
	tuple := "(" + strings.Join(placeholders, ", ") + ")"
	insert := "insert into " + d.Render(rel) + " (" + strings.Join(names, ", ") + ") values "
	statement := func(n int) string {
		return insert + strings.Repeat(tuple+", ", n-1) + tuple
	}

	batch := max(1, min(loadBatchRows, loadBatchParams/len(cols)))
	if c == nil {
		return loadLiterals(ctx, tx, insert, placeholders, rows, batch, func(_ int, v any) string { return literal(v) })
	}
	var full *sql.Stmt
	if len(rows) >= batch {
		var err error
		if full, err = c.PrepareContext(ctx, statement(batch)); err != nil {
			return 0, queryError(ctx.Err(), statement(batch), err)
		}
		defer full.Close()
	}
	args := make([]any, 0, batch*len(cols))
	var loaded int64
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		args = args[:0]
		for _, r := range rows[start:end] {
			args = append(args, r...)
		}
		var err error
		if end-start == batch {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = c.ExecContext(ctx, statement(end-start), args...)
		}
		if err != nil {
			return loaded, queryError(ctx.Err(), statement(end-start),
				fmt.Errorf("load %s rows %d-%d: %w", rel.Identifier, start+1, end, err))
		}
		loaded += int64(end - start)
	}
	return loaded, nil
}

// needsCast reports whether column i holds strings destined for a non-text
// type.
func needsCast(typ string, rows [][]any, i int) bool {
	switch strings.ToUpper(strings.TrimSpace(typ)) {
	case "VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "":
		return false
	}
	for _, r := range rows {
		if _, ok := r[i].(string); ok {
			return true
		}
	}
	return false
}

// loadLiterals is LoadRows through an Execer that cannot bind parameters:
// values are rendered as SQL literals by lit (value of column i).
func loadLiterals(ctx context.Context, tx Execer, insert string, placeholders []string, rows [][]any, batch int, lit func(i int, v any) string) (int64, error) {
	var loaded int64
	var b strings.Builder
	for start := 0; start < len(rows); start += batch {
		end := min(start+batch, len(rows))
		b.Reset()
		b.WriteString(insert)
		for ri, r := range rows[start:end] {
			if ri > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for i, v := range r {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strings.Replace(placeholders[i], "?", lit(i, v), 1))
			}
			b.WriteByte(')')
		}
		if _, err := tx.Exec(ctx, b.String()); err != nil {
			return loaded, err
		}
		loaded += int64(end - start)
	}
	return loaded, nil
}

// literal renders a value of a seed row in DuckDB SQL.
func literal(v any) string {
	d := dialect.DuckDB{}
	switch v := v.(type) {
	case nil:
		return "NULL"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "cast(" + d.Literal(strconv.FormatFloat(v, 'g', -1, 64)) + " as double)"
		}
		return strconv.FormatFloat(v, 'g', -1, 64) + "::double"
	case time.Time:
		return "timestamp " + d.Literal(v.UTC().Format("2006-01-02 15:04:05.999999"))
	case string:
		return d.Literal(v)
	default:
		return d.Literal(fmt.Sprint(v))
	}
}
