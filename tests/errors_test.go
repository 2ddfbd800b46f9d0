package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expectInvalid builds a project made of base plus changes and asserts that
// kiln exits 2 with every wanted text in its output, and that no database
// was created (nothing was touched).
func expectInvalid(t *testing.T, changes map[string]string, args []string, env map[string]string, want ...string) {
	t.Helper()
	files := map[string]string{
		"models/a.sql": "select 1 as id",
		"models/b.sql": "select id from {{ ref('a') }}",
	}
	var remove []string
	for k, v := range changes {
		if v == "" {
			remove = append(remove, k)
		}
		files[k] = v
	}
	dir := project(t, files)
	for _, k := range remove {
		os.Remove(filepath.Join(dir, k))
	}
	if len(args) == 0 {
		args = []string{"build"}
	}
	r := kiln(t, dir, env, args...)
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.output())
	}
	out := r.output()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "target", "shop.duckdb")); err == nil {
		t.Errorf("a database was created although the project is invalid")
	}
}

// The invalid-project cases are directories under testdata/broken, run by
// TestBrokenProjects (broken_test.go).

// A project that is fine except for one model must not touch the database
// when the error is found at load time, even if the database already exists.
func TestInvalidProjectTouchesNothing(t *testing.T) {
	files := map[string]string{"models/a.sql": "select 1 as id"}
	dir := project(t, files)
	mustKiln(t, dir, 0, "run")
	os.WriteFile(filepath.Join(dir, "models/a.sql"), []byte("select 2 as id from {{ ref('missing') }}"), 0o644)
	mustKiln(t, dir, 2, "run")
	equal(t, rows(t, dir, "select id from main.a"), []string{"1"})
}

func TestEnvVarInProjectFile(t *testing.T) {
	files := map[string]string{
		"dbt_project.yml": "name: shop\nmodels:\n  shop:\n    +schema: \"{{ env_var('KILN_TEST_SCHEMA', 'fallback') }}\"\n",
		"models/a.sql":    "select 1 as id",
	}
	dir := project(t, files)
	r := kiln(t, dir, map[string]string{"KILN_TEST_SCHEMA": "sales"}, "run")
	if r.code != 0 {
		t.Fatal(r.output())
	}
	equal(t, tables(t, dir), []string{"main_sales.a"})

	files["dbt_project.yml"] = "name: shop\nvars:\n  region: \"{{ env_var('KILN_TEST_REGION') }}\"\n"
	expectInvalid(t, files, []string{"parse"}, nil, "dbt_project.yml:3:", "KILN_TEST_REGION")
}

// Two variants of a model under one alias, one of them disabled, are not
// two nodes building one relation: only the enabled one is built.
func TestDisabledModelMayShareARelation(t *testing.T) {
	dir := project(t, map[string]string{
		"models/a_old.sql": "{{ config(alias='a', enabled=false) }}\nselect 1 as id",
		"models/a_new.sql": "{{ config(alias='a') }}\nselect 2 as id",
	})
	mustKiln(t, dir, 0, "build")
	equal(t, rows(t, dir, "select id from main.a"), []string{"2"})
}
