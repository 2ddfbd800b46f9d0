package compiler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/synth"
)

// selectModels is the size of the project BenchmarkSelectManifest selects
// from: 25,000 models, their 75,000 tests and 1,250 sources are 101,250
// nodes.
const selectModels = 25_000

// selectManifest compiles the project once for every benchmark of the
// package run (compiling it takes seconds).
var selectManifest = sync.OnceValues(func() (*compiler.Manifest, error) {
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: synth.Project(selectModels, 1), Target: benchTarget()})
	if ds.HasErrors() {
		return nil, ds
	}
	return m, nil
})

// BenchmarkSelectManifest is selection as the CLI does it (compiler.Select
// with the resource types of `kiln ls`) on a compiled manifest of about
// 100,000 nodes, compile excluded.
func BenchmarkSelectManifest(b *testing.B) {
	m, err := selectManifest()
	if err != nil {
		b.Fatal(err)
	}
	late := fmt.Sprintf("mart_%05d", selectModels*24/25) // tens of thousands of ancestors
	for _, c := range []struct{ name, sel string }{
		{"plus_model_plus", "+" + late + "+"},
		{"model_plus", late + "+"},
		{"at_model", "@" + late},
		{"tag_intersect", "tag:core,config.materialized:view"},
		{"everything", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			o := compiler.SelectOptions{Types: []string{compiler.Model, compiler.Test, compiler.Seed, compiler.Snapshot, compiler.Source, compiler.Exposure}}
			if c.sel != "" {
				o.Include = []string{c.sel}
			}
			sel, ds := compiler.Select(m, o)
			if ds.HasErrors() {
				b.Fatal(ds)
			}
			b.ReportAllocs()
			for b.Loop() {
				compiler.Select(m, o)
			}
			b.ReportMetric(float64(len(sel)), "selected")
			b.ReportMetric(float64(len(m.Nodes)+len(m.Sources)+len(m.Exposures)), "nodes")
		})
	}
}
