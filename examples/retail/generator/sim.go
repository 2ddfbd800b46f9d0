package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

type tables struct {
	pos, inv, products, prices, promos, stores, customers, sessions *table
	assortment                                                      *table
}

func defineTables(w *writer) tables {
	v, i, d, ts, dt, b := "varchar", "bigint", "double", "timestamp", "date", "boolean"
	c := func(n, t string) column { return column{n, t} }
	return tables{
		pos: w.table("raw_pos", "transactions", c("sale_id", v), c("line_number", i), c("store_id", v), c("product_id", v),
			c("customer_id", v), c("quantity", i), c("unit_price", d), c("discount_amount", d), c("promo_id", v),
			c("channel", v), c("original_sale_id", v), c("sold_at", ts), c("_loaded_at", ts)),
		inv: w.table("raw_inventory", "events", c("event_id", v), c("store_id", v), c("product_id", v), c("event_type", v),
			c("quantity_delta", i), c("reason", v), c("reference_id", v), c("event_at", ts), c("_loaded_at", ts)),
		products: w.table("raw_erp", "products", c("product_id", v), c("sku", v), c("product_name", v), c("category", v),
			c("subcategory", v), c("brand", v), c("unit_of_measure", v), c("is_active", b), c("created_at", ts), c("_loaded_at", ts)),
		prices: w.table("raw_erp", "prices", c("product_id", v), c("effective_from", ts), c("list_price", d), c("unit_cost", d),
			c("currency", v), c("_loaded_at", ts)),
		promos: w.table("raw_erp", "promotions", c("promo_id", v), c("promo_name", v), c("promo_type", v), c("product_id", v),
			c("discount_pct", d), c("starts_on", dt), c("ends_on", dt), c("_loaded_at", ts)),
		stores: w.table("raw_erp", "stores", c("store_id", v), c("store_name", v), c("store_format", v), c("region_code", v),
			c("city", v), c("opened_on", dt), c("opening_hour", i), c("closing_hour", i), c("_loaded_at", ts)),
		customers: w.table("raw_crm", "customers", c("customer_id", v), c("first_name", v), c("last_name", v), c("email", v),
			c("loyalty_tier", v), c("home_store_id", v), c("signed_up_at", ts), c("_fivetran_synced", ts), c("_fivetran_deleted", b)),
		sessions: w.table("raw_ecommerce", "sessions", c("session_id", v), c("customer_id", v), c("device", v),
			c("traffic_source", v), c("started_at", ts), c("converted", b), c("sale_id", v), c("_loaded_at", ts)),
		assortment: w.table("raw_replenishment", "assortment_changes", c("store_id", v), c("product_id", v), c("op", v),
			c("change_seq", i), c("changed_at", ts), c("changed_by", v), c("reorder_point", i), c("safety_stock", i),
			c("order_up_to", i), c("replenishment_mode", v), c("_ingested_at", ts)),
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// writeDims writes the master data (ERP, CRM) of a full run.
func writeDims(w *world, t tables) {
	loaded := w.end.Add(-22 * time.Hour)
	for _, s := range w.stores {
		t.stores.add(s.id, s.name, s.format, s.region, s.city, s.opened, int64(s.open), int64(s.close), loaded)
	}
	for i, p := range w.products {
		t.products.add(p.id, p.sku, p.name, p.category, p.subcategory, p.brand, p.uom, true, p.created, loaded)
		for _, pp := range w.prices[i] {
			t.prices.add(p.id, pp.from, pp.list, pp.cost, "USD", pp.loaded)
		}
	}
	for _, pr := range w.promos {
		t.promos.add(pr.id, pr.name, pr.typ, w.products[pr.prod].id, pr.pct, pr.start, pr.end, pr.loaded)
	}
	for _, c := range w.customers {
		t.customers.add(c.id, c.first, c.last, c.email, c.tier, w.stores[c.home].id, c.signed, c.synced, c.deleted)
	}
}

type order struct{ store, prod, qty int }

type saleRef struct {
	saleID, customer string
	prod, qty        int
	price, discount  float64
	promo            string
}

// sim is the state carried from day to day: stock, open purchase orders and
// recent sales (for returns).
type sim struct {
	w        *world
	t        tables
	stock    [][]int
	onOrder  [][]int
	rop, out [][]int
	arrivals map[int][]order // by day index
	recent   [][]saleRef
	cutoff   time.Time // no row arrives after this
	late     float64
	stats    struct{ lostLines, stockouts int }
	evSeq    map[string]int
	label    string
	postCap  time.Time
}

func newSim(w *world, t tables) *sim {
	s := &sim{w: w, t: t, arrivals: map[int][]order{}, cutoff: w.cutoff, late: w.cfg.lateFraction, evSeq: map[string]int{}}
	cum := cumulative(w.products, nil, 1)
	total := cum[len(cum)-1]
	for si, st := range w.stores {
		s.stock = append(s.stock, make([]int, len(w.products)))
		s.onOrder = append(s.onOrder, make([]int, len(w.products)))
		s.rop = append(s.rop, make([]int, len(w.products)))
		s.out = append(s.out, make([]int, len(w.products)))
		s.recent = append(s.recent, nil)
		base := float64(w.cfg.basketsPerDay) * st.size * 1.12 * 2.3 * 1.35
		for p := range w.products {
			d := base * w.products[p].weight / total
			s.rop[si][p] = int(math.Ceil(d * 6))
			s.out[si][p] = int(math.Ceil(d*13)) + 2
		}
	}
	return s
}

func (s *sim) eventID(store string, d time.Time) string {
	k := store + "-" + s.label
	if s.label == "" {
		k = store + "-" + d.Format("20060102")
	}
	s.evSeq[k]++
	return fmt.Sprintf("IE-%s-%06d", k, s.evSeq[k])
}

// arrival is when a row with event time t reaches the warehouse: seconds
// later normally, minutes to days later for a late fraction.
func (s *sim) arrival(r *rand.Rand, t time.Time, normal time.Duration) time.Time {
	a := t.Add(time.Duration(1+r.Int64N(int64(normal/time.Second))) * time.Second)
	if r.Float64() < s.late {
		a = t.Add(time.Duration(float64(10*time.Minute) * math.Pow(2, r.Float64()*8.7)))
	}
	if a.After(s.cutoff) {
		a = s.cutoff
	}
	if a.Before(t) {
		a = t
	}
	return a
}

func (s *sim) invEvent(r *rand.Rand, si, p int, typ string, qty int, reason, ref string, at time.Time) {
	st := s.w.stores[si].id
	s.t.inv.add(s.eventID(st, at), st, s.w.products[p].id, typ, int64(qty), nullable(reason), nullable(ref), at, s.arrival(r, at, 20*time.Minute))
}

type basket struct {
	at      time.Time
	channel string
}

var hourShape = []float64{0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 0.8, 0.9, 1.0, 1.2, 1.5, 1.4, 1.1, 1.0, 1.1, 1.4, 1.5, 1.3, 1.0, 0.8, 0.6, 0.4}

func randomTime(r *rand.Rand, d time.Time, from, to int) time.Time {
	tot := 0.0
	for h := from; h < to; h++ {
		tot += hourShape[h]
	}
	x := r.Float64() * tot
	h := from
	for ; h < to-1; h++ {
		x -= hourShape[h]
		if x < 0 {
			break
		}
	}
	return d.Add(time.Duration(h)*time.Hour + time.Duration(r.IntN(3600))*time.Second)
}

// hours is a store's trading window on date d (Sunday is shorter).
func (st store) hours(d time.Time) (int, int) {
	if d.Weekday() == time.Sunday && st.format != "express" {
		return 10, 18
	}
	return st.open, st.close
}

func poisson(r *rand.Rand, mean float64) int {
	if mean > 30 {
		return int(math.Max(0, math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p < l {
			return k
		}
		k++
	}
}

// simulateDay generates one trading day for every store.
func (s *sim) simulateDay(di int) {
	w := s.w
	d := w.start.AddDate(0, 0, di)
	r := rand.New(rand.NewPCG(uint64(w.cfg.seed), uint64(di)+1000))
	factor, closed := w.demandFactor(d)
	promos := w.promosOn(d)
	cum := cumulative(w.products, promos, 1)

	if di == 0 {
		for si := range w.stores {
			for p := range w.products {
				s.stock[si][p] = s.out[si][p]
				s.invEvent(r, si, p, "receipt", s.out[si][p], "opening_stock", "", d)
			}
		}
	}
	// Baskets of the day per store, in time order.
	byStore := make([][]basket, len(w.stores))
	for si, st := range w.stores {
		var bs []basket
		n := poisson(r, float64(w.cfg.basketsPerDay)*st.size*factor)
		if !closed {
			op, cl := st.hours(d)
			for k := 0; k < n; k++ {
				bs = append(bs, basket{randomTime(r, d, op, cl), "store"})
			}
			for k := poisson(r, float64(n)*0.05); k > 0; k-- {
				bs = append(bs, basket{randomTime(r, d, 9, 20), "click_and_collect"})
			}
		}
		for k := poisson(r, float64(w.cfg.basketsPerDay)*st.size*factor*0.14); k > 0; k-- {
			bs = append(bs, basket{randomTime(r, d, 0, 24), "online"})
		}
		sort.Slice(bs, func(i, j int) bool { return bs[i].at.Before(bs[j].at) })
		byStore[si] = bs
	}
	seq := make([]int, len(w.stores))
	six := d.Add(6 * time.Hour)
	split := func(bs []basket) int { return sort.Search(len(bs), func(i int) bool { return !bs[i].at.Before(six) }) }
	// Night online orders, then receipts and transfers at 06:00, then trading.
	for si := range w.stores {
		s.trade(r, si, byStore[si][:split(byStore[si])], cum, promos, seq, d)
	}
	for _, o := range s.arrivals[di] {
		s.onOrder[o.store][o.prod] -= o.qty
		q := o.qty
		reason := "purchase_order"
		if r.Float64() < 0.08 { // supplier short-ships
			q = int(float64(q) * (0.3 + 0.4*r.Float64()))
			reason = "purchase_order_short"
		}
		if q > 0 {
			s.stock[o.store][o.prod] += q
			s.invEvent(r, o.store, o.prod, "receipt", q, reason, fmt.Sprintf("PO-%s-%s-%s", w.stores[o.store].id, w.products[o.prod].id, d.Format("20060102")), six)
		}
	}
	delete(s.arrivals, di)
	if len(w.stores) > 1 {
		for k := 0; k < 1+len(w.products)/100; k++ {
			p := pick(r, cum)
			lo, hi := 0, 0
			for si := range w.stores {
				if s.stock[si][p] < s.stock[lo][p] {
					lo = si
				}
				if s.stock[si][p] > s.stock[hi][p] {
					hi = si
				}
			}
			if q := s.stock[hi][p] / 3; q >= 2 && s.stock[lo][p]*4 < s.stock[hi][p] {
				ref := fmt.Sprintf("TR-%s-%s-%s", d.Format("20060102"), w.stores[hi].id, w.products[p].id)
				at := six.Add(30 * time.Minute)
				s.stock[hi][p] -= q
				s.stock[lo][p] += q
				s.invEvent(r, hi, p, "transfer_out", -q, "rebalancing", ref, at)
				s.invEvent(r, lo, p, "transfer_in", q, "rebalancing", ref, at)
			}
		}
	}
	for si := range w.stores {
		s.trade(r, si, byStore[si][split(byStore[si]):], cum, promos, seq, d)
	}
	// End of day: shrinkage and count corrections, then reorders.
	for si := range w.stores {
		for k := 0; k < 1+len(w.products)/50; k++ {
			p := r.IntN(len(w.products))
			at := d.Add(23*time.Hour + 45*time.Minute)
			if r.Float64() < 0.7 {
				if q := min(s.stock[si][p], 1+r.IntN(2)); q > 0 {
					s.stock[si][p] -= q
					s.invEvent(r, si, p, "adjustment", -q, []string{"shrinkage", "damaged", "expired"}[r.IntN(3)], "", at)
				}
			} else {
				s.stock[si][p]++
				s.invEvent(r, si, p, "adjustment", 1, "count_correction", "", at)
			}
		}
		for p := range w.products {
			if s.stock[si][p] == 0 {
				s.stats.stockouts++
			}
			if s.stock[si][p]+s.onOrder[si][p] <= s.rop[si][p] {
				q := s.out[si][p] - s.stock[si][p] - s.onOrder[si][p]
				lead := 2 + r.IntN(3)
				s.onOrder[si][p] += q
				s.arrivals[di+lead] = append(s.arrivals[di+lead], order{si, p, q})
			}
		}
	}
}

// trade sells the baskets of one store in time order, depleting stock, and
// posts hourly inventory depletion.
func (s *sim) trade(r *rand.Rand, si int, bs []basket, cum []float64, promos map[int]*promo, seq []int, d time.Time) {
	w := s.w
	st := w.stores[si]
	type agg struct{ sold, returned int }
	hour := map[int]*agg{}
	var curHour time.Time
	flush := func() {
		if len(hour) == 0 {
			return
		}
		keys := make([]int, 0, len(hour))
		for p := range hour {
			keys = append(keys, p)
		}
		sort.Ints(keys)
		end := curHour.Add(time.Hour)
		if !s.postCap.IsZero() && s.postCap.Before(end) {
			end = s.postCap // a stream batch posts at its own end
		}
		for _, p := range keys {
			a := hour[p]
			if a.returned > 0 {
				s.invEvent(r, si, p, "return", a.returned, "customer_return", "", end.Add(-2*time.Second))
			}
			if a.sold > 0 {
				s.invEvent(r, si, p, "sale", -a.sold, "pos_depletion", "", end.Add(-1*time.Second))
			}
		}
		hour = map[int]*agg{}
	}
	for _, b := range bs {
		if h := b.at.Truncate(time.Hour); !h.Equal(curHour) {
			flush()
			curHour = h
		}
		seq[si]++
		saleID := fmt.Sprintf("%s-%s-%05d", st.id, d.Format("20060102"), seq[si])
		cust := ""
		if b.channel != "store" || r.Float64() < 0.55 {
			cust = s.customerFor(r, si, b.at)
		}
		loaded := s.arrival(r, b.at, 90*time.Second)
		// Returns: a store basket that brings back part of a recent sale.
		if b.channel == "store" && len(s.recent[si]) > 0 && r.Float64() < 0.015 {
			o := s.recent[si][r.IntN(len(s.recent[si]))]
			q := 1 + r.IntN(o.qty)
			disc := -round2(o.discount / float64(o.qty) * float64(q))
			s.t.pos.add(saleID, int64(1), st.id, w.products[o.prod].id, nullable(o.customer), int64(-q), o.price, disc, nullable(o.promo), "store", o.saleID, b.at, loaded)
			s.stock[si][o.prod] += q
			if hour[o.prod] == nil {
				hour[o.prod] = &agg{}
			}
			hour[o.prod].returned += q
			continue
		}
		nLines := 1
		for nLines < 12 && r.Float64() < 0.55 {
			nLines++
		}
		seen := map[int]bool{}
		line := 0
		for k := 0; k < nLines; k++ {
			p := pick(r, cum)
			if seen[p] {
				continue
			}
			seen[p] = true
			q := 1
			if x := r.Float64(); x > 0.92 {
				q = 3 + r.IntN(4)
			} else if x > 0.75 {
				q = 2
			}
			if s.stock[si][p] == 0 {
				s.stats.lostLines++
				continue
			}
			q = min(q, s.stock[si][p])
			cur, prev := w.priceAt(p, b.at)
			price := cur.list
			if b.channel == "store" {
				if !prev.from.Equal(cur.from) && b.at.Sub(cur.from) < 10*24*time.Hour && r.Float64() < 0.05 {
					price = prev.list // shelf label not yet changed
				} else if r.Float64() < 0.005 {
					price = round2(cur.list * 0.9) // manual override at the till
				}
			}
			promoID, disc := "", 0.0
			pr := promos[p]
			if pr != nil && (pr.typ != "loyalty" || cust != "") {
				promoID, disc = pr.id, round2(price*float64(q)*pr.pct)
			}
			line++
			missed := promoID != "" && b.channel == "store" && r.Float64() < 0.04
			if missed { // the till missed the promotion; a correction follows
				s.t.pos.add(saleID, int64(line), st.id, w.products[p].id, nullable(cust), int64(q), price, 0.0, nil, b.channel, nil, b.at, loaded)
				fix := loaded.Add(time.Duration(30+r.IntN(2*24*60)) * time.Minute)
				if fix.After(s.cutoff) {
					fix = s.cutoff
				}
				if fix.After(loaded) {
					s.t.pos.add(saleID, int64(line), st.id, w.products[p].id, nullable(cust), int64(q), price, disc, promoID, b.channel, nil, b.at, fix)
				}
			} else {
				s.t.pos.add(saleID, int64(line), st.id, w.products[p].id, nullable(cust), int64(q), price, disc, nullable(promoID), b.channel, nil, b.at, loaded)
			}
			s.stock[si][p] -= q
			if hour[p] == nil {
				hour[p] = &agg{}
			}
			hour[p].sold += q
			ref := saleRef{saleID, cust, p, q, price, disc, promoID}
			if len(s.recent[si]) < 2000 {
				s.recent[si] = append(s.recent[si], ref)
			} else {
				s.recent[si][r.IntN(2000)] = ref
			}
		}
		if b.channel != "store" {
			s.session(r, cust, b.at, saleID)
		}
	}
	flush()
}

func (s *sim) customerFor(r *rand.Rand, si int, at time.Time) string {
	pool := s.w.custBy[si]
	for k := 0; k < 5; k++ {
		var c customer
		if len(pool) > 0 && r.Float64() < 0.85 {
			c = s.w.customers[pool[r.IntN(len(pool))]]
		} else {
			c = s.w.customers[r.IntN(len(s.w.customers))]
		}
		if c.signed.Before(at) {
			return c.id
		}
	}
	return ""
}

var devices = []string{"mobile", "mobile", "mobile", "desktop", "desktop", "tablet", "app"}
var trafficSources = []string{"direct", "organic_search", "paid_search", "email", "social", "affiliate"}

var sessionSeq = map[string]int{}

// start0 is the earliest a browsing session before at can start.
func start0(at time.Time) time.Time { return at.Add(-3 * time.Hour) }

// session records a web session; converted ones carry the sale id, and each
// order comes with several browsing-only sessions.
func (s *sim) session(r *rand.Rand, cust string, at time.Time, saleID string) {
	k := s.label
	if k == "" {
		k = at.Format("20060102")
	}
	add := func(c string, start time.Time, conv bool, sale string) {
		sessionSeq[k]++
		id := fmt.Sprintf("WS-%s-%06d", k, sessionSeq[k])
		s.t.sessions.add(id, nullable(c), devices[r.IntN(len(devices))], trafficSources[r.IntN(len(trafficSources))], start, conv, nullable(sale), s.arrival(r, start, 5*time.Minute))
	}
	add(cust, at.Add(-time.Duration(2+r.IntN(25))*time.Minute), true, saleID)
	for n := poisson(r, 7); n > 0; n-- {
		c := ""
		if r.Float64() < 0.3 {
			if cc := s.w.customers[r.IntN(len(s.w.customers))]; cc.signed.Before(start0(at)) {
				c = cc.id
			}
		}
		start := at.Add(-time.Duration(r.IntN(180)) * time.Minute)
		if start.Before(day(at)) {
			start = day(at)
		}
		add(c, start, false, "")
	}
}
