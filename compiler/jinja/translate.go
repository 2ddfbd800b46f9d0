package jinja

import (
	"strconv"
	"strings"
)

// seg maps a point of the translated text back to the original source.
// Text segments map byte for byte; tag segments map to the tag's start.
type seg struct {
	out, src int
	text     bool
}

// translator emits pongo2 source for a statement tree.
type translator struct {
	out       strings.Builder
	segs      []seg
	tmp       int
	loopDepth int
	macros    []*macroNode // top-level macros (collected, not emitted)
	topLevel  bool
	err       error
}

// helper is the one function registered in every render context; op names
// the operation, pos is the offset in the original source for errors.
const helper = "__k"

var pongoKeywords = map[string]bool{"in": true, "and": true, "or": true, "not": true, "true": true, "false": true, "as": true, "export": true, "forloop": true, "pongo2": true}

// pname maps a Jinja name to a pongo2 identifier that cannot clash with
// pongo2 keywords or Kiln's reserved names.
func pname(n string) string {
	if pongoKeywords[n] || strings.HasPrefix(n, "__k") {
		return "__k_n_" + n
	}
	return n
}

// Translate turns Jinja source into pongo2 source (for tests and debugging).
func Translate(src string) (string, error) {
	nodes, err := parseTemplate(src)
	if err != nil {
		return "", err
	}
	tr := &translator{}
	out, _, err := tr.translateUnit(nodes, true, nil)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(out)
	for _, m := range tr.macros {
		mt := &translator{}
		body, _, err := mt.translateUnit(m.body, false, m)
		if err != nil {
			return "", err
		}
		b.WriteString("\n{# macro " + m.name + " #}\n" + body)
	}
	return b.String(), nil
}

const (
	autoescapeOpen  = "{% autoescape off %}"
	autoescapeClose = "{% endautoescape %}"
)

// translateUnit emits one pongo2 template: a model body (top=true, macros
// are collected) or a macro body (with the prelude for dynamic defaults).
func (tr *translator) translateUnit(nodes []node, top bool, m *macroNode) (string, []seg, error) {
	tr.out.WriteString(autoescapeOpen)
	if m != nil {
		for i, d := range m.defs {
			if d == nil {
				continue
			}
			if _, ok := constValue(d); ok {
				continue
			}
			tr.mark(d.at())
			tr.out.WriteString("{% if " + helper + "(\"unset\"," + strconv.Itoa(d.at()) + "," + pname(m.params[i]) + ") %}")
			v := tr.expr(d)
			tr.out.WriteString("{% set " + pname(m.params[i]) + " = " + v + " %}{% endif %}")
		}
	}
	tr.topLevel = top
	tr.nodes(nodes, top)
	tr.out.WriteString(autoescapeClose)
	if tr.err != nil {
		return "", nil, tr.err
	}
	return tr.out.String(), tr.segs, nil
}

func (tr *translator) fail(err error) {
	if tr.err == nil {
		tr.err = err
	}
}

func (tr *translator) mark(src int) {
	tr.segs = append(tr.segs, seg{out: tr.out.Len(), src: src})
}

func (tr *translator) nodes(ns []node, top bool) {
	for _, n := range ns {
		tr.node(n, top)
	}
}

func (tr *translator) newTemp() string {
	tr.tmp++
	return "__k_t" + strconv.Itoa(tr.tmp)
}

func (tr *translator) node(n node, top bool) {
	switch n := n.(type) {
	case *textNode:
		tr.text(n.p, n.text)
	case *outputNode:
		tr.mark(n.p)
		v := tr.expr(n.x)
		tr.mark(n.p)
		tr.out.WriteString("{{ " + tr.k("str", n.p, v) + " }}")
	case *ifNode:
		tr.mark(n.p)
		opened := 0
		for i, c := range n.conds {
			if i > 0 {
				tr.out.WriteString("{% else %}")
			}
			cv := tr.expr(c)
			tr.mark(c.at())
			tr.out.WriteString("{% if " + tr.truth(c, cv) + " %}")
			opened++
			tr.nodes(n.bodies[i], false)
		}
		if n.els != nil {
			tr.out.WriteString("{% else %}")
			tr.nodes(n.els, false)
		}
		for ; opened > 0; opened-- {
			tr.out.WriteString("{% endif %}")
		}
	case *forNode:
		tr.mark(n.p)
		iv := tr.expr(n.iter)
		tr.mark(n.p)
		it := tr.k("iter", n.iter.at(), iv)
		tr.loopDepth++
		if len(n.vars) == 1 {
			tr.out.WriteString("{% for " + pname(n.vars[0]) + " in " + it + " %}")
		} else {
			t := tr.newTemp()
			tr.out.WriteString("{% for " + t + " in " + it + " %}")
			for i, v := range n.vars {
				tr.out.WriteString("{% set " + pname(v) + " = " + tr.k("unpack", n.p, t, strconv.Itoa(i), strconv.Itoa(len(n.vars))) + " %}")
			}
		}
		tr.nodes(n.body, false)
		tr.loopDepth--
		if n.els != nil {
			tr.out.WriteString("{% empty %}")
			tr.nodes(n.els, false)
		}
		tr.out.WriteString("{% endfor %}")
	case *setNode:
		tr.mark(n.p)
		switch {
		case n.isBlock:
			t := tr.newTemp()
			tr.out.WriteString("{% macro " + t + "() %}")
			tr.nodes(n.capture, false)
			tr.out.WriteString("{% endmacro %}{% set " + pname(n.names[0]) + " = " + tr.k("capture", n.p, strconv.Quote(t)) + " %}")
		case n.nsObj != nil:
			obj := tr.expr(n.nsObj)
			v := tr.expr(n.x)
			tr.mark(n.p)
			tr.out.WriteString("{{ " + tr.k("setattr", n.p, obj, strconv.Quote(n.nsAttr), v) + " }}")
		case len(n.names) == 1:
			v := tr.expr(n.x)
			tr.mark(n.p)
			tr.out.WriteString("{% set " + pname(n.names[0]) + " = " + v + " %}")
		default:
			v := tr.expr(n.x)
			t := tr.newTemp()
			tr.mark(n.p)
			tr.out.WriteString("{% set " + t + " = " + v + " %}")
			for i, name := range n.names {
				tr.out.WriteString("{% set " + pname(name) + " = " + tr.k("unpack", n.p, t, strconv.Itoa(i), strconv.Itoa(len(n.names))) + " %}")
			}
		}
	case *doNode:
		tr.mark(n.p)
		v := tr.expr(n.x)
		tr.mark(n.p)
		tr.out.WriteString("{{ " + tr.k("do", n.p, v) + " }}")
	case *macroNode:
		if !top {
			tr.fail(errAt(n.p, "{%% macro %s %%} must be defined at the top level of a file", n.name))
			return
		}
		tr.macros = append(tr.macros, n)
	case *callBlockNode:
		tr.mark(n.p)
		t := tr.newTemp()
		params := make([]string, len(n.params))
		for i, p := range n.params {
			params[i] = pname(p)
		}
		tr.out.WriteString("{% macro " + t + "(" + strings.Join(params, ", ") + ") %}")
		tr.nodes(n.body, false)
		tr.out.WriteString("{% endmacro %}")
		call := *n.call
		call.args = append(append([]expr(nil), call.args...), &constExpr{p: n.p, val: callerRef(t)})
		kw := append([]string(nil), call.kwname...)
		for len(kw) < len(call.args)-1 {
			kw = append(kw, "")
		}
		call.kwname = append(kw, "caller")
		v := tr.expr(&call)
		tr.mark(n.p)
		tr.out.WriteString("{{ " + tr.k("str", n.p, v) + " }}")
	}
}

// callerRef is a constant naming the pongo2 macro holding a call block body.
type callerRef string

// text emits literal text; text that pongo2 would read as a tag is emitted
// as a string expression instead.
func (tr *translator) text(pos int, s string) {
	if needsQuoting(s) {
		tr.mark(pos)
		tr.out.WriteString("{{ " + tr.str(s) + " }}")
		return
	}
	tr.segs = append(tr.segs, seg{out: tr.out.Len(), src: pos, text: true})
	tr.out.WriteString(s)
}

func needsQuoting(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' && (i+1 == len(s) || s[i+1] == '{' || s[i+1] == '%' || s[i+1] == '#') {
			return true
		}
	}
	return false
}

// str emits a pongo2 string literal, or a helper call for text pongo2's
// lexer cannot hold (newlines, control characters).
func (tr *translator) str(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			plain = false
			break
		}
	}
	if plain {
		var b strings.Builder
		b.Grow(len(s) + 2)
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			if s[i] == '"' || s[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i])
		}
		b.WriteByte('"')
		return b.String()
	}
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, 2*len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		b = append(b, hexd[s[i]>>4], hexd[s[i]&15])
	}
	b = append(b, '"')
	return helper + "(\"hex\"," + string(b) + ")"
}

// k renders a helper call.
func (tr *translator) k(op string, pos int, args ...string) string {
	n := len(helper) + len(op) + 12
	for _, a := range args {
		n += len(a) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(helper)
	b.WriteString("(\"")
	b.WriteString(op)
	// Operations that cannot fail carry no position: fewer tokens for
	// pongo2 to lex and parse.
	if !infallible[op] {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(pos))
	}
	b.WriteByte('"')
	for _, a := range args {
		b.WriteByte(',')
		b.WriteString(a)
	}
	b.WriteByte(')')
	return b.String()
}

var infallible = map[string]bool{
	"str": true, "truth": true, "not": true, "list": true, "dict": true, "kw": true, "none": true,
	"hex": true, "cat": true, "eq": true, "ne": true, "do": true, "unset": true, "defname": true,
}

var loopAttrs = map[string]string{
	"index":     "forloop.Counter",
	"index0":    "forloop.Counter0",
	"first":     "forloop.First",
	"last":      "forloop.Last",
	"revindex":  "forloop.Revcounter",
	"revindex0": "forloop.Revcounter0",
}

// expr returns a pongo2 expression for e. Operators that must not evaluate
// both sides (and, or, if/else) are lowered to statements written before
// the current tag, with the result in a temporary.
func (tr *translator) expr(e expr) string {
	switch e := e.(type) {
	case *nameExpr:
		if e.name == "loop" && tr.loopDepth > 0 {
			tr.fail(errAt(e.p, "'loop' can only be used as loop.index, loop.index0, loop.first, loop.last, loop.length, loop.revindex or loop.revindex0"))
			return "0"
		}
		return pname(e.name)
	case *constExpr:
		return tr.constant(e)
	case *listExpr:
		items := make([]string, len(e.items))
		for i, x := range e.items {
			items[i] = tr.expr(x)
		}
		return tr.k("list", e.p, items...)
	case *dictExpr:
		items := make([]string, 0, 2*len(e.keys))
		for i := range e.keys {
			items = append(items, tr.expr(e.keys[i]), tr.expr(e.vals[i]))
		}
		return tr.k("dict", e.p, items...)
	case *attrExpr:
		if n, ok := e.x.(*nameExpr); ok && n.name == "loop" && tr.loopDepth > 0 {
			if e.name == "length" {
				return tr.k("add", e.p, "forloop.Counter0", "forloop.Revcounter")
			}
			if f, ok := loopAttrs[e.name]; ok {
				return f
			}
			tr.fail(errAt(e.p, "loop.%s is not supported", e.name))
			return "0"
		}
		return tr.k("attr", e.p, tr.expr(e.x), strconv.Quote(e.name))
	case *itemExpr:
		return tr.k("item", e.p, tr.expr(e.x), tr.expr(e.idx))
	case *sliceExpr:
		parts := []string{tr.expr(e.x), tr.optExpr(e.lo), tr.optExpr(e.hi), tr.optExpr(e.step)}
		return tr.k("slice", e.p, parts...)
	case *callExpr:
		return tr.call(e)
	case *filterExpr:
		if !knownFilters[e.name] {
			tr.fail(&syntaxError{pos: e.p, msg: "unknown filter '" + e.name + "'", hint: didYouMean(e.name, knownFilters)})
			return "0"
		}
		args := []string{strconv.Quote(e.name), tr.expr(e.x)}
		args = append(args, tr.args(e.args, e.kwname)...)
		return tr.k("filter", e.p, args...)
	case *testExpr:
		if !knownTests[e.name] {
			tr.fail(&syntaxError{pos: e.p, msg: "unknown test '" + e.name + "'", hint: didYouMean(e.name, knownTests)})
			return "false"
		}
		var v string
		if n, ok := e.x.(*nameExpr); ok && (e.name == "defined" || e.name == "undefined") {
			v = tr.k("defname", e.p, strconv.Quote(pname(n.name)))
			if e.name == "undefined" {
				v = tr.k("not", e.p, v)
			}
		} else {
			args := []string{strconv.Quote(e.name), tr.expr(e.x)}
			for _, a := range e.args {
				args = append(args, tr.expr(a))
			}
			v = tr.k("test", e.p, args...)
		}
		if e.negate {
			v = tr.k("not", e.p, v)
		}
		return v
	case *unaryExpr:
		x := tr.expr(e.x)
		switch e.op {
		case "not":
			return tr.k("not", e.p, x)
		case "-":
			return tr.k("neg", e.p, x)
		default:
			return tr.k("pos", e.p, x)
		}
	case *binExpr:
		switch e.op {
		case "and", "or":
			t := tr.newTemp()
			l := tr.expr(e.l)
			cond := tr.k("truth", e.p, t)
			if e.op == "or" {
				cond = "not " + cond
			}
			tr.out.WriteString("{% set " + t + " = " + l + " %}{% if " + cond + " %}")
			r := tr.expr(e.r)
			tr.out.WriteString("{% set " + t + " = " + r + " %}{% endif %}")
			return t
		}
		return tr.k(binOps[e.op], e.p, tr.expr(e.l), tr.expr(e.r))
	case *condExpr:
		t := tr.newTemp()
		c := tr.expr(e.cond)
		tr.out.WriteString("{% if " + tr.k("truth", e.p, c) + " %}")
		a := tr.expr(e.a)
		tr.out.WriteString("{% set " + t + " = " + a + " %}{% else %}")
		b := tr.k("none", e.p)
		if e.b != nil {
			b = tr.expr(e.b)
		}
		tr.out.WriteString("{% set " + t + " = " + b + " %}{% endif %}")
		return t
	}
	tr.fail(errAt(e.at(), "unsupported expression"))
	return "0"
}

var binOps = map[string]string{
	"+": "add", "-": "sub", "*": "mul", "/": "div", "//": "fdiv", "%": "mod", "**": "pow",
	"~": "cat", "==": "eq", "!=": "ne", "<": "lt", ">": "gt", "<=": "le", ">=": "ge",
	"in": "in", "notin": "notin",
}

// truth wraps a condition in Jinja truthiness unless it is already a bool.
func (tr *translator) truth(e expr, v string) string {
	switch e := e.(type) {
	case *testExpr:
		return v
	case *unaryExpr:
		if e.op == "not" {
			return v
		}
	case *binExpr:
		switch e.op {
		case "==", "!=", "<", ">", "<=", ">=", "in", "notin":
			return v
		}
	case *constExpr:
		if _, ok := e.val.(bool); ok {
			return v
		}
	}
	return tr.k("truth", e.at(), v)
}

func (tr *translator) optExpr(e expr) string {
	if e == nil {
		return tr.k("none", 0)
	}
	return tr.expr(e)
}

func (tr *translator) constant(e *constExpr) string {
	switch v := e.val.(type) {
	case nil:
		return tr.k("none", e.p)
	case bool:
		if v {
			return "true"
		}
		return "false"
	case string:
		return tr.str(v)
	case int:
		if v < 0 {
			return tr.k("neg", e.p, strconv.Itoa(-v))
		}
		return strconv.Itoa(v)
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if v >= 0 && strings.IndexByte(s, '.') > 0 && len(s) < 20 {
			return s
		}
		return tr.k("num", e.p, strconv.Quote(strconv.FormatFloat(v, 'g', -1, 64)))
	case callerRef:
		return tr.k("caller", e.p, strconv.Quote(string(v)))
	}
	return "0"
}

func (tr *translator) args(args []expr, kw []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		v := tr.expr(a)
		if kw != nil && kw[i] != "" {
			v = tr.k("kw", a.at(), strconv.Quote(kw[i]), v)
		}
		out[i] = v
	}
	return out
}

func (tr *translator) call(e *callExpr) string {
	switch fn := e.fn.(type) {
	case *nameExpr:
		if fn.name == "return" {
			if len(e.args) != 1 || e.kwname != nil {
				tr.fail(errAt(e.p, "return() takes exactly one argument"))
				return "0"
			}
			return tr.k("return", e.p, tr.expr(e.args[0]))
		}
		args := append([]string{strconv.Quote(pname(fn.name))}, tr.args(e.args, e.kwname)...)
		return tr.k("call", e.p, args...)
	case *attrExpr:
		if n, ok := fn.x.(*nameExpr); ok && n.name == "loop" && tr.loopDepth > 0 {
			tr.fail(errAt(fn.p, "loop.%s() is not supported", fn.name))
			return "0"
		}
		args := append([]string{tr.expr(fn.x), strconv.Quote(fn.name)}, tr.args(e.args, e.kwname)...)
		return tr.k("meth", fn.p, args...)
	}
	args := append([]string{tr.expr(e.fn)}, tr.args(e.args, e.kwname)...)
	return tr.k("callv", e.p, args...)
}

// constValue evaluates literal expressions at compile time (macro defaults).
func constValue(e expr) (any, bool) {
	switch e := e.(type) {
	case *constExpr:
		if _, ok := e.val.(callerRef); ok {
			return nil, false
		}
		return e.val, true
	case *listExpr:
		l := &List{V: make([]any, 0, len(e.items))}
		for _, x := range e.items {
			v, ok := constValue(x)
			if !ok {
				return nil, false
			}
			l.V = append(l.V, v)
		}
		return l, true
	case *dictExpr:
		// Dicts are mutable; a shared default would leak between calls.
		return nil, false
	}
	return nil, false
}

func didYouMean(name string, set map[string]bool) string {
	c := make([]string, 0, len(set))
	for k := range set {
		c = append(c, k)
	}
	return closestHint(name, c)
}
