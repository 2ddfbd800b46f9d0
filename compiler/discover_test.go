package compiler_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/kiln-build/kiln/compiler"
)

// Discovery finds every file of every role at every depth, and nothing
// under a folder whose name starts with a dot (.git, a virtualenv), however
// deep.
func TestDiscoverFindsFilesAtEveryDepth(t *testing.T) {
	fsys := fstest.MapFS{
		"dbt_project.yml":                 {Data: []byte("name: p\nprofile: p\n")},
		"models/a.sql":                    {Data: []byte("select 1 as id")},
		"models/.venv/lib/x.sql":          {Data: []byte("select broken(")},
		"models/.cache/y.sql":             {Data: []byte("select broken(")},
		"models/deep/.git/z.sql":          {Data: []byte("select broken(")},
		"seeds/.tmp/s.csv":                {Data: []byte("broken\n\"")},
		"seeds/ref/countries.csv":         {Data: []byte("code\nse\n")},
		"macros/util/more/cents.sql":      {Data: []byte("{% macro cents(c) %}{{ c }} * 100{% endmacro %}")},
		"models/deep/one/two/schema.yml":  {Data: []byte("version: 2\nmodels:\n  - name: m2_0\n    description: deep\n")},
		"models/deep/one/two/three/b.sql": {Data: []byte("select {{ cents('id') }} as id from {{ ref('a') }}")},
	}
	want := []string{"model.p.a", "model.p.b", "seed.p.countries"}
	// Many folders at one depth.
	for i := range 40 {
		for j := range 3 {
			name := fmt.Sprintf("m%d_%d", i, j)
			fsys[fmt.Sprintf("models/deep/f%02d/g%d/%s.sql", i, j, name)] = &fstest.MapFile{Data: []byte("select * from {{ ref('a') }}")}
			want = append(want, "model.p."+name)
		}
	}
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: benchTarget(), Parallelism: 4})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	var got []string
	for id := range m.Nodes {
		got = append(got, id)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("nodes:\n got %v\nwant %v", got, want)
	}
	if d := m.Nodes["model.p.m2_0"].Description; d != "deep" {
		t.Errorf("the property file four folders down was not applied: description %q", d)
	}
	if _, ok := m.Macros["macro.p.cents"]; !ok {
		t.Errorf("the macro two folders down was not found")
	}
}
