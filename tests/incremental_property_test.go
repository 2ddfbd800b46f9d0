package tests

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kiln-build/kiln/compiler"
	"github.com/kiln-build/kiln/runner"
)

var (
	propSeed      = flag.Int64("incseed", 0, "run only this seed of the incremental property test")
	propSequences = flag.Int("incsequences", 20, "sequences per incremental configuration")
)

// incConfig is one way of configuring the same incremental model.
type incConfig struct {
	name   string
	config string
	// lateWindow bounds how late (in event time, behind the newest event
	// already loaded) a row may arrive for the mode to be correct; 0 means
	// any lateness (arrival_time mode).
	lateWindow time.Duration
	// corrections: the mode can tell versions of a key apart (by arrival).
	corrections bool
	composite   bool
	// ties: a load may start in the same instant the previous one ended
	// (append cannot tell such a row from one it already has).
	ties bool
	// deletes: change records include deletes (op 'D'), re-inserts after
	// a delete and deletes of keys never seen.
	deletes bool
}

var incConfigs = []incConfig{
	{name: "merge/id/arrival", config: "unique_key='sale_id', event_time='event_at', arrival_time='loaded_at'", corrections: true, ties: true},
	{name: "merge/composite/arrival", config: "unique_key=['store_id','sale_id'], event_time='event_at', arrival_time='loaded_at'", corrections: true, composite: true, ties: true},
	{name: "delete+insert/composite/arrival", config: "incremental_strategy='delete+insert', unique_key=['store_id','sale_id'], event_time='event_at', arrival_time='loaded_at'", corrections: true, composite: true, ties: true},
	{name: "merge/id/arrival/deletes", config: "unique_key='sale_id', event_time='event_at', arrival_time='loaded_at', delete_condition=\"op = 'D'\"", corrections: true, ties: true, deletes: true},
	{name: "delete+insert/composite/arrival/deletes", config: "incremental_strategy='delete+insert', unique_key=['store_id','sale_id'], event_time='event_at', arrival_time='loaded_at', delete_condition=\"op = 'D'\"", corrections: true, composite: true, ties: true, deletes: true},
	{name: "merge/composite/arrival/soft-deletes", config: "unique_key=['store_id','sale_id'], event_time='event_at', arrival_time='loaded_at', delete_condition=\"op = 'D'\", soft_delete_column='is_deleted'", corrections: true, composite: true, ties: true, deletes: true},
	{name: "merge/id/lookback", config: "unique_key='sale_id', event_time='event_at', lookback='2 days'", lateWindow: 47 * time.Hour},
	{name: "delete+insert/composite/lookback", config: "incremental_strategy='delete+insert', unique_key=['store_id','sale_id'], event_time='event_at', lookback='2 days'", lateWindow: 47 * time.Hour, composite: true},
	{name: "append/arrival", config: "incremental_strategy='append', event_time='event_at', arrival_time='loaded_at'"},
	{name: "microbatch/day", config: "incremental_strategy='microbatch', event_time='event_at', batch_size='day', lookback=2", lateWindow: 47 * time.Hour},
}

func compileFor(t *testing.T, fsys fstest.MapFS, schema string) *compiler.Manifest {
	t.Helper()
	m, ds := compiler.Compile(context.Background(), compiler.Options{FS: fsys, Target: compiler.Target{Name: "dev", Type: "duckdb", Schema: schema, Threads: 1}})
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	return m
}

// TestIncrementalEqualsFullRefresh is the invariant of PRODUCT.md: after
// any sequence of batches whose late rows arrive within the configured
// window, the incremental table equals a full refresh of the same model.
// Sequences mix on-time rows, late rows, corrections re-sending a key,
// duplicate keys inside one batch and out-of-order arrival. A failure
// prints the seed; rerun it with -args -incseed=N.
func TestIncrementalEqualsFullRefresh(t *testing.T) {
	ctx := context.Background()
	for ci, cfg := range incConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"dbt_project.yml":    {Data: []byte("name: prop\n")},
				"models/sources.yml": {Data: []byte("version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n")},
				"models/fct.sql": {Data: []byte("{{ config(materialized='incremental', " + cfg.config + ") }}\n" +
					"select store_id, sale_id, qty, op, event_at, loaded_at from {{ source('raw', 'events') }}")},
			}
			inc := compileFor(t, fsys, "inc")
			full := compileFor(t, fsys, "fullrefresh")
			wh, err := runner.OpenDuckDB(ctx, runner.DuckDBConfig{Path: ":memory:", Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer wh.Close()
			seeds := make([]int64, 0, *propSequences)
			if *propSeed != 0 {
				seeds = append(seeds, *propSeed)
			} else {
				for i := 0; i < *propSequences; i++ {
					seeds = append(seeds, int64(1000*ci+i+1))
				}
			}
			for _, seed := range seeds {
				if err := runSequence(ctx, wh, inc, full, cfg, seed); err != nil {
					t.Fatalf("%s, seed %d (rerun: go test ./tests -run 'TestIncrementalEqualsFullRefresh/%s' -args -incseed=%d): %v", cfg.name, seed, strings.ReplaceAll(cfg.name, "+", "\\+"), seed, err)
				}
			}
		})
	}
}

type event struct {
	store, sale, qty  int
	op                string
	eventAt, loadedAt time.Time
}

func runSequence(ctx context.Context, wh *runner.DuckDB, inc, full *compiler.Manifest, cfg incConfig, seed int64) error {
	rng := rand.New(rand.NewSource(seed))
	for _, s := range []string{
		"drop schema if exists inc cascade", "drop schema if exists fullrefresh cascade", "create schema if not exists raw",
		"create or replace table raw.events (store_id integer, sale_id integer, qty integer, op varchar, event_at timestamp, loaded_at timestamp)",
	} {
		if _, err := wh.Exec(ctx, s); err != nil {
			return err
		}
	}
	clock := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	var history []event
	var lastArrival time.Time
	maxEvent := clock
	nextSale := 1
	batches := 2 + rng.Intn(5)
	for b := 0; b < batches; b++ {
		clock = clock.Add(time.Duration(1+rng.Intn(30)) * time.Hour)
		var batch []event
		tie := cfg.ties && b > 0 && rng.Intn(3) == 0
		arrival := func() time.Time {
			if tie && len(batch) == 0 {
				// The first new row of this load arrived in the very
				// instant the previous load's last row did.
				return lastArrival
			}
			// Distinct arrival instants inside the batch, after every
			// earlier batch; written in random order below.
			return clock.Add(time.Duration(len(batch)+1) * time.Second)
		}
		n := 1 + rng.Intn(8)
		for i := 0; i < n; i++ {
			store := 1
			if cfg.composite {
				store = 1 + rng.Intn(3)
			}
			ev := clock.Add(-time.Duration(rng.Intn(60)) * time.Minute)
			if rng.Intn(4) == 0 { // late
				lateness := time.Duration(rng.Int63n(int64(72 * time.Hour)))
				if cfg.lateWindow > 0 {
					lateness = time.Duration(rng.Int63n(int64(cfg.lateWindow)))
					ev = maxEvent.Add(-lateness)
				} else {
					ev = clock.Add(-lateness)
				}
			}
			e := event{store: store, sale: nextSale, qty: 1 + rng.Intn(9), op: "I", eventAt: ev.Truncate(time.Second), loadedAt: arrival()}
			nextSale++
			batch = append(batch, e)
			if cfg.corrections && rng.Intn(4) == 0 { // a duplicate key inside the batch
				d := e
				d.qty = 100 + rng.Intn(9)
				d.loadedAt = arrival()
				batch = append(batch, d)
			}
		}
		if cfg.corrections && len(history) > 0 {
			for k := rng.Intn(3); k > 0; k-- { // corrections of earlier sales
				old := history[rng.Intn(len(history))]
				old.qty = -rng.Intn(5)
				old.op = "U"
				old.loadedAt = arrival()
				batch = append(batch, old)
			}
		}
		if cfg.deletes {
			for k := rng.Intn(4); k > 0; k-- {
				switch {
				case len(history) > 0 && rng.Intn(3) > 0: // delete, or re-insert, an earlier key
					old := history[rng.Intn(len(history))]
					old.op = []string{"D", "D", "I"}[rng.Intn(3)]
					old.loadedAt = arrival()
					batch = append(batch, old)
				default: // delete of a key never seen
					batch = append(batch, event{store: 1, sale: nextSale, op: "D", eventAt: clock.Truncate(time.Second), loadedAt: arrival()})
					nextSale++
				}
			}
			if len(batch) > 0 && rng.Intn(3) == 0 { // delete then re-insert within the batch
				last := batch[len(batch)-1]
				del, again := last, last
				del.op, del.loadedAt = "D", arrival()
				batch = append(batch, del)
				again.op, again.loadedAt = "I", arrival()
				batch = append(batch, again)
			}
		}
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		var vals []string
		for _, e := range batch {
			vals = append(vals, fmt.Sprintf("(%d, %d, %d, '%s', '%s', '%s')", e.store, e.sale, e.qty, e.op, e.eventAt.Format(time.DateTime), e.loadedAt.Format(time.DateTime)))
			if e.eventAt.After(maxEvent) {
				maxEvent = e.eventAt
			}
			if e.loadedAt.After(lastArrival) {
				lastArrival = e.loadedAt
			}
		}
		history = append(history, batch...)
		if _, err := wh.Exec(ctx, "insert into raw.events values "+strings.Join(vals, ", ")); err != nil {
			return err
		}
		if err := runModel(ctx, wh, inc, false); err != nil {
			return fmt.Errorf("batch %d, incremental run: %w", b, err)
		}
		if err := runModel(ctx, wh, full, true); err != nil {
			return fmt.Errorf("batch %d, full refresh: %w", b, err)
		}
		diff, err := wh.QueryInt(ctx, `select count(*) from (
			(select * from inc.fct except all select * from fullrefresh.fct)
			union all
			(select * from fullrefresh.fct except all select * from inc.fct))`)
		if err != nil {
			return err
		}
		if diff != 0 {
			rows, _ := wh.Query(ctx, "select 'inc' as side, * from (select * from inc.fct except all select * from fullrefresh.fct) union all select 'full', * from (select * from fullrefresh.fct except all select * from inc.fct) order by 3, 2, 1")
			return fmt.Errorf("after batch %d the incremental table differs from a full refresh in %d rows: %v", b, diff, rows)
		}
	}
	return nil
}

func runModel(ctx context.Context, wh runner.Warehouse, m *compiler.Manifest, fullRefresh bool) error {
	res := runner.Run(ctx, wh, runner.Plan{Manifest: m, Selected: map[string]bool{"model.prop.fct": true}}, runner.Options{Threads: 1, FullRefresh: fullRefresh})
	if len(res) != 1 {
		return fmt.Errorf("%d results", len(res))
	}
	if res[0].Status != runner.StatusSuccess {
		return fmt.Errorf("%s: %s", res[0].Status, res[0].Message)
	}
	return nil
}
