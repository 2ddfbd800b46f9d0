package selector

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Definitions are the named selectors of selectors.yml.
type Definitions struct {
	byName      map[string]expr
	names       []string
	defaultName string
}

// Names lists the defined selectors, sorted.
func (d *Definitions) Names() []string { return append([]string(nil), d.names...) }

// Default is the name of the selector marked default: true, or "".
func (d *Definitions) Default() string { return d.defaultName }

// ParseSelectors reads the already-decoded selectors.yml document doc (a
// map with a "selectors" list, or the list itself) as dbt does:
//
//	selectors:
//	  - name: nightly
//	    default: true
//	    definition:
//	      union:
//	        - "tag:nightly"                            # selector syntax
//	        - method: path                             # method dict
//	          value: models/marts
//	          children: true
//	        - tag: hourly                              # key-value shorthand
//	        - intersection: ["tag:finance", "+fct_orders"]
//	        - exclude: [{method: selector, value: slow}] # another definition
//
// Problems are reported against file, at the line and column locate gives
// for their place in the document (nil: the file alone), and named by
// their key path.
func ParseSelectors(file string, doc any, locate Locator) (*Definitions, diag.Diagnostics) {
	p := &defParser{file: file, locate: locate}
	defs := &Definitions{byName: map[string]expr{}}
	root := place{}
	list, ok := doc.([]any)
	if m, isMap := doc.(map[string]any); isMap {
		p.strictKeys(root, m, "selectors")
		list, ok = m["selectors"].([]any)
		root = root.field("", "selectors")
	}
	if !ok {
		p.errorf(root, "", "expected a list under \"selectors\"")
		return defs, p.ds
	}
	for i, item := range list {
		pl := root.index("selectors", i)
		m, isMap := item.(map[string]any)
		if !isMap {
			p.errorf(pl, "", "expected a map with name and definition")
			continue
		}
		p.strictKeys(pl, m, "name", "description", "default", "definition")
		name, _ := m["name"].(string)
		if name == "" {
			p.errorf(pl, "", "selector has no name")
			continue
		}
		at := fmt.Sprintf("selector %q", name)
		if defs.byName[name] != nil {
			p.errorf(pl.field(at, "name"), "", "selector %q is defined twice", name)
			continue
		}
		if d, isBool := m["default"].(bool); isBool && d {
			if defs.defaultName != "" {
				p.errorf(pl.field(at, "default"), "", "selectors %q and %q are both marked default", defs.defaultName, name)
			}
			defs.defaultName = name
		}
		def, present := m["definition"]
		if !present {
			p.errorf(place{at, pl.path}, "", "selector %q has no definition", name)
			continue
		}
		if x := p.expr(pl.field(at+" definition", "definition"), def); x != nil {
			defs.byName[name] = x
			defs.names = append(defs.names, name)
		}
	}
	sort.Strings(defs.names)
	return defs, p.ds
}

// Locator gives the position in the selectors document of the value at
// path (map keys as strings, list indexes as ints); a path ending in a Key
// is the position of that key itself. ok is false when there is none.
type Locator func(path []any) (line, col int, ok bool)

// Key names a map key itself in a Locator path, rather than its value.
type Key string

type defParser struct {
	file   string
	locate Locator
	ds     diag.Diagnostics
}

// place is where in the document a problem is: a key path for the
// message and a structural path for the position.
type place struct {
	at   string
	path []any
}

func (pl place) key(k string) place { return place{pl.at, with(pl.path, Key(k))} }
func (pl place) index(at string, i int) place {
	return place{fmt.Sprintf("%s[%d]", at, i), with(pl.path, i)}
}
func (pl place) field(at, k string) place { return place{at, with(pl.path, k)} }

func with(path []any, elem any) []any {
	return append(append(make([]any, 0, len(path)+1), path...), elem)
}

func (p *defParser) pos(pl place) diag.Pos {
	pos := diag.Pos{File: p.file}
	if p.locate == nil {
		return pos
	}
	// The nearest enclosing place that is in the document: a shorthand's
	// implied "value" key is not.
	for path := pl.path; ; path = path[:len(path)-1] {
		if line, col, ok := p.locate(path); ok {
			pos.Line, pos.Col = line, col
			return pos
		}
		if len(path) == 0 {
			return pos
		}
	}
}

func (p *defParser) errorf(pl place, hint, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if pl.at != "" {
		msg = pl.at + ": " + msg
	}
	p.ds.Errorf(p.pos(pl), hint, "%s", msg)
}

func (p *defParser) strictKeys(pl place, m map[string]any, allowed ...string) bool {
	ok := true
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(allowed, k) {
			p.errorf(pl.key(k), diag.DidYouMean(k, allowed), "unknown key %q", k)
			ok = false
		}
	}
	return ok
}

var methodDictKeys = []string{"method", "value", "parents", "parents_depth", "children", "children_depth", "childrens_parents", "indirect_selection", "description"}

func (p *defParser) expr(pl place, v any) expr {
	switch v := v.(type) {
	case string:
		return p.selectorString(pl, v)
	case map[string]any:
		for _, op := range []string{"union", "intersection"} {
			if items, present := v[op]; present {
				p.strictKeys(pl, v, op)
				return p.set(pl.field(pl.at+"."+op, op), op == "intersection", items)
			}
		}
		if _, present := v["method"]; present {
			return p.methodDict(pl, v)
		}
		if len(v) == 1 {
			for k, val := range v {
				if k == "exclude" {
					p.errorf(pl.key(k), "put it in a union or intersection list", "exclude must be an item of a union or intersection")
					return nil
				}
				return p.methodDict(pl, map[string]any{"method": k, "value": val})
			}
		}
		p.errorf(pl, "", "expected union, intersection, method, or one method: value pair")
	default:
		p.errorf(pl, "", "expected a selector string or a map, got %s", describe(v))
	}
	return nil
}

func (p *defParser) set(pl place, intersect bool, v any) expr {
	items, ok := v.([]any)
	if !ok {
		p.errorf(pl, "", "expected a list, got %s", describe(v))
		return nil
	}
	s := &setExpr{intersect: intersect}
	for i, it := range items {
		ipl := pl.index(pl.at, i)
		if m, isMap := it.(map[string]any); isMap && len(m) == 1 && m["exclude"] != nil {
			ex := m["exclude"]
			expl := ipl.field(ipl.at+".exclude", "exclude")
			exItems, isList := ex.([]any)
			for k, e := range exItems {
				if x := p.expr(expl.index(expl.at, k), e); x != nil {
					s.exclude = append(s.exclude, x)
				}
			}
			if !isList {
				if x := p.expr(expl, ex); x != nil {
					s.exclude = append(s.exclude, x)
				}
			}
			continue
		}
		if x := p.expr(ipl, it); x != nil {
			s.items = append(s.items, x)
		}
	}
	if len(s.items) == 0 {
		p.errorf(pl, "", "needs at least one item besides exclude")
		return nil
	}
	return s
}

func (p *defParser) selectorString(pl place, s string) expr {
	spec, ds := Parse(p.file, s)
	pos := p.pos(pl)
	for _, d := range ds {
		p.ds.Append(diag.Diagnostic{Severity: d.Severity, Pos: pos, Summary: fmt.Sprintf("%s: %q column %d: %s", pl.at, s, d.Pos.Col, d.Summary), Hint: d.Hint})
	}
	if ds.HasErrors() || len(spec.Groups) == 0 {
		if len(spec.Groups) == 0 && !ds.HasErrors() {
			p.errorf(pl, "", "empty selector")
		}
		return nil
	}
	for _, g := range spec.Groups {
		for k := range g {
			g[k].Pos = pos
		}
	}
	return specExpr(spec)
}

// methodDict builds an atom from {method, value, parents, ...} by writing it
// in selector syntax, so both forms share one parser and its checks.
func (p *defParser) methodDict(pl place, m map[string]any) expr {
	if !p.strictKeys(pl, m, methodDictKeys...) {
		return nil
	}
	method, ok := m["method"].(string)
	if !ok || method == "" {
		p.errorf(pl.field(pl.at, "method"), "", "method must be a string")
		return nil
	}
	value, ok := scalar(m["value"])
	if !ok || value == "" {
		p.errorf(pl, "", "method %q needs a value", method)
		return nil
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		p.errorf(pl.field(pl.at, "value"), "use a union or intersection list", "value %q must be a single criterion", value)
		return nil
	}
	var b strings.Builder
	flag := func(key string) bool {
		v, present := m[key]
		if !present {
			return false
		}
		t, isBool := v.(bool)
		if !isBool {
			p.errorf(pl.field(pl.at, key), "", "%s must be true or false", key)
		}
		return t
	}
	depthOf := func(key string) string {
		v, present := m[key]
		if !present {
			return ""
		}
		s, ok := scalar(v)
		if n, err := strconv.Atoi(s); !ok || err != nil || n < 0 {
			p.errorf(pl.field(pl.at, key), "", "%s must be a whole number", key)
			return ""
		}
		return s
	}
	if flag("childrens_parents") {
		b.WriteByte('@')
	}
	pd := depthOf("parents_depth")
	if flag("parents") || pd != "" {
		b.WriteString(pd + "+")
	}
	b.WriteString(method + ":" + value)
	cd := depthOf("children_depth")
	if flag("children") || cd != "" {
		b.WriteString("+" + cd)
	}
	return p.selectorString(pl, b.String())
}

func scalar(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int, int64, uint64, float64, bool:
		return fmt.Sprint(v), true
	}
	return "", false
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "nothing"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
