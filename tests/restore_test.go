package tests

import (
	"strings"
	"testing"
)

func TestRestoreDuckDB(t *testing.T) {
	dir := project(t, map[string]string{
		"models/kept.sql":  "{{ config(materialized='table', keep_previous_version=true) }}\nselect {{ var('v', 1) }} as v",
		"models/plain.sql": "{{ config(materialized='table') }}\nselect {{ var('v', 1) }} as v",
		"models/vw.sql":    "select 1 as id",
	})
	mustKiln(t, dir, 0, "run")
	// Nothing replaced yet: nothing to restore.
	r := mustKiln(t, dir, 1, "restore", "kept", "--yes")
	if !strings.Contains(r.output(), "no previous version of main.kept") {
		t.Errorf("output:\n%s", r.output())
	}
	mustKiln(t, dir, 0, "run", "--vars", "{v: 2}")
	equal(t, rows(t, dir, "select v from main.kept"), []string{"2"})
	equal(t, rows(t, dir, "select v from main.kept__kiln_prev"), []string{"1"})
	equal(t, rows(t, dir, "select count(*) from information_schema.tables where table_name = 'plain__kiln_prev'"), []string{"0"})

	// No terminal and no --yes: refuse, change nothing.
	r = mustKiln(t, dir, 2, "restore", "kept")
	if !strings.Contains(r.output(), "--yes") {
		t.Errorf("output:\n%s", r.output())
	}
	equal(t, rows(t, dir, "select v from main.kept"), []string{"2"})

	// --before-run the last run: the version before it.
	id := readRunResults(t, dir).Metadata["invocation_id"]
	if s, _ := id.(string); len(s) != 36 {
		t.Fatalf("invocation_id %v", id)
	}
	mustKiln(t, dir, 0, "restore", "kept", "--before-run", id.(string), "--yes")
	equal(t, rows(t, dir, "select v from main.kept"), []string{"1"})
	// The restored-over version is kept, so a restore can be undone.
	equal(t, rows(t, dir, "select v from main.kept__kiln_prev"), []string{"2"})
	mustKiln(t, dir, 0, "restore", "kept", "--yes")
	equal(t, rows(t, dir, "select v from main.kept"), []string{"2"})

	mustKiln(t, dir, 2, "restore", "kept", "--before-run", "not-a-run", "--yes")
	mustKiln(t, dir, 2, "restore", "kept", "--at", "2024-01-01 00:00:00", "--yes")
	mustKiln(t, dir, 2, "restore", "vw", "--yes")
	mustKiln(t, dir, 2, "restore", "nope", "--yes")
	r = mustKiln(t, dir, 1, "restore", "plain", "--yes")
	if !strings.Contains(r.output(), "keep_previous_version: true") {
		t.Errorf("output:\n%s", r.output())
	}
	// A build after a restore carries on.
	mustKiln(t, dir, 0, "run", "--vars", "{v: 3}")
	equal(t, rows(t, dir, "select v from main.kept"), []string{"3"})
}

// Restoring a table forgets the high-water mark Kiln kept for the version
// it replaces: the restored table's own mark is read from it next run.
func TestRestoreForgetsWatermark(t *testing.T) {
	dir := project(t, map[string]string{
		"models/fct.sql": "{{ config(materialized='incremental', unique_key='id', arrival_time='loaded_at') }}\nselect 1 as id, timestamp '2024-01-01 00:00:00' as loaded_at",
	})
	mustKiln(t, dir, 0, "run")
	// A kept previous version, as keep_previous_version leaves one.
	db := openDB(t, dir, "shop")
	if _, err := db.Exec("create table main.fct__kiln_prev as select * from main.fct"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	equal(t, rows(t, dir, "select count(*) from main.kiln_watermarks where relation_name = 'fct'"), []string{"1"})
	mustKiln(t, dir, 0, "restore", "fct", "--yes")
	equal(t, rows(t, dir, "select count(*) from main.kiln_watermarks where relation_name = 'fct'"), []string{"0"})
}

// On Snowflake, restore clones the table at the time (Time Travel); the
// stand-in records the statement (it has no Time Travel to run it).
func TestRestoreSnowflakeClone(t *testing.T) {
	tg := standinTarget(t)
	dir := sfProject(t, tg, map[string]string{"models/fct.sql": "{{ config(materialized='table') }}\nselect 1 as id"})
	r := sfKiln(t, tg, dir, 2, "restore", "fct")
	if !strings.Contains(r.output(), "--at") {
		t.Errorf("output:\n%s", r.output())
	}
	sfKiln(t, tg, dir, 2, "restore", "fct", "--at", "2024-05-01 06:00:00")
	kiln(t, dir, tg.env, "restore", "fct", "--at", "2024-05-01 06:00:00", "--yes")
	want := "create or replace table KILN_DB.analytics.fct clone KILN_DB.analytics.fct at(timestamp => '2024-05-01 06:00:00.000000 +0000'::timestamp_ltz)"
	found := false
	for _, e := range tg.srv.Events() {
		if e.Kind == "query" && strings.EqualFold(strings.TrimSpace(e.SQL), want) {
			found = true
		}
	}
	if !found {
		var qs []string
		for _, e := range tg.srv.Events() {
			qs = append(qs, e.Kind+": "+e.SQL)
		}
		t.Errorf("the stand-in never saw\n  %s\nit saw:\n  %s", want, strings.Join(qs, "\n  "))
	}
}
