package compiler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-build/kiln/compiler/jinja"
	"github.com/kiln-build/kiln/compiler/selector"
)

// State comparison (--state DIR): what a node recorded in an earlier
// manifest is compared with what it is now. The rule, documented in
// docs/ci.md, is that a node is modified only by a change that would change
// what it builds in *any* target:
//
//   - body: the raw file (Checksum), or the rendered SQL with every ref(),
//     source() and {{ this }} replaced by the node id it names and every
//     target.* value and run_started_at replaced by a fixed token
//     (BodyChecksum). Schema names, target.name and database never count.
//   - configs: the merged config, compared as canonical JSON.
//   - relation: the configured database, schema and alias (not the target's
//     schema they are combined with).
//   - persisted_descriptions: descriptions, when persist_docs asks for them.
//   - macros: a project macro the node calls, directly or through another
//     macro, changed or disappeared.

var (
	macroDefRE = regexp.MustCompile(`\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)`)
	macroEndRE = regexp.MustCompile(`\{%-?\s*endmacro\s*-?%\}`)
)

// macroBodies splits a macro file into macro name -> definition text.
func macroBodies(src string) map[string]string {
	out := map[string]string{}
	for _, loc := range macroDefRE.FindAllStringSubmatchIndex(src, -1) {
		name := src[loc[2]:loc[3]]
		rest := src[loc[0]:]
		end := macroEndRE.FindStringIndex(rest)
		if end == nil {
			out[name] = rest
			continue
		}
		out[name] = rest[:end[1]]
	}
	return out
}

// recordState fills macro checksums, each node's macro dependencies and the
// models' target-independent body checksums.
func (c *compilation) recordState() {
	if c.failed() || c.manifest == nil {
		return
	}
	for _, def := range c.macros.defs {
		id := "macro." + c.project.Name + "." + def.name
		if _, ok := c.manifest.Macros[id]; ok {
			c.manifest.Macros[id] = MacroInfo{Name: def.name, Path: def.file, Checksum: checksum([]byte(def.body))}
		}
	}
	if known := c.knownMacros; known != nil {
		calls := c.macros.calls
		closure := func(direct []string) []string {
			if len(direct) == 0 {
				return nil
			}
			stack := append([]string(nil), direct...)
			seen := map[string]bool{}
			for len(stack) > 0 {
				n := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if seen[n] {
					continue
				}
				seen[n] = true
				stack = append(stack, calls[n]...)
			}
			ids := make([]string, 0, len(seen))
			for n := range seen {
				ids = append(ids, "macro."+c.project.Name+"."+n)
			}
			sort.Strings(ids)
			return ids
		}
		// The nodes with SQL of their own: models (whose calls renderModel
		// found), snapshots and singular tests.
		c.parallel(len(c.models), func(i int) {
			r := c.models[i]
			switch {
			case r.node.ResourceType == Model:
				if r.node.RawSQL != "" {
					r.node.MacroDeps = closure(r.macroCalls)
				}
			case r.node.RawSQL != "":
				r.node.MacroDeps = closure(macroCalls(r.node.RawSQL, known))
			}
		})
		for _, n := range c.singular {
			n.MacroDeps = closure(macroCalls(n.RawSQL, known))
		}
	}
	// The models' ids in one array: a body names its refs by index, and
	// at 100,000 models reaching each id through its node was a chain of
	// cache misses.
	ids := make([]string, len(c.models))
	for i, r := range c.models {
		ids[i] = r.node.UniqueID
	}
	c.parallel(len(c.models), func(i int) {
		if r := c.models[i]; r.node.ResourceType == Model && r.compiled {
			r.node.BodyChecksum = checksum([]byte(c.normalizedBody(i, r, ids)))
		}
	})
}

// macroCalls lists, once each and in order of first use, the names in known
// that text calls: inside a Jinja tag ({{ }} or {% %}, not comments or raw
// blocks), an identifier followed by optional white space and "(". SQL
// outside the tags calls no macro, even a function named like one.
func macroCalls(text string, known map[string]bool) []string {
	var out []string
	jinja.TagCode(text, func(code string) { out = appendCalls(out, code, known) })
	return out
}

// appendCalls adds to out the names in known that code calls.
func appendCalls(out []string, code string, known map[string]bool) []string {
	for i := 0; i < len(code); {
		if !isWordByte(code[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(code) && isWordByte(code[j]) {
			j++
		}
		name := code[i:j]
		k := j
		for k < len(code) && (code[k] == ' ' || code[k] == '\t' || code[k] == '\n' || code[k] == '\r' || code[k] == '\f' || code[k] == '\v') {
			k++
		}
		if k < len(code) && code[k] == '(' && known[name] {
			out = appendUnique(out, name)
		}
		i = j
	}
	return out
}

// projectMacros is what the project's macro files say of the macros they
// define, read before the models render: their text, whom each calls, and
// which read target values or the clock, directly or through the macros
// they call.
type projectMacros struct {
	defs        []macroDef
	calls       map[string][]string
	readsTarget map[string]bool
}

type macroDef struct{ name, file, body string }

// scanMacros fills c.macros from the project's macro files.
func (c *compilation) scanMacros(macroFiles []string) {
	c.macros = projectMacros{calls: map[string][]string{}, readsTarget: map[string]bool{}}
	callers := map[string][]string{}
	var stack []string
	for _, f := range macroFiles {
		for name, body := range macroBodies(string(c.files[f])) {
			c.macros.defs = append(c.macros.defs, macroDef{name, f, body})
			if c.knownMacros != nil {
				c.macros.calls[name] = macroCalls(body, c.knownMacros)
				for _, callee := range c.macros.calls[name] {
					callers[callee] = append(callers[callee], name)
				}
			}
			if mentionsTarget(body) {
				stack = append(stack, name)
			}
		}
	}
	for len(stack) > 0 { // up the calls from the macros that mention target
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.macros.readsTarget[n] {
			continue
		}
		c.macros.readsTarget[n] = true
		stack = append(stack, callers[n]...)
	}
}

// readsTarget reports whether a model's text depends on the target: it
// mentions target or run_started_at, or calls a project macro that does
// (directly or through others). Only such models are rendered a second
// time for their body checksum, so only they keep their templates.
func (c *compilation) readsTarget(r *refable) bool {
	if r.mentionsTarget {
		return true
	}
	for _, m := range r.macroCalls {
		if c.macros.readsTarget[m] {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func mentionsTarget(text string) bool {
	return strings.Contains(text, "target") || strings.Contains(text, "run_started_at")
}

// normalizedBody is the model rendered without anything that depends on
// the target: refs, sources and this become node ids, target.* a token.
func (c *compilation) normalizedBody(i int, r *refable, ids []string) string {
	text := r.rendered
	srcIDs := r.call.srcIDs
	if c.readsTarget(r) { // renderModel kept its template for this
		var rc renderCall
		g := c.globals(i, &rc, false)
		t := map[string]any{}
		for k, v := range c.baseGlobals["target"].(map[string]any) {
			if _, isStr := v.(string); isStr && k != "type" {
				v = "__target_" + k + "__"
			}
			t[k] = v
		}
		g["target"] = t
		g["run_started_at"] = time.Time{}
		if out, err := c.render(r.tmpl, g); err == nil {
			text, srcIDs = out, rc.srcIDs
		}
	}
	for _, id := range srcIDs {
		if src, ok := c.manifest.Sources[id]; ok && src.RelationName != "" {
			text = strings.ReplaceAll(text, src.RelationName, "source("+id+")")
		}
	}
	var b strings.Builder
	b.Grow(len(text) + 64)
	for {
		k := strings.IndexByte(text, phMark)
		if k < 0 {
			b.WriteString(text)
			break
		}
		j := strings.IndexByte(text[k+1:], phMark)
		idx, err := strconv.Atoi(text[k+1 : k+1+max(j, 0)])
		if j < 0 || err != nil || idx < 0 || idx >= len(c.models) {
			b.WriteString(text[:k+1])
			text = text[k+1:]
			continue
		}
		b.WriteString(text[:k])
		b.WriteString("ref(")
		b.WriteString(ids[idx])
		b.WriteByte(')')
		text = text[k+2+j:]
	}
	return b.String()
}

// State is an earlier run read from --state DIR: its manifest, and when
// present its run_results.json and sources.json. It answers the state:,
// result: and source_status: selector methods.
type State struct {
	Manifest *Manifest
	// Results is each node's status in run_results.json.
	Results map[string]string
	// Freshness is each source's max_loaded_at in the state's sources.json;
	// Current the same from this project's target/sources.json.
	Freshness, Current map[string]time.Time

	macrosNow map[string]MacroInfo
}

var _ selector.StateChecker = (*State)(nil)

// LoadState reads the state folder stateFS; targetFS (may be nil) is this
// project's target folder, for source_status.
func LoadState(stateFS, targetFS fs.FS) (*State, error) {
	b, err := fs.ReadFile(stateFS, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("no manifest.json in the state folder: %w", err)
	}
	st := &State{Manifest: &Manifest{}, Results: map[string]string{}}
	if err := json.Unmarshal(b, st.Manifest); err != nil {
		return nil, fmt.Errorf("manifest.json in the state folder: %w", err)
	}
	if b, err := fs.ReadFile(stateFS, "run_results.json"); err == nil {
		var rr struct {
			Results []struct {
				UniqueID string `json:"unique_id"`
				Status   string `json:"status"`
			} `json:"results"`
		}
		if err := json.Unmarshal(b, &rr); err != nil {
			return nil, fmt.Errorf("run_results.json in the state folder: %w", err)
		}
		for _, r := range rr.Results {
			st.Results[r.UniqueID] = r.Status
		}
	}
	st.Freshness = readFreshness(stateFS)
	if targetFS != nil {
		st.Current = readFreshness(targetFS)
	}
	return st, nil
}

func readFreshness(fsys fs.FS) map[string]time.Time {
	b, err := fs.ReadFile(fsys, "sources.json")
	if err != nil {
		return nil
	}
	var sj struct {
		Results []struct {
			UniqueID    string `json:"unique_id"`
			MaxLoadedAt string `json:"max_loaded_at"`
		} `json:"results"`
	}
	if json.Unmarshal(b, &sj) != nil {
		return nil
	}
	out := map[string]time.Time{}
	for _, r := range sj.Results {
		if t, err := time.Parse(time.RFC3339Nano, r.MaxLoadedAt); err == nil {
			out[r.UniqueID] = t
		}
	}
	return out
}

// Check implements selector.StateChecker.
func (s *State) Check(method, value string, sn selector.Node) (bool, error) {
	v, ok := sn.(nodeView)
	if !ok {
		return false, nil
	}
	n := v.n
	switch method {
	case "result":
		return s.Results[n.UniqueID] == value, nil
	case "source_status":
		if value != "fresher" {
			return false, fmt.Errorf("unknown source_status %q (use fresher)", value)
		}
		if n.ResourceType != Source {
			return false, nil
		}
		if s.Current == nil {
			return false, fmt.Errorf("no target/sources.json: run 'kiln source freshness' first")
		}
		cur, ok := s.Current[n.UniqueID]
		if !ok {
			return false, nil
		}
		prev, had := s.Freshness[n.UniqueID]
		return !had || cur.After(prev), nil
	case "state":
		old, had := s.old(n)
		switch value {
		case "new":
			return !had, nil
		case "old":
			return had, nil
		case "unmodified":
			return had && len(Modifications(old, n, s.Manifest.Macros, s.macrosNow)) == 0, nil
		case "modified":
			return !had || len(Modifications(old, n, s.Manifest.Macros, s.macrosNow)) > 0, nil
		}
		aspect, isMod := strings.CutPrefix(value, "modified.")
		if !isMod {
			return false, fmt.Errorf("unknown state %q", value)
		}
		if !had {
			return true, nil
		}
		for _, m := range Modifications(old, n, s.Manifest.Macros, s.macrosNow) {
			if m == aspect {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("unknown method %q", method)
}

func (s *State) old(n *Node) (*Node, bool) {
	if o, ok := s.Manifest.Nodes[n.UniqueID]; ok {
		return o, true
	}
	if o, ok := s.Manifest.Sources[n.UniqueID]; ok {
		return o, true
	}
	o, ok := s.Manifest.Exposures[n.UniqueID]
	return o, ok
}

// Bind tells the state which manifest it is compared with (for macros).
func (s *State) Bind(m *Manifest) *State {
	s.macrosNow = m.Macros
	return s
}

// Modifications lists how node n differs from its earlier version old:
// "body", "configs", "relation", "persisted_descriptions", "macros".
func Modifications(old, n *Node, oldMacros, newMacros map[string]MacroInfo) []string {
	var out []string
	if bodyChanged(old, n) {
		out = append(out, "body")
	}
	if !sameJSON(old.Config, n.Config) {
		out = append(out, "configs")
	}
	if relationKey(old) != relationKey(n) {
		out = append(out, "relation")
	}
	if descriptionsChanged(old, n) {
		out = append(out, "persisted_descriptions")
	}
	for _, id := range n.MacroDeps {
		if oldMacros[id].Checksum != newMacros[id].Checksum {
			out = append(out, "macros")
			break
		}
	}
	return out
}

func bodyChanged(old, n *Node) bool {
	switch n.ResourceType {
	case Test:
		if n.TestMetadata != nil {
			return !sameJSON(old.TestMetadata, n.TestMetadata) || old.ColumnName != n.ColumnName
		}
	case Source:
		return old.LoadedAtField != n.LoadedAtField || !sameJSON(old.Freshness, n.Freshness)
	case Exposure:
		return !sameJSON([]any{old.DependsOn, old.URL, old.ExposureType, old.Owner}, []any{n.DependsOn, n.URL, n.ExposureType, n.Owner})
	}
	if old.Checksum != n.Checksum {
		return true
	}
	return old.BodyChecksum != "" && n.BodyChecksum != "" && old.BodyChecksum != n.BodyChecksum
}

// relationKey is the part of a relation a project decides: the configured
// database, schema and alias, not the target's schema they extend.
func relationKey(n *Node) string {
	if n.ResourceType == Source {
		if n.Relation == nil {
			return ""
		}
		return n.Relation.Schema + "." + n.Relation.Identifier
	}
	if n.Relation == nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"database", "schema", "alias", "target_database", "target_schema"} {
		parts = append(parts, n.ConfigString(k))
	}
	return strings.Join(parts, "\x00") + "\x00" + n.Relation.Identifier
}

func descriptionsChanged(old, n *Node) bool {
	pd, _ := n.Config["persist_docs"].(map[string]any)
	changed := false
	if b, _ := pd["relation"].(bool); b && old.Description != n.Description {
		changed = true
	}
	if b, _ := pd["columns"].(bool); b {
		desc := func(cols []Column) map[string]string {
			m := map[string]string{}
			for _, c := range cols {
				m[c.Name] = c.Description
			}
			return m
		}
		if !sameJSON(desc(old.Columns), desc(n.Columns)) {
			changed = true
		}
	}
	return changed
}

// sameJSON compares two values by their canonical JSON (maps have sorted
// keys; 3 and 3.0 print alike), so a decoded manifest compares with a
// compiled one.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	// Re-decode to normalize numbers and empty values.
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	ja, _ = json.Marshal(va)
	jb, _ = json.Marshal(vb)
	return bytes.Equal(ja, jb)
}
