package dag

// Direction says which edges a walk follows.
type Direction int

const (
	Up   Direction = iota // towards parents (ancestors)
	Down                  // towards children (descendants)
)

// Walk calls visit once for every node within depth steps of starts along
// dir (depth < 0 means unlimited), breadth first. Starts are not visited
// unless reached from another start. Cost is O(reached nodes + their edges)
// plus one bit per node for the visited set.
func (g *Graph) Walk(starts []int, dir Direction, depth int, visit func(i int)) {
	g.frozen()
	if depth == 0 || len(starts) == 0 {
		return
	}
	adj := g.children
	if dir == Up {
		adj = g.parents
	}
	seen := NewSet(len(g.ids))
	frontier := make([]int32, 0, len(starts))
	for _, s := range starts {
		frontier = append(frontier, int32(s))
	}
	var next []int32
	for d := 0; len(frontier) > 0 && (depth < 0 || d < depth); d++ {
		next = next[:0]
		for _, v := range frontier {
			for _, w := range adj[v] {
				if seen.Add(int(w)) {
					visit(int(w))
					next = append(next, w)
				}
			}
		}
		frontier, next = next, frontier
	}
}

// Ancestors returns the nodes upstream of ids within depth generations
// (depth < 0: all). The ids themselves are included only when one is an
// ancestor of another. Unknown ids are ignored.
func (g *Graph) Ancestors(ids []string, depth int) map[string]bool {
	return g.reach(ids, Up, depth)
}

// Descendants returns the nodes downstream of ids within depth generations
// (depth < 0: all), with the same rules as Ancestors.
func (g *Graph) Descendants(ids []string, depth int) map[string]bool {
	return g.reach(ids, Down, depth)
}

func (g *Graph) reach(ids []string, dir Direction, depth int) map[string]bool {
	g.frozen()
	starts := make([]int, 0, len(ids))
	for _, id := range ids {
		if i, ok := g.lookup(id); ok {
			starts = append(starts, int(i))
		}
	}
	out := map[string]bool{}
	g.Walk(starts, dir, depth, func(i int) { out[g.ids[i]] = true })
	return out
}
