package runner

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kiln-build/kiln/compiler"
)

// Status is a node's outcome, spelled as in dbt's run_results.json.
type Status string

const (
	StatusSuccess   Status = "success"
	StatusError     Status = "error"
	StatusSkipped   Status = "skipped"
	StatusPass      Status = "pass"
	StatusFail      Status = "fail"
	StatusWarn      Status = "warn"
	StatusCancelled Status = "cancelled"
)

// Failed reports whether the status stops what depends on the node.
func (s Status) Failed() bool {
	return s == StatusError || s == StatusFail || s == StatusSkipped || s == StatusCancelled
}

// Result is what happened to one node.
type Result struct {
	UniqueID      string    `json:"unique_id"`
	Status        Status    `json:"status"`
	Message       string    `json:"message"`
	Failures      int64     `json:"failures"`
	RowsAffected  int64     `json:"rows_affected"`
	ExecutionTime float64   `json:"execution_time"`
	StartedAt     time.Time `json:"started_at"`
	CompletedAt   time.Time `json:"completed_at"`
	ThreadID      string    `json:"thread_id"`
	// Statements is the SQL executed for the node, in order.
	Statements []string `json:"-"`
	// Node is the node the result is for.
	Node *compiler.Node `json:"-"`
	// Index is the node's 1-based start position among the nodes run.
	Index int `json:"-"`
}

// EventKind tells a start from a finish.
type EventKind string

const (
	EventStart  EventKind = "start"
	EventFinish EventKind = "finish"
)

// Event reports progress to whoever prints it.
type Event struct {
	Kind   EventKind
	Index  int
	Total  int
	Node   *compiler.Node
	Result *Result // on finish
}

// Plan is what to execute.
type Plan struct {
	Manifest *compiler.Manifest
	// Selected is the set of node ids to execute; nodes that have nothing
	// to run (ephemeral models, sources, exposures) are ignored.
	Selected map[string]bool
	// TestsGate makes the children of a node wait for that node's tests,
	// and skip when one fails (kiln build).
	TestsGate bool
}

// Options tunes a run.
type Options struct {
	Threads     int
	FailFast    bool
	FullRefresh bool
	// OnEvent is called from one goroutine at a time.
	OnEvent func(Event)
	// Now is the clock (tests fix it).
	Now func() time.Time
	// EventTimeStart and EventTimeEnd bound the batches microbatch models
	// (re)process: a backfill.
	EventTimeStart, EventTimeEnd *time.Time
}

// Run executes the plan on wh: each node starts when all of its selected
// upstream nodes succeeded, at most Threads at a time; a failure skips the
// nodes downstream of it and independent branches go on. It returns one
// result per executed node, in the order they finished, even when some
// failed or ctx was cancelled.
func Run(ctx context.Context, wh Warehouse, plan Plan, opts Options) []*Result {
	if opts.Threads <= 0 {
		opts.Threads = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := buildExecGraph(plan)
	total := len(g.ids)
	if total == 0 {
		return nil
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Schemas are created once, up front: created inside each node's
	// transaction, two nodes of a new schema would conflict.
	if err := createSchemas(runCtx, wh, g.nodes); err != nil {
		now := opts.Now()
		var results []*Result
		for _, n := range g.nodes {
			results = append(results, &Result{UniqueID: n.UniqueID, Node: n, Status: StatusError, Message: err.Error(), StartedAt: now, CompletedAt: now})
		}
		return results
	}
	wh = prefetch(runCtx, wh) // one catalog listing instead of a probe per node

	var (
		mu       sync.Mutex
		results  = make([]*Result, 0, total)
		started  int
		indeg    = make([]int, total)
		poisoned = make([]bool, total)
		wg       sync.WaitGroup
		sem      = make(chan struct{}, opts.Threads)
		emitMu   sync.Mutex
	)
	emit := func(e Event) {
		if opts.OnEvent != nil {
			emitMu.Lock()
			opts.OnEvent(e)
			emitMu.Unlock()
		}
	}
	copy(indeg, g.indeg)

	var schedule func(i int)
	// finish records a result and releases the node's children; called
	// with mu held.
	var finish func(i int, r *Result)
	finish = func(i int, r *Result) {
		results = append(results, r)
		failed := r.Status.Failed()
		for _, ch := range g.children[i] {
			if failed {
				poisoned[ch] = true
			}
			indeg[ch]--
			if indeg[ch] == 0 {
				schedule(ch)
			}
		}
	}
	schedule = func(i int) {
		n := g.nodes[i]
		if poisoned[i] || runCtx.Err() != nil {
			status, msg := StatusSkipped, "skipped: an upstream node failed"
			switch {
			case ctx.Err() != nil: // a cancelled run: nothing after it started
				status, msg = StatusCancelled, "cancelled before it started"
			case !poisoned[i]:
				msg = "skipped: --fail-fast stopped the run"
			}
			now := opts.Now()
			r := &Result{UniqueID: n.UniqueID, Node: n, Status: status, Message: msg, StartedAt: now, CompletedAt: now}
			emit(Event{Kind: EventFinish, Total: total, Node: n, Result: r})
			finish(i, r)
			return
		}
		started++
		idx := started
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-runCtx.Done():
			}
			var r *Result
			if runCtx.Err() != nil {
				now := opts.Now()
				status, msg := StatusSkipped, "skipped: --fail-fast stopped the run"
				if ctx.Err() != nil {
					status, msg = StatusCancelled, "cancelled before it started"
				}
				r = &Result{UniqueID: n.UniqueID, Node: n, Status: status, Message: msg, StartedAt: now, CompletedAt: now}
			} else {
				emit(Event{Kind: EventStart, Index: idx, Total: total, Node: n})
				r = executeNode(runCtx, wh, plan.Manifest, n, opts)
				<-sem
				if ctx.Err() != nil && r.Status == StatusError {
					r.Status, r.Message = StatusCancelled, "cancelled: "+r.Message
				} else if runCtx.Err() != nil && r.Status == StatusError && strings.Contains(r.Message, context.Canceled.Error()) {
					// Interrupted by --fail-fast, not failed by itself.
					r.Status, r.Message = StatusCancelled, "cancelled by --fail-fast: "+r.Message
				}
			}
			r.Index = idx
			emit(Event{Kind: EventFinish, Index: idx, Total: total, Node: n, Result: r})
			mu.Lock()
			if opts.FailFast && (r.Status == StatusError || r.Status == StatusFail) {
				cancel()
			}
			finish(i, r)
			mu.Unlock()
		}()
	}
	mu.Lock()
	for i := range g.ids {
		if indeg[i] == 0 {
			schedule(i)
		}
	}
	mu.Unlock()
	wg.Wait()
	if len(results) < total {
		// A node whose parents never all finished: the gate or the graph
		// is wrong. Never let that pass as success.
		done := map[string]bool{}
		for _, r := range results {
			done[r.UniqueID] = true
		}
		now := opts.Now()
		for _, n := range g.nodes {
			if !done[n.UniqueID] {
				results = append(results, &Result{UniqueID: n.UniqueID, Node: n, Status: StatusError, StartedAt: now, CompletedAt: now,
					Message: "internal error: the node never became ready to run (a dependency cycle in the run's graph)"})
			}
		}
	}
	return results
}

// execGraph is the selected executable nodes with edges between the
// nearest selected ancestors, in index space.
type execGraph struct {
	ids      []string
	nodes    []*compiler.Node
	children [][]int
	indeg    []int
}

func buildExecGraph(plan Plan) *execGraph {
	m := plan.Manifest
	g := &execGraph{}
	index := map[string]int{}
	for _, id := range m.Order {
		if !plan.Selected[id] {
			continue
		}
		n, ok := m.Nodes[id]
		if !ok || !n.Executable() {
			continue
		}
		index[id] = len(g.ids)
		g.ids = append(g.ids, id)
		g.nodes = append(g.nodes, n)
	}
	g.children = make([][]int, len(g.ids))
	g.indeg = make([]int, len(g.ids))
	edge := map[[2]int]bool{}
	add := func(from, to int) {
		if from == to || edge[[2]int{from, to}] {
			return
		}
		edge[[2]int{from, to}] = true
		g.children[from] = append(g.children[from], to)
		g.indeg[to]++
	}
	// frontier(id) is the set of nearest executed ancestors reached
	// through nodes that are not executed (ephemeral, unselected);
	// memoized so the pass is linear in practice.
	memo := map[string][]int{}
	var frontier func(id string) []int
	frontier = func(id string) []int {
		if f, ok := memo[id]; ok {
			return f
		}
		memo[id] = nil
		var out []int
		seen := map[int]bool{}
		for _, p := range m.Parents(id) {
			if i, ok := index[p]; ok {
				if !seen[i] {
					seen[i] = true
					out = append(out, i)
				}
				continue
			}
			for _, i := range frontier(p) {
				if !seen[i] {
					seen[i] = true
					out = append(out, i)
				}
			}
		}
		memo[id] = out
		return out
	}
	for i, id := range g.ids {
		for _, p := range frontier(id) {
			add(p, i)
		}
	}
	if plan.TestsGate {
		gateTests(g, add)
	}
	for i := range g.children {
		sort.Ints(g.children[i])
	}
	return g
}

// gateTests makes the children of a tested node wait for that node's
// tests (dbt build's rule): a test gates the children of the node it is
// attached to. A gate edge is added only when it goes forward in one
// topological order of the graph, with tests ordered as early as they can
// run, so gating can never make a cycle: two relationships tests back to
// one dimension, from models that feed each other, would otherwise wait for
// each other forever.
func gateTests(g *execGraph, add func(from, to int)) {
	index := map[string]int{}
	for i, id := range g.ids {
		index[id] = i
	}
	pos := testsFirstOrder(g)
	type pair struct{ test, target int }
	var extra []pair
	for t, n := range g.nodes {
		if n.ResourceType != compiler.Test {
			continue
		}
		attached, ok := index[n.AttachedNode]
		if !ok {
			// Singular tests and tests of unselected nodes: the single
			// executed parent, if there is exactly one.
			continue
		}
		for _, c := range g.children[attached] {
			if c == t || g.nodes[c].ResourceType == compiler.Test || pos[t] > pos[c] {
				continue
			}
			extra = append(extra, pair{t, c})
		}
	}
	for _, e := range extra {
		add(e.test, e.target)
	}
}

// testsFirstOrder is a topological order (Kahn's) of g that takes a ready
// test before a ready model, and otherwise the lowest index.
func testsFirstOrder(g *execGraph) []int {
	indeg := append([]int(nil), g.indeg...)
	pos := make([]int, len(g.ids))
	var tests, others []int
	push := func(i int) {
		if g.nodes[i].ResourceType == compiler.Test {
			tests = append(tests, i)
		} else {
			others = append(others, i)
		}
	}
	for i := range g.ids {
		if indeg[i] == 0 {
			push(i)
		}
	}
	for k := 0; k < len(g.ids); k++ {
		var i int
		switch {
		case len(tests) > 0:
			i, tests = tests[0], tests[1:]
		case len(others) > 0:
			i, others = others[0], others[1:]
		default:
			return pos // a cycle: cannot happen in a compiled manifest
		}
		pos[i] = k
		for _, c := range g.children[i] {
			indeg[c]--
			if indeg[c] == 0 {
				push(c)
			}
		}
	}
	return pos
}

func createSchemas(ctx context.Context, wh Warehouse, nodes []*compiler.Node) error {
	d := wh.Dialect()
	seen := map[[2]string]bool{}
	for _, n := range nodes {
		if n.Relation == nil || n.ResourceType == compiler.Test {
			continue
		}
		key := [2]string{n.Relation.Database, n.Relation.Schema}
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, err := wh.Exec(ctx, d.CreateSchema(key[0], key[1])); err != nil {
			return err
		}
	}
	return nil
}
