// Command kiln compiles and runs a dbt-style SQL project.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kiln-build/kiln/cmd/cli"
)

func main() {
	cli.TuneGC()
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
