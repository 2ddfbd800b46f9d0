package compiler

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
	"github.com/kiln-build/kiln/compiler/yamlspec"
)

// SnapshotPlan is how a snapshot versions its source (dbt's snapshot
// configs, checked). The source query is the node's CompiledSQL.
type SnapshotPlan struct {
	Strategy  string   `json:"strategy"` // timestamp, check
	UniqueKey []string `json:"unique_key"`
	// UpdatedAt is the timestamp strategy's column (optional with check,
	// which otherwise stamps versions with the run's time).
	UpdatedAt string `json:"updated_at,omitempty"`
	// CheckCols are the check strategy's columns; CheckAll compares every
	// source column instead, resolved at run time.
	CheckCols []string `json:"check_cols,omitempty"`
	CheckAll  bool     `json:"check_all,omitempty"`
	// HardDeletes is ignore, invalidate or new_record.
	HardDeletes string `json:"hard_deletes"`
	// ValidToCurrent is dbt_valid_to_current: a SQL expression current
	// rows carry instead of NULL.
	ValidToCurrent string `json:"dbt_valid_to_current,omitempty"`
	// DeleteCondition marks source rows that are deletes (Fivetran's
	// _fivetran_deleted): they are left out of the source, so hard_deletes
	// treats their keys as deleted.
	DeleteCondition string `json:"delete_condition,omitempty"`
}

var (
	snapshotStrategies  = []string{"timestamp", "check"}
	snapshotHardDeletes = []string{"ignore", "invalidate", "new_record"}
)

// snapshotDecl is where a snapshot is declared: a {% snapshot %} block of
// a snapshots/*.sql file, or a snapshots: entry with relation: in a
// property file. Errors point into it.
type snapshotDecl struct {
	idx  int // index into c.models
	file string
	// SQL blocks: the file with everything outside the block's body
	// blanked (so positions stay right), the body's range and the tag.
	src                []byte
	bodyStart, bodyEnd int
	tagPos             diag.Pos
	yaml               *yamlspec.Snapshot // the YAML entry that defines or describes it
	yamlFile           string
	relation           string // YAML-defined: ref('x') or source('a', 'b')
	yamlCfgPos         map[string]diag.Pos
	yamlCfgAnchor      diag.Pos
	hasYAMLCfg         bool
}

// snapshotTag matches {% snapshot name %} and {% endsnapshot %}, with
// whitespace control.
var snapshotTag = regexp.MustCompile(`\{%-?\s*(snapshot|endsnapshot)\b\s*([^%]*?)\s*-?%\}`)

var jinjaComment = regexp.MustCompile(`(?s)\{#.*?#\}`)

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// snapshotBlock is one {% snapshot %} ... {% endsnapshot %} in a file.
type snapshotBlock struct {
	name                string
	tagStart, bodyStart int
	bodyEnd             int
}

// snapshotBlocks finds the snapshot blocks of a file; problems are
// reported with their offsets.
func snapshotBlocks(file string, src []byte) ([]snapshotBlock, diag.Diagnostics) {
	// Tags inside comments do not count: scan a copy with comments blanked.
	scan := jinjaComment.ReplaceAllFunc(src, blank)
	var out []snapshotBlock
	var ds diag.Diagnostics
	var open *snapshotBlock
	for _, m := range snapshotTag.FindAllSubmatchIndex(scan, -1) {
		kind := string(scan[m[2]:m[3]])
		arg := string(scan[m[4]:m[5]])
		pos := diag.Pos{File: file, Offset: m[0]}
		if kind == "snapshot" {
			if open != nil {
				ds.Errorf(pos, "close the previous block with {% endsnapshot %} first", "snapshot blocks cannot be nested")
				continue
			}
			if !identRe.MatchString(arg) {
				ds.Errorf(pos, "write {% snapshot orders_snapshot %}", "invalid snapshot name %q", arg)
			}
			open = &snapshotBlock{name: arg, tagStart: m[0], bodyStart: m[1]}
			continue
		}
		if open == nil {
			ds.Errorf(pos, "open the block with {% snapshot name %}", "{%% endsnapshot %%} without a matching {%% snapshot %%}")
			continue
		}
		open.bodyEnd = m[0]
		out = append(out, *open)
		open = nil
	}
	if open != nil {
		ds.Errorf(diag.Pos{File: file, Offset: open.tagStart}, "end the block with {% endsnapshot %}", "snapshot '%s' is not closed", open.name)
	}
	if len(out) == 0 && len(ds) == 0 {
		ds.Errorf(diag.Pos{File: file, Line: 1, Col: 1}, "wrap the query in {% snapshot name %} ... {% endsnapshot %}", "no {%% snapshot %%} block in %s", file)
	}
	return out, ds
}

// blank replaces every byte but line breaks with a space, so offsets and
// line numbers stay where they were.
func blank(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c == '\n' || c == '\r' {
			out[i] = c
		} else {
			out[i] = ' '
		}
	}
	return out
}

// declareSnapshots creates a node for every snapshot block of the
// snapshot files and every snapshots: entry with a relation:, so ref()
// can name them, and attaches the YAML entries that describe a block.
func (c *compilation) declareSnapshots(files []string, props []propertyFile) []*snapshotDecl {
	var decls []*snapshotDecl
	add := func(n *Node, d *snapshotDecl) bool {
		if prev, dup := c.byName[n.Name]; dup {
			c.errorf(n.Pos, fmt.Sprintf("another node named '%s' is declared in %s; rename one of them", n.Name, c.models[prev].node.Path), "duplicate node name '%s'", n.Name)
			return false
		}
		d.idx = len(c.models)
		c.byName[n.Name] = d.idx
		c.models = append(c.models, &refable{node: n})
		c.modelNames = append(c.modelNames, n.Name)
		decls = append(decls, d)
		return true
	}
	for _, f := range files {
		src, ok := c.readFile(f)
		if !ok {
			continue
		}
		blocks, ds := snapshotBlocks(f, src)
		c.addDiags(ds)
		fileFQN := c.fqn(f, c.project.SnapshotPaths)
		for _, b := range blocks {
			body := make([]byte, len(src))
			copy(body, blank(src))
			copy(body[b.bodyStart:b.bodyEnd], src[b.bodyStart:b.bodyEnd])
			pos := diag.Pos{File: f, Offset: b.tagStart}
			n := &Node{
				UniqueID: "snapshot." + c.project.Name + "." + b.name, ResourceType: Snapshot, Name: b.name,
				PackageName: c.project.Name, Path: f, FQN: append(append([]string{}, fileFQN...), b.name),
				RawSQL: string(src[b.bodyStart:b.bodyEnd]), Checksum: checksum(src[b.bodyStart:b.bodyEnd]), Pos: pos,
			}
			add(n, &snapshotDecl{file: f, src: body, bodyStart: b.bodyStart, bodyEnd: b.bodyEnd, tagPos: pos})
		}
	}
	// YAML: entries with relation: define a snapshot (dbt 1.9); entries
	// without one describe a block.
	described := map[string]diag.Pos{}
	for _, pf := range props {
		if pf.props == nil {
			continue
		}
		for _, s := range pf.props.Snapshots {
			if s == nil {
				continue
			}
			var d *snapshotDecl
			if strings.TrimSpace(s.Relation) != "" {
				fqn := c.fqn(pf.path, append(append([]string{}, c.project.SnapshotPaths...), c.project.ModelPaths...))
				fqn[len(fqn)-1] = s.Name
				n := &Node{
					UniqueID: "snapshot." + c.project.Name + "." + s.Name, ResourceType: Snapshot, Name: s.Name,
					PackageName: c.project.Name, Path: pf.path, FQN: fqn, Checksum: checksum([]byte(s.Relation)), Pos: s.Pos,
				}
				d = &snapshotDecl{file: pf.path, relation: strings.TrimSpace(s.Relation), tagPos: s.Pos}
				if !add(n, d) {
					continue
				}
			} else {
				idx, ok := c.byName[s.Name]
				if !ok || c.models[idx].node.ResourceType != Snapshot {
					hint := diag.DidYouMean(s.Name, c.modelNames)
					if hint == "" {
						hint = "define it with relation: ref('model') and a config:, or in a {% snapshot %} block of snapshots/*.sql"
					}
					c.errorf(s.Pos, hint, "snapshots: entry '%s' has no relation: and matches no snapshot block", s.Name)
					continue
				}
				if prev, dup := described[s.Name]; dup {
					c.errorf(s.Pos, "describe each snapshot in one place", "snapshot '%s' is already described in %s", s.Name, prev.File)
					continue
				}
				for _, x := range decls {
					if x.idx == idx {
						d = x
					}
				}
			}
			described[s.Name] = s.Pos
			d.yaml, d.yamlFile = s, pf.path
			r := c.models[d.idx]
			r.node.Description = s.Description
			r.node.Columns = columns(s.Columns)
			r.node.Meta = s.Meta
			r.yamlCfg = map[string]any{}
			for k, v := range s.Config.Values {
				r.yamlCfg[k] = v
			}
			d.yamlCfgPos = s.Config.KeyPos
			d.hasYAMLCfg = s.Config.Values != nil
			d.yamlCfgAnchor = s.Config.Pos
			if len(s.Tags) > 0 {
				mergeConfig(r.yamlCfg, "tags", []string(s.Tags))
			}
			if s.Meta != nil {
				mergeConfig(r.yamlCfg, "meta", s.Meta)
			}
		}
	}
	return decls
}

// renderSnapshots renders each snapshot's query once, with the globals
// models get.
func (c *compilation) renderSnapshots(decls []*snapshotDecl) {
	c.parallel(len(decls), func(i int) {
		d := decls[i]
		r := c.models[d.idx]
		if d.relation == "" {
			tmpl, ds := c.env.Compile(d.file, d.src)
			if ds.HasErrors() {
				c.addDiags(ds)
				return
			}
			out, err := c.render(tmpl, c.globals(d.idx, &r.call, false))
			if err != nil {
				c.addRenderError(d.file, err)
				return
			}
			r.tmpl, r.rendered = tmpl, out
			return
		}
		rel := d.relation
		if !strings.HasPrefix(rel, "{{") {
			rel = "{{ " + rel + " }}"
		}
		hint := "write relation: ref('orders') or relation: source('raw', 'orders')"
		tmpl, ds := c.env.CompileString(d.file, "select * from "+rel)
		if ds.HasErrors() {
			c.errorf(d.tagPos, hint, "snapshot '%s': cannot read relation %q", r.node.Name, d.relation)
			return
		}
		out, err := c.render(tmpl, c.globals(d.idx, &r.call, false))
		if err != nil {
			msg, h := err.Error(), hint
			if e, ok := err.(diag.Diagnostic); ok {
				msg = e.Summary
				if e.Hint != "" {
					h = e.Hint
				}
			}
			c.errorf(d.tagPos, h, "snapshot '%s': %s", r.node.Name, msg)
			return
		}
		if len(r.call.refs)+len(r.call.sources) != 1 {
			c.errorf(d.tagPos, hint, "snapshot '%s': relation %q names no model or source", r.node.Name, d.relation)
			return
		}
		r.node.RawSQL = "select * from " + rel
		r.rendered = out
	})
}

// finishSnapshots substitutes relations in each snapshot's query, records
// its dependencies and checks its configs (merged by finishModels).
func (c *compilation) finishSnapshots(decls []*snapshotDecl) {
	for _, d := range decls {
		r := c.models[d.idx]
		n := r.node
		sql := strings.TrimSpace(c.withCTEs(d.idx, r.rendered))
		n.CompiledSQL = strings.TrimSpace(strings.TrimRight(sql, "; \t\r\n"))
		c.recordDeps(r)
		n.Snapshot = c.snapshotPlan(d, r)
		if p := n.Snapshot; p != nil {
			p.DeleteCondition = n.ConfigString("delete_condition")
			for _, col := range n.Columns {
				if p.DeleteCondition == "" && strings.EqualFold(col.Name, "_fivetran_deleted") {
					p.DeleteCondition = col.Name
				}
			}
			if p.DeleteCondition != "" {
				n.CompiledSQL = c.dialect.Filter(n.CompiledSQL, []string{"not coalesce((" + p.DeleteCondition + "), false)"})
			}
		}
	}
}

// snapshotPlan reads and checks the snapshot configs of one snapshot.
func (c *compilation) snapshotPlan(d *snapshotDecl, r *refable) *SnapshotPlan {
	n := r.node
	p := &SnapshotPlan{HardDeletes: "ignore"}
	bad := false
	fail := func(key, hint, format string, args ...any) {
		c.errorf(c.snapshotConfigPos(d, r, key), hint, format, args...)
		bad = true
	}
	str := func(key string) string {
		v, ok := n.Config[key]
		if !ok || v == nil {
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			fail(key, fmt.Sprintf("write %s='...'", key), "%s must be a string, got %v", key, v)
		}
		return strings.TrimSpace(s)
	}
	p.Strategy = str("strategy")
	switch {
	case p.Strategy == "":
		fail("", "add strategy='timestamp' with updated_at='<column>', or strategy='check' with check_cols=[...]", "snapshot '%s' needs a strategy", n.Name)
	case !contains(snapshotStrategies, p.Strategy):
		fail("strategy", diag.DidYouMean(p.Strategy, snapshotStrategies)+" (strategies: timestamp, check)", "unknown snapshot strategy '%s'", p.Strategy)
	}
	switch k := n.Config["unique_key"].(type) {
	case nil:
	case string:
		for _, part := range strings.Split(k, ",") {
			if s := strings.TrimSpace(part); s != "" {
				p.UniqueKey = append(p.UniqueKey, s)
			}
		}
	default:
		p.UniqueKey = stringList(k)
	}
	if len(p.UniqueKey) == 0 {
		fail("", "add unique_key='id' (or a list of columns)", "snapshot '%s' needs a unique_key", n.Name)
	}
	p.UpdatedAt = str("updated_at")
	if p.Strategy == "timestamp" && p.UpdatedAt == "" {
		fail("strategy", "add updated_at='<column>', the column that changes when a row does", "snapshot '%s' with strategy timestamp needs updated_at", n.Name)
	}
	if p.Strategy == "check" {
		switch v := n.Config["check_cols"].(type) {
		case nil:
			fail("strategy", "add check_cols=['status', 'amount'] or check_cols='all'", "snapshot '%s' with strategy check needs check_cols", n.Name)
		case string:
			if strings.EqualFold(strings.TrimSpace(v), "all") {
				p.CheckAll = true
			} else {
				fail("check_cols", "write check_cols=['"+v+"'] or check_cols='all'", "check_cols must be a list of columns or 'all', got '%s'", v)
			}
		default:
			p.CheckCols = stringList(v)
			if len(p.CheckCols) == 0 {
				fail("check_cols", "list at least one column, or write check_cols='all'", "check_cols is empty")
			}
		}
	}
	if hd := str("hard_deletes"); hd != "" {
		if !contains(snapshotHardDeletes, hd) {
			fail("hard_deletes", diag.DidYouMean(hd, snapshotHardDeletes)+" (ignore, invalidate, new_record)", "unknown hard_deletes '%s'", hd)
		}
		p.HardDeletes = hd
	} else if v, ok := n.Config["invalidate_hard_deletes"].(bool); ok && v {
		p.HardDeletes = "invalidate"
	}
	p.ValidToCurrent = str("dbt_valid_to_current")
	if bad {
		return nil
	}
	return p
}

// snapshotConfigPos finds where a config of a snapshot is set: its
// config() call, its YAML entry, the project file; for a config that is
// missing (key ""), where configs are written.
func (c *compilation) snapshotConfigPos(d *snapshotDecl, r *refable, key string) diag.Pos {
	if key != "" {
		if _, ok := r.call.config[key]; ok && d.relation == "" {
			body := d.src[d.bodyStart:d.bodyEnd]
			re := regexp.MustCompile(`\b` + regexp.QuoteMeta(key) + `\s*=`)
			if loc := re.FindIndex(body); loc != nil {
				return diag.Pos{File: d.file, Offset: d.bodyStart + loc[0]}
			}
		}
		if p, ok := d.yamlCfgPos[key]; ok {
			return p
		}
		if p, ok := c.project.ConfigPos(Snapshot, r.node.FQN, key); ok {
			return p
		}
	}
	if d.relation == "" {
		if loc := regexp.MustCompile(`\bconfig\s*\(`).FindIndex(d.src[d.bodyStart:d.bodyEnd]); loc != nil {
			return diag.Pos{File: d.file, Offset: d.bodyStart + loc[0]}
		}
	}
	if d.hasYAMLCfg {
		return d.yamlCfgAnchor
	}
	return d.tagPos
}

// snapshotSchema is where a snapshot lives: target_schema and
// target_database (dbt's legacy configs) name them verbatim; otherwise
// schema and database apply as for models.
func snapshotSchema(n *Node, schema, db string) (string, string) {
	if s := n.ConfigString("target_schema"); s != "" {
		schema = s
	}
	if d := n.ConfigString("target_database"); d != "" {
		db = d
	}
	return schema, db
}
