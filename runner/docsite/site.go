package docsite

import (
	"cmp"
	"embed"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/kiln-build/kiln/compiler"
)

//go:embed assets/index.html assets/app.js assets/style.css
var assets embed.FS

// Site is everything the documentation pages show.
type Site struct {
	Manifest *compiler.Manifest
	Catalog  *Catalog
	Lineage  map[string]*ModelLineage
	// RunResults and Freshness are target/run_results.json and
	// target/sources.json, when present.
	RunResults []byte
	Freshness  []byte
	// Overview is the project's overview in Markdown.
	Overview string
}

// page data, kept short: 10,000 nodes must load quickly.
type pageNode struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Type     string         `json:"type"`
	Package  string         `json:"pkg,omitempty"`
	Path     string         `json:"path,omitempty"`
	FQN      []string       `json:"fqn,omitempty"`
	Layer    string         `json:"layer,omitempty"`
	Desc     string         `json:"desc,omitempty"`
	Tags     []string       `json:"tags,omitempty"`
	Mat      string         `json:"mat,omitempty"`
	Config   map[string]any `json:"cfg,omitempty"`
	Meta     map[string]any `json:"meta,omitempty"`
	Relation string         `json:"rel,omitempty"`
	Columns  []pageColumn   `json:"cols,omitempty"`
	Raw      string         `json:"raw,omitempty"`
	SQL      string         `json:"sql,omitempty"`
	Up       []int          `json:"up,omitempty"`
	Down     []int          `json:"down,omitempty"`
	Tests    []int          `json:"tests,omitempty"`
	Run      any            `json:"run,omitempty"`
	Fresh    any            `json:"fresh,omitempty"`
	SLA      any            `json:"sla,omitempty"`
	Loaded   string         `json:"loaded_at,omitempty"`
	Src      string         `json:"src,omitempty"`
	Exposure any            `json:"exp,omitempty"`
	Test     any            `json:"test,omitempty"`
	Lineage  *pageLineage   `json:"lin,omitempty"`
	G        int            `json:"g"` // index in the graph arrays, -1 when not drawn
}

type pageColumn struct {
	Name  string `json:"n"`
	Type  string `json:"t,omitempty"`
	Desc  string `json:"d,omitempty"`
	Tests []int  `json:"tests,omitempty"`
}

type pageLineage struct {
	Columns []pageColLineage `json:"cols,omitempty"`
	Error   string           `json:"err,omitempty"`
}

type pageColLineage struct {
	Name     string   `json:"n"`
	Sources  [][2]any `json:"src,omitempty"` // [node index, column]
	Derived  bool     `json:"d,omitempty"`
	Untraced string   `json:"u,omitempty"`
}

type pageGraph struct {
	Nodes []int `json:"n"` // page node index per graph node
	X     []int `json:"x"`
	Y     []int `json:"y"`
	Edges []int `json:"e"` // pairs of graph indexes, parent then child
	W     int   `json:"w"`
	H     int   `json:"h"`
}

type pageData struct {
	Project     string     `json:"project"`
	GeneratedAt string     `json:"generated_at"`
	Adapter     string     `json:"adapter"`
	Overview    string     `json:"overview,omitempty"`
	Nodes       []pageNode `json:"nodes"`
	Graph       pageGraph  `json:"graph"`
	// Search holds one lower-case line per node: name, column names and
	// description separated by \x1f.
	Search []string `json:"search"`
}

// Stats summarises what Write produced.
type Stats struct {
	Nodes, GraphNodes, Edges, DataBytes int
}

// pageDetail is what only a node's own page needs; it loads after the
// first paint, from details.js.
type pageDetail struct {
	Raw     string       `json:"raw,omitempty"`
	SQL     string       `json:"sql,omitempty"`
	Lineage *pageLineage `json:"lin,omitempty"`
}

// Write writes index.html, app.js, style.css, data.js (what the graph,
// search and lists need) and details.js (SQL and lineage) into dir; mask
// removes secrets from the data. The data are scripts setting globals, so
// the site works from file:// where fetch() cannot read local files.
func Write(dir string, s Site, mask func(string) string) (Stats, error) {
	data := build(s)
	details := make([]pageDetail, len(data.Nodes))
	for i := range data.Nodes {
		n := &data.Nodes[i]
		details[i] = pageDetail{Raw: n.Raw, SQL: n.SQL, Lineage: n.Lineage}
		n.Raw, n.SQL, n.Lineage = "", "", nil
		if n.Type == compiler.Test {
			n.FQN = nil
		}
	}
	// The two scripts are encoded at once: at 100,000 models they are
	// 170 MB and 50 MB of JSON, and encoding/json works on one core.
	var js, detailsJS []byte
	var jsErr, detailsErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		detailsJS, detailsErr = script("window.KILN_DETAILS = ", details, mask)
	}()
	js, jsErr = script("window.KILN_DOCS = ", data, mask)
	wg.Wait()
	if err := cmp.Or(jsErr, detailsErr); err != nil {
		return Stats{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, err
	}
	files := map[string][]byte{"data.js": js, "details.js": detailsJS}
	for _, name := range []string{"index.html", "app.js", "style.css"} {
		c, err := fs.ReadFile(assets, "assets/"+name)
		if err != nil {
			return Stats{}, err
		}
		files[name] = c
	}
	for name, c := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p+".tmp", c, 0o644); err != nil {
			return Stats{}, err
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			return Stats{}, err
		}
	}
	return Stats{Nodes: len(data.Nodes), GraphNodes: len(data.Graph.Nodes), Edges: len(data.Graph.Edges) / 2, DataBytes: len(js) + len(detailsJS)}, nil
}

// script is `prefix<v as JSON, masked>;\n`, copied once: building it
// from strings copied a large site's data three times.
func script(prefix string, v any, mask func(string) string) ([]byte, error) {
	// json.Marshal escapes < > &, so no string can close the script.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// b is not changed after this; mask returns it or a new string.
	masked := mask(unsafe.String(unsafe.SliceData(b), len(b)))
	out := make([]byte, 0, len(prefix)+len(masked)+2)
	out = append(append(append(out, prefix...), masked...), ";\n"...)
	return out, nil
}

type runResult struct {
	UniqueID      string  `json:"unique_id"`
	Status        string  `json:"status"`
	Message       string  `json:"message,omitempty"`
	Failures      int64   `json:"failures"`
	ExecutionTime float64 `json:"execution_time"`
	CompletedAt   string  `json:"completed_at,omitempty"`
	RowsAffected  int64   `json:"rows_affected"`
}

func build(s Site) *pageData {
	m := s.Manifest
	all := m.All()
	index := make(map[string]int, len(all))
	for i, n := range all {
		index[n.UniqueID] = i
	}
	runs := map[string]runResult{}
	generatedRun := ""
	if len(s.RunResults) > 0 {
		var rr struct {
			Metadata map[string]any `json:"metadata"`
			Results  []runResult    `json:"results"`
		}
		if json.Unmarshal(s.RunResults, &rr) == nil {
			for _, r := range rr.Results {
				runs[r.UniqueID] = r
			}
			generatedRun, _ = rr.Metadata["generated_at"].(string)
		}
	}
	fresh := map[string]map[string]any{}
	if len(s.Freshness) > 0 {
		var sr struct {
			Results []map[string]any `json:"results"`
		}
		if json.Unmarshal(s.Freshness, &sr) == nil {
			for _, r := range sr.Results {
				if id, ok := r["unique_id"].(string); ok {
					fresh[id] = r
				}
			}
		}
	}
	catalogOf := func(id string) *CatalogNode {
		if s.Catalog == nil {
			return nil
		}
		if c := s.Catalog.Nodes[id]; c != nil {
			return c
		}
		return s.Catalog.Sources[id]
	}
	d := &pageData{Project: m.Metadata.ProjectName, GeneratedAt: time.Now().UTC().Format(time.RFC3339), Adapter: m.Metadata.AdapterType, Overview: s.Overview}
	d.Nodes = make([]pageNode, len(all))
	d.Search = make([]string, len(all))
	testsOf := map[string][]int{}
	for i, n := range all {
		if n.ResourceType == compiler.Test {
			for _, p := range n.DependsOn {
				if _, ok := index[p]; ok {
					testsOf[p] = append(testsOf[p], i)
				}
			}
		}
	}
	for i, n := range all {
		p := pageNode{ID: n.UniqueID, Name: n.Name, Type: n.ResourceType, Package: n.PackageName, Path: n.Path, FQN: n.FQN,
			Desc: n.Description, Tags: n.Tags, Meta: n.Meta, Relation: n.RelationName, Raw: n.RawSQL, SQL: n.CompiledSQL, G: -1}
		if n.ResourceType != compiler.Test {
			p.Layer = layerOf(n)
		}
		if n.ResourceType == compiler.Model || n.ResourceType == compiler.Seed || n.ResourceType == compiler.Snapshot {
			p.Mat = n.Materialized()
			p.Config = shownConfig(n)
		}
		for _, id := range m.Parents(n.UniqueID) {
			if j, ok := index[id]; ok {
				p.Up = append(p.Up, j)
			}
		}
		for _, id := range m.Children(n.UniqueID) {
			if j, ok := index[id]; ok && all[j].ResourceType != compiler.Test {
				p.Down = append(p.Down, j)
			}
		}
		p.Tests = testsOf[n.UniqueID]
		if r, ok := runs[n.UniqueID]; ok {
			p.Run = r
		}
		if f, ok := fresh[n.UniqueID]; ok {
			p.Fresh = f
		}
		if n.Freshness != nil {
			p.SLA = n.Freshness
		}
		p.Loaded = n.LoadedAtField
		p.Src = n.SourceName
		if n.ResourceType == compiler.Exposure {
			p.Exposure = map[string]any{"type": n.ExposureType, "owner": n.Owner, "url": n.URL, "maturity": n.Maturity}
		}
		if n.ResourceType == compiler.Test {
			t := map[string]any{"column": n.ColumnName}
			if n.TestMetadata != nil {
				t["name"] = n.TestMetadata.Name
				t["kwargs"] = n.TestMetadata.Kwargs
			}
			if j, ok := index[n.AttachedNode]; ok {
				t["attached"] = j
			}
			p.Test = t
		}
		// Columns: the catalog's order and types, then documented ones the
		// warehouse does not have.
		seen := map[string]int{}
		if c := catalogOf(n.UniqueID); c != nil {
			for _, cc := range c.OrderedColumns() {
				seen[strings.ToLower(cc.Name)] = len(p.Columns)
				p.Columns = append(p.Columns, pageColumn{Name: cc.Name, Type: cc.Type})
			}
		}
		for _, dc := range n.Columns {
			k, ok := seen[strings.ToLower(dc.Name)]
			if !ok {
				k = len(p.Columns)
				seen[strings.ToLower(dc.Name)] = k
				p.Columns = append(p.Columns, pageColumn{Name: dc.Name, Type: dc.DataType})
			}
			p.Columns[k].Desc = dc.Description
		}
		for _, ti := range p.Tests {
			if k, ok := seen[strings.ToLower(all[ti].ColumnName)]; ok && all[ti].ColumnName != "" {
				p.Columns[k].Tests = append(p.Columns[k].Tests, ti)
			}
		}
		if l := s.Lineage[n.UniqueID]; l != nil {
			pl := &pageLineage{Error: l.Error}
			for _, c := range l.Columns {
				pc := pageColLineage{Name: c.Name, Derived: c.Derived, Untraced: c.Untraced}
				for _, src := range c.Sources {
					if j, ok := index[src.Node]; ok {
						pc.Sources = append(pc.Sources, [2]any{j, src.Column})
					}
				}
				pl.Columns = append(pl.Columns, pc)
				// Columns the warehouse has not built yet are known from
				// the SQL.
				if _, ok := seen[strings.ToLower(c.Name)]; !ok && c.Name != "*" {
					seen[strings.ToLower(c.Name)] = len(p.Columns)
					p.Columns = append(p.Columns, pageColumn{Name: c.Name})
				}
			}
			p.Lineage = pl
		}
		var cols []string
		for _, c := range p.Columns {
			cols = append(cols, c.Name)
		}
		d.Search[i] = strings.ToLower(n.Name + "\x1f" + strings.Join(cols, " ") + "\x1f" + n.Description)
		d.Nodes[i] = p
	}
	_ = generatedRun

	// The graph: every node but tests.
	var gnodes []int
	for i, n := range all {
		if n.ResourceType != compiler.Test {
			d.Nodes[i].G = len(gnodes)
			gnodes = append(gnodes, i)
		}
	}
	parents := make([][]int, len(gnodes))
	for g, i := range gnodes {
		for _, j := range d.Nodes[i].Up {
			if pg := d.Nodes[j].G; pg >= 0 {
				parents[g] = append(parents[g], pg)
				d.Graph.Edges = append(d.Graph.Edges, pg, g)
			}
		}
	}
	var order []int
	for _, id := range m.Order {
		if i, ok := index[id]; ok && d.Nodes[i].G >= 0 {
			order = append(order, d.Nodes[i].G)
		}
	}
	if len(order) != len(gnodes) { // a cycle: fall back to id order
		order = order[:0]
		for g := range gnodes {
			order = append(order, g)
		}
	}
	xs, ys := layout(len(gnodes), parents, order, func(g int) string { return all[gnodes[g]].Name })
	d.Graph.Nodes, d.Graph.X, d.Graph.Y = gnodes, xs, ys
	d.Graph.W, d.Graph.H = NodeWidth, NodeHeight
	if d.Graph.Edges == nil {
		d.Graph.Edges = []int{}
	}
	return d
}

// shownConfig is the configuration a reader cares about.
func shownConfig(n *compiler.Node) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"materialized", "incremental_strategy", "unique_key", "event_time", "arrival_time", "lookback",
		"on_schema_change", "incremental_predicates", "batch_size", "begin", "schema", "database", "alias", "owner", "strategy",
		"updated_at", "check_cols", "full_refresh", "enabled", "persist_docs", "grants", "contract"} {
		if v, ok := n.Config[k]; ok && v != nil && v != "" {
			out[k] = v
		}
	}
	if n.Incremental != nil {
		out["incremental"] = n.Incremental
	}
	return out
}

// layerOf names the layer a node belongs to, from its folder or name.
func layerOf(n *compiler.Node) string {
	switch n.ResourceType {
	case compiler.Source, compiler.Exposure, compiler.Seed, compiler.Snapshot:
		return n.ResourceType
	}
	parts := append([]string(nil), n.FQN...)
	if len(parts) > 0 {
		parts = parts[:len(parts)-1]
	}
	for i := len(parts) - 1; i >= 0; i-- {
		switch strings.ToLower(parts[i]) {
		case "staging", "stg", "stage":
			return "staging"
		case "intermediate", "int":
			return "intermediate"
		case "core", "facts", "dimensions":
			return "core"
		case "marts", "mart", "reporting":
			return "marts"
		}
	}
	switch name := strings.ToLower(n.Name); {
	case strings.HasPrefix(name, "stg_"):
		return "staging"
	case strings.HasPrefix(name, "int_"):
		return "intermediate"
	case strings.HasPrefix(name, "fct_"), strings.HasPrefix(name, "fact_"), strings.HasPrefix(name, "dim_"):
		return "core"
	case strings.HasPrefix(name, "mart_"), strings.HasPrefix(name, "rpt_"):
		return "marts"
	}
	return "other"
}

var docsBlock = regexp.MustCompile(`(?s)\{%-?\s*docs\s+__overview__\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}`)

// FindOverview returns the project's overview: a {% docs __overview__ %}
// block in any .md file, else README.md, else "".
func FindOverview(fsys fs.FS) string {
	var found string
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || found != "" {
			return nil
		}
		if d.IsDir() {
			switch d.Name() {
			case "target", "dbt_packages", "node_modules", "logs", ".git":
				return fs.SkipDir
			}
			return nil
		}
		if path.Ext(p) != ".md" {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err == nil {
			if m := docsBlock.FindSubmatch(b); m != nil {
				found = strings.TrimSpace(string(m[1]))
			}
		}
		return nil
	})
	if found != "" {
		return found
	}
	for _, name := range []string{"README.md", "readme.md", "README"} {
		if b, err := fs.ReadFile(fsys, name); err == nil {
			return string(b)
		}
	}
	return ""
}
