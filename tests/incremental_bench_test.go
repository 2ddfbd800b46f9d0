package tests

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

// BenchmarkIncrementalBatch measures one incremental merge of a
// 10,000-row batch (new sales, late rows and corrections) into a fact of
// `history` rows, against a full refresh of the same fact. Reported:
// ns/op (the incremental run), full-refresh-ns, and inc/full (the
// fraction), cpu-ms/op, the process's CPU time per incremental run
// (DuckDB's threads included), and median-ms, the median run, both
// steadier than the mean wall time on a shared machine.
// Run: go test ./tests -run XXX -bench IncrementalBatch -benchtime 8x
func BenchmarkIncrementalBatch(b *testing.B) {
	for _, history := range []int{10_000_000, 20_000_000} {
		b.Run(fmt.Sprintf("history=%dM", history/1_000_000), func(b *testing.B) {
			benchIncremental(b, history)
		})
	}
}

func benchIncremental(b *testing.B, history int) {
	f := newIncFixture(b, history)
	var stmtTimes map[string][]time.Duration
	if os.Getenv("KILN_BENCH_STATEMENTS") != "" {
		stmtTimes = map[string][]time.Duration{}
		f.runWH = timedWarehouse{f.wh, stmtTimes}
		defer func() { reportStatements(b.Name(), b.N, stmtTimes) }()
	}
	b.ResetTimer()
	var incCPU time.Duration
	var runs []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f.arrive()
		b.StartTimer()
		cpu0 := processCPU()
		d := f.run(false)
		incCPU += processCPU() - cpu0
		runs = append(runs, d)
		if stmtTimes != nil {
			stmtTimes["(whole run)"] = append(stmtTimes["(whole run)"], d)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(f.full.Nanoseconds()), "full-refresh-ns")
	b.ReportMetric(float64(mean(runs))/float64(f.full), "inc/full")
	b.ReportMetric(float64(incCPU.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	// The median run too: on a shared machine one slow run moves the mean.
	b.ReportMetric(median(runs).Seconds()*1000, "median-ms")
}

// BenchmarkHistoryDoubling answers "does doubling the history change a
// batch's cost?" in pairs: a fact of 10 M rows and one of 20 M, each with
// its own database, take turns (which goes first alternating), so that a
// slow minute on this shared machine lands on both sides instead of on
// whichever history happened to run then. Reported: the median of the
// pairs' ratios 20M/10M, the ratio of the two sides' mean runs (spikes
// included), and each side's median and mean run.
// Run: go test ./tests -run XXX -bench HistoryDoubling -benchtime 48x -timeout 30m
func BenchmarkHistoryDoubling(b *testing.B) {
	small := newIncFixture(b, 10_000_000)
	large := newIncFixture(b, 20_000_000)
	b.ResetTimer()
	var ds10, ds20 []time.Duration
	ratios := make([]float64, 0, b.N)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		small.arrive()
		large.arrive()
		b.StartTimer()
		var d10, d20 time.Duration
		if i%2 == 0 {
			d10, d20 = small.run(false), large.run(false)
		} else {
			d20, d10 = large.run(false), small.run(false)
		}
		ds10, ds20 = append(ds10, d10), append(ds20, d20)
		ratios = append(ratios, float64(d20)/float64(d10))
	}
	b.StopTimer()
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
	b.ReportMetric(float64(mean(ds20))/float64(mean(ds10)), "mean-ratio")
	b.ReportMetric(median(ds10).Seconds()*1000, "10M-median-ms")
	b.ReportMetric(median(ds20).Seconds()*1000, "20M-median-ms")
	b.ReportMetric(mean(ds10).Seconds()*1000, "10M-mean-ms")
	b.ReportMetric(mean(ds20).Seconds()*1000, "20M-mean-ms")
}

// incFixture is an incremental fact over a source of `history` sales in
// its own DuckDB database, fully built once, to which 10,000-row batches
// arrive.
type incFixture struct {
	b     *testing.B
	wh    *runner.DuckDB
	runWH runner.Warehouse
	m     *compiler.Manifest
	next  int           // id of the next sale to arrive
	full  time.Duration // the full refresh's time
}

func newIncFixture(b *testing.B, history int) *incFixture {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"dbt_project.yml":    {Data: []byte("name: bench\n")},
		"models/sources.yml": {Data: []byte("version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n")},
		"models/fct.sql": {Data: []byte("{{ config(materialized='incremental', unique_key=['store_id','sale_id'], event_time='event_at', arrival_time='loaded_at') }}\n" +
			"select store_id, sale_id, qty, amount, event_at, loaded_at from {{ source('raw', 'events') }}")},
	}
	m, ds := compiler.Compile(ctx, compiler.Options{FS: fsys, Target: compiler.Target{Name: "dev", Type: "duckdb", Schema: "main", Threads: 2}})
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	wh, err := runner.OpenDuckDB(ctx, runner.DuckDBConfig{Path: b.TempDir() + "/bench.duckdb", Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { wh.Close() })
	f := &incFixture{b: b, wh: wh, runWH: wh, m: m, next: history}
	// One sale every 6 seconds from 2022 on, loaded 5 minutes later.
	f.must("create schema raw")
	f.must(fmt.Sprintf(`create table raw.events as
		select (i %% 50)::integer as store_id, i as sale_id, (1 + i %% 7)::integer as qty, ((i %% 1000) / 10.0)::decimal(10,2) as amount,
		       timestamp '2022-01-01' + to_seconds(i * 6) as event_at,
		       timestamp '2022-01-01' + to_seconds(i * 6 + 300) as loaded_at
		from range(%d) t(i)`, history))
	f.full = f.run(true)
	f.must("checkpoint")
	return f
}

func (f *incFixture) must(q string) {
	if _, err := f.wh.Exec(context.Background(), q); err != nil {
		f.b.Fatal(err)
	}
}

// run builds the fact, incrementally or in full, and returns its time.
func (f *incFixture) run(full bool) time.Duration {
	start := time.Now()
	res := runner.Run(context.Background(), f.runWH, runner.Plan{Manifest: f.m, Selected: map[string]bool{"model.bench.fct": true}}, runner.Options{Threads: 1, FullRefresh: full})
	if len(res) != 1 || res[0].Status != runner.StatusSuccess {
		f.b.Fatalf("run: %+v", res[0])
	}
	return time.Since(start)
}

// arrive loads the next batch into the source, untimed: 10,000 rows,
// 9,000 new sales, 500 late sales from the last two days, 500 corrections
// of recent sales, all arriving now.
func (f *incFixture) arrive() {
	next := f.next
	f.must(fmt.Sprintf(`insert into raw.events
		select (i %% 50)::integer, %d + i, 2, 9.99,
		       timestamp '2022-01-01' + to_seconds((%d + i) * 6), timestamp '2022-01-01' + to_seconds((%d + 9000) * 6 + 600)
		from range(9000) t(i)
		union all
		select (i %% 50)::integer, %d + 9000 + i, 1, 1.00,
		       timestamp '2022-01-01' + to_seconds((%d - 20000 - i) * 6), timestamp '2022-01-01' + to_seconds((%d + 9000) * 6 + 600)
		from range(500) t(i)
		union all
		select (s %% 50)::integer, s, 3, 3.33, timestamp '2022-01-01' + to_seconds(s * 6), timestamp '2022-01-01' + to_seconds((%d + 9000) * 6 + 601)
		from (select %d - 1 - i * 7 as s from range(500) t(i))`,
		next, next, next, next, next, next, next, next))
	f.next += 9500
	// The load's own WAL is checkpointed, so the run pays for its batch,
	// not for the loader's writes.
	f.must("checkpoint")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

// processCPU is the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timedWarehouse times each statement of a run's transactions by its
// first words (KILN_BENCH_STATEMENTS=1), and the commit.
type timedWarehouse struct {
	*runner.DuckDB
	times map[string][]time.Duration
}

func (w timedWarehouse) InTx(ctx context.Context, fn func(tx runner.Execer) error) error {
	var inside time.Duration
	start := time.Now()
	err := w.DuckDB.InTx(ctx, func(tx runner.Execer) error {
		return fn(timedExecer{tx, w.times, &inside})
	})
	w.times["(commit)"] = append(w.times["(commit)"], time.Since(start)-inside)
	return err
}

func (w timedWarehouse) outside() timedExecer {
	var d time.Duration
	return timedExecer{w.DuckDB, w.times, &d}
}

func (w timedWarehouse) Exec(ctx context.Context, q string) (int64, error) {
	return w.outside().Exec(ctx, q)
}

func (w timedWarehouse) Query(ctx context.Context, q string) ([][]any, error) {
	return w.outside().Query(ctx, q)
}

func (w timedWarehouse) QueryInt(ctx context.Context, q string) (int64, error) {
	return w.outside().QueryInt(ctx, q)
}

type timedExecer struct {
	inner  runner.Execer
	times  map[string][]time.Duration
	inside *time.Duration
}

func (t timedExecer) time(q string, start time.Time) {
	d := time.Since(start)
	*t.inside += d
	words := strings.Fields(q)
	if len(words) > 6 {
		words = words[:6]
	}
	key := strings.Join(words, " ")
	t.times[key] = append(t.times[key], d)
}

func (t timedExecer) Exec(ctx context.Context, q string) (int64, error) {
	defer t.time(q, time.Now())
	return t.inner.Exec(ctx, q)
}

func (t timedExecer) Query(ctx context.Context, q string) ([][]any, error) {
	defer t.time(q, time.Now())
	return t.inner.Query(ctx, q)
}

func (t timedExecer) QueryInt(ctx context.Context, q string) (int64, error) {
	defer t.time(q, time.Now())
	return t.inner.QueryInt(ctx, q)
}

// reportStatements prints the median, mean and maximum time of each
// statement kind, and of the whole runs.
func reportStatements(name string, n int, times map[string][]time.Duration) {
	keys := make([]string, 0, len(times))
	for k := range times {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// KILN_BENCH_STATEMENTS=runs: each run's statements too, in run order,
	// to see which statement a slow run spent its time in.
	if os.Getenv("KILN_BENCH_STATEMENTS") == "runs" {
		for i := range n {
			fmt.Fprintf(os.Stderr, "%s run %2d:", name, i)
			for _, k := range keys {
				if len(times[k]) == n { // statements run once in every run
					fmt.Fprintf(os.Stderr, "  %s %.2f", k, float64(times[k][i].Microseconds())/1000)
				}
			}
			fmt.Fprintln(os.Stderr)
		}
	}
	for _, k := range keys {
		ds := times[k]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		fmt.Fprintf(os.Stderr, "%s N=%d  median %7.2f  mean %7.2f  max %7.2f ms of %2d  %s\n", name, n,
			ms(ds[len(ds)/2]), ms(sum/time.Duration(len(ds))), ms(ds[len(ds)-1]), len(ds), k)
	}
}
