package selector

import (
	"fmt"
	"path"
	"strings"

	"github.com/kiln-build/kiln/compiler/dag"
	"github.com/kiln-build/kiln/compiler/diag"
)

// Node is what selection needs to know about a manifest node.
type Node interface {
	ID() string
	Name() string
	ResourceType() string // model, seed, snapshot, test, unit_test, source, exposure, analysis
	Path() string         // project-relative, slash-separated
	FQN() []string
	Package() string
	Tags() []string
	Config(key string) (any, bool)
	SourceName() string // for sources: "raw_pos"
	TestName() string   // for generic tests: unique, not_null...; singular tests: ""
}

// Universe is the set of nodes to select from and their graph. Nodes absent
// from the graph are selectable but have no parents or children.
type Universe interface {
	Nodes() []Node
	Node(id string) (Node, bool)
	Graph() *dag.Graph
}

// StateChecker answers the state: and result: methods, which compare with
// an earlier run (--state DIR). method is "state" or "result", value what
// follows the colon ("modified.body", "error").
type StateChecker interface {
	Check(method string, value string, n Node) (bool, error)
}

// IndirectSelection says which tests are selected because of the nodes they
// test, as dbt's --indirect-selection does.
type IndirectSelection string

const (
	Eager     IndirectSelection = "eager"     // a test whose parents include a selected node (dbt's default)
	Cautious  IndirectSelection = "cautious"  // a test all of whose parents are selected
	Buildable IndirectSelection = "buildable" // a test all of whose parents are selected or upstream of a selected node
	Empty     IndirectSelection = "empty"     // no test unless selected directly
)

// Options are the selection flags of one command.
type Options struct {
	Include   []string     // --select values
	Exclude   []string     // --exclude values
	Selector  string       // --selector NAME
	Selectors *Definitions // from selectors.yml; may be nil
	State     StateChecker // nil without --state
	Indirect  IndirectSelection
	// Keep, when not nil, is applied last: only selected nodes it returns
	// true for are returned (a command's resource types).
	Keep func(Node) bool
}

// Select evaluates --select and --exclude values with eager indirect test
// selection. See Evaluate.
func Select(u Universe, include []string, exclude []string, state StateChecker) (map[string]bool, diag.Diagnostics) {
	return Evaluate(u, Options{Include: include, Exclude: exclude, State: state})
}

// Evaluate returns the ids of the selected nodes.
//
// With no --select (blank values count as none) every node is selected and
// the caller filters by resource type. --selector NAME, or else a definition
// marked default when no --select/--exclude is given, replaces
// --select/--exclude as in dbt. Tests are then added by indirect selection
// (Options.Indirect, eager by default), and --exclude removes its nodes and,
// greedily, every test with an excluded parent.
//
// Diagnostics carry Pos{File: "--select" (or the flag), Line: which value of
// the flag (1-based; see SourceText), Col: byte column}. On errors the map
// is nil; warnings (a criterion that matches nothing) do not stop selection.
func Evaluate(u Universe, o Options) (map[string]bool, diag.Diagnostics) {
	e := newEvaluator(u, o)
	include := e.parseFlag("--select", o.Include)
	exclude := e.parseFlag("--exclude", o.Exclude)
	if o.Selector != "" || (include == nil && exclude == nil && o.Selectors != nil && o.Selectors.defaultName != "") {
		name, p := o.Selector, diag.Pos{File: "--selector"}
		if name == "" {
			name = o.Selectors.defaultName
		} else if include != nil || exclude != nil {
			e.ds.Warnf(p, "put the criteria in the selector's definition", "--select and --exclude are ignored when --selector is given")
		}
		include, exclude = nil, nil
		if def := e.lookup(name, p); def != nil {
			include = def
		}
	}
	if e.ds.HasErrors() {
		return nil, e.ds.Sort()
	}
	var selected dag.Set
	if include == nil {
		for k, n := range e.nodes {
			selected.Add(e.indexAt(k, n))
		}
	} else {
		selected = e.eval(include)
		e.addIndirectTests(&selected, o.Indirect)
	}
	if exclude != nil {
		excluded := e.eval(exclude)
		selected.Subtract(excluded)
		e.dropTestsOf(&selected, excluded)
	}
	if e.ds.HasErrors() {
		return nil, e.ds.Sort()
	}
	if o.Keep != nil {
		if selected.Len() >= len(e.nodes)/4 {
			e.learn() // a pass costs less than that many lookups
		}
		var drop dag.Set
		selected.Each(func(i int) {
			if n, ok := e.nodeAt(i); !ok || !o.Keep(n) {
				drop.Add(i)
			}
		})
		selected.Subtract(drop)
	}
	out := make(map[string]bool, selected.Len())
	selected.Each(func(i int) { out[e.id(i)] = true })
	return out, e.ds.Sort()
}

// expr is a parsed selection: an *Atom, or a *setExpr.
type expr any

type setExpr struct {
	intersect bool
	items     []expr
	exclude   []expr
}

func specExpr(s Spec) expr {
	u := &setExpr{}
	for _, g := range s.Groups {
		in := &setExpr{intersect: true}
		for k := range g {
			in.items = append(in.items, &g[k])
		}
		u.items = append(u.items, in)
	}
	return u
}

type evaluator struct {
	u        Universe
	o        Options
	g        *dag.Graph
	nodes    []Node
	extra    map[string]int // nodes outside the graph get indexes after it
	extraIDs []string
	active   map[string]bool // selector definitions being evaluated
	ds       diag.Diagnostics

	// Learnt by learn: whether Nodes()[i] is graph node i for every
	// i < g.Len() (as when the universe lists nodes in id order), and which
	// of those are tests.
	learnt  bool
	aligned bool
	tests   dag.Set
}

func newEvaluator(u Universe, o Options) *evaluator {
	g := u.Graph()
	if g == nil {
		g = dag.New()
	}
	return &evaluator{u: u, o: o, g: g, nodes: u.Nodes(), extra: map[string]int{}, active: map[string]bool{}}
}

// learn passes over Universe.Nodes once to learn whether positions there
// are graph indexes and which nodes are tests, so that steps that look at
// many nodes by index (indirect selection, Options.Keep) need no id lookup
// per node. Steps that look at few nodes do not call it: for them the pass
// costs more than it saves.
func (e *evaluator) learn() {
	if e.learnt {
		return
	}
	glen := e.g.Len()
	aligned := len(e.nodes) >= glen
	for k, n := range e.nodes[:min(glen, len(e.nodes))] {
		if e.g.ID(k) != n.ID() {
			aligned = false
			break
		}
		if isTest(n) {
			e.tests.Add(k)
		}
	}
	e.learnt, e.aligned = true, aligned
}

// indexAt is index for the k-th node of Universe.Nodes: when the universe
// lists nodes in id order, as the graph indexes them, it skips the map.
func (e *evaluator) indexAt(k int, n Node) int {
	if k < e.g.Len() && (e.aligned || e.g.ID(k) == n.ID()) {
		return k
	}
	return e.index(n)
}

func (e *evaluator) index(n Node) int {
	id := n.ID()
	if i, ok := e.g.Index(id); ok {
		return i
	}
	if i, ok := e.extra[id]; ok {
		return i
	}
	i := e.g.Len() + len(e.extraIDs)
	e.extra[id] = i
	e.extraIDs = append(e.extraIDs, id)
	return i
}

func (e *evaluator) id(i int) string {
	if n := e.g.Len(); i >= n {
		return e.extraIDs[i-n]
	}
	return e.g.ID(i)
}

// parseFlag parses every value of one flag, numbering lines as SourceText
// does. It returns nil when the flag has no criteria.
func (e *evaluator) parseFlag(flag string, values []string) expr {
	union := &setExpr{}
	line, off := 0, 0
	for _, v := range values {
		spec, ds := Parse(flag, v)
		for k := range ds {
			ds[k].Pos.Line += line
			ds[k].Pos.Offset += off
		}
		e.ds.Append(ds...)
		for _, g := range spec.Groups {
			for k := range g {
				g[k].Pos.Line += line
				g[k].Pos.Offset += off
			}
		}
		union.items = append(union.items, specExpr(spec).(*setExpr).items...)
		line += strings.Count(v, "\n") + 1
		off += len(v) + 1
	}
	if len(union.items) == 0 {
		return nil
	}
	return union
}

func (e *evaluator) lookup(name string, p diag.Pos) expr {
	defs := e.o.Selectors
	if defs == nil || defs.byName[name] == nil {
		var names []string
		if defs != nil {
			names = defs.names
		}
		e.ds.Errorf(p, diag.DidYouMean(name, names), "no selector named %q", name)
		return nil
	}
	return defs.byName[name]
}

func (e *evaluator) eval(x expr) dag.Set {
	switch x := x.(type) {
	case *Atom:
		return e.atom(x)
	case *setExpr:
		var out dag.Set
		for k, it := range x.items {
			s := e.eval(it)
			switch {
			case k == 0:
				out = s
			case x.intersect:
				out.Intersect(s)
			default:
				out.Union(s)
			}
		}
		for _, it := range x.exclude {
			out.Subtract(e.eval(it))
		}
		return out
	}
	panic(fmt.Sprintf("selector: unknown expression %T", x))
}

// atom selects the nodes an atom names, then applies its graph operators.
// The cost is one pass over the nodes plus the nodes the operators reach.
func (e *evaluator) atom(a *Atom) dag.Set {
	var base dag.Set
	var starts []int
	if a.Method == "selector" {
		base = e.selector(a)
		base.Each(func(i int) { starts = append(starts, i) })
	} else {
		match := e.matcher(a)
		if match == nil {
			return base
		}
		for k, n := range e.nodes {
			if match(n) {
				i := e.indexAt(k, n)
				if base.Add(i) {
					starts = append(starts, i)
				}
			}
		}
		if len(starts) == 0 && a.Method != "state" && a.Method != "result" && a.Method != "source_status" {
			e.ds.Warnf(a.Pos, "", "selector %q does not match any node", a.String())
		}
	}
	inGraph := starts[:0:0]
	for _, i := range starts {
		if i < e.g.Len() {
			inGraph = append(inGraph, i)
		}
	}
	out := base.Clone()
	add := func(i int) { out.Add(i) }
	if a.Parents {
		e.g.Walk(inGraph, dag.Up, a.ParentsDepth, add)
	}
	if a.Children || a.ChildrensParents {
		d := a.ChildrenDepth
		if a.ChildrensParents {
			d = -1
		}
		e.g.Walk(inGraph, dag.Down, d, add)
	}
	if a.ChildrensParents {
		var all []int
		out.Each(func(i int) {
			if i < e.g.Len() {
				all = append(all, i)
			}
		})
		e.g.Walk(all, dag.Up, -1, add)
	}
	return out
}

func (e *evaluator) selector(a *Atom) dag.Set {
	if e.active[a.Value] {
		e.ds.Errorf(a.Pos, "", "selector %q refers to itself", a.Value)
		return dag.Set{}
	}
	def := e.lookup(a.Value, a.Pos)
	if def == nil {
		return dag.Set{}
	}
	e.active[a.Value] = true
	defer delete(e.active, a.Value)
	return e.eval(def)
}

// nodeAt returns the node at index i, from Universe.Nodes when it lists
// nodes in id order, else through Universe.Node.
func (e *evaluator) nodeAt(i int) (Node, bool) {
	if e.aligned && i < e.g.Len() {
		return e.nodes[i], true
	}
	id := e.id(i)
	if i < len(e.nodes) && e.nodes[i].ID() == id {
		return e.nodes[i], true
	}
	return e.u.Node(id)
}

// testsOf returns the tests among the children of the members of s for
// which want is true, so indirect selection costs what the selection
// reached, not a pass over all nodes. want is asked first: looking at a
// node is the costly part.
func (e *evaluator) testsOf(s dag.Set, want func(i int) bool) []int {
	if s.Len() >= len(e.nodes)/4 {
		e.learn() // a pass costs less than looking at that many children
	}
	var out []int
	var seen dag.Set
	n := e.g.Len()
	s.Each(func(i int) {
		if i >= n {
			return
		}
		for _, c := range e.g.ChildIndexes(i) {
			if !seen.Add(int(c)) || !want(int(c)) {
				continue
			}
			if e.aligned {
				if e.tests.Has(int(c)) {
					out = append(out, int(c))
				}
			} else if node, ok := e.nodeAt(int(c)); ok && isTest(node) {
				out = append(out, int(c))
			}
		}
	})
	return out
}

func isTest(n Node) bool {
	t := n.ResourceType()
	return t == "test" || t == "unit_test"
}

func (e *evaluator) addIndirectTests(selected *dag.Set, mode IndirectSelection) {
	if mode == Empty {
		return
	}
	var upstream dag.Set
	if mode == Buildable {
		var starts []int
		selected.Each(func(i int) {
			if i < e.g.Len() {
				starts = append(starts, i)
			}
		})
		e.g.Walk(starts, dag.Up, -1, func(i int) { upstream.Add(i) })
	}
	candidates := *selected
	if mode == Buildable {
		candidates = selected.Clone()
		candidates.Union(upstream)
	}
	unselected := func(i int) bool { return !selected.Has(i) }
	for _, t := range e.testsOf(candidates, unselected) {
		any, all := false, true
		for _, p := range e.g.ParentIndexes(t) {
			in := selected.Has(int(p))
			any = any || in
			all = all && (in || (mode == Buildable && upstream.Has(int(p))))
		}
		if mode == Cautious || mode == Buildable {
			any = all
		}
		if any {
			selected.Add(t) // a test has no test children, so testsOf is unaffected
		}
	}
}

// dropTestsOf removes tests with an excluded parent: dbt's exclusion of
// tests is always greedy.
func (e *evaluator) dropTestsOf(selected *dag.Set, excluded dag.Set) {
	var drop dag.Set
	for _, t := range e.testsOf(excluded, selected.Has) {
		drop.Add(t)
	}
	selected.Subtract(drop)
}

// matcher returns the test one atom applies to each node, or nil when the
// atom cannot be evaluated (its diagnostic is recorded).
func (e *evaluator) matcher(a *Atom) func(Node) bool {
	v := a.Value
	method := a.Method
	if method == "" {
		switch {
		case strings.ContainsAny(v, `/\`):
			method = "path"
		case hasSuffixFold(v, ".sql", ".py", ".csv"):
			method = "file"
		default:
			return nameMatcher(v)
		}
	}
	glob := globMatcher(v)
	switch method {
	case "fqn":
		return fqnMatcher(v)
	case "tag":
		return func(n Node) bool {
			for _, t := range n.Tags() {
				if glob(t) {
					return true
				}
			}
			return false
		}
	case "path":
		return pathMatcher(v)
	case "file":
		return func(n Node) bool {
			base := path.Base(n.Path())
			return glob(base) || glob(strings.TrimSuffix(base, path.Ext(base)))
		}
	case "package":
		return func(n Node) bool { return glob(n.Package()) }
	case "config":
		return func(n Node) bool { return configMatches(n, a.Args, glob) }
	case "resource_type":
		return func(n Node) bool { return n.ResourceType() == v }
	case "source":
		return sourceMatcher(v)
	case "exposure":
		return exposureMatcher(v)
	case "test_type":
		return func(n Node) bool { return testType(n, v) }
	case "test_name":
		return func(n Node) bool { return n.ResourceType() == "test" && n.TestName() != "" && glob(n.TestName()) }
	case "state", "result", "source_status":
		if e.o.State == nil {
			e.ds.Errorf(a.Pos, "pass --state with the target folder of an earlier run", "%s:%s needs --state DIR", method, v)
			return nil
		}
		failed := false
		return func(n Node) bool {
			if failed {
				return false
			}
			ok, err := e.o.State.Check(method, v, n)
			if err != nil {
				failed = true
				e.ds.Errorf(a.Pos, "", "%s:%s: %v", method, v, err)
			}
			return ok && err == nil
		}
	}
	panic("selector: unchecked method " + method)
}

func hasSuffixFold(s string, suffixes ...string) bool {
	s = strings.ToLower(s)
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// globMatcher matches shell patterns (path.Match syntax); a value without
// pattern characters is compared as is.
func globMatcher(pattern string) func(string) bool {
	if !hasMeta(pattern) {
		return func(s string) bool { return s == pattern }
	}
	return func(s string) bool {
		ok, _ := path.Match(pattern, s)
		return ok
	}
}

// nameMatcher is the default method: the node's name (a pattern may match
// it), dbt's fqn rule, and for sources source_name.table.
func nameMatcher(v string) func(Node) bool {
	glob := globMatcher(v)
	fqn := fqnMatcher(v)
	dotted := strings.Contains(v, ".")
	if !dotted && !hasMeta(v) {
		// The common case, a model name: the same tests inline, as this
		// runs once per node of the project.
		return func(n Node) bool {
			if n.Name() == v {
				return true
			}
			fqn := n.FQN()
			if len(fqn) == 0 {
				return false
			}
			first, _, _ := strings.Cut(fqn[0], ".")
			return fqn[len(fqn)-1] == v || first == v
		}
	}
	return func(n Node) bool {
		if v == "*" || glob(n.Name()) || fqn(n) {
			return true
		}
		return dotted && n.ResourceType() == "source" && glob(n.SourceName()+"."+n.Name())
	}
}

// fqnMatcher follows dbt: the selector equals the fqn's last part, or its
// dot-separated parts are a prefix of the fqn's parts, where a part with a
// pattern character matches the rest of the fqn as one glob.
func fqnMatcher(v string) func(Node) bool {
	parts := strings.Split(v, ".")
	wild := -1
	for i, p := range parts {
		if hasMeta(p) {
			wild = i
			break
		}
	}
	var rest func(string) bool
	if wild >= 0 {
		rest = globMatcher(strings.Join(parts[wild:], "."))
	}
	if len(parts) == 1 && wild < 0 { // the common case: a model or package name
		return func(n Node) bool {
			fqn := n.FQN()
			if len(fqn) == 0 {
				return false
			}
			first, _, _ := strings.Cut(fqn[0], ".")
			return fqn[len(fqn)-1] == v || first == v
		}
	}
	return func(n Node) bool {
		fqn := n.FQN()
		if len(fqn) == 0 {
			return false
		}
		if fqn[len(fqn)-1] == v {
			return true
		}
		flat := fqn
		for _, seg := range fqn {
			if strings.Contains(seg, ".") {
				flat = strings.Split(strings.Join(fqn, "."), ".")
				break
			}
		}
		if len(flat) < len(parts) {
			return false
		}
		for i, p := range parts {
			if i == wild {
				return rest(strings.Join(flat[i:], "."))
			}
			if flat[i] != p {
				return false
			}
		}
		return true
	}
}

// pathMatcher selects files at or under a project-relative path; a pattern
// may match the file or any directory above it.
func pathMatcher(v string) func(Node) bool {
	v = strings.TrimSuffix(path.Clean(strings.ReplaceAll(v, `\`, "/")), "/")
	glob := globMatcher(v)
	return func(n Node) bool {
		p := n.Path()
		for {
			if glob(p) {
				return true
			}
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				return false
			}
			p = p[:i]
		}
	}
}

func sourceMatcher(v string) func(Node) bool {
	parts := strings.Split(v, ".")
	globs := make([]func(string) bool, len(parts))
	for i, p := range parts {
		globs[i] = globMatcher(p)
	}
	return func(n Node) bool {
		if n.ResourceType() != "source" {
			return false
		}
		switch len(parts) {
		case 1:
			return globs[0](n.SourceName())
		case 2:
			return globs[0](n.SourceName()) && globs[1](n.Name())
		case 3:
			return globs[0](n.Package()) && globs[1](n.SourceName()) && globs[2](n.Name())
		}
		return false
	}
}

func exposureMatcher(v string) func(Node) bool {
	parts := strings.Split(v, ".")
	globs := make([]func(string) bool, len(parts))
	for i, p := range parts {
		globs[i] = globMatcher(p)
	}
	return func(n Node) bool {
		if n.ResourceType() != "exposure" {
			return false
		}
		switch len(parts) {
		case 1:
			return globs[0](n.Name())
		case 2:
			return globs[0](n.Package()) && globs[1](n.Name())
		}
		return false
	}
}

func testType(n Node, v string) bool {
	switch n.ResourceType() {
	case "unit_test":
		return v == "unit"
	case "test":
		if n.TestName() != "" {
			return v == "generic" || v == "schema"
		}
		return v == "singular" || v == "data"
	}
	return false
}

// configMatches compares a config value, descending into maps for
// config.meta.owner; a list matches when one element does.
func configMatches(n Node, keys []string, glob func(string) bool) bool {
	val, ok := n.Config(keys[0])
	if !ok {
		return false
	}
	for _, k := range keys[1:] {
		m, isMap := val.(map[string]any)
		if !isMap {
			return false
		}
		if val, ok = m[k]; !ok {
			return false
		}
	}
	switch val := val.(type) {
	case nil:
		return false
	case string:
		return glob(val)
	case []string:
		for _, s := range val {
			if glob(s) {
				return true
			}
		}
		return false
	case []any:
		for _, s := range val {
			if s != nil && glob(fmt.Sprint(s)) {
				return true
			}
		}
		return false
	case map[string]any:
		return false
	}
	return glob(fmt.Sprint(val))
}
