package compiler_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/synth"
)

func benchTarget() compiler.Target {
	return compiler.Target{ProfileName: "synth", Name: "dev", Type: "duckdb", Schema: "main", Threads: 4}
}

// BenchmarkCompile measures parse+compile of a generated project: every
// model rendered, every test generated, the graph ordered.
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		fsys := synth.Project(n, 1)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: benchTarget()})
				if ds.HasErrors() {
					b.Fatal(ds)
				}
				if len(m.Nodes) < n {
					b.Fatalf("%d nodes", len(m.Nodes))
				}
			}
		})
	}
}

func TestSyntheticProjectCompiles(t *testing.T) {
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: synth.Project(200, 1), Target: benchTarget()})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if got := len(m.Nodes); got != 200+200*3 {
		t.Fatalf("%d nodes, want %d", got, 800)
	}
}
