package selector

import (
	"strings"
	"testing"
)

type m = map[string]any
type l = []any

func shopSelectors(t *testing.T) *Definitions {
	t.Helper()
	doc := m{"selectors": l{
		m{"name": "nightly", "default": true, "description": "the nightly run", "definition": m{"union": l{
			"tag:nightly",
			m{"method": "source", "value": "raw_pos", "children": true},
			m{"exclude": l{m{"tag": "staging"}}},
		}}},
		m{"name": "finance_core", "definition": m{"intersection": l{
			"+fct_sales",
			m{"method": "resource_type", "value": "model"},
		}}},
		m{"name": "around_dim", "definition": m{"method": "fqn", "value": "dim_stores", "parents_depth": 1, "children": true, "children_depth": 1}},
		m{"name": "reuse", "definition": m{"union": l{
			m{"method": "selector", "value": "finance_core"},
			m{"exclude": m{"method": "config.materialized", "value": "ephemeral"}},
		}}},
		m{"name": "loop", "definition": "selector:loop"},
		m{"name": "everything_at", "definition": m{"method": "fqn", "value": "dim_stores", "childrens_parents": true}},
	}}
	defs, ds := ParseSelectors("selectors.yml", doc, nil)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	return defs
}

func TestSelectorDefinitions(t *testing.T) {
	u := shop()
	defs := shopSelectors(t)
	if got := strings.Join(defs.Names(), " "); got != "around_dim everything_at finance_core loop nightly reuse" || defs.Default() != "nightly" {
		t.Fatalf("names %q default %q", got, defs.Default())
	}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"default selector", Options{}, "assert_positive_sales dim_stores fct_sales int_sales not_null_stg_transactions_id relationships_fct_sales_store_id sales_report stores stores_snapshot test_int_sales transactions unique_fct_sales_sale_id weekly_dashboard"},
		{"--selector", Options{Selector: "finance_core"}, "fct_sales int_sales stg_stores stg_transactions"},
		{"depths", Options{Selector: "around_dim"}, "dim_stores relationships_fct_sales_store_id stg_stores weekly_dashboard"},
		{"reference and exclude", Options{Selector: "reuse"}, "fct_sales stg_stores stg_transactions"},
		{"childrens_parents", Options{Selector: "everything_at"}, "country_codes dim_stores fct_sales int_sales relationships_fct_sales_store_id stg_stores stg_transactions stores transactions weekly_dashboard"},
		{"selector method on the command line", Options{Include: []string{"selector:finance_core,tag:staging"}}, "stg_stores stg_transactions"},
		{"--select replaces the default", Options{Include: []string{"dim_stores"}}, "dim_stores"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Selectors, tc.o.Indirect = defs, Empty
			got, ds := Evaluate(u, tc.o)
			if len(ds) > 0 {
				t.Fatal(ds)
			}
			if g := names(u, got); g != sorted(tc.want) {
				t.Errorf("\n got: %s\nwant: %s", g, sorted(tc.want))
			}
		})
	}
}

func TestSelectorDefinitionDiagnostics(t *testing.T) {
	defs := shopSelectors(t)
	expectDiag(t, Options{Selectors: defs, Selector: "loop"}, `error: selectors.yml: selector "loop" refers to itself`)
	expectDiag(t, Options{Selectors: defs, Selector: "finanse_core"}, `error: --selector: no selector named "finanse_core" (hint: did you mean "finance_core"?)`)
	expectDiag(t, Options{Selectors: defs, Selector: "finance_core", Include: []string{"x"}},
		`warning: --selector: --select and --exclude are ignored when --selector is given (hint: put the criteria in the selector's definition)`)

	tests := []struct {
		name string
		doc  any
		want []string
	}{
		{"not a list", m{"selectors": "x"}, []string{`selectors.yml: expected a list under "selectors"`}},
		{"unknown top key", m{"selectors": l{}, "selector": 1}, []string{`selectors.yml: unknown key "selector" (hint: did you mean "selectors"?)`}},
		{"unknown key", l{m{"name": "a", "defintion": "x"}}, []string{
			`selectors.yml: selectors[0]: unknown key "defintion" (hint: did you mean "definition"?)`,
			`selectors.yml: selector "a": selector "a" has no definition`,
		}},
		{"no name", l{m{"definition": "x"}}, []string{`selectors.yml: selectors[0]: selector has no name`}},
		{"duplicate", l{m{"name": "a", "definition": "x"}, m{"name": "a", "definition": "y"}}, []string{`selectors.yml: selector "a": selector "a" is defined twice`}},
		{"two defaults", l{m{"name": "a", "default": true, "definition": "x"}, m{"name": "b", "default": true, "definition": "y"}}, []string{`selectors.yml: selector "b": selectors "a" and "b" are both marked default`}},
		{"bad selector string", l{m{"name": "a", "definition": m{"union": l{"x", "tagg:y"}}}}, []string{
			`selectors.yml: selector "a" definition.union[1]: "tagg:y" column 1: unknown selector method "tagg" (hint: did you mean "tag"?)`,
		}},
		{"bad method dict", l{m{"name": "a", "definition": m{"method": "tag", "value": "x", "children": "yes", "parent": true}}}, []string{
			`selectors.yml: selector "a" definition: unknown key "parent" (hint: did you mean "parents"?)`,
		}},
		{"bad flag", l{m{"name": "a", "definition": m{"method": "tag", "value": "x", "children": "yes"}}}, []string{
			`selectors.yml: selector "a" definition: children must be true or false`,
		}},
		{"method needs value", l{m{"name": "a", "definition": m{"method": "tag"}}}, []string{`selectors.yml: selector "a" definition: method "tag" needs a value`}},
		{"exclude only", l{m{"name": "a", "definition": m{"union": l{m{"exclude": l{"x"}}}}}}, []string{`selectors.yml: selector "a" definition.union: needs at least one item besides exclude`}},
		{"wrong type", l{m{"name": "a", "definition": 3}}, []string{`selectors.yml: selector "a" definition: expected a selector string or a map, got int`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ds := ParseSelectors("selectors.yml", tc.doc, nil)
			var got []string
			for _, d := range ds {
				s := d.String()
				if d.Hint != "" {
					s += " (hint: " + d.Hint + ")"
				}
				got = append(got, s)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tc.want, "\n      "))
			}
		})
	}
}
