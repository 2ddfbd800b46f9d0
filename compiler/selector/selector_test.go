package selector

import (
	"slices"
	"strings"
	"testing"
)

const (
	upstreamOfFct = "country_codes int_sales stg_stores stg_transactions stores transactions"
	allNodes      = "assert_positive_sales country_codes dim_stores fct_sales helper int_sales not_null_stg_transactions_id relationships_fct_sales_store_id sales_report stg_stores stg_transactions stores stores_snapshot test_int_sales transactions unique_fct_sales_sale_id weekly_dashboard"
)

func TestSelectAtoms(t *testing.T) {
	u := shop()
	state := stateByName{
		"state:modified":      {"int_sales"},
		"state:new":           {"dim_stores"},
		"state:modified.body": {"stg_stores"},
		"result:error":        {"stg_transactions"},
		"result:fail":         {"unique_fct_sales_sale_id"},
	}
	tests := []struct {
		sel  string
		want string
	}{
		// names, globs, fqn and package forms
		{"fct_sales", "fct_sales"},
		{"stg_*", "stg_stores stg_transactions"},
		{"*_stores", "dim_stores stg_stores"},
		{"*", allNodes},
		{"shop.marts.*", "dim_stores fct_sales weekly_dashboard"},
		{"shop.staging", "stg_stores stg_transactions stores transactions"},
		{"other_pkg", "helper"},
		{"weekly_dashboard", "weekly_dashboard"},
		{"raw_pos.transactions", "transactions"},
		{"fqn:shop.staging.raw_pos", "stores transactions"},
		{"fqn:fct_sales", "fct_sales"},
		// graph operators
		{"+fct_sales", "fct_sales " + upstreamOfFct},
		{"fct_sales+", "assert_positive_sales fct_sales relationships_fct_sales_store_id sales_report unique_fct_sales_sale_id weekly_dashboard"},
		{"1+fct_sales", "fct_sales int_sales"},
		{"2+fct_sales", "fct_sales int_sales stg_stores stg_transactions"},
		{"stg_stores+1", "dim_stores int_sales stg_stores stores_snapshot"},
		{"1+stg_stores+1", "country_codes dim_stores int_sales stg_stores stores stores_snapshot"},
		{"0+fct_sales+0", "fct_sales"},
		{"@dim_stores", "country_codes dim_stores fct_sales int_sales relationships_fct_sales_store_id stg_stores stg_transactions stores transactions weekly_dashboard"},
		{"@dim_stores+", "country_codes dim_stores fct_sales int_sales relationships_fct_sales_store_id stg_stores stg_transactions stores transactions weekly_dashboard"},
		{"+stg_*", "country_codes stg_stores stg_transactions stores transactions"},
		// methods
		{"tag:nightly", "dim_stores fct_sales"},
		{"tag:night*", "dim_stores fct_sales"},
		{"tag:pii", "stores transactions"},
		{"path:models/staging", "not_null_stg_transactions_id stg_stores stg_transactions stores transactions"},
		{"path:models/staging/", "not_null_stg_transactions_id stg_stores stg_transactions stores transactions"},
		{"path:models/staging/stg_stores.sql", "stg_stores"},
		{"path:models/*/stg_*.sql", "stg_stores stg_transactions"},
		{"path:models/stag", ""},
		{"models/marts", "dim_stores fct_sales relationships_fct_sales_store_id unique_fct_sales_sale_id weekly_dashboard"},
		{"file:fct_sales.sql", "fct_sales"},
		{"file:fct_sales", "fct_sales"},
		{"fct_sales.sql", "fct_sales"},
		{"file:schema.yml", "not_null_stg_transactions_id relationships_fct_sales_store_id unique_fct_sales_sale_id"},
		{"package:other_pkg", "helper"},
		{"package:other_*", "helper"},
		{"config.materialized:incremental", "fct_sales"},
		{"config.materialized:view", "helper stg_stores stg_transactions"},
		{"config.meta.owner:finance-team", "fct_sales"},
		{"config.grants:analyst", "fct_sales"},
		{"config.enabled:true", "fct_sales"},
		{"config.materialized.x:view", ""},
		{"resource_type:source", "stores transactions"},
		{"resource_type:seed", "country_codes"},
		{"resource_type:snapshot", "stores_snapshot"},
		{"resource_type:analysis", "sales_report"},
		{"resource_type:exposure", "weekly_dashboard"},
		{"resource_type:test", "assert_positive_sales not_null_stg_transactions_id relationships_fct_sales_store_id unique_fct_sales_sale_id"},
		{"resource_type:unit_test", "test_int_sales"},
		{"source:raw_pos", "stores transactions"},
		{"source:raw_pos.transactions", "transactions"},
		{"source:raw_pos.*", "stores transactions"},
		{"source:shop.raw_pos.stores", "stores"},
		{"source:raw_pos.transactions+", "assert_positive_sales fct_sales int_sales not_null_stg_transactions_id relationships_fct_sales_store_id sales_report stg_transactions test_int_sales transactions unique_fct_sales_sale_id weekly_dashboard"},
		{"exposure:weekly_dashboard", "weekly_dashboard"},
		{"exposure:shop.weekly_dashboard", "weekly_dashboard"},
		{"+exposure:weekly_dashboard", "dim_stores fct_sales weekly_dashboard " + upstreamOfFct},
		{"test_type:generic", "not_null_stg_transactions_id relationships_fct_sales_store_id unique_fct_sales_sale_id"},
		{"test_type:singular", "assert_positive_sales"},
		{"test_type:data", "assert_positive_sales"},
		{"test_type:unit", "test_int_sales"},
		{"test_name:unique", "unique_fct_sales_sale_id"},
		{"test_name:not_*", "not_null_stg_transactions_id"},
		{"state:modified", "int_sales"},
		{"state:modified+1", "fct_sales int_sales test_int_sales"},
		{"state:new", "dim_stores"},
		{"state:modified.body", "stg_stores"},
		{"result:error+", "assert_positive_sales fct_sales int_sales not_null_stg_transactions_id relationships_fct_sales_store_id sales_report stg_transactions test_int_sales unique_fct_sales_sale_id weekly_dashboard"},
		{"result:fail", "unique_fct_sales_sale_id"},
		// unions and intersections
		{"tag:nightly tag:staging", "dim_stores fct_sales stg_stores stg_transactions"},
		{"tag:nightly,tag:finance", "fct_sales"},
		{"tag:nightly,config.materialized:table", "dim_stores"},
		{"+fct_sales,tag:staging", "stg_stores stg_transactions"},
		{"+fct_sales,resource_type:source dim_stores", "dim_stores stores transactions"},
		{"  fct_sales \t dim_stores\n", "dim_stores fct_sales"},
		{"tag:nightly,tag:pii", ""},
	}
	for _, tc := range tests {
		t.Run(tc.sel, func(t *testing.T) {
			got, ds := Evaluate(u, Options{Include: []string{tc.sel}, State: state, Indirect: Empty})
			if ds.HasErrors() {
				t.Fatalf("unexpected errors: %v", ds)
			}
			if g := names(u, got); g != sorted(tc.want) {
				t.Errorf("select %q\n got: %s\nwant: %s", tc.sel, g, tc.want)
			}
		})
	}
}

func TestSelectExcludeAndIndirect(t *testing.T) {
	u := shop()
	tests := []struct {
		name             string
		include, exclude []string
		mode             IndirectSelection
		want             string
	}{
		{"no select is everything", nil, nil, Eager, allNodes},
		{"blank select is everything", []string{" "}, nil, Eager, allNodes},
		{"several --select values", []string{"fct_sales", "dim_stores"}, nil, Empty, "dim_stores fct_sales"},
		{"exclude", []string{"+fct_sales"}, []string{"resource_type:source resource_type:seed"}, Empty, "fct_sales int_sales stg_stores stg_transactions"},
		{"several --exclude values", []string{"+fct_sales"}, []string{"resource_type:source", "stg_*"}, Empty, "country_codes fct_sales int_sales"},
		{"exclude with graph operator", []string{"*"}, []string{"int_sales+"}, Empty, "country_codes dim_stores helper not_null_stg_transactions_id stg_stores stg_transactions stores stores_snapshot transactions"},
		{"exclude without select", nil, []string{"resource_type:test resource_type:unit_test resource_type:source"}, Eager, "country_codes dim_stores fct_sales helper int_sales sales_report stg_stores stg_transactions stores_snapshot weekly_dashboard"},
		{"eager", []string{"fct_sales"}, nil, Eager, "assert_positive_sales fct_sales relationships_fct_sales_store_id unique_fct_sales_sale_id"},
		{"default mode is eager", []string{"fct_sales"}, nil, "", "assert_positive_sales fct_sales relationships_fct_sales_store_id unique_fct_sales_sale_id"},
		{"cautious", []string{"fct_sales"}, nil, Cautious, "assert_positive_sales fct_sales unique_fct_sales_sale_id"},
		{"cautious with all parents", []string{"fct_sales dim_stores"}, nil, Cautious, "assert_positive_sales dim_stores fct_sales relationships_fct_sales_store_id unique_fct_sales_sale_id"},
		{"cautious unit test", []string{"int_sales"}, nil, Cautious, "int_sales test_int_sales"},
		{"buildable takes tests of upstream nodes", []string{"int_sales"}, nil, Buildable, "int_sales not_null_stg_transactions_id test_int_sales"},
		{"empty", []string{"fct_sales"}, nil, Empty, "fct_sales"},
		{"test exclusion is greedy", []string{"fct_sales dim_stores"}, []string{"dim_stores"}, Eager, "assert_positive_sales fct_sales unique_fct_sales_sale_id"},
		{"greedy exclusion of a directly selected test", []string{"resource_type:test"}, []string{"fct_sales"}, Eager, "not_null_stg_transactions_id"},
		{"excluding a test", []string{"fct_sales"}, []string{"test_type:singular"}, Eager, "fct_sales relationships_fct_sales_store_id unique_fct_sales_sale_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ds := Evaluate(u, Options{Include: tc.include, Exclude: tc.exclude, Indirect: tc.mode})
			if len(ds) > 0 {
				t.Fatalf("unexpected diagnostics: %v", ds)
			}
			if g := names(u, got); g != tc.want {
				t.Errorf("\n got: %s\nwant: %s", g, tc.want)
			}
		})
	}
}

func TestSelectShorthand(t *testing.T) {
	u := shop()
	got, ds := Select(u, []string{"stg_transactions"}, nil, nil)
	if len(ds) > 0 {
		t.Fatal(ds)
	}
	if g := names(u, got); g != "not_null_stg_transactions_id stg_transactions" {
		t.Errorf("got %s", g)
	}
}

func sorted(words string) string {
	f := strings.Fields(words)
	slices.Sort(f)
	return strings.Join(f, " ")
}

// expectDiag evaluates and checks the diagnostics' one-line forms and hints.
func expectDiag(t *testing.T, o Options, want ...string) {
	t.Helper()
	_, ds := Evaluate(shop(), o)
	var got []string
	for _, d := range ds {
		s := d.Severity.String() + ": " + d.String()
		if d.Hint != "" {
			s += " (hint: " + d.Hint + ")"
		}
		got = append(got, s)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics for %+v\n got: %s\nwant: %s", o, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

func TestSelectDiagnostics(t *testing.T) {
	sel := func(s ...string) Options { return Options{Include: s} }
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"unknown method", sel("tagg:nightly"), []string{`error: --select:1:1: unknown selector method "tagg" (hint: did you mean "tag"?)`}},
		{"unknown method in a later atom", sel("fct_sales +sourc:raw_pos+"), []string{`error: --select:1:12: unknown selector method "sourc" (hint: did you mean "source"?)`}},
		{"unknown method with a key", sel("tag.x:y"), []string{`error: --select:1:1: unknown selector method "tag.x" (hint: did you mean "tag"?)`}},
		{"unknown method far from any", sel("zzzzzzzz:y"), []string{`error: --select:1:1: unknown selector method "zzzzzzzz" (hint: expected one of config, exposure, file, fqn, package, path, resource_type, result, selector, source, source_status, state, tag, test_name, test_type)`}},
		{"empty value", sel("fct_sales tag:"), []string{`error: --select:1:11: selector method "tag" needs a value (hint: as in tag:nightly)`}},
		{"empty value with operators", sel("+path:+"), []string{`error: --select:1:2: selector method "path" needs a value (hint: as in path:models/staging)`}},
		{"empty atom", sel("+"), []string{`error: --select:1:1: empty selector "+" (hint: name a node, as in +stg_orders)`}},
		{"empty between commas", sel("a,,b"), []string{`error: --select:1:3: empty selector between commas (hint: remove the extra comma)`}},
		{"trailing comma", sel("fct_sales,"), []string{`error: --select:1:11: empty selector between commas (hint: remove the extra comma)`}},
		{"two selectors run together", sel("stg_sales+fct_sales"), []string{`error: --select:1:10: "+" in the middle of selector "stg_sales+fct_sales" (hint: separate selectors with a space (either) or a comma (both), as in "a+ b"; "+" and "@" go only at either end of one)`}},
		{"doubled operator", sel("fct_sales ++dim_store"), []string{`error: --select:1:12: "+" in the middle of selector "++dim_store" (hint: separate selectors with a space (either) or a comma (both), as in "a+ b"; "+" and "@" go only at either end of one)`}},
		{"@ as a suffix", sel("fct_sales@"), []string{`error: --select:1:10: "@" in the middle of selector "fct_sales@" (hint: separate selectors with a space (either) or a comma (both), as in "a+ b"; "+" and "@" go only at either end of one)`}},
		{"@ with +", sel("@+fct_sales"), []string{`error: --select:1:1: the "@" and "+" prefixes cannot be combined (hint: @ already selects every ancestor of the descendants)`}},
		{"config without key", sel("config:view"), []string{`error: --select:1:1: selector method "config" needs a config key (hint: as in config.materialized:incremental)`}},
		{"config with empty key", sel("config..x:view"), []string{`error: --select:1:1: selector method "config..x" needs a config key (hint: as in config.materialized:incremental)`}},
		{"unknown resource type", sel("+fct_sales,resource_type:modle"), []string{`error: --select:1:26: unknown resource type "modle" (hint: did you mean "model"?)`}},
		{"unknown test type", sel("test_type:generc"), []string{`error: --select:1:11: unknown test type "generc" (hint: did you mean "generic"?)`}},
		{"unknown state", sel("state:modifed"), []string{`error: --select:1:7: unknown state "modifed" (hint: did you mean "modified"?)`}},
		{"unknown result", sel("result:eror"), []string{`error: --select:1:8: unknown result status "eror" (hint: did you mean "error"?)`}},
		{"bad pattern", sel("stg_[a"), []string{`error: --select:1:1: invalid pattern "stg_[a" (hint: close the [ ] character class)`}},
		{"depth too large", sel("99999999999999999999+a"), []string{`error: --select:1:1: graph depth 99999999999999999999 is too large`}},
		{"state without --state", sel("state:modified+"), []string{`error: --select:1:1: state:modified needs --state DIR (hint: pass --state with the target folder of an earlier run)`}},
		{"result without --state", sel("fct_sales,result:error"), []string{`error: --select:1:11: result:error needs --state DIR (hint: pass --state with the target folder of an earlier run)`}},
		{"state checker error", Options{Include: []string{"state:modified.configs"}, State: stateByName{}}, []string{`error: --select:1:1: state:modified.configs: no state information for modified.configs`}},
		{"second --select value", sel("fct_sales", "dim_stores tagg:x"), []string{`error: --select:2:12: unknown selector method "tagg" (hint: did you mean "tag"?)`}},
		{"--exclude", Options{Exclude: []string{"resource_typ:model"}}, []string{`error: --exclude:1:1: unknown selector method "resource_typ" (hint: did you mean "resource_type"?)`}},
		{"all problems, sorted", Options{Include: []string{"b:x a:y"}, Exclude: []string{"c:z"}}, []string{
			`error: --exclude:1:1: unknown selector method "c" (hint: expected one of config, exposure, file, fqn, package, path, resource_type, result, selector, source, source_status, state, tag, test_name, test_type)`,
			`error: --select:1:1: unknown selector method "b" (hint: expected one of config, exposure, file, fqn, package, path, resource_type, result, selector, source, source_status, state, tag, test_name, test_type)`,
			`error: --select:1:5: unknown selector method "a" (hint: expected one of config, exposure, file, fqn, package, path, resource_type, result, selector, source, source_status, state, tag, test_name, test_type)`,
		}},
		{"no match warns", sel("fct_sales fct_sale"), []string{`warning: --select:1:11: selector "fct_sale" does not match any node`}},
		{"no match in exclude warns", Options{Exclude: []string{"tag:nope"}}, []string{`warning: --exclude:1:1: selector "tag:nope" does not match any node`}},
		{"--selector without definitions", Options{Selector: "nightly"}, []string{`error: --selector: no selector named "nightly"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { expectDiag(t, tc.o, tc.want...) })
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, s := range []string{"@a", "2+tag:x+3", "+config.materialized:table,b c+", "config.incremental_strategy:delete+insert+", "1+a", "tag:a:b", "source:raw_pos.transactions+"} {
		spec, ds := Parse("--select", s)
		if len(ds) > 0 {
			t.Fatalf("%q: %v", s, ds)
		}
		if got := spec.String(); got != s {
			t.Errorf("Parse(%q).String() = %q", s, got)
		}
	}
	spec, _ := Parse("--select", "2+config.meta.owner:x+")
	a := spec.Groups[0][0]
	if a.Method != "config" || strings.Join(a.Args, ".") != "meta.owner" || a.Value != "x" || !a.Parents || a.ParentsDepth != 2 || !a.Children || a.ChildrenDepth != -1 {
		t.Errorf("atom = %+v", a)
	}
}

func TestSourceTextMatchesLines(t *testing.T) {
	values := []string{"fct_sales", "dim_stores tagg:x"}
	_, ds := Evaluate(shop(), Options{Include: values})
	if len(ds) != 1 {
		t.Fatal(ds)
	}
	src := SourceText(values)
	if got := string(src[ds[0].Pos.Offset : ds[0].Pos.Offset+4]); got != "tagg" {
		t.Errorf("offset points at %q", got)
	}
}
