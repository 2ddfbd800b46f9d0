package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

type store struct {
	id, name, format, region, city string
	open, close                    int // trading hours, Monday to Saturday
	size                           float64
	opened                         time.Time
}

type product struct {
	id, sku, name, category, subcategory, brand, uom string
	weight                                           float64
	created                                          time.Time
}

type pricePoint struct {
	from, loaded time.Time
	list, cost   float64
}

type promo struct {
	id, name, typ string
	prod          int
	pct, lift     float64
	start, end    time.Time // dates, end inclusive
	loaded        time.Time
}

type customer struct {
	id, first, last, email, tier string
	home                         int
	signed, synced               time.Time
	deleted                      bool
}

// world is everything that is not an event: it is rebuilt from the flags
// alone, so --stream sees the same stores, products and prices.
type world struct {
	cfg       config
	stores    []store
	products  []product
	prices    [][]pricePoint
	promos    []promo
	customers []customer
	custBy    [][]int // customer indexes by home store
	start     time.Time
	end       time.Time // exclusive: start + days
	cutoff    time.Time // arrival time of the full extract
}

var regions = []string{"NE", "SE", "MW", "SW", "W"}
var cities = map[string][]string{
	"NE": {"Boston", "Hartford", "Providence", "Albany"},
	"SE": {"Atlanta", "Charlotte", "Orlando", "Nashville"},
	"MW": {"Chicago", "Columbus", "Detroit", "Minneapolis"},
	"SW": {"Dallas", "Phoenix", "Austin", "Albuquerque"},
	"W":  {"Seattle", "Portland", "Denver", "Sacramento"},
}

type categorySpec struct {
	name     string
	subs     []string
	lo, hi   float64 // list price range
	velocity float64
}

var categories = []categorySpec{
	{"Grocery", []string{"Snacks", "Beverages", "Pantry"}, 1.5, 12, 2.0},
	{"Fresh", []string{"Produce", "Dairy", "Bakery"}, 1, 9, 2.5},
	{"Household", []string{"Cleaning", "Paper Goods", "Laundry"}, 3, 22, 1.0},
	{"Health & Beauty", []string{"Personal Care", "Pharmacy", "Cosmetics"}, 4, 35, 0.8},
	{"Home", []string{"Kitchen", "Decor", "Storage"}, 8, 90, 0.4},
	{"Apparel", []string{"Men", "Women", "Kids"}, 10, 70, 0.5},
	{"Electronics", []string{"Accessories", "Audio", "Smart Home"}, 15, 220, 0.25},
	{"Toys", []string{"Games", "Outdoor", "Building"}, 8, 60, 0.4},
}

var brands = []string{"Northwind", "Acme", "Bluebird", "Cedar & Co", "Everyday", "Harbor", "Kestrel", "Lumen", "Maple", "Orbit", "Pinnacle", "Summit"}
var adjectives = []string{"Classic", "Organic", "Premium", "Family Size", "Mini", "Deluxe", "Lite", "Original", "Value", "Select"}
var firstNames = []string{"Ava", "Ben", "Chloe", "Daniel", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kai", "Lena", "Mia", "Noah", "Olivia", "Priya", "Quinn", "Ravi", "Sofia", "Theo", "Uma", "Victor", "Wen", "Yara", "Zane"}
var lastNames = []string{"Adams", "Brown", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones", "Khan", "Lopez", "Murphy", "Nguyen", "Okafor", "Patel", "Rossi", "Smith", "Taylor", "Walker"}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func buildWorld(cfg config) *world {
	r := rand.New(rand.NewPCG(uint64(cfg.seed), 1))
	w := &world{cfg: cfg, start: cfg.start, end: cfg.start.AddDate(0, 0, cfg.days)}
	w.cutoff = w.end.Add(10 * time.Minute)
	dimLoaded := w.end.Add(-22 * time.Hour) // the ERP/CRM extract of the last day, 02:00

	formats := []string{"flagship", "standard", "standard", "express"}
	for i := 0; i < cfg.stores; i++ {
		reg := regions[i%len(regions)]
		c := cities[reg][(i/len(regions))%len(cities[reg])]
		f := formats[r.IntN(len(formats))]
		if i == 0 {
			f = "flagship"
		}
		size := map[string]float64{"flagship": 1.6, "standard": 1.0, "express": 0.55}[f]
		open, closeH := 8+r.IntN(2), 20+r.IntN(3)
		if f == "express" {
			open, closeH = 7, 23
		}
		w.stores = append(w.stores, store{
			id: fmt.Sprintf("S%03d", i+1), name: fmt.Sprintf("%s %s #%d", c, strings.Title(f), i+1),
			format: f, region: reg, city: c, open: open, close: closeH, size: size,
			opened: cfg.start.AddDate(-2-r.IntN(12), -r.IntN(12), 0),
		})
	}

	// Popularity is Zipf-like over a random order of products.
	rank := r.Perm(cfg.products)
	for i := 0; i < cfg.products; i++ {
		cs := categories[r.IntN(len(categories))]
		sub := cs.subs[r.IntN(len(cs.subs))]
		b := brands[r.IntN(len(brands))]
		p := product{
			id: fmt.Sprintf("P%05d", i+1), sku: fmt.Sprintf("SKU-%s-%05d", strings.ToUpper(cs.name[:3]), i+1),
			name:     fmt.Sprintf("%s %s %s", b, adjectives[r.IntN(len(adjectives))], sub),
			category: cs.name, subcategory: sub, brand: b,
			uom:     []string{"each", "each", "each", "pack", "kg"}[r.IntN(5)],
			weight:  cs.velocity / math.Pow(float64(rank[i]+1), 0.8),
			created: cfg.start.AddDate(-1, 0, -r.IntN(700)),
		}
		w.products = append(w.products, p)
		// Price history: an initial price a year before the data, then
		// occasional changes announced the day before they take effect.
		list := round2(cs.lo + (cs.hi-cs.lo)*math.Pow(r.Float64(), 2))
		list = math.Floor(list) + 0.99
		if list < 1 {
			list = 0.99
		}
		cost := round2(list * (0.45 + 0.3*r.Float64()))
		from := day(cfg.start.AddDate(-1, 0, 0))
		pts := []pricePoint{{from: from, loaded: from.Add(-22 * time.Hour), list: list, cost: cost}}
		for d := 7 + r.IntN(30); d < cfg.days; d += 20 + r.IntN(60) {
			f := cfg.start.AddDate(0, 0, d)
			list = math.Max(0.99, math.Floor(list*(0.92+0.16*r.Float64()))+0.99)
			if r.Float64() < 0.5 {
				cost = round2(math.Min(list*0.8, cost*(0.97+0.08*r.Float64())))
			}
			pts = append(pts, pricePoint{from: f, loaded: f.Add(-22 * time.Hour), list: list, cost: cost})
		}
		w.prices = append(w.prices, pts)
	}

	// Promotions: a weekly calendar from the third week on, so each has a
	// baseline before it starts.
	cum := cumulative(w.products, nil, 1)
	n := 0
	for wk := 14; wk < cfg.days; wk += 7 {
		k := 1 + cfg.products/40
		for j := 0; j < k; j++ {
			n++
			p := pick(r, cum)
			typ, pct, dur := "percent_off", []float64{0.1, 0.15, 0.2, 0.25, 0.3}[r.IntN(5)], 7
			switch x := r.Float64(); {
			case x < 0.15:
				typ, pct, dur = "clearance", 0.3+0.2*r.Float64(), 14
			case x < 0.35:
				typ = "loyalty"
			}
			pct = math.Round(pct*100) / 100
			s := cfg.start.AddDate(0, 0, wk)
			w.promos = append(w.promos, promo{
				id: fmt.Sprintf("PR%04d", n), prod: p, typ: typ, pct: pct, lift: 1 + 3*pct,
				name:  fmt.Sprintf("%d%% off %s", int(pct*100), w.products[p].subcategory),
				start: s, end: s.AddDate(0, 0, dur-1), loaded: s.AddDate(0, 0, -3).Add(2 * time.Hour),
			})
		}
	}

	w.custBy = make([][]int, cfg.stores)
	tiers := []string{"bronze", "bronze", "bronze", "silver", "silver", "gold", "platinum"}
	for i := 0; i < cfg.customers; i++ {
		fn, ln := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		signed := cfg.start.AddDate(0, 0, -30-r.IntN(1500)).Add(time.Duration(r.IntN(86400)) * time.Second)
		if r.Float64() < 0.1 { // joined during the period
			signed = cfg.start.AddDate(0, 0, r.IntN(cfg.days)).Add(time.Duration(r.IntN(86400)) * time.Second)
		}
		home := r.IntN(cfg.stores)
		c := customer{
			id: fmt.Sprintf("C%06d", i+1), first: fn, last: ln,
			email: strings.ToLower(fmt.Sprintf("%s.%s%d@example.com", fn, ln, i+1)),
			tier:  tiers[r.IntN(len(tiers))], home: home, signed: signed,
			synced:  dimLoaded.Add(-time.Duration(r.IntN(30*24)) * time.Hour),
			deleted: r.Float64() < 0.02,
		}
		if c.synced.Before(signed) {
			c.synced = signed.Add(time.Hour)
		}
		w.customers = append(w.customers, c)
		w.custBy[home] = append(w.custBy[home], i)
	}
	return w
}

// priceAt is the price point in effect at t, and the one before it.
func (w *world) priceAt(p int, t time.Time) (cur, prev pricePoint) {
	pts := w.prices[p]
	i := sort.Search(len(pts), func(i int) bool { return pts[i].from.After(t) }) - 1
	if i < 0 {
		i = 0
	}
	cur, prev = pts[i], pts[i]
	if i > 0 {
		prev = pts[i-1]
	}
	return
}

// promosOn maps product index to the promotion running on date d.
func (w *world) promosOn(d time.Time) map[int]*promo {
	m := map[int]*promo{}
	for i := range w.promos {
		p := &w.promos[i]
		if !d.Before(p.start) && !d.After(p.end) {
			if _, ok := m[p.prod]; !ok {
				m[p.prod] = p
			}
		}
	}
	return m
}

// cumulative weights for sampling products, with promotion lift.
func cumulative(ps []product, promos map[int]*promo, scale float64) []float64 {
	c := make([]float64, len(ps))
	s := 0.0
	for i, p := range ps {
		wgt := p.weight
		if pr, ok := promos[i]; ok {
			wgt *= pr.lift
		}
		s += wgt
		c[i] = s
	}
	return c
}

func pick(r *rand.Rand, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	return sort.SearchFloat64s(cum, x)
}

// holidays returns the trading calendar's special days of a year and their
// demand multiplier (0 = stores closed). seeds/holidays.csv lists the same.
func holidays(year int) map[time.Time]holiday {
	d := func(m time.Month, dd int) time.Time { return time.Date(year, m, dd, 0, 0, 0, 0, time.UTC) }
	nth := func(m time.Month, wd time.Weekday, n int) time.Time {
		t := d(m, 1)
		for t.Weekday() != wd {
			t = t.AddDate(0, 0, 1)
		}
		return t.AddDate(0, 0, 7*(n-1))
	}
	last := func(m time.Month, wd time.Weekday) time.Time {
		t := d(m+1, 1).AddDate(0, 0, -1)
		for t.Weekday() != wd {
			t = t.AddDate(0, 0, -1)
		}
		return t
	}
	thanks := nth(time.November, time.Thursday, 4)
	h := map[time.Time]holiday{
		d(time.January, 1):                  {"New Year's Day", 0.6},
		d(time.February, 14):                {"Valentine's Day", 1.3},
		last(time.May, time.Monday):         {"Memorial Day", 1.4},
		d(time.July, 4):                     {"Independence Day", 1.5},
		nth(time.September, time.Monday, 1): {"Labor Day", 1.4},
		d(time.October, 31):                 {"Halloween", 1.3},
		thanks:                              {"Thanksgiving", 0},
		thanks.AddDate(0, 0, 1):             {"Black Friday", 2.6},
		thanks.AddDate(0, 0, 4):             {"Cyber Monday", 1.3},
		d(time.December, 24):                {"Christmas Eve", 1.9},
		d(time.December, 25):                {"Christmas Day", 0},
		d(time.December, 26):                {"Boxing Day", 1.7},
		d(time.December, 31):                {"New Year's Eve", 1.4},
	}
	return h
}

type holiday struct {
	name string
	mult float64
}

// demandFactor is the day's traffic multiplier: weekday shape, holiday
// peaks, the run-up to Christmas, and a gentle upward trend.
func (w *world) demandFactor(d time.Time) (float64, bool) {
	dow := []float64{0.95, 0.8, 0.75, 0.85, 0.95, 1.25, 1.45}[d.Weekday()]
	f := dow
	closed := false
	if h, ok := holidays(d.Year())[d]; ok {
		if h.mult == 0 {
			closed = true
			f *= 0.3 // online keeps trading
		} else {
			f *= h.mult
		}
	}
	if d.Month() == time.December && d.Day() >= 10 && d.Day() <= 23 {
		f *= 1.35
	}
	f *= 1 + 0.1*d.Sub(w.start).Hours()/24/365
	return f, closed
}
