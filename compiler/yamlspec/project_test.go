package yamlspec

import (
	"reflect"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

func TestLoadProject(t *testing.T) {
	src := y(`
		|name: retail
		|version: 1.0
		|config-version: 2
		|profile: retail
		|model-paths: ["models"]
		|seed-paths: ["seeds"]
		|clean-targets: [target, dbt_packages]
		|require-dbt-version: [">=1.7.0", "<2.0.0"]
		|on-run-end: "grant usage on schema {{ target.schema }} to role reporter"
		|quoting: {identifier: false}
		|vars:
		|  start_date: '2024-01-01'
		|  dbt_utils: {surrogate_key_treat_nulls_as_empty_strings: true}
		|models:
		|  +materialized: view
		|  +tags: [all]
		|  retail:
		|    staging:
		|      schema: staging
		|      +tags: staging
		|      pos:
		|        +meta: {owner: pos-team}
		|    marts:
		|      materialized: table
		|      tags: [marts, all]
		|      +meta: {tier: gold}
		|      +my_custom: 1
		|      fct_sales:
		|        +materialized: incremental
		|        unique_key: [store_id, sale_id]
		|        +on_schema_change: append_new_columns
		|        +meta: {sla: 15m}
		|        post-hook: "analyze {{ this }}"
		|        enabled: "{{ target.name == 'prod' }}"
		|seeds:
		|  retail:
		|    +column_types: {store_id: varchar}
		|    quote_columns: false
		|tests:
		|  +severity: warn
		|  +store_failures: true
		|`)
	p, ds := LoadProject("dbt_project.yml", src)
	noDiags(t, ds)
	if p.Name != "retail" || p.Version != "1.0" || p.ConfigVersion != 2 || p.Profile != "retail" {
		t.Errorf("header: %+v", p)
	}
	if !reflect.DeepEqual(p.ModelPaths, []string{"models"}) || len(p.OnRunEnd) != 1 || *p.Quoting.Identifier {
		t.Errorf("paths: %v %v", p.ModelPaths, p.OnRunEnd)
	}
	if p.Vars["dbt_utils"].(map[string]any)["surrogate_key_treat_nulls_as_empty_strings"] != true {
		t.Errorf("vars: %v", p.Vars)
	}

	got := p.Models.Resolve([]string{"retail", "marts", "fct_sales"})
	want := map[string]any{
		"materialized":     "incremental",
		"tags":             []string{"all", "marts"},
		"meta":             map[string]any{"tier": "gold", "sla": "15m"},
		"my_custom":        1,
		"unique_key":       []any{"store_id", "sale_id"},
		"on_schema_change": "append_new_columns",
		"post-hook":        []any{"analyze {{ this }}"},
		"enabled":          "{{ target.name == 'prod' }}",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolve fct_sales:\n got %#v\nwant %#v", got, want)
	}
	got = p.Models.Resolve([]string{"retail", "staging", "pos", "stg_pos_transactions"})
	want = map[string]any{"materialized": "view", "schema": "staging", "tags": []string{"all", "staging"}, "meta": map[string]any{"owner": "pos-team"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resolve stg:\n got %#v\nwant %#v", got, want)
	}
	// Another package only gets the root configs.
	if got := p.Models.Resolve([]string{"dbt_utils", "x"}); !reflect.DeepEqual(got, map[string]any{"materialized": "view", "tags": []string{"all"}}) {
		t.Errorf("resolve other package: %#v", got)
	}
	_, pos := p.Models.ResolvePos([]string{"retail", "marts", "fct_sales"})
	if pos["materialized"] != (diag.Pos{File: "dbt_project.yml", Line: 29, Col: 24}) {
		t.Errorf("pos: %+v", pos["materialized"])
	}
	if got := p.Seeds.Resolve([]string{"retail", "stores"}); got["quote_columns"] != false || got["column_types"].(map[string]any)["store_id"] != "varchar" {
		t.Errorf("seeds: %#v", got)
	}
	if got := p.Tests.Resolve(nil); got["severity"] != "warn" || got["store_failures"] != true {
		t.Errorf("tests: %#v", got)
	}
	var nilTree *ConfigTree
	if got := nilTree.Resolve([]string{"a"}); len(got) != 0 {
		t.Errorf("nil tree: %v", got)
	}
	if v, ok := nilTree.Value([]string{"a"}, "materialized"); ok {
		t.Errorf("nil tree: value %v", v)
	}
	// Value is Resolve's entry for replaced keys, without the map.
	for _, path := range [][]string{{"retail", "marts", "fct_sales"}, {"retail", "staging", "pos", "x"}, {"dbt_utils", "x"}, nil} {
		all := p.Models.Resolve(path)
		for _, key := range []string{"materialized", "schema", "unique_key", "missing"} {
			v, ok := p.Models.Value(path, key)
			if want, has := all[key]; ok != has || !reflect.DeepEqual(v, want) {
				t.Errorf("Value(%v, %s) = %v, %v; Resolve has %v, %v", path, key, v, ok, want, has)
			}
		}
	}
}

func TestLoadProjectErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty", "", []string{`p.yml:1:1: the project file is empty (hint: a project needs at least ` + "`name:`" + `)`}},
		{"missing name", "profile: x\n", []string{`p.yml:1:1: missing required key "name"`}},
		{"unknown top-level key", "name: x\nmodel-path: [m]\n", []string{`p.yml:2:1: unknown key "model-path" (hint: did you mean "model-paths"?)`}},
		{"paths not a list", "name: x\nmodel-paths: {a: 1}\n", []string{`p.yml:2:14: model-paths: expected a list of strings, got a mapping`}},
		{"typo in config without +", "name: x\nmodels:\n  x:\n    materialised: table\n", []string{
			`p.yml:4:5: unknown config "materialised" (hint: did you mean "materialized"?)`,
		}},
		{"unknown scalar key", "name: x\nmodels:\n  x:\n    owner_team: bi\n", []string{
			`p.yml:4:5: unknown config "owner_team" (hint: write custom configs with a + prefix (+owner_team); a folder or package takes a mapping)`,
		}},
		{"config types", "name: x\nmodels:\n  +materialized: [table]\n  +enabled: maybe\n  x:\n    tags: {a: 1}\n    +on_schema_change: fial\n    +severity: WARNING\n", []string{
			`p.yml:3:18: materialized: expected a string, got a list`,
			`p.yml:4:13: enabled: expected a boolean (true or false), got a string`,
			`p.yml:6:11: tags: expected a string or a list of strings, got a mapping`,
			`p.yml:7:24: invalid on_schema_change "fial" (hint: did you mean "fail"?)`,
			`p.yml:8:16: invalid severity "warning" (hint: did you mean "warn"?)`,
		}},
		{"config twice", "name: x\nmodels:\n  materialized: view\n  +materialized: table\n", []string{
			`p.yml:4:3: config "materialized" is set twice (hint: keep only one "materialized")`,
		}},
		{"tests and data_tests", "name: x\ntests: {}\ndata_tests: {}\n", []string{
			`p.yml:3:1: "tests" and "data_tests" name the same property (hint: keep only "data_tests")`,
		}},
		{"hooks", "name: x\nmodels:\n  +pre-hook: [{sql: 'select 1', transaction: false}, {sq: x}, [1]]\n", []string{
			`p.yml:3:54: missing required key "sql"`,
			`p.yml:3:55: unknown key "sq" (hint: did you mean "sql"?)`,
			`p.yml:3:63: pre-hook: expected SQL text or a {sql, transaction} mapping, got a list`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := LoadProject("p.yml", []byte(tc.src))
			expectDiags(t, ds, tc.want...)
		})
	}
}

func TestProjectHooksNormalized(t *testing.T) {
	p, ds := LoadProject("p.yml", []byte("name: x\nmodels:\n  +pre_hook: [\"a\", {sql: b, transaction: false}]\n  x:\n    +pre-hook: c\n"))
	noDiags(t, ds)
	got := p.Models.Resolve([]string{"x", "m"})["pre-hook"]
	want := []any{"a", map[string]any{"sql": "b", "transaction": false}, "c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hooks: %#v", got)
	}
}
