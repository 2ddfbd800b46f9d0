package compiler_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/synth"
)

// BenchmarkCompileSynth is parse+compile in-process (compiler.Compile, no
// manifest.json, no process start) of synthetic projects of the sizes in
// KILN_BENCH_MODELS (space-separated; default 100000), for scripts/bench:
//
//	KILN_BENCH_MODELS="10000 100000" go test ./compiler -run '^$' -bench CompileSynth -benchtime 1x
func BenchmarkCompileSynth(b *testing.B) {
	sizes := strings.Fields(os.Getenv("KILN_BENCH_MODELS"))
	if len(sizes) == 0 {
		sizes = []string{"100000"}
	}
	for _, s := range sizes {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			b.Fatalf("KILN_BENCH_MODELS: %q is not a number of models (at least 10)", s)
		}
		fsys := synth.Project(n, 1)
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var nodes int
			for b.Loop() {
				m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: benchTarget()})
				if ds.HasErrors() {
					b.Fatal(ds)
				}
				nodes = len(m.Nodes) + len(m.Sources) + len(m.Exposures)
			}
			b.ReportMetric(float64(nodes), "nodes")
		})
	}
}
