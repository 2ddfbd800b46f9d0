package compiler

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// compatState is what the dbt-compatibility features of a compile hold:
// the project's generate_*_name overrides, {% docs %} blocks and model
// versions.
type compatState struct {
	nameMacros bool // the project defines a generate_*_name macro
	nameOnce   sync.Once
	nameTmpl   map[string]*jinja.Template

	docs map[string]string // {% docs name %} bodies

	versions  map[string]*versionSet // by the model's base name
	versionOf map[int]*modelVersion  // by index into c.models

	queryMu        sync.Mutex
	queryNodes     map[string]bool
	relationsFinal bool // set before query models render with a connection
}

// ---- generate_schema_name, generate_alias_name, generate_database_name

var nameMacros = []string{"generate_schema_name", "generate_alias_name", "generate_database_name"}

// relationByMacros computes a relation as dbt does when the project
// overrides one of the generate_*_name macros: each part comes from its
// macro (the project's, else dbt's default), whitespace stripped.
func (c *compilation) relationByMacros(n *Node) dialect.Relation {
	c.compat.nameOnce.Do(func() {
		c.compat.nameTmpl = map[string]*jinja.Template{}
		for _, m := range nameMacros {
			if !c.env.HasMacro(m) {
				continue
			}
			t, ds := c.env.CompileString("<"+m+">", "{{ "+m+"(kiln_custom_name, kiln_node) }}")
			c.addDiags(ds)
			c.compat.nameTmpl[m] = t
		}
	})
	node := c.nodeContext(n)
	call := func(macro, custom string, def func(custom string) string) string {
		t := c.compat.nameTmpl[macro]
		if t == nil {
			return def(custom)
		}
		g := make(map[string]any, 2)
		var cv any
		if custom != "" {
			cv = custom
		}
		g["kiln_custom_name"] = cv
		g["kiln_node"] = node
		out, err := c.render(t, g)
		if err != nil {
			c.addRenderError(n.Path, err)
			return def(custom)
		}
		return strings.TrimSpace(out)
	}
	rel := dialect.Relation{
		Database:   call("generate_database_name", n.ConfigString("database"), c.defaultDatabaseName),
		Schema:     call("generate_schema_name", n.ConfigString("schema"), c.defaultSchemaName),
		Identifier: call("generate_alias_name", n.ConfigString("alias"), func(a string) string { return c.defaultAliasName(a, n) }),
	}
	if n.ResourceType == Snapshot {
		rel.Schema, rel.Database = snapshotSchema(n, rel.Schema, rel.Database)
	}
	return rel
}

// dbt's default__generate_schema_name, default__generate_database_name and
// default__generate_alias_name.
func (c *compilation) defaultSchemaName(custom string) string {
	if custom = strings.TrimSpace(custom); custom == "" {
		return c.target.Schema
	}
	return c.target.Schema + "_" + custom
}

func (c *compilation) defaultDatabaseName(custom string) string {
	if custom = strings.TrimSpace(custom); custom == "" {
		return c.target.Database
	}
	return custom
}

func (c *compilation) defaultAliasName(custom string, n *Node) string {
	if custom = strings.TrimSpace(custom); custom != "" {
		return custom
	}
	return n.Name
}

// nodeContext is the `node` a generate_*_name macro sees.
func (c *compilation) nodeContext(n *Node) map[string]any {
	fqn := make([]any, len(n.FQN))
	for i, s := range n.FQN {
		fqn[i] = s
	}
	tags := make([]any, len(n.Tags))
	for i, s := range n.Tags {
		tags[i] = s
	}
	m := map[string]any{
		"name": n.Name, "unique_id": n.UniqueID, "resource_type": n.ResourceType, "package_name": n.PackageName,
		"path": n.Path, "original_file_path": n.Path, "fqn": fqn, "tags": tags, "config": n.Config,
	}
	if idx, ok := c.byName[n.Name]; ok {
		if v := c.compat.versionOf[idx]; v != nil {
			m["name"] = v.base
			m["version"] = v.v
		}
	}
	return m
}

// builtinNameMacros are dbt's defaults, callable from project overrides
// as default__generate_schema_name(...) or dbt.generate_schema_name(...).
func (c *compilation) builtinNameMacros() map[string]any {
	str := func(v any) string {
		if v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	nodeName := func(node any) string {
		if m, ok := node.(map[string]any); ok {
			name := str(m["name"])
			if v, ok := m["version"]; ok && v != nil {
				return name + "_v" + str(v)
			}
			return name
		}
		return ""
	}
	return map[string]any{
		"generate_schema_name": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			return c.defaultSchemaName(str(argAt(pos, 0))), nil
		},
		"generate_database_name": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			return c.defaultDatabaseName(str(argAt(pos, 0))), nil
		},
		"generate_alias_name": func(args ...any) (any, error) {
			pos, _ := jinja.Args(args)
			if a := strings.TrimSpace(str(argAt(pos, 0))); a != "" {
				return a, nil
			}
			return nodeName(argAt(pos, 1)), nil
		},
	}
}

func argAt(a []any, i int) any {
	if i < len(a) {
		return a[i]
	}
	return nil
}

// ---- {% docs %} blocks and doc()

var docsTag = regexp.MustCompile(`\{%-?\s*(docs|enddocs)\b\s*([^%]*?)\s*-?%\}`)

// loadDocs reads the {% docs name %} blocks of .md files under the model
// and docs paths.
func (c *compilation) loadDocs(modelDocs []string) {
	c.compat.docs = map[string]string{}
	c.compat.nameMacros = false
	for _, m := range nameMacros {
		if c.env.HasMacro(m) {
			c.compat.nameMacros = true
		}
	}
	// The model paths were walked by discover; walk only the docs-paths
	// outside them.
	seen := make(map[string]bool, len(modelDocs))
	files := append([]string(nil), modelDocs...)
	for _, f := range files {
		seen[f] = true
	}
	for _, root := range c.project.DocsPaths {
		root = path.Clean(root)
		if underAny(root, c.project.ModelPaths) {
			continue
		}
		_ = fs.WalkDir(c.fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && path.Ext(p) == ".md" && !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			return nil
		})
	}
	sort.Strings(files)
	where := map[string]string{}
	for _, f := range files {
		src, ok := c.readFile(f)
		if !ok {
			continue
		}
		s := string(src)
		var open string
		var start, tagAt int
		for _, m := range docsTag.FindAllStringSubmatchIndex(s, -1) {
			kind, arg := s[m[2]:m[3]], s[m[4]:m[5]]
			pos := diag.Pos{File: f, Offset: m[0]}
			if kind == "docs" {
				if open != "" {
					c.errorf(pos, "close the previous block with {% enddocs %} first", "docs blocks cannot be nested")
					continue
				}
				if !identRe.MatchString(arg) {
					c.errorf(pos, "write {% docs orders_status %}", "invalid docs block name %q", arg)
				}
				open, start, tagAt = arg, m[1], m[0]
				continue
			}
			if open == "" {
				c.errorf(pos, "open the block with {% docs name %}", "{%% enddocs %%} without a matching {%% docs %%}")
				continue
			}
			if prev, dup := where[open]; dup {
				c.errorf(diag.Pos{File: f, Offset: tagAt}, "rename one of the blocks", "docs block '%s' is defined twice (also in %s)", open, prev)
			}
			where[open] = f
			c.compat.docs[open] = strings.TrimSpace(s[start:m[0]])
			open = ""
		}
		if open != "" {
			c.errorf(diag.Pos{File: f, Offset: tagAt}, "end the block with {% enddocs %}", "docs block '%s' is not closed", open)
		}
	}
}

// underAny reports whether dir is one of roots or inside one.
func underAny(dir string, roots []string) bool {
	for _, r := range roots {
		r = path.Clean(r)
		if r == "." || dir == r || strings.HasPrefix(dir, r+"/") {
			return true
		}
	}
	return false
}

// docFunc is doc('name') (and doc('package', 'name')).
func (c *compilation) docFunc(args ...any) (any, error) {
	pos, _ := jinja.Args(args)
	if len(pos) == 0 || len(pos) > 2 {
		return nil, diag.Diagnostic{Summary: "doc() takes a docs block name", Hint: "write {{ doc('orders_status') }}"}
	}
	name := fmt.Sprint(pos[len(pos)-1])
	body, ok := c.compat.docs[name]
	if !ok {
		names := make([]string, 0, len(c.compat.docs))
		for k := range c.compat.docs {
			names = append(names, k)
		}
		hint := diag.DidYouMean(name, names)
		if hint == "" {
			hint = "define it in a .md file under models/: {% docs " + name + " %} ... {% enddocs %}"
		}
		return nil, diag.Diagnostic{Summary: fmt.Sprintf("unknown docs block '%s'", name), Hint: hint}
	}
	return body, nil
}

// renderDescriptions renders descriptions that hold Jinja ({{ doc('x') }}).
func (c *compilation) renderDescriptions() {
	m := c.manifest
	nodes := make([]*Node, 0, len(c.models)+len(m.Nodes)+len(m.Sources)+len(m.Exposures))
	for _, r := range c.models {
		nodes = append(nodes, r.node)
	}
	for _, set := range []map[string]*Node{c.manifest.Nodes, c.manifest.Sources, c.manifest.Exposures} {
		for _, n := range set {
			if n.ResourceType != Model && n.ResourceType != Seed && n.ResourceType != Snapshot {
				nodes = append(nodes, n)
			}
		}
	}
	render := func(n *Node, s string) string {
		if !strings.Contains(s, "{{") && !strings.Contains(s, "{%") {
			return s
		}
		t, ds := c.env.CompileString(n.Path, s)
		if ds.HasErrors() {
			c.addDiags(ds)
			return s
		}
		var rc renderCall
		g := c.globals(-1, &rc, false)
		g["doc"] = c.docFunc
		out, err := c.render(t, g)
		if err != nil {
			if d, ok := err.(diag.Diagnostic); ok {
				d.Pos = n.Pos // the description's node: the template is not the file
				err = d
			}
			c.addRenderError(n.Path, err)
			return s
		}
		return strings.TrimSpace(c.substitute(out, nil))
	}
	// Each node's descriptions are its own; most hold no Jinja, but a
	// large project has hundreds of thousands of nodes to look at.
	c.parallel(len(nodes), func(i int) {
		n := nodes[i]
		n.Description = render(n, n.Description)
		for i := range n.Columns {
			n.Columns[i].Description = render(n, n.Columns[i].Description)
		}
	})
}

// ---- custom generic tests: {% test name(model, column_name, ...) %}

// isGenericTestFile reports whether a file under the test paths holds
// {% test %} blocks (tests/generic/, as in dbt) rather than a singular test.
func (c *compilation) isGenericTestFile(p string) bool {
	for _, root := range c.project.TestPaths {
		if strings.HasPrefix(p, path.Clean(root)+"/generic/") {
			return true
		}
	}
	return false
}

// customGenericTest renders a project's test_<name> macro for one YAML
// test: model is the tested relation, column_name the column, and the
// other arguments are passed as keyword arguments (strings of the form
// ref('x') or source('s', 't') become those relations).
func (c *compilation) customGenericTest(s *yamlspec.TestSpec, t testTarget, column string, kwargs map[string]any) (string, []string, []string, bool) {
	keys := make([]string, 0, len(s.Args))
	for k := range s.Args {
		if k != "column_name" && k != "model" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{{ test_" + s.Name + "(model=kiln_model")
	if column != "" {
		b.WriteString(", column_name=kiln_column")
	}
	g := c.globals(-1, &renderCall{}, false)
	var deps, nameArgs []string
	for i, k := range keys {
		v := s.Args[k]
		if str, ok := v.(string); ok {
			trim := strings.TrimSpace(str)
			if strings.HasPrefix(trim, "ref(") || strings.HasPrefix(trim, "source(") {
				pos := s.Pos
				if p, ok := s.ArgPos[k]; ok {
					pos = p
				}
				n, ok := c.resolveRelationArg(trim, pos, t.file)
				if !ok {
					return "", nil, nil, false
				}
				deps = append(deps, n.UniqueID)
				v = relationRefOf(n)
			}
		}
		name := "kiln_arg_" + strconv.Itoa(i)
		g[name] = v
		fmt.Fprintf(&b, ", %s=%s", k, name)
		nameArgs = append(nameArgs, fmt.Sprint(s.Args[k]))
	}
	b.WriteString(") }}")
	g["kiln_model"] = relationRefOf(t.node)
	g["kiln_column"] = column
	tmpl, ds := c.env.CompileString(t.file, b.String())
	if ds.HasErrors() {
		c.errorf(s.Pos, "", "test '%s': %s", s.Name, ds[0].Summary)
		return "", nil, nil, false
	}
	out, err := c.render(tmpl, g)
	if err != nil {
		if d, ok := err.(diag.Diagnostic); ok && d.Pos.File == t.file {
			d.Pos = s.Pos
			err = d
		}
		c.addRenderError(t.file, err)
		return "", nil, nil, false
	}
	sql := strings.TrimRight(strings.TrimSpace(c.substitute(out, nil)), ";")
	return sql, deps, nameArgs, true
}

// relationRefOf is the Relation value of a node whose relation is final.
func relationRefOf(n *Node) RelationRef {
	r := RelationRef{Identifier: n.Name, text: n.RelationName}
	if n.Relation != nil {
		r.Database, r.Schema, r.Identifier = n.Relation.Database, n.Relation.Schema, n.Relation.Identifier
	}
	return r
}

// ---- model versions

// versionSet is a versioned model: its versions and the one ref('m')
// resolves to.
type versionSet struct {
	base   string
	latest string
	byV    map[string]int // version -> index into c.models
	order  []string
}

// modelVersion is one version of a versioned model.
type modelVersion struct {
	base, v string
	file    string // the model file's stem (defined_in)
	idx     int
	config  map[string]any
}

type versionEntry struct {
	V         any            `yaml:"v"`
	DefinedIn string         `yaml:"defined_in"`
	Config    map[string]any `yaml:"config"`
}

// declareVersions reads the versions: of a model entry and binds each
// version to its file (<name>_v<N>.sql, or defined_in).
func (c *compilation) declareVersions(file string, m *yamlspec.Model) []*modelVersion {
	var entries []versionEntry
	pos := diag.Pos{File: file, Line: m.Versions.Line, Col: m.Versions.Column}
	if err := m.Versions.Decode(&entries); err != nil {
		c.errorf(pos, "write versions: [{v: 1}, {v: 2, defined_in: dim_customers_v2}]", "versions of '%s': %v", m.Name, err)
		return nil
	}
	if c.compat.versions == nil {
		c.compat.versions = map[string]*versionSet{}
		c.compat.versionOf = map[int]*modelVersion{}
	}
	set := &versionSet{base: m.Name, byV: map[string]int{}}
	var out []*modelVersion
	for _, e := range entries {
		if e.V == nil {
			c.errorf(pos, "give each version a v:", "a version of '%s' has no v:", m.Name)
			continue
		}
		v := fmt.Sprint(e.V)
		stem := e.DefinedIn
		if stem == "" {
			stem = m.Name + "_v" + v
		}
		idx, ok := c.byName[stem]
		if !ok || c.models[idx].node.ResourceType != Model {
			c.errorf(pos, fmt.Sprintf("create %s.sql, or set defined_in: to the file that holds version %s", stem, v), "version %s of model '%s': no model file '%s'", v, m.Name, stem)
			continue
		}
		mv := &modelVersion{base: m.Name, v: v, file: stem, idx: idx, config: e.Config}
		set.byV[v] = idx
		set.order = append(set.order, v)
		c.compat.versionOf[idx] = mv
		out = append(out, mv)
	}
	if len(set.order) == 0 {
		return out
	}
	set.latest = fmt.Sprint(m.LatestVersion)
	if m.LatestVersion == nil {
		set.latest = set.order[0]
		for _, v := range set.order[1:] {
			if versionLess(set.latest, v) {
				set.latest = v
			}
		}
	} else if _, ok := set.byV[set.latest]; !ok {
		c.errorf(pos, "latest_version must name one of the versions", "latest_version %s of '%s' is not a declared version", set.latest, m.Name)
	}
	c.compat.versions[m.Name] = set
	return out
}

func versionLess(a, b string) bool {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		return fa < fb
	}
	return a < b
}

// applyVersionConfig merges a version's own config over the model's and
// names its relation <name>_v<N>, as dbt does.
func (c *compilation) applyVersionConfig(v *modelVersion) {
	r := c.models[v.idx]
	if r.yamlCfg == nil {
		r.yamlCfg = map[string]any{}
	}
	for k, x := range v.config {
		mergeConfig(r.yamlCfg, k, x)
	}
	if _, ok := r.yamlCfg["alias"]; !ok && v.file != v.base+"_v"+v.v {
		r.yamlCfg["alias"] = v.base + "_v" + v.v
	}
}

// versionedRef resolves ref('m', v=2) and ref('m') for a versioned model.
func (c *compilation) versionedRef(name string, kw map[string]any) (int, bool, error) {
	set := c.compat.versions[name]
	want, hasV := kw["v"]
	if !hasV {
		want, hasV = kw["version"]
	}
	if set == nil {
		if hasV {
			return 0, false, diag.Diagnostic{Summary: fmt.Sprintf("ref('%s', v=%v): '%s' is not a versioned model", name, want, name), Hint: "declare versions: for it in a property file"}
		}
		return 0, false, nil
	}
	v := set.latest
	if hasV {
		v = fmt.Sprint(want)
	}
	idx, ok := set.byV[v]
	if !ok {
		return 0, false, diag.Diagnostic{Summary: fmt.Sprintf("model '%s' has no version %s", name, v), Hint: "its versions are " + strings.Join(set.order, ", ")}
	}
	return idx, true, nil
}

// modelIndexes are the nodes a models: entry describes: its versions, or
// the model of that name.
func (c *compilation) modelIndexes(name string) []int {
	if set := c.compat.versions[name]; set != nil {
		out := make([]int, 0, len(set.order))
		for _, v := range set.order {
			out = append(out, set.byV[v])
		}
		return out
	}
	if idx, ok := c.byName[name]; ok {
		return []int{idx}
	}
	return nil
}
