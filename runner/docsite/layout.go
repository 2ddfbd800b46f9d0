package docsite

import (
	"math"
	"sort"
)

// Layout geometry, in graph units (the page draws 1 unit = 1 CSS pixel at
// zoom 1).
const (
	NodeWidth  = 190
	NodeHeight = 26
	colGap     = 270
	rowGap     = 36
)

// layout places nodes left to right: x is the longest-path level, y the
// order within the level after barycenter sweeps. parents[i] lists the
// graph parents of node i; order is a topological order (parents first).
// It runs in time linear in nodes and edges per sweep (plus sorting).
func layout(n int, parents [][]int, order []int, name func(int) string) (xs, ys []int) {
	level := make([]int, n)
	for _, v := range order {
		for _, p := range parents[v] {
			level[v] = max(level[v], level[p]+1)
		}
	}
	children := make([][]int, n)
	for v := range n {
		for _, p := range parents[v] {
			children[p] = append(children[p], v)
		}
	}
	maxLevel := 0
	for _, l := range level {
		maxLevel = max(maxLevel, l)
	}
	levels := make([][]int, maxLevel+1)
	for _, v := range order {
		levels[level[v]] = append(levels[level[v]], v)
	}
	pos := make([]float64, n)
	for _, lv := range levels {
		sort.SliceStable(lv, func(i, j int) bool { return name(lv[i]) < name(lv[j]) })
		for i, v := range lv {
			pos[v] = float64(i)
		}
	}
	key := make([]float64, n)
	sweep := func(lv []int, nbrs [][]int) {
		for _, v := range lv {
			if len(nbrs[v]) == 0 {
				key[v] = pos[v]
				continue
			}
			sum := 0.0
			for _, u := range nbrs[v] {
				sum += pos[u]
			}
			key[v] = sum / float64(len(nbrs[v]))
		}
		// Barycenters are computed on the neighbour levels' scale; keep
		// the level's spread by ranking instead of using them as positions.
		sort.SliceStable(lv, func(i, j int) bool { return key[lv[i]] < key[lv[j]] })
		for i, v := range lv {
			pos[v] = float64(i)
		}
	}
	normalise := func() {
		// Positions centred per level, so barycenters compare across levels.
		for _, lv := range levels {
			off := float64(len(lv)-1) / 2
			for i, v := range lv {
				pos[v] = float64(i) - off
			}
		}
	}
	for range 2 {
		normalise()
		for l := 1; l <= maxLevel; l++ {
			sweep(levels[l], parents)
			normaliseLevel(levels[l], pos)
		}
		for l := maxLevel - 1; l >= 0; l-- {
			sweep(levels[l], children)
			normaliseLevel(levels[l], pos)
		}
	}
	// A wide level (thousands of staging models) is folded into several
	// sub-columns, interleaved so neighbours in the order stay close, to
	// keep the drawing's aspect near the screen's.
	rows := max(40, int(1.2*math.Sqrt(float64(n))))
	xs, ys = make([]int, n), make([]int, n)
	x := 0
	for _, lv := range levels {
		k := (len(lv) + rows - 1) / rows
		k = max(k, 1)
		h := (len(lv) + k - 1) / k
		for r, v := range lv {
			xs[v] = x + (r%k)*(NodeWidth+30)
			ys[v] = int((float64(r/k) - float64(h-1)/2) * rowGap)
		}
		x += (k-1)*(NodeWidth+30) + colGap
	}
	return xs, ys
}

func normaliseLevel(lv []int, pos []float64) {
	off := float64(len(lv)-1) / 2
	for i, v := range lv {
		pos[v] = float64(i) - off
	}
}
