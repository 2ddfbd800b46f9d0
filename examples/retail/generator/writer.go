package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// column of a raw table; typ is a DuckDB type.
type column struct{ name, typ string }

// table is one raw source table: rows are buffered in Go for one chunk of
// days, appended to an in-memory DuckDB table, and copied to Parquet when the
// run ends or the table reaches --rows-per-file (so memory stays bounded).
type table struct {
	source, name string
	cols         []column
	buf          [][]driver.Value
	pending      int64 // rows in the DuckDB staging table
	total        int64
	parts        int
}

func (t *table) add(row ...driver.Value) { t.buf = append(t.buf, row) }

func (t *table) staging() string { return t.source + "__" + t.name }

// writer owns the in-memory DuckDB used to turn rows into Parquet files.
type writer struct {
	ctx         context.Context
	db          *sql.DB
	conn        *sql.Conn
	out         string
	label       string // file name stem: "0000" for a full run, a timestamp for a stream batch
	rowsPerFile int64
	tables      []*table
}

func newWriter(ctx context.Context, out, label string, rowsPerFile int64) (*writer, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	return &writer{ctx: ctx, db: db, conn: conn, out: out, label: label, rowsPerFile: rowsPerFile}, nil
}

func (w *writer) table(source, name string, cols ...column) *table {
	t := &table{source: source, name: name, cols: cols}
	w.tables = append(w.tables, t)
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = fmt.Sprintf("%q %s", c.name, c.typ)
	}
	w.must(fmt.Sprintf("create table %s (%s)", t.staging(), strings.Join(defs, ", ")))
	return t
}

func (w *writer) must(q string) {
	if _, err := w.conn.ExecContext(w.ctx, q); err != nil {
		fatalf("duckdb: %v\n%s", err, q)
	}
}

// flush moves buffered rows into DuckDB and writes a Parquet part when a
// table has grown past rowsPerFile (or always, when final).
func (w *writer) flush(final bool) {
	for _, t := range w.tables {
		if len(t.buf) > 0 {
			err := w.conn.Raw(func(dc any) error {
				app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", t.staging())
				if err != nil {
					return err
				}
				for _, r := range t.buf {
					if err := app.AppendRow(r...); err != nil {
						app.Close()
						return fmt.Errorf("%s: %w", t.staging(), err)
					}
				}
				return app.Close()
			})
			if err != nil {
				fatalf("append: %v", err)
			}
			t.pending += int64(len(t.buf))
			t.total += int64(len(t.buf))
			t.buf = t.buf[:0]
		}
		if t.pending > 0 && (final || t.pending >= w.rowsPerFile) {
			w.copyPart(t)
		}
	}
}

func (w *writer) copyPart(t *table) {
	dir := filepath.Join(w.out, t.source, t.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatalf("%v", err)
	}
	name := "part-" + w.label
	if t.parts > 0 || (t.pending >= w.rowsPerFile && w.rowsPerFile > 0) {
		name = fmt.Sprintf("part-%s-%03d", w.label, t.parts)
	}
	path := filepath.Join(dir, name+".parquet")
	if _, err := os.Stat(path); err == nil {
		fatalf("%s already exists; refusing to overwrite raw files", path)
	}
	w.must(fmt.Sprintf("copy %s to '%s' (format parquet, compression zstd, row_group_size 122880)", t.staging(), strings.ReplaceAll(path, "'", "''")))
	w.must("delete from " + t.staging())
	t.pending = 0
	t.parts++
}

func (w *writer) close() {
	w.conn.Close()
	w.db.Close()
}
