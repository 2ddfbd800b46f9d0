// Command kiln compiles and runs a dbt-style SQL project.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/kiln-build/kiln/cmd/cli"
)

func main() {
	// A compile makes much short-lived garbage: collecting after the heap
	// grows by 400% instead of 100% cuts its CPU time by about a fifth.
	// An explicit GOGC wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
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
	os.Exit(cli.Run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr))
}
