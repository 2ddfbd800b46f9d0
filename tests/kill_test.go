package tests

import (
	"database/sql"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	killsFlag    = flag.Int("kills", 50, "kill points of TestKillSafety")
	killSeedFlag = flag.Uint64("kill-seed", 1, "seed of TestKillSafety's kill points")
)

// killProject is version 1 (old) or 2 (new) of a project with seeds, tables,
// views and an incremental model; version 2 changes seed data, model SQL
// and the data an incremental model merges.
func killProject(version int) map[string]string {
	n := 20000
	extra := ""
	if version == 2 {
		n = 26000
		extra = "13,Kim,north\n"
	}
	var seed strings.Builder
	seed.WriteString("id,label,amount\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&seed, "%d,item %d,%d.%02d\n", i, i*version, i%100, i%97)
	}
	files := map[string]string{
		"seeds/customers.csv": "customer_id,name,region\n10,\"Smith, Ann\",north\n11,O'Brien,south\n12,Lee," + map[int]string{1: "east", 2: "west"}[version] + "\n" + extra,
		"seeds/items.csv":     seed.String(),
		"models/stg_customers.sql": "{{ config(materialized='view') }}\nselect customer_id, upper(name) as name, region" +
			map[int]string{1: "", 2: ", 'v2' as version"}[version] + " from {{ ref('customers') }}",
		"models/numbers.sql": fmt.Sprintf("{{ config(materialized='table') }}\nselect range as id, range %% 7 as k, md5(range::varchar) as h from range(%d)", n),
		"models/by_k.sql":    "{{ config(materialized='table') }}\nselect k, count(*) as n, min(h) as h from {{ ref('numbers') }} group by k",
		"models/by_k_view.sql": "{{ config(materialized='view') }}\nselect k, n" +
			map[int]string{1: "", 2: " * 2 as n2"}[version] + " from {{ ref('by_k') }}",
		"models/events.sql": "{{ config(materialized='incremental', unique_key='id') }}\nselect id, k, h from {{ ref('numbers') }} where id % 3 = 0",
		"models/item_totals.sql": "{{ config(materialized='table') }}\nselect i.id % 10 as bucket, sum(i.amount) as amount, count(c.customer_id) as customers\n" +
			"from {{ ref('items') }} i left join {{ ref('stg_customers') }} c on c.customer_id = i.id group by 1",
		"models/schema.yml": "version: 2\nmodels:\n  - name: numbers\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n  - name: events\n    columns:\n      - name: id\n        data_tests: [unique]\n",
	}
	return files
}

// dbState is each relation's kind and fingerprint: a view's definition, a
// table's row count and order-independent checksum.
type dbState map[string]string

func readState(path string) (dbState, error) {
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rs, err := db.Query("select table_schema, table_name, table_type from information_schema.tables order by 1, 2")
	if err != nil {
		return nil, err
	}
	type rel struct{ schema, name, typ string }
	var rels []rel
	for rs.Next() {
		var r rel
		if err := rs.Scan(&r.schema, &r.name, &r.typ); err != nil {
			rs.Close()
			return nil, err
		}
		rels = append(rels, r)
	}
	rs.Close()
	st := dbState{}
	for _, r := range rels {
		q := fmt.Sprintf(`select count(*) || ':' || coalesce(sum(hash(t))::varchar, '-') from "%s"."%s" t`, r.schema, r.name)
		var sum string
		if err := db.QueryRow(q).Scan(&sum); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", r.schema, r.name, err)
		}
		if r.typ == "VIEW" {
			var def string
			if err := db.QueryRow("select sql from duckdb_views() where schema_name = ? and view_name = ?", r.schema, r.name).Scan(&def); err != nil {
				return nil, fmt.Errorf("%s.%s: %w", r.schema, r.name, err)
			}
			// A view's rows follow its inputs; its definition is its version.
			sum = "view " + def
		}
		st[r.schema+"."+r.name] = sum
	}
	return st, nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKillSafety SIGKILLs `kiln build` at seeded moments spread over an
// uninterrupted build; after each kill the database opens, every relation
// is exactly its old or its new version, and the next build equals an
// uninterrupted one. go test ./tests -run KillSafety -kills 500 for more.
func TestKillSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kill harness")
	}
	dir := project(t, killProject(1))
	db := filepath.Join(dir, "target", "shop.duckdb")
	mustKiln(t, dir, 0, "build")
	oldState, err := readState(db)
	if err != nil {
		t.Fatal(err)
	}
	oldDB := filepath.Join(t.TempDir(), "old.duckdb")
	if err := copyFile(oldDB, db); err != nil {
		t.Fatal(err)
	}

	// The new version, built uninterrupted by the binary: its time spreads
	// the kill points.
	writeFiles(t, dir, killProject(2))
	cmd, out := kilnCmd(t, dir, "build")
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("uninterrupted build: %v\n%s", err, out.String())
	}
	buildTime := time.Since(start)
	newState, err := readState(db)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for k, v := range newState {
		if oldState[k] != v {
			changed++
		}
	}
	if len(newState) != len(oldState) || changed < len(newState)-1 {
		t.Fatalf("the two versions must differ in (nearly) every relation: %d of %d changed", changed, len(newState))
	}

	kills := *killsFlag
	rng := rand.New(rand.NewPCG(*killSeedFlag, 10))
	delays := make([]time.Duration, kills)
	for i := range delays {
		// Stratified over 0..110% of the build, jittered within each slot.
		delays[i] = time.Duration((float64(i) + rng.Float64()) / float64(kills) * 1.1 * float64(buildTime))
	}
	rng.Shuffle(len(delays), func(i, j int) { delays[i], delays[j] = delays[j], delays[i] })
	t.Logf("uninterrupted build %v; %d kills, seed %d", buildTime.Round(time.Millisecond), kills, *killSeedFlag)

	workers := max(1, min(4, runtime.NumCPU()/2))
	var (
		survived, atOld, atNew, mixed atomic.Int64
		next                          atomic.Int64
		wg                            sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wdir := project(t, killProject(2))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= kills || t.Failed() {
					return
				}
				if err := killOnce(t, wdir, oldDB, delays[i], oldState, newState, &atOld, &atNew, &mixed); err != nil {
					t.Errorf("kill %d after %v: %v", i, delays[i], err)
					return
				}
				survived.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("kills survived: %d of %d (database left all old: %d, all new: %d, mixed per relation: %d)",
		survived.Load(), kills, atOld.Load(), atNew.Load(), mixed.Load())
}

func killOnce(t *testing.T, dir, oldDB string, delay time.Duration, oldState, newState dbState, atOld, atNew, mixed *atomic.Int64) error {
	db := filepath.Join(dir, "target", "shop.duckdb")
	os.MkdirAll(filepath.Dir(db), 0o755)
	os.Remove(db + ".wal")
	if err := copyFile(db, oldDB); err != nil {
		return err
	}
	cmd, out := kilnCmd(t, dir, "build")
	if err := cmd.Start(); err != nil {
		return err
	}
	time.Sleep(delay)
	cmd.Process.Kill()
	cmd.Wait()
	if strings.Contains(out.String(), "goroutine ") {
		return fmt.Errorf("panic:\n%s", out.String())
	}
	got, err := readState(db)
	if err != nil {
		return fmt.Errorf("database after the kill: %w", err)
	}
	var bad []string
	nOld, nNew := 0, 0
	for k, v := range got {
		switch {
		case v == oldState[k] && v == newState[k]:
		case v == oldState[k]:
			nOld++
		case v == newState[k]:
			nNew++
		default:
			bad = append(bad, fmt.Sprintf("%s is neither version: %s", k, v))
		}
	}
	for k := range newState {
		if _, ok := got[k]; !ok {
			bad = append(bad, k+" is missing")
		}
	}
	for k := range got {
		if _, ok := newState[k]; !ok {
			bad = append(bad, k+" is left over")
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("%s\nkiln output:\n%s", strings.Join(bad, "\n"), out.String())
	}
	switch {
	case nNew == 0:
		atOld.Add(1)
	case nOld == 0:
		atNew.Add(1)
	default:
		mixed.Add(1)
	}
	if r := kiln(t, dir, nil, "build"); r.code != 0 {
		return fmt.Errorf("the build after the kill: exit %d\n%s", r.code, r.output())
	}
	after, err := readState(db)
	if err != nil {
		return err
	}
	for k, v := range newState {
		if after[k] != v {
			return fmt.Errorf("after the next build %s differs from an uninterrupted build: %s, want %s", k, after[k], v)
		}
	}
	if len(after) != len(newState) {
		return fmt.Errorf("after the next build: %d relations, want %d", len(after), len(newState))
	}
	return nil
}
