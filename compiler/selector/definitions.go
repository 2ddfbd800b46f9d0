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
// Problems are reported against file; positions inside the document are
// named by their key path, since the decoded value has no line numbers.
func ParseSelectors(file string, doc any) (*Definitions, diag.Diagnostics) {
	p := &defParser{file: file}
	defs := &Definitions{byName: map[string]expr{}}
	list, ok := doc.([]any)
	if m, isMap := doc.(map[string]any); isMap {
		p.strictKeys("", m, "selectors")
		list, ok = m["selectors"].([]any)
	}
	if !ok {
		p.errorf("", "", "expected a list under \"selectors\"")
		return defs, p.ds
	}
	for i, item := range list {
		at := fmt.Sprintf("selectors[%d]", i)
		m, isMap := item.(map[string]any)
		if !isMap {
			p.errorf(at, "", "expected a map with name and definition")
			continue
		}
		p.strictKeys(at, m, "name", "description", "default", "definition")
		name, _ := m["name"].(string)
		if name == "" {
			p.errorf(at, "", "selector has no name")
			continue
		}
		at = fmt.Sprintf("selector %q", name)
		if defs.byName[name] != nil {
			p.errorf(at, "", "selector %q is defined twice", name)
			continue
		}
		if d, isBool := m["default"].(bool); isBool && d {
			if defs.defaultName != "" {
				p.errorf(at, "", "selectors %q and %q are both marked default", defs.defaultName, name)
			}
			defs.defaultName = name
		}
		def, present := m["definition"]
		if !present {
			p.errorf(at, "", "selector %q has no definition", name)
			continue
		}
		if x := p.expr(at+" definition", def); x != nil {
			defs.byName[name] = x
			defs.names = append(defs.names, name)
		}
	}
	sort.Strings(defs.names)
	return defs, p.ds
}

type defParser struct {
	file string
	ds   diag.Diagnostics
}

func (p *defParser) errorf(at, hint, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if at != "" {
		msg = at + ": " + msg
	}
	p.ds.Errorf(diag.Pos{File: p.file}, hint, "%s", msg)
}

func (p *defParser) strictKeys(at string, m map[string]any, allowed ...string) bool {
	ok := true
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !contains(allowed, k) {
			p.errorf(at, diag.DidYouMean(k, allowed), "unknown key %q", k)
			ok = false
		}
	}
	return ok
}

var methodDictKeys = []string{"method", "value", "parents", "parents_depth", "children", "children_depth", "childrens_parents", "indirect_selection", "description"}

func (p *defParser) expr(at string, v any) expr {
	switch v := v.(type) {
	case string:
		return p.selectorString(at, v)
	case map[string]any:
		for _, op := range []string{"union", "intersection"} {
			if items, present := v[op]; present {
				p.strictKeys(at, v, op)
				return p.set(at+"."+op, op == "intersection", items)
			}
		}
		if _, present := v["method"]; present {
			return p.methodDict(at, v)
		}
		if len(v) == 1 {
			for k, val := range v {
				if k == "exclude" {
					p.errorf(at, "put it in a union or intersection list", "exclude must be an item of a union or intersection")
					return nil
				}
				return p.methodDict(at, map[string]any{"method": k, "value": val})
			}
		}
		p.errorf(at, "", "expected union, intersection, method, or one method: value pair")
	default:
		p.errorf(at, "", "expected a selector string or a map, got %s", describe(v))
	}
	return nil
}

func (p *defParser) set(at string, intersect bool, v any) expr {
	items, ok := v.([]any)
	if !ok {
		p.errorf(at, "", "expected a list, got %s", describe(v))
		return nil
	}
	s := &setExpr{intersect: intersect}
	for i, it := range items {
		iat := fmt.Sprintf("%s[%d]", at, i)
		if m, isMap := it.(map[string]any); isMap && len(m) == 1 && m["exclude"] != nil {
			ex := m["exclude"]
			exItems, isList := ex.([]any)
			if !isList {
				exItems = []any{ex}
			}
			for k, e := range exItems {
				if x := p.expr(fmt.Sprintf("%s.exclude[%d]", iat, k), e); x != nil {
					s.exclude = append(s.exclude, x)
				}
			}
			continue
		}
		if x := p.expr(iat, it); x != nil {
			s.items = append(s.items, x)
		}
	}
	if len(s.items) == 0 {
		p.errorf(at, "", "needs at least one item besides exclude")
		return nil
	}
	return s
}

func (p *defParser) selectorString(at, s string) expr {
	spec, ds := Parse(p.file, s)
	for _, d := range ds {
		p.ds.Append(diag.Diagnostic{Severity: d.Severity, Pos: diag.Pos{File: p.file}, Summary: fmt.Sprintf("%s: %q column %d: %s", at, s, d.Pos.Col, d.Summary), Hint: d.Hint})
	}
	if ds.HasErrors() || len(spec.Groups) == 0 {
		if len(spec.Groups) == 0 && !ds.HasErrors() {
			p.errorf(at, "", "empty selector")
		}
		return nil
	}
	for _, g := range spec.Groups {
		for k := range g {
			g[k].Pos = diag.Pos{File: p.file}
		}
	}
	return specExpr(spec)
}

// methodDict builds an atom from {method, value, parents, ...} by writing it
// in selector syntax, so both forms share one parser and its checks.
func (p *defParser) methodDict(at string, m map[string]any) expr {
	if !p.strictKeys(at, m, methodDictKeys...) {
		return nil
	}
	method, ok := m["method"].(string)
	if !ok || method == "" {
		p.errorf(at, "", "method must be a string")
		return nil
	}
	value, ok := scalar(m["value"])
	if !ok || value == "" {
		p.errorf(at, "", "method %q needs a value", method)
		return nil
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		p.errorf(at, "use a union or intersection list", "value %q must be a single criterion", value)
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
			p.errorf(at, "", "%s must be true or false", key)
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
			p.errorf(at, "", "%s must be a whole number", key)
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
	return p.selectorString(at, b.String())
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
