package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// shop is a small project using every materialization of the core: a
// seed, a view, an ephemeral model inlined as a CTE, a table, generic and
// singular tests.
func shop() map[string]string {
	return map[string]string{
		"dbt_project.yml": `name: shop
profile: shop
vars:
  min_amount: 0
models:
  shop:
    staging:
      +materialized: view
    marts:
      +materialized: table
      +tags: [daily]
`,
		"seeds/raw_orders.csv":    "order_id,customer_id,status,amount,ordered_at\n1,10,completed,20.5,2024-01-01\n2,10,shipped,5,2024-01-02\n3,11,completed,7.25,2024-01-03\n4,12,\"returned\",,2024-01-04\n",
		"seeds/raw_customers.csv": "customer_id,name\n10,\"Smith, Ann\"\n11,O'Brien\n12,Lee\n",
		"models/staging/stg_orders.sql": `select order_id, customer_id, status, coalesce(amount, 0) as amount, ordered_at
from {{ ref('raw_orders') }}
where coalesce(amount, 0) >= {{ var('min_amount') }}`,
		"models/staging/stg_customers.sql": `{{ config(materialized='ephemeral') }}
select customer_id, name from {{ ref('raw_customers') }}`,
		"models/marts/customer_revenue.sql": `{%- set statuses = ['completed', 'shipped'] -%}
select c.customer_id, c.name,
  {% for s in statuses -%}
  sum(case when o.status = '{{ s }}' then o.amount else 0 end) as {{ s }}_amount{{ ',' if not loop.last }}
  {% endfor %}
from {{ ref('stg_customers') }} c
left join {{ ref('stg_orders') }} o using (customer_id)
group by all`,
		"models/schema.yml": `version: 2
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests: [unique, not_null]
      - name: status
        data_tests:
          - accepted_values:
              values: [completed, shipped, returned]
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('raw_customers')
              field: customer_id
  - name: customer_revenue
    description: Revenue per customer.
    columns:
      - name: customer_id
        data_tests: [unique]
`,
		"tests/no_negative_amounts.sql": "select * from {{ ref('stg_orders') }} where amount < 0",
	}
}

func TestBuildRunsEverythingInOrder(t *testing.T) {
	dir := project(t, shop())
	r := mustKiln(t, dir, 0, "build")
	for _, want := range []string{"OK seed main.raw_orders", "OK view model main.stg_orders", "OK table model main.customer_revenue", "PASS test unique_stg_orders_order_id", "Done. PASS=10 WARN=0 ERROR=0 SKIP=0 TOTAL=10"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	equal(t, rows(t, dir, "select customer_id, name, completed_amount, shipped_amount from main.customer_revenue order by 1"), []string{
		"10|Smith, Ann|20.5|5", "11|O'Brien|7.25|0", "12|Lee|0|0",
	})
	// The ephemeral model is inlined, not built.
	equal(t, tables(t, dir), []string{"main.customer_revenue", "main.raw_customers", "main.raw_orders", "main.stg_orders"})

	// Artifacts.
	var manifest struct {
		Nodes map[string]struct {
			CompiledCode string   `json:"compiled_code"`
			DependsOn    []string `json:"depends_on"`
		} `json:"nodes"`
	}
	readJSON(t, filepath.Join(dir, "target", "manifest.json"), &manifest)
	cr := manifest.Nodes["model.shop.customer_revenue"]
	if !strings.Contains(cr.CompiledCode, "__kiln_cte__stg_customers as (") {
		t.Errorf("ephemeral model not inlined as a CTE:\n%s", cr.CompiledCode)
	}
	if strings.Join(cr.DependsOn, ",") != "model.shop.stg_customers,model.shop.stg_orders" {
		t.Errorf("depends_on = %v", cr.DependsOn)
	}
	var rr struct {
		Results []struct {
			UniqueID string `json:"unique_id"`
			Status   string `json:"status"`
		} `json:"results"`
	}
	readJSON(t, filepath.Join(dir, "target", "run_results.json"), &rr)
	if len(rr.Results) != 10 {
		t.Errorf("run_results has %d results, want 10", len(rr.Results))
	}
	for _, p := range []string{"compiled/shop/models/marts/customer_revenue.sql", "run/shop/models/marts/customer_revenue.sql", "compiled/shop/tests/no_negative_amounts.sql"} {
		if _, err := os.Stat(filepath.Join(dir, "target", p)); err != nil {
			t.Errorf("missing artifact: %v", err)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestFailingTestSkipsDownstreamOnly(t *testing.T) {
	files := shop()
	// order 4 has a NULL amount in the seed: a not_null test on the raw
	// seed fails, so what is built from raw_orders is skipped, while the
	// customers branch (raw_customers) goes on.
	files["seeds/schema.yml"] = `version: 2
seeds:
  - name: raw_orders
    columns:
      - name: amount
        data_tests: [not_null]
`
	dir := project(t, files)
	r := mustKiln(t, dir, 1, "build")
	for _, want := range []string{
		"FAIL test not_null_raw_orders_amount",
		"SKIP view model main.stg_orders",
		"SKIP table model main.customer_revenue",
		"OK seed main.raw_customers",
		"1 row failed. See them with the query in",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	equal(t, tables(t, dir), []string{"main.raw_customers", "main.raw_orders"})
}

func TestFailedModelKeepsPreviousVersion(t *testing.T) {
	files := shop()
	dir := project(t, files)
	mustKiln(t, dir, 0, "build")
	before := rows(t, dir, "select * from main.customer_revenue order by 1")

	// A runtime error in the table's SQL: the build fails, the old table
	// stays exactly as it was, and no temporary relation is left behind.
	os.WriteFile(filepath.Join(dir, "models/marts/customer_revenue.sql"), []byte("select customer_id, 1/0 as boom, no_such_column from {{ ref('stg_orders') }}"), 0o644)
	r := mustKiln(t, dir, 1, "run")
	if !strings.Contains(r.stdout, "ERROR table model main.customer_revenue") || !strings.Contains(r.stdout, "no_such_column") {
		t.Fatalf("expected the model error in the output:\n%s", r.stdout)
	}
	equal(t, rows(t, dir, "select * from main.customer_revenue order by 1"), before)
	equal(t, tables(t, dir), []string{"main.customer_revenue", "main.raw_customers", "main.raw_orders", "main.stg_orders"})
}

func TestWarnSeverityDoesNotFail(t *testing.T) {
	files := shop()
	files["seeds/schema.yml"] = `version: 2
seeds:
  - name: raw_orders
    columns:
      - name: amount
        data_tests:
          - not_null:
              config:
                severity: warn
`
	dir := project(t, files)
	r := mustKiln(t, dir, 0, "build")
	if !strings.Contains(r.stdout, "WARN test not_null_raw_orders_amount") || !strings.Contains(r.stdout, "WARN=1") {
		t.Fatalf("expected a warning:\n%s", r.stdout)
	}
}

func TestWhereConfigFiltersTest(t *testing.T) {
	files := shop()
	files["seeds/schema.yml"] = `version: 2
seeds:
  - name: raw_orders
    columns:
      - name: amount
        data_tests:
          - not_null:
              config:
                where: "status <> 'returned'"
`
	dir := project(t, files)
	mustKiln(t, dir, 0, "build")
}

func TestSelectionRunsOnlySelected(t *testing.T) {
	dir := project(t, shop())
	mustKiln(t, dir, 0, "seed")
	r := mustKiln(t, dir, 0, "run", "--select", "+stg_orders")
	if strings.Contains(r.stdout, "customer_revenue") {
		t.Errorf("customer_revenue was not selected:\n%s", r.stdout)
	}
	equal(t, tables(t, dir), []string{"main.raw_customers", "main.raw_orders", "main.stg_orders"})

	ls := mustKiln(t, dir, 0, "ls", "--select", "tag:daily", "--resource-type", "model")
	equal(t, strings.Fields(ls.stdout), []string{"shop.marts.customer_revenue"})
	ls = mustKiln(t, dir, 0, "ls", "-s", "stg_orders+", "--exclude", "resource_type:test")
	equal(t, strings.Fields(ls.stdout), []string{"shop.marts.customer_revenue", "shop.staging.stg_orders"})
}

func TestThreadsAndJSONLog(t *testing.T) {
	dir := project(t, shop())
	r := mustKiln(t, dir, 0, "build", "--threads", "4", "--log-format", "json")
	finished := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", line, err)
		}
		if ev["event"] == "node_finished" {
			finished++
		}
	}
	if finished != 10 {
		t.Errorf("%d node_finished events, want 10", finished)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour codes in non-terminal output")
	}
}

func TestInitScaffoldBuilds(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "acme")
	r := kiln(t, parent, nil, "init", dir)
	if r.code != 0 {
		t.Fatalf("init: %s", r.output())
	}
	b := kiln(t, dir, nil, "build")
	if b.code != 0 {
		t.Fatalf("build of the scaffold failed:\n%s", b.output())
	}
	if !strings.Contains(b.stdout, "ERROR=0 SKIP=0") {
		t.Errorf("unexpected summary:\n%s", b.stdout)
	}
	if again := kiln(t, parent, nil, "init", dir); again.code != 2 {
		t.Errorf("init over an existing project: exit %d, want 2", again.code)
	}
}

func TestSourceWithExternalLocation(t *testing.T) {
	dir := project(t, map[string]string{
		"data/raw/stores.csv": "store_id,city\n1,Leeds\n2,York\n",
		"models/sources.yml": `version: 2
sources:
  - name: raw
    tables:
      - name: stores
        config:
          external_location: "data/raw/*.csv"
`,
		"models/stores.sql": "{{ config(materialized='table') }}\nselect store_id, upper(city) as city from {{ source('raw', 'stores') }}",
	})
	mustKiln(t, dir, 0, "run")
	equal(t, rows(t, dir, "select * from main.stores order by 1"), []string{"1|LEEDS", "2|YORK"})
}

func TestYAMLSelectors(t *testing.T) {
	files := shop()
	files["selectors.yml"] = `selectors:
  - name: marts_only
    definition:
      union:
        - method: tag
          value: daily
        - exclude:
            - method: resource_type
              value: test
`
	dir := project(t, files)
	ls := mustKiln(t, dir, 0, "ls", "--selector", "marts_only")
	// The model's tests come along by dbt's eager indirect selection.
	equal(t, strings.Fields(ls.stdout), []string{"shop.marts.customer_revenue", "shop.unique_customer_revenue_customer_id"})
	r := kiln(t, dir, nil, "ls", "--selector", "nope")
	if r.code != 2 || !strings.Contains(r.output(), "nope") {
		t.Fatalf("unknown selector: exit %d\n%s", r.code, r.output())
	}
}

// Two models joining one dimension, each with a relationships test back
// to it (the everyday star schema), and a mart fed by one of them: gating
// children on tests must not make the tests wait for each other.
func TestRelationshipsTestsDoNotDeadlock(t *testing.T) {
	dir := project(t, map[string]string{
		"models/dim.sql":    "select 1 as id",
		"models/fact_a.sql": "select d.id from {{ ref('dim') }} d",
		"models/fact_b.sql": "select d.id from {{ ref('dim') }} d",
		"models/mart.sql":   "select a.id from {{ ref('fact_a') }} a join {{ ref('dim') }} d using (id)",
		"models/schema.yml": `version: 2
models:
  - name: fact_a
    columns:
      - name: id
        data_tests:
          - relationships: {to: ref('dim'), field: id}
  - name: fact_b
    columns:
      - name: id
        data_tests:
          - relationships: {to: ref('dim'), field: id}
  - name: mart
    columns:
      - name: id
        data_tests:
          - relationships: {to: ref('dim'), field: id}
`,
	})
	r := mustKiln(t, dir, 0, "build")
	if !strings.Contains(r.stdout, "PASS=7 WARN=0 ERROR=0 SKIP=0 TOTAL=7") {
		t.Fatalf("every node must run:\n%s", r.stdout)
	}
}
