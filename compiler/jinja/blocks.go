package jinja

// parseTestBlock parses {% test name(model, column_name, ...) %} ...
// {% endtest %}: dbt's custom generic test, a macro named test_<name>.
func (sp *stmtParser) parseTestBlock(t tmplTok, pos int, ep *exprParser) (node, error) {
	nt, err := ep.expectName()
	if err != nil {
		return nil, err
	}
	n := &macroNode{p: pos, name: "test_" + nt.val}
	params, defs, err := parseParams(ep)
	if err != nil {
		return nil, err
	}
	n.params, n.defs = params, defs
	if err := noMore(ep, "test"); err != nil {
		return nil, err
	}
	body, _, eep, err := sp.body(t, "test", "endtest")
	if err != nil {
		return nil, err
	}
	if !eep.atEOF() && !(eep.peek().kind == etName && eep.peek().val == nt.val) {
		return nil, noMore(eep, "endtest")
	}
	n.body = body
	return n, nil
}
