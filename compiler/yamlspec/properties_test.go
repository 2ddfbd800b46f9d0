package yamlspec

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/diag"
)

func loadTestdata(t *testing.T, name string) (*Properties, diag.Diagnostics) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "properties", name))
	if err != nil {
		t.Fatal(err)
	}
	return LoadProperties(name, src)
}

func TestLoadPropertiesRetail(t *testing.T) {
	p, ds := loadTestdata(t, "retail.yml")
	noDiags(t, ds)
	if p.Version != 2 || len(p.Models) != 1 || len(p.Sources) != 2 || len(p.Exposures) != 1 || len(p.Seeds) != 1 ||
		len(p.Snapshots) != 1 || len(p.Macros) != 1 || len(p.Analyses) != 1 || len(p.Groups) != 1 {
		t.Fatalf("counts: %+v", p)
	}
	if p.Metrics == nil || p.SemanticModels == nil || p.SavedQueries == nil || p.UnitTests == nil {
		t.Errorf("raw sections not kept")
	}
	if p.Groups[0].Owner.Meta["slack"] != "#bi" {
		t.Errorf("owner extras: %+v", p.Groups[0].Owner)
	}

	m := p.Models[0]
	if m.Name != "fct_sales" || m.Access != "public" || m.Meta["owner"] != "pos-team" || !*m.Docs.Show || m.Versions == nil {
		t.Errorf("model: %+v", m)
	}
	if m.Pos != (diag.Pos{File: "retail.yml", Line: 8, Col: 5}) {
		t.Errorf("model pos: %+v", m.Pos)
	}
	wantCfg := map[string]any{
		"materialized": "incremental", "unique_key": []any{"store_id", "sale_id"}, "event_time": "sold_at",
		"lookback": "3 days", "arrival_time": "_loaded_at", "tags": []string{"nightly"}, "contract": map[string]any{"enforced": true},
	}
	if !reflect.DeepEqual(m.Config.Values, wantCfg) {
		t.Errorf("config: %#v", m.Config.Values)
	}
	if m.Config.KeyPos["event_time"] != (diag.Pos{File: "retail.yml", Line: 21, Col: 19}) {
		t.Errorf("config pos: %+v", m.Config.KeyPos["event_time"])
	}
	if m.Constraints[0].Type != "primary_key" || !reflect.DeepEqual(m.Constraints[0].Columns, []string{"store_id", "sale_id"}) {
		t.Errorf("constraints: %+v", m.Constraints[0])
	}

	type testView struct {
		Name, Custom string
		Args, Config map[string]any
		Line         int
	}
	view := func(ts []*TestSpec) []testView {
		var out []testView
		for _, s := range ts {
			out = append(out, testView{s.Name, s.CustomName, s.Args, s.Config.Values, s.Pos.Line})
		}
		return out
	}
	if got, want := view(m.DataTests), []testView{
		{"dbt_utils.unique_combination_of_columns", "", map[string]any{"combination_of_columns": []any{"store_id", "sale_id"}}, nil, 30},
		{"expression_is_true", "sales_positive", map[string]any{"expression": "amount >= 0"}, map[string]any{"severity": "warn"}, 32},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("model tests:\n got %+v\nwant %+v", got, want)
	}
	cols := m.Columns
	if got, want := view(cols[0].DataTests), []testView{{"unique", "", nil, nil, 42}, {"not_null", "", nil, nil, 43}}; !reflect.DeepEqual(got, want) {
		t.Errorf("short tests: %+v", got)
	}
	if got, want := view(cols[1].DataTests), []testView{
		{"not_null", "", nil, map[string]any{"where": "sold_at > current_date - 7"}, 47},
		{"relationships", "", map[string]any{"to": "ref('dim_store')", "field": "store_id"}, map[string]any{"severity": "warn"}, 49},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("long tests:\n got %+v\nwant %+v", got, want)
	}
	if got, want := view(cols[2].DataTests), []testView{
		{"accepted_values", "", map[string]any{"values": []any{"store", "web", "app"}, "quote": false}, map[string]any{"severity": "warn", "where": "channel is not null"}, 57},
		{"accepted_values", "", map[string]any{"values": []any{"store", "web"}}, map[string]any{"severity": "error"}, 61},
		{"my_custom_test", "", map[string]any{"arg": 1}, nil, 66},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("1.10 and custom tests:\n got %+v\nwant %+v", got, want)
	}
	if cols[1].DataTests[1].ArgPos["to"] != (diag.Pos{File: "retail.yml", Line: 50, Col: 19}) {
		t.Errorf("arg pos: %+v", cols[1].DataTests[1].ArgPos["to"])
	}
	if !reflect.DeepEqual(cols[2].Tags, StringOrList{"pii"}) || *cols[0].Quote || cols[0].DataType != "bigint" {
		t.Errorf("columns: %+v %+v", cols[0], cols[2])
	}

	pos := p.Sources[0]
	if pos.Freshness.WarnAfter.Count != 15 || pos.Freshness.WarnAfter.Period != "minute" || pos.Freshness.ErrorAfter.Period != "hour" ||
		pos.Freshness.Filter == "" || pos.LoadedAtField != "_loaded_at" || *pos.Quoting.Identifier {
		t.Errorf("source: %+v", pos)
	}
	if pos.Tables[0].Freshness != nil || pos.Tables[0].Identifier != "pos_transactions" || pos.Tables[0].Columns[0].DataTests[0].Name != "not_null" {
		t.Errorf("table inherits freshness: %+v", pos.Tables[0])
	}
	if f := pos.Tables[1].Freshness; f == nil || !f.Disabled || pos.Tables[1].External == nil {
		t.Errorf("freshness: null must disable: %+v", f)
	}

	e := p.Exposures[0]
	var refs []string
	for _, r := range e.DependsOn {
		refs = append(refs, fmt.Sprintf("%s%v%s", r.Kind, r.Args, r.Version))
	}
	if e.Type != "dashboard" || e.Maturity != "high" || e.Owner.Email != "bi@example.com" || e.Meta["tool"] != "looker" ||
		!reflect.DeepEqual(refs, []string{"ref[fct_sales]", "ref[dim_store]2", "source[pos transactions]"}) {
		t.Errorf("exposure: %+v %v", e, refs)
	}
	if s := p.Seeds[0]; s.Config.Values["quote_columns"] != false || s.Columns[0].DataTests[0].Name != "unique" {
		t.Errorf("seed: %+v", s)
	}
	if s := p.Snapshots[0]; s.Relation != "source('pos', 'stores')" || s.Config.Values["strategy"] != "timestamp" {
		t.Errorf("snapshot: %+v", s)
	}
	if mc := p.Macros[0]; mc.Arguments[0].Type != "string" {
		t.Errorf("macro: %+v", mc)
	}
}

func TestLoadPropertiesBrokenCollectsAll(t *testing.T) {
	_, ds := loadTestdata(t, "broken.yml")
	expectDiags(t, ds,
		`broken.yml:4:5: unknown key "descripton" (hint: did you mean "description"?)`,
		`broken.yml:5:14: columns: expected a list of mappings, got a mapping`,
		`broken.yml:7:9: a test must have exactly one key, its name; got 2: a, b (hint: write `+"`- test_name: {arg: value}`"+`, or name the test with `+"`test_name:`"+`)`,
		`broken.yml:10:37: freshness count must be a positive integer, got 0`,
		`broken.yml:10:48: invalid freshness period "days" (hint: did you mean "day"?)`,
		`broken.yml:13:11: invalid exposure type "dashbord" (hint: did you mean "dashboard"?)`,
		`broken.yml:14:18: invalid depends_on entry "ref(x)" (hint: write "ref('model_name')" or "source('source_name', 'table_name')")`,
		`broken.yml:15:12: exposure owner needs a name or an email`,
	)
}

func TestLoadPropertiesErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"unknown top-level", "version: 2\nmodel:\n  - name: a\n", []string{
			`f.yml:2:1: unknown key "model" (hint: did you mean "models"?)`,
		}},
		{"model without name", "models:\n  - description: x\n", []string{`f.yml:2:5: missing required key "name"`}},
		{"column tests not a list", "models:\n  - name: a\n    columns:\n      - name: id\n        tests: unique\n", []string{
			`f.yml:5:16: data_tests: expected a list of items that are each a test name or a mapping of a test name to its arguments, got a string`,
		}},
		{"tests and data_tests", "models:\n  - name: a\n    tests: [unique]\n    data_tests: [not_null]\n", []string{
			`f.yml:4:5: "tests" and "data_tests" name the same property (hint: keep only "data_tests")`,
		}},
		{"test args not a mapping", "models:\n  - name: a\n    tests:\n      - accepted_values: [a, b]\n", []string{
			`f.yml:4:26: accepted_values: expected a mapping of test arguments, got a list`,
		}},
		{"test severity", "models:\n  - name: a\n    tests:\n      - unique: {config: {severity: fatal}}\n", []string{
			`f.yml:4:37: invalid severity "fatal" (hint: use one of: warn, error)`,
		}},
		{"test config twice", "models:\n  - name: a\n    tests:\n      - unique: {severity: warn, config: {severity: error}}\n", []string{
			`f.yml:4:53: config "severity" is set twice`,
		}},
		{"model config type", "models:\n  - name: a\n    config: {materialized: [x], enabled: 1, unique_key: {a: b}, batch_size: week}\n", []string{
			`f.yml:3:28: materialized: expected a string, got a list`,
			`f.yml:3:42: enabled: expected a boolean (true or false), got an integer`,
			`f.yml:3:57: unique_key: expected a string or a list of strings, got a mapping`,
			`f.yml:3:77: invalid batch_size "week" (hint: use one of: hour, day, month, year)`,
		}},
		{"freshness period", "sources:\n  - name: s\n    tables:\n      - name: t\n        freshness: {error_after: {count: 2, period: fortnight}}\n", []string{
			`f.yml:5:53: invalid freshness period "fortnight" (hint: use one of: minute, hour, day)`,
		}},
		{"freshness rule missing period", "sources:\n  - name: s\n    freshness: {warn_after: {count: 2}}\n", []string{
			`f.yml:3:29: missing required key "period"`,
		}},
		{"freshness not a mapping", "sources:\n  - name: s\n    freshness: daily\n", []string{
			`f.yml:3:16: freshness: expected a mapping, got a string`,
		}},
		{"exposure required", "exposures:\n  - name: e\n    maturity: hi\n", []string{
			`f.yml:2:5: missing required key "owner"`,
			`f.yml:2:5: missing required key "type"`,
			`f.yml:3:15: invalid exposure maturity "hi" (hint: use one of: low, medium, high)`,
		}},
		{"constraint type", "models:\n  - name: a\n    constraints: [{type: primary}]\n", []string{
			`f.yml:3:26: invalid constraint type "primary" (hint: use one of: check, not_null, unique, primary_key, foreign_key, custom)`,
		}},
		{"duplicate model", "models:\n  - name: a\n  - name: b\n  - name: a\n", []string{
			`f.yml:4:5: model "a" is declared twice (hint: first declared at line 2)`,
		}},
		{"duplicate key in model", "models:\n  - name: a\n    description: x\n    description: y\n", []string{
			`f.yml:4:5: duplicate key "description" (hint: first defined at line 3; remove one of them)`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := LoadProperties("f.yml", []byte(tc.src))
			expectDiags(t, ds, tc.want...)
		})
	}
}

// FuzzDecodeProperties asserts that no input makes the loader panic.
func FuzzDecodeProperties(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "properties", "*.yml"))
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("models: [{name: a, tests: [{<<: {x: 1}}]}]"))
	f.Add([]byte("a: &a [*a]"))
	f.Fuzz(func(t *testing.T, src []byte) {
		p, ds := LoadProperties("f.yml", src)
		if p == nil && !ds.HasErrors() {
			t.Fatal("nil result without errors")
		}
		_ = ds.Sort()
	})
}

func BenchmarkLoadProperties1000Models(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 2\nmodels:\n")
	for i := range 1000 {
		fmt.Fprintf(&sb, `  - name: model_%d
    description: "Model number %d"
    config: {materialized: table, tags: [daily]}
    columns:
      - name: id
        description: primary key
        tests: [unique, not_null]
      - name: status
        tests:
          - accepted_values:
              values: [a, b, c]
              config: {severity: warn}
      - name: store_id
        tests:
          - relationships: {to: "ref('dim_store')", field: store_id}
`, i, i)
	}
	src := []byte(sb.String())
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		p, ds := LoadProperties("big.yml", src)
		if len(ds) > 0 || len(p.Models) != 1000 {
			b.Fatal(ds)
		}
	}
}
