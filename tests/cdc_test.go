package tests

import (
	"os"
	"path/filepath"
	"testing"
)

// customers.csv is a Fivetran-style table: _fivetran_synced stamps each
// change, _fivetran_deleted marks deletes.
func fivetranProject(model string) map[string]string {
	return map[string]string{
		"data/customers.csv": "customer_id,name,_fivetran_deleted,_fivetran_synced\n1,Ann,false,2024-01-01 10:00:00\n2,Bob,false,2024-01-01 10:00:00\n3,Cy,false,2024-01-01 10:00:00\n",
		"models/sources.yml": `version: 2
sources:
  - name: crm
    tables:
      - name: customers
        config: {external_location: "data/customers.csv"}
`,
		"models/dim_customer.sql": model,
		"models/schema.yml": `version: 2
models:
  - name: dim_customer
    columns:
      - name: customer_id
      - name: name
      - name: _fivetran_deleted
      - name: _fivetran_synced
`,
	}
}

func writeCustomers(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "data/customers.csv"), []byte("customer_id,name,_fivetran_deleted,_fivetran_synced\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The Fivetran columns are recognised from the model's documented columns:
// _fivetran_synced is the arrival time and _fivetran_deleted deletes.
func TestFivetranDeletesInIncrementalModel(t *testing.T) {
	dir := project(t, fivetranProject("{{ config(materialized='incremental', unique_key='customer_id') }}\nselect * from {{ source('crm', 'customers') }}"))
	mustKiln(t, dir, 0, "run")
	// Bob is deleted, Cy renamed, Dee added, Eve deleted before ever being
	// seen; Ann deleted and re-inserted within the same sync.
	writeCustomers(t, dir, `1,Ann,false,2024-01-01 10:00:00
2,Bob,false,2024-01-01 10:00:00
3,Cy,false,2024-01-01 10:00:00
2,Bob,true,2024-01-02 09:00:00
3,Cyrus,false,2024-01-02 09:00:00
4,Dee,false,2024-01-02 09:00:00
5,Eve,true,2024-01-02 09:00:00
1,Ann,true,2024-01-02 09:00:01
1,Ann B,false,2024-01-02 09:00:02
`)
	mustKiln(t, dir, 0, "run")
	incremental := rows(t, dir, "select customer_id, name from main.dim_customer order by 1")
	equal(t, incremental, []string{"1|Ann B", "3|Cyrus", "4|Dee"})
	mustKiln(t, dir, 0, "run", "--full-refresh")
	equal(t, rows(t, dir, "select customer_id, name from main.dim_customer order by 1"), incremental)
}

func TestSoftDeletes(t *testing.T) {
	dir := project(t, fivetranProject("{{ config(materialized='incremental', unique_key='customer_id', delete_condition='_fivetran_deleted', soft_delete_column='is_deleted') }}\nselect * from {{ source('crm', 'customers') }}"))
	mustKiln(t, dir, 0, "run")
	writeCustomers(t, dir, "2,Bob,true,2024-01-02 09:00:00\n")
	mustKiln(t, dir, 0, "run")
	equal(t, rows(t, dir, "select customer_id, name, is_deleted from main.dim_customer order by 1"), []string{"1|Ann|false", "2|Bob|true", "3|Cy|false"})
}

func TestDeleteConditionNeedsKeyedStrategy(t *testing.T) {
	expectInvalid(t, map[string]string{
		"models/b.sql": "{{ config(materialized='incremental', incremental_strategy='append', delete_condition=\"op = 'D'\") }}\nselect 1 as id, 'I' as op",
	}, nil, nil, "models/b.sql:1:", "delete_condition needs a unique_key strategy")
}

// A snapshot of a Fivetran table closes the rows of deleted customers.
func TestFivetranDeletesInSnapshot(t *testing.T) {
	files := fivetranProject("select 1 as x")
	files["snapshots/customers_snapshot.sql"] = `{% snapshot customers_snapshot %}
{{ config(unique_key='customer_id', strategy='timestamp', updated_at='_fivetran_synced', hard_deletes='invalidate', delete_condition='_fivetran_deleted') }}
select * from {{ source('crm', 'customers') }}
{% endsnapshot %}`
	dir := project(t, files)
	mustKiln(t, dir, 0, "snapshot")
	writeCustomers(t, dir, "1,Ann,false,2024-01-01 10:00:00\n2,Bob,true,2024-01-02 09:00:00\n3,Cy,false,2024-01-01 10:00:00\n")
	mustKiln(t, dir, 0, "snapshot")
	equal(t, rows(t, dir, "select customer_id, dbt_valid_to is null as current from main.customers_snapshot order by 1"), []string{"1|true", "2|false", "3|true"})
}

// A change feed's event time moves later with each change of a key. With
// event_time set, pruning the merge's target to the batch's event-time
// range would miss the stored rows of changed keys (inserting them twice)
// and of deleted keys (keeping them), so models with delete_condition do
// not prune unless prune_target says so.
func TestChangeFeedWithEventTimeIsNotPruned(t *testing.T) {
	model := "{{ config(materialized='incremental', unique_key='id', arrival_time='ingested_at', event_time='changed_at', delete_condition=\"op = 'D'\") }}\nselect * from {{ source('cdc', 'changes') }}"
	header := "id,name,op,changed_at,ingested_at\n"
	dir := project(t, map[string]string{
		"data/changes.csv": header + "1,a,I,2024-01-01 10:00:00,2024-01-01 10:01:00\n2,b,I,2024-01-01 10:00:00,2024-01-01 10:01:00\n",
		"models/sources.yml": `version: 2
sources:
  - name: cdc
    tables:
      - name: changes
        config: {external_location: "data/changes.csv"}
`,
		"models/dim.sql": model,
	})
	mustKiln(t, dir, 0, "run")
	if err := os.WriteFile(filepath.Join(dir, "data/changes.csv"), []byte(header+
		"1,a,I,2024-01-01 10:00:00,2024-01-01 10:01:00\n2,b,I,2024-01-01 10:00:00,2024-01-01 10:01:00\n"+
		"1,a2,U,2024-01-05 10:00:00,2024-01-05 10:01:00\n2,,D,2024-01-05 10:00:00,2024-01-05 10:01:00\n3,c,I,2024-01-05 10:00:00,2024-01-05 10:01:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustKiln(t, dir, 0, "run")
	incremental := rows(t, dir, "select id, name from main.dim order by 1, 2")
	equal(t, incremental, []string{"1|a2", "3|c"})
	mustKiln(t, dir, 0, "run", "--full-refresh")
	equal(t, rows(t, dir, "select id, name from main.dim order by 1, 2"), incremental)
}
