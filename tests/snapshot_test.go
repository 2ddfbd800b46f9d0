package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// snapshotProject snapshots data/orders.csv (a source); the CSV is
// rewritten between runs with writeOrders.
func snapshotProject(config string, csv string) map[string]string {
	return map[string]string{
		"data/orders.csv": csv,
		"models/sources.yml": `version: 2
sources:
  - name: raw
    tables:
      - name: orders
        config: {external_location: "data/orders.csv"}
`,
		"snapshots/orders.sql": "{% snapshot orders_snapshot %}\n{{ config(" + config + ") }}\nselect * from {{ source('raw', 'orders') }}\n{% endsnapshot %}\n",
	}
}

func writeOrders(t *testing.T, dir, csv string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "data/orders.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
}

const versionsQuery = "select id, status, cast(dbt_valid_from as varchar), coalesce(cast(dbt_valid_to as varchar), 'current') from snapshots.orders_snapshot order by id, dbt_valid_from"

func TestSnapshotTimestampStrategy(t *testing.T) {
	cfg := "target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at'"
	dir := project(t, snapshotProject(cfg, "id,status,updated_at\n1,new,2024-01-01 10:00:00\n2,new,2024-01-01 11:00:00\n"))
	r := mustKiln(t, dir, 0, "snapshot")
	if !strings.Contains(r.stdout, "SNAPSHOT created 2 rows") {
		t.Fatalf("first run should create the table:\n%s", r.stdout)
	}
	equal(t, rows(t, dir, versionsQuery), []string{
		"1|new|2024-01-01 10:00:00|current",
		"2|new|2024-01-01 11:00:00|current",
	})
	// 1 changes, 2 changes a column but not updated_at (no new version in
	// the timestamp strategy), 3 is new.
	writeOrders(t, dir, "id,status,updated_at\n1,paid,2024-01-02 09:00:00\n2,typo,2024-01-01 11:00:00\n3,new,2024-01-02 10:00:00\n")
	r = mustKiln(t, dir, 0, "snapshot")
	if !strings.Contains(r.stdout, "SNAPSHOT 2 inserted, 1 closed") {
		t.Fatalf("second run:\n%s", r.stdout)
	}
	// 1 changes again; nothing else does.
	writeOrders(t, dir, "id,status,updated_at\n1,shipped,2024-01-03 08:00:00\n2,typo,2024-01-01 11:00:00\n3,new,2024-01-02 10:00:00\n")
	mustKiln(t, dir, 0, "snapshot")
	equal(t, rows(t, dir, versionsQuery), []string{
		"1|new|2024-01-01 10:00:00|2024-01-02 09:00:00",
		"1|paid|2024-01-02 09:00:00|2024-01-03 08:00:00",
		"1|shipped|2024-01-03 08:00:00|current",
		"2|new|2024-01-01 11:00:00|current",
		"3|new|2024-01-02 10:00:00|current",
	})
	// A run with no change changes nothing.
	r = mustKiln(t, dir, 0, "snapshot")
	if !strings.Contains(r.stdout, "SNAPSHOT 0 inserted, 0 closed") {
		t.Fatalf("unchanged run:\n%s", r.stdout)
	}
	// dbt_scd_id is md5 of the key and updated_at, one per version.
	equal(t, rows(t, dir, "select count(distinct dbt_scd_id), count(*) from snapshots.orders_snapshot"), []string{"5|5"})
	equal(t, rows(t, dir, "select dbt_scd_id = md5('1|' || cast(updated_at as varchar)), cast(dbt_updated_at as varchar) from snapshots.orders_snapshot where id = 1 and status = 'paid'"),
		[]string{"true|2024-01-02 09:00:00"})
}

func TestSnapshotCheckStrategy(t *testing.T) {
	csv1 := "id,status,note\n1,new,a\n2,new,b\n"
	csv2 := "id,status,note\n1,paid,a\n2,new,b2\n3,new,c\n" // 1: status changed; 2: only note
	for _, tc := range []struct {
		checkCols string
		want      []string // id|status|note of every version
	}{
		{"['status']", []string{"1|new|a|closed", "1|paid|a|current", "2|new|b|current", "3|new|c|current"}},
		{"'all'", []string{"1|new|a|closed", "1|paid|a|current", "2|new|b|closed", "2|new|b2|current", "3|new|c|current"}},
	} {
		t.Run(tc.checkCols, func(t *testing.T) {
			dir := project(t, snapshotProject("target_schema='snapshots', unique_key='id', strategy='check', check_cols="+tc.checkCols, csv1))
			mustKiln(t, dir, 0, "snapshot")
			writeOrders(t, dir, csv2)
			mustKiln(t, dir, 0, "snapshot")
			equal(t, rows(t, dir, "select id, status, note, case when dbt_valid_to is null then 'current' else 'closed' end from snapshots.orders_snapshot order by id, dbt_valid_from"), tc.want)
			// The closed version ends where the new one starts: the second
			// run's time, later than the first's.
			equal(t, rows(t, dir, `select count(*) from snapshots.orders_snapshot o join snapshots.orders_snapshot n
				on o.id = n.id and o.dbt_valid_to = n.dbt_valid_from and n.dbt_valid_from > o.dbt_valid_from and n.dbt_updated_at = n.dbt_valid_from`),
				[]string{map[string]string{"['status']": "1", "'all'": "2"}[tc.checkCols]})
			// An unchanged third run adds nothing.
			mustKiln(t, dir, 0, "snapshot")
			equal(t, rows(t, dir, "select count(*) from snapshots.orders_snapshot"), []string{map[string]string{"['status']": "4", "'all'": "5"}[tc.checkCols]})
		})
	}
}

func TestSnapshotHardDeletesInvalidate(t *testing.T) {
	for _, cfg := range []string{"hard_deletes='invalidate'", "invalidate_hard_deletes=true"} {
		t.Run(cfg, func(t *testing.T) {
			dir := project(t, snapshotProject("target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at', "+cfg,
				"id,status,updated_at\n1,new,2024-01-01 10:00:00\n2,new,2024-01-01 11:00:00\n"))
			mustKiln(t, dir, 0, "snapshot")
			writeOrders(t, dir, "id,status,updated_at\n1,new,2024-01-01 10:00:00\n")
			mustKiln(t, dir, 0, "snapshot")
			equal(t, rows(t, dir, "select id, dbt_valid_to is null from snapshots.orders_snapshot order by id, dbt_valid_from"), []string{"1|true", "2|false"})
			// It comes back: a new current version.
			writeOrders(t, dir, "id,status,updated_at\n1,new,2024-01-01 10:00:00\n2,back,2024-01-05 11:00:00\n")
			mustKiln(t, dir, 0, "snapshot")
			equal(t, rows(t, dir, "select id, status, dbt_valid_to is null from snapshots.orders_snapshot order by id, dbt_valid_from"),
				[]string{"1|new|true", "2|new|false", "2|back|true"})
		})
	}
}

func TestSnapshotHardDeletesNewRecord(t *testing.T) {
	dir := project(t, snapshotProject("target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='new_record'",
		"id,status,updated_at\n1,new,2024-01-01 10:00:00\n2,new,2024-01-01 11:00:00\n"))
	mustKiln(t, dir, 0, "snapshot")
	writeOrders(t, dir, "id,status,updated_at\n1,new,2024-01-01 10:00:00\n")
	mustKiln(t, dir, 0, "snapshot")
	q := "select id, status, dbt_is_deleted, dbt_valid_to is null from snapshots.orders_snapshot order by id, dbt_valid_from"
	equal(t, rows(t, dir, q), []string{"1|new|False|true", "2|new|False|false", "2|new|True|true"})
	// The deletion record starts when the deleted row's version ends.
	equal(t, rows(t, dir, `select count(*) from snapshots.orders_snapshot o join snapshots.orders_snapshot d
		on o.id = d.id and d.dbt_is_deleted = 'True' and o.dbt_is_deleted = 'False' and o.dbt_valid_to = d.dbt_valid_from`), []string{"1"})
	// A second run while it is still gone adds nothing.
	mustKiln(t, dir, 0, "snapshot")
	equal(t, rows(t, dir, "select count(*) from snapshots.orders_snapshot"), []string{"3"})
	// It comes back: the deletion record is closed, a new version starts.
	writeOrders(t, dir, "id,status,updated_at\n1,new,2024-01-01 10:00:00\n2,back,2024-01-09 11:00:00\n")
	mustKiln(t, dir, 0, "snapshot")
	// (As in dbt, the new version starts at the source's updated_at, here
	// earlier than the run-time stamp of the deletion record.)
	q = "select id, status, dbt_is_deleted, dbt_valid_to is null from snapshots.orders_snapshot order by id, status, dbt_is_deleted"
	equal(t, rows(t, dir, q), []string{"1|new|False|true", "2|back|False|true", "2|new|False|false", "2|new|True|false"})
}

func TestSnapshotValidToCurrent(t *testing.T) {
	dir := project(t, snapshotProject("target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at', dbt_valid_to_current=\"cast('9999-12-31' as timestamp)\"",
		"id,status,updated_at\n1,new,2024-01-01 10:00:00\n"))
	mustKiln(t, dir, 0, "snapshot")
	writeOrders(t, dir, "id,status,updated_at\n1,paid,2024-01-02 10:00:00\n")
	mustKiln(t, dir, 0, "snapshot")
	equal(t, rows(t, dir, versionsQuery), []string{
		"1|new|2024-01-01 10:00:00|2024-01-02 10:00:00",
		"1|paid|2024-01-02 10:00:00|9999-12-31 00:00:00",
	})
}

// A YAML-configured snapshot (dbt 1.9) of a model, ref'd by a model and
// tested, all in one build in DAG order.
func TestSnapshotYAMLRefAndTests(t *testing.T) {
	files := map[string]string{
		"seeds/raw_customers.csv":      "id,name,updated_at\n1,Ann,2024-01-01 10:00:00\n2,Bob,2024-01-01 10:00:00\n",
		"models/stg_customers.sql":     "select id, name, cast(updated_at as timestamp) as updated_at from {{ ref('raw_customers') }}",
		"models/current_customers.sql": "select id, name from {{ ref('customers_snapshot') }} where dbt_valid_to is null",
		"snapshots/customers.yml": `snapshots:
  - name: customers_snapshot
    relation: ref('stg_customers')
    config:
      schema: history
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
    columns:
      - name: dbt_scd_id
        data_tests: [unique, not_null]
`,
	}
	dir := project(t, files)
	r := mustKiln(t, dir, 0, "build")
	order := []string{"seed main.raw_customers", "view model main.stg_customers", "snapshot main_history.customers_snapshot",
		"test unique_customers_snapshot_dbt_scd_id", "view model main.current_customers"}
	last := -1
	for _, w := range order {
		i := strings.Index(r.stdout, w)
		if i < 0 || i < last {
			t.Fatalf("expected %q after the nodes before it:\n%s", w, r.stdout)
		}
		last = i
	}
	equal(t, rows(t, dir, "select id, name from main.current_customers order by id"), []string{"1|Ann", "2|Bob"})
	os.WriteFile(filepath.Join(dir, "seeds/raw_customers.csv"), []byte("id,name,updated_at\n1,Anne,2024-02-01 10:00:00\n2,Bob,2024-01-01 10:00:00\n"), 0o644)
	mustKiln(t, dir, 0, "build")
	equal(t, rows(t, dir, "select id, name from main.current_customers order by id"), []string{"1|Anne", "2|Bob"})
	equal(t, rows(t, dir, "select count(*) from main_history.customers_snapshot"), []string{"3"})
	// kiln snapshot runs only snapshots; ls knows the resource type.
	r = mustKiln(t, dir, 0, "snapshot")
	if !strings.Contains(r.stdout, "1 of 1 OK snapshot") {
		t.Fatalf("kiln snapshot should run the snapshot alone:\n%s", r.stdout)
	}
	r = mustKiln(t, dir, 0, "ls", "--select", "resource_type:snapshot", "--output", "json")
	if !strings.Contains(r.stdout, `"unique_id":"snapshot.shop.customers_snapshot"`) {
		t.Fatalf("ls:\n%s", r.stdout)
	}
}

// New source columns are added to the snapshot table; old versions keep
// NULL in them.
func TestSnapshotNewColumns(t *testing.T) {
	dir := project(t, snapshotProject("target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at'",
		"id,status,updated_at\n1,new,2024-01-01 10:00:00\n"))
	mustKiln(t, dir, 0, "snapshot")
	writeOrders(t, dir, "id,status,updated_at,channel\n1,paid,2024-01-02 10:00:00,web\n")
	mustKiln(t, dir, 0, "snapshot")
	equal(t, rows(t, dir, "select id, status, coalesce(channel, 'NULL') from snapshots.orders_snapshot order by dbt_valid_from"), []string{"1|new|NULL", "1|paid|web"})
}

// A snapshot that fails part-way leaves its table exactly as it was: the
// source query failing at run time, and the insert of new versions failing
// after changed rows were closed.
func TestSnapshotFailureLeavesTableUntouched(t *testing.T) {
	files := snapshotProject("", "id,status,updated_at\n1,10,2024-01-01 10:00:00\n2,20,2024-01-01 11:00:00\n")
	files["snapshots/orders.sql"] = `{% snapshot orders_snapshot %}
{{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select * from {{ source('raw', 'orders') }}
where {{ var('cond', 'true') }}
{% endsnapshot %}
`
	dir := project(t, files)
	mustKiln(t, dir, 0, "snapshot")
	before := rows(t, dir, "select * from snapshots.orders_snapshot order by id, dbt_valid_from")
	writeOrders(t, dir, "id,status,updated_at\n1,11,2024-01-02 10:00:00\n3,30,2024-01-02 10:00:00\n")
	r := kiln(t, dir, nil, "snapshot", "--vars", `{cond: "error('source is down') is null"}`)
	if r.code != 1 || !strings.Contains(r.stdout, "source is down") {
		t.Fatalf("expected the source query to fail (exit 1):\n%s", r.output())
	}
	equal(t, rows(t, dir, "select * from snapshots.orders_snapshot order by id, dbt_valid_from"), before)
	// status was a number; a text status can be staged but not inserted
	// into the snapshot, after id 1's current row was closed.
	writeOrders(t, dir, "id,status,updated_at\n1,shipped,2024-01-02 10:00:00\n2,20,2024-01-01 11:00:00\n")
	r = mustKiln(t, dir, 1, "snapshot")
	executed, _ := os.ReadFile(filepath.Join(dir, "target/run/shop/snapshots/orders_snapshot.sql"))
	if !strings.Contains(string(executed), "update snapshots.orders_snapshot as snapshotted_data\nset dbt_valid_to") {
		t.Fatalf("the close should have run before the failing insert:\n%s\n%s", r.stdout, executed)
	}
	equal(t, rows(t, dir, "select * from snapshots.orders_snapshot order by id, dbt_valid_from"), before)
	equal(t, tables(t, dir), []string{"snapshots.orders_snapshot"})
}

func TestSnapshotDuplicateKeysFail(t *testing.T) {
	dir := project(t, snapshotProject("target_schema='snapshots', unique_key='id', strategy='check', check_cols='all'",
		"id,status\n1,a\n1,b\n"))
	r := mustKiln(t, dir, 1, "snapshot")
	if !strings.Contains(r.stdout, "1 value of unique_key (id) occur more than once") {
		t.Fatalf("expected a duplicate key error:\n%s", r.stdout)
	}
	equal(t, tables(t, dir), nil)
}

func TestSnapshotConfigErrors(t *testing.T) {
	block := func(cfg string) map[string]string {
		return map[string]string{"snapshots/s.sql": "-- history of orders\n{% snapshot s %}\n{{ config(" + cfg + ") }}\nselect 1 as id, now() as ts\n{% endsnapshot %}\n"}
	}
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing unique_key", block("strategy='timestamp', updated_at='ts'"),
			[]string{"snapshots/s.sql:3:4: snapshot 's' needs a unique_key", "add unique_key='id'"}},
		{"timestamp without updated_at", block("unique_key='id', strategy='timestamp'"),
			[]string{"snapshots/s.sql:3:28: snapshot 's' with strategy timestamp needs updated_at", "add updated_at="}},
		{"check without check_cols", block("unique_key='id', strategy='check'"),
			[]string{"snapshots/s.sql:3:28: snapshot 's' with strategy check needs check_cols", "check_cols='all'"}},
		{"unknown strategy", block("unique_key='id', strategy='timestap', updated_at='ts'"),
			[]string{"snapshots/s.sql:3:28: unknown snapshot strategy 'timestap'", `did you mean "timestamp"?`}},
		{"missing strategy", block("unique_key='id'"),
			[]string{"snapshots/s.sql:3:4: snapshot 's' needs a strategy"}},
		{"unknown hard_deletes", block("unique_key='id', strategy='check', check_cols='all', hard_deletes='invalidat'"),
			[]string{"snapshots/s.sql:3:64: unknown hard_deletes 'invalidat'", `did you mean "invalidate"?`}},
		{"unclosed block", map[string]string{"snapshots/s.sql": "\n\n  {% snapshot s %}\nselect 1 as id\n"},
			[]string{"snapshots/s.sql:3:3: snapshot 's' is not closed", "{% endsnapshot %}"}},
		{"no block", map[string]string{"snapshots/s.sql": "select 1 as id\n"},
			[]string{"snapshots/s.sql:1:1: no {% snapshot %} block in snapshots/s.sql"}},
		{"unknown ref in block", map[string]string{"snapshots/s.sql": "{% snapshot s %}\n{{ config(unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('orderz') }}\n{% endsnapshot %}\n", "models/orders.sql": "select 1 as id"},
			[]string{"snapshots/s.sql:3:", "unknown ref 'orderz'", `did you mean "orders"?`}},
		{"yaml missing unique_key", map[string]string{"models/orders.sql": "select 1 as id", "snapshots/s.yml": "snapshots:\n  - name: s\n    relation: ref('orders')\n    config:\n      strategy: check\n      check_cols: all\n"},
			[]string{"snapshots/s.yml:5:7: snapshot 's' needs a unique_key"}},
		{"yaml timestamp without updated_at", map[string]string{"models/orders.sql": "select 1 as id", "snapshots/s.yml": "snapshots:\n  - name: s\n    relation: ref('orders')\n    config:\n      unique_key: id\n      strategy: timestamp\n"},
			[]string{"snapshots/s.yml:6:17: snapshot 's' with strategy timestamp needs updated_at"}},
		{"yaml unknown relation", map[string]string{"models/orders.sql": "select 1 as id", "snapshots/s.yml": "snapshots:\n  - name: s\n    relation: ref('order')\n    config: {unique_key: id, strategy: check, check_cols: all}\n"},
			[]string{"snapshots/s.yml:2:", "snapshot 's': unknown ref 'order'", `did you mean "orders"?`}},
		{"duplicate name", map[string]string{"models/s.sql": "select 1 as id", "snapshots/s.sql": "{% snapshot s %}\n{{ config(unique_key='id', strategy='check', check_cols='all') }}\nselect 1 as id\n{% endsnapshot %}\n"},
			[]string{"snapshots/s.sql:1:1: duplicate node name 's'"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := project(t, tc.files)
			r := kiln(t, dir, nil, "snapshot")
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r.output())
			}
			for _, w := range tc.want {
				if !strings.Contains(r.output(), w) {
					t.Errorf("output lacks %q:\n%s", w, r.output())
				}
			}
		})
	}
}
