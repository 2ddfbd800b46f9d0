package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// The store assortment: which products each store lists, with the settings
// the replenishment engine orders by. It lives in the replenishment
// service's Cassandra cluster (one of the case study's high-write
// operational entities) and reaches the raw zone as a CDC change log: one
// row per insert (a listing), update or delete (a delisting), with a per-key
// change sequence, the write time and the ingestion time. A delete carries
// only the key.
//
// The feed is keyed by (store, product), so a key's changes arrive in the
// order they were made, however late; the generator keeps that invariant
// (a key's arrival times grow with its change sequence).

// assortSeed separates the assortment's random streams from the trading
// simulation's, so adding it left every other table byte-identical.
const assortSeed = 0xA5507 << 12

type listing struct {
	reorderPoint, safetyStock, orderUpTo int
	mode                                 string
}

type assortChange struct {
	si, p   int
	op      string // I, U or D
	at      time.Time
	arrival time.Time // wanted; apply keeps a key's arrivals in change order
	by      string
	l       listing
}

type assortment struct {
	w           *world
	t           *table
	base        [][]listing  // what a listing starts from: the simulation's reorder point and order-up-to level
	cur         [][]*listing // nil when the product is not listed at the store
	seq         [][]int64
	lastAt      [][]time.Time
	lastArrival [][]time.Time
	cutoff      time.Time // no change arrives after it (zero: no limit)
	cum         []float64
}

func newAssortment(w *world, s *sim, t *table, cutoff time.Time) *assortment {
	a := &assortment{w: w, t: t, cutoff: cutoff, cum: cumulative(w.products, nil, 1)}
	for si := range w.stores {
		a.base = append(a.base, make([]listing, len(w.products)))
		a.cur = append(a.cur, make([]*listing, len(w.products)))
		a.seq = append(a.seq, make([]int64, len(w.products)))
		a.lastAt = append(a.lastAt, make([]time.Time, len(w.products)))
		a.lastArrival = append(a.lastArrival, make([]time.Time, len(w.products)))
		for p := range w.products {
			mode := "auto"
			if w.products[p].category == "Fresh" {
				mode = "vendor_managed" // direct store delivery
			}
			rop := s.rop[si][p]
			a.base[si][p] = listing{reorderPoint: rop, safetyStock: (rop + 1) / 2, orderUpTo: s.out[si][p], mode: mode}
		}
	}
	return a
}

// scaled is l with its levels multiplied by f, keeping
// safety stock <= reorder point < order-up-to level.
func (l listing) scaled(f float64) listing {
	rop := max(1, int(math.Round(float64(l.reorderPoint)*f)))
	out := max(rop+2, int(math.Round(float64(l.orderUpTo)*f)))
	return listing{reorderPoint: rop, safetyStock: (rop + 1) / 2, orderUpTo: out, mode: l.mode}
}

// manual is a store manager's override: a higher reorder point, ordered by hand.
func (l listing) manual(r *rand.Rand) listing {
	rop := l.reorderPoint + 1 + r.IntN(3)
	return listing{reorderPoint: rop, safetyStock: (rop + 1) / 2, orderUpTo: max(l.orderUpTo+2+r.IntN(4), rop+2), mode: "manual"}
}

// apply makes a change at the source and writes its CDC record. Changes
// must be applied in time order; one that does not fit the key's state (an
// update of a product that is not listed) is dropped.
func (a *assortment) apply(c assortChange) bool {
	cur := a.cur[c.si][c.p]
	if (c.op == "I") != (cur == nil) {
		return false
	}
	at := c.at
	if !at.After(a.lastAt[c.si][c.p]) {
		at = a.lastAt[c.si][c.p].Add(time.Second)
	}
	arrival := maxTime(c.arrival, at)
	if !a.cutoff.IsZero() && arrival.After(a.cutoff) {
		arrival = a.cutoff
	}
	if !arrival.After(a.lastArrival[c.si][c.p]) {
		arrival = a.lastArrival[c.si][c.p].Add(time.Second)
	}
	a.seq[c.si][c.p]++
	a.lastAt[c.si][c.p], a.lastArrival[c.si][c.p] = at, arrival
	st, pr := a.w.stores[c.si].id, a.w.products[c.p].id
	if c.op == "D" {
		a.cur[c.si][c.p] = nil
		a.t.add(st, pr, "D", a.seq[c.si][c.p], at, c.by, nil, nil, nil, nil, arrival)
		return true
	}
	l := c.l
	a.cur[c.si][c.p] = &l
	a.t.add(st, pr, c.op, a.seq[c.si][c.p], at, c.by, int64(l.reorderPoint), int64(l.safetyStock), int64(l.orderUpTo), l.mode, arrival)
	return true
}

func (a *assortment) applyAll(cs []assortChange) {
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].at.Before(cs[j].at) })
	for _, c := range cs {
		a.apply(c)
	}
}

// initialLoad is the connector's initial snapshot: every product listed at
// every store, listed some time in the year before the history starts.
func (a *assortment) initialLoad() {
	w := a.w
	r := rand.New(rand.NewPCG(uint64(w.cfg.seed), assortSeed))
	snapshot := w.start.Add(-21 * time.Hour) // 03:00 the day before
	for si, st := range w.stores {
		for p, pr := range w.products {
			at := w.start.AddDate(0, 0, -2-r.IntN(365)).Add(time.Duration(r.IntN(86400)) * time.Second)
			at = maxTime(at, maxTime(st.opened, pr.created))
			a.apply(assortChange{si: si, p: p, op: "I", at: at, arrival: snapshot, by: "category_manager", l: a.base[si][p]})
		}
	}
}

// lateArrival is when a change made on a device that was offline reaches
// the raw zone: ten minutes to about three days later.
func lateArrival(r *rand.Rand, at time.Time) time.Time {
	return at.Add(time.Duration(float64(10*time.Minute) * math.Pow(2, r.Float64()*8.7))).Truncate(time.Second)
}

// simulateDay makes one day of changes: the engine's weekly re-planning,
// category managers raising levels before a promotion and restoring them
// after it, delisting long-tail products and re-listing some later, and
// store managers' manual overrides (some typed on a tablet that was
// offline, so they arrive late).
func (a *assortment) simulateDay(di int) {
	w := a.w
	d := w.start.AddDate(0, 0, di)
	r := rand.New(rand.NewPCG(uint64(w.cfg.seed), assortSeed+uint64(di)+1))
	var cs []assortChange
	soon := func(at time.Time) time.Time { return at.Add(time.Duration(1+r.IntN(90)) * time.Second) }
	minutes := func(from time.Time, n int) time.Time { return from.Add(time.Duration(r.IntN(n*60)) * time.Second) }
	if d.Weekday() == time.Monday {
		for si := range w.stores {
			for p := range w.products {
				if l := a.cur[si][p]; l != nil && l.mode != "manual" && r.Float64() < 0.04 {
					at := minutes(d.Add(4*time.Hour), 30)
					cs = append(cs, assortChange{si, p, "U", at, soon(at), "replenishment_engine", a.base[si][p].scaled(0.8 + 0.45*r.Float64())})
				}
			}
		}
	}
	for _, pr := range w.promos {
		raise, restore := d.Equal(pr.start.AddDate(0, 0, -2)), d.Equal(pr.end.AddDate(0, 0, 1))
		if !raise && !restore {
			continue
		}
		for si := range w.stores {
			l := a.cur[si][pr.prod]
			if l == nil || l.mode == "manual" {
				continue
			}
			at := minutes(d.Add(10*time.Hour), 60)
			next := a.base[si][pr.prod]
			if raise {
				next = l.scaled(pr.lift)
			}
			next.mode = l.mode
			cs = append(cs, assortChange{si, pr.prod, "U", at, soon(at), "category_manager", next})
		}
	}
	for si, st := range w.stores {
		if r.Float64() < 0.35 {
			p := pick(r, a.cum)
			op, cl := st.hours(d)
			at := d.Add(time.Duration(op)*time.Hour + time.Duration(r.IntN(max(1, cl-op)*3600))*time.Second)
			arrival := soon(at)
			if r.Float64() < 0.25 {
				arrival = lateArrival(r, at)
			}
			if l := a.cur[si][p]; l != nil {
				next := l.manual(r)
				if l.mode == "manual" && r.Float64() < 0.5 {
					next = a.base[si][p] // back to the engine
				}
				cs = append(cs, assortChange{si, p, "U", at, arrival, "store_manager", next})
			}
		}
		if d.Weekday() == time.Wednesday && r.Float64() < 0.6 {
			p := r.IntN(len(w.products)) // uniform: mostly the long tail
			at := minutes(d.Add(11*time.Hour), 60)
			cs = append(cs, assortChange{si, p, "D", at, soon(at), "category_manager", listing{}})
		}
		for p := range w.products {
			if a.cur[si][p] == nil && r.Float64() < 0.07 {
				at := minutes(d.Add(9*time.Hour), 120)
				cs = append(cs, assortChange{si, p, "I", at, soon(at), "category_manager", a.base[si][p]})
			}
		}
	}
	a.applyAll(cs)
}

// streamChanges makes the changes of a stream batch [t0, t1): updates,
// delistings, re-listings of delisted products, one product delisted and
// re-listed minutes later (a mistake undone), and store managers' changes
// made hours or days before t0 on an offline tablet, arriving now. The
// assortment's state is the latest change of each key already in --out.
func (a *assortment) streamChanges(t0, t1 time.Time) {
	w := a.w
	cfg := w.cfg
	r := rand.New(rand.NewPCG(uint64(cfg.seed)+assortSeed, uint64(t0.Unix())))
	span := int64(t1.Sub(t0))
	in := func() time.Time { return t0.Add(time.Duration(r.Int64N(span))).Truncate(time.Second) }
	soon := func(at time.Time) time.Time { return at.Add(time.Duration(1+r.IntN(90)) * time.Second) }
	touched := map[[2]int]bool{}
	listed := func(popular bool) (int, int, bool) {
		for k := 0; k < 100; k++ {
			si, p := r.IntN(len(w.stores)), r.IntN(len(w.products))
			if popular {
				p = pick(r, a.cum)
			}
			if a.cur[si][p] != nil && !touched[[2]int{si, p}] {
				touched[[2]int{si, p}] = true
				return si, p, true
			}
		}
		return 0, 0, false
	}
	var delisted [][2]int
	for si := range w.stores {
		for p := range w.products {
			if a.cur[si][p] == nil {
				delisted = append(delisted, [2]int{si, p})
			}
		}
	}
	var cs []assortChange
	for k := 0; k < 1+cfg.batchMinutes*len(w.stores)/60; k++ {
		si, p, ok := listed(true)
		if !ok {
			break
		}
		at := in()
		l := a.cur[si][p]
		if l.mode != "manual" && r.Float64() < 0.7 {
			next := a.base[si][p].scaled(0.8 + 0.45*r.Float64())
			next.mode = l.mode
			cs = append(cs, assortChange{si, p, "U", at, soon(at), "replenishment_engine", next})
		} else {
			cs = append(cs, assortChange{si, p, "U", at, soon(at), "store_manager", l.manual(r)})
		}
	}
	for k := 0; k < 1+cfg.batchMinutes/120; k++ {
		if si, p, ok := listed(false); ok {
			at := in()
			cs = append(cs, assortChange{si, p, "D", at, soon(at), "category_manager", listing{}})
		}
		r.Shuffle(len(delisted), func(i, j int) { delisted[i], delisted[j] = delisted[j], delisted[i] })
		for len(delisted) > 0 {
			key := delisted[0]
			delisted = delisted[1:]
			if !touched[key] {
				touched[key] = true
				at := in()
				cs = append(cs, assortChange{key[0], key[1], "I", at, soon(at), "category_manager", a.base[key[0]][key[1]]})
				break
			}
		}
	}
	if si, p, ok := listed(false); ok {
		del, again := in(), in()
		if again.Before(del) {
			del, again = again, del
		}
		again = maxTime(again, del.Add(time.Second))
		cs = append(cs,
			assortChange{si, p, "D", del, soon(del), "category_manager", listing{}},
			assortChange{si, p, "I", again, soon(again), "category_manager", a.base[si][p]})
	}
	for k := 0; k < 1+cfg.batchMinutes/60; k++ {
		si, p, ok := listed(false)
		if !ok {
			break
		}
		at := t0.Add(-time.Duration(float64(10*time.Minute) * math.Pow(2, 1+r.Float64()*7.7))).Truncate(time.Second)
		at = maxTime(at, a.lastAt[si][p].Add(time.Minute))
		if k%3 == 1 {
			cs = append(cs, assortChange{si, p, "D", at, in(), "store_manager", listing{}})
		} else {
			cs = append(cs, assortChange{si, p, "U", at, in(), "store_manager", a.cur[si][p].manual(r)})
		}
	}
	a.applyAll(cs)
}

// load reads the state of every key from the change log rel (the files
// already in --out): its latest change, by change_seq.
func (a *assortment) load(q *querier, rel string, storeIdx, prodIdx func(string) int) {
	q.rows(fmt.Sprintf(`select store_id, product_id, op, change_seq, coalesce(reorder_point, 0), coalesce(safety_stock, 0),
       coalesce(order_up_to, 0), coalesce(replenishment_mode, ''), changed_at,
       max(_ingested_at) over (partition by store_id, product_id)
from %s
qualify row_number() over (partition by store_id, product_id order by change_seq desc) = 1`, rel), func(sc func(...any) error) {
		var st, pr, op, mode string
		var seq, rop, safety, out int64
		var at, arrival time.Time
		if err := sc(&st, &pr, &op, &seq, &rop, &safety, &out, &mode, &at, &arrival); err != nil {
			fatalf("%v", err)
		}
		si, p := storeIdx(st), prodIdx(pr)
		if si < 0 || si >= len(a.w.stores) || p < 0 || p >= len(a.w.products) {
			return
		}
		a.seq[si][p], a.lastAt[si][p], a.lastArrival[si][p] = seq, at.UTC(), arrival.UTC()
		a.cur[si][p] = nil
		if op != "D" {
			a.cur[si][p] = &listing{reorderPoint: int(rop), safetyStock: int(safety), orderUpTo: int(out), mode: mode}
		}
	})
}
