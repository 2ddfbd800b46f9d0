package compiler

import (
	"sort"

	"github.com/kiln-build/kiln/compiler/dag"
	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
)

// Resource types, as dbt names them.
const (
	Model    = "model"
	Seed     = "seed"
	Test     = "test"
	Source   = "source"
	Exposure = "exposure"
	Snapshot = "snapshot"
)

// Manifest is the compiled project: every node with its configuration, its
// dependencies and, for executable nodes, the SQL to run. It is a plain value
// the runner consumes; nothing in it refers to a database connection.
type Manifest struct {
	Metadata  Metadata         `json:"metadata"`
	Nodes     map[string]*Node `json:"nodes"`
	Sources   map[string]*Node `json:"sources"`
	Exposures map[string]*Node `json:"exposures"`
	// ParentMap and ChildMap are dbt's parent_map and child_map as read
	// back from a manifest.json. A compiled manifest leaves them nil: its
	// Graph holds the same lists (read them with Parents and Children),
	// and WriteJSON writes them from it.
	ParentMap map[string][]string  `json:"parent_map"`
	ChildMap  map[string][]string  `json:"child_map"`
	Macros    map[string]MacroInfo `json:"macros,omitempty"`

	// Order is every node id (sources and exposures included) in
	// dependency order, parents first.
	Order []string `json:"-"`
	// Dialect generated the node SQL.
	Dialect dialect.Dialect `json:"-"`
	// Warnings found while loading (errors abort the load instead).
	Warnings diag.Diagnostics `json:"-"`
	// Files holds the text of every file read, for error snippets.
	Files map[string][]byte `json:"-"`
	// Graph holds every node and edge, for ordering and selection.
	Graph *dag.Graph `json:"-"`
	// OnRunStart and OnRunEnd are the project's rendered on-run-start and
	// on-run-end hooks (compiler/hooks.go).
	OnRunStart []string `json:"-"`
	OnRunEnd   []string `json:"-"`
	// QueryNodes are the models whose render called run_query() or a
	// fetching statement(): the CLI renders them again with a connection
	// when they are selected (Options.Query, Options.QueryOnly).
	QueryNodes []string `json:"-"`
}

// Metadata describes the run that produced a manifest.
type Metadata struct {
	SchemaVersion string `json:"dbt_schema_version"`
	KilnVersion   string `json:"kiln_version"`
	GeneratedAt   string `json:"generated_at"`
	ProjectName   string `json:"project_name"`
	AdapterType   string `json:"adapter_type"`
	TargetName    string `json:"target_name"`
	// DuckDBPath is the database file a DuckDB target built into, so a
	// later --defer run can attach it (set by the CLI).
	DuckDBPath string `json:"duckdb_path,omitempty"`
}

// MacroInfo records where a macro was defined.
type MacroInfo struct {
	Name string `json:"name"`
	Path string `json:"original_file_path"`
	// Checksum is over the macro's definition, for state:modified.macros.
	Checksum string `json:"checksum,omitempty"`
}

// Node is a model, seed, snapshot, test, source or exposure.
type Node struct {
	UniqueID     string         `json:"unique_id"`
	ResourceType string         `json:"resource_type"`
	Name         string         `json:"name"`
	PackageName  string         `json:"package_name"`
	Path         string         `json:"original_file_path"`
	FQN          []string       `json:"fqn"`
	Description  string         `json:"description,omitempty"`
	Columns      []Column       `json:"columns,omitempty"`
	Tags         []string       `json:"tags"`
	Meta         map[string]any `json:"meta,omitempty"`
	// Config is read-only once compiled: generic tests without config of
	// their own share one map (as their TestMetadata.Kwargs do).
	Config     map[string]any `json:"config"`
	DependsOn  []string       `json:"depends_on"`
	Refs       []string       `json:"refs,omitempty"`
	SourceRefs [][2]string    `json:"sources,omitempty"`
	Checksum   string         `json:"checksum,omitempty"`
	// BodyChecksum is over the target-independent rendered SQL (see
	// compiler/state.go); MacroDeps the project macros the node calls.
	BodyChecksum string   `json:"body_checksum,omitempty"`
	MacroDeps    []string `json:"depends_on_macros,omitempty"`

	// Relation is where the node lives in the warehouse (models, seeds,
	// snapshots, sources); RelationName is its rendered form.
	Relation     *dialect.Relation `json:"relation,omitempty"`
	RelationName string            `json:"relation_name,omitempty"`

	// PreHooks and PostHooks are the rendered pre-hook and post-hook
	// configs of a model, run before and after its build.
	PreHooks  []string `json:"pre_hooks,omitempty"`
	PostHooks []string `json:"post_hooks,omitempty"`

	RawSQL      string `json:"raw_code,omitempty"`
	CompiledSQL string `json:"compiled_code,omitempty"`
	// Incremental is set for incremental models.
	Incremental *Incremental `json:"incremental,omitempty"`
	// Snapshot is set for snapshots.
	Snapshot *SnapshotPlan `json:"snapshot,omitempty"`

	// Tests.
	TestMetadata *TestMetadata `json:"test_metadata,omitempty"`
	ColumnName   string        `json:"column_name,omitempty"`
	AttachedNode string        `json:"attached_node,omitempty"`

	// Sources.
	SourceName    string     `json:"source_name,omitempty"`
	LoadedAtField string     `json:"loaded_at_field,omitempty"`
	Freshness     *Freshness `json:"freshness,omitempty"`

	// Exposures.
	ExposureType string `json:"type,omitempty"`
	Owner        *Owner `json:"owner,omitempty"`
	URL          string `json:"url,omitempty"`
	Maturity     string `json:"maturity,omitempty"`

	// Seeds: the parsed file, loaded by the runner.
	SeedData *SeedData `json:"-"`

	// Pos is where the node is declared.
	Pos diag.Pos `json:"-"`

	// linkPos is the node's position in the list link hands the graph.
	linkPos int32
}

// SeedData is a parsed CSV seed.
type SeedData struct {
	Columns []dialect.Column
	Rows    [][]any
}

// Column is a documented column.
type Column struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	DataType    string         `json:"data_type,omitempty"`
	Meta        map[string]any `json:"meta,omitempty"`
	Tags        []string       `json:"tags,omitempty"`
}

// TestMetadata describes a generic test instance.
type TestMetadata struct {
	Name   string         `json:"name"`
	Kwargs map[string]any `json:"kwargs"`
}

// Freshness is a source's SLA.
type Freshness struct {
	WarnAfter  *Period `json:"warn_after,omitempty"`
	ErrorAfter *Period `json:"error_after,omitempty"`
	Filter     string  `json:"filter,omitempty"`
}

// Period is a freshness threshold.
type Period struct {
	Count  int    `json:"count"`
	Period string `json:"period"`
}

// Owner of an exposure.
type Owner struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// Materialized is the node's materialization config ("view" by default for
// models).
func (n *Node) Materialized() string {
	if s, ok := n.Config["materialized"].(string); ok {
		return s
	}
	switch n.ResourceType {
	case Seed:
		return "seed"
	case Test:
		return "test"
	case Snapshot:
		return "snapshot"
	}
	return "view"
}

// ConfigString returns a string config value or "".
func (n *Node) ConfigString(key string) string {
	s, _ := n.Config[key].(string)
	return s
}

// Executable reports whether the runner has something to do for the node.
func (n *Node) Executable() bool {
	switch n.ResourceType {
	case Model:
		return n.Materialized() != "ephemeral"
	case Seed, Test, Snapshot:
		return true
	}
	return false
}

// Lookup finds any node by unique id.
func (m *Manifest) Lookup(id string) (*Node, bool) {
	if n, ok := m.Nodes[id]; ok {
		return n, true
	}
	if n, ok := m.Sources[id]; ok {
		return n, true
	}
	n, ok := m.Exposures[id]
	return n, ok
}

// Parents returns the ids the node id depends on, sorted.
func (m *Manifest) Parents(id string) []string {
	if m.ParentMap == nil && m.Graph != nil {
		return m.Graph.Parents(id)
	}
	return m.ParentMap[id]
}

// Children returns the ids that depend on the node id, sorted.
func (m *Manifest) Children(id string) []string {
	if m.ChildMap == nil && m.Graph != nil {
		return m.Graph.Children(id)
	}
	return m.ChildMap[id]
}

// All returns every node, sources and exposures included, sorted by id.
func (m *Manifest) All() []*Node {
	out := make([]*Node, 0, len(m.Nodes)+len(m.Sources)+len(m.Exposures))
	for _, set := range []map[string]*Node{m.Nodes, m.Sources, m.Exposures} {
		for _, n := range set {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UniqueID < out[j].UniqueID })
	return out
}
