package dialect_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// openDuckDB returns one connection to a fresh in-memory DuckDB, so that
// begin/commit apply to the statements between them.
func openDuckDB(t *testing.T) *sql.Conn {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func mustExec(t *testing.T, c *sql.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := c.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s\n=> %v", s, err)
		}
	}
}

func count(t *testing.T, c *sql.Conn, q string) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s\n=> %v", q, err)
	}
	return n
}

// inTx runs stmts in one transaction, rolling back at the first failure.
func inTx(c *sql.Conn, stmts []string) error {
	ctx := context.Background()
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func kindOf(t *testing.T, c *sql.Conn, schema, name string) string {
	t.Helper()
	var k string
	err := c.QueryRowContext(context.Background(),
		"select table_type from information_schema.tables where table_schema = ? and table_name = ?", schema, name).Scan(&k)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDuckDBReplaceExecutes(t *testing.T) {
	c := openDuckDB(t)
	r := dialect.Relation{Schema: "Select", Identifier: "my model"} // both need quoting
	mustExec(t, c, duck.CreateSchema("", r.Schema), duck.CreateSchema("", r.Schema))

	steps := []struct {
		name     string
		stmts    []string
		wantKind string
		wantRows int64
	}{
		{"new table", duck.ReplaceTable(r, "select * from range(3)", dialect.KindNone), "BASE TABLE", 3},
		{"table over table", duck.ReplaceTable(r, "select * from range(5);", dialect.KindTable), "BASE TABLE", 5},
		{"view over table", duck.ReplaceView(r, "select * from range(7) -- c", dialect.KindTable), "VIEW", 7},
		{"view over view", duck.ReplaceView(r, "select * from range(8)", dialect.KindView), "VIEW", 8},
		{"table over view", duck.ReplaceTable(r, "select * from range(2)", dialect.KindView), "BASE TABLE", 2},
	}
	for _, s := range steps {
		if err := inTx(c, s.stmts); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if k := kindOf(t, c, r.Schema, r.Identifier); k != s.wantKind {
			t.Errorf("%s: kind %q, want %q", s.name, k, s.wantKind)
		}
		if n := count(t, c, "select count(*) from "+duck.Render(r)); n != s.wantRows {
			t.Errorf("%s: %d rows, want %d", s.name, n, s.wantRows)
		}
		if k := kindOf(t, c, r.Schema, r.Identifier+"__kiln_tmp"); k != "" {
			t.Errorf("%s: temporary relation left behind (%s)", s.name, k)
		}
	}
}

func TestDuckDBReplaceRollsBack(t *testing.T) {
	c := openDuckDB(t)
	r := dialect.Relation{Schema: "main", Identifier: "t"}
	mustExec(t, c, duck.ReplaceTable(r, "select * from range(4)", dialect.KindNone)...)

	for _, tc := range []struct {
		name  string
		stmts []string
	}{
		// The model's SQL fails: nothing after the create runs.
		{"bad sql", duck.ReplaceTable(r, "select nope from range(4)", dialect.KindTable)},
		// The swap is done and then a later statement of the batch fails.
		{"late failure", append(duck.ReplaceView(r, "select 1 as x", dialect.KindTable), "select * from missing_table")},
	} {
		if err := inTx(c, tc.stmts); err == nil {
			t.Fatalf("%s: no error", tc.name)
		}
		if k := kindOf(t, c, "main", "t"); k != "BASE TABLE" {
			t.Errorf("%s: kind %q after rollback", tc.name, k)
		}
		if n := count(t, c, "select count(*) from t"); n != 4 {
			t.Errorf("%s: %d rows after rollback, want 4", tc.name, n)
		}
		if k := kindOf(t, c, "main", "t__kiln_tmp"); k != "" {
			t.Errorf("%s: temporary relation left behind", tc.name)
		}
	}
}

// TestDuckDBDataTests runs each data-test query against data with and
// without failures and checks the failure count through CountRows.
func TestDuckDBDataTests(t *testing.T) {
	c := openDuckDB(t)
	mustExec(t, c,
		duck.CreateTable(dialect.Relation{Identifier: "customers"}, []dialect.Column{{Name: "id", Type: "INTEGER"}}),
		`insert into customers values (1), (2), (3)`,
		duck.CreateTable(dialect.Relation{Identifier: "orders"}, []dialect.Column{
			{Name: "id", Type: "INTEGER"}, {Name: "customer_id", Type: "INTEGER"},
			{Name: "Order", Type: "VARCHAR"}, {Name: "name", Type: "VARCHAR"}, {Name: "n", Type: "INTEGER"},
		}),
		`insert into orders values
			(1, 1,    'a', 'O''Brien',        1),
			(2, 2,    'b', 'x; drop table customers; --', 2),
			(3, NULL, 'c', 'plain',           1),
			(4, 9,    'c', NULL,              3),
			(NULL, 8, NULL, 'plain',          2)`,
	)
	okNames := []string{"O'Brien", "x; drop table customers; --", "plain"}
	cases := []struct {
		name string
		sql  string
		want int64
	}{
		{"unique ok", duck.TestUnique("orders", "id", ""), 0},
		{"unique fails", duck.TestUnique("orders", "Order", ""), 1},
		{"unique where", duck.TestUnique("orders", "Order", "id < 3"), 0},
		{"not_null fails", duck.TestNotNull("orders", "id", ""), 1},
		{"not_null where", duck.TestNotNull("orders", "id", "customer_id < 5"), 0},
		{"not_null ok", duck.TestNotNull("customers", "id", ""), 0},
		{"accepted_values ok", duck.TestAcceptedValues("orders", "name", okNames, true, ""), 0},
		{"accepted_values fails", duck.TestAcceptedValues("orders", "name", okNames[1:], true, ""), 1},
		{"accepted_values semicolon missing", duck.TestAcceptedValues("orders", "name", okNames[:1], true, ""), 2},
		{"accepted_values unquoted ok", duck.TestAcceptedValues("orders", "n", []string{"1", "2", "3"}, false, ""), 0},
		{"accepted_values unquoted fails", duck.TestAcceptedValues("orders", "n", []string{"1", "2"}, false, ""), 1},
		{"accepted_values where", duck.TestAcceptedValues("orders", "n", []string{"1", "2"}, false, "id <> 4"), 0},
		{"accepted_values none", duck.TestAcceptedValues("orders", "n", nil, true, ""), 3},
		{"relationships fails", duck.TestRelationships("orders", "customer_id", "customers", "id", ""), 2},
		{"relationships where", duck.TestRelationships("orders", "customer_id", "customers", "id", "id <= 3"), 0},
		{"relationships ok", duck.TestRelationships("customers", "id", "customers", "id", ""), 0},
	}
	for _, tc := range cases {
		if got := count(t, c, duck.CountRows(tc.sql)); got != tc.want {
			t.Errorf("%s: %d failures, want %d\n%s", tc.name, got, tc.want, tc.sql)
		}
	}
	if n := count(t, c, "select count(*) from customers"); n != 3 {
		t.Errorf("customers has %d rows", n)
	}
}
