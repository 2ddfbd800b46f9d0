// Snowflake end-to-end tests. Each flow runs the real CLI in-process on a
// type: snowflake profile and compares what it built with a DuckDB run of
// the same project.
//
// By default the profile points at tests/sfstandin, a loopback stand-in of
// Snowflake's HTTP API backed by DuckDB, so the real gosnowflake driver is
// exercised end to end without an account. To run the same flows against a
// real account (each test uses its own schemas, dropped at the end):
//
//	SNOWFLAKE_ACCOUNT=xy12345.eu-west-1 SNOWFLAKE_USER=KILN_CI \
//	SNOWFLAKE_PASSWORD=... SNOWFLAKE_ROLE=TRANSFORMER \
//	SNOWFLAKE_WAREHOUSE=COMPUTE_WH SNOWFLAKE_DATABASE=KILN_CI \
//	go test ./tests/ -run 'Snowflake' -v
//
// (SNOWFLAKE_PRIVATE_KEY_PATH and SNOWFLAKE_PRIVATE_KEY_PASSPHRASE may
// replace SNOWFLAKE_PASSWORD.) Without SNOWFLAKE_ACCOUNT the
// TestSnowflakeAccount* tests skip and say so.
package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kiln-build/kiln/runner"
	"github.com/kiln-build/kiln/tests/sfstandin"
)

// sfTarget is a Snowflake the flows run on.
type sfTarget struct {
	profile  string            // profiles.yml
	env      map[string]string // environment of the CLI (the password)
	secret   string            // must appear nowhere in artifacts or output
	database string
	schema   string // the target schema
	raw      string // schema of the raw source tables
	cfg      runner.SnowflakeConfig
	srv      *sfstandin.Server // the stand-in, nil on a real account
}

const standinSecret = "Sf-t3st-Pa55w0rd-9bd1e7"

// standinTarget starts a stand-in for one test.
func standinTarget(t *testing.T) *sfTarget {
	srv := sfstandin.Start(t, sfstandin.Options{Password: standinSecret})
	tg := &sfTarget{
		srv:      srv,
		env:      map[string]string{"KILN_SF_PASSWORD": standinSecret},
		secret:   standinSecret,
		database: "KILN_DB",
		schema:   "analytics",
		raw:      "raw",
		cfg: runner.SnowflakeConfig{Account: "kiln_test", User: "KILN", Password: standinSecret,
			Database: "KILN_DB", Schema: "analytics", Warehouse: "WH", Host: srv.Host, Port: srv.Port,
			Protocol: "http", LoginTimeout: 10 * time.Second, Retries: 1},
	}
	tg.profile = fmt.Sprintf(`shop:
  target: sf
  outputs:
    sf:
      type: snowflake
      account: kiln_test
      user: KILN
      password: "{{ env_var('KILN_SF_PASSWORD') }}"
      role: TRANSFORMER
      database: KILN_DB
      warehouse: WH
      schema: analytics
      threads: 4
      query_tag: kiln-e2e
      host: %s
      port: %d
      protocol: http
      login_timeout: 10
      retries: 1
`, srv.Host, srv.Port)
	return tg
}

// accountTarget is the real account of the SNOWFLAKE_* variables, with
// fresh schemas; it skips the test when they are not set.
func accountTarget(t *testing.T) *sfTarget {
	account := os.Getenv("SNOWFLAKE_ACCOUNT")
	if account == "" {
		t.Skip("no Snowflake account: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PASSWORD (or SNOWFLAKE_PRIVATE_KEY_PATH), SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE and SNOWFLAKE_DATABASE to run the Snowflake flows on a real account")
	}
	b := make([]byte, 4)
	rand.Read(b)
	schema := "KILN_TEST_" + strings.ToUpper(hex.EncodeToString(b))
	get := os.Getenv
	tg := &sfTarget{
		env:      map[string]string{},
		database: get("SNOWFLAKE_DATABASE"),
		schema:   schema,
		raw:      schema + "_RAW",
		cfg: runner.SnowflakeConfig{Account: account, User: get("SNOWFLAKE_USER"), Password: get("SNOWFLAKE_PASSWORD"),
			PrivateKeyPath: get("SNOWFLAKE_PRIVATE_KEY_PATH"), PrivateKeyPassphrase: get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"),
			Role: get("SNOWFLAKE_ROLE"), Warehouse: get("SNOWFLAKE_WAREHOUSE"), Database: get("SNOWFLAKE_DATABASE"),
			Schema: schema, LoginTimeout: 60 * time.Second},
	}
	auth := "      password: \"{{ env_var('KILN_SF_PASSWORD') }}\"\n"
	tg.env["KILN_SF_PASSWORD"], tg.secret = tg.cfg.Password, tg.cfg.Password
	if tg.cfg.PrivateKeyPath != "" {
		auth = "      authenticator: snowflake_jwt\n      private_key_path: " + tg.cfg.PrivateKeyPath + "\n"
		if tg.cfg.PrivateKeyPassphrase != "" {
			auth += "      private_key_passphrase: \"{{ env_var('KILN_SF_PASSPHRASE') }}\"\n"
			tg.env["KILN_SF_PASSPHRASE"], tg.secret = tg.cfg.PrivateKeyPassphrase, tg.cfg.PrivateKeyPassphrase
		}
	}
	tg.profile = "shop:\n  target: sf\n  outputs:\n    sf:\n      type: snowflake\n" +
		"      account: " + account + "\n      user: " + tg.cfg.User + "\n" + auth +
		"      role: " + tg.cfg.Role + "\n      database: " + tg.database + "\n      warehouse: " + tg.cfg.Warehouse +
		"\n      schema: " + schema + "\n      threads: 4\n      query_tag: kiln-e2e\n"
	t.Cleanup(func() {
		w, err := runner.OpenSnowflake(context.Background(), tg.cfg)
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer w.Close()
		for _, s := range []string{schema, tg.raw} {
			w.Exec(context.Background(), "drop schema if exists "+tg.database+"."+s+" cascade")
		}
	})
	return tg
}

// open connects to the target, for setup and checks.
func (tg *sfTarget) open(t *testing.T) *runner.Snowflake {
	t.Helper()
	w, err := runner.OpenSnowflake(context.Background(), tg.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// rows runs query on the target; each row is its values joined by '|' as
// the DuckDB helper rows() renders them.
func (tg *sfTarget) rows(t *testing.T, query string) []string {
	t.Helper()
	w := tg.open(t)
	defer w.Close()
	got, err := w.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	var out []string
	for _, r := range got {
		parts := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func (tg *sfTarget) exec(t *testing.T, stmts ...string) {
	t.Helper()
	w := tg.open(t)
	defer w.Close()
	for _, s := range stmts {
		if _, err := w.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// rel is a relation of the target schema as SQL.
func (tg *sfTarget) rel(name string) string { return tg.database + "." + tg.schema + "." + name }

// sfProject writes files plus the target's profiles.yml.
func sfProject(t *testing.T, tg *sfTarget, files map[string]string) string {
	t.Helper()
	withProfile := map[string]string{"profiles.yml": tg.profile}
	for k, v := range files {
		withProfile[k] = v
	}
	return project(t, withProfile)
}

func sfKiln(t *testing.T, tg *sfTarget, dir string, code int, args ...string) result {
	t.Helper()
	r := kiln(t, dir, tg.env, args...)
	if r.code != code {
		t.Fatalf("kiln %v on Snowflake: exit %d, want %d\n%s", args, r.code, code, r.output())
	}
	return r
}

// runStatuses reads target/run_results.json as unique_id -> status.
func runStatuses(t *testing.T, dir string) map[string]string {
	t.Helper()
	var rr struct {
		Results []struct {
			UniqueID string `json:"unique_id"`
			Status   string `json:"status"`
		} `json:"results"`
	}
	readJSON(t, filepath.Join(dir, "target", "run_results.json"), &rr)
	out := map[string]string{}
	for _, r := range rr.Results {
		out[r.UniqueID] = r.Status
	}
	return out
}

func sortedStatuses(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// The flows, each run on the stand-in and on a real account.

var snowflakeFlows = map[string]func(t *testing.T, tg *sfTarget){
	"Build":            flowBuild,
	"IncrementalMerge": flowIncrementalMerge,
	"FailingTestSkips": flowFailingTestSkips,
	"NoSecretLeaks":    flowNoSecretLeaks,
}

func runFlows(t *testing.T, target func(*testing.T) *sfTarget) {
	names := make([]string, 0, len(snowflakeFlows))
	for n := range snowflakeFlows {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t.Run(n, func(t *testing.T) { snowflakeFlows[n](t, target(t)) })
	}
}

func TestSnowflakeStandin(t *testing.T) { runFlows(t, standinTarget) }

func TestSnowflakeAccount(t *testing.T) { runFlows(t, accountTarget) }

// flowBuild: seeds, a view, an ephemeral model, a table and data tests
// build as on DuckDB, with the same rows.
func flowBuild(t *testing.T, tg *sfTarget) {
	duck := project(t, shop())
	mustKiln(t, duck, 0, "build")
	dir := sfProject(t, tg, shop())
	r := sfKiln(t, tg, dir, 0, "build")
	if !strings.Contains(r.stdout, "Done. PASS=10 WARN=0 ERROR=0 SKIP=0 TOTAL=10") {
		t.Fatalf("build on Snowflake:\n%s", r.stdout)
	}
	equalMaps(t, runStatuses(t, dir), runStatuses(t, duck))
	for _, q := range []struct{ sf, duck string }{
		{"select customer_id, name, completed_amount, shipped_amount from " + tg.rel("customer_revenue") + " order by 1",
			"select customer_id, name, completed_amount, shipped_amount from main.customer_revenue order by 1"},
		{"select order_id, customer_id, status, amount, ordered_at from " + tg.rel("stg_orders") + " order by 1",
			"select order_id, customer_id, status, amount, ordered_at from main.stg_orders order by 1"},
	} {
		equal(t, tg.rows(t, q.sf), rows(t, duck, q.duck))
	}
	// A second build replaces everything in place.
	sfKiln(t, tg, dir, 0, "build")
	equal(t, tg.rows(t, "select count(*) from "+tg.rel("raw_orders")), []string{"4"})
}

func equalMaps(t *testing.T, got, want map[string]string) {
	t.Helper()
	equal(t, sortedStatuses(got), sortedStatuses(want))
}

// events are the raw rows of the incremental flow: two at first, then a
// new row and a late correction of id 1 (twice: the latest arrival wins).
var (
	firstEvents = []string{
		"(1, 'a', '2024-01-01 10:00:00', '2024-01-01 10:05:00')",
		"(2, 'b', '2024-01-02 10:00:00', '2024-01-02 10:05:00')",
	}
	lateEvents = []string{
		"(3, 'c', '2024-01-03 10:00:00', '2024-01-03 10:05:00')",
		"(1, 'a2', '2024-01-01 10:00:00', '2024-01-03 11:00:00')",
		"(1, 'a3', '2024-01-01 10:00:00', '2024-01-03 12:00:00')",
	}
)

func incrementalTableProject(rawSchema string) map[string]string {
	return map[string]string{
		"models/sources.yml": "version: 2\nsources:\n  - name: raw\n    schema: " + rawSchema + "\n    tables:\n      - name: events\n",
		"models/fct.sql": "{{ config(materialized='incremental', unique_key='id', event_time='event_at', arrival_time='loaded_at') }}\n" +
			"select id, val, event_at, loaded_at from {{ source('raw', 'events') }}",
	}
}

// duckExec runs statements on the DuckDB file of a project (Kiln must
// not be running).
func duckExec(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "target"), 0o755)
	db := openDB(t, dir, "shop")
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// flowIncrementalMerge: an incremental model run twice, the second time
// with a late correction and a duplicate key in the batch, merges to the
// same rows as on DuckDB and as a full refresh.
func flowIncrementalMerge(t *testing.T, tg *sfTarget) {
	create := "create table %s.events (id integer, val varchar, event_at timestamp, loaded_at timestamp)"
	insert := func(schema string, vals []string) string {
		return "insert into " + schema + ".events values " + strings.Join(vals, ", ")
	}

	duck := project(t, incrementalTableProject("raw"))
	duckExec(t, duck, "create schema raw", fmt.Sprintf(create, "raw"), insert("raw", firstEvents))
	mustKiln(t, duck, 0, "run")
	duckExec(t, duck, insert("raw", lateEvents))
	mustKiln(t, duck, 0, "run")

	raw := tg.database + "." + tg.raw
	tg.exec(t, "create schema if not exists "+raw, fmt.Sprintf(create, raw), insert(raw, firstEvents))
	dir := sfProject(t, tg, incrementalTableProject(tg.raw))
	r := sfKiln(t, tg, dir, 0, "run")
	if !strings.Contains(r.stdout, "SELECT 2") {
		t.Fatalf("first run should build the table:\n%s", r.stdout)
	}
	tg.exec(t, insert(raw, lateEvents))
	r = sfKiln(t, tg, dir, 0, "run")
	if !strings.Contains(r.stdout, "MERGE") {
		t.Fatalf("second run should merge:\n%s", r.stdout)
	}
	executed, _ := os.ReadFile(filepath.Join(dir, "target/run/shop/models/fct.sql"))
	for _, want := range []string{"merge into " + tg.rel("fct") + " as DBT_INTERNAL_DEST", "create or replace temporary table kiln_batch__fct", "describe table kiln_batch__fct"} {
		if !strings.Contains(string(executed), want) {
			t.Errorf("executed SQL lacks %q:\n%s", want, executed)
		}
	}
	q := "select id, val, event_at, loaded_at from %s order by id"
	got := tg.rows(t, fmt.Sprintf(q, tg.rel("fct")))
	equal(t, got, rows(t, duck, fmt.Sprintf(q, "main.fct")))
	if len(got) != 3 || !strings.HasPrefix(got[0], "1|a3|") {
		t.Fatalf("merge result: %v", got)
	}
	sfKiln(t, tg, dir, 0, "run", "--full-refresh")
	equal(t, tg.rows(t, fmt.Sprintf(q, tg.rel("fct"))), got)
}

// flowFailingTestSkips: a failing test on a seed skips what is built from
// it, the other branch goes on, exactly as on DuckDB.
func flowFailingTestSkips(t *testing.T, tg *sfTarget) {
	files := func() map[string]string {
		f := shop()
		f["seeds/schema.yml"] = "version: 2\nseeds:\n  - name: raw_orders\n    columns:\n      - name: amount\n        data_tests: [not_null]\n"
		return f
	}
	duck := project(t, files())
	mustKiln(t, duck, 1, "build")
	dir := sfProject(t, tg, files())
	r := sfKiln(t, tg, dir, 1, "build")
	if !strings.Contains(r.stdout, "FAIL test not_null_raw_orders_amount") {
		t.Fatalf("output:\n%s", r.stdout)
	}
	statuses := runStatuses(t, dir)
	equalMaps(t, statuses, runStatuses(t, duck))
	if statuses["model.shop.customer_revenue"] != "skipped" || statuses["model.shop.stg_orders"] != "skipped" {
		t.Fatalf("downstream not skipped: %v", statuses)
	}
	w := tg.open(t)
	for _, name := range []string{"stg_orders", "customer_revenue"} {
		if n, err := w.QueryInt(context.Background(), fmt.Sprintf("select count(*) from %s.information_schema.tables where table_schema = '%s' and table_name = '%s'",
			tg.database, strings.ToUpper(tg.schema), strings.ToUpper(name))); err != nil || n != 0 {
			t.Errorf("%s was built (%d, %v)", name, n, err)
		}
	}
}

// flowNoSecretLeaks: the password appears in no artifact and no output,
// including of failing statements and `debug`.
func flowNoSecretLeaks(t *testing.T, tg *sfTarget) {
	files := shop()
	files["models/broken.sql"] = "select no_such_column from {{ ref('raw_orders') }}"
	dir := sfProject(t, tg, files)
	var outputs []string
	for _, args := range [][]string{{"build"}, {"debug"}, {"compile"}, {"docs", "generate"}} {
		r := kiln(t, dir, tg.env, args...)
		outputs = append(outputs, r.output())
	}
	if !strings.Contains(outputs[0], "broken") {
		t.Fatalf("build output does not mention the failing model:\n%s", outputs[0])
	}
	for i, out := range outputs {
		if strings.Contains(out, tg.secret) {
			t.Errorf("output %d contains the secret:\n%s", i, out)
		}
	}
	var nfiles int
	filepath.WalkDir(filepath.Join(dir, "target"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		nfiles++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), tg.secret) {
			t.Errorf("%s contains the secret", p)
		}
		return nil
	})
	if nfiles < 3 {
		t.Fatalf("only %d artifacts under target/", nfiles)
	}
}
