// Package tests holds Kiln's end-to-end tests: they write small projects to
// temporary directories, drive the real CLI in-process, and check the
// results in the DuckDB file it built.
package tests

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/kiln-build/kiln/cmd/cli"
)

// project writes files (path -> content) into a new temporary directory.
// A dbt_project.yml naming project "shop" is added unless given.
func project(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["dbt_project.yml"]; !ok {
		if _, ok := files["kiln_project.yml"]; !ok {
			files["dbt_project.yml"] = "name: shop\nprofile: shop\n"
		}
	}
	writeFiles(t, dir, files)
	return dir
}

// result is one CLI invocation.
type result struct {
	code   int
	stdout string
	stderr string
}

func (r result) output() string { return r.stdout + r.stderr }

// kiln runs the CLI in-process in dir with a clean environment (HOME is
// the project dir, so no ~/.dbt of the machine is read) plus env.
func kiln(t *testing.T, dir string, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	lookup := func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		if k == "HOME" {
			return dir, true
		}
		return "", false
	}
	full := append([]string{"kiln"}, args...)
	full = append(full, "--project-dir", dir)
	if len(args) > 0 && args[0] == "init" {
		full = append([]string{"kiln"}, args...)
	}
	code := cli.RunEnv(context.Background(), full, strings.NewReader(""), &stdout, &stderr, lookup)
	r := result{code, stdout.String(), stderr.String()}
	if strings.Contains(r.output(), "goroutine ") || strings.Contains(r.output(), "panic:") {
		t.Fatalf("kiln %v panicked:\n%s", args, r.output())
	}
	return r
}

// mustKiln runs kiln and fails the test unless it exits with code.
func mustKiln(t *testing.T, dir string, code int, args ...string) result {
	t.Helper()
	r := kiln(t, dir, nil, args...)
	if r.code != code {
		t.Fatalf("kiln %v: exit %d, want %d\n%s", args, r.code, code, r.output())
	}
	return r
}

// openDB opens the project's default DuckDB file.
func openDB(t *testing.T, dir, project string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", filepath.Join(dir, "target", project+".duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rows runs a query and returns its rows as strings, one line per row with
// values separated by '|'.
func rows(t *testing.T, dir, query string) []string {
	t.Helper()
	db := openDB(t, dir, "shop")
	defer db.Close()
	rs, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// tables lists schema.table of every relation in the project database.
func tables(t *testing.T, dir string) []string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "target", "shop.duckdb")); err != nil {
		return nil
	}
	out := rows(t, dir, "select table_schema || '.' || table_name from information_schema.tables order by 1")
	sort.Strings(out)
	return out
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
