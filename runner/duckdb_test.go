package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler/dialect"
)

func openTestDuckDB(t *testing.T, cfg DuckDBConfig) *DuckDB {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "nested", "dir", "kiln.duckdb")
	}
	w, err := OpenDuckDB(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func mustExec(t *testing.T, e Execer, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := e.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s\n=> %v", s, err)
		}
	}
}

func mustInt(t *testing.T, e Execer, q string) int64 {
	t.Helper()
	n, err := e.QueryInt(context.Background(), q)
	if err != nil {
		t.Fatalf("%s\n=> %v", q, err)
	}
	return n
}

func mustKind(t *testing.T, w *DuckDB, rel dialect.Relation) dialect.Kind {
	t.Helper()
	k, err := w.RelationKind(context.Background(), rel)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// replace runs a dialect's statement batch in one InTx, as the runner does.
func replace(ctx context.Context, w *DuckDB, stmts []string) error {
	return w.InTx(ctx, func(tx Execer) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestDuckDBReplaceInTx(t *testing.T) {
	ctx := context.Background()
	w := openTestDuckDB(t, DuckDBConfig{Threads: 2})
	if _, err := os.Stat(w.Path()); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	d := w.Dialect()
	rel := dialect.Relation{Schema: "analytics", Identifier: "Orders"}
	tmp := dialect.Relation{Schema: "analytics", Identifier: "Orders__kiln_tmp"}
	mustExec(t, w, d.CreateSchema("", "analytics"))

	steps := []struct {
		name  string
		stmts []string
		kind  dialect.Kind
		rows  int64
	}{
		{"create table", d.ReplaceTable(rel, "select i as id, 'x' as name from range(3) t(i)", dialect.KindNone), dialect.KindTable, 3},
		{"swap table", d.ReplaceTable(rel, "select i as id, 'y' as name from range(5) t(i)", dialect.KindTable), dialect.KindTable, 5},
		{"table to view", d.ReplaceView(rel, "select 1 as id, 'z' as name", dialect.KindTable), dialect.KindView, 1},
		{"view to table", d.ReplaceTable(rel, "select i as id, 'w' as name from range(4) t(i)", dialect.KindView), dialect.KindTable, 4},
	}
	for _, s := range steps {
		if err := replace(ctx, w, s.stmts); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if k := mustKind(t, w, rel); k != s.kind {
			t.Errorf("%s: kind %q, want %q", s.name, k, s.kind)
		}
		if n := mustInt(t, w, "select count(*) from "+d.Render(rel)); n != s.rows {
			t.Errorf("%s: %d rows, want %d", s.name, n, s.rows)
		}
		if k := mustKind(t, w, tmp); k != dialect.KindNone {
			t.Errorf("%s: %s left behind", s.name, tmp.Identifier)
		}
	}
	cols, err := w.Columns(ctx, dialect.Relation{Schema: "ANALYTICS", Identifier: "orders"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []dialect.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "VARCHAR"}}; fmt.Sprint(cols) != fmt.Sprint(want) {
		t.Errorf("Columns = %v, want %v", cols, want)
	}
	if k := mustKind(t, w, dialect.Relation{Identifier: "nope"}); k != dialect.KindNone {
		t.Errorf("missing relation has kind %q", k)
	}
}

func TestDuckDBReplaceRollsBack(t *testing.T) {
	ctx := context.Background()
	w := openTestDuckDB(t, DuckDBConfig{})
	d := w.Dialect()
	rel := dialect.Relation{Schema: "main", Identifier: "t"}
	if err := replace(ctx, w, d.ReplaceTable(rel, "select i from range(4) t(i)", dialect.KindNone)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stmts []string
	}{
		// The second statement (the create) is invalid SQL.
		{"invalid model sql", d.ReplaceTable(rel, "select from where", dialect.KindTable)},
		// Everything ran, the swap included, and then a statement failed.
		{"failure after swap", append(d.ReplaceView(rel, "select 1 as x", dialect.KindTable), "insert into nowhere values (1)")},
	} {
		err := replace(ctx, w, tc.stmts)
		var qe *QueryError
		if !errors.As(err, &qe) || qe.SQL == "" {
			t.Fatalf("%s: error %v, want a *QueryError", tc.name, err)
		}
		if k := mustKind(t, w, rel); k != dialect.KindTable {
			t.Errorf("%s: kind %q after rollback", tc.name, k)
		}
		if n := mustInt(t, w, "select sum(i) from t"); n != 6 {
			t.Errorf("%s: sum %d after rollback, want 6", tc.name, n)
		}
		if k := mustKind(t, w, dialect.Relation{Identifier: "t__kiln_tmp"}); k != dialect.KindNone {
			t.Errorf("%s: tmp relation left behind", tc.name)
		}
	}
}

// TestDuckDBParallelReplace builds tables from several goroutines at once,
// as --threads does.
func TestDuckDBParallelReplace(t *testing.T) {
	ctx := context.Background()
	w := openTestDuckDB(t, DuckDBConfig{Threads: 4})
	d := w.Dialect()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			rel := dialect.Relation{Schema: "main", Identifier: fmt.Sprintf("m%d", i)}
			for round := range 3 {
				kind := dialect.KindNone
				if round > 0 {
					kind = dialect.KindTable
				}
				if err := replace(ctx, w, d.ReplaceTable(rel, fmt.Sprintf("select * from range(%d)", i+round), kind)); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("m%d: %v", i, err)
			continue
		}
		if n := mustInt(t, w, fmt.Sprintf("select count(*) from m%d", i)); n != int64(i+2) {
			t.Errorf("m%d has %d rows, want %d", i, n, i+2)
		}
	}
}

const longQuery = "select count(*) from range(1000000000000) a(i) where i % 7 = 3"

func TestDuckDBCancel(t *testing.T) {
	w := openTestDuckDB(t, DuckDBConfig{Path: ":memory:", Threads: 2})
	check := func(name string, run func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		err := run(ctx)
		took := time.Since(start)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", name, err)
		}
		if took > 3*time.Second {
			t.Errorf("%s: returned %v after start, want promptly after the cancel at 200ms", name, took)
		}
	}
	check("QueryInt", func(ctx context.Context) error { _, err := w.QueryInt(ctx, longQuery); return err })
	check("Exec", func(ctx context.Context) error {
		_, err := w.Exec(ctx, "create table big as "+longQuery)
		return err
	})
	check("InTx", func(ctx context.Context) error {
		return w.InTx(ctx, func(tx Execer) error {
			if _, err := tx.Exec(ctx, "create table partial as select 1 as x"); err != nil {
				return err
			}
			_, err := tx.QueryInt(ctx, longQuery)
			return err
		})
	})
	if k := mustKind(t, w, dialect.Relation{Identifier: "partial"}); k != dialect.KindNone {
		t.Error("cancelled transaction left its table behind")
	}
	// The pool is still usable afterwards.
	if n := mustInt(t, w, "select 42"); n != 42 {
		t.Errorf("select 42 = %d", n)
	}
}

const lockHelperEnv = "KILN_TEST_DUCKDB_LOCK_HOLDER"

// TestDuckDBLockHolder is not a test: run as a subprocess by
// TestDuckDBLockedByOtherProcess, it holds the database open until stdin
// closes.
func TestDuckDBLockHolder(t *testing.T) {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		t.Skip("helper process for TestDuckDBLockedByOtherProcess")
	}
	w, err := OpenDuckDB(context.Background(), DuckDBConfig{Path: path})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer w.Close()
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
}

func TestDuckDBLockedByOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDuckDBLockHolder$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper said %q", line)
	}

	_, err = OpenDuckDB(context.Background(), DuckDBConfig{Path: path})
	t.Log(err)
	var inUse *DatabaseInUseError
	if !errors.As(err, &inUse) {
		t.Fatalf("error %v, want *DatabaseInUseError", err)
	}
	if inUse.PID != cmd.Process.Pid || inUse.ExitCode() != 2 {
		t.Errorf("PID %d exit %d, want PID %d exit 2", inUse.PID, inUse.ExitCode(), cmd.Process.Pid)
	}
	want := fmt.Sprintf("database %s is in use by another process (pid %d, ", path, cmd.Process.Pid)
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q\nwant prefix %q", err, want)
	}
}

func TestLockErrorWithoutPID(t *testing.T) {
	err := lockError("x.duckdb", errors.New(`IO Error: Could not set lock on file "x.duckdb": Resource temporarily unavailable`))
	want := "database x.duckdb is in use by another process; close it (or point the profile at another path) and retry"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if other := errors.New("boom"); lockError("x", other) != other {
		t.Error("unrelated error was translated")
	}
}

func TestDuckDBSettingsAndExtensions(t *testing.T) {
	w := openTestDuckDB(t, DuckDBConfig{
		Path:       ":memory:",
		Settings:   map[string]string{"default_null_order": "nulls_first", "threads": "2"},
		Extensions: []string{"parquet"},
	})
	if n := mustInt(t, w, "select count(*) from duckdb_settings() where name = 'default_null_order' and value = 'NULLS_FIRST'"); n != 1 {
		t.Error("setting default_null_order not applied")
	}
	if n := mustInt(t, w, "select current_setting('threads')"); n != 2 {
		t.Errorf("threads = %d", n)
	}
	if n := mustInt(t, w, "select count(*) from duckdb_extensions() where extension_name = 'parquet' and loaded"); n != 1 {
		t.Error("parquet not loaded")
	}
	if _, err := OpenDuckDB(context.Background(), DuckDBConfig{Path: ":memory:", Settings: map[string]string{"no_such_setting": "1"}}); err == nil {
		t.Error("unknown setting accepted")
	}
}

// wrapped hides the transaction's type, as a recording wrapper does;
// LoadRows then falls back to literal SQL.
type wrapped struct{ Execer }

func TestDuckDBLoadRows(t *testing.T) {
	ctx := context.Background()
	w := openTestDuckDB(t, DuckDBConfig{})
	d := w.Dialect()
	cols := []dialect.Column{
		{Name: "id", Type: "INTEGER"},
		{Name: "name", Type: "VARCHAR"},
		{Name: "day", Type: "DATE"},
		{Name: "at", Type: "TIMESTAMP"},
		{Name: "price", Type: "DECIMAL(10,2)"}, // column_types override: string values
		{Name: "ok", Type: "BOOLEAN"},
		{Name: "Order", Type: "DOUBLE"},
	}
	const n = 10000
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, n)
	for i := range rows {
		r := []any{int64(i), fmt.Sprintf("O'Brien \"%d\"; --", i), base.AddDate(0, 0, i%366),
			base.Add(time.Duration(i) * 1500 * time.Millisecond), fmt.Sprintf("%d.%02d", i, i%100), i%2 == 0, float64(i) / 4}
		if i%10 == 0 {
			for j := 1; j < len(r); j++ {
				r[j] = nil
			}
		}
		rows[i] = r
	}
	for _, tc := range []struct {
		name string
		via  func(tx Execer) Execer
	}{
		{"prepared", func(tx Execer) Execer { return tx }},
		{"literals", func(tx Execer) Execer { return wrapped{tx} }},
	} {
		rel := dialect.Relation{Schema: "main", Identifier: "seed_" + tc.name}
		start := time.Now()
		err := w.InTx(ctx, func(tx Execer) error {
			if _, err := tx.Exec(ctx, d.CreateTable(rel, cols)); err != nil {
				return err
			}
			got, err := w.LoadRows(ctx, tc.via(tx), rel, cols, rows)
			if got != n {
				t.Errorf("%s: loaded %d rows, want %d", tc.name, got, n)
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s: %d rows in %v", tc.name, n, time.Since(start))
		tbl := d.Render(rel)
		checks := map[string]int64{
			"select count(*) from " + tbl:                                                     n,
			"select count(*) from " + tbl + " where name is null":                             n / 10,
			"select count(*) from " + tbl + ` where day is null and "at" is null`:             n / 10,
			"select count(*) from " + tbl + ` where name = 'O''Brien "1"; --'`:                1,
			"select count(*) from " + tbl + " where day = date '2024-12-31'":                  countRows(n, func(i int) bool { return i%366 == 365 && i%10 != 0 }),
			"select count(*) from " + tbl + ` where "at" = timestamp '2024-01-01 00:00:01.5'`: 1,
			"select count(*) from " + tbl + " where price = 12.12 and id = 12":                1,
			"select count(*) from " + tbl + " where ok":                                       n/2 - n/10,
			`select cast(sum("Order") * 4 as bigint) from ` + tbl:                             sumNotTenth(n),
		}
		for q, want := range checks {
			if got := mustInt(t, w, q); got != want {
				t.Errorf("%s: %s = %d, want %d", tc.name, q, got, want)
			}
		}
	}
}

func countRows(n int, keep func(int) bool) int64 {
	var c int64
	for i := range n {
		if keep(i) {
			c++
		}
	}
	return c
}

func sumNotTenth(n int) int64 {
	var s int64
	for i := range n {
		if i%10 != 0 {
			s += int64(i)
		}
	}
	return s
}

func TestDuckDBLoadRowsRollsBack(t *testing.T) {
	ctx := context.Background()
	w := openTestDuckDB(t, DuckDBConfig{Path: ":memory:"})
	mustExec(t, w, "create table s (id integer, price decimal(10,2))")
	rows := [][]any{{int64(1), "1.50"}, {int64(2), "not a number"}}
	err := w.InTx(ctx, func(tx Execer) error {
		_, err := w.LoadRows(ctx, tx, dialect.Relation{Identifier: "s"}, []dialect.Column{{Name: "id", Type: "INTEGER"}, {Name: "price", Type: "DECIMAL(10,2)"}}, rows)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "not a number") {
		t.Fatalf("error %v, want a conversion error naming the value", err)
	}
	if n := mustInt(t, w, "select count(*) from s"); n != 0 {
		t.Errorf("%d rows left after rollback", n)
	}
}

// BenchmarkDuckDBLoadRows loads 10,000 seed-like rows per iteration.
func BenchmarkDuckDBLoadRows(b *testing.B) {
	ctx := context.Background()
	w, err := OpenDuckDB(ctx, DuckDBConfig{Path: ":memory:"})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	cols := []dialect.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "VARCHAR"}, {Name: "day", Type: "DATE"}, {Name: "amount", Type: "DOUBLE"}}
	rows := make([][]any, 10000)
	for i := range rows {
		rows[i] = []any{int64(i), fmt.Sprint("name ", i), time.Date(2024, 1, 1+i%28, 0, 0, 0, 0, time.UTC), float64(i) / 3}
	}
	rel := dialect.Relation{Identifier: "bench"}
	b.ResetTimer()
	for b.Loop() {
		err := w.InTx(ctx, func(tx Execer) error {
			if _, err := tx.Exec(ctx, "create or replace table bench (id bigint, name varchar, day date, amount double)"); err != nil {
				return err
			}
			_, err := w.LoadRows(ctx, tx, rel, cols, rows)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
