package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// events.csv is appended to between runs; the model reads it as a source.
func incrementalProject(config string) map[string]string {
	return map[string]string{
		"data/events.csv": "id,val,event_at,loaded_at\n1,a,2024-01-01 10:00:00,2024-01-01 10:05:00\n2,b,2024-01-02 10:00:00,2024-01-02 10:05:00\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    tables:
      - name: events
        config: {external_location: "data/events.csv"}
`,
		"models/fct.sql": "{{ config(" + config + ") }}\nselect id, val, event_at, loaded_at from {{ source('raw', 'events') }}",
	}
}

func appendCSV(t *testing.T, dir string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "data/events.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(strings.Join(lines, "\n") + "\n")
}

func TestIncrementalMergeWithLateCorrection(t *testing.T) {
	dir := project(t, incrementalProject("materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at'"))
	r := mustKiln(t, dir, 0, "run")
	if !strings.Contains(r.stdout, "SELECT 2") {
		t.Fatalf("first run should build the table:\n%s", r.stdout)
	}
	// A new row, a correction of id 1 arriving late, and a duplicate key in
	// the batch: the latest arrival wins.
	appendCSV(t, dir,
		"3,c,2024-01-03 10:00:00,2024-01-03 10:05:00",
		"1,a2,2024-01-01 10:00:00,2024-01-03 11:00:00",
		"1,a3,2024-01-01 10:00:00,2024-01-03 12:00:00",
	)
	r = mustKiln(t, dir, 0, "run")
	if !strings.Contains(r.stdout, "MERGE") {
		t.Fatalf("second run should merge:\n%s", r.stdout)
	}
	incremental := rows(t, dir, "select id, val from main.fct order by id")
	equal(t, incremental, []string{"1|a3", "2|b", "3|c"})
	mustKiln(t, dir, 0, "run", "--full-refresh")
	equal(t, rows(t, dir, "select id, val from main.fct order by id"), incremental)
}

func TestIncrementalExecutedSQL(t *testing.T) {
	dir := project(t, incrementalProject("materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at'"))
	mustKiln(t, dir, 0, "run")
	mustKiln(t, dir, 0, "run")
	const reduce = "qualify row_number() over (partition by id order by kiln_src.loaded_at desc nulls last, kiln_src.event_at desc nulls last) = 1"
	executed, _ := os.ReadFile(filepath.Join(dir, "target/run/shop/models/fct.sql"))
	for _, want := range []string{
		"kiln_src.loaded_at >= cast('2024-01-02 10:05:00' as TIMESTAMP)",
		"select exists (select 1 from temp.kiln_batch__fct__rows group by id having count(*) > 1)",
		"merge into main.fct as DBT_INTERNAL_DEST",
		"DBT_INTERNAL_DEST.event_at >= cast(",
	} {
		if !strings.Contains(string(executed), want) {
			t.Errorf("executed SQL lacks %q:\n%s", want, executed)
		}
	}
	// No key repeats in that batch: the window is skipped.
	if strings.Contains(string(executed), "qualify") {
		t.Errorf("a batch without repeated keys was reduced:\n%s", executed)
	}
	// One that repeats a key is reduced.
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00", "3,c2,2024-01-03 10:00:00,2024-01-03 10:06:00")
	mustKiln(t, dir, 0, "run")
	executed, _ = os.ReadFile(filepath.Join(dir, "target/run/shop/models/fct.sql"))
	if !strings.Contains(string(executed), reduce) {
		t.Errorf("executed SQL lacks %q:\n%s", reduce, executed)
	}
	equal(t, rows(t, dir, "select id, val from main.fct where id = 3"), []string{"3|c2"})
}

func TestIncrementalFailureLeavesTargetUntouched(t *testing.T) {
	cfg := "materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at', on_schema_change='fail'"
	dir := project(t, incrementalProject(cfg))
	mustKiln(t, dir, 0, "run")
	before := rows(t, dir, "select * from main.fct order by id")
	mark := watermarkRows(t, dir)
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	// A new column with on_schema_change='fail': the run fails after the
	// batch was built, and the target is exactly as it was.
	os.WriteFile(filepath.Join(dir, "models/fct.sql"), []byte("{{ config("+cfg+") }}\nselect id, val, event_at, loaded_at, 1 as extra from {{ source('raw', 'events') }}"), 0o644)
	r := mustKiln(t, dir, 1, "run")
	if !strings.Contains(r.stdout, "on_schema_change is 'fail'") {
		t.Fatalf("expected the schema change error:\n%s", r.stdout)
	}
	equal(t, rows(t, dir, "select * from main.fct order by id"), before)
	equal(t, watermarkRows(t, dir), mark)
	equal(t, tables(t, dir), []string{"main.fct", "main.kiln_watermarks"})
}

func TestIncrementalAppendNewColumns(t *testing.T) {
	cfg := "materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at', on_schema_change='append_new_columns'"
	dir := project(t, incrementalProject(cfg))
	mustKiln(t, dir, 0, "run")
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	os.WriteFile(filepath.Join(dir, "models/fct.sql"), []byte("{{ config("+cfg+") }}\nselect id, val, event_at, loaded_at, upper(val) as big from {{ source('raw', 'events') }}"), 0o644)
	mustKiln(t, dir, 0, "run")
	// Rows at the high-water mark are taken again, so row 2 gets the new
	// column too; older rows keep NULL until a --full-refresh, as in dbt.
	equal(t, rows(t, dir, "select id, big from main.fct order by id"), []string{"1|NULL", "2|B", "3|C"})
}

func TestIncrementalHandWrittenFilterCombines(t *testing.T) {
	files := incrementalProject("")
	files["models/fct.sql"] = `{{ config(materialized='incremental', unique_key='id', event_time='event_at', lookback='1 day') }}
select id, val, event_at, loaded_at from {{ source('raw', 'events') }}
{% if is_incremental() %}where val <> 'skip'{% endif %}`
	dir := project(t, files)
	mustKiln(t, dir, 0, "run")
	appendCSV(t, dir, "3,skip,2024-01-03 10:00:00,2024-01-03 10:05:00", "4,d,2024-01-03 11:00:00,2024-01-03 11:05:00")
	mustKiln(t, dir, 0, "run")
	equal(t, rows(t, dir, "select id, val from main.fct order by id"), []string{"1|a", "2|b", "4|d"})
}

func TestMicrobatchBackfill(t *testing.T) {
	files := incrementalProject("materialized='incremental', incremental_strategy='microbatch', event_time='event_at', batch_size='day'")
	dir := project(t, files)
	mustKiln(t, dir, 0, "run")
	appendCSV(t, dir, "3,c,2024-01-02 12:00:00,2024-01-03 10:05:00", "4,d,2024-01-03 11:00:00,2024-01-03 11:05:00")
	r := mustKiln(t, dir, 0, "run")
	if !strings.Contains(r.stdout, "MICROBATCH 3 batches") {
		t.Fatalf("expected three day batches (the target's newest day, one of lookback, the new day):\n%s", r.stdout)
	}
	equal(t, rows(t, dir, "select id from main.fct order by id"), []string{"1", "2", "3", "4"})
	r = mustKiln(t, dir, 0, "run", "--event-time-start", "2024-01-01", "--event-time-end", "2024-01-04")
	if !strings.Contains(r.stdout, "MICROBATCH 3 batches") {
		t.Fatalf("expected a three-day backfill:\n%s", r.stdout)
	}
	equal(t, rows(t, dir, "select id from main.fct order by id"), []string{"1", "2", "3", "4"})
}

// A row later than the lookback window is missed by the lookback mode (as
// docs/incremental.md says) and caught by the arrival-time mode.
func TestRowsLaterThanLookback(t *testing.T) {
	late := "9,late,2023-12-01 10:00:00,2024-01-03 10:05:00" // a month late
	lookback := project(t, incrementalProject("materialized='incremental', unique_key='id', event_time='event_at', lookback='3 days'"))
	mustKiln(t, lookback, 0, "run")
	appendCSV(t, lookback, late)
	mustKiln(t, lookback, 0, "run")
	equal(t, rows(t, lookback, "select id from main.fct order by id"), []string{"1", "2"})

	arrival := project(t, incrementalProject("materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at'"))
	mustKiln(t, arrival, 0, "run")
	appendCSV(t, arrival, late)
	mustKiln(t, arrival, 0, "run")
	equal(t, rows(t, arrival, "select id from main.fct order by id"), []string{"1", "2", "9"})
}

func TestIncrementalSyncAllColumns(t *testing.T) {
	cfg := "materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at', on_schema_change='sync_all_columns'"
	dir := project(t, incrementalProject(cfg))
	mustKiln(t, dir, 0, "run")
	appendCSV(t, dir, "3,c,2024-01-03 10:00:00,2024-01-03 10:05:00")
	// val is dropped, tag added: the table follows the model's columns.
	os.WriteFile(filepath.Join(dir, "models/fct.sql"), []byte("{{ config("+cfg+") }}\nselect id, event_at, loaded_at, 'x' as tag from {{ source('raw', 'events') }}"), 0o644)
	mustKiln(t, dir, 0, "run")
	equal(t, rows(t, dir, "select column_name from information_schema.columns where table_name = 'fct' order by ordinal_position"), []string{"id", "event_at", "loaded_at", "tag"})
	equal(t, rows(t, dir, "select id, tag from main.fct order by id"), []string{"1|NULL", "2|x", "3|x"})
}
