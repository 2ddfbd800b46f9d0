package compiler

import (
	"fmt"
	"io/fs"
	"sort"

	"github.com/kiln-build/kiln/compiler/dag"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// SelectOptions are a command's selection flags.
type SelectOptions struct {
	Include  []string // --select
	Exclude  []string // --exclude
	Selector string   // --selector
	// Types keeps only nodes of these resource types (the command's).
	Types []string
	// FS is the project directory, for selectors.yml.
	FS fs.FS
	// State answers state:, result: and source_status: (--state DIR).
	State selector.StateChecker
}

// Select returns the ids of the nodes a command acts on.
func Select(m *Manifest, o SelectOptions) (map[string]bool, diag.Diagnostics) {
	u := &universe{m: m}
	opts := selector.Options{Include: o.Include, Exclude: o.Exclude, Selector: o.Selector, State: o.State}
	defs, ds := loadSelectors(o.FS)
	if ds.HasErrors() {
		return nil, ds
	}
	opts.Selectors = defs
	if o.Selector != "" && defs == nil {
		return nil, diag.Diagnostics{{Pos: diag.Pos{File: "--selector"}, Summary: fmt.Sprintf("no selectors.yml in the project, so there is no selector %q", o.Selector), Hint: "define it in selectors.yml next to dbt_project.yml, or use --select"}}
	}
	sel, sds := selector.Evaluate(u, opts)
	ds = append(ds, sds...)
	if ds.HasErrors() {
		return nil, ds
	}
	if len(o.Types) > 0 {
		keep := map[string]bool{}
		for _, t := range o.Types {
			keep[t] = true
		}
		for id := range sel {
			n, ok := m.Lookup(id)
			if !ok || !keep[n.ResourceType] || !enabled(n) {
				delete(sel, id)
			}
		}
	}
	return sel, ds
}

// loadSelectors reads selectors.yml (dbt's YAML selectors) when the
// project has one.
func loadSelectors(fsys fs.FS) (*selector.Definitions, diag.Diagnostics) {
	if fsys == nil {
		return nil, nil
	}
	src, err := fs.ReadFile(fsys, "selectors.yml")
	if err != nil {
		return nil, nil
	}
	root, ds := yamlspec.Parse("selectors.yml", src)
	if ds.HasErrors() || root == nil {
		return nil, ds
	}
	doc := yamlspec.NewDecoder("selectors.yml").Plain(root)
	defs, sds := selector.ParseSelectors("selectors.yml", doc)
	return defs, append(ds, sds...)
}

func enabled(n *Node) bool {
	if e, ok := n.Config["enabled"].(bool); ok {
		return e
	}
	return true
}

type universe struct {
	m     *Manifest
	nodes []selector.Node
}

func (u *universe) Nodes() []selector.Node {
	if u.nodes == nil {
		all := u.m.All()
		sort.Slice(all, func(i, j int) bool { return all[i].UniqueID < all[j].UniqueID })
		for _, n := range all {
			u.nodes = append(u.nodes, nodeView{n})
		}
	}
	return u.nodes
}

func (u *universe) Node(id string) (selector.Node, bool) {
	n, ok := u.m.Lookup(id)
	if !ok {
		return nil, false
	}
	return nodeView{n}, true
}

func (u *universe) Graph() *dag.Graph { return u.m.Graph }

// nodeView shows a manifest node to the selector.
type nodeView struct{ n *Node }

func (v nodeView) ID() string           { return v.n.UniqueID }
func (v nodeView) Name() string         { return v.n.Name }
func (v nodeView) ResourceType() string { return v.n.ResourceType }
func (v nodeView) Path() string         { return v.n.Path }
func (v nodeView) FQN() []string        { return v.n.FQN }
func (v nodeView) Package() string      { return v.n.PackageName }
func (v nodeView) Tags() []string       { return v.n.Tags }
func (v nodeView) SourceName() string   { return v.n.SourceName }

func (v nodeView) Config(key string) (any, bool) {
	if key == "materialized" && v.n.ResourceType == Model {
		return v.n.Materialized(), true
	}
	x, ok := v.n.Config[key]
	return x, ok
}

func (v nodeView) TestName() string {
	if v.n.TestMetadata != nil {
		return v.n.TestMetadata.Name
	}
	return ""
}
