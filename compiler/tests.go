package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// builtinTests are the generic tests Kiln generates SQL for.
var builtinTests = []string{"unique", "not_null", "accepted_values", "relationships"}

// testTarget is what a generic test is attached to.
type testTarget struct {
	node   *Node    // the model, seed or source tested
	column string   // "" for model-level tests
	file   string   // the property file
	dir    *testDir // what the property file's tests share
}

// testDir is what the tests declared in one property file share: the
// folder part of their FQN, the configs of tests that have none of their
// own by test name (testConfig), and the kwargs of tests without
// arguments by column (testKwargs).
type testDir struct {
	fqn             []string // project name and folders
	mu              sync.Mutex
	configs, kwargs map[string]map[string]any
}

// testJob is a generic test to build: its spec and what it tests.
type testJob struct {
	spec   *yamlspec.TestSpec
	target testTarget
}

// testJobs lists the generic tests of the property files, in file order.
// It runs once the properties are applied, before rendering, so that the
// rest of what the files decoded to can go then (compile.run). Each
// file's list is made on its own, in parallel, then joined: at 100,000
// models, one list grown through 370,000 appends took 0.11 s on one core.
func (c *compilation) testJobs(props []propertyFile) []testJob {
	perFile := make([][]testJob, len(props))
	c.parallel(len(props), func(i int) { perFile[i] = c.fileTestJobs(props[i]) })
	n := 0
	for _, js := range perFile {
		n += len(js)
	}
	jobs := make([]testJob, 0, n)
	for _, js := range perFile {
		jobs = append(jobs, js...)
	}
	return jobs
}

// fileTestJobs lists the generic tests of one property file.
func (c *compilation) fileTestJobs(pf propertyFile) []testJob {
	if pf.props == nil {
		return nil
	}
	var jobs []testJob
	dir := c.testDir(pf.path)
	// add lists the tests of node n and of its columns.
	add := func(n *Node, tests []*yamlspec.TestSpec, cols []*yamlspec.Column) {
		t := testTarget{n, "", pf.path, dir}
		for _, s := range tests {
			if s != nil {
				jobs = append(jobs, testJob{s, t})
			}
		}
		for _, col := range cols {
			t.column = col.Name
			for _, s := range col.DataTests {
				if s != nil {
					jobs = append(jobs, testJob{s, t})
				}
			}
		}
	}
	for _, m := range pf.props.Models {
		for _, idx := range c.modelIndexes(m.Name) { // every version of a versioned model
			add(c.models[idx].node, m.DataTests, m.Columns)
		}
	}
	for _, s := range pf.props.Seeds {
		if idx, ok := c.byName[s.Name]; ok {
			add(c.models[idx].node, s.DataTests, s.Columns)
		}
	}
	for _, s := range pf.props.Snapshots {
		if idx, ok := c.byName[s.Name]; ok && c.models[idx].node.ResourceType == Snapshot {
			add(c.models[idx].node, s.DataTests, s.Columns)
		}
	}
	for _, s := range pf.props.Sources {
		for _, t := range s.Tables {
			if n := c.sourceByName[s.Name+"."+t.Name]; n != nil {
				add(n, t.DataTests, t.Columns)
			}
		}
	}
	return jobs
}

// buildTests creates a node for every generic test in jobs and every
// singular test in tests/.
func (c *compilation) buildTests(jobs []testJob, singular []string) {
	// The test nodes are allocated testSlab at a time: a large project has
	// hundreds of thousands of tests, and the manifest keeps every one of
	// them. Not in one allocation for all: a collection that starts while
	// the tests are built scans the whole of it, and reading the pages not
	// yet written maps them to the kernel's zero page, so each is faulted
	// twice, the second time with a TLB flush on every core (at 100,000
	// models, 270 MB and about 3% of kiln parse's CPU time). A small slab
	// is written as soon as it is allocated, and objects allocated while a
	// collection marks are not scanned.
	nodes := make([]*Node, len(jobs))
	c.parallel((len(jobs)+testSlab-1)/testSlab, func(k int) {
		lo, hi := k*testSlab, min((k+1)*testSlab, len(jobs))
		slab := make([]testNode, hi-lo)
		for i := lo; i < hi; i++ {
			nodes[i] = c.genericTest(jobs[i].spec, jobs[i].target, &slab[i-lo])
			jobs[i].spec = nil // built: the node holds what it needs of the spec
		}
	})
	// The manifest's node map ends up holding the models and the tests:
	// size it once rather than growing it through every doubling.
	if len(c.manifest.Nodes) == 0 {
		c.manifest.Nodes = make(map[string]*Node, len(c.models)+len(nodes)+len(singular))
	}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		// Only tests are in the map yet, so a test id found there is a
		// test declared twice.
		if prev, dup := c.manifest.Nodes[n.UniqueID]; dup {
			c.errorf(n.Pos, "remove one of them, or give one a name: (dbt's custom test name)", "the same test is declared twice (also at %s:%d)", prev.Pos.File, prev.Pos.Line)
			continue
		}
		c.manifest.Nodes[n.UniqueID] = n
	}
	for _, f := range singular {
		c.singularTest(f)
	}
}

// genericTest builds one generic test node in tn, or reports why it cannot.
func (c *compilation) genericTest(s *yamlspec.TestSpec, t testTarget, tn *testNode) *Node {
	if t.node.ResourceType == Model && t.node.Materialized() == "ephemeral" {
		c.errorf(s.Pos, "test the models built from it instead, or materialize it as a view", "cannot test ephemeral model '%s': it has no relation", t.node.Name)
		return nil
	}
	name := s.Name
	column := t.column
	if s.ColumnName != "" {
		column = s.ColumnName
	}
	if arg, ok := s.Args["column_name"]; ok {
		column = fmt.Sprint(arg)
	}
	argPos := func(k string) diag.Pos {
		if p, ok := s.ArgPos[k]; ok {
			return p
		}
		return s.Pos
	}
	needColumn := func() bool {
		if column == "" {
			c.errorf(s.Pos, "put the test under a column, or give column_name:", "test '%s' needs a column", name)
			return false
		}
		return true
	}
	rel := t.node.RelationName
	d := c.dialect
	cfg := c.testConfig(s, t, name)
	if cfg == nil {
		return nil
	}
	where, _ := cfg["where"].(string)
	kwargs := testKwargs(t.dir, s.Args, column)
	var sql string
	tn.dep[0] = t.node.UniqueID
	deps := tn.dep[:1:1] // most tests have one; others append to a copy
	var nameArgs []string
	switch name {
	case "unique":
		if !needColumn() {
			return nil
		}
		sql = d.TestUnique(rel, column, where)
	case "not_null":
		if !needColumn() {
			return nil
		}
		sql = d.TestNotNull(rel, column, where)
	case "accepted_values":
		if !needColumn() {
			return nil
		}
		raw, ok := s.Args["values"]
		vals := stringList(raw)
		if !ok || len(vals) == 0 {
			c.errorf(argPos("values"), "write values: ['a', 'b']", "accepted_values needs a non-empty list of values")
			return nil
		}
		quote := true
		if q, ok := s.Args["quote"]; ok {
			b, isBool := q.(bool)
			if !isBool {
				c.errorf(argPos("quote"), "write quote: false", "quote must be true or false")
				return nil
			}
			quote = b
		}
		sql = d.TestAcceptedValues(rel, column, vals, quote, where)
		nameArgs = vals
	case "relationships":
		if !needColumn() {
			return nil
		}
		to, _ := s.Args["to"].(string)
		field, _ := s.Args["field"].(string)
		if to == "" || field == "" {
			c.errorf(s.Pos, "write to: ref('dim_store') and field: store_id", "relationships needs to: and field:")
			return nil
		}
		parent, ok := c.resolveRelationArg(to, argPos("to"), t.file)
		if !ok {
			return nil
		}
		sql = d.TestRelationships(rel, column, parent.RelationName, field, where)
		deps = append(deps, parent.UniqueID)
		nameArgs = []string{field, strings.Map(identChar, to)}
	default:
		if c.env.HasMacro("test_" + name) { // a {% test %} block (dbtcompat.go)
			var extra []string
			var ok bool
			sql, extra, nameArgs, ok = c.customGenericTest(s, t, column, kwargs)
			if !ok {
				return nil
			}
			deps = append(deps, extra...)
			break
		}
		hint := diag.DidYouMean(name, builtinTests)
		if hint == "" {
			hint = "Kiln's generic tests are unique, not_null, accepted_values and relationships; write other checks as singular tests in tests/*.sql"
		}
		c.errorf(s.Pos, hint, "unknown test '%s'", name)
		return nil
	}
	testName := s.CustomName
	if testName == "" {
		testName = c.testName(name, t, column, nameArgs)
	}
	sort.Strings(deps)
	tags := stringList(cfg["tags"])
	if tags == nil {
		tags = []string{}
	}
	hash := testHash(t.file, t.node.UniqueID, column, name, s.Args)
	tn.md = TestMetadata{Name: name, Kwargs: kwargs}
	tn.n = Node{
		UniqueID:     "test." + c.project.Name + "." + testName + "." + string(hash[:]),
		ResourceType: Test, Name: testName, PackageName: c.project.Name, Path: t.file,
		FQN: append(append(tn.fqn[:0], t.dir.fqn...), testName), Description: s.Description, Tags: tags, Config: cfg,
		DependsOn: dedupe(deps), CompiledSQL: sql, ColumnName: column, AttachedNode: t.node.UniqueID,
		TestMetadata: &tn.md, Pos: s.Pos,
	}
	return &tn.n
}

// testSlab is how many test nodes are allocated together (about 46 KB).
const testSlab = 64

// testNode is a generic test's node with its metadata, and room for its
// dependency and FQN when they are short (most are), so that they are
// allocated together.
type testNode struct {
	n   Node
	md  TestMetadata
	dep [1]string
	fqn [4]string
}

// testConfig is a generic test's config: the project's test configs for
// its folder, then the test's own config:, normalized, with severity
// checked. It is nil after an error. Most tests have no config of their
// own; those of one property file with the same test name share one map
// (a large project has hundreds of thousands of tests), so a test's
// Config must be treated as read-only once the test is built.
func (c *compilation) testConfig(s *yamlspec.TestSpec, t testTarget, name string) map[string]any {
	build := func() map[string]any {
		cfg := c.project.ConfigFor(Test, append(t.dir.fqn, name))
		for k, v := range s.Config.Values {
			mergeConfig(cfg, k, v)
		}
		normalizeConfig(cfg)
		if sev, ok := cfg["severity"].(string); ok {
			switch strings.ToLower(sev) {
			case "warn", "error":
				cfg["severity"] = strings.ToLower(sev)
			default:
				c.errorf(s.Pos, "use severity: warn or severity: error", "unknown severity '%s'", sev)
				return nil
			}
		} else {
			cfg["severity"] = "error"
		}
		return cfg
	}
	if len(s.Config.Values) > 0 {
		return build()
	}
	return t.dir.share(t.dir.configs, name, build)
}

// testKwargs are a generic test's arguments as the manifest's
// test_metadata.kwargs: its arguments and its column. Tests without
// arguments share one map per column (read-only, like testConfig's).
func testKwargs(d *testDir, args map[string]any, column string) map[string]any {
	build := func() map[string]any {
		kwargs := make(map[string]any, len(args)+1)
		for k, v := range args {
			kwargs[k] = v
		}
		if column != "" {
			kwargs["column_name"] = column
		}
		return kwargs
	}
	if len(args) > 0 {
		return build()
	}
	return d.share(d.kwargs, column, build)
}

// share returns maps[key], made by build and stored first if absent. A
// nil from build (an error) is returned and not stored.
func (d *testDir) share(maps map[string]map[string]any, key string, build func() map[string]any) map[string]any {
	d.mu.Lock()
	m, ok := maps[key]
	d.mu.Unlock()
	if ok {
		return m
	}
	if m = build(); m == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if prev, ok := maps[key]; ok {
		return prev
	}
	maps[key] = m
	return m
}

// appendArgs appends fmt.Sprint(args), which a test's unique id hashes (so
// it must not change). Printing through reflection was a fifth of building
// the tests; the usual arguments (strings, booleans, integers, lists of
// them) are printed here as fmt prints them, anything else by fmt.
func appendArgs(b []byte, args map[string]any) []byte {
	if len(args) == 0 {
		return append(b, "map[]"...)
	}
	var keyBuf [8]string
	keys := keyBuf[:0]
	for k := range args {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	start := len(b)
	b = append(b, "map["...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, k...)
		b = append(b, ':')
		var ok bool
		if b, ok = appendArg(b, args[k], true); !ok {
			return append(b[:start], fmt.Sprint(args)...)
		}
	}
	return append(b, ']')
}

// appendArg appends v as fmt's %v does, for the types it knows.
func appendArg(b []byte, v any, list bool) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return append(b, x...), true
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case []any:
		if !list {
			return b, false
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ' ')
			}
			var ok bool
			if b, ok = appendArg(b, e, false); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// testName follows dbt's naming: <test>_<model>_<column>__<args>, with
// sources prefixed by source_ and long names shortened with a hash.
func (c *compilation) testName(test string, t testTarget, column string, args []string) string {
	// Built in one buffer: a project has a name per test, and joining
	// the parts made four or five strings for each.
	var buf [128]byte
	b := buf[:0]
	if t.node.ResourceType == Source {
		b = append(append(append(append(b, "source_"...), test...), '_'), t.node.SourceName...)
	} else {
		b = append(b, test...)
	}
	b = append(append(b, '_'), t.node.Name...)
	head := len(b) // test_target
	if column != "" {
		b = appendIdent(append(b, '_'), column)
	}
	for _, a := range args {
		b = appendIdent(append(b, "__"...), a)
	}
	if len(b) > 64 {
		hash := shortHash(b)
		b = append(append(b[:head], '_'), hash[:]...)
	}
	return string(b)
}

// appendIdent appends s with every character but letters, digits and '_'
// replaced by '_', as strings.Map(identChar, s) would.
func appendIdent(b []byte, s string) []byte {
	for _, r := range s {
		if identChar(r) == r {
			b = append(b, byte(r)) // identChar keeps only ASCII
		} else {
			b = append(b, '_')
		}
	}
	return b
}

func identChar(r rune) rune {
	if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
		return r
	}
	return '_'
}

// shortHash is the first 10 hex digits of b's SHA-256, as bytes that the
// caller copies into its string. Only the 5 bytes they show are encoded:
// a substring of the full 64-digit string kept all of it alive, 19 MB
// across a 100,000-model project's tests.
func shortHash(b []byte) [10]byte {
	h := sha256.Sum256(b)
	var out [10]byte
	hex.Encode(out[:], h[:5])
	return out
}

// testHash is shortHash(file|node|column|name|fmt.Sprint(args)), the
// suffix of a generic test's id, hashed from a buffer on the stack and
// returned as bytes, which the id's concatenation copies.
func testHash(file, node, column, name string, args map[string]any) [10]byte {
	var buf [256]byte
	b := append(buf[:0], file...)
	for _, part := range [...]string{node, column, name} {
		b = append(b, '|')
		b = append(b, part...)
	}
	b = append(b, '|')
	return shortHash(appendArgs(b, args))
}

// testDir returns what the tests of a property file share.
func (c *compilation) testDir(file string) *testDir {
	fqn := c.testFQN(file, "")
	fqn = fqn[: len(fqn)-1 : len(fqn)-1] // so each append copies
	return &testDir{fqn: fqn, configs: map[string]map[string]any{}, kwargs: map[string]map[string]any{}}
}

// testFQN is the FQN of test name declared in a property file.
func (c *compilation) testFQN(file string, name string) []string {
	dir := path.Dir(file)
	parts := []string{c.project.Name}
	for _, root := range c.project.ModelPaths {
		if strings.HasPrefix(dir+"/", root+"/") {
			dir = strings.TrimPrefix(strings.TrimPrefix(dir, root), "/")
			break
		}
	}
	if dir != "" && dir != "." {
		parts = append(parts, strings.Split(dir, "/")...)
	}
	return append(parts, name)
}

// resolveRelationArg renders a test argument such as "ref('dim_store')" or
// "source('raw', 'stores')" to the node it names.
func (c *compilation) resolveRelationArg(expr string, pos diag.Pos, file string) (*Node, bool) {
	text := strings.TrimSpace(expr)
	if !strings.HasPrefix(text, "{{") {
		text = "{{ " + text + " }}"
	}
	tmpl, ds := c.env.CompileString(file, text)
	if ds.HasErrors() {
		c.errorf(pos, "write to: ref('model_name') or to: source('source', 'table')", "cannot read test argument %q", expr)
		return nil, false
	}
	var rc renderCall
	out, err := c.render(tmpl, c.globals(-1, &rc, false))
	if err != nil {
		msg := err.Error()
		hint := ""
		if d, ok := err.(diag.Diagnostic); ok {
			msg, hint = d.Summary, d.Hint
		}
		c.errorf(pos, hint, "%s", msg)
		return nil, false
	}
	switch {
	case len(rc.refs) == 1:
		return c.models[rc.refs[0]].node, true
	case len(rc.srcIDs) == 1:
		return c.manifest.Sources[rc.srcIDs[0]], true
	}
	c.errorf(pos, "write to: ref('model_name') or to: source('source', 'table')", "test argument %q names no model or source (it renders to %q)", expr, out)
	return nil, false
}

// singularTest renders tests/<name>.sql: a query returning failing rows.
func (c *compilation) singularTest(file string) {
	src, ok := c.readFile(file)
	if !ok {
		return
	}
	name := strings.TrimSuffix(path.Base(file), ".sql")
	tmpl, ds := c.env.Compile(file, src)
	if ds.HasErrors() {
		c.addDiags(ds)
		return
	}
	var rc renderCall
	out, err := c.render(tmpl, c.globals(-1, &rc, false))
	if err != nil {
		c.addRenderError(file, err)
		return
	}
	deps := map[string]bool{}
	var refs []string
	for _, idx := range rc.refs {
		deps[c.models[idx].node.UniqueID] = true
		refs = appendUnique(refs, c.models[idx].node.Name)
	}
	for _, id := range rc.srcIDs {
		deps[id] = true
	}
	cfg := c.project.ConfigFor(Test, c.fqn(file, c.project.TestPaths))
	for k, v := range rc.config {
		mergeConfig(cfg, k, v)
	}
	normalizeConfig(cfg)
	if _, ok := cfg["severity"]; !ok {
		cfg["severity"] = "error"
	}
	tags := stringList(cfg["tags"])
	if tags == nil {
		tags = []string{}
	}
	id := "test." + c.project.Name + "." + name
	if _, dup := c.manifest.Nodes[id]; dup {
		c.errorf(diag.Pos{File: file, Line: 1, Col: 1}, "rename one of the files", "duplicate test name '%s'", name)
		return
	}
	sql := strings.TrimSpace(c.withCTEs(-1, out))
	sql = strings.TrimRight(sql, ";")
	n := &Node{
		UniqueID: id, ResourceType: Test, Name: name, PackageName: c.project.Name, Path: file,
		FQN: c.fqn(file, c.project.TestPaths), Tags: tags, Config: cfg, DependsOn: sortedKeys(deps),
		Refs: refs, SourceRefs: rc.sources, RawSQL: fileText(src), CompiledSQL: sql, Checksum: checksum(src),
		Pos: diag.Pos{File: file, Line: 1, Col: 1},
	}
	c.manifest.Nodes[id] = n
	c.singular = append(c.singular, n)
}

// buildExposures creates exposure nodes with their dependencies.
func (c *compilation) buildExposures(props []propertyFile) {
	for _, pf := range props {
		if pf.props == nil {
			continue
		}
		for _, e := range pf.props.Exposures {
			id := "exposure." + c.project.Name + "." + e.Name
			if _, dup := c.manifest.Exposures[id]; dup {
				c.errorf(e.Pos, "exposure names are unique in a project", "exposure '%s' is declared twice", e.Name)
				continue
			}
			deps := map[string]bool{}
			for _, ref := range e.DependsOn {
				n, ok := c.resolveRelationArg(ref.Raw, ref.Pos, pf.path)
				if ok {
					deps[n.UniqueID] = true
				}
			}
			n := &Node{
				UniqueID: id, ResourceType: Exposure, Name: e.Name, PackageName: c.project.Name, Path: pf.path,
				FQN: []string{c.project.Name, e.Name}, Description: e.Description, Tags: nonNil(e.Tags), Meta: e.Meta,
				Config: map[string]any{"enabled": true}, DependsOn: sortedKeys(deps), ExposureType: e.Type,
				URL: e.URL, Maturity: e.Maturity, Pos: e.Pos,
			}
			if e.Owner != nil {
				n.Owner = &Owner{Name: e.Owner.Name, Email: e.Owner.Email}
			}
			c.manifest.Exposures[id] = n
		}
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
