package compiler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/kiln-build/kiln/compiler/dag"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// Version is Kiln's version, written into artifacts.
var Version = "0.1.0-dev"

// Target is the resolved profile output a compile renders for: target.name,
// target.schema and the adapter type are visible to templates.
type Target struct {
	ProfileName string
	Name        string
	Type        string // duckdb, snowflake
	Schema      string
	Database    string
	Threads     int
	// Public holds the non-secret profile fields exposed as target.<key>.
	Public map[string]any
}

// Options is everything a compile reads besides the project files.
type Options struct {
	// FS is the project directory.
	FS fs.FS
	// Target is the profile output to compile for.
	Target Target
	// Vars are --vars, overriding the project's vars.
	Vars map[string]any
	// Env looks up environment variables for env_var().
	Env func(string) (string, bool)
	// Parallelism bounds the render workers (default GOMAXPROCS).
	Parallelism int
	// Now stamps the manifest (default time.Now).
	Now func() time.Time
	// Project is the already loaded project file, if the caller has it.
	Project *Project
	// Log receives the messages of log() in templates (info is
	// log(msg, info=True)); nil drops them. Called from render workers,
	// so it must be safe for concurrent use.
	Log func(msg string, info bool)
	// Query runs run_query() and {% call statement(fetch_result=True) %}
	// SQL against the target, returning rows and column names. The CLI
	// opens the warehouse lazily; when nil (parse, compile, tests) the
	// queries return an empty table (execute stays true). See
	// docs/dbt-compatibility.md.
	Query func(ctx context.Context, sql string) ([][]any, []string, error)
	// QueryOnly, when not nil, limits Query to the models with these
	// unique ids (the selected ones); the others get an empty table.
	QueryOnly map[string]bool
}

// compilation is the state of one Compile call.
type compilation struct {
	// knownMacros are the project's macro names (nil without macros);
	// singular are the singular test nodes.
	knownMacros map[string]bool
	macros      projectMacros
	singular    []*Node

	ctx     context.Context
	opts    Options
	fsys    fs.FS
	target  Target
	dialect dialect.Dialect
	project *Project
	env     *jinja.Env

	files   map[string][]byte
	filesMu sync.Mutex

	diags   diag.Diagnostics
	diagsMu sync.Mutex

	// models holds every ref-able node (models, seeds, snapshots) by index;
	// placeholders in rendered SQL are indexes into it.
	models       []*refable
	byName       map[string]int
	modelNames   []string
	sourceByName map[string]*Node
	baseGlobals  map[string]any

	manifest *Manifest

	compat compatState // dbt compatibility: name macros, docs, versions (dbtcompat.go)
}

// refable is a node that ref() can name, with what its render recorded.
type refable struct {
	node     *Node
	tmpl     *jinja.Template // kept only where recordState renders again (readsTarget)
	compiled bool            // its template compiled and rendered
	rendered string          // SQL with placeholders
	incr     string          // incremental variant, with is_incremental() true
	call     renderCall
	yamlCfg  map[string]any

	// What recordState needs of a model's text, found while it is read
	// for rendering: the project macros it calls, and whether it mentions
	// target or run_started_at.
	macroCalls     []string
	mentionsTarget bool
}

// Compile loads the project in opts.FS and returns its manifest. All
// problems found are returned together, sorted; the manifest is nil when any
// of them is an error.
func Compile(ctx context.Context, opts Options) (*Manifest, diag.Diagnostics) {
	if opts.Env == nil {
		opts.Env = func(string) (string, bool) { return "", false }
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d, ok := dialect.ForAdapter(opts.Target.Type)
	if !ok {
		return nil, diag.Diagnostics{{Summary: fmt.Sprintf("unknown adapter type %q", opts.Target.Type), Hint: "use type: duckdb or type: snowflake in profiles.yml"}}
	}
	c := newCompilation(ctx, opts, d)
	c.run()
	c.diags.Resolve(c.files)
	ds := c.diags.Sort()
	if ds.HasErrors() {
		return nil, ds
	}
	c.manifest.Warnings = ds
	c.manifest.Files = c.files
	return c.manifest, ds
}

func newCompilation(ctx context.Context, opts Options, d dialect.Dialect) *compilation {
	return &compilation{
		ctx: ctx, opts: opts, fsys: opts.FS, target: opts.Target, dialect: d,
		files:        map[string][]byte{},
		byName:       map[string]int{},
		sourceByName: map[string]*Node{},
		env:          jinja.NewEnv(),
	}
}

func (c *compilation) errorf(pos diag.Pos, hint, format string, args ...any) {
	c.diagsMu.Lock()
	c.diags.Errorf(pos, hint, format, args...)
	c.diagsMu.Unlock()
}

func (c *compilation) addDiags(ds diag.Diagnostics) {
	if len(ds) == 0 {
		return
	}
	c.diagsMu.Lock()
	c.diags = append(c.diags, ds...)
	c.diagsMu.Unlock()
}

func (c *compilation) failed() bool {
	c.diagsMu.Lock()
	defer c.diagsMu.Unlock()
	return c.diags.HasErrors()
}

// fileText is the text of a file readFile returned, sharing its bytes:
// those are kept for error snippets and never written to, and a model's
// raw SQL would otherwise hold the same text a second time (60 MB of a
// 100,000-model project's heap).
func fileText(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// readFile reads a project file and keeps it for error snippets. The
// bytes returned must not be modified (see fileText).
func (c *compilation) readFile(name string) ([]byte, bool) {
	b, err := fs.ReadFile(c.fsys, name)
	if err != nil {
		c.errorf(diag.Pos{File: name}, "", "cannot read file: %v", err)
		return nil, false
	}
	c.filesMu.Lock()
	c.files[name] = b
	c.filesMu.Unlock()
	return b, true
}

func (c *compilation) run() {
	p := c.opts.Project
	if p == nil {
		var ds diag.Diagnostics
		p, ds = LoadProject(c.fsys, c.opts.Env)
		c.addDiags(ds)
		if p == nil || ds.HasErrors() {
			return
		}
	}
	c.readFile(p.File)
	c.project = p
	c.manifest = &Manifest{
		Metadata: Metadata{
			SchemaVersion: "https://schemas.getdbt.com/dbt/manifest/v12.json",
			KilnVersion:   Version,
			GeneratedAt:   c.opts.Now().UTC().Format(time.RFC3339Nano),
			ProjectName:   p.Name,
			AdapterType:   c.target.Type,
			TargetName:    c.target.Name,
		},
		Nodes:     map[string]*Node{},
		Sources:   map[string]*Node{},
		Exposures: map[string]*Node{},
		Macros:    map[string]MacroInfo{},
		Dialect:   c.dialect,
	}
	files := c.discover()
	c.loadMacros(files.macros)
	c.loadDocs(files.docs)
	props := c.loadProperties(files.properties)
	c.buildSources(props)
	c.declareModels(files.models, files.seeds)
	snaps := c.declareSnapshots(files.snapshots, props)
	c.applyProperties(props)
	if c.failed() {
		return
	}
	// What the property files decoded to is applied now but for their
	// tests, built after rendering, and exposures. Let the rest go, and
	// each test's spec once its node is built (buildTests): at 100,000
	// models the live heap just after the tests are built, its peak, fell
	// from 950 to 666 MB.
	tests := c.testJobs(props)
	for i := range props {
		if p := props[i].props; p != nil {
			props[i].props = &yamlspec.Properties{Exposures: p.Exposures}
		}
	}
	c.baseGlobals = c.makeBaseGlobals()
	if names := c.env.Macros(); len(names) > 0 {
		c.knownMacros = make(map[string]bool, len(names))
		for _, n := range names {
			c.knownMacros[n] = true
		}
	}
	c.scanMacros(files.macros)
	c.addBuiltins(c.baseGlobals)
	c.renderModels()
	c.renderSnapshots(snaps)
	if c.failed() {
		return
	}
	c.finishModels()
	c.renderQueryModels()
	c.finishSnapshots(snaps)
	c.checkRelations()
	c.buildTests(tests, files.singularTests)
	c.buildExposures(props)
	c.renderHooks()
	c.renderDescriptions()
	if c.failed() {
		return
	}
	for _, r := range c.models {
		// Ephemeral models are inlined, but stay in the manifest and graph
		// so lineage and selection see them.
		c.manifest.Nodes[r.node.UniqueID] = r.node
	}
	// The graph is built on one core; the state checksums, which touch
	// other fields of the nodes, are computed beside it.
	var state sync.WaitGroup
	state.Add(1)
	go func() {
		defer state.Done()
		c.recordState()
	}()
	c.link()
	state.Wait()
}

// projectFiles is what discover found, by role, each sorted.
type projectFiles struct {
	models, seeds, macros, properties, singularTests, snapshots []string
	// docs are the .md files under the model paths, found on the same
	// walk (loadDocs adds those of docs-paths).
	docs []string
}

func (c *compilation) discover() projectFiles {
	var pf projectFiles
	walk := func(roots []string, fn func(p string)) {
		for _, root := range roots {
			root = path.Clean(root)
			if _, err := fs.Stat(c.fsys, root); err != nil {
				continue
			}
			_ = fs.WalkDir(c.fsys, root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				if d.IsDir() {
					if p != root && strings.HasPrefix(d.Name(), ".") {
						return fs.SkipDir
					}
					return nil
				}
				fn(p)
				return nil
			})
		}
	}
	walk(c.project.ModelPaths, func(p string) {
		switch path.Ext(p) {
		case ".sql":
			pf.models = append(pf.models, p)
		case ".yml", ".yaml":
			pf.properties = append(pf.properties, p)
		case ".md":
			pf.docs = append(pf.docs, p)
		}
	})
	walk(c.project.SeedPaths, func(p string) {
		switch path.Ext(p) {
		case ".csv":
			pf.seeds = append(pf.seeds, p)
		case ".yml", ".yaml":
			pf.properties = append(pf.properties, p)
		}
	})
	walk(c.project.MacroPaths, func(p string) {
		switch path.Ext(p) {
		case ".sql":
			pf.macros = append(pf.macros, p)
		case ".yml", ".yaml":
			pf.properties = append(pf.properties, p)
		}
	})
	walk(c.project.SnapshotPaths, func(p string) {
		switch path.Ext(p) {
		case ".sql":
			pf.snapshots = append(pf.snapshots, p)
		case ".yml", ".yaml":
			pf.properties = append(pf.properties, p)
		}
	})
	walk(c.project.TestPaths, func(p string) {
		if path.Ext(p) == ".sql" && c.isGenericTestFile(p) {
			pf.macros = append(pf.macros, p) // {% test %} blocks
		} else if path.Ext(p) == ".sql" {
			pf.singularTests = append(pf.singularTests, p)
		}
	})
	for _, s := range [][]string{pf.models, pf.seeds, pf.macros, pf.properties, pf.singularTests, pf.snapshots} {
		sort.Strings(s)
	}
	return pf
}

func (c *compilation) loadMacros(files []string) {
	for _, f := range files {
		src, ok := c.readFile(f)
		if !ok {
			continue
		}
		c.addDiags(c.env.AddMacroFile(f, src))
	}
	for _, name := range c.env.Macros() {
		c.manifest.Macros["macro."+c.project.Name+"."+name] = MacroInfo{Name: name}
	}
}

// parallel runs fn(i) for i in [0,n) on the compile's worker count.
func (c *compilation) parallel(n int, fn func(i int)) {
	workers := c.opts.Parallelism
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	// Workers take runs of consecutive items: neighbours (the tests of one
	// property file, the models of one folder) share data, and a run costs
	// one atomic add instead of one per item. Runs are small enough (a
	// 64th of a worker's share) that the last ones still balance the load.
	run := 1
	if n >= workers*256 {
		run = n / (workers * 64)
	}
	var wg sync.WaitGroup
	var next atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				end := int(next.Add(int64(run)))
				start := end - run
				if start >= n {
					return
				}
				for i := start; i < min(end, n); i++ {
					fn(i)
				}
			}
		}()
	}
	wg.Wait()
}

// declareModels creates a node for every model and seed file, so that ref()
// can be checked while templates render.
func (c *compilation) declareModels(models, seeds []string) {
	if len(c.byName) == 0 {
		c.byName = make(map[string]int, len(models)+len(seeds))
	}
	add := func(n *Node) {
		if prev, dup := c.byName[n.Name]; dup {
			c.errorf(n.Pos, fmt.Sprintf("another node named '%s' is declared in %s; rename one of the files", n.Name, c.models[prev].node.Pos.File), "duplicate node name '%s'", n.Name)
			return
		}
		c.byName[n.Name] = len(c.models)
		c.models = append(c.models, &refable{node: n})
		c.modelNames = append(c.modelNames, n.Name)
	}
	// The nodes are made in parallel (a large project has a hundred
	// thousand), then named in file order, so duplicates report stably.
	nodes := make([]Node, len(models)) // one allocation for all
	c.parallel(len(models), func(i int) {
		f := models[i]
		name := strings.TrimSuffix(path.Base(f), ".sql")
		nodes[i] = Node{
			UniqueID: "model." + c.project.Name + "." + name, ResourceType: Model, Name: name,
			PackageName: c.project.Name, Path: f, FQN: c.fqn(f, c.project.ModelPaths), Pos: diag.Pos{File: f, Line: 1, Col: 1},
		}
	})
	c.models = slices.Grow(c.models, len(models)+len(seeds))
	for i := range nodes {
		add(&nodes[i])
	}
	for _, f := range seeds {
		name := strings.TrimSuffix(path.Base(f), ".csv")
		n := &Node{
			UniqueID: "seed." + c.project.Name + "." + name, ResourceType: Seed, Name: name,
			PackageName: c.project.Name, Path: f, FQN: c.fqn(f, c.project.SeedPaths), Pos: diag.Pos{File: f, Line: 1, Col: 1},
		}
		add(n)
	}
}

// fqn is dbt's fully qualified name: project, directories under the
// resource path, file stem.
func (c *compilation) fqn(file string, roots []string) []string {
	rel := file
	for _, r := range roots {
		r = path.Clean(r)
		if strings.HasPrefix(file, r+"/") {
			rel = strings.TrimPrefix(file, r+"/")
			break
		}
	}
	parts := strings.Split(rel, "/")
	last := parts[len(parts)-1]
	parts[len(parts)-1] = strings.TrimSuffix(last, path.Ext(last))
	return append([]string{c.project.Name}, parts...)
}

func (c *compilation) makeBaseGlobals() map[string]any {
	t := map[string]any{}
	for k, v := range c.target.Public {
		t[k] = v
	}
	t["name"] = c.target.Name
	t["target_name"] = c.target.Name
	t["type"] = c.target.Type
	t["schema"] = c.target.Schema
	t["database"] = c.target.Database
	t["threads"] = c.target.Threads
	t["profile_name"] = c.target.ProfileName
	vars := c.project.Vars
	env := c.opts.Env
	return map[string]any{
		"target":       t,
		"project_name": c.project.Name,
		"execute":      true,
		"var": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			if len(pos) == 0 {
				return nil, diag.Diagnostic{Summary: "var() needs a variable name", Hint: "write var('start_date', '2024-01-01')"}
			}
			name := fmt.Sprint(pos[0])
			if v, ok := c.opts.Vars[name]; ok {
				return v, nil
			}
			if v, ok := vars[name]; ok {
				return v, nil
			}
			if len(pos) > 1 {
				return pos[1], nil
			}
			return nil, diag.Diagnostic{Summary: fmt.Sprintf("required var '%s' is not set", name), Hint: "set it under vars: in dbt_project.yml, pass --vars '{" + name + ": ...}', or give var() a default"}
		},
		"env_var": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			if len(pos) == 0 {
				return nil, diag.Diagnostic{Summary: "env_var() needs a variable name"}
			}
			name := fmt.Sprint(pos[0])
			if v, ok := env(name); ok {
				return v, nil
			}
			if len(pos) > 1 {
				return pos[1], nil
			}
			return nil, diag.Diagnostic{Summary: fmt.Sprintf("environment variable '%s' is not set", name), Hint: "export " + name + "=... before running, or give env_var() a default"}
		},
		"run_started_at": c.opts.Now().UTC(),
	}
}

// renderModels renders every model template once, in parallel.
func (c *compilation) renderModels() {
	c.parallel(len(c.models), c.renderModel)
}

// renderModel renders model i (and its incremental variant).
func (c *compilation) renderModel(i int) {
	r := c.models[i]
	if r.node.ResourceType != Model {
		return
	}
	src, ok := c.readFile(r.node.Path)
	if !ok {
		return
	}
	r.node.RawSQL = fileText(src)
	r.node.Checksum = checksum(src)
	if c.knownMacros != nil {
		r.macroCalls = macroCalls(r.node.RawSQL, c.knownMacros)
	}
	r.mentionsTarget = mentionsTarget(r.node.RawSQL)
	tmpl, ds := c.env.CompileString(r.node.Path, r.node.RawSQL)
	if ds.HasErrors() {
		c.addDiags(ds)
		return
	}
	r.tmpl = tmpl
	out, err := c.renderIn(tmpl, c.scope(i, &r.call, false))
	if c.queryDeferred(r.node.UniqueID) {
		// run_query() without a connection: render again as dbt parses,
		// with execute false (builtins.go).
		r.call = renderCall{}
		out, err = c.renderIn(tmpl, c.scope(i, &r.call, false))
	}
	if err != nil {
		c.addRenderError(r.node.Path, err)
		return
	}
	r.rendered = out
	if c.materializedOf(r) == "incremental" {
		// The incremental variant: is_incremental() is true.
		var rc renderCall
		out, err := c.renderIn(tmpl, c.scope(i, &rc, true))
		if err != nil {
			c.addRenderError(r.node.Path, err)
			return
		}
		r.incr = out
		r.call.refs = append(r.call.refs, rc.refs...)
		r.call.sources = append(r.call.sources, rc.sources...)
		r.call.srcIDs = append(r.call.srcIDs, rc.srcIDs...)
	}
	r.compiled = true
	if !c.readsTarget(r) {
		// A compiled template is several times the size of its text: at
		// 100,000 models, 130 MB held through the rest of the compile.
		r.tmpl = nil
	}
}

// materializedOf is a model's materialization as far as it is known while
// rendering: its config() call, its property file, the project.
func (c *compilation) materializedOf(r *refable) string {
	if m, ok := r.call.config["materialized"].(string); ok {
		return m
	}
	if m, ok := r.yamlCfg["materialized"].(string); ok {
		return m
	}
	v, _ := c.project.ConfigValue(r.node.ResourceType, r.node.FQN, "materialized")
	m, _ := v.(string)
	return m
}

func (c *compilation) addRenderError(file string, err error) {
	switch e := err.(type) {
	case diag.Diagnostic:
		if e.Pos.File == "" {
			e.Pos.File = file
		}
		c.addDiags(diag.Diagnostics{e})
	case diag.Diagnostics:
		c.addDiags(e)
	default:
		c.errorf(diag.Pos{File: file}, "", "%v", err)
	}
}

func checksum(b []byte) string {
	h := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h[:])
	return string(out[:]) // one allocation, where hex.EncodeToString makes two
}

// finishModels merges each model's configuration (project < properties <
// config() in the file), computes its relation, and substitutes relation
// placeholders in its SQL.
func (c *compilation) finishModels() {
	c.parallel(len(c.models), func(i int) {
		r := c.models[i]
		n := r.node
		cfg := c.project.ConfigFor(n.ResourceType, n.FQN)
		for k, v := range r.yamlCfg {
			mergeConfig(cfg, k, v)
		}
		for k, v := range r.call.config {
			mergeConfig(cfg, k, v)
		}
		normalizeConfig(cfg)
		n.Config = cfg
		n.Tags = stringList(cfg["tags"])
		if n.Tags == nil {
			n.Tags = []string{}
		}
		c.validateConfig(n)
	})
	// Relations once every config is merged: generate_*_name macros
	// receive the node with its final config.
	c.parallel(len(c.models), func(i int) {
		n := c.models[i].node
		if n.ResourceType == Model && n.Materialized() == "ephemeral" {
			return
		}
		rel := c.relationFor(n)
		n.Relation = &rel
		n.RelationName = c.dialect.Render(rel)
	})
	c.parallel(len(c.models), c.finishModelSQL)
}

// finishModelSQL substitutes the relations into model i's SQL and records
// its dependencies.
func (c *compilation) finishModelSQL(i int) {
	r := c.models[i]
	n := r.node
	if n.ResourceType != Model {
		return
	}
	n.Refs, n.SourceRefs = nil, nil
	n.CompiledSQL = c.withCTEs(i, r.rendered)
	if n.Materialized() == "incremental" {
		if inc := c.incrementalConfig(n); inc != nil {
			inc.SQL = c.withCTEs(i, r.incr)
			n.CompiledSQL = c.fullBuildSQL(inc, n.CompiledSQL)
			n.Incremental = inc
		}
	}
	c.recordDeps(r)
}

// recordDeps sets a node's refs, sources and depends_on from what its
// render recorded.
func (c *compilation) recordDeps(r *refable) {
	n := r.node
	deps := map[string]bool{}
	for _, idx := range r.call.refs {
		deps[c.models[idx].node.UniqueID] = true
		n.Refs = appendUnique(n.Refs, c.models[idx].node.Name)
	}
	for j, s := range r.call.sources {
		deps[r.call.srcIDs[j]] = true
		n.SourceRefs = append(n.SourceRefs, s)
	}
	n.DependsOn = sortedKeys(deps)
}

// withCTEs substitutes placeholders in sql and prepends the ephemeral models
// it reaches as CTEs, each once, parents before children.
func (c *compilation) withCTEs(self int, sql string) string {
	var direct []int
	body := c.substitute(sql, &direct)
	if len(direct) == 0 {
		return body
	}
	var order []int
	seen := map[int]bool{self: true}
	var visit func(idx int)
	visit = func(idx int) {
		if seen[idx] {
			return
		}
		seen[idx] = true
		var inner []int
		c.substitute(c.models[idx].rendered, &inner)
		for _, j := range inner {
			visit(j)
		}
		order = append(order, idx)
	}
	for _, idx := range direct {
		visit(idx)
	}
	var b strings.Builder
	b.WriteString("with ")
	for k, idx := range order {
		if k > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(cteName(c.models[idx].node.Name))
		b.WriteString(" as (\n")
		b.WriteString(strings.TrimSpace(c.substitute(c.models[idx].rendered, nil)))
		b.WriteString("\n)")
	}
	rest := strings.TrimLeft(body, " \t\r\n")
	if len(rest) >= 5 && strings.EqualFold(rest[:4], "with") && isSpace(rest[4]) {
		b.WriteString(",\n")
		b.WriteString(rest[5:])
	} else {
		b.WriteString("\n")
		b.WriteString(rest)
	}
	return b.String()
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// link puts every node of the manifest into the graph, orders it and
// reports a cycle.
func (c *compilation) link() {
	m := c.manifest
	// Unsorted: the graph orders its ids itself. Each node's parents go to
	// the graph as positions in this list, so no id is hashed twice.
	all := make([]*Node, 0, len(m.Nodes)+len(m.Sources)+len(m.Exposures))
	for _, set := range []map[string]*Node{m.Nodes, m.Sources, m.Exposures} {
		for _, n := range set {
			all = append(all, n)
		}
	}
	ids := make([]string, len(all))
	for i, n := range all {
		n.linkPos = int32(i)
		ids[i] = n.UniqueID
	}
	// Parents are looked up in parallel, a chunk of nodes at a time, each
	// chunk with one array behind its parents lists: at 100,000 models
	// this is a million lookups in maps far larger than the caches.
	const chunk = 2048
	type miss struct{ node, slot int }
	parents := make([][]int32, len(all))
	misses := make([][]miss, (len(all)+chunk-1)/chunk)
	c.parallel(len(misses), func(k int) {
		lo, hi := k*chunk, min((k+1)*chunk, len(all))
		nedges := 0
		for _, n := range all[lo:hi] {
			nedges += len(n.DependsOn)
		}
		flat := make([]int32, 0, nedges)
		for i := lo; i < hi; i++ {
			start := len(flat)
			for j, id := range all[i].DependsOn {
				p, ok := m.Lookup(id)
				if !ok {
					misses[k] = append(misses[k], miss{i, j})
					flat = append(flat, -1)
					continue
				}
				flat = append(flat, p.linkPos)
			}
			parents[i] = flat[start:len(flat):len(flat)]
		}
	})
	// Unknown ids were reported where they were written; they stay in the
	// graph as bare nodes, as AddEdge would keep them.
	var unknown map[string]int32
	for _, ms := range misses {
		for _, x := range ms {
			id := all[x.node].DependsOn[x.slot]
			k, ok := unknown[id]
			if !ok {
				if unknown == nil {
					unknown = map[string]int32{}
				}
				k = int32(len(ids))
				unknown[id] = k
				ids = append(ids, id)
				parents = append(parents, nil)
			}
			parents[x.node][x.slot] = k
		}
	}
	g, err := dag.Build(ids, parents)
	if err != nil {
		c.errorf(diag.Pos{}, "", "%v", err)
		return
	}
	order, cycle := g.Order()
	if cycle != nil {
		c.reportCycle(cycle.Path)
		return
	}
	m.Order = order
	// dbt's parent_map and child_map are the frozen graph's adjacency, an
	// entry for every node: Manifest.Parents, Children and WriteJSON read
	// them from the graph rather than from two maps of every node (60 MB
	// and a second of a 100,000-model compile).
	m.Graph = g
}

func (c *compilation) reportCycle(path []string) {
	names := make([]string, 0, len(path)+1)
	var files []string
	for _, id := range path {
		n, _ := c.manifest.Lookup(id)
		if n == nil {
			n = c.findNode(id)
		}
		if n != nil {
			names = append(names, n.Name)
			files = append(files, fmt.Sprintf("%s (%s)", n.Name, n.Path))
		} else {
			names = append(names, id)
		}
	}
	if len(path) < 2 || path[0] != path[len(path)-1] {
		names = append(names, names[0])
	} else {
		files = files[:len(files)-1]
	}
	first := c.findNode(path[0])
	pos := diag.Pos{}
	if first != nil {
		pos = first.Pos
	}
	c.errorf(pos, "break the cycle by removing one of these refs: "+strings.Join(files, ", "), "dependency cycle: %s", strings.Join(names, " -> "))
}

func (c *compilation) findNode(id string) *Node {
	if n, ok := c.manifest.Lookup(id); ok {
		return n
	}
	for _, r := range c.models {
		if r.node.UniqueID == id {
			return r.node
		}
	}
	return nil
}
