package compiler_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/compiler/synth"
)

func benchTarget() compiler.Target {
	return compiler.Target{ProfileName: "synth", Name: "dev", Type: "duckdb", Schema: "main", Threads: 4}
}

// BenchmarkCompile measures parse+compile of a generated project in-process
// (no manifest.json, no process start): every model rendered, every test
// generated, the graph ordered. Sizes come from KILN_BENCH_MODELS
// (space-separated; default 1000 10000), as scripts/bench sets them:
//
//	KILN_BENCH_MODELS="10000 100000" go test ./compiler -run '^$' -bench 'BenchmarkCompile$' -benchtime 1x
func BenchmarkCompile(b *testing.B) {
	benchCompile(b, false)
}

// BenchmarkCompileDisk is BenchmarkCompile with the project written to a
// folder and read from there as `kiln` reads one (compiler.DirFS): parse
// and compile of a project on disk, the files' reading included, the
// manifest's writing not. The page cache is warm (the project was just
// written), as it is for a project being worked on.
//
//	KILN_BENCH_MODELS="10000 100000" go test ./compiler -run '^$' -bench 'BenchmarkCompileDisk$' -benchtime 1x
func BenchmarkCompileDisk(b *testing.B) {
	benchCompile(b, true)
}

func benchCompile(b *testing.B, disk bool) {
	// The kiln binary runs with GOGC=400 unless GOGC is set
	// (cli.TuneGC); measure the compiler as it runs there.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	for _, n := range benchSizes(b) {
		var fsys fs.FS = synth.Project(n, 1)
		if disk {
			dir := b.TempDir()
			if err := os.CopyFS(dir, fsys); err != nil {
				b.Fatal(err)
			}
			// Written back before timing, lest the writeback of 100,000
			// new files compete with the compile.
			syscall.Sync()
			fsys = compiler.DirFS(dir)
		}
		b.Run(fmt.Sprintf("models=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			var nodes int
			for i := 0; i < b.N; i++ {
				m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: benchTarget()})
				if ds.HasErrors() {
					b.Fatal(ds)
				}
				if len(m.Nodes) < n {
					b.Fatalf("%d nodes", len(m.Nodes))
				}
				nodes = len(m.Nodes) + len(m.Sources) + len(m.Exposures)
			}
			b.ReportMetric(float64(nodes), "nodes")
			// CPU time as well as wall time: on a shared machine wall time
			// swings with the load, CPU time much less.
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// benchSizes are the project sizes from KILN_BENCH_MODELS.
func benchSizes(b *testing.B) []int {
	sizes := strings.Fields(os.Getenv("KILN_BENCH_MODELS"))
	if len(sizes) == 0 {
		sizes = []string{"1000", "10000"}
	}
	var ns []int
	for _, s := range sizes {
		n, err := strconv.Atoi(s)
		if err != nil || n < 10 {
			b.Fatalf("KILN_BENCH_MODELS: %q is not a number of models (at least 10)", s)
		}
		ns = append(ns, n)
	}
	return ns
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestSyntheticProjectCompiles(t *testing.T) {
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: synth.Project(200, 1), Target: benchTarget()})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if got := len(m.Nodes); got != 200+200*3 {
		t.Fatalf("%d nodes, want %d", got, 800)
	}
	// A node's parents are what it depends on; its children the nodes
	// that depend on it.
	children := map[string][]string{}
	for _, n := range m.All() {
		if p, want := m.Parents(n.UniqueID), n.DependsOn; !slices.Equal(p, want) && len(p)+len(want) > 0 {
			t.Fatalf("Parents(%s) = %v, depends_on %v", n.UniqueID, p, want)
		}
		for _, p := range n.DependsOn {
			children[p] = append(children[p], n.UniqueID)
		}
	}
	for _, n := range m.All() {
		want := children[n.UniqueID]
		slices.Sort(want)
		if c := m.Children(n.UniqueID); !slices.Equal(c, want) && len(c)+len(want) > 0 {
			t.Fatalf("Children(%s) = %v, want %v", n.UniqueID, c, want)
		}
	}
}
