package compiler

import (
	"fmt"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/dialect"
	"github.com/kiln-build/kiln/compiler/seedcsv"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// propertyFile is one decoded models/**/*.yml.
type propertyFile struct {
	path  string
	props *yamlspec.Properties
}

// loadProperties decodes every property file in parallel.
func (c *compilation) loadProperties(files []string) []propertyFile {
	out := make([]propertyFile, len(files))
	c.parallel(len(files), func(i int) {
		src, ok := c.readFile(files[i])
		if !ok {
			return
		}
		p, ds := yamlspec.LoadProperties(files[i], src)
		c.addDiags(ds)
		out[i] = propertyFile{path: files[i], props: p}
	})
	return out
}

// buildSources creates a node for every source table.
func (c *compilation) buildSources(props []propertyFile) {
	for _, pf := range props {
		if pf.props == nil {
			continue
		}
		for _, s := range pf.props.Sources {
			for _, t := range s.Tables {
				id := "source." + c.project.Name + "." + s.Name + "." + t.Name
				if _, dup := c.manifest.Sources[id]; dup {
					c.errorf(t.Pos, "each source table may be declared once", "source table '%s.%s' is declared twice", s.Name, t.Name)
					continue
				}
				schema := s.Schema
				if schema == "" {
					schema = s.Name
				}
				ident := t.Identifier
				if ident == "" {
					ident = t.Name
				}
				db := s.Database
				if db == "" && c.target.Type != "duckdb" {
					db = c.target.Database
				}
				rel := dialect.Relation{Database: db, Schema: schema, Identifier: ident}
				cfg := c.project.ConfigFor(Source, []string{c.project.Name, s.Name, t.Name})
				for k, v := range s.Config.Values {
					mergeConfig(cfg, k, v)
				}
				for k, v := range t.Config.Values {
					mergeConfig(cfg, k, v)
				}
				tags := unionStrings(unionStrings(stringList(cfg["tags"]), s.Tags), t.Tags)
				if tags == nil {
					tags = []string{}
				}
				n := &Node{
					UniqueID: id, ResourceType: Source, Name: t.Name, PackageName: c.project.Name,
					Path: pf.path, FQN: []string{c.project.Name, s.Name, t.Name}, Description: t.Description,
					Columns: columns(t.Columns), Tags: tags, Meta: mergeMeta(s.Meta, t.Meta), Config: cfg,
					DependsOn: []string{}, Relation: &rel, RelationName: c.dialect.Render(rel), SourceName: s.Name,
					LoadedAtField: firstNonEmpty(t.LoadedAtField, s.LoadedAtField), Pos: t.Pos,
				}
				n.Freshness = freshness(s.Freshness, t.Freshness)
				if loc := externalLocation(cfg, n.Meta); loc != "" {
					n.RelationName = c.externalRelation(loc)
				}
				c.manifest.Sources[id] = n
				c.sourceByName[s.Name+"."+t.Name] = n
			}
		}
	}
}

// externalLocation is where a source's files are (dbt-duckdb's
// external_location, as a config or in meta).
func externalLocation(cfg, meta map[string]any) string {
	if s, ok := cfg["external_location"].(string); ok {
		return s
	}
	s, _ := meta["external_location"].(string)
	return s
}

// externalRelation renders a file location as a relation: a table function
// when the location is a path (read_parquet, read_csv, read_json by
// extension), the text itself when it already is an expression. Relative
// paths resolve against the project directory (the runner sets DuckDB's
// file_search_path to it).
func (c *compilation) externalRelation(loc string) string {
	if strings.Contains(loc, "(") {
		return loc
	}
	lit := c.dialect.Literal(loc)
	lower := strings.ToLower(loc)
	switch {
	case strings.Contains(lower, ".csv"):
		return "read_csv(" + lit + ", union_by_name=true)"
	case strings.Contains(lower, ".json"):
		return "read_json(" + lit + ", union_by_name=true)"
	}
	return "read_parquet(" + lit + ", union_by_name=true)"
}

func freshness(src, tbl *yamlspec.Freshness) *Freshness {
	f := src
	if tbl != nil {
		f = tbl
	}
	if f == nil || f.Disabled || (f.WarnAfter == nil && f.ErrorAfter == nil) {
		return nil
	}
	out := &Freshness{Filter: f.Filter}
	if f.WarnAfter != nil {
		out.WarnAfter = &Period{Count: f.WarnAfter.Count, Period: f.WarnAfter.Period}
	}
	if f.ErrorAfter != nil {
		out.ErrorAfter = &Period{Count: f.ErrorAfter.Count, Period: f.ErrorAfter.Period}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func mergeMeta(ms ...map[string]any) map[string]any {
	var out map[string]any
	for _, m := range ms {
		for k, v := range m {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

func columns(cols []*yamlspec.Column) []Column {
	var out []Column
	for _, col := range cols {
		out = append(out, Column{Name: col.Name, Description: col.Description, DataType: col.DataType, Meta: col.Meta, Tags: col.Tags})
	}
	return out
}

// applyProperties attaches descriptions, columns and configs from property
// files to the models and seeds they name, and parses seed files.
func (c *compilation) applyProperties(props []propertyFile) {
	// Entries are matched in file order (so duplicates report stably) and
	// most are applied to their nodes afterwards, in parallel: each
	// touches only its own node. The matching is the part on one core:
	// it keeps to a lookup and an append per entry.
	type attachment struct {
		idx       int
		desc      string
		cols      []*yamlspec.Column
		cfg, meta map[string]any
		tags      []string
	}
	// Where each node is described, by node index (a name and a kind
	// name one node): a slice, as the matching runs on one core. Every
	// node is declared by now (declareModels, declareSnapshots).
	type description struct {
		at  diag.Pos
		set bool
	}
	described := make([]description, len(c.models))
	attach := func(kind, name string, pos diag.Pos, desc string, cols []*yamlspec.Column, cfg yamlspec.Config, meta map[string]any, tags []string) (attachment, bool) {
		idx, ok := c.byName[name]
		if !ok || c.models[idx].node.ResourceType != kind {
			hint := diag.DidYouMean(name, c.modelNames)
			if hint == "" {
				hint = fmt.Sprintf("create the %s file or remove this entry", kind)
			}
			c.diagsMu.Lock()
			c.diags.Warnf(pos, hint, "%ss: entry '%s' does not match any %s in the project", kind, name, kind)
			c.diagsMu.Unlock()
			return attachment{}, false
		}
		if prev := described[idx]; prev.set {
			c.errorf(pos, "describe each "+kind+" in one place", "%s '%s' is already described in %s", kind, name, prev.at.File)
			return attachment{}, false
		}
		described[idx] = description{pos, true}
		return attachment{idx, desc, cols, cfg.Values, meta, tags}, true
	}
	apply := func(a attachment) {
		r := c.models[a.idx]
		r.node.Description = a.desc
		r.node.Columns = columns(a.cols)
		r.node.Meta = a.meta
		r.yamlCfg = make(map[string]any, len(a.cfg))
		for k, v := range a.cfg {
			r.yamlCfg[k] = v
		}
		if len(a.tags) > 0 {
			mergeConfig(r.yamlCfg, "tags", []string(a.tags))
		}
		if a.meta != nil {
			mergeConfig(r.yamlCfg, "meta", a.meta)
		}
	}
	n := 0
	for _, pf := range props {
		if pf.props != nil {
			n += len(pf.props.Models) + len(pf.props.Seeds)
		}
	}
	attached := make([]attachment, 0, n)
	for _, pf := range props {
		if pf.props == nil {
			continue
		}
		for _, m := range pf.props.Models {
			if m.Versions != nil { // versioned: one node per version (dbtcompat.go)
				for _, v := range c.declareVersions(pf.path, m) {
					// The version's own config goes over the model's.
					if a, ok := attach(Model, v.file, m.Pos, m.Description, m.Columns, m.Config, m.Meta, m.Tags); ok {
						apply(a)
					}
					c.applyVersionConfig(v)
				}
				continue
			}
			if a, ok := attach(Model, m.Name, m.Pos, m.Description, m.Columns, m.Config, m.Meta, m.Tags); ok {
				attached = append(attached, a)
			}
		}
		for _, s := range pf.props.Seeds {
			if a, ok := attach(Seed, s.Name, s.Pos, s.Description, s.Columns, s.Config, s.Meta, s.Tags); ok {
				attached = append(attached, a)
			}
		}
	}
	c.parallel(len(attached), func(i int) { apply(attached[i]) })
	// Seeds: configs are known now, so parse the files (in parallel).
	c.parallel(len(c.models), func(i int) {
		r := c.models[i]
		n := r.node
		if n.ResourceType != Seed {
			return
		}
		src, ok := c.readFile(n.Path)
		if !ok {
			return
		}
		n.Checksum = checksum(src)
		cfg := c.project.ConfigFor(Seed, n.FQN)
		for k, v := range r.yamlCfg {
			mergeConfig(cfg, k, v)
		}
		overrides := map[string]string{}
		if ct, ok := cfg["column_types"].(map[string]any); ok {
			for k, v := range ct {
				overrides[k] = fmt.Sprint(v)
			}
		}
		seed, ds := seedcsv.Parse(n.Path, src, overrides)
		c.addDiags(ds)
		if seed != nil && !ds.HasErrors() {
			n.SeedData = &SeedData{Columns: seed.TypesFor(c.dialect), Rows: seed.Rows}
		}
	})
}
