package dialect_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler/dialect"
)

func TestReplaceWithOptions(t *testing.T) {
	rel := dialect.Relation{Database: "WAREHOUSE", Schema: "analytics", Identifier: "orders"}
	cases := []struct {
		name     string
		kind     dialect.Kind
		existing dialect.Kind
		cfg      map[string]any
		want     string
	}{
		{"table, default transient", dialect.KindTable, dialect.KindNone, nil,
			"create or replace transient table WAREHOUSE.analytics.orders as (\nselect 1\n)"},
		{"table, transient false", dialect.KindTable, dialect.KindTable, map[string]any{"transient": false},
			"create or replace table WAREHOUSE.analytics.orders as (\nselect 1\n)"},
		{"table, every option", dialect.KindTable, dialect.KindTable,
			map[string]any{"transient": false, "copy_grants": true, "cluster_by": []any{"to_date(ordered_at)", "store_id"}},
			"create or replace table WAREHOUSE.analytics.orders cluster by (to_date(ordered_at), store_id) copy grants as (\nselect 1\n)"},
		{"table, cluster_by string", dialect.KindTable, dialect.KindNone, map[string]any{"cluster_by": "store_id"},
			"create or replace transient table WAREHOUSE.analytics.orders cluster by (store_id) as (\nselect 1\n)"},
		{"view, secure with copy grants", dialect.KindView, dialect.KindView, map[string]any{"secure": true, "copy_grants": true, "cluster_by": "ignored"},
			"create or replace secure view WAREHOUSE.analytics.orders copy grants as (\nselect 1\n)"},
		{"view over table", dialect.KindView, dialect.KindTable, map[string]any{"copy_grants": true},
			"drop table if exists WAREHOUSE.analytics.orders;\ncreate or replace view WAREHOUSE.analytics.orders copy grants as (\nselect 1\n)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(snow.ReplaceWith(c.kind, rel, "select 1;", c.existing, dialect.RelationOptionsFromConfig(c.cfg)), ";\n")
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	// DuckDB ignores the options: the same statements as ReplaceTable.
	opts := dialect.RelationOptionsFromConfig(map[string]any{"transient": false, "copy_grants": true, "cluster_by": "a", "secure": true})
	for _, k := range []dialect.Kind{dialect.KindTable, dialect.KindView} {
		want := duck.ReplaceTable(rel, "select 1", dialect.KindTable)
		if k == dialect.KindView {
			want = duck.ReplaceView(rel, "select 1", dialect.KindTable)
		}
		if got := duck.ReplaceWith(k, rel, "select 1", dialect.KindTable, opts); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("duckdb %s: %q, want %q", k, got, want)
		}
	}
}

func TestGovernanceSQL(t *testing.T) {
	rel := dialect.Relation{Database: "WAREHOUSE", Schema: "analytics", Identifier: "customers"}
	tbl, view := dialect.KindTable, dialect.KindView
	cases := []struct{ got, want string }{
		{snow.ShowGrants(tbl, rel), "show grants on table WAREHOUSE.analytics.customers"},
		{snow.Grant(view, rel, "SELECT", "reporter"), "grant select on view WAREHOUSE.analytics.customers to role reporter"},
		{snow.Grant(tbl, rel, "select", `"Mixed Role"`), `grant select on table WAREHOUSE.analytics.customers to role "Mixed Role"`},
		{snow.Revoke(tbl, rel, "SELECT", "ANALYST"), "revoke select on table WAREHOUSE.analytics.customers from role ANALYST"},
		{snow.Revoke(tbl, rel, "SELECT", "lower_role"), `revoke select on table WAREHOUSE.analytics.customers from role "lower_role"`},
		{snow.SetMaskingPolicy(tbl, rel, "email", "governance.policies.mask_email"),
			"alter table WAREHOUSE.analytics.customers modify column email set masking policy governance.policies.mask_email force"},
		{snow.SetColumnTag(view, rel, "email", "governance.tags.pii", "it's email"),
			"alter view WAREHOUSE.analytics.customers modify column email set tag governance.tags.pii = 'it''s email'"},
		{snow.RowAccessPolicies(rel),
			"select policy_db, policy_schema, policy_name, ref_arg_column_names from table(WAREHOUSE.information_schema.policy_references(ref_entity_name => 'WAREHOUSE.analytics.customers', ref_entity_domain => 'table')) where policy_kind = 'ROW_ACCESS_POLICY'"},
		{snow.AddRowAccessPolicy(tbl, rel, dialect.Relation{}, "region_rap", []string{"region", "order"}),
			`alter table WAREHOUSE.analytics.customers add row access policy region_rap on (region, "ORDER")`},
		{snow.AddRowAccessPolicy(tbl, rel, dialect.Relation{Database: "WAREHOUSE", Schema: "GOV", Identifier: "OLD_RAP"}, "gov.new_rap", []string{"region"}),
			"alter table WAREHOUSE.analytics.customers drop row access policy WAREHOUSE.GOV.OLD_RAP, add row access policy gov.new_rap on (region)"},
		{snow.UseWarehouse("bi_wh"), "use warehouse bi_wh"},
		{snow.CurrentWarehouse(), "select current_warehouse()"},
		{snow.SetQueryTag("kiln:shop:orders"), "alter session set query_tag = 'kiln:shop:orders'"},
		{snow.SetQueryTag(""), "alter session unset query_tag"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got:\n  %s\nwant:\n  %s", c.got, c.want)
		}
	}
	if _, ok := any(duck).(dialect.Governance); ok {
		t.Error("DuckDB claims governance support")
	}
}

func TestGrantChanges(t *testing.T) {
	have := []dialect.Grant{{"SELECT", "ANALYST"}, {"SELECT", "REPORTER"}, {"INSERT", "LOADER"}, {"SELECT", "Quoted"}}
	want := map[string][]string{"select": {"reporter", "bi", "BI", `"Quoted"`}}
	grant, revoke := dialect.GrantChanges(want, have)
	if got := fmt.Sprint(grant); got != "[{SELECT bi}]" {
		t.Errorf("grant = %s", got)
	}
	if got := fmt.Sprint(revoke); got != "[{INSERT LOADER} {SELECT ANALYST}]" {
		t.Errorf("revoke = %s", got)
	}
	// An empty list revokes every grant of that privilege.
	_, revoke = dialect.GrantChanges(map[string][]string{"select": nil}, have[:2])
	if got := fmt.Sprint(revoke); got != "[{SELECT ANALYST} {SELECT REPORTER}]" {
		t.Errorf("revoke all = %s", got)
	}
}
