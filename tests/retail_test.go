package tests

import (
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// copyRetail copies examples/retail (without target/) to a new directory.
func copyRetail(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	copyTree(t, filepath.Join("..", "examples", "retail"), dst, "target")
	return dst
}

// copyTree copies the files of src into dst, leaving out the top-level
// entries named in skip.
func copyTree(t *testing.T, src, dst string, skip ...string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if slices.Contains(skip, rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func retailDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", filepath.Join(dir, "target", "retail.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	// Relative Parquet paths in the staging views resolve from the project.
	if _, err := db.Exec("set file_search_path = '" + dir + "'"); err != nil {
		t.Fatal(err)
	}
	return db
}

// buildGenerator compiles the retail example's generator.
func buildGenerator(t *testing.T) string {
	t.Helper()
	gen := filepath.Join(t.TempDir(), "retailgen")
	if out, err := exec.Command("go", "build", "-o", gen, "../examples/retail/generator").CombinedOutput(); err != nil {
		t.Fatalf("building the generator: %v\n%s", err, out)
	}
	return gen
}

// TestRetailExampleSampleIsReproducible: the committed sample is what the
// generator writes with its default flags, and a stream batch depends only
// on the data it extends and the flags.
func TestRetailExampleSampleIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the retail sample")
	}
	gen := buildGenerator(t)
	generate := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(gen, args...).CombinedOutput(); err != nil {
			t.Fatalf("generator %v: %v\n%s", args, err, out)
		}
	}
	out := filepath.Join(t.TempDir(), "data")
	generate("--out", out)
	sameRawZone(t, filepath.Join("..", "examples", "retail", "data"), out)
	again := t.TempDir()
	copyTree(t, out, again)
	generate("--stream", "--out", out)
	generate("--stream", "--out", again)
	sameRawZone(t, out, again)
}

// sameRawZone checks that two raw zones hold the same Parquet files with
// the same rows (compared by content, so a DuckDB upgrade that writes the
// bytes differently does not matter).
func sameRawZone(t *testing.T, a, b string) {
	t.Helper()
	files := func(dir string) []string {
		m, err := filepath.Glob(filepath.Join(dir, "*", "*", "*.parquet"))
		if err != nil || len(m) == 0 {
			t.Fatalf("no Parquet files in %s (%v)", dir, err)
		}
		for i := range m {
			m[i], _ = filepath.Rel(dir, m[i])
		}
		return m
	}
	fa, fb := files(a), files(b)
	if !slices.Equal(fa, fb) {
		t.Fatalf("%s holds\n  %s\nbut %s holds\n  %s", a, strings.Join(fa, "\n  "), b, strings.Join(fb, "\n  "))
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range fa {
		pa := "read_parquet('" + filepath.Join(a, f) + "')"
		pb := "read_parquet('" + filepath.Join(b, f) + "')"
		var n, diff int64
		q := "select (select count(*) from " + pa + "), (select count(*) from ((select * from " + pa + " except all select * from " + pb + ") union all (select * from " + pb + " except all select * from " + pa + ")))"
		if err := db.QueryRow(q).Scan(&n, &diff); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if diff != 0 {
			t.Errorf("%s: %d of %d rows differ between %s and %s", f, diff, n, a, b)
		}
	}
}

// TestRetailExampleIncrementalEqualsFullRefresh builds the committed sample,
// streams three micro-batches with late events, corrections and assortment
// inserts, updates and deletes, rebuilds after each (every data test must
// pass) and checks dim_store_assortment against a full refresh and the raw
// change log; then it checks every fact and mart against a full refresh of
// the same data, and reconciles fact_sales with the raw zone by day, store
// and category.
func TestRetailExampleIncrementalEqualsFullRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the retail example five times")
	}
	dir := copyRetail(t)
	gen := buildGenerator(t)
	build := func(dir string, args ...string) {
		t.Helper()
		r := kiln(t, dir, nil, append([]string{"build"}, args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "ERROR=0 SKIP=0") {
			t.Fatalf("kiln build %v: exit %d\n%s", args, r.code, r.output())
		}
	}
	build(dir)
	shadow := shadowRetail(t, dir)
	assortment := checkAssortment(t, dir, shadow, "the committed sample", assortmentState{})
	var landed assortmentLanded
	for i := 0; i < 3; i++ {
		cmd := exec.Command(gen, "--stream", "--batch-minutes", "120", "--out", filepath.Join(dir, "data"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("stream %d: %v\n%s", i, err, out)
		}
		build(dir)
		assortment = checkAssortment(t, dir, shadow, fmt.Sprintf("stream batch %d", i+1), assortment)
		landed.add(assortment.landed)
	}
	// Without these the checks above would prove nothing about deletes.
	if landed.deleted == 0 || landed.relisted == 0 || landed.late == 0 {
		t.Fatalf("the streamed batches should delete, re-list and deliver late assortment changes; landed %+v", landed)
	}
	t.Logf("dim_store_assortment after the streamed batches: %d deletes and %d re-listings landed, %d late changes", landed.deleted, landed.relisted, landed.late)

	// The same raw data, built from scratch.
	fresh := t.TempDir()
	if out, err := exec.Command("cp", "-r", dir+"/.", fresh).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	os.RemoveAll(filepath.Join(fresh, "target"))
	build(fresh)

	db := retailDB(t, dir)
	defer db.Close()
	if _, err := db.Exec("attach '" + filepath.Join(fresh, "target", "retail.duckdb") + "' as fresh (read_only)"); err != nil {
		t.Fatal(err)
	}
	tables := queryStrings(t, db, "select table_name from information_schema.tables where table_catalog = 'retail' and table_type = 'BASE TABLE' and (table_name like 'fact_%' or table_name like 'mart_%') order by 1")
	if len(tables) < 8 {
		t.Fatalf("expected the facts and marts, found %v", tables)
	}
	for _, tbl := range tables {
		if tbl == "mart_pos_pulse" {
			continue // "the last 15 minutes" is relative to the build's clock
		}
		var diff int64
		q := "select count(*) from ((select * from retail.main." + tbl + " except all select * from fresh.main." + tbl + ") union all (select * from fresh.main." + tbl + " except all select * from retail.main." + tbl + "))"
		if err := db.QueryRow(q).Scan(&diff); err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		if diff != 0 {
			t.Errorf("%s: the incremental build differs from a full refresh in %d rows", tbl, diff)
		}
	}

	// Reconciliation with the raw zone: the case study's bar is ±0.5%;
	// Kiln's is equality, group by group.
	var groups, off int64
	err := db.QueryRow(`
		with raw as (
			select *, row_number() over (partition by sale_id, line_number order by _loaded_at desc) as rn
			from read_parquet('data/raw_pos/transactions/*.parquet', union_by_name = true)
		), products as (
			select product_id, category from read_parquet('data/raw_erp/products/*.parquet', union_by_name = true)
			qualify row_number() over (partition by product_id order by _loaded_at desc) = 1
		), expected as (
			select cast(r.sold_at as date) as day, r.store_id, p.category,
			       sum(r.quantity * cast(r.unit_price as decimal(12, 2)) - coalesce(cast(r.discount_amount as decimal(12, 2)), 0)) as net
			from raw r left join products p using (product_id)
			where r.rn = 1
			group by all
		), actual as (
			select sale_date as day, store_id, category, sum(net_amount) as net
			from retail.main.fact_sales group by all
		)
		select count(*), count(*) filter (where e.net is distinct from a.net)
		from expected e full join actual a
		  on e.day = a.day and e.store_id = a.store_id and e.category is not distinct from a.category`).Scan(&groups, &off)
	if err != nil {
		t.Fatal(err)
	}
	if groups == 0 || off != 0 {
		t.Fatalf("fact_sales reconciles with the raw zone in %d of %d day/store/category groups", groups-off, groups)
	}
	t.Logf("fact_sales equals the raw zone in all %d day/store/category groups", groups)
}
