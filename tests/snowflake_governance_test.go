// Snowflake-only features over the stand-in: relation options, grants,
// masking policies, column tags, row access policies, per-node warehouses
// and query tags, and cancellation of running queries. The stand-in keeps
// grants and policies as bookkeeping (tests/sfstandin/governance.go), so
// these tests prove what Kiln sends and in what order, not what
// Snowflake's access control then does with it.
package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/cmd/cli"
	"github.com/kiln-build/kiln/tests/sfstandin"
)

// queriesSince returns the statements the stand-in received after the
// first n.
func queriesSince(srv *sfstandin.Server, n int) []sfstandin.Event {
	q := srv.Queries()
	if n > len(q) {
		return nil
	}
	return q[n:]
}

func sqlOf(events []sfstandin.Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.SQL + ";\n")
	}
	return b.String()
}

func mustContain(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

func governanceSchema(roles string) string {
	return `version: 2
models:
  - name: customers
    config:
      grants:
        select: ` + roles + `
    columns:
      - name: customer_id
      - name: email
        meta:
          masking_policy: gov.mask_email
          tags:
            gov.pii: email
`
}

func TestSnowflakeGovernanceStandin(t *testing.T) {
	tg := standinTarget(t)
	srv := tg.srv
	files := map[string]string{
		"models/customers.sql": "{{ config(materialized='table', copy_grants=true) }}\nselect 1 as customer_id, 'a@example.com' as email, 'eu' as region",
		"models/schema.yml":    governanceSchema("[reporter, analyst]"),
		"models/events.sql": "{{ config(materialized='incremental', unique_key='id', row_access_policy=var('rap', 'gov.rap_v1'), row_access_policy_columns=['region']) }}\n" +
			"select 1 as id, 'eu' as region",
	}
	dir := sfProject(t, tg, files)
	const customers, events = "KILN_DB.ANALYTICS.CUSTOMERS", "KILN_DB.ANALYTICS.EVENTS"

	// First build: everything is granted and attached.
	sfKiln(t, tg, dir, 0, "run")
	equal(t, srv.Grants(customers), []string{"SELECT ANALYST", "SELECT REPORTER"})
	if got := fmt.Sprint(srv.MaskingPolicies(customers)); got != "map[EMAIL:gov.mask_email]" {
		t.Errorf("masking policies: %s", got)
	}
	if got := fmt.Sprint(srv.ColumnTags(customers)); got != "map[EMAIL.gov.pii:email]" {
		t.Errorf("column tags: %s", got)
	}
	if got := srv.RowAccessPolicy(events); got != "KILN_DB.GOV.RAP_V1(REGION)" {
		t.Errorf("row access policy: %q", got)
	}
	// SHOW GRANTS through the driver sees them too.
	mustContain(t, strings.Join(tg.rows(t, "show grants on table KILN_DB.analytics.customers"), "\n"),
		"|SELECT|TABLE|KILN_DB.ANALYTICS.CUSTOMERS|ROLE|REPORTER|")

	// The list changes: analyst is revoked, bi granted, reporter kept;
	// the incremental model's policy is swapped in one statement.
	seen := len(srv.Queries())
	writeFiles(t, dir, map[string]string{"models/schema.yml": governanceSchema("[reporter, bi]")})
	sfKiln(t, tg, dir, 0, "run", "--vars", "rap: gov.rap_v2")
	sent := sqlOf(queriesSince(srv, seen))
	mustContain(t, sent,
		"show grants on table KILN_DB.analytics.customers;",
		"revoke select on table KILN_DB.analytics.customers from role ANALYST;",
		"grant select on table KILN_DB.analytics.customers to role bi;",
		"alter table KILN_DB.analytics.customers modify column email set masking policy gov.mask_email force;",
		"alter table KILN_DB.analytics.customers modify column email set tag gov.pii = 'email';",
		"alter table KILN_DB.analytics.events drop row access policy KILN_DB.GOV.RAP_V1, add row access policy gov.rap_v2 on (region);",
	)
	if strings.Contains(sent, "to role reporter") {
		t.Errorf("reporter granted again although copy grants kept it:\n%s", sent)
	}
	equal(t, srv.Grants(customers), []string{"SELECT BI", "SELECT REPORTER"})
	if got := srv.RowAccessPolicy(events); got != "KILN_DB.GOV.RAP_V2(REGION)" {
		t.Errorf("row access policy: %q", got)
	}
	// What ran is in target/run/ with the build.
	mustContain(t, readText(t, dir, "target/run/shop/models/customers.sql"), "revoke select on table KILN_DB.analytics.customers from role ANALYST")

	// Nothing changed: nothing to grant, revoke or re-attach.
	seen = len(srv.Queries())
	sfKiln(t, tg, dir, 0, "run", "--vars", "rap: gov.rap_v2")
	sent = sqlOf(queriesSince(srv, seen))
	for _, unwanted := range []string{"grant select", "revoke select", "row access policy"} {
		if strings.Contains(sent, unwanted) {
			t.Errorf("unchanged config sent %q:\n%s", unwanted, sent)
		}
	}

	// A row access policy without its columns fails the node, saying why.
	writeFiles(t, dir, map[string]string{"models/events.sql": "{{ config(materialized='incremental', unique_key='id', row_access_policy='gov.rap_v3') }}\nselect 1 as id, 'eu' as region"})
	r := sfKiln(t, tg, dir, 1, "run", "-s", "events")
	mustContain(t, r.stdout, "row_access_policy gov.rap_v3 needs row_access_policy_columns")
}

func TestSnowflakeRelationOptionsStandin(t *testing.T) {
	tg := standinTarget(t)
	dir := sfProject(t, tg, map[string]string{
		"models/t.sql": "{{ config(materialized='table', transient=false, copy_grants=true, cluster_by=['to_date(at)', 'id']) }}\nselect 1 as id, cast('2024-01-01 10:00:00' as timestamp) as at",
		"models/v.sql": "{{ config(secure=true) }}\nselect id from {{ ref('t') }}",
	})
	seen := len(tg.srv.Queries())
	sfKiln(t, tg, dir, 0, "run")
	mustContain(t, sqlOf(queriesSince(tg.srv, seen)),
		"create or replace table KILN_DB.analytics.t cluster by (to_date(at), id) copy grants as (",
		"create or replace secure view KILN_DB.analytics.v as (",
	)
	equal(t, tg.rows(t, "select id from "+tg.rel("v")), []string{"1"})
}

func TestSnowflakeWarehouseAndQueryTagStandin(t *testing.T) {
	tg := standinTarget(t)
	srv := tg.srv
	dir := sfProject(t, tg, map[string]string{
		"dbt_project.yml":        "name: shop\nprofile: shop\nmodels:\n  shop:\n    marts:\n      +snowflake_warehouse: bi_wh\n",
		"models/a.sql":           "select 1 as x",
		"models/marts/b.sql":     "{{ config(materialized='table') }}\nselect * from {{ ref('a') }}",
		"models/c.sql":           "{{ config(query_tag='nightly-c') }}\nselect 2 as x",
		"models/marts/d.sql":     "{{ config(snowflake_warehouse='load_wh', query_tag='loader') }}\nselect 3 as x",
		"models/marts/props.yml": "version: 2\nmodels:\n  - name: b\n    columns:\n      - name: x\n        data_tests: [not_null]\n",
	})
	seen := len(srv.Queries())
	sfKiln(t, tg, dir, 0, "build")
	qs := queriesSince(srv, seen)

	creates := map[string]sfstandin.Event{}
	for _, e := range qs {
		for _, name := range []string{"a", "b", "c", "d"} {
			if strings.HasPrefix(e.SQL, "create or replace") && strings.Contains(e.SQL, "KILN_DB.analytics."+name+" ") {
				creates[name] = e
			}
		}
	}
	want := map[string][2]string{
		"a": {"WH", "kiln-e2e:shop:a"},    // the profile's query_tag prefixes the default
		"b": {"BI_WH", "kiln-e2e:shop:b"}, // folder config
		"c": {"WH", "nightly-c"},          // model config
		"d": {"LOAD_WH", "loader"},        // model config over folder config
	}
	for name, w := range want {
		e, ok := creates[name]
		if !ok {
			t.Fatalf("no create statement for %s:\n%s", name, sqlOf(qs))
		}
		if e.Warehouse != w[0] || e.QueryTag != w[1] {
			t.Errorf("%s built on warehouse %q with tag %q, want %q and %q", name, e.Warehouse, e.QueryTag, w[0], w[1])
		}
	}
	// Tests take their config from `tests:`, as in dbt, not from the
	// folder of the model they test: the not_null test of b runs on WH.
	for _, e := range qs {
		if strings.Contains(e.SQL, "dbt_internal_test") && e.Warehouse != "WH" {
			t.Errorf("test of b ran on %q: %s", e.Warehouse, e.SQL)
		}
	}
	// Each switch is undone on the same session before it goes back to
	// the pool, and nothing else ever runs on a node's warehouse or tag.
	for name, e := range creates {
		if e.Warehouse == "WH" {
			continue
		}
		restored := false
		after := false
		for _, x := range qs {
			if x.Session != e.Session {
				continue
			}
			if x.SQL == e.SQL {
				after = true
			}
			if after && x.SQL == "use warehouse WH" {
				restored = true
			}
		}
		if !restored {
			t.Errorf("%s: the session's warehouse was not restored:\n%s", name, sqlOf(qs))
		}
	}
	for _, e := range qs {
		if e.Warehouse == "BI_WH" && !strings.HasPrefix(e.QueryTag, "kiln-e2e:shop:") {
			t.Errorf("statement on BI_WH outside a marts node (tag %q): %s", e.QueryTag, e.SQL)
		}
		if e.QueryTag == "nightly-c" && e.Warehouse != "WH" {
			t.Errorf("c's statement on %s: %s", e.Warehouse, e.SQL)
		}
	}
	mustContain(t, sqlOf(qs), "alter session set query_tag = 'kiln-e2e'", "alter session set query_tag = 'kiln-e2e:shop:a'")
}

func TestDuckDBGovernanceNotApplicable(t *testing.T) {
	dir := project(t, map[string]string{
		"models/customers.sql": "{{ config(materialized='table', snowflake_warehouse='bi_wh', query_tag='x', transient=false, cluster_by='customer_id') }}\nselect 1 as customer_id, 'a@example.com' as email",
		"models/schema.yml":    governanceSchema("[reporter]"),
		"models/plain.sql":     "select 1 as x",
	})
	r := mustKiln(t, dir, 0, "run")
	mustContain(t, r.stdout, "SELECT 1; grants, masking policies, column tags: not applicable on DuckDB (Snowflake only)")
	if strings.Count(r.stdout, "not applicable") != 1 {
		t.Errorf("only customers declares governance:\n%s", r.stdout)
	}
	if strings.Contains(strings.ToLower(r.stdout), "warehouse") || strings.Contains(r.stdout, "query_tag") {
		t.Errorf("session settings are ignored silently on DuckDB:\n%s", r.stdout)
	}
	mustContain(t, readText(t, dir, "target/run_results.json"), "not applicable on DuckDB")
}

// sfWaitProject has a model that waits in the stand-in until it is aborted
// and, with broken, one that fails at once.
func sfWaitProject(broken bool) map[string]string {
	f := map[string]string{
		"models/slow.sql":  "{{ config(materialized='table') }}\nselect system$wait(60) as w",
		"models/after.sql": "select * from {{ ref('slow') }}",
	}
	if broken {
		// Fails after two seconds, once slow is running.
		f["models/broken.sql"] = "select system$wait(2) as w from no_such_table"
	}
	return f
}

func abortSeen(srv *sfstandin.Server) bool {
	for _, e := range srv.Events() {
		if e.Kind == "abort" && e.OK {
			return true
		}
	}
	return false
}

func TestSnowflakeFailFastAbortsRunningQueries(t *testing.T) {
	tg := standinTarget(t)
	dir := sfProject(t, tg, sfWaitProject(true))
	start := time.Now()
	r := sfKiln(t, tg, dir, 1, "run", "--fail-fast")
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("--fail-fast took %s: the slow query was not aborted", d)
	}
	st := runStatuses(t, dir)
	if st["model.shop.broken"] != "error" || st["model.shop.slow"] != "cancelled" || st["model.shop.after"] == "success" {
		t.Fatalf("statuses %v\n%s", st, r.output())
	}
	if !abortSeen(tg.srv) {
		t.Fatal("the stand-in received no abort-request for the running query")
	}
}

func TestSnowflakeInterruptAbortsRunningQueries(t *testing.T) {
	tg := standinTarget(t)
	dir := sfProject(t, tg, sfWaitProject(false))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Interrupt once the slow statement is running.
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if running(tg.srv) {
				break
			}
		}
		cancel()
	}()
	var stdout, stderr bytes.Buffer
	env := func(k string) (string, bool) {
		if v, ok := tg.env[k]; ok {
			return v, true
		}
		if k == "HOME" {
			return dir, true
		}
		return "", false
	}
	start := time.Now()
	code := cli.RunEnv(ctx, []string{"kiln", "run", "--project-dir", dir}, strings.NewReader(""), &stdout, &stderr, env)
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("interrupt took %s", d)
	}
	if code == 0 {
		t.Fatalf("interrupted run exited 0:\n%s%s", stdout.String(), stderr.String())
	}
	mustContain(t, stdout.String(), "CANCELLED")
	st := runStatuses(t, dir)
	if st["model.shop.slow"] != "cancelled" || st["model.shop.after"] != "cancelled" {
		t.Fatalf("statuses %v\n%s", st, stdout.String())
	}
	if !abortSeen(tg.srv) {
		t.Fatal("the stand-in received no abort-request for the running query")
	}
}

// running reports whether the stand-in is executing slow's statement.
func running(srv *sfstandin.Server) bool {
	for _, q := range srv.Running() {
		if strings.Contains(q, "system$wait") {
			return true
		}
	}
	return false
}

func readText(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
