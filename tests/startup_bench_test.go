package tests

import (
	"bufio"
	"bytes"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStartup execs a kiln binary built once for the benchmark:
// `kiln --version`, and `kiln ls` on the project `kiln init` scaffolds.
// Reported: ms/op, and init-ms, the package initialisation the Go runtime
// reports with GODEBUG=inittrace=1 (summed over packages, least of 5 runs).
//
//	go test ./tests -run '^$' -bench Startup
func BenchmarkStartup(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "kiln")
	build := exec.Command("go", "build", "-o", bin, "github.com/kiln-build/kiln/cmd/kiln")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	project := filepath.Join(b.TempDir(), "small")
	if out, err := exec.Command(bin, "init", project).CombinedOutput(); err != nil {
		b.Fatalf("kiln init: %v\n%s", err, out)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"version", []string{"--version"}},
		{"ls_small", []string{"ls", "--project-dir", project}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				if out, err := exec.Command(bin, c.args...).CombinedOutput(); err != nil {
					b.Fatalf("kiln %v: %v\n%s", c.args, err, out)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/op")
			b.ReportMetric(inittrace(b, bin, c.args...), "init-ms")
		})
	}
}

// inittrace runs the binary 5 times with GODEBUG=inittrace=1 and returns
// the least sum of the clock time of package initialisers.
func inittrace(b *testing.B, bin string, args ...string) float64 {
	least := -1.0
	for range 5 {
		if t := inittraceOnce(b, bin, args...); least < 0 || t < least {
			least = t
		}
	}
	return least
}

func inittraceOnce(b *testing.B, bin string, args ...string) float64 {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cmd.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("kiln %v: %v\n%s", args, err, stderr.String())
	}
	total := 0.0
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// init <pkg> @<t> ms, <x> ms clock, <n> bytes, <n> allocs
		if len(f) >= 7 && f[0] == "init" && f[6] == "clock," {
			if x, err := strconv.ParseFloat(f[4], 64); err == nil {
				total += x
			}
		}
	}
	return total
}
