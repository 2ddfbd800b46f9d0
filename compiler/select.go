package compiler

import (
	"fmt"
	"io/fs"

	"github.com/kiln-build/kiln/compiler/dag"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/selector"
	"github.com/kiln-build/kiln/compiler/yamlspec"
	"gopkg.in/yaml.v3"
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
	if len(o.Types) > 0 {
		keep := map[string]bool{}
		for _, t := range o.Types {
			keep[t] = true
		}
		// The selector reaches each node by index; looking ids up in the
		// manifest afterwards cost more than the selection.
		opts.Keep = func(n selector.Node) bool {
			v := n.(nodeView)
			return keep[v.n.ResourceType] && enabled(v.n)
		}
	}
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
	defs, sds := selector.ParseSelectors("selectors.yml", doc, yamlLocator(root))
	return defs, append(ds, sds...)
}

// yamlLocator finds a selector.Locator path in the YAML tree it was
// decoded from.
func yamlLocator(root *yaml.Node) selector.Locator {
	return func(path []any) (int, int, bool) {
		n := root
		for n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			n = n.Content[0]
		}
		for _, elem := range path {
			for n != nil && n.Kind == yaml.AliasNode {
				n = n.Alias
			}
			if n == nil {
				return 0, 0, false
			}
			switch e := elem.(type) {
			case int:
				if n.Kind != yaml.SequenceNode || e < 0 || e >= len(n.Content) {
					return 0, 0, false
				}
				n = n.Content[e]
			case string, selector.Key:
				if n.Kind != yaml.MappingNode {
					return 0, 0, false
				}
				var next *yaml.Node
				for i := 0; i+1 < len(n.Content); i += 2 {
					if k := n.Content[i]; k.Value == fmt.Sprint(e) {
						next = n.Content[i+1]
						if _, isKey := e.(selector.Key); isKey {
							next = k
						}
					}
				}
				n = next
			default:
				return 0, 0, false
			}
		}
		if n == nil {
			return 0, 0, false
		}
		return n.Line, n.Column, true
	}
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
		u.nodes = u.inIDOrder()
	}
	return u.nodes
}

// inIDOrder lists every node sorted by id, the order the selector indexes
// the graph in. A compiled manifest's graph holds every node with its ids
// already sorted, so the list is read off it instead of sorted again (a
// sort of 100,000 ids cost more than the rest of a selection).
func (u *universe) inIDOrder() []selector.Node {
	m := u.m
	total := len(m.Nodes) + len(m.Sources) + len(m.Exposures)
	out := make([]selector.Node, 0, total)
	if g := m.Graph; g != nil && g.Len() == total {
		for i := range total {
			n, ok := m.Lookup(g.ID(i))
			if !ok {
				break // a graph of other nodes: sort instead
			}
			out = append(out, nodeView{n})
		}
		if len(out) == total {
			return out
		}
		out = out[:0]
	}
	for _, n := range m.All() { // sorted by id
		out = append(out, nodeView{n})
	}
	return out
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
