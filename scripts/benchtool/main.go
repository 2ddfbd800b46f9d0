// Command benchtool is the Go half of scripts/bench. It writes synthetic
// projects (compiler/synth) to disk and runs one Kiln command in a child
// process, so figures are those of a real process: wall time from exec to
// exit, CPU, heap allocations and the peak resident set (getrusage's
// maxrss of the child).
//
//	benchtool gen -n 10000 [-seed 1] DIR
//	benchtool measure [-runs 1] [-cpuprofile FILE] -- parse --project-dir DIR
//	benchtool pairs < MEASUREMENTS   (scripts/abbench's table; pairs.go)
//
// measure prints one tab-separated line per run:
//
//	wall_s cpu_s allocs alloc_bytes gcs maxrss_bytes exit_code
//
// The child re-executes this binary and calls cli.Run in-process, as
// cmd/kiln does, because the allocation counters can only be read from
// inside the process.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/kiln-build/kiln/cmd/cli"
	"github.com/kiln-build/kiln/compiler/synth"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "measure":
		err = measure(os.Args[2:])
	case "child":
		os.Exit(child(os.Args[2:]))
	case "pairs":
		err = pairs(os.Stdin, os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchtool gen -n N [-seed S] DIR\n       benchtool measure [-runs K] [-cpuprofile FILE] -- KILN-ARGS...\n       benchtool pairs < MEASUREMENTS")
	os.Exit(2)
}

func gen(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fl.Int("n", 1000, "models")
	seed := fl.Int64("seed", 1, "generator seed")
	_ = fl.Parse(args)
	if fl.NArg() != 1 {
		usage()
	}
	return os.CopyFS(fl.Arg(0), synth.Project(*n, *seed))
}

// childReport is what the child writes to fd 3 before it exits.
type childReport struct {
	Code       int    `json:"code"`
	Allocs     uint64 `json:"allocs"`
	AllocBytes uint64 `json:"alloc_bytes"`
	GCs        uint64 `json:"gcs"`
}

func measure(args []string) error {
	fl := flag.NewFlagSet("measure", flag.ExitOnError)
	runs := fl.Int("runs", 1, "runs (one line each)")
	prof := fl.String("cpuprofile", "", "write the child's CPU profile here")
	_ = fl.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for range *runs {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		cmd := exec.Command(self, append([]string{"child", *prof}, fl.Args()...)...)
		cmd.Stdout = io.Discard // `ls` of 100,000 models prints 400,000 lines
		cmd.Stderr = os.Stderr
		cmd.ExtraFiles = []*os.File{w}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		w.Close()
		var rep childReport
		derr := json.NewDecoder(r).Decode(&rep)
		werr := cmd.Wait()
		wall := time.Since(start)
		r.Close()
		if derr != nil {
			return fmt.Errorf("child gave no report (%v): %v", werr, derr)
		}
		st := cmd.ProcessState
		cpu := st.UserTime() + st.SystemTime()
		fmt.Printf("%.3f\t%.3f\t%d\t%d\t%d\t%d\t%d\n", wall.Seconds(), cpu.Seconds(), rep.Allocs, rep.AllocBytes, rep.GCs, maxRSS(st), rep.Code)
	}
	return nil
}

func child(args []string) int {
	// The collector set up as the kiln command sets it.
	cli.TuneGC()
	if args[0] != "" {
		f, err := os.Create(args[0])
		if err == nil {
			_ = pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	code := cli.Run(context.Background(), append([]string{"kiln"}, args[1:]...), os.Stdin, os.Stdout, os.Stderr)
	pprof.StopCPUProfile()
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(samples)
	rep := childReport{Code: code, Allocs: samples[0].Value.Uint64(), AllocBytes: samples[1].Value.Uint64(), GCs: samples[2].Value.Uint64()}
	out := os.NewFile(3, "report")
	if err := json.NewEncoder(out).Encode(rep); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool: report:", err)
	}
	return code
}
