package jinja

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// seg maps a point of the translated text back to the original source.
// Text segments map byte for byte; tag segments map to the tag's start.
type seg struct {
	out, src int
	text     bool
}

// translator emits pongo2 source for a statement tree.
type translator struct {
	out       []byte
	segs      []seg
	tmp       int
	loopDepth int
	macros    []*macroNode // top-level macros (collected, not emitted)
	topLevel  bool
	err       error
	calls     []call              // helper call sites, indexed by the first argument of __k
	names     []string            // identifiers the output reads as pongo2 variables
	markOpen  string              // begins a text marker; "" for no markers (see textMark)
	direct    bool                // text being emitted goes straight to the unit's output
	texts     []string            // the text each marker stands for
	seen      map[string]struct{} // dedupes names once there are many
	kbuf      []byte              // scratch for building helper calls
	argv      []any               // scratch the calls' args are windows of
	targs     []targ              // stack of the arguments of the calls being built
	nargs     int                 // total length of the calls' args
}

// translatorPool keeps translators, with their buffers, between templates.
var translatorPool = sync.Pool{New: func() any { return new(translator) }}

// release clears tr and pools it, unless its buffers grew too large to
// keep. What a unit keeps of a translation is copied out before.
func (tr *translator) release() {
	if cap(tr.out) > 1<<20 || cap(tr.segs) > 1<<16 || cap(tr.calls) > 1<<14 || cap(tr.argv) > 1<<16 || len(tr.seen) > 1<<10 {
		return
	}
	clear(tr.calls)
	clear(tr.names)
	clear(tr.texts)
	clear(tr.macros)
	clear(tr.seen)
	clear(tr.argv)
	clear(tr.targs[:cap(tr.targs)])
	*tr = translator{out: tr.out[:0], segs: tr.segs[:0], calls: tr.calls[:0], names: tr.names[:0], texts: tr.texts[:0],
		macros: tr.macros[:0], seen: tr.seen, kbuf: tr.kbuf[:0], argv: tr.argv[:0], targs: tr.targs[:0]}
	translatorPool.Put(tr)
}

// w writes the concatenation of ss to the output.
func (tr *translator) w(ss ...string) {
	for _, s := range ss {
		tr.out = append(tr.out, s...)
	}
}

// ws writes s to the output.
func (tr *translator) ws(s string) { tr.out = append(tr.out, s...) }

// useName records an identifier the pongo2 output reads directly, so a
// render hands pongo2 only the globals the template can see.
func (tr *translator) useName(n string) string {
	const linear = 16 // up to this many names, a scan beats a map
	if len(tr.names) <= linear {
		for _, x := range tr.names {
			if x == n {
				return n
			}
		}
		tr.names = append(tr.names, n)
		return n
	}
	if tr.seen == nil {
		tr.seen = make(map[string]struct{}, 2*linear)
	}
	if len(tr.seen) == 0 {
		for _, x := range tr.names {
			tr.seen[x] = struct{}{}
		}
	}
	if _, ok := tr.seen[n]; !ok {
		tr.seen[n] = struct{}{}
		tr.names = append(tr.names, n)
	}
	return n
}

// call is what is constant about one helper call site; the pongo2 source
// passes only its index and the arguments that must be evaluated, so pongo2
// lexes, parses and evaluates as little as possible.
type call struct {
	op     string // a run() operation, or "@name" for a call by name
	pos    int    // offset in the original source, for errors
	asText bool   // render the result as Jinja prints it
	args   []any  // constant arguments; dynArg where pongo2 passes one
	ndyn   int    // number of dynArg slots
	nkw    int    // the last nkw arguments are keyword arguments named kw
	kw     []string
}

// dynArg marks an argument slot filled at run time.
type dynArg struct{}

// newTranslator returns a translator sized for a source of n bytes, so the
// output and the position map are built without regrowing. Release it
// when done.
func newTranslator(n int) *translator {
	tr := translatorPool.Get().(*translator)
	if c := n + n/2 + 64; cap(tr.out) < c {
		tr.out = make([]byte, 0, c)
	}
	if c := 16 + n/16; cap(tr.segs) < c {
		tr.segs = make([]seg, 0, c)
	}
	return tr
}

// callTable returns a copy of the call table for a unit to keep: exact
// sizes, with the arguments of all calls in one slice.
func (tr *translator) callTable() []call {
	if len(tr.calls) == 0 {
		return nil
	}
	calls := slices.Clone(tr.calls)
	flat := make([]any, tr.nargs)
	off := 0
	for i := range calls {
		n := copy(flat[off:], calls[i].args)
		calls[i].args = flat[off : off+n : off+n]
		off += n
	}
	return calls
}

// helper is the one function registered in every render context; op names
// the operation, pos is the offset in the original source for errors.
const helper = "__k"

// isPongoKeyword reports whether n is a pongo2 keyword or a name pongo2
// gives a meaning of its own.
func isPongoKeyword(n string) bool {
	switch n {
	case "in", "and", "or", "not", "true", "false", "as", "export", "forloop", "pongo2":
		return true
	}
	return false
}

// pname maps a Jinja name to a pongo2 identifier that cannot clash with
// pongo2 keywords or Kiln's reserved names.
func pname(n string) string {
	if isPongoKeyword(n) || strings.HasPrefix(n, "__k") {
		return "__k_n_" + n
	}
	return n
}

// Translate turns Jinja source into pongo2 source (for tests and debugging).
func Translate(src string) (string, error) {
	nodes, w, err := parseTemplate(src)
	defer w.release()
	if err != nil {
		return "", err
	}
	tr := &translator{}
	out, _, err := tr.translateUnit(nodes, true, nil)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Write(out)
	writeCalls(&b, tr.calls)
	for _, m := range tr.macros {
		mt := &translator{}
		body, _, err := mt.translateUnit(m.body, false, m)
		if err != nil {
			return "", err
		}
		b.WriteString("\n{# macro " + m.name + " #}\n" + string(body))
		writeCalls(&b, mt.calls)
	}
	return b.String(), nil
}

// writeCalls lists a call table after the source, for debugging.
func writeCalls(b *strings.Builder, calls []call) {
	for i, c := range calls {
		fmt.Fprintf(b, "\n{# %d: %s@%d text=%v args=%#v kw=%v #}", i, c.op, c.pos, c.asText, c.args, c.kw)
	}
}

const (
	autoescapeOpen  = "{% autoescape off %}"
	autoescapeClose = "{% endautoescape %}"
)

// translateUnit emits one pongo2 template: a model body (top=true, macros
// are collected) or a macro body (with the prelude for dynamic defaults).
func (tr *translator) translateUnit(nodes []node, top bool, m *macroNode) ([]byte, []seg, error) {
	tr.ws(autoescapeOpen)
	if m != nil {
		for i, d := range m.defs {
			if d == nil {
				continue
			}
			if _, ok := constValue(d); ok {
				continue
			}
			tr.mark(d.at())
			tr.w("{% if ", tr.k("unset", d.at(), pname(m.params[i])), " %}")
			v := tr.expr(d)
			tr.set(pname(m.params[i]), v)
			tr.ws("{% endif %}")
		}
	}
	tr.topLevel = top
	tr.direct = tr.markOpen != "" && m == nil
	tr.nodes(nodes, top)
	tr.ws(autoescapeClose)
	if tr.err != nil {
		return nil, nil, tr.err
	}
	return tr.out, tr.segs, nil
}

func (tr *translator) fail(err error) {
	if tr.err == nil {
		tr.err = err
	}
}

func (tr *translator) mark(src int) {
	tr.segs = append(tr.segs, seg{out: len(tr.out), src: src})
}

func (tr *translator) nodes(ns []node, top bool) {
	for _, n := range ns {
		tr.node(n, top)
	}
}

func (tr *translator) newTemp() string {
	tr.tmp++
	if tr.tmp < len(tempNames) {
		return tempNames[tr.tmp]
	}
	return "__k_t" + strconv.Itoa(tr.tmp)
}

// tempNames are the first names newTemp hands out.
var tempNames = func() (t [64]string) {
	for i := range t {
		t[i] = "__k_t" + strconv.Itoa(i)
	}
	return t
}()

func (tr *translator) node(n node, top bool) {
	switch n := n.(type) {
	case *textNode:
		tr.text(n.p, n.text)
	case *outputNode:
		tr.mark(n.p)
		v := tr.expr(n.x)
		tr.mark(n.p)
		tr.print(tr.strOf(v))
	case *ifNode:
		tr.mark(n.p)
		opened := 0
		for i, c := range n.conds {
			if i > 0 {
				tr.ws("{% else %}")
			}
			cv := tr.expr(c)
			tr.mark(c.at())
			tr.w("{% if ", tr.truth(c, cv), " %}")
			opened++
			tr.nodes(n.bodies[i], false)
		}
		if n.els != nil {
			tr.ws("{% else %}")
			tr.nodes(n.els, false)
		}
		for ; opened > 0; opened-- {
			tr.ws("{% endif %}")
		}
	case *forNode:
		tr.mark(n.p)
		iv := tr.expr(n.iter)
		tr.mark(n.p)
		it := tr.k("iter", n.iter.at(), iv)
		tr.loopDepth++
		if len(n.vars) == 1 {
			tr.w("{% for ", pname(n.vars[0]), " in ", it, " %}")
		} else {
			t := tr.newTemp()
			tr.w("{% for ", t, " in ", it, " %}")
			for i, v := range n.vars {
				tr.set(pname(v), tr.k("unpack", n.p, t, strconv.Itoa(i), strconv.Itoa(len(n.vars))))
			}
		}
		tr.nodes(n.body, false)
		tr.loopDepth--
		if n.els != nil {
			tr.ws("{% empty %}")
			tr.nodes(n.els, false)
		}
		tr.ws("{% endfor %}")
	case *setNode:
		tr.mark(n.p)
		switch {
		case n.isBlock:
			t := tr.newTemp()
			tr.w("{% macro ", t, "() %}")
			direct := tr.direct
			tr.direct = false // captured text is a value filters may change
			tr.nodes(n.capture, false)
			tr.direct = direct
			tr.w("{% endmacro %}{% set ", pname(n.names[0]), " = ", tr.k("capture", n.p, strconv.Quote(t)), " %}")
		case n.nsObj != nil:
			obj := tr.expr(n.nsObj)
			v := tr.expr(n.x)
			tr.mark(n.p)
			tr.print(tr.k("setattr", n.p, obj, strconv.Quote(n.nsAttr), v), "")
		case len(n.names) == 1:
			v := tr.expr(n.x)
			tr.mark(n.p)
			tr.set(pname(n.names[0]), v)
		default:
			v := tr.expr(n.x)
			t := tr.newTemp()
			tr.mark(n.p)
			tr.set(t, v)
			for i, name := range n.names {
				tr.set(pname(name), tr.k("unpack", n.p, t, strconv.Itoa(i), strconv.Itoa(len(n.names))))
			}
		}
	case *doNode:
		tr.mark(n.p)
		v := tr.expr(n.x)
		tr.mark(n.p)
		tr.print(tr.k("do", n.p, v), "")
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
		tr.w("{% macro ", t, "(", strings.Join(params, ", "), ") %}")
		direct := tr.direct
		tr.direct = false // a call block's body is a value for the callee
		tr.nodes(n.body, false)
		tr.direct = direct
		tr.ws("{% endmacro %}")
		call := *n.call
		call.args = append(append([]expr(nil), call.args...), &constExpr{p: n.p, val: callerRef(t)})
		kw := append([]string(nil), call.kwname...)
		for len(kw) < len(call.args)-1 {
			kw = append(kw, "")
		}
		call.kwname = append(kw, "caller")
		v := tr.expr(&call)
		tr.mark(n.p)
		tr.print(tr.strOf(v))
	}
}

// print writes the output of value v with filter f (as strOf gives them).
// A helper call prints through the call tag, which pongo2 runs without
// reflection.
func (tr *translator) print(v, f string) {
	if args, ok := callArgs(v); ok && f == "" {
		tr.w("{% "+printTag+" ", args, " %}")
		return
	}
	tr.w("{{ ", v, f, " }}")
}

// set writes {% set name = v %}, through the call tag when v is a helper
// call.
func (tr *translator) set(name, v string) {
	if args, ok := callArgs(v); ok {
		tr.w("{% "+setTag+" ", name, " = ", args, " %}")
		return
	}
	tr.w("{% set ", name, " = ", v, " %}")
}

// callTags is false only in the test that holds the call tags equal to
// expression calls.
var callTags = true

// callArgs returns the arguments of a translated helper call,
// "__k(3, x)" -> "3, x". A translated expression that starts with
// "__k(" and ends with ")" is one call: compound expressions are calls too.
func callArgs(v string) (string, bool) {
	if !callTags || !strings.HasPrefix(v, helper+"(") || !strings.HasSuffix(v, ")") {
		return "", false
	}
	return v[len(helper)+1 : len(v)-1], true
}

// callerRef is a constant naming the pongo2 macro holding a call block body.
type callerRef string

// textMark delimits a marker that stands for a run of literal text in a
// model body: pongo2 lexes text a character at a time, so a model's text is
// handed to it as short markers (textMark, the Env's nonce, ".", the
// text's index, textMark) that Template.Execute swaps back once pongo2 is
// done. Only text written straight to the model's output is
// replaced; captured text ({% set %} blocks, call blocks, macros) may pass
// through filters and stays literal.
const textMark = '\x1e'

// minMarkedText is the shortest text replaced by a marker.
const minMarkedText = 8

// text emits literal text; text that pongo2 would read as a tag is emitted
// as a string expression instead.
func (tr *translator) text(pos int, s string) {
	if tr.direct && len(s) >= minMarkedText {
		tr.mark(pos)
		tr.ws(tr.markOpen)
		tr.ws(strconv.Itoa(len(tr.texts)))
		tr.out = append(tr.out, textMark)
		tr.texts = append(tr.texts, s)
		return
	}
	if needsQuoting(s) {
		tr.mark(pos)
		tr.w("{{ ", tr.str(s), " }}")
		return
	}
	tr.segs = append(tr.segs, seg{out: len(tr.out), src: pos, text: true})
	tr.ws(s)
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
	if isPlainText(s) {
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
	return tr.k("hex", 0, string(b))
}

// targ is an argument of a helper call: pongo2 source (s), or a literal
// value the call table holds (v, when lit).
type targ struct {
	s   string
	v   any
	lit bool
}

func lit(v any) targ { return targ{v: v, lit: true} }

// k renders a helper call.
func (tr *translator) k(op string, pos int, args ...string) string {
	n := len(tr.targs)
	for _, a := range args {
		tr.targs = append(tr.targs, targ{s: a})
	}
	return tr.kpop(op, pos, nil, n)
}

// kt renders a helper call of arguments already split into source and
// literals.
func (tr *translator) kt(op string, pos int, args ...targ) string {
	return tr.kk(op, pos, nil, args)
}

// kpop renders a helper call of the arguments pushed on tr.targs since n,
// and pops them.
func (tr *translator) kpop(op string, pos int, kw []string, n int) string {
	v := tr.kk(op, pos, kw, tr.targs[n:])
	tr.targs = tr.targs[:n]
	return v
}

// arg translates a helper call argument: a constant that the call table
// can hold is passed as is, without being written as pongo2 source and
// read back (the value is the one literal would decode).
func (tr *translator) arg(e expr) targ {
	if c, ok := e.(*constExpr); ok {
		if c.isStr {
			if isPlainText(c.str) {
				return lit(c.str)
			}
		} else {
			switch v := c.val.(type) {
			case bool:
				return lit(v)
			case int:
				if v >= 0 && int64(v) < 1e18 { // what isPlainInt takes
					return lit(v)
				}
			}
		}
	}
	return targ{s: tr.expr(e)}
}

// isPlainText reports whether tr.str writes s as a string literal (not as
// a hex helper call).
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

// callStrings are the first helper calls without dynamic arguments.
var callStrings = func() (t [256]string) {
	for i := range t {
		t[i] = helper + "(" + strconv.Itoa(i) + ")"
	}
	return t
}()

// kk renders a helper call whose last len(kw) arguments are keyword
// arguments: __k(index, dynamic args...), with literal arguments kept in the
// call table.
func (tr *translator) kk(op string, pos int, kw []string, args []targ) string {
	// The arguments go to a window of tr.argv: callTable copies them out.
	n := len(tr.argv)
	tr.argv = slices.Grow(tr.argv, len(args))[:n+len(args)]
	c := call{op: op, pos: pos, args: tr.argv[n : n+len(args) : n+len(args)], kw: kw, nkw: len(kw)}
	if c.args == nil {
		c.args = []any{}
	}
	tr.nargs += len(args)
	b := append(tr.kbuf[:0], helper...)
	b = append(b, '(')
	b = strconv.AppendInt(b, int64(len(tr.calls)), 10)
	for i, a := range args {
		if a.lit {
			c.args[i] = a.v
			continue
		}
		if v, ok := literal(a.s); ok {
			c.args[i] = v
			continue
		}
		c.args[i] = dynArg{}
		c.ndyn++
		b = append(b, ',')
		b = append(b, a.s...)
	}
	b = append(b, ')')
	tr.kbuf = b
	tr.calls = append(tr.calls, c)
	if c.ndyn == 0 && len(tr.calls)-1 < len(callStrings) {
		return callStrings[len(tr.calls)-1]
	}
	return string(b)
}

// literal decodes a pongo2 literal the translator wrote: a string, a
// non-negative int, true or false.
func literal(a string) (any, bool) {
	switch {
	case a == "true":
		return true, true
	case a == "false":
		return false, true
	case isPlainInt(a):
		n, err := strconv.Atoi(a)
		return n, err == nil
	case isPlainStringLit(a):
		if strings.IndexByte(a, '\\') < 0 {
			return a[1 : len(a)-1], true
		}
		var b strings.Builder
		b.Grow(len(a) - 2)
		for i := 1; i < len(a)-1; i++ {
			if a[i] == '\\' {
				i++
			}
			b.WriteByte(a[i])
		}
		return b.String(), true
	}
	return nil, false
}

// callIndex returns the call table index of a translated helper call.
func callIndex(v string) (int, bool) {
	if !strings.HasPrefix(v, helper+"(") || !strings.HasSuffix(v, ")") {
		return 0, false
	}
	rest := v[len(helper)+1:]
	end := strings.IndexAny(rest, ",)")
	n, err := strconv.Atoi(rest[:end])
	return n, err == nil
}

// strOf is v printed as Jinja prints it. A helper call renders its own
// result, literals pongo2 prints like Python are emitted as they are, and
// any other value goes through the str filter.
func (tr *translator) strOf(v string) (string, string) {
	if i, ok := callIndex(v); ok {
		tr.calls[i].asText = true
		return v, ""
	}
	if v == "true" || v == "false" || isPlainInt(v) {
		return v, ""
	}
	return v, "|" + strFilter
}

func isPlainInt(v string) bool {
	if v == "" || len(v) > 18 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isPlainStringLit reports whether v is one string literal as tr.str writes
// it: quoted, with only '"' and '\\' escaped.
func isPlainStringLit(v string) bool {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return false
	}
	for i := 1; i < len(v)-1; i++ {
		switch v[i] {
		case '\\': // tr.str escapes only '"' and '\\'
			if i+1 == len(v)-1 || v[i+1] != '"' && v[i+1] != '\\' {
				return false
			}
			i++
		case '"':
			return false
		}
	}
	return true
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
		return tr.useName(pname(e.name))
	case *constExpr:
		return tr.constant(e)
	case *listExpr:
		n := len(tr.targs)
		for _, x := range e.items {
			a := tr.arg(x)
			tr.targs = append(tr.targs, a)
		}
		return tr.kpop("list", e.p, nil, n)
	case *dictExpr:
		n := len(tr.targs)
		for i := range e.keys {
			k := tr.arg(e.keys[i])
			v := tr.arg(e.vals[i])
			tr.targs = append(tr.targs, k, v)
		}
		return tr.kpop("dict", e.p, nil, n)
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
		return tr.kt("attr", e.p, targ{s: tr.expr(e.x)}, lit(e.name))
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
		x := tr.expr(e.x)
		n := len(tr.targs)
		tr.targs = append(tr.targs, lit(e.name), targ{s: x})
		kw := tr.callArgs(e.args, e.kwname)
		return tr.kpop("filter", e.p, kw, n)
	case *testExpr:
		if !knownTests[e.name] {
			tr.fail(&syntaxError{pos: e.p, msg: "unknown test '" + e.name + "'", hint: didYouMean(e.name, knownTests)})
			return "false"
		}
		var v string
		if n, ok := e.x.(*nameExpr); ok && (e.name == "defined" || e.name == "undefined") {
			v = tr.kt("defname", e.p, lit(pname(n.name)))
			if e.name == "undefined" {
				v = tr.k("not", e.p, v)
			}
		} else {
			x := tr.expr(e.x)
			n := len(tr.targs)
			tr.targs = append(tr.targs, lit(e.name), targ{s: x})
			for _, a := range e.args {
				v := tr.arg(a)
				tr.targs = append(tr.targs, v)
			}
			v = tr.kpop("test", e.p, nil, n)
		}
		if e.negate {
			v = tr.k("not", e.p, v)
		}
		return v
	case *unaryExpr:
		x := tr.expr(e.x)
		switch e.op {
		case "not":
			if tr.isBool(e.x) && isAtom(x) {
				return "not " + x
			}
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
			tr.set(t, l)
			tr.w("{% if ", cond, " %}")
			r := tr.expr(e.r)
			tr.set(t, r)
			tr.ws("{% endif %}")
			return t
		}
		return tr.k(binOps[e.op], e.p, tr.expr(e.l), tr.expr(e.r))
	case *condExpr:
		t := tr.newTemp()
		c := tr.expr(e.cond)
		tr.w("{% if ", tr.k("truth", e.p, c), " %}")
		a := tr.expr(e.a)
		tr.set(t, a)
		tr.ws("{% else %}")
		b := tr.k("none", e.p)
		if e.b != nil {
			b = tr.expr(e.b)
		}
		tr.set(t, b)
		tr.ws("{% endif %}")
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

// isBool reports whether e always evaluates to a Go bool, so pongo2's own
// not (which negates its truthiness) is exact.
func (tr *translator) isBool(e expr) bool {
	switch e := e.(type) {
	case *testExpr:
		return true
	case *unaryExpr:
		return e.op == "not"
	case *binExpr:
		switch e.op {
		case "==", "!=", "<", ">", "<=", ">=", "in", "notin":
			return true
		}
	case *constExpr:
		_, ok := e.val.(bool)
		return ok
	case *attrExpr:
		if n, ok := e.x.(*nameExpr); ok && n.name == "loop" && tr.loopDepth > 0 {
			return e.name == "first" || e.name == "last"
		}
	}
	return false
}

// isAtom reports whether a translated expression is one pongo2 term: a
// helper call, a name or a dotted name.
func isAtom(v string) bool {
	if _, ok := callIndex(v); ok {
		return true
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return v != ""
}

func (tr *translator) optExpr(e expr) string {
	if e == nil {
		return tr.k("none", 0)
	}
	return tr.expr(e)
}

func (tr *translator) constant(e *constExpr) string {
	if e.isStr {
		return tr.str(e.str)
	}
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

// callArgs translates arguments for kk: trailing keyword arguments are
// returned as names (they travel in the op string), any keyword argument
// followed by a positional one as a "kw" helper call.
//
// The arguments are pushed on tr.targs.
func (tr *translator) callArgs(args []expr, kw []string) []string {
	first := len(args) // first of the trailing keyword arguments
	for first > 0 && kw != nil && kw[first-1] != "" {
		first--
	}
	for i, a := range args {
		v := tr.arg(a)
		if i < first && kw != nil && kw[i] != "" {
			v = targ{s: tr.kt("kw", a.at(), lit(kw[i]), v)}
		}
		tr.targs = append(tr.targs, v)
	}
	if first == len(args) {
		return nil
	}
	return kw[first:]
}

func (tr *translator) call(e *callExpr) string {
	switch fn := e.fn.(type) {
	case *nameExpr:
		if fn.name == "return" {
			if len(e.args) != 1 || e.kwname != nil {
				tr.fail(errAt(e.p, "return() takes exactly one argument"))
				return "0"
			}
			return tr.kt("return", e.p, tr.arg(e.args[0]))
		}
		n := len(tr.targs)
		kw := tr.callArgs(e.args, e.kwname)
		return tr.kpop("@"+pname(fn.name), e.p, kw, n)
	case *attrExpr:
		if n, ok := fn.x.(*nameExpr); ok && n.name == "loop" && tr.loopDepth > 0 {
			tr.fail(errAt(fn.p, "loop.%s() is not supported", fn.name))
			return "0"
		}
		x := tr.expr(fn.x)
		n := len(tr.targs)
		tr.targs = append(tr.targs, targ{s: x}, lit(fn.name))
		kw := tr.callArgs(e.args, e.kwname)
		return tr.kpop("meth", fn.p, kw, n)
	}
	f := tr.expr(e.fn)
	n := len(tr.targs)
	tr.targs = append(tr.targs, targ{s: f})
	kw := tr.callArgs(e.args, e.kwname)
	return tr.kpop("callv", e.p, kw, n)
}

// constValue evaluates literal expressions at compile time (macro defaults).
func constValue(e expr) (any, bool) {
	switch e := e.(type) {
	case *constExpr:
		if _, ok := e.val.(callerRef); ok {
			return nil, false
		}
		return e.value(), true
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
