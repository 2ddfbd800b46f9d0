package compiler_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler"
)

// Generic tests without config of their own share their config and kwargs
// maps: a test's own config and arguments must not leak into the tests
// that share, nor a folder's project config into another folder's tests.
func TestGenericTestConfigsStayApart(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml":     {Data: []byte("name: p\nprofile: p\ndata_tests:\n  p:\n    strict:\n      +severity: warn\n")},
		"models/a.sql":        {Data: []byte("select 1 as id, 'x' as s")},
		"models/b.sql":        {Data: []byte("select 1 as id, 'x' as s")},
		"models/strict/c.sql": {Data: []byte("select 1 as id")},
		"models/schema.yml": {Data: []byte(`version: 2
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - unique
          - not_null:
              config: {severity: warn, where: "id > 0"}
  - name: b
    columns:
      - name: id
        data_tests: [unique, not_null]
      - name: s
        data_tests:
          - accepted_values:
              values: ['x']
`)},
		"models/strict/schema.yml": {Data: []byte("version: 2\nmodels:\n  - name: c\n    columns:\n      - name: id\n        data_tests: [unique]\n")},
	}
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: benchTarget()})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	type want struct {
		severity, where string
		kwargs          int
	}
	wants := map[string]want{
		"unique_a_id":            {"error", "", 1},
		"not_null_a_id":          {"warn", "id > 0", 1},
		"unique_b_id":            {"error", "", 1},
		"not_null_b_id":          {"error", "", 1},
		"accepted_values_b_s__x": {"error", "", 2},
		"unique_c_id":            {"warn", "", 1},
	}
	seen := 0
	for _, n := range m.Nodes {
		w, ok := wants[n.Name]
		if n.ResourceType != compiler.Test || !ok {
			continue
		}
		seen++
		where, _ := n.Config["where"].(string)
		if n.Config["severity"] != w.severity || where != w.where {
			t.Errorf("%s: severity %v, where %q; want %s, %q", n.Name, n.Config["severity"], where, w.severity, w.where)
		}
		if len(n.TestMetadata.Kwargs) != w.kwargs || n.TestMetadata.Kwargs["column_name"] != n.ColumnName {
			t.Errorf("%s: kwargs %v", n.Name, n.TestMetadata.Kwargs)
		}
	}
	if seen != len(wants) {
		t.Fatalf("found %d of the %d tests", seen, len(wants))
	}
}

// config() also takes one dict, as dbt's does.
func TestConfigTakesADict(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml": {Data: []byte("name: p\nprofile: p\n")},
		"models/a.sql":    {Data: []byte("{{ config({'materialized': 'table', 'tags': ['x']}) }}select 1 as id")},
	}
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: benchTarget()})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	n := m.Nodes["model.p.a"]
	if n == nil || n.Materialized() != "table" || len(n.Tags) != 1 || n.Tags[0] != "x" {
		t.Fatalf("node %+v", n)
	}
}
