package tests

import (
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCompat builds each project under testdata/compat (small dbt
// projects in the style of dbt's documentation and adapter test fixtures)
// with the CLI on DuckDB and compares every relation named in expected/
// (expected/<schema>.<relation>.csv) with its contents, order-insensitively.
// A case runs `kiln build` unless it has commands.txt (one command a line).
// -update rewrites expected/ from the relations the build produced.
func TestCompat(t *testing.T) {
	cases, err := os.ReadDir("testdata/compat")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		src := filepath.Join("testdata/compat", c.Name())
		t.Run(c.Name(), func(t *testing.T) {
			dir := copyProject(t, src)
			commands := [][]string{{"build"}}
			if b, err := os.ReadFile(filepath.Join(src, "commands.txt")); err == nil {
				commands = nil
				for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
					commands = append(commands, splitCommand(line))
				}
			}
			var out strings.Builder
			for _, args := range commands {
				r := kiln(t, dir, nil, args...)
				out.WriteString(r.output())
				if r.code != 0 {
					t.Fatalf("kiln %v: exit %d\n%s", args, r.code, r.output())
				}
			}
			if check := compatChecks[c.Name()]; check != nil {
				check(t, dir, out.String())
			}
			compareRelations(t, dir, filepath.Join(src, "expected"))
		})
	}
}

// compatChecks are assertions a case needs beyond its relations.
var compatChecks = map[string]func(t *testing.T, dir, output string){
	"docs": func(t *testing.T, dir, _ string) {
		b, err := os.ReadFile(filepath.Join(dir, "target", "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"description":"All orders."`, `| placed  | Order placed     |`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("manifest.json lacks %s", want)
			}
		}
	},
	"dispatch": func(t *testing.T, _ string, output string) {
		if !strings.Contains(output, "building payments_pivot") {
			t.Errorf("log(info=True) not printed:\n%s", output)
		}
	},
	"hooks": func(t *testing.T, _ string, output string) {
		if !strings.Contains(output, "recording manual") {
			t.Errorf("run-operation did not print the macro's log:\n%s", output)
		}
	},
}

// splitCommand splits a commands.txt line on spaces; a word starting
// with '{' runs to the end of the line (a --args or --vars mapping).
func splitCommand(line string) []string {
	if i := strings.Index(line, "{"); i >= 0 {
		return append(strings.Fields(line[:i]), line[i:])
	}
	return strings.Fields(line)
}

// copyProject copies a case into a temporary directory (builds write
// target/ into the project).
func copyProject(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "expected" || rel == "commands.txt" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// compareRelations checks each expected/<schema>.<name>.csv against the
// relation, or with -update writes one file per relation built.
func compareRelations(t *testing.T, dir, expected string) {
	t.Helper()
	db, err := sql.Open("duckdb", filepath.Join(dir, "target", "compat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if *update {
		// Existing files keep their header: the columns they compare.
		headers := map[string][]string{}
		old, _ := filepath.Glob(filepath.Join(expected, "*.csv"))
		for _, f := range old {
			b, _ := os.ReadFile(f)
			h, _ := csv.NewReader(strings.NewReader(string(b))).Read()
			headers[strings.TrimSuffix(filepath.Base(f), ".csv")] = h
		}
		os.RemoveAll(expected)
		if err := os.MkdirAll(expected, 0o755); err != nil {
			t.Fatal(err)
		}
		rels := queryStrings(t, db, "select table_schema || '.' || table_name from information_schema.tables where table_catalog = current_database() order by 1")
		for _, rel := range rels {
			text, err := relationCSV(db, rel, headers[rel])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(expected, rel+".csv"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	files, _ := filepath.Glob(filepath.Join(expected, "*.csv"))
	if len(files) == 0 {
		t.Fatalf("no expected relations in %s (run with -update)", expected)
	}
	for _, f := range files {
		rel := strings.TrimSuffix(filepath.Base(f), ".csv")
		want, _ := os.ReadFile(f)
		header, _ := csv.NewReader(strings.NewReader(string(want))).Read()
		got, err := relationCSV(db, rel, header)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		if got != string(want) {
			t.Errorf("%s:\ngot:\n%swant:\n%s", rel, got, want)
		}
	}
}

// relationCSV dumps a relation as CSV text: the header, then the rows
// sorted as text, so the comparison ignores row order. NULL is empty. With
// cols, only those columns are dumped: an expected file leaves out the
// columns that change from run to run (snapshot timestamps) by omitting
// them from its header.
func relationCSV(db *sql.DB, rel string, cols []string) (string, error) {
	parts := strings.SplitN(rel, ".", 2)
	list := "*"
	if len(cols) > 0 {
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = `"` + c + `"`
		}
		list = strings.Join(quoted, ", ")
	}
	rs, err := db.Query(fmt.Sprintf(`select %s from "%s"."%s"`, list, parts[0], parts[1]))
	if err != nil {
		return "", err
	}
	defer rs.Close()
	cols, _ = rs.Columns()
	var lines []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return "", err
		}
		rec := make([]string, len(vals))
		for i, v := range vals {
			rec[i] = csvValue(v)
		}
		lines = append(lines, csvLine(rec))
	}
	if err := rs.Err(); err != nil {
		return "", err
	}
	sort.Strings(lines)
	return csvLine(cols) + strings.Join(lines, ""), nil
}

func csvLine(rec []string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(rec)
	w.Flush()
	return b.String()
}

func csvValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return fmt.Sprint(v)
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rs, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// TestCompatErrors: dbt features Kiln rejects, and errors raised by
// templates, are diagnostics with positions and exit code 2.
func TestCompatErrors(t *testing.T) {
	for name, c := range map[string]struct {
		files map[string]string
		want  string
	}{
		"materialization": {map[string]string{"macros/m.sql": "{% materialization my_mat, default %}\n{% endmaterialization %}\n", "models/a.sql": "select 1"},
			"macros/m.sql:1:4: {% materialization %} blocks are not supported by Kiln"},
		"raise_compiler_error": {map[string]string{"models/a.sql": "select 1\n{% if var('x', 1) == 1 %}{{ exceptions.raise_compiler_error('x must not be 1') }}{% endif %}\n"},
			"models/a.sql:2:"},
		"unknown doc": {map[string]string{"models/a.sql": "select 1", "models/a.yml": "version: 2\nmodels:\n  - name: a\n    description: '{{ doc(\"nope\") }}'\n"},
			"unknown docs block 'nope'"},
		"unknown version": {map[string]string{"models/m_v1.sql": "select 1", "models/b.sql": "select * from {{ ref('m', v=3) }}", "models/m.yml": "version: 2\nmodels:\n  - name: m\n    versions:\n      - v: 1\n"},
			"model 'm' has no version 3"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := project(t, c.files)
			r := kiln(t, dir, nil, "parse")
			if r.code != 2 || !strings.Contains(r.output(), c.want) {
				t.Fatalf("exit %d, want 2 and %q in:\n%s", r.code, c.want, r.output())
			}
		})
	}
}
