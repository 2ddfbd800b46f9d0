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

func TestInvalidProjects(t *testing.T) {
	cases := []struct {
		name    string
		changes map[string]string
		args    []string
		env     map[string]string
		want    []string
	}{
		{"unknown ref", map[string]string{"models/b.sql": "select id\nfrom {{ ref('aa') }}"}, nil, nil,
			[]string{"models/b.sql:2:", "unknown ref 'aa'", `did you mean "a"?`, "2 | from {{ ref('aa') }}", "^"}},
		{"unknown source", map[string]string{"models/b.sql": "select * from {{ source('raw', 'orders') }}"}, nil, nil,
			[]string{"models/b.sql:1:", "unknown source 'raw.orders'"}},
		{"unknown var", map[string]string{"models/b.sql": "select {{ var('start_date') }} as d"}, nil, nil,
			[]string{"models/b.sql:1:", "required var 'start_date' is not set", "--vars"}},
		{"missing env var", map[string]string{"models/b.sql": "select '{{ env_var('REGION') }}' as r"}, nil, nil,
			[]string{"models/b.sql:1:", "environment variable 'REGION' is not set"}},
		{"template syntax", map[string]string{"models/b.sql": "select 1\n{% if true %}\nselect 2"}, nil, nil,
			[]string{"models/b.sql:", "if"}},
		{"unclosed expression", map[string]string{"models/b.sql": "select {{ ref('a') as x"}, nil, nil,
			[]string{"models/b.sql:1:"}},
		{"yaml syntax", map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: a\n   description: x\n"}, nil, nil,
			[]string{"models/schema.yml:"}},
		{"unknown key", map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: a\n    descripton: x\n"}, nil, nil,
			[]string{"models/schema.yml:4:5", "descripton", `did you mean "description"?`}},
		{"unknown test", map[string]string{"models/schema.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        data_tests: [uniqe]\n"}, nil, nil,
			[]string{"models/schema.yml:6:", "unknown test 'uniqe'", `did you mean "unique"?`}},
		{"duplicate node name", map[string]string{"models/sub/a.sql": "select 2 as id"}, nil, nil,
			[]string{"duplicate node name 'a'"}},
		{"cycle", map[string]string{"models/a.sql": "select id from {{ ref('b') }}"}, nil, nil,
			[]string{"dependency cycle: a -> b -> a", "models/a.sql", "models/b.sql"}},
		{"bad selector", nil, []string{"build", "--select", "tagg:x"}, nil,
			[]string{"--select", "tagg"}},
		{"unknown target", map[string]string{"profiles.yml": "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"}, []string{"build", "--target", "prd"}, nil,
			[]string{"unknown target 'prd'"}},
		{"unknown profile", map[string]string{"profiles.yml": "other:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"}, nil, nil,
			[]string{"profile 'shop' not found in profiles.yml"}},
		{"unknown profile key", map[string]string{"profiles.yml": "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      pth: x.duckdb\n"}, nil, nil,
			[]string{"profiles.yml:6:7", "pth", `did you mean "path"?`}},
		{"missing env var in profile", map[string]string{"profiles.yml": "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"{{ env_var('DB_PATH') }}\"\n"}, nil, nil,
			[]string{"profiles.yml:6:", "DB_PATH"}},
		{"bad project yaml", map[string]string{"dbt_project.yml": "name: shop\nmodels:\n  shop:\n    +materialized: [view\n"}, nil, nil,
			[]string{"dbt_project.yml:"}},
		{"unknown materialization", map[string]string{"models/b.sql": "{{ config(materialized='tabel') }}\nselect 1 as id"}, nil, nil,
			[]string{"models/b.sql:1:", "unknown materialization 'tabel'", `did you mean "table"?`}},
		{"no project", map[string]string{"dbt_project.yml": "", "kiln_project.yml": ""}, nil, nil,
			[]string{"no dbt_project.yml"}},
		{"bad vars flag", nil, []string{"build", "--vars", "{a: [1"}, nil,
			[]string{"--vars"}},
		{"bad seed", map[string]string{"seeds/s.csv": "a,b\n1,2\n3\n"}, nil, nil,
			[]string{"seeds/s.csv:3"}},
		{"unknown flag", nil, []string{"build", "--thredas", "2"}, nil,
			[]string{"thredas"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectInvalid(t, tc.changes, tc.args, tc.env, tc.want...)
		})
	}
}

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
