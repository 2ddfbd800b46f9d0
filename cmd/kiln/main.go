// Command kiln compiles and runs a dbt-style SQL project.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/kiln-build/kiln/cmd/cli"
)

func main() {
	cli.TuneGC()
	// KILN_CPUPROFILE=FILE writes a Go CPU profile of the whole command,
	// for the measurements in docs/performance.md.
	if path := os.Getenv("KILN_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	// The first SIGINT/SIGTERM cancels the run (queries are interrupted,
	// transactions roll back, run_results.json is written, exit 130); a
	// second one exits at once.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "kiln: interrupted, stopping (press Ctrl-C again to exit at once)")
		cancel()
		<-sigs
		os.Exit(130)
	}()
	code := cli.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	pprof.StopCPUProfile() // os.Exit skips deferred calls
	os.Exit(code)
}
