package tests

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/runner"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestGolden")

// goldenTargets are the dialects every case is compiled for.
var goldenTargets = []compiler.Target{
	{Name: "dev", Type: "duckdb", Schema: "analytics", Threads: 1},
	{Name: "prod", Type: "snowflake", Schema: "ANALYTICS", Database: "WAREHOUSE", Threads: 1},
}

// TestGolden compiles each project under testdata/golden for DuckDB and
// Snowflake and compares every node's SQL with expected/<adapter>/. For
// incremental models the statements of an incremental run are included,
// with fixed high-water marks. Run with -update to rewrite the files; a
// golden file no node produces fails the test. The DuckDB SQL is then
// executed: the case is built, rebuilt incrementally and tested on an
// in-memory DuckDB.
func TestGolden(t *testing.T) {
	cases, err := os.ReadDir("testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		dir := filepath.Join("testdata/golden", c.Name())
		t.Run(c.Name(), func(t *testing.T) {
			for _, target := range goldenTargets {
				m, ds := compiler.Compile(context.Background(), compiler.Options{FS: os.DirFS(dir), Target: target})
				if ds.HasErrors() {
					t.Fatal(ds)
				}
				checkGolden(t, filepath.Join(dir, "expected", target.Type), goldenFiles(m))
				if target.Type == "duckdb" {
					executeGolden(t, m)
				}
			}
		})
	}
}

// goldenFiles renders what the golden files hold for one manifest.
func goldenFiles(m *compiler.Manifest) map[string]string {
	d := m.Dialect
	out := map[string]string{}
	for _, n := range m.Nodes {
		if n.CompiledSQL == "" || n.ResourceType == compiler.Seed {
			continue
		}
		out[n.Name+".sql"] = n.CompiledSQL + "\n"
		if mat := n.Materialized(); n.ResourceType == compiler.Model && (mat == "table" || mat == "view") {
			// The DDL of a first build, with the node's relation options.
			kind := dialect.KindTable
			if mat == "view" {
				kind = dialect.KindView
			}
			stmts := d.ReplaceWith(kind, *n.Relation, n.CompiledSQL, dialect.KindNone, dialect.RelationOptionsFromConfig(n.Config))
			out[n.Name+".ddl.sql"] = strings.Join(stmts, ";\n") + ";\n"
		}
		if inc := n.Incremental; inc != nil && inc.Strategy != "microbatch" {
			ts := "TIMESTAMP"
			if d.Name() == "snowflake" {
				ts = "TIMESTAMP_NTZ"
			}
			mark := &compiler.Mark{Value: "2024-01-02 12:05:00", Type: ts}
			min := &compiler.Mark{Value: "2024-01-01 10:00:00", Type: ts}
			// The columns a run would read from the batch: here, the
			// documented ones.
			var cols []string
			for _, c := range n.Columns {
				cols = append(cols, c.Name)
			}
			var b strings.Builder
			b.WriteString("-- the batch, with the target's high-water mark at 2024-01-02 12:05:00\n")
			batch := inc.Batch(d, mark, "kiln_batch__"+n.Relation.Identifier)
			if batch.Stage != "" {
				b.WriteString(batch.Stage + ";\n")
			}
			if batch.Check != "" {
				b.WriteString("-- reduced to one row per key when this is true:\n" + batch.Check + ";\n")
			}
			b.WriteString(batch.Create + ";\n")
			if batch.Check != "" {
				b.WriteString("-- else, as no key repeats:\n" + batch.NoDuplicates + ";\n")
			}
			if batch.Drop != "" {
				b.WriteString(batch.Drop + ";\n")
			}
			if inc.PruneTarget && inc.EventTime != "" {
				b.WriteString("\n-- applied to the target, pruned to the batch's earliest event\n")
			} else {
				b.WriteString("\n-- applied to the target\n")
			}
			for _, s := range inc.ApplySQL(d, *n.Relation, "kiln_batch__"+n.Relation.Identifier, cols, min) {
				b.WriteString(s + ";\n")
			}
			out[n.Name+".incremental.sql"] = b.String()
		}
	}
	return out
}

func checkGolden(t *testing.T, dir string, got map[string]string) {
	t.Helper()
	if *update {
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		for name, text := range got {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	entries, _ := os.ReadDir(dir)
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
		if _, ok := got[e.Name()]; !ok {
			t.Errorf("%s: golden file no node produces (run go test ./tests -run TestGolden -update)", filepath.Join(dir, e.Name()))
		}
	}
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: missing golden file (run go test ./tests -run TestGolden -update)", filepath.Join(dir, name))
			continue
		}
		if string(want) != got[name] {
			t.Errorf("%s differs from the compiled SQL (run with -update if the change is intended):\n--- want\n%s\n--- got\n%s", filepath.Join(dir, name), want, got[name])
		}
	}
}

// executeGolden builds the manifest on an in-memory DuckDB: everything,
// then again (incremental models take their incremental path), then a
// full refresh; every node must succeed and every test pass.
func executeGolden(t *testing.T, m *compiler.Manifest) {
	t.Helper()
	ctx := context.Background()
	wh, err := runner.OpenDuckDB(ctx, runner.DuckDBConfig{Path: ":memory:", Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	all := map[string]bool{}
	for id := range m.Nodes {
		all[id] = true
	}
	for _, full := range []bool{false, false, true} {
		for _, r := range runner.Run(ctx, wh, runner.Plan{Manifest: m, Selected: all, TestsGate: true}, runner.Options{Threads: 2, FullRefresh: full}) {
			if r.Status != runner.StatusSuccess && r.Status != runner.StatusPass {
				t.Errorf("%s: %s: %s\n%s", r.UniqueID, r.Status, r.Message, strings.Join(r.Statements, ";\n"))
			}
		}
	}
}
