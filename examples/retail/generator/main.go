// Command generator writes the raw zone of the retail example: POS
// transaction lines, inventory events, ERP master data, CRM customers, web
// sessions and the CDC change log of the store assortment, as Parquet files
// under examples/retail/data/<source>/<table>/.
//
// The output is a pure function of the flags (--seed and the sizes): a full
// run simulates --days of trading from --start, day by day, flushing rows to
// Parquet as it goes so that the case study's scale (24 months, 50 stores,
// 5,000 products) fits in memory. --stream appends one micro-batch after the
// latest event already in --out, with late-arriving rows, corrections and
// assortment inserts, updates and deletes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

type config struct {
	seed                              int64
	stores, products, customers, days int
	basketsPerDay                     int
	start                             time.Time
	out                               string
	stream                            bool
	batchMinutes                      int
	lateFraction                      float64
	rowsPerFile                       int64
	force                             bool
	cpuProfile                        string
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "generator: "+format+"\n", args...)
	os.Exit(1)
}

func parseFlags(args []string) config {
	fs := flag.NewFlagSet("generator", flag.ExitOnError)
	var c config
	var start string
	fs.Int64Var(&c.seed, "seed", 42, "random seed; the same flags always produce the same files")
	fs.IntVar(&c.stores, "stores", 5, "number of stores")
	fs.IntVar(&c.products, "products", 200, "number of products")
	fs.IntVar(&c.customers, "customers", 1000, "number of loyalty customers")
	fs.IntVar(&c.days, "days", 60, "days of trading history")
	fs.IntVar(&c.basketsPerDay, "baskets-per-day", 120, "average in-store baskets per standard store per day (flagships ~1.6x, express ~0.55x)")
	fs.StringVar(&start, "start", "2025-10-06", "first trading day (YYYY-MM-DD)")
	fs.StringVar(&c.out, "out", "examples/retail/data", "output directory (the project's data/ folder)")
	fs.BoolVar(&c.stream, "stream", false, "append one micro-batch after the latest event in --out: trading, late POS lines and receipts, corrections, and assortment changes (updates, delistings, re-listings, late changes); pass the same --seed and sizes as the full run")
	fs.IntVar(&c.batchMinutes, "batch-minutes", 15, "length of a --stream micro-batch in minutes")
	fs.Float64Var(&c.lateFraction, "late-fraction", 0.02, "fraction of POS and inventory rows that arrive minutes to days after their event time")
	fs.Int64Var(&c.rowsPerFile, "rows-per-file", 4_000_000, "start a new Parquet part when a table reaches this many rows (bounds memory)")
	fs.BoolVar(&c.force, "force", false, "full run: delete existing Parquet files under --out first")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `Usage: go run ./examples/retail/generator [flags]

Writes the raw zone of the retail example as Parquet files:
  <out>/raw_pos/transactions      POS sale lines (returns are negative quantities, corrections re-send a line key)
  <out>/raw_inventory/events      receipts, hourly sales depletion, returns, adjustments, transfers
  <out>/raw_erp/{products,prices,promotions,stores}
  <out>/raw_crm/customers         Fivetran-style (_fivetran_synced, _fivetran_deleted)
  <out>/raw_ecommerce/sessions    web sessions, converted ones carry the sale id
  <out>/raw_replenishment/assortment_changes
                                  CDC change log of the store assortment kept in Cassandra: one row per
                                  insert (listing), update or delete (delisting) of a (store_id, product_id),
                                  with op I/U/D, a per-key change_seq, changed_at and _ingested_at

Examples:
  go run ./examples/retail/generator --force                      # the committed sample
  go run ./examples/retail/generator --stream                     # one 15-minute micro-batch
  go run ./examples/retail/generator --stream --batch-minutes 120 # two hours: more late rows, deletes, re-listings
  go run ./examples/retail/generator --out /tmp/retail-big --stores 50 --products 5000 \
      --customers 200000 --days 730 --baskets-per-day 300         # the case study's scale

Flags:
`)
		fs.PrintDefaults()
	}
	fs.Parse(args)
	t, err := time.Parse("2006-01-02", start)
	if err != nil {
		fatalf("--start: %v", err)
	}
	c.start = t
	if c.stores < 1 || c.products < 2 || c.customers < 1 || c.days < 1 || c.batchMinutes < 1 {
		fatalf("--stores, --products, --customers, --days and --batch-minutes must be positive")
	}
	return c
}

func main() {
	cfg := parseFlags(os.Args[1:])
	ctx := context.Background()
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			fatalf("%v", err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	began := time.Now()
	w := buildWorld(cfg)
	var tb tables
	var wr *writer
	var err error
	if cfg.stream {
		wr, tb = streamBatch(ctx, w)
	} else {
		if err := prepareOut(cfg); err != nil {
			fatalf("%v", err)
		}
		wr, err = newWriter(ctx, cfg.out, "0000", cfg.rowsPerFile)
		if err != nil {
			fatalf("%v", err)
		}
		tb = defineTables(wr)
		writeDims(w, tb)
		s := newSim(w, tb)
		a := newAssortment(w, s, tb.assortment, w.cutoff)
		a.initialLoad()
		for di := 0; di < cfg.days; di++ {
			s.simulateDay(di)
			a.simulateDay(di)
			wr.flush(false)
			if (di+1)%30 == 0 && cfg.days > 60 {
				fmt.Fprintf(os.Stderr, "  %d/%d days, %s\n", di+1, cfg.days, time.Since(began).Round(time.Second))
			}
		}
		fmt.Printf("stock-outs (store x product x day ending at zero): %d, demand lines lost to stock-outs: %d\n", s.stats.stockouts, s.stats.lostLines)
	}
	wr.flush(true)
	wr.close()
	fmt.Printf("%-38s %10s %6s\n", "table", "rows", "files")
	for _, t := range wr.tables {
		if t.total > 0 {
			fmt.Printf("%-38s %10d %6d\n", t.source+"."+t.name, t.total, t.parts)
		}
	}
	fmt.Printf("wrote %s in %.1fs\n", cfg.out, time.Since(began).Seconds())
}

// prepareOut refuses to mix a full run into existing data unless --force.
func prepareOut(cfg config) error {
	for _, src := range []string{"raw_pos", "raw_inventory", "raw_erp", "raw_crm", "raw_ecommerce", "raw_replenishment"} {
		dir := cfg.out + "/" + src
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		if !cfg.force {
			return fmt.Errorf("%s already holds raw data: pass --force to regenerate it, or --stream to append a batch", cfg.out)
		}
		if !strings.HasSuffix(dir, "/"+src) {
			return fmt.Errorf("refusing to delete %s", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	return nil
}
