package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The high-water mark of an incremental model is kept in the
// kiln_watermarks table of its schema (docs/incremental.md, "The
// high-water mark"); these tests check that a run reads it instead of
// scanning the target, that it moves only with a committed batch, and that
// a full refresh or a hand edit of the target cannot leave it wrong.

const arrivalConfig = "materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at'"

// scanForMark is the statement that reads the mark from the target itself.
const scanForMark = "select cast(max(loaded_at) as varchar) from main.fct"

func watermarkRows(t *testing.T, dir string) []string {
	t.Helper()
	return rows(t, dir, "select relation_name, mark_column, mark_type, mark_value from main.kiln_watermarks order by 1")
}

// runStatements are the statements the last run executed for a model.
func runStatements(t *testing.T, dir, model string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "target/run/shop/models", model+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), ";\n"), ";\n\n")
}

// usesWatermark fails unless the last run read the stored mark and computed
// no maximum but the batch's.
func usesWatermark(t *testing.T, dir string) {
	t.Helper()
	stmts := runStatements(t, dir, "fct")
	read := false
	for _, s := range stmts {
		if strings.Contains(s, "from main.kiln_watermarks as w") {
			read = true
		}
		if strings.Contains(s, "max(") && !strings.Contains(s, "from kiln_batch__fct") {
			t.Errorf("the run computed a maximum outside the batch:\n%s", s)
		}
	}
	if !read {
		t.Errorf("the run did not read the watermark:\n%s", strings.Join(stmts, ";\n\n"))
	}
}

func scannedForMark(t *testing.T, dir string) bool {
	t.Helper()
	for _, s := range runStatements(t, dir, "fct") {
		if s == scanForMark {
			return true
		}
	}
	return false
}

func TestIncrementalWatermarkIsWhatTheRunUses(t *testing.T) {
	dir := project(t, incrementalProject(arrivalConfig))
	mustKiln(t, dir, 0, "run")
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2024-01-02 10:05:00"})
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00", "1,a2,2024-01-01 10:00:00,2024-01-03 11:00:00")
	mustKiln(t, dir, 0, "run")
	usesWatermark(t, dir)
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2024-01-03 11:00:00"})
	equal(t, rows(t, dir, "select id, val from main.fct order by id"), []string{"1|a2", "2|b", "3|c"})
	// A batch of nothing new keeps the mark.
	mustKiln(t, dir, 0, "run")
	usesWatermark(t, dir)
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2024-01-03 11:00:00"})
}

// A batch whose transaction fails after the watermark was written (here
// the watermark table rejects the new mark) leaves both the target and the
// watermark as they were: they are written in one transaction.
func TestIncrementalWatermarkRollsBackWithTheBatch(t *testing.T) {
	dir := project(t, incrementalProject(arrivalConfig))
	mustKiln(t, dir, 0, "run")
	before := rows(t, dir, "select * from main.fct order by id")
	mark := watermarkRows(t, dir)
	duckExec(t, dir,
		"create table main.kiln_watermarks_checked (relation_name varchar, mark_column varchar, mark_type varchar, mark_value varchar check (mark_value < '2024-01-03'), row_count bigint, updated_at timestamptz)",
		"insert into main.kiln_watermarks_checked (relation_name, mark_column, mark_type, mark_value, updated_at) select * from main.kiln_watermarks",
		"drop table main.kiln_watermarks",
		"alter table main.kiln_watermarks_checked rename to kiln_watermarks")
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	r := mustKiln(t, dir, 1, "run")
	if !strings.Contains(r.stdout, "CHECK constraint") {
		t.Fatalf("expected the watermark write to fail:\n%s", r.stdout)
	}
	equal(t, rows(t, dir, "select * from main.fct order by id"), before)
	equal(t, watermarkRows(t, dir), mark)
	equal(t, tables(t, dir), []string{"main.fct", "main.kiln_watermarks"})
}

// A full refresh after the source was reloaded with earlier arrival times
// resets the mark to the new table's; a row arriving between the new and
// the old mark is then taken by the next run.
func TestIncrementalWatermarkAfterFullRefreshMovesBack(t *testing.T) {
	dir := project(t, incrementalProject(arrivalConfig))
	mustKiln(t, dir, 0, "run")
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2024-01-02 10:05:00"})
	os.WriteFile(filepath.Join(dir, "data/events.csv"), []byte("id,val,event_at,loaded_at\n"+
		"1,a,2024-01-01 10:00:00,2023-06-01 10:05:00\n"+
		"2,b,2024-01-02 10:00:00,2023-06-02 10:05:00\n"), 0o644)
	mustKiln(t, dir, 0, "run", "--full-refresh")
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2023-06-02 10:05:00"})
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2023-12-01 10:05:00")
	mustKiln(t, dir, 0, "run")
	usesWatermark(t, dir)
	equal(t, rows(t, dir, "select id, cast(loaded_at as varchar) from main.fct order by id"),
		[]string{"1|2023-06-01 10:05:00", "2|2023-06-02 10:05:00", "3|2023-12-01 10:05:00"})
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2023-12-01 10:05:00"})
}

// Deleting the newest rows from the target by hand leaves no row at the
// stored mark: the next run does not trust it, reads max() from the table
// and takes the deleted rows again; the run after that uses the watermark
// again.
func TestIncrementalWatermarkAfterHandDelete(t *testing.T) {
	dir := project(t, incrementalProject(arrivalConfig))
	mustKiln(t, dir, 0, "run")
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	mustKiln(t, dir, 0, "run")
	all := rows(t, dir, "select * from main.fct order by id")
	duckExec(t, dir, "delete from main.fct where id in (2, 3)")
	mustKiln(t, dir, 0, "run")
	if !scannedForMark(t, dir) {
		t.Errorf("the run trusted the watermark after a hand delete:\n%s", strings.Join(runStatements(t, dir, "fct"), ";\n\n"))
	}
	equal(t, rows(t, dir, "select * from main.fct order by id"), all)
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2024-01-03 10:05:00"})
	mustKiln(t, dir, 0, "run")
	usesWatermark(t, dir)
}

// A table built by an older Kiln has no watermark: the run reads max()
// from it and stores the mark for the next.
func TestIncrementalWatermarkMissing(t *testing.T) {
	dir := project(t, incrementalProject(arrivalConfig))
	mustKiln(t, dir, 0, "run")
	duckExec(t, dir, "drop table main.kiln_watermarks")
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	mustKiln(t, dir, 0, "run")
	if !scannedForMark(t, dir) {
		t.Errorf("without a watermark the run must read max() from the table")
	}
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2024-01-03 10:05:00"})
	mustKiln(t, dir, 0, "run")
	usesWatermark(t, dir)
}

// sync_all_columns changing the mark column's type drops the mark; the
// next run reads it from the table.
func TestIncrementalWatermarkMarkColumnTypeChange(t *testing.T) {
	cfg := arrivalConfig + ", on_schema_change='sync_all_columns'"
	dir := project(t, incrementalProject(cfg))
	mustKiln(t, dir, 0, "run")
	os.WriteFile(filepath.Join(dir, "models/fct.sql"), []byte("{{ config("+cfg+") }}\nselect id, val, event_at, cast(loaded_at as timestamp_s) as loaded_at from {{ source('raw', 'events') }}"), 0o644)
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	mustKiln(t, dir, 0, "run")
	equal(t, watermarkRows(t, dir), nil)
	appendCSV(t, dir, "4,d,2024-01-04 10:00:00,2024-01-04 10:05:00")
	mustKiln(t, dir, 0, "run")
	if !scannedForMark(t, dir) {
		t.Errorf("after the mark was dropped the run must read max() from the table")
	}
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP_S|2024-01-04 10:05:00"})
	equal(t, rows(t, dir, "select id from main.fct order by id"), []string{"1", "2", "3", "4"})
}

// Incremental models of one schema built at the same time share the
// schema's watermark table; creating it must not fail one of them.
func TestIncrementalWatermarksOfParallelModels(t *testing.T) {
	files := incrementalProject(arrivalConfig)
	body := files["models/fct.sql"]
	for i := 1; i <= 4; i++ {
		files[fmt.Sprintf("models/fct_%d.sql", i)] = body
	}
	dir := project(t, files)
	mustKiln(t, dir, 0, "run", "--threads", "4")
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	mustKiln(t, dir, 0, "run", "--threads", "4")
	equal(t, rows(t, dir, "select relation_name, mark_value from main.kiln_watermarks order by 1"), []string{
		"fct|2024-01-03 10:05:00", "fct_1|2024-01-03 10:05:00", "fct_2|2024-01-03 10:05:00",
		"fct_3|2024-01-03 10:05:00", "fct_4|2024-01-03 10:05:00",
	})
}

// On Snowflake (the stand-in) the mark is kept the same way: the second
// run reads it, and a hand delete makes the third read max() again.
func TestIncrementalWatermarkSnowflake(t *testing.T) {
	tg := standinTarget(t)
	create := "create table %s.events (id integer, val varchar, event_at timestamp, loaded_at timestamp)"
	raw := tg.database + "." + tg.raw
	tg.exec(t, "create schema if not exists "+raw, fmt.Sprintf(create, raw), "insert into "+raw+".events values "+strings.Join(firstEvents, ", "))
	dir := sfProject(t, tg, incrementalTableProject(tg.raw))
	sfKiln(t, tg, dir, 0, "run")
	wm := "select mark_value from " + tg.rel("kiln_watermarks") + " where relation_name = 'fct'"
	equal(t, tg.rows(t, wm), []string{"2024-01-02 10:05:00"})
	tg.exec(t, "insert into "+raw+".events values "+strings.Join(lateEvents, ", "))
	sfKiln(t, tg, dir, 0, "run")
	executed, _ := os.ReadFile(filepath.Join(dir, "target/run/shop/models/fct.sql"))
	scan := "select cast(max(loaded_at) as varchar) from " + tg.rel("fct")
	if !strings.Contains(string(executed), "from "+tg.rel("kiln_watermarks")+" as w") || strings.Contains(string(executed), scan) {
		t.Errorf("the second run should read the watermark, not max():\n%s", executed)
	}
	equal(t, tg.rows(t, wm), []string{"2024-01-03 12:00:00"})
	q := "select id, val from " + tg.rel("fct") + " order by id"
	all := tg.rows(t, q)
	equal(t, all, []string{"1|a3", "2|b", "3|c"})
	tg.exec(t, "delete from "+tg.rel("fct")+" where id in (1, 3)")
	sfKiln(t, tg, dir, 0, "run")
	executed, _ = os.ReadFile(filepath.Join(dir, "target/run/shop/models/fct.sql"))
	if !strings.Contains(string(executed), scan) {
		t.Errorf("after a hand delete the run should read max():\n%s", executed)
	}
	equal(t, tg.rows(t, q), all)
}

// clean-env drops Kiln's watermark table with the nodes, so the schema
// goes too.
func TestCleanEnvDropsWatermarks(t *testing.T) {
	files := shop()
	files["profiles.yml"] = `shop:
  target: ci
  outputs:
    ci:
      type: duckdb
      path: target/shop.duckdb
      schema: pr_7
`
	files["models/marts/orders_inc.sql"] = "{{ config(materialized='incremental', unique_key='order_id', arrival_time='ordered_at') }}\nselect order_id, ordered_at from {{ ref('raw_orders') }}"
	dir := project(t, files)
	mustKiln(t, dir, 0, "build")
	equal(t, rows(t, dir, "select relation_name from pr_7.kiln_watermarks"), []string{"orders_inc"})
	r := mustKiln(t, dir, 0, "clean-env", "--yes")
	if !strings.Contains(r.stdout, "kiln_watermarks") || !strings.Contains(r.stdout, "Dropped schema") {
		t.Fatalf("clean-env --yes:\n%s", r.output())
	}
	equal(t, rows(t, dir, "select count(*) from information_schema.schemata where schema_name = 'pr_7'"), []string{"0"})
}

// An incremental model's hooks run once per build, its full build too.
func TestIncrementalHooksRunOnce(t *testing.T) {
	dir := project(t, map[string]string{
		"models/fct.sql": "{{ config(materialized='incremental', unique_key='id', arrival_time='loaded_at', pre_hook=\"create table if not exists main.hook_log (what varchar)\", post_hook=\"insert into main.hook_log values ('post')\") }}\nselect 1 as id, timestamp '2024-01-01 00:00:00' as loaded_at",
	})
	mustKiln(t, dir, 0, "run")
	equal(t, rows(t, dir, "select count(*) from main.hook_log"), []string{"1"})
	mustKiln(t, dir, 0, "run")
	equal(t, rows(t, dir, "select count(*) from main.hook_log"), []string{"2"})
	mustKiln(t, dir, 0, "run", "--full-refresh")
	equal(t, rows(t, dir, "select count(*) from main.hook_log"), []string{"3"})
}

// A batch whose newest change is a delete leaves no row at its arrival
// time, so the mark is the newest row the batch kept: the next run can
// trust it and reads no max() from the table, and the delete taken again
// changes nothing.
func TestIncrementalWatermarkSkipsDeletedRows(t *testing.T) {
	dir := project(t, fivetranProject("{{ config(materialized='incremental', unique_key='customer_id') }}\nselect * from {{ source('crm', 'customers') }}"))
	mustKiln(t, dir, 0, "run")
	writeCustomers(t, dir, `1,Ann,false,2024-01-01 10:00:00
2,Bob,false,2024-01-01 10:00:00
3,Cy,false,2024-01-01 10:00:00
3,Cyrus,false,2024-01-02 09:00:00
2,Bob,true,2024-01-02 10:00:00
`)
	mustKiln(t, dir, 0, "run")
	wm := "select mark_value from main.kiln_watermarks where relation_name = 'dim_customer'"
	equal(t, rows(t, dir, wm), []string{"2024-01-02 09:00:00"})
	mustKiln(t, dir, 0, "run")
	for _, s := range runStatements(t, dir, "dim_customer") {
		if strings.Contains(s, "max(") && !strings.Contains(s, "from kiln_batch__dim_customer") {
			t.Errorf("the run computed a maximum outside the batch:\n%s", s)
		}
	}
	equal(t, rows(t, dir, "select customer_id, name from main.dim_customer order by 1"), []string{"1|Ann", "3|Cyrus"})
}

// A build that leaves the table empty stores an empty mark: the next run
// trusts it while the table is still empty (no scan of the target), and
// reads max() from the table again once rows got there some other way.
func TestIncrementalWatermarkOfAnEmptyTable(t *testing.T) {
	files := incrementalProject(arrivalConfig)
	files["models/fct.sql"] += "\nwhere val <> 'skip'"
	files["data/events.csv"] = "id,val,event_at,loaded_at\n1,skip,2024-01-01 10:00:00,2024-01-01 10:05:00\n"
	dir := project(t, files)
	mustKiln(t, dir, 0, "run")
	equal(t, rows(t, dir, "select count(*) from main.fct"), []string{"0"})
	empty := watermarkRows(t, dir)
	if len(empty) != 1 || !strings.HasPrefix(empty[0], "fct|loaded_at|TIMESTAMP|") {
		t.Fatalf("watermark after an empty build: %v", empty)
	}

	mustKiln(t, dir, 0, "run")
	if scannedForMark(t, dir) {
		t.Errorf("the run scanned the table although its stored mark says it is empty:\n%s", strings.Join(runStatements(t, dir, "fct"), ";\n\n"))
	}
	equal(t, watermarkRows(t, dir), empty)

	// Rows put in by hand: the empty mark no longer holds.
	duckExec(t, dir, "insert into main.fct values (7, 'h', timestamp '2024-01-05 10:00:00', timestamp '2024-01-05 10:05:00')")
	appendCSV(t, dir, "2,b,2024-01-06 10:00:00,2024-01-06 10:05:00")
	mustKiln(t, dir, 0, "run")
	if !scannedForMark(t, dir) {
		t.Errorf("the run trusted an empty mark for a table that has rows")
	}
	equal(t, rows(t, dir, "select id from main.fct order by id"), []string{"2", "7"})
	equal(t, watermarkRows(t, dir), []string{"fct|loaded_at|TIMESTAMP|2024-01-06 10:05:00"})
}
