package compiler_test

import (
	"context"
	"slices"
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

// Generic test names follow dbt's pattern: test_target_column, the
// arguments after "__" with every other character made '_', a source's
// tests prefixed "source_", and a name over 64 characters cut to
// test_target and a hash of the whole.
func TestGenericTestNames(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml":   {Data: []byte("name: p\n")},
		"models/orders.sql": {Data: []byte("select 1 as id, 'a' as status")},
		"models/a_model_with_a_rather_long_name_for_its_tests.sql": {Data: []byte("select 'a' as status")},
		"models/schema.yml": {Data: []byte(`version: 2
sources:
  - name: raw
    tables:
      - name: events
        columns:
          - name: id
            data_tests: [not_null]
models:
  - name: orders
    columns:
      - name: id
        data_tests: [unique]
      - name: status
        data_tests:
          - accepted_values:
              values: ['a b', 'é', "x'y"]
  - name: a_model_with_a_rather_long_name_for_its_tests
    columns:
      - name: status
        data_tests:
          - accepted_values:
              values: ['placed', 'shipped', 'completed']
`)},
	}
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: compiler.Target{Type: "duckdb", Schema: "main"}})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var names []string
	for _, n := range m.Nodes {
		if n.ResourceType == compiler.Test {
			names = append(names, n.Name)
		}
	}
	slices.Sort(names)
	want := []string{
		"accepted_values_a_model_with_a_rather_long_name_for_its_tests_c2ce6a1cc7",
		"accepted_values_orders_status__a_b_____x_y",
		"source_not_null_raw_events_id",
		"unique_orders_id",
	}
	if !slices.Equal(names, want) {
		t.Errorf("test names:\n got %q\nwant %q", names, want)
	}
}
