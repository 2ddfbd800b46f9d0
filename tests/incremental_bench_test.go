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
	dir := b.TempDir()
	wh, err := runner.OpenDuckDB(ctx, runner.DuckDBConfig{Path: dir + "/bench.duckdb", Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer wh.Close()
	var runWH runner.Warehouse = wh
	var stmtTimes map[string][]time.Duration
	if os.Getenv("KILN_BENCH_STATEMENTS") != "" {
		stmtTimes = map[string][]time.Duration{}
		runWH = timedWarehouse{wh, stmtTimes}
		defer func() { reportStatements(b.Name(), b.N, stmtTimes) }()
	}
	// One sale every 6 seconds from 2022 on, loaded 5 minutes later.
	must := func(q string) {
		if _, err := wh.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	must("create schema raw")
	must(fmt.Sprintf(`create table raw.events as
		select (i %% 50)::integer as store_id, i as sale_id, (1 + i %% 7)::integer as qty, ((i %% 1000) / 10.0)::decimal(10,2) as amount,
		       timestamp '2022-01-01' + to_seconds(i * 6) as event_at,
		       timestamp '2022-01-01' + to_seconds(i * 6 + 300) as loaded_at
		from range(%d) t(i)`, history))
	run := func(full bool) time.Duration {
		start := time.Now()
		res := runner.Run(ctx, runWH, runner.Plan{Manifest: m, Selected: map[string]bool{"model.bench.fct": true}}, runner.Options{Threads: 1, FullRefresh: full})
		if len(res) != 1 || res[0].Status != runner.StatusSuccess {
			b.Fatalf("run: %+v", res[0])
		}
		return time.Since(start)
	}
	fullTime := run(true)
	must("checkpoint")
	clear(stmtTimes)
	next := history
	b.ResetTimer()
	var incTotal, incCPU time.Duration
	var runs []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// 10,000 rows: 9,000 new sales, 500 late sales from the last two
		// days, 500 corrections of recent sales, all arriving now.
		must(fmt.Sprintf(`insert into raw.events
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
		next += 9500
		// The load's own WAL is checkpointed before the timer starts, so
		// the run pays for its batch, not for the loader's writes.
		must("checkpoint")
		b.StartTimer()
		cpu0 := processCPU()
		d := run(false)
		incTotal += d
		incCPU += processCPU() - cpu0
		runs = append(runs, d)
		if stmtTimes != nil {
			stmtTimes["(whole run)"] = append(stmtTimes["(whole run)"], d)
		}
	}
	b.StopTimer()
	inc := incTotal / time.Duration(b.N)
	b.ReportMetric(float64(fullTime.Nanoseconds()), "full-refresh-ns")
	b.ReportMetric(float64(inc)/float64(fullTime), "inc/full")
	b.ReportMetric(float64(incCPU.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	// The median run too: on a shared machine one slow run moves the mean.
	slices.Sort(runs)
	b.ReportMetric(float64(runs[len(runs)/2].Microseconds())/1000, "median-ms")
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
