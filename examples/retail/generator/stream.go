package main

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// streamBatch appends one micro-batch after the latest event in --out: the
// window's trading, POS lines that were stuck on offline tills (sold minutes
// to days ago), receipts posted late, corrections of recent lines, and
// assortment changes (see streamChanges).
func streamBatch(ctx context.Context, w *world) (*writer, tables) {
	cfg := w.cfg
	q := newQuerier(ctx, cfg.out)
	defer q.db.Close()
	pos := q.glob("raw_pos", "transactions")
	inv := q.glob("raw_inventory", "events")
	if n := q.int("select count(*) from " + q.glob("raw_erp", "products")); n != int64(len(w.products)) {
		fatalf("%s holds %d products but --products is %d: pass the --seed and sizes of the full run", cfg.out, n, len(w.products))
	}
	if n := q.int("select count(*) from " + q.glob("raw_erp", "stores")); n != int64(len(w.stores)) {
		fatalf("%s holds %d stores but --stores is %d: pass the --seed and sizes of the full run", cfg.out, n, len(w.stores))
	}
	assort := q.glob("raw_replenishment", "assortment_changes")
	// The latest moment the raw zone knows about; a batch's hourly inventory
	// postings arrive at its window end, so batches follow each other.
	watermark := q.time("select max(t) from (select max(greatest(sold_at, _loaded_at)) as t from " + pos +
		" union all select max(greatest(event_at, _loaded_at)) from " + inv +
		" union all select max(greatest(changed_at, _ingested_at)) from " + assort + ")")
	start := watermark.Truncate(time.Minute)
	if start.Before(watermark) {
		start = start.Add(time.Minute)
	}
	t0 := nextTrading(w, start)
	t1 := t0.Add(time.Duration(cfg.batchMinutes) * time.Minute)
	label := t0.Format("20060102T1504")

	wr, err := newWriter(ctx, cfg.out, label, cfg.rowsPerFile)
	if err != nil {
		fatalf("%v", err)
	}
	tb := defineTables(wr)
	s := newSim(w, tb)
	s.label, s.cutoff, s.postCap = label, t1, t1
	r := rand.New(rand.NewPCG(uint64(cfg.seed), uint64(t0.Unix())))

	storeIdx := func(id string) int { n, _ := strconv.Atoi(strings.TrimPrefix(id, "S")); return n - 1 }
	prodIdx := func(id string) int { n, _ := strconv.Atoi(strings.TrimPrefix(id, "P")); return n - 1 }

	// Stock now, and the lowest balance since lo: a late sale at any time
	// after lo may take at most that much without a balance going negative.
	lo := t0.Add(-3 * 24 * time.Hour)
	minBal := make([][]int, len(w.stores))
	for i := range minBal {
		minBal[i] = make([]int, len(w.products))
	}
	q.rows(fmt.Sprintf(`with ev as (
  select store_id, product_id, event_at,
         sum(quantity_delta) over (partition by store_id, product_id order by event_at, event_id rows between unbounded preceding and current row) as bal
  from %s)
select store_id, product_id, arg_max(bal, event_at),
       least(coalesce(min(bal) filter (where event_at >= '%s'), 1e9), coalesce(arg_max(bal, event_at) filter (where event_at < '%s'), 0))
from ev group by all`, inv, lo.Format(time.DateTime), lo.Format(time.DateTime)), func(sc func(...any) error) {
		var st, pr string
		var now, low float64
		if err := sc(&st, &pr, &now, &low); err != nil {
			fatalf("%v", err)
		}
		si, p := storeIdx(st), prodIdx(pr)
		if si >= 0 && si < len(w.stores) && p >= 0 && p < len(w.products) {
			s.stock[si][p], minBal[si][p] = int(now), int(low)
		}
	})
	// Sale ids continue each store's sequence of the day.
	seqOf := map[string]int{}
	q.rows(fmt.Sprintf(`select store_id || '-' || split_part(sale_id, '-', 2), max(cast(split_part(sale_id, '-', 3) as integer))
from %s where sold_at >= '%s' group by all`, pos, lo.Add(-24*time.Hour).Format(time.DateTime)), func(sc func(...any) error) {
		var k string
		var n int
		if err := sc(&k, &n); err != nil {
			fatalf("%v", err)
		}
		seqOf[k] = n
	})
	nextID := func(si int, at time.Time) string {
		k := w.stores[si].id + "-" + at.Format("20060102")
		seqOf[k]++
		return fmt.Sprintf("%s-%05d", k, seqOf[k])
	}
	arrive := func() time.Time { return t0.Add(time.Duration(r.Int64N(int64(t1.Sub(t0))))).Truncate(time.Second) }

	// Assortment changes, on their own random stream.
	a := newAssortment(w, s, tb.assortment, time.Time{})
	a.load(q, assort, storeIdx, prodIdx)
	a.streamChanges(t0, t1)

	// Late POS lines from tills that were offline, sold up to three days ago.
	cum := cumulative(w.products, nil, 1)
	nLate := 1 + int(math.Round(float64(cfg.batchMinutes)*float64(len(w.stores))*cfg.lateFraction*2))
	for k := 0; k < nLate; k++ {
		si := r.IntN(len(w.stores))
		p := pick(r, cum)
		if minBal[si][p] < 1 || s.stock[si][p] < 1 {
			continue
		}
		at := t0.Add(-time.Duration(float64(10*time.Minute) * math.Pow(2, r.Float64()*8.7))).Truncate(time.Second)
		if at.Before(lo) {
			at = lo.Add(time.Hour)
		}
		st := w.stores[si]
		ch := "online"
		if op, cl := st.hours(day(at)); at.Hour() >= op && at.Hour() < cl {
			ch = "store"
		}
		cur, _ := w.priceAt(p, at)
		promoID, disc := "", 0.0
		if pr := w.promosOn(day(at))[p]; pr != nil && pr.typ != "loyalty" {
			promoID, disc = pr.id, round2(cur.list*pr.pct)
		}
		saleID := nextID(si, at)
		loaded := arrive()
		tb.pos.add(saleID, int64(1), st.id, w.products[p].id, nil, int64(1), cur.list, disc, nullable(promoID), ch, nil, at, loaded)
		tb.inv.add(s.eventID(st.id, at), st.id, w.products[p].id, "sale", int64(-1), "pos_depletion_offline_till", saleID, at, loaded.Add(time.Duration(r.IntN(60))*time.Second).Add(0))
		minBal[si][p]--
		s.stock[si][p]--
	}
	// Receipts posted late: goods received hours or days ago, booked now.
	for si := range w.stores {
		for p := range w.products {
			if s.stock[si][p] <= s.rop[si][p] && r.Float64() < float64(cfg.batchMinutes)/(24*60)*3 {
				qty := s.out[si][p] - s.stock[si][p]
				at := t0.Add(-time.Duration(1+r.IntN(40)) * time.Hour).Truncate(time.Hour)
				s.stock[si][p] += qty
				tb.inv.add(s.eventID(w.stores[si].id, at), w.stores[si].id, w.products[p].id, "receipt", int64(qty), "purchase_order_late_posting",
					fmt.Sprintf("PO-%s-%s-%s", w.stores[si].id, w.products[p].id, at.Format("20060102")), at, arrive())
			}
		}
	}
	// Corrections: recent lines re-sent with the promotion the till missed,
	// the list price, or the loyalty card scanned after the sale.
	nFix := 1 + int(float64(cfg.batchMinutes)*float64(len(w.stores))*0.02)
	fixed := 0
	q.rows(fmt.Sprintf(`select sale_id, line_number, store_id, product_id, coalesce(customer_id, ''), quantity, unit_price, discount_amount,
       coalesce(promo_id, ''), channel, sold_at
from %s
where sold_at >= '%s' and quantity > 0
qualify row_number() over (partition by sale_id, line_number order by _loaded_at desc) = 1
order by md5(sale_id || '/' || line_number || '/%d/%s') limit %d`, pos, lo.Format(time.DateTime), cfg.seed, label, nFix*20), func(sc func(...any) error) {
		if fixed >= nFix {
			return
		}
		var sale, st, pr, cust, promoID, ch string
		var line, qty int64
		var price, disc float64
		var at time.Time
		if err := sc(&sale, &line, &st, &pr, &cust, &qty, &price, &disc, &promoID, &ch, &at); err != nil {
			fatalf("%v", err)
		}
		p := prodIdx(pr)
		cur, _ := w.priceAt(p, at)
		switch promo := w.promosOn(day(at))[p]; {
		case promoID == "" && promo != nil && promo.typ != "loyalty":
			promoID, disc = promo.id, round2(price*float64(qty)*promo.pct)
		case price != cur.list:
			price = cur.list
			if promoID != "" {
				if promo != nil {
					disc = round2(price * float64(qty) * promo.pct)
				}
			}
		case cust == "":
			si := storeIdx(st)
			if c := s.customerFor(r, si, day(at)); c != "" {
				cust = c
			} else {
				return
			}
		default:
			return
		}
		tb.pos.add(sale, line, st, pr, nullable(cust), qty, price, disc, nullable(promoID), ch, nil, at, arrive())
		fixed++
	})

	// The window's own trading.
	d := day(t0)
	factor, closed := w.demandFactor(d)
	promos := w.promosOn(d)
	wcum := cumulative(w.products, promos, 1)
	seq := make([]int, len(w.stores))
	for si, st := range w.stores {
		seq[si] = seqOf[st.id+"-"+d.Format("20060102")]
		n := float64(cfg.basketsPerDay) * st.size * factor
		var bs []basket
		op, cl := st.hours(d)
		if !closed {
			bs = append(bs, windowBaskets(r, d, t0, t1, op, cl, n, "store")...)
			bs = append(bs, windowBaskets(r, d, t0, t1, 9, 20, n*0.05, "click_and_collect")...)
		}
		bs = append(bs, windowBaskets(r, d, t0, t1, 0, 24, n*0.14, "online")...)
		sort.Slice(bs, func(i, j int) bool { return bs[i].at.Before(bs[j].at) })
		s.trade(r, si, bs, wcum, promos, seq, d)
	}
	fmt.Printf("stream batch %s .. %s (after %s)\n", t0.Format(time.DateTime), t1.Format(time.DateTime), watermark.Format(time.DateTime))
	return wr, tb
}

// windowBaskets draws the baskets of [t0, t1) from a day's expected count n
// spread over trading hours [op, cl) by the hourly shape.
func windowBaskets(r *rand.Rand, d, t0, t1 time.Time, op, cl int, n float64, ch string) []basket {
	tot := 0.0
	for h := op; h < cl; h++ {
		tot += hourShape[h]
	}
	var out []basket
	for h := op; h < cl; h++ {
		hs, he := d.Add(time.Duration(h)*time.Hour), d.Add(time.Duration(h+1)*time.Hour)
		a, b := maxTime(hs, t0), minTime(he, t1)
		if !a.Before(b) {
			continue
		}
		mean := n * hourShape[h] / tot * b.Sub(a).Hours()
		for k := poisson(r, mean); k > 0; k-- {
			out = append(out, basket{a.Add(time.Duration(r.Int64N(int64(b.Sub(a))))).Truncate(time.Second), ch})
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// nextTrading moves t forward to the next minute at which some store trades,
// so a batch is not fifteen minutes of an empty night.
func nextTrading(w *world, t time.Time) time.Time {
	for i := 0; i < 3*24*4; i++ {
		d := day(t)
		if _, closed := w.demandFactor(d); !closed {
			for _, st := range w.stores {
				if op, cl := st.hours(d); t.Hour() >= op && t.Hour() < cl {
					return t
				}
			}
		}
		t = t.Add(15 * time.Minute).Truncate(15 * time.Minute)
	}
	return t
}

// querier reads the Parquet files already in --out.
type querier struct {
	ctx context.Context
	db  *sql.DB
	out string
}

func newQuerier(ctx context.Context, out string) *querier {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		fatalf("%v", err)
	}
	return &querier{ctx, db, out}
}

func (q *querier) glob(source, name string) string {
	pat := filepath.Join(q.out, source, name, "*.parquet")
	if m, _ := filepath.Glob(pat); len(m) == 0 {
		fmt.Fprintf(os.Stderr, "generator: no %s files in %s: run a full generation first\n", source+"."+name, q.out)
		os.Exit(1)
	}
	return "read_parquet('" + strings.ReplaceAll(pat, "'", "''") + "', union_by_name = true)"
}

func (q *querier) int(sqlText string) (n int64) {
	if err := q.db.QueryRowContext(q.ctx, sqlText).Scan(&n); err != nil {
		fatalf("%v\n%s", err, sqlText)
	}
	return
}

func (q *querier) time(sqlText string) (t time.Time) {
	if err := q.db.QueryRowContext(q.ctx, sqlText).Scan(&t); err != nil {
		fatalf("%v\n%s", err, sqlText)
	}
	return t.UTC()
}

func (q *querier) rows(sqlText string, each func(scan func(...any) error)) {
	rs, err := q.db.QueryContext(q.ctx, sqlText)
	if err != nil {
		fatalf("%v\n%s", err, sqlText)
	}
	defer rs.Close()
	for rs.Next() {
		each(rs.Scan)
	}
	if err := rs.Err(); err != nil {
		fatalf("%v", err)
	}
}
