package tests

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docsProject is a small warehouse: two POS sources -> staging -> an
// incremental fact -> two marts -> a dashboard exposure. The raw tables are
// created directly in the DuckDB file, and the project is built.
func docsProject(t *testing.T) string {
	t.Helper()
	dir := project(t, map[string]string{
		"dbt_project.yml":    "name: shop\nprofile: shop\nmodels:\n  shop:\n    staging:\n      +materialized: view\n      +tags: [staging]\n    core:\n      +materialized: table\n    marts:\n      +materialized: table\n      +tags: [marts]\n",
		"models/overview.md": "{% docs __overview__ %}\n# Shop warehouse\n\nPOS sales from the **stores**, modelled for the weekly dashboard.\n{% enddocs %}\n",
		"models/staging/_sources.yml": `version: 2
sources:
  - name: pos
    schema: raw
    loaded_at_field: _loaded_at
    freshness:
      warn_after: {count: 15, period: minute}
      error_after: {count: 1, period: hour}
    tables:
      - name: transactions
        description: Raw POS transactions, one row per sale.
      - name: stores
`,
		"models/staging/stg_transactions.sql": "select id as sale_id, store_id, amount, sold_at from {{ source('pos', 'transactions') }}\n",
		"models/staging/stg_stores.sql":       "select * from {{ source('pos', 'stores') }}\n",
		"models/core/fact_sales.sql": `{{ config(materialized='incremental', unique_key='sale_id', event_time='sold_at', lookback='3 days') }}
with t as (select * from {{ ref('stg_transactions') }}),
s as (select store_id, store_name, region from {{ ref('stg_stores') }})
select t.sale_id, t.store_id, s.region, t.amount * 100 as amount_cents, t.sold_at,
       row_number() over (partition by t.store_id order by t.sold_at) as store_seq
from t left join s on t.store_id = s.store_id
`,
		"models/marts/mart_daily_sales.sql": "select cast(sold_at as date) as sale_date, region, sum(amount_cents) as revenue_cents, count(*) as sales\nfrom {{ ref('fact_sales') }} group by 1, 2\n",
		"models/marts/mart_store_sales.sql": "select store_id, sum(amount_cents) as total_cents from {{ ref('fact_sales') }} group by store_id\n",
		"models/schema.yml": `version: 2
models:
  - name: fact_sales
    description: One row per POS sale, with the store's region.
    config:
      tags: [daily]
    columns:
      - name: sale_id
        description: The POS sale id.
        data_tests: [unique, not_null]
      - name: region
        description: Sales region of the store.
  - name: mart_daily_sales
    description: Revenue per day and region.
exposures:
  - name: weekly_dashboard
    type: dashboard
    maturity: high
    url: https://bi.example.com/dash/1
    owner: {name: Retail Analytics, email: analytics@example.com}
    depends_on: [ref('mart_daily_sales')]
    meta: {tool: metabase, sla: "Mondays 07:00"}
`,
	})
	if err := os.MkdirAll(filepath.Join(dir, "target"), 0o755); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", filepath.Join(dir, "target", "shop.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"create schema raw",
		"create table raw.transactions (id integer, store_id integer, amount integer, sold_at timestamp, _loaded_at timestamp)",
		"insert into raw.transactions values (1, 1, 5, '2024-01-01 10:00', now()), (2, 2, 7, '2024-01-02 11:00', now())",
		"create table raw.stores (store_id integer, store_name varchar, region varchar)",
		"insert into raw.stores values (1, 'Central', 'north'), (2, 'Harbour', 'south')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	mustKiln(t, dir, 0, "build")
	return dir
}

// docsData reads target/docs/data.js.
type docsNode struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
	G    int    `json:"g"`
	Cols []struct{ N, T, D string }
	Run  *struct{ Status string }
	Lin  *struct {
		Cols []struct {
			N   string
			Src [][2]any
			U   string
		}
		Err string
	}
}

func docsData(t *testing.T, dir string) (nodes []docsNode, overview string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "target", "docs", "data.js"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(string(b), "window.KILN_DOCS = ")), ";")
	var d struct {
		Nodes    []docsNode `json:"nodes"`
		Overview string     `json:"overview"`
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatal(err)
	}
	// SQL and lineage come from details.js, one entry per node.
	b, err = os.ReadFile(filepath.Join(dir, "target", "docs", "details.js"))
	if err != nil {
		t.Fatal(err)
	}
	s = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(string(b), "window.KILN_DETAILS = ")), ";")
	var details []docsNode
	if err := json.Unmarshal([]byte(s), &details); err != nil {
		t.Fatal(err)
	}
	if len(details) != len(d.Nodes) {
		t.Fatalf("%d details for %d nodes", len(details), len(d.Nodes))
	}
	for i := range details {
		d.Nodes[i].Lin = details[i].Lin
	}
	return d.Nodes, d.Overview
}

func TestDocsGenerate(t *testing.T) {
	dir := docsProject(t)
	r := mustKiln(t, dir, 0, "docs", "generate")
	if !strings.Contains(r.stdout, "index.html") {
		t.Errorf("docs generate output:\n%s", r.output())
	}

	// catalog.json in dbt's shape.
	var cat struct {
		Nodes, Sources map[string]struct {
			Metadata struct{ Type, Schema, Name string }
			Columns  map[string]struct {
				Type  string
				Index int
				Name  string
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "target", "catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	fact := cat.Nodes["model.shop.fact_sales"]
	if fact.Metadata.Type != "BASE TABLE" || fact.Metadata.Name != "fact_sales" {
		t.Errorf("fact_sales metadata: %+v", fact.Metadata)
	}
	if c := fact.Columns["region"]; c.Type != "VARCHAR" || c.Index != 3 || c.Name != "region" {
		t.Errorf("fact_sales.region: %+v", c)
	}
	if len(fact.Columns) != 6 {
		t.Errorf("fact_sales has %d columns, want 6", len(fact.Columns))
	}
	if v := cat.Nodes["model.shop.stg_stores"]; v.Metadata.Type != "VIEW" || len(v.Columns) != 3 {
		t.Errorf("stg_stores: %+v", v)
	}
	if c := cat.Sources["source.shop.pos.transactions"].Columns["_loaded_at"]; c.Type != "TIMESTAMP" || c.Index != 5 {
		t.Errorf("source column: %+v", c)
	}

	// Every node has a page entry.
	nodes, overview := docsData(t, dir)
	var m struct {
		Nodes, Sources, Exposures map[string]json.RawMessage
	}
	b, _ = os.ReadFile(filepath.Join(dir, "target", "manifest.json"))
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	pages := map[string]docsNode{}
	for _, n := range nodes {
		pages[n.ID] = n
	}
	for _, set := range []map[string]json.RawMessage{m.Nodes, m.Sources, m.Exposures} {
		for id := range set {
			if _, ok := pages[id]; !ok {
				t.Errorf("no page for %s", id)
			}
		}
	}
	if len(pages) != len(m.Nodes)+len(m.Sources)+len(m.Exposures) {
		t.Errorf("%d pages for %d nodes", len(pages), len(m.Nodes)+len(m.Sources)+len(m.Exposures))
	}
	if !strings.Contains(overview, "# Shop warehouse") {
		t.Errorf("overview from the docs block: %q", overview)
	}
	if p := pages["model.shop.fact_sales"]; p.Run == nil || p.Run.Status != "success" {
		t.Errorf("fact_sales last run: %+v", p.Run)
	}
	if p := pages["exposure.shop.weekly_dashboard"]; p.G < 0 {
		t.Errorf("exposure not in the graph")
	}
	for _, n := range nodes {
		if n.Type == "test" && n.G >= 0 {
			t.Errorf("test %s drawn in the graph", n.ID)
		}
	}

	// Column lineage, by name.
	lin := func(model, col string) string {
		p := pages["model.shop."+model]
		if p.Lin == nil {
			t.Fatalf("%s has no lineage", model)
		}
		for _, c := range p.Lin.Cols {
			if c.N == col {
				var parts []string
				for _, s := range c.Src {
					parts = append(parts, nodes[int(s[0].(float64))].Name+"."+s[1].(string))
				}
				if c.U != "" {
					parts = append(parts, "untraced: "+c.U)
				}
				return strings.Join(parts, ",")
			}
		}
		t.Fatalf("%s.%s not in lineage %+v", model, col, p.Lin)
		return ""
	}
	for _, c := range [][3]string{
		{"fact_sales", "region", "stg_stores.region"},
		{"fact_sales", "amount_cents", "stg_transactions.amount"},
		{"stg_transactions", "sale_id", "transactions.id"},
		{"stg_stores", "store_name", "stores.store_name"},
		{"mart_daily_sales", "revenue_cents", "fact_sales.amount_cents"},
		{"mart_daily_sales", "sale_date", "fact_sales.sold_at"},
	} {
		if got := lin(c[0], c[1]); got != c[2] {
			t.Errorf("lineage of %s.%s = %q, want %q", c[0], c[1], got, c[2])
		}
	}

	// The site uses only local files.
	html, err := os.ReadFile(filepath.Join(dir, "target", "docs", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`(?i)(?:src|href)\s*=\s*["']?([^"'\s>]+)`).FindAllStringSubmatch(string(html), -1)
	if len(refs) < 3 {
		t.Errorf("index.html references: %v", refs)
	}
	for _, ref := range refs {
		if strings.Contains(ref[1], "//") {
			t.Errorf("index.html references %s, not a local file", ref[1])
		}
	}
	for _, f := range []string{"app.js", "style.css"} {
		b, _ := os.ReadFile(filepath.Join(dir, "target", "docs", f))
		if regexp.MustCompile(`(?i)(import\s|url\(\s*["']?https?:|fetch\(|XMLHttpRequest)`).Match(b) {
			t.Errorf("%s loads something remote", f)
		}
	}
}

func TestDocsServeWithoutSite(t *testing.T) {
	dir := project(t, map[string]string{"models/a.sql": "select 1 as x\n"})
	r := mustKiln(t, dir, 2, "docs", "serve", "--port", "0")
	if !strings.Contains(r.stderr, "kiln docs generate") {
		t.Errorf("hint missing:\n%s", r.output())
	}
}
