package runner

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/kiln-build/kiln/compiler/dialect"
)

// ReconcileSpec is what two relations are compared on.
type ReconcileSpec struct {
	GroupBy  []string // key expressions; none compares the totals
	Measures []string // summed per group
	// Tolerance is the largest relative difference accepted (0.005 is 0.5%).
	Tolerance float64
	Where     string
}

// Discrepancy is one group and figure outside tolerance, or a group found
// on one side only.
type Discrepancy struct {
	Group   []string `json:"group"`
	Measure string   `json:"measure"` // "rows" or a measure
	Left    float64  `json:"left"`
	Right   float64  `json:"right"`
	// RelDiff is |left-right| / max(|left|,|right|).
	RelDiff float64 `json:"rel_diff"`
	// Missing is "left" or "right" when the group is on one side only.
	Missing string `json:"missing,omitempty"`
}

// ReconcileReport is the outcome of one comparison.
type ReconcileReport struct {
	LeftRows, RightRows float64
	Groups              int
	Problems            []Discrepancy
}

type groupTotals struct {
	key  []string
	rows float64
	sums []float64
}

func queryTotals(ctx context.Context, q Execer, rel string, s ReconcileSpec) (map[string]groupTotals, error) {
	rows, err := q.Query(ctx, dialect.GroupTotals(rel, s.GroupBy, s.Measures, s.Where))
	if err != nil {
		return nil, err
	}
	out := map[string]groupTotals{}
	for _, r := range rows {
		g := groupTotals{}
		for i := range s.GroupBy {
			if r[i] == nil {
				g.key = append(g.key, "NULL")
			} else {
				g.key = append(g.key, fmt.Sprint(r[i]))
			}
		}
		g.rows = toFloat(r[len(s.GroupBy)])
		for i := range s.Measures {
			g.sums = append(g.sums, toFloat(r[len(s.GroupBy)+1+i]))
		}
		out[strings.Join(g.key, "\x00")] = g
	}
	return out, nil
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	case int:
		return float64(x)
	case uint64:
		return float64(x)
	case nil:
		return 0
	}
	var f float64
	fmt.Sscan(fmt.Sprint(v), &f)
	return f
}

// RelDiff is the relative difference of two figures (0 when both are 0).
func RelDiff(a, b float64) float64 {
	m := math.Max(math.Abs(a), math.Abs(b))
	if m == 0 {
		return 0
	}
	return math.Abs(a-b) / m
}

// Reconcile compares rel on left with rel on right (two warehouses, or the
// same one twice) group by group: row counts and measure sums.
func Reconcile(ctx context.Context, left Execer, leftRel string, right Execer, rightRel string, s ReconcileSpec) (*ReconcileReport, error) {
	l, err := queryTotals(ctx, left, leftRel, s)
	if err != nil {
		return nil, fmt.Errorf("left %s: %w", leftRel, err)
	}
	r, err := queryTotals(ctx, right, rightRel, s)
	if err != nil {
		return nil, fmt.Errorf("right %s: %w", rightRel, err)
	}
	rep := &ReconcileReport{}
	keys := map[string]bool{}
	for k, g := range l {
		keys[k] = true
		rep.LeftRows += g.rows
	}
	for k, g := range r {
		keys[k] = true
		rep.RightRows += g.rows
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	rep.Groups = len(sorted)
	const eps = 1e-9
	for _, k := range sorted {
		lg, inL := l[k]
		rg, inR := r[k]
		switch {
		case !inL:
			rep.Problems = append(rep.Problems, Discrepancy{Group: rg.key, Measure: "rows", Right: rg.rows, RelDiff: 1, Missing: "left"})
			continue
		case !inR:
			rep.Problems = append(rep.Problems, Discrepancy{Group: lg.key, Measure: "rows", Left: lg.rows, RelDiff: 1, Missing: "right"})
			continue
		}
		check := func(name string, a, b float64) {
			if d := RelDiff(a, b); d > s.Tolerance+eps {
				rep.Problems = append(rep.Problems, Discrepancy{Group: lg.key, Measure: name, Left: a, Right: b, RelDiff: d})
			}
		}
		check("rows", lg.rows, rg.rows)
		for i, m := range s.Measures {
			check(m, lg.sums[i], rg.sums[i])
		}
	}
	return rep, nil
}
