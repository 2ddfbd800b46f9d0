package jinja

import (
	"strconv"
	"strings"
)

// Expression AST. Every node knows the source offset it starts at.
type expr interface{ at() int }

type (
	nameExpr struct {
		p    int
		name string
	}
	constExpr struct {
		p   int
		val any // string, int, float64, bool, nil
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
		l = &binExpr{p: t.pos, op: "or", l: l, r: r}
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
		l = &binExpr{p: t.pos, op: "and", l: l, r: r}
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
		return &unaryExpr{p: t.pos, op: "not", x: x}, nil
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
		c := &binExpr{p: t.pos, op: op, l: l, r: r}
		if result == nil {
			result = c
		} else {
			result = &binExpr{p: t.pos, op: "and", l: result, r: c}
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
		l = &binExpr{p: t.pos, op: "~", l: l, r: r}
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
		l = &binExpr{p: t.pos, op: t.val, l: l, r: r}
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
		l = &binExpr{p: t.pos, op: t.val, l: l, r: r}
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
				return &constExpr{p: t.pos, val: -v}, nil
			case float64:
				return &constExpr{p: t.pos, val: -v}, nil
			}
		}
		return &unaryExpr{p: t.pos, op: t.val, x: x}, nil
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
		return &binExpr{p: t.pos, op: "**", l: l, r: r}, nil
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
				e = &itemExpr{p: nt.pos, x: e, idx: &constExpr{p: nt.pos, val: n}}
				continue
			}
			if nt.kind != etName {
				return nil, errAt(nt.pos, "expected an attribute name after '.', found %s", describe(nt))
			}
			p.next()
			e = &attrExpr{p: nt.pos, x: e, name: nt.val}
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
			e = &callExpr{p: e.at(), fn: e, args: args, kwname: kw}
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
			f := &filterExpr{p: nt.pos, x: e, name: name}
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
	var args []expr
	var kw []string
	hasKw := false
	for !p.isOp(")") {
		if p.atEOF() {
			return nil, nil, errAt(p.peek().pos, "unclosed '(': expected ')'")
		}
		name := ""
		if t := p.peek(); t.kind == etName && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == etOp && p.toks[p.i+1].val == "=" {
			name = t.val
			p.next()
			p.next()
			hasKw = true
		} else if p.isOp("*") || p.isOp("**") {
			return nil, nil, errAt(p.peek().pos, "*args and **kwargs in calls are not supported")
		}
		a, err := p.parseExpr()
		if err != nil {
			return nil, nil, err
		}
		args = append(args, a)
		kw = append(kw, name)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	if _, err := p.expectOp(")"); err != nil {
		return nil, nil, err
	}
	if !hasKw {
		kw = nil
	}
	return args, kw, nil
}

func (p *exprParser) parsePrimary() (expr, error) {
	t := p.next()
	switch t.kind {
	case etName:
		switch t.val {
		case "True", "true":
			return &constExpr{p: t.pos, val: true}, nil
		case "False", "false":
			return &constExpr{p: t.pos, val: false}, nil
		case "None", "none":
			return &constExpr{p: t.pos, val: nil}, nil
		}
		return &nameExpr{p: t.pos, name: t.val}, nil
	case etInt:
		n, err := strconv.Atoi(t.val)
		if err != nil {
			f, ferr := strconv.ParseFloat(t.val, 64)
			if ferr != nil {
				return nil, errAt(t.pos, "bad number %s", t.val)
			}
			return &constExpr{p: t.pos, val: f}, nil
		}
		return &constExpr{p: t.pos, val: n}, nil
	case etFloat:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, errAt(t.pos, "bad number %s", t.val)
		}
		return &constExpr{p: t.pos, val: f}, nil
	case etString:
		s := t.val
		// Adjacent string literals concatenate, as in Python.
		for p.peek().kind == etString {
			s += p.next().val
		}
		return &constExpr{p: t.pos, val: s}, nil
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
			l := &listExpr{p: t.pos}
			for !p.isOp("]") {
				if p.atEOF() {
					return nil, errAt(t.pos, "unclosed '[': expected ']'")
				}
				x, err := p.parseExpr()
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, x)
				if !p.isOp(",") {
					break
				}
				p.next()
			}
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
	}
	forNode struct {
		p         int
		vars      []string
		iter      expr
		body, els []node
	}
	setNode struct {
		p       int
		names   []string // one or more targets
		nsObj   expr     // for "set ns.attr = e"
		nsAttr  string
		x       expr
		capture []node // block form
		isBlock bool
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
}

type endSet map[string]bool

// parseTemplate parses the whole source into a node list.
func parseTemplate(src string) ([]node, error) {
	toks, err := lexTemplate(src)
	if err != nil {
		return nil, err
	}
	sp := &stmtParser{src: src, toks: toks}
	nodes, end, endTok, err := sp.parseBody(nil)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, errAt(endTok.pos, "unexpected {%% %s %%}", end)
	}
	return nodes, nil
}

// parseBody parses nodes until one of the end tags (returned with its
// token and the rest of its expression tokens) or EOF.
func (sp *stmtParser) parseBody(ends endSet) ([]node, string, tmplTok, error) {
	var nodes []node
	for sp.i < len(sp.toks) {
		t := sp.toks[sp.i]
		sp.i++
		switch t.kind {
		case tokText, tokRaw:
			if t.innerEnd > t.inner {
				nodes = append(nodes, &textNode{p: t.inner, text: sp.src[t.inner:t.innerEnd]})
			}
		case tokComment:
		case tokVar:
			toks, err := lexExpr(sp.src, t.inner, t.innerEnd)
			if err != nil {
				return nil, "", t, err
			}
			ep := &exprParser{toks: toks}
			x, err := ep.parseTupleOrExpr()
			if err != nil {
				return nil, "", t, err
			}
			if !ep.atEOF() {
				return nil, "", t, errAt(ep.peek().pos, "unexpected %s in expression", describe(ep.peek()))
			}
			nodes = append(nodes, &outputNode{p: x.at(), x: x})
		case tokBlock:
			toks, err := lexExpr(sp.src, t.inner, t.innerEnd)
			if err != nil {
				return nil, "", t, err
			}
			if toks[0].kind != etName {
				return nil, "", t, errAt(toks[0].pos, "expected a tag name, found %s", describe(toks[0]))
			}
			name := toks[0].val
			if ends[name] {
				sp.i-- // leave the end tag for the caller
				return nodes, name, t, nil
			}
			ep := &exprParser{toks: toks, i: 1}
			n, err := sp.parseTag(t, name, ep)
			if err != nil {
				return nil, "", t, err
			}
			if n != nil {
				nodes = append(nodes, n)
			}
		}
	}
	return nodes, "", tmplTok{pos: len(sp.src)}, nil
}

// consumeEnd takes the end tag left by parseBody and returns its parser.
func (sp *stmtParser) consumeEnd() (tmplTok, *exprParser) {
	t := sp.toks[sp.i]
	sp.i++
	toks, _ := lexExpr(sp.src, t.inner, t.innerEnd)
	return t, &exprParser{toks: toks, i: 1}
}

func (sp *stmtParser) body(start tmplTok, tag string, ends ...string) ([]node, string, *exprParser, error) {
	es := make(endSet, len(ends))
	for _, e := range ends {
		es[e] = true
	}
	nodes, end, _, err := sp.parseBody(es)
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
		n := &ifNode{p: pos}
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
		n := &forNode{p: pos}
		for {
			nt, err := ep.expectName()
			if err != nil {
				return nil, err
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
		n := &setNode{p: pos}
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
			n.names = []string{first.val}
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
