package jinja

import (
	"strconv"
	"strings"
	"sync"
)

// Expression AST. Every node knows the source offset it starts at.
type expr interface{ at() int }

type (
	nameExpr struct {
		p    int
		name string
	}
	constExpr struct {
		p     int
		val   any // int, float64, bool, nil (or a callerRef)
		str   string
		isStr bool // a string constant: str, with val unused
	}
	listExpr struct {
		p     int
		items []expr
		tuple bool
	}
	dictExpr struct {
		p          int
		keys, vals []expr
	}
	attrExpr struct {
		p    int
		x    expr
		name string
	}
	itemExpr struct {
		p      int
		x, idx expr
	}
	sliceExpr struct {
		p            int
		x            expr
		lo, hi, step expr // nil when absent
	}
	callExpr struct {
		p      int
		fn     expr
		args   []expr
		kwname []string // parallel to args: "" for positional
	}
	filterExpr struct {
		p      int
		x      expr
		name   string
		args   []expr
		kwname []string
	}
	testExpr struct {
		p      int
		x      expr
		name   string
		args   []expr
		negate bool
	}
	unaryExpr struct {
		p  int
		op string // "-", "+", "not"
		x  expr
	}
	binExpr struct {
		p    int
		op   string
		l, r expr
	}
	condExpr struct {
		p          int
		cond, a, b expr // b may be nil
	}
)

// value is the constant's value.
func (e *constExpr) value() any {
	if e.isStr {
		return e.str
	}
	return e.val
}

func (e *nameExpr) at() int   { return e.p }
func (e *constExpr) at() int  { return e.p }
func (e *listExpr) at() int   { return e.p }
func (e *dictExpr) at() int   { return e.p }
func (e *attrExpr) at() int   { return e.p }
func (e *itemExpr) at() int   { return e.p }
func (e *sliceExpr) at() int  { return e.p }
func (e *callExpr) at() int   { return e.p }
func (e *filterExpr) at() int { return e.p }
func (e *testExpr) at() int   { return e.p }
func (e *unaryExpr) at() int  { return e.p }
func (e *binExpr) at() int    { return e.p }
func (e *condExpr) at() int   { return e.p }

// exprParser is a recursive-descent parser over the tokens of one tag.
type exprParser struct {
	toks []etok
	i    int
	a    *astAlloc
}

// slab hands out values of T from chunks, so the many small nodes of one
// parse cost a few allocations. The nodes of a parse live as long as its
// tree, which is dropped once the template is translated; the chunk in use
// then serves the next parse.
type slab[T any] struct{ buf []T }

// reset readies s for a new tree: it keeps its last chunk, cleared, unless
// that grew large.
func (s *slab[T]) reset() {
	s.buf = resetChunk(s.buf)
}

func resetChunk[T any](c []T) []T {
	if cap(c) > 1024 {
		return nil
	}
	clear(c)
	return c[:0]
}

func (s *slab[T]) new() *T {
	if len(s.buf) == cap(s.buf) {
		s.buf = make([]T, 0, min(max(2*cap(s.buf), 4), 256))
	}
	s.buf = s.buf[:len(s.buf)+1]
	return &s.buf[len(s.buf)-1]
}

// astAlloc allocates the nodes of one parse, and holds the scratch stacks
// lists are gathered on before they are copied out at their exact size.
type astAlloc struct {
	texts   slab[textNode]
	outputs slab[outputNode]
	names   slab[nameExpr]
	consts  slab[constExpr]
	calls   slab[callExpr]
	lists   slab[listExpr]
	attrs   slab[attrExpr]
	filters slab[filterExpr]
	bins    slab[binExpr]
	parsers slab[exprParser]
	ifs     slab[ifNode]
	fors    slab[forNode]
	sets    slab[setNode]
	unaries slab[unaryExpr]
	exprs   []expr   // stack of expressions being gathered
	strs    []string // stack of keyword names being gathered
	// exprWin and nodeWin are chunks the exact-size lists of the tree
	// are cut from.
	exprWin []expr
	nodeWin []node
}

// window returns a slice of n elements cut from the chunk *win, which is
// replaced by a fresh one when it has no room. Long lists get a slice of
// their own.
func window[T any](win *[]T, n int) []T {
	if n > 8 {
		return make([]T, n)
	}
	if cap(*win)-len(*win) < n {
		*win = make([]T, 0, min(max(2*cap(*win), 8), 64))
	}
	l := len(*win)
	*win = (*win)[:l+n]
	return (*win)[l : l+n : l+n]
}

// reset readies a for a new parse, once the last tree is no longer used:
// the stacks and the last chunk of each kind are kept.
func (a *astAlloc) reset() {
	a.texts.reset()
	a.outputs.reset()
	a.names.reset()
	a.consts.reset()
	a.calls.reset()
	a.lists.reset()
	a.attrs.reset()
	a.filters.reset()
	a.bins.reset()
	a.parsers.reset()
	a.ifs.reset()
	a.fors.reset()
	a.sets.reset()
	a.unaries.reset()
	a.exprs = resetChunk(a.exprs)
	a.strs = resetChunk(a.strs)
	a.exprWin = resetChunk(a.exprWin)
	a.nodeWin = resetChunk(a.nodeWin)
}

func (a *astAlloc) name(p int, name string) *nameExpr {
	e := a.names.new()
	e.p, e.name = p, name
	return e
}

func (a *astAlloc) constant(p int, val any) *constExpr {
	e := a.consts.new()
	e.p, e.val = p, val
	return e
}

func (a *astAlloc) str(p int, s string) *constExpr {
	e := a.consts.new()
	e.p, e.str, e.isStr = p, s, true
	return e
}

func (a *astAlloc) bin(p int, op string, l, r expr) *binExpr {
	e := a.bins.new()
	e.p, e.op, e.l, e.r = p, op, l, r
	return e
}

// popExprs returns the expressions gathered on the stack since start, in a
// slice of their own (nil when there are none), and pops them.
func (a *astAlloc) popExprs(start int) []expr {
	if len(a.exprs) == start {
		return nil
	}
	out := window(&a.exprWin, len(a.exprs)-start)
	copy(out, a.exprs[start:])
	clear(a.exprs[start:])
	a.exprs = a.exprs[:start]
	return out
}

// dropArgs pops the stacks to the given starts, dropping what was
// gathered (on errors, and names of arguments that have none).
func (a *astAlloc) dropArgs(exprs, strs int) {
	clear(a.exprs[exprs:])
	a.exprs = a.exprs[:exprs]
	clear(a.strs[strs:])
	a.strs = a.strs[:strs]
}

// popStrs is popExprs for the keyword name stack.
func (a *astAlloc) popStrs(start int) []string {
	if len(a.strs) == start {
		return nil
	}
	out := make([]string, len(a.strs)-start)
	copy(out, a.strs[start:])
	clear(a.strs[start:])
	a.strs = a.strs[:start]
	return out
}

func (p *exprParser) peek() etok { return p.toks[p.i] }
func (p *exprParser) next() etok {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}
func (p *exprParser) isOp(op string) bool {
	t := p.toks[p.i]
	return t.kind == etOp && t.val == op
}
func (p *exprParser) isName(n string) bool {
	t := p.toks[p.i]
	return t.kind == etName && t.val == n
}
func (p *exprParser) isNameAt(k int, n string) bool {
	if p.i+k >= len(p.toks) {
		return false
	}
	t := p.toks[p.i+k]
	return t.kind == etName && t.val == n
}
func (p *exprParser) atEOF() bool { return p.toks[p.i].kind == etEOF }

func (p *exprParser) expectOp(op string) (etok, error) {
	t := p.peek()
	if t.kind != etOp || t.val != op {
		return t, errAt(t.pos, "expected '%s', found %s", op, describe(t))
	}
	return p.next(), nil
}

func describe(t etok) string {
	switch t.kind {
	case etEOF:
		return "end of tag"
	case etString:
		return strconv.Quote(t.val)
	default:
		return "'" + t.val + "'"
	}
}

func (p *exprParser) expectName() (etok, error) {
	t := p.peek()
	if t.kind != etName {
		return t, errAt(t.pos, "expected a name, found %s", describe(t))
	}
	return p.next(), nil
}

// parseTupleOrExpr parses "a" or "a, b, ..." (an implicit tuple).
func (p *exprParser) parseTupleOrExpr() (expr, error) {
	start := p.peek().pos
	e, err := p.parseExpr()
	if err != nil {
		return nil, err
	}
	if !p.isOp(",") {
		return e, nil
	}
	items := []expr{e}
	for p.isOp(",") {
		p.next()
		if p.atEOF() || p.isOp(")") {
			break
		}
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	return &listExpr{p: start, items: items, tuple: true}, nil
}

// parseExpr parses a full expression including the conditional.
func (p *exprParser) parseExpr() (expr, error) {
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for p.isName("if") {
		t := p.next()
		cond, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		var b expr
		if p.isName("else") {
			p.next()
			if b, err = p.parseExpr(); err != nil {
				return nil, err
			}
		}
		e = &condExpr{p: t.pos, cond: cond, a: e, b: b}
	}
	return e, nil
}

func (p *exprParser) parseOr() (expr, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.isName("or") {
		t := p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = p.a.bin(t.pos, "or", l, r)
	}
	return l, nil
}

func (p *exprParser) parseAnd() (expr, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.isName("and") {
		t := p.next()
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = p.a.bin(t.pos, "and", l, r)
	}
	return l, nil
}

func (p *exprParser) parseNot() (expr, error) {
	if p.isName("not") {
		t := p.next()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		u := p.a.unaries.new()
		u.p, u.op, u.x = t.pos, "not", x
		return u, nil
	}
	return p.parseCompare()
}

func (p *exprParser) parseCompare() (expr, error) {
	l, err := p.parseConcat()
	if err != nil {
		return nil, err
	}
	var result expr
	for {
		t := p.peek()
		op := ""
		switch {
		case t.kind == etOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == ">" || t.val == "<=" || t.val == ">="):
			op = t.val
			p.next()
		case p.isName("in"):
			op = "in"
			p.next()
		case p.isName("not") && p.isNameAt(1, "in"):
			op = "notin"
			p.next()
			p.next()
		case p.isName("is"):
			p.next()
			neg := false
			if p.isName("not") {
				p.next()
				neg = true
			}
			nt, err := p.expectName()
			if err != nil {
				return nil, err
			}
			te := &testExpr{p: t.pos, x: l, name: nt.val, negate: neg}
			// Test arguments: "divisibleby(3)" or "sameas x" style single arg.
			if p.isOp("(") {
				args, kw, err := p.parseArgs()
				if err != nil {
					return nil, err
				}
				_ = kw
				te.args = args
			} else if k := p.peek(); k.kind == etInt || k.kind == etFloat || k.kind == etString {
				a, err := p.parsePrimary()
				if err != nil {
					return nil, err
				}
				te.args = []expr{a}
			}
			l = te
			continue
		}
		if op == "" {
			break
		}
		r, err := p.parseConcat()
		if err != nil {
			return nil, err
		}
		c := p.a.bin(t.pos, op, l, r)
		if result == nil {
			result = c
		} else {
			result = p.a.bin(t.pos, "and", result, c)
		}
		l = r
	}
	if result == nil {
		return l, nil
	}
	return result, nil
}

func (p *exprParser) parseConcat() (expr, error) {
	l, err := p.parseAdd()
	if err != nil {
		return nil, err
	}
	for p.isOp("~") {
		t := p.next()
		r, err := p.parseAdd()
		if err != nil {
			return nil, err
		}
		l = p.a.bin(t.pos, "~", l, r)
	}
	return l, nil
}

func (p *exprParser) parseAdd() (expr, error) {
	l, err := p.parseMul()
	if err != nil {
		return nil, err
	}
	for p.isOp("+") || p.isOp("-") {
		t := p.next()
		r, err := p.parseMul()
		if err != nil {
			return nil, err
		}
		l = p.a.bin(t.pos, t.val, l, r)
	}
	return l, nil
}

func (p *exprParser) parseMul() (expr, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for p.isOp("*") || p.isOp("/") || p.isOp("//") || p.isOp("%") {
		t := p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = p.a.bin(t.pos, t.val, l, r)
	}
	return l, nil
}

func (p *exprParser) parseUnary() (expr, error) {
	if p.isOp("-") || p.isOp("+") {
		t := p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if c, ok := x.(*constExpr); ok && t.val == "-" {
			switch v := c.val.(type) {
			case int:
				return p.a.constant(t.pos, -v), nil
			case float64:
				return p.a.constant(t.pos, -v), nil
			}
		}
		u := p.a.unaries.new()
		u.p, u.op, u.x = t.pos, t.val, x
		return u, nil
	}
	return p.parsePow()
}

func (p *exprParser) parsePow() (expr, error) {
	l, err := p.parsePostfix()
	if err != nil {
		return nil, err
	}
	if p.isOp("**") {
		t := p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return p.a.bin(t.pos, "**", l, r), nil
	}
	return l, nil
}

func (p *exprParser) parsePostfix() (expr, error) {
	e, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != etOp {
			return e, nil
		}
		switch t.val {
		case ".":
			p.next()
			nt := p.peek()
			if nt.kind == etInt {
				p.next()
				n, _ := strconv.Atoi(nt.val)
				e = &itemExpr{p: nt.pos, x: e, idx: p.a.constant(nt.pos, n)}
				continue
			}
			if nt.kind != etName {
				return nil, errAt(nt.pos, "expected an attribute name after '.', found %s", describe(nt))
			}
			p.next()
			a := p.a.attrs.new()
			a.p, a.x, a.name = nt.pos, e, nt.val
			e = a
		case "[":
			p.next()
			var lo, hi, step expr
			isSlice := false
			if !p.isOp(":") {
				if lo, err = p.parseExpr(); err != nil {
					return nil, err
				}
			}
			if p.isOp(":") {
				isSlice = true
				p.next()
				if !p.isOp("]") && !p.isOp(":") {
					if hi, err = p.parseExpr(); err != nil {
						return nil, err
					}
				}
				if p.isOp(":") {
					p.next()
					if !p.isOp("]") {
						if step, err = p.parseExpr(); err != nil {
							return nil, err
						}
					}
				}
			}
			if _, err := p.expectOp("]"); err != nil {
				return nil, err
			}
			if isSlice {
				e = &sliceExpr{p: t.pos, x: e, lo: lo, hi: hi, step: step}
			} else {
				e = &itemExpr{p: t.pos, x: e, idx: lo}
			}
		case "(":
			args, kw, err := p.parseArgs()
			if err != nil {
				return nil, err
			}
			c := p.a.calls.new()
			c.p, c.fn, c.args, c.kwname = e.at(), e, args, kw
			e = c
		case "|":
			p.next()
			nt, err := p.expectName()
			if err != nil {
				return nil, err
			}
			name := nt.val
			for p.isOp(".") { // dotted filter names
				p.next()
				m, err := p.expectName()
				if err != nil {
					return nil, err
				}
				name += "." + m.val
			}
			f := p.a.filters.new()
			f.p, f.x, f.name = nt.pos, e, name
			if p.isOp("(") {
				if f.args, f.kwname, err = p.parseArgs(); err != nil {
					return nil, err
				}
			}
			e = f
		default:
			return e, nil
		}
	}
}

// parseArgs parses "(a, b, k=v)" starting at "(".
func (p *exprParser) parseArgs() ([]expr, []string, error) {
	if _, err := p.expectOp("("); err != nil {
		return nil, nil, err
	}
	astart, kstart := len(p.a.exprs), len(p.a.strs)
	hasKw := false
	for !p.isOp(")") {
		if p.atEOF() {
			p.a.dropArgs(astart, kstart)
			return nil, nil, errAt(p.peek().pos, "unclosed '(': expected ')'")
		}
		name := ""
		if t := p.peek(); t.kind == etName && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == etOp && p.toks[p.i+1].val == "=" {
			name = t.val
			p.next()
			p.next()
			hasKw = true
		} else if p.isOp("*") || p.isOp("**") {
			p.a.dropArgs(astart, kstart)
			return nil, nil, errAt(p.peek().pos, "*args and **kwargs in calls are not supported")
		}
		a, err := p.parseExpr()
		if err != nil {
			p.a.dropArgs(astart, kstart)
			return nil, nil, err
		}
		p.a.exprs = append(p.a.exprs, a)
		p.a.strs = append(p.a.strs, name)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	var kw []string
	if hasKw {
		kw = p.a.popStrs(kstart)
	}
	args := p.a.popExprs(astart)
	p.a.dropArgs(astart, kstart)
	if _, err := p.expectOp(")"); err != nil {
		return nil, nil, err
	}
	return args, kw, nil
}

func (p *exprParser) parsePrimary() (expr, error) {
	t := p.next()
	switch t.kind {
	case etName:
		switch t.val {
		case "True", "true":
			return p.a.constant(t.pos, true), nil
		case "False", "false":
			return p.a.constant(t.pos, false), nil
		case "None", "none":
			return p.a.constant(t.pos, nil), nil
		}
		return p.a.name(t.pos, t.val), nil
	case etInt:
		n, err := strconv.Atoi(t.val)
		if err != nil {
			f, ferr := strconv.ParseFloat(t.val, 64)
			if ferr != nil {
				return nil, errAt(t.pos, "bad number %s", t.val)
			}
			return p.a.constant(t.pos, f), nil
		}
		return p.a.constant(t.pos, n), nil
	case etFloat:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, errAt(t.pos, "bad number %s", t.val)
		}
		return p.a.constant(t.pos, f), nil
	case etString:
		s := t.val
		// Adjacent string literals concatenate, as in Python.
		for p.peek().kind == etString {
			s += p.next().val
		}
		return p.a.str(t.pos, s), nil
	case etOp:
		switch t.val {
		case "(":
			if p.isOp(")") {
				p.next()
				return &listExpr{p: t.pos, tuple: true}, nil
			}
			e, err := p.parseExpr()
			if err != nil {
				return nil, err
			}
			if p.isOp(",") {
				items := []expr{e}
				for p.isOp(",") {
					p.next()
					if p.isOp(")") {
						break
					}
					x, err := p.parseExpr()
					if err != nil {
						return nil, err
					}
					items = append(items, x)
				}
				e = &listExpr{p: t.pos, items: items, tuple: true}
			}
			if _, err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return e, nil
		case "[":
			l := p.a.lists.new()
			l.p = t.pos
			start := len(p.a.exprs)
			for !p.isOp("]") {
				if p.atEOF() {
					p.a.dropArgs(start, len(p.a.strs))
					return nil, errAt(t.pos, "unclosed '[': expected ']'")
				}
				x, err := p.parseExpr()
				if err != nil {
					p.a.dropArgs(start, len(p.a.strs))
					return nil, err
				}
				p.a.exprs = append(p.a.exprs, x)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			l.items = p.a.popExprs(start)
			if _, err := p.expectOp("]"); err != nil {
				return nil, err
			}
			return l, nil
		case "{":
			d := &dictExpr{p: t.pos}
			for !p.isOp("}") {
				if p.atEOF() {
					return nil, errAt(t.pos, "unclosed '{': expected '}'")
				}
				k, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				if _, err := p.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
			if _, err := p.expectOp("}"); err != nil {
				return nil, err
			}
			return d, nil
		}
	case etEOF:
		return nil, errAt(t.pos, "expected an expression, found end of tag")
	}
	return nil, errAt(t.pos, "unexpected %s in expression", describe(t))
}

// Statement AST.
type node interface{}

type (
	textNode struct {
		p    int
		text string
	}
	outputNode struct {
		p int
		x expr
	}
	ifNode struct {
		p      int
		conds  []expr
		bodies [][]node
		els    []node
		// Room for the first branch, so an if without elif needs no
		// allocation of its own.
		cond0 [1]expr
		body0 [1][]node
	}
	forNode struct {
		p         int
		vars      []string
		iter      expr
		body, els []node
		var0      [1]string // room for the first loop variable
	}
	setNode struct {
		p       int
		names   []string // one or more targets
		nsObj   expr     // for "set ns.attr = e"
		nsAttr  string
		x       expr
		capture []node // block form
		isBlock bool
		name0   [1]string // room for the first target
	}
	doNode struct {
		p int
		x expr
	}
	macroNode struct {
		p      int
		name   string
		params []string
		defs   []expr // parallel to params; nil when no default
		body   []node
	}
	callBlockNode struct {
		p      int
		call   *callExpr
		params []string
		body   []node
	}
)

// stmtParser builds the statement tree from template tokens.
type stmtParser struct {
	src  string
	toks []tmplTok
	i    int
	a    *astAlloc
	// etoks holds the expression tokens of the tags lexed so far: each
	// tag's tokens are a window of it, so lexing costs no allocation per
	// tag.
	etoks []etok
	// nodes is the stack the bodies being parsed gather their nodes on.
	nodes []node
	// endToks are the tokens of the end tag parseBody stopped at.
	endToks []etok
}

// parseWork is the scratch memory of one parse, kept for the next.
type parseWork struct {
	toks  []tmplTok
	etoks []etok
	nodes []node
	sp    stmtParser
	a     astAlloc
}

var parseWorkPool = sync.Pool{New: func() any { return new(parseWork) }}

// parseTemplate parses the whole source into a node list. The tree is
// made in memory of w, which the caller releases once done with the tree
// (nothing of it may be kept: strings and values taken from it may).
func parseTemplate(src string) (nodes []node, w *parseWork, err error) {
	w = parseWorkPool.Get().(*parseWork)
	toks, err := lexTemplate(w.toks, src)
	if err != nil {
		return nil, w, err
	}
	w.toks = toks
	sp := &w.sp
	*sp = stmtParser{src: src, toks: toks, a: &w.a, etoks: w.etoks[:0], nodes: w.nodes[:0]}
	ntext, nvar := 0, 0
	for _, t := range toks {
		switch t.kind {
		case tokText, tokRaw:
			ntext++
		case tokVar:
			nvar++
		}
	}
	if cap(w.a.texts.buf) < ntext {
		w.a.texts.buf = make([]textNode, 0, ntext)
	}
	if cap(w.a.outputs.buf) < nvar {
		w.a.outputs.buf = make([]outputNode, 0, nvar)
	}
	nodes, end, endTok, err := sp.parseBody(nil)
	w.etoks, w.nodes = sp.etoks, sp.nodes
	if err != nil {
		return nil, w, err
	}
	if end != "" {
		return nil, w, errAt(endTok.pos, "unexpected {%% %s %%}", end)
	}
	return nodes, w, nil
}

// TagCode calls fn with the code inside each {{ }} and {% %} tag of src,
// in order, split as templates are lexed: comments and the text of raw
// blocks are not code, and a closer inside a string does not end a tag.
// It calls fn for no tag if src does not lex (compiling src then fails,
// saying why).
func TagCode(src string, fn func(code string)) {
	w := parseWorkPool.Get().(*parseWork)
	defer w.release()
	toks, err := lexTemplate(w.toks, src)
	if err != nil {
		return
	}
	w.toks = toks
	for _, t := range toks {
		if t.kind == tokVar || t.kind == tokBlock {
			fn(src[t.inner:t.innerEnd])
		}
	}
}

// release clears w and pools it, unless it grew too large to keep. The
// tree of its last parse must no longer be used.
func (w *parseWork) release() {
	if cap(w.toks) > 1<<14 || cap(w.etoks) > 1<<14 || cap(w.nodes) > 1<<12 {
		return
	}
	// Tokens hold pieces of the source: drop them. (Stacked nodes are
	// cleared as they are popped.)
	clear(w.etoks)
	w.toks, w.etoks, w.nodes = w.toks[:0], w.etoks[:0], w.nodes[:0]
	w.sp = stmtParser{}
	w.a.reset()
	parseWorkPool.Put(w)
}

// lex returns the expression tokens of tag t.
func (sp *stmtParser) lex(t tmplTok) ([]etok, error) {
	n := len(sp.etoks)
	toks, err := lexExpr(sp.etoks, sp.src, t.inner, t.innerEnd)
	if err != nil {
		return nil, err
	}
	// When the buffer grew, the tokens of earlier tags stay where they
	// were: a window of the new buffer holds this tag's.
	sp.etoks = toks
	return toks[n:len(toks):len(toks)], nil
}

func hasEnd(ends []string, name string) bool {
	for _, e := range ends {
		if e == name {
			return true
		}
	}
	return false
}

// parseBody parses nodes until one of the end tags (returned with its
// token; its expression tokens are left in sp.endToks) or EOF.
func (sp *stmtParser) parseBody(ends []string) ([]node, string, tmplTok, error) {
	base := len(sp.nodes)
	for sp.i < len(sp.toks) {
		t := sp.toks[sp.i]
		sp.i++
		switch t.kind {
		case tokText, tokRaw:
			if t.innerEnd > t.inner {
				n := sp.a.texts.new()
				n.p, n.text = t.inner, sp.src[t.inner:t.innerEnd]
				sp.nodes = append(sp.nodes, n)
			}
		case tokComment:
		case tokVar:
			toks, err := sp.lex(t)
			if err != nil {
				sp.popNodes(base)
				return nil, "", t, err
			}
			ep := &exprParser{toks: toks, a: sp.a}
			x, err := ep.parseTupleOrExpr()
			if err != nil {
				sp.popNodes(base)
				return nil, "", t, err
			}
			if !ep.atEOF() {
				sp.popNodes(base)
				return nil, "", t, errAt(ep.peek().pos, "unexpected %s in expression", describe(ep.peek()))
			}
			n := sp.a.outputs.new()
			n.p, n.x = x.at(), x
			sp.nodes = append(sp.nodes, n)
		case tokBlock:
			toks, err := sp.lex(t)
			if err != nil {
				sp.popNodes(base)
				return nil, "", t, err
			}
			if toks[0].kind != etName {
				sp.popNodes(base)
				return nil, "", t, errAt(toks[0].pos, "expected a tag name, found %s", describe(toks[0]))
			}
			name := toks[0].val
			if hasEnd(ends, name) {
				sp.i-- // leave the end tag for the caller
				sp.endToks = toks
				return sp.popNodes(base), name, t, nil
			}
			ep := &exprParser{toks: toks, i: 1, a: sp.a}
			n, err := sp.parseTag(t, name, ep)
			if err != nil {
				sp.popNodes(base)
				return nil, "", t, err
			}
			if n != nil {
				sp.nodes = append(sp.nodes, n)
			}
		}
	}
	return sp.popNodes(base), "", tmplTok{pos: len(sp.src)}, nil
}

// popNodes returns the nodes gathered since base, in a slice of their own
// (nil when there are none), and pops them.
func (sp *stmtParser) popNodes(base int) []node {
	if len(sp.nodes) == base {
		return nil
	}
	out := window(&sp.a.nodeWin, len(sp.nodes)-base)
	copy(out, sp.nodes[base:])
	clear(sp.nodes[base:])
	sp.nodes = sp.nodes[:base]
	return out
}

// consumeEnd takes the end tag left by parseBody and returns its parser.
func (sp *stmtParser) consumeEnd() (tmplTok, *exprParser) {
	t := sp.toks[sp.i]
	sp.i++
	ep := sp.a.parsers.new()
	*ep = exprParser{toks: sp.endToks, i: 1, a: sp.a}
	return t, ep
}

func (sp *stmtParser) body(start tmplTok, tag string, ends ...string) ([]node, string, *exprParser, error) {
	nodes, end, _, err := sp.parseBody(ends)
	if err != nil {
		return nil, "", nil, err
	}
	if end == "" {
		return nil, "", nil, &syntaxError{pos: start.pos, msg: "unclosed {% " + tag + " %}: missing {% " + ends[len(ends)-1] + " %}"}
	}
	_, ep := sp.consumeEnd()
	return nodes, end, ep, nil
}

func noMore(ep *exprParser, tag string) error {
	if !ep.atEOF() {
		return errAt(ep.peek().pos, "unexpected %s in {%% %s %%}", describe(ep.peek()), tag)
	}
	return nil
}

var knownTags = []string{"if", "elif", "else", "endif", "for", "endfor", "set", "endset", "do", "macro", "endmacro", "call", "endcall", "raw", "endraw", "filter"}

func (sp *stmtParser) parseTag(t tmplTok, name string, ep *exprParser) (node, error) {
	pos := ep.toks[0].pos
	switch name {
	case "if":
		n := sp.a.ifs.new()
		n.p = pos
		cond, err := ep.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := noMore(ep, "if"); err != nil {
			return nil, err
		}
		for {
			body, end, eep, err := sp.body(t, "if", "elif", "else", "endif")
			if err != nil {
				return nil, err
			}
			if n.conds == nil {
				n.conds, n.bodies = n.cond0[:0:1], n.body0[:0:1]
			}
			n.conds = append(n.conds, cond)
			n.bodies = append(n.bodies, body)
			switch end {
			case "elif":
				if cond, err = eep.parseExpr(); err != nil {
					return nil, err
				}
				if err := noMore(eep, "elif"); err != nil {
					return nil, err
				}
				continue
			case "else":
				if err := noMore(eep, "else"); err != nil {
					return nil, err
				}
				els, _, eep2, err := sp.body(t, "if", "endif")
				if err != nil {
					return nil, err
				}
				if err := noMore(eep2, "endif"); err != nil {
					return nil, err
				}
				n.els = els
			default:
				if err := noMore(eep, "endif"); err != nil {
					return nil, err
				}
			}
			return n, nil
		}
	case "for":
		n := sp.a.fors.new()
		n.p = pos
		for {
			nt, err := ep.expectName()
			if err != nil {
				return nil, err
			}
			if n.vars == nil {
				n.vars = n.var0[:0:1]
			}
			n.vars = append(n.vars, nt.val)
			if !ep.isOp(",") {
				break
			}
			ep.next()
		}
		if !ep.isName("in") {
			return nil, errAt(ep.peek().pos, "expected 'in' in {%% for %%}, found %s", describe(ep.peek()))
		}
		ep.next()
		iter, err := ep.parseOr()
		if err != nil {
			return nil, err
		}
		n.iter = iter
		if ep.isName("if") {
			return nil, errAt(ep.peek().pos, "loop filtering ({%% for x in xs if cond %%}) is not supported; use {%% if %%} inside the loop")
		}
		if ep.isName("recursive") {
			return nil, errAt(ep.peek().pos, "recursive loops are not supported")
		}
		if err := noMore(ep, "for"); err != nil {
			return nil, err
		}
		body, end, eep, err := sp.body(t, "for", "else", "endfor")
		if err != nil {
			return nil, err
		}
		n.body = body
		if end == "else" {
			if err := noMore(eep, "else"); err != nil {
				return nil, err
			}
			if n.els, _, eep, err = sp.body(t, "for", "endfor"); err != nil {
				return nil, err
			}
		}
		if err := noMore(eep, "endfor"); err != nil {
			return nil, err
		}
		return n, nil
	case "set":
		n := sp.a.sets.new()
		n.p = pos
		first, err := ep.expectName()
		if err != nil {
			return nil, err
		}
		if ep.isOp(".") {
			ep.next()
			at, err := ep.expectName()
			if err != nil {
				return nil, err
			}
			n.nsObj = &nameExpr{p: first.pos, name: first.val}
			n.nsAttr = at.val
		} else {
			n.name0[0] = first.val
			n.names = n.name0[:1:1]
			for ep.isOp(",") {
				ep.next()
				nt, err := ep.expectName()
				if err != nil {
					return nil, err
				}
				n.names = append(n.names, nt.val)
			}
		}
		if ep.atEOF() && n.nsObj == nil && len(n.names) == 1 {
			n.isBlock = true
			body, _, eep, err := sp.body(t, "set", "endset")
			if err != nil {
				return nil, err
			}
			if err := noMore(eep, "endset"); err != nil {
				return nil, err
			}
			n.capture = body
			return n, nil
		}
		if _, err := ep.expectOp("="); err != nil {
			return nil, err
		}
		if n.x, err = ep.parseTupleOrExpr(); err != nil {
			return nil, err
		}
		if err := noMore(ep, "set"); err != nil {
			return nil, err
		}
		return n, nil
	case "do":
		x, err := ep.parseTupleOrExpr()
		if err != nil {
			return nil, err
		}
		if err := noMore(ep, "do"); err != nil {
			return nil, err
		}
		return &doNode{p: pos, x: x}, nil
	case "macro":
		nt, err := ep.expectName()
		if err != nil {
			return nil, err
		}
		n := &macroNode{p: pos, name: nt.val}
		params, defs, err := parseParams(ep)
		if err != nil {
			return nil, err
		}
		n.params, n.defs = params, defs
		if err := noMore(ep, "macro"); err != nil {
			return nil, err
		}
		body, _, eep, err := sp.body(t, "macro", "endmacro")
		if err != nil {
			return nil, err
		}
		if !eep.atEOF() && !(eep.peek().kind == etName && eep.peek().val == n.name) {
			return nil, noMore(eep, "endmacro")
		}
		n.body = body
		return n, nil
	case "test":
		// dbt compiles {% test name(model, ...) %} to a macro test_<name>.
		return sp.parseTestBlock(t, pos, ep)
	case "materialization":
		return nil, &syntaxError{pos: pos, msg: "{% materialization %} blocks are not supported by Kiln",
			hint: "Kiln builds view, table, incremental and ephemeral models itself; remove the block and use one of those materializations"}
	case "call":
		n := &callBlockNode{p: pos}
		if ep.isOp("(") {
			params, defs, err := parseParams(ep)
			if err != nil {
				return nil, err
			}
			for _, d := range defs {
				if d != nil {
					return nil, errAt(d.at(), "defaults for caller parameters are not supported")
				}
			}
			n.params = params
		}
		x, err := ep.parseExpr()
		if err != nil {
			return nil, err
		}
		c, ok := x.(*callExpr)
		if !ok {
			return nil, errAt(x.at(), "{%% call %%} needs a macro call")
		}
		n.call = c
		if err := noMore(ep, "call"); err != nil {
			return nil, err
		}
		body, _, eep, err := sp.body(t, "call", "endcall")
		if err != nil {
			return nil, err
		}
		if err := noMore(eep, "endcall"); err != nil {
			return nil, err
		}
		n.body = body
		return n, nil
	case "raw":
		// The lexer already produced the raw body and the endraw tag.
		if sp.i < len(sp.toks) && sp.toks[sp.i].kind == tokRaw {
			r := sp.toks[sp.i]
			sp.i += 2
			if r.innerEnd > r.inner {
				return &textNode{p: r.inner, text: sp.src[r.inner:r.innerEnd]}, nil
			}
		} else if sp.i < len(sp.toks) {
			sp.i++ // empty raw block: skip endraw
		}
		return nil, nil
	case "elif", "else", "endif", "endfor", "endset", "endmacro", "endcall", "endraw":
		return nil, errAt(pos, "unexpected {%% %s %%} without a matching opening tag", name)
	}
	hint := "supported tags: " + strings.Join(knownTags, ", ")
	if name == "materialization" || name == "test" || name == "snapshot" || name == "docs" {
		hint = "{% " + name + " %} blocks are not supported by Kiln; " + hint
	}
	return nil, &syntaxError{pos: pos, msg: "unknown tag '" + name + "'", hint: hint}
}

// parseParams parses "(a, b=1, c='x')".
func parseParams(ep *exprParser) ([]string, []expr, error) {
	if _, err := ep.expectOp("("); err != nil {
		return nil, nil, err
	}
	var params []string
	var defs []expr
	seenDefault := false
	for !ep.isOp(")") {
		nt, err := ep.expectName()
		if err != nil {
			return nil, nil, err
		}
		var d expr
		if ep.isOp("=") {
			ep.next()
			if d, err = ep.parseExpr(); err != nil {
				return nil, nil, err
			}
			seenDefault = true
		} else if seenDefault {
			return nil, nil, errAt(nt.pos, "parameter '%s' without a default follows one with a default", nt.val)
		}
		params = append(params, nt.val)
		defs = append(defs, d)
		if !ep.isOp(",") {
			break
		}
		ep.next()
	}
	if _, err := ep.expectOp(")"); err != nil {
		return nil, nil, err
	}
	return params, defs, nil
}
