package yamlspec

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// fastParse is a hand-written parser for the block YAML that property files
// are written in: block mappings and sequences, single-line plain and quoted
// scalars, single-line flow sequences and mappings, literal and folded block
// scalars, comments and blank lines. It builds the document node yaml.v3
// builds (Kind, Tag, Value, Style, Line, Column and Content alike; no
// anchors or aliases occur in the subset) several times faster, because the
// nodes, the Content slices and the scalar values share a few allocations.
//
// Comments are skipped: HeadComment, LineComment and FootComment stay empty,
// as nothing in Kiln reads them.
//
// ok is false for anything outside the subset, or that the parser is unsure
// about, and for every syntax error: the caller then parses with yaml.v3,
// which also words the errors. FuzzFastParse holds the two parsers to the
// same tree. mayRepeatKeys is false when no mapping of the tree repeats a
// key, which the parser checks as it closes each mapping.
func fastParse(src []byte) (doc *yaml.Node, mayRepeatKeys, ok bool) {
	defer func() {
		// A bail, or a bug of this parser: yaml.v3 decides either way.
		if recover() != nil {
			doc, mayRepeatKeys, ok = nil, true, false
		}
	}()
	p := newFastParser(src)
	doc = p.document()
	return doc, p.mayRepeatKeys, true
}

// bail is the panic value that abandons the fast path, from anywhere in it.
type bail struct{}

// maxFastDepth bounds the nesting the fast path follows, far below
// yaml.v3's own limit of 10000 levels.
const maxFastDepth = 200

// maxFastKey is how far a key's ':' may be from its start: yaml.v3 gives up
// on a simple key after 1024 characters, and a byte count never exceeds
// the character count.
const maxFastKey = 1000

const (
	nullTag  = "!!null"
	boolTag  = "!!bool"
	strTag   = "!!str"
	intTag   = "!!int"
	floatTag = "!!float"
	seqTag   = "!!seq"
	mapTag   = "!!map"
)

type fastParser struct {
	src       string // one copy of the input; scalar values are substrings of it
	pos       int    // offset of the next byte to read
	lineStart int    // offset of the current line
	line      int    // 1-based number of the current line
	ind       int    // indentation of the line at pos, or -1 at the end of input
	ascii     bool   // no multi-byte characters, so columns are byte offsets
	colFrom   int    // the offset whose column col found last...
	colAt     int    // ...and that column
	depth     int    // collections open around pos

	chunk int          // size of the node and pointer slabs
	nodes []yaml.Node  // slab the nodes are carved from
	ptrs  []*yaml.Node // slab the Content slices are carved from
	stack []*yaml.Node // children of the collections being parsed

	// mayRepeatKeys is set when a mapping may hold a key twice (or is too
	// large to tell cheaply): Parse then walks the tree for duplicates.
	mayRepeatKeys bool
}

func newFastParser(src []byte) *fastParser {
	p := &fastParser{src: lfText(src), line: 1, colAt: 1}
	p.chunk = p.checkText()
	p.nodes = make([]yaml.Node, 0, p.chunk)
	p.ptrs = make([]*yaml.Node, 0, p.chunk)
	p.stack = make([]*yaml.Node, 0, 64)
	return p
}

// lfText is src as a string, each CRLF line break made LF: YAML reads the
// two as the same break, and scalars hold LF either way, so files saved
// with Windows line endings parse on the fast path too. A CR not followed
// by LF is kept, for checkText to leave to yaml.v3.
func lfText(src []byte) string {
	i := bytes.IndexByte(src, '\r')
	if i < 0 {
		return string(src)
	}
	var b strings.Builder
	b.Grow(len(src))
	for ; i >= 0; i = bytes.IndexByte(src, '\r') {
		if i+1 < len(src) && src[i+1] == '\n' {
			b.Write(src[:i])
		} else {
			b.Write(src[:i+1])
		}
		src = src[i+1:]
	}
	b.Write(src)
	return b.String()
}

// Byte classes for checkText.
const (
	otherByte     = iota // printable ASCII that seldom starts a node, '\n'
	nodeByte             // '-', ',', '[' and '{', which usually start a node
	pairByte             // ':', which usually ends a key and starts a value
	invalidByte          // control characters the subset leaves to yaml.v3
	multiByteLead        // the first byte of a multi-byte character
)

var byteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= 0x80:
			t[c] = multiByteLead
		case c < 0x20 && c != '\n' || c == 0x7f:
			t[c] = invalidByte
		}
	}
	t['-'], t[','], t['['], t['{'] = nodeByte, nodeByte, nodeByte, nodeByte
	t[':'] = pairByte
	return t
}()

// checkText bails on characters the subset leaves to yaml.v3 (tabs,
// carriage returns and other control characters, invalid UTF-8, the BOM,
// and the characters YAML counts as line breaks besides '\n') and estimates
// the number of nodes from the indicators that usually start one.
func (p *fastParser) checkText() int {
	s := p.src
	p.ascii = true
	n := 16
	for i := 0; i < len(s); {
		switch byteClass[s[i]] {
		case nodeByte:
			n++
		case pairByte:
			n += 2
		case invalidByte:
			panic(bail{})
		case multiByteLead:
			r, size := utf8.DecodeRuneInString(s[i:])
			if size == 1 || !printable(r) {
				panic(bail{})
			}
			p.ascii = false
			i += size
			continue
		}
		i++
	}
	return n
}

// printable reports whether yaml.v3 reads r as an ordinary character: its
// reader accepts these ranges, minus the BOM and LS/PS, which are not
// ordinary.
func printable(r rune) bool {
	switch {
	case r >= 0xa0 && r <= 0xd7ff:
		return r != 0x2028 && r != 0x2029
	case r >= 0xe000 && r <= 0xfffd:
		return r != 0xfeff
	}
	return r >= 0x10000 && r <= 0x10ffff
}

// document parses the whole input, whose root must be a block collection.
func (p *fastParser) document() *yaml.Node {
	p.skipToContent()
	if p.ind < 0 {
		panic(bail{}) // empty: rare, and yaml.v3 has its own idea of it
	}
	root := p.blockNode()
	if p.ind >= 0 {
		panic(bail{}) // content outside the root collection
	}
	doc := p.newNodeAt(yaml.DocumentNode, "", "", root.Line, root.Column)
	p.push(root)
	doc.Content = p.children(0)
	return doc
}

// blockNode parses the collection whose first entry starts at pos, the first
// content of its line.
func (p *fastParser) blockNode() *yaml.Node {
	ind := p.ind
	if p.atBlockEntry() {
		return p.sequence(ind, false)
	}
	k, isKey := p.scalar(true)
	if !isKey {
		panic(bail{})
	}
	return p.mapping(k, ind)
}

// sequence parses a block sequence whose first '-' is at pos, at column ind.
// An indentless sequence, a mapping value whose entries line up with the
// mapping's keys, ends at the first line at its column that is no entry.
func (p *fastParser) sequence(ind int, indentless bool) *yaml.Node {
	n := p.newNode(yaml.SequenceNode, seqTag, "", p.pos)
	mark := p.enter()
	for {
		p.push(p.sequenceItem(ind))
		if p.ind < ind {
			break
		}
		if p.ind > ind {
			panic(bail{})
		}
		if !p.atBlockEntry() {
			if indentless {
				break
			}
			panic(bail{})
		}
	}
	n.Content = p.leave(mark)
	return n
}

// sequenceItem parses the entry whose '-' is at pos.
func (p *fastParser) sequenceItem(ind int) *yaml.Node {
	p.pos++
	after := p.pos
	p.skipSpaces()
	if !p.atLineEnd() {
		return p.inline(ind, true)
	}
	line, col := p.line, p.col(after)
	p.finishLine()
	if p.ind > ind {
		return p.blockNode()
	}
	return p.emptyScalar(line, col)
}

// mapping parses a block mapping at column ind whose first key k has been
// read up to its ':'.
func (p *fastParser) mapping(k *yaml.Node, ind int) *yaml.Node {
	n := p.newNodeAt(yaml.MappingNode, mapTag, "", k.Line, k.Column)
	mark := p.enter()
	for {
		p.push(k)
		p.push(p.mappingValue(ind))
		if p.ind < ind {
			break
		}
		if p.ind > ind {
			panic(bail{})
		}
		var isKey bool
		if k, isKey = p.scalar(true); !isKey {
			panic(bail{})
		}
	}
	n.Content = p.leave(mark)
	p.noteKeys(n.Content)
	return n
}

// noteKeys checks the pairs of a mapping just built, while they are in
// the cache, for a key given twice; a merge key or a large mapping is
// left to Parse's walk.
func (p *fastParser) noteKeys(pairs []*yaml.Node) {
	if p.mayRepeatKeys {
		return
	}
	if len(pairs) > 32 {
		p.mayRepeatKeys = true
		return
	}
	for i := 0; i < len(pairs); i += 2 {
		k := pairs[i]
		if k.Kind != yaml.ScalarNode || k.Value == "<<" {
			p.mayRepeatKeys = true
			return
		}
		for j := 0; j < i; j += 2 {
			if pairs[j].Value == k.Value {
				p.mayRepeatKeys = true
				return
			}
		}
	}
}

// mappingValue parses the value after a key's ':' at pos-1, in a mapping at
// column ind.
func (p *fastParser) mappingValue(ind int) *yaml.Node {
	after := p.pos
	p.skipSpaces()
	if !p.atLineEnd() {
		return p.inline(ind, false)
	}
	line, col := p.line, p.col(after)
	p.finishLine()
	switch {
	case p.ind > ind:
		return p.blockNode()
	case p.ind == ind && p.atBlockEntry():
		return p.sequence(ind, true)
	}
	return p.emptyScalar(line, col)
}

// inline parses a node that starts at pos, after a key's ':' or a '-' on
// the same line, in a block collection at column ind. Only after a '-' may
// the node be a block collection itself.
func (p *fastParser) inline(ind int, afterDash bool) *yaml.Node {
	switch p.src[p.pos] {
	case '[', '{':
		n := p.flowNode()
		p.finishLine()
		return n
	case '|', '>':
		return p.blockScalar(ind)
	}
	col := p.pos - p.lineStart // after a '-', only spaces and dashes precede it
	if p.atBlockEntry() {
		if !afterDash {
			panic(bail{})
		}
		return p.sequence(col, false)
	}
	n, isKey := p.scalar(afterDash)
	if isKey {
		return p.mapping(n, col)
	}
	p.finishLine()
	return n
}

// scalar parses a quoted or plain scalar in the block context. When it is a
// key, which must be allowed, the ':' after it is read too.
func (p *fastParser) scalar(allowKey bool) (n *yaml.Node, isKey bool) {
	start := p.pos
	switch p.src[p.pos] {
	case '\'', '"':
		n = p.quoted()
		p.skipSpaces()
		isKey = p.pos < len(p.src) && p.src[p.pos] == ':' && p.blankAfter(p.pos)
	default:
		n, isKey = p.plain(start)
	}
	if isKey {
		if !allowKey || p.pos-start > maxFastKey {
			panic(bail{})
		}
		p.pos++
	}
	return n, isKey
}

// plain parses a plain scalar in the block context, which ends at the end
// of the line, at " #" or at a ':' before a blank. It is a key in the last
// case, and then pos is left at the ':'.
func (p *fastParser) plain(start int) (n *yaml.Node, isKey bool) {
	s := p.src
	end := start
	i := start
	for ; i < len(s) && s[i] != '\n'; i++ {
		switch s[i] {
		case ' ':
			if i+1 < len(s) && s[i+1] == '#' {
				p.pos = i
				return p.plainNode(start, end), false
			}
			continue
		case ':':
			if p.blankAfter(i) {
				p.pos = i
				return p.plainNode(start, end), true
			}
		}
		end = i + 1
	}
	p.pos = i
	return p.plainNode(start, end), false
}

// plainNode makes the node of the plain scalar src[start:end].
func (p *fastParser) plainNode(start, end int) *yaml.Node {
	if end == start {
		panic(bail{}) // a ':' where a scalar should start
	}
	v := p.src[start:end]
	return p.newNode(yaml.ScalarNode, plainTag(v), v, start)
}

// plainTag is the tag yaml.v3's resolver gives the plain scalar v, for the
// values whose tag is certain: words, booleans, nulls and what numberTag
// knows. Anything else, including every value that starts with an
// indicator, bails.
func plainTag(v string) string {
	switch v {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return boolTag
	case "~", "null", "Null", "NULL":
		return nullTag
	case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return floatTag
	}
	c := v[0]
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= 0x80, strings.IndexByte("_$/()~=^;\\", c) >= 0:
		return strTag
	case c == '-' && (len(v) == 1 || v[1] == ' '):
		// a sequence entry, not a scalar
	case c >= '0' && c <= '9', c == '-', c == '+', c == '.':
		return numberTag(v)
	}
	panic(bail{})
}

// numberTag is the tag of a plain scalar that starts like a number. yaml.v3
// tries it as a timestamp, then with strconv as an integer or a float:
// -?[0-9]+ is an integer and -?[0-9]+.[0-9]+ a float, when short enough to
// parse and without the leading zeros that make strconv read octal; a value
// with a byte no number syntax uses is a string unless it starts like a
// timestamp. Anything else bails.
func numberTag(v string) string {
	s := strings.TrimPrefix(v, "-")
	i := digits(s)
	switch {
	case i == len(s):
		if i <= 18 && (s[0] != '0' || i == 1) {
			return intTag
		}
	case i > 0 && s[i] == '.' && len(s) <= 30 && digits(s[i+1:]) == len(s)-i-1 && i+1 < len(s):
		return floatTag
	case strings.Trim(v, "0123456789abcdefABCDEFxXoO+-._") != "" && !(digits(v) == 4 && v[4] == '-'):
		return strTag
	}
	panic(bail{})
}

// digits is the number of ASCII digits s starts with.
func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// quoted parses a single- or double-quoted scalar that ends on its line.
func (p *fastParser) quoted() *yaml.Node {
	start := p.pos
	if p.src[start] == '\'' {
		n := p.newNode(yaml.ScalarNode, strTag, p.singleQuoted(), start)
		n.Style = yaml.SingleQuotedStyle
		return n
	}
	n := p.newNode(yaml.ScalarNode, strTag, p.doubleQuoted(), start)
	n.Style = yaml.DoubleQuotedStyle
	return n
}

// singleQuoted reads the value of the single-quoted scalar at pos, in which
// a doubled quote stands for one.
func (p *fastParser) singleQuoted() string {
	s := p.src
	start := p.pos + 1
	var b []byte // only when the value has a ''
	for i := start; i < len(s) && s[i] != '\n'; i++ {
		if s[i] != '\'' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b = append(b, s[start:i+1]...)
			start = i + 2
			i++
			continue
		}
		p.pos = i + 1
		if b == nil {
			return s[start:i]
		}
		return string(append(b, s[start:i]...))
	}
	panic(bail{}) // continues on the next line, or is not closed
}

// doubleQuoted reads the value of the double-quoted scalar at pos, with the
// escapes yaml.v3 knows.
func (p *fastParser) doubleQuoted() string {
	s := p.src
	start := p.pos + 1
	var b []byte // only when the value has an escape
	for i := start; i < len(s) && s[i] != '\n'; i++ {
		switch s[i] {
		case '"':
			p.pos = i + 1
			if b == nil {
				return s[start:i]
			}
			return string(append(b, s[start:i]...))
		case '\\':
			if i+1 >= len(s) {
				panic(bail{})
			}
			b = append(b, s[start:i]...)
			var n int
			b, n = appendEscape(b, s[i+1:])
			i += n
			start = i + 1
		}
	}
	panic(bail{}) // continues on the next line, or is not closed
}

// singleEscapes maps the one-letter escapes of double-quoted scalars to what
// yaml.v3 reads them as.
var singleEscapes = [256]string{
	'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", 'n': "\n", 'v': "\v", 'f': "\f",
	'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"", '\'': "'", '\\': "\\",
	'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
}

// appendEscape appends what the escape after a backslash at the start of s
// stands for, and returns how many bytes of s it took. A line break, an
// unknown escape or an invalid code point bails.
func appendEscape(b []byte, s string) ([]byte, int) {
	if e := singleEscapes[s[0]]; e != "" {
		return append(b, e...), 1
	}
	var n int
	switch s[0] {
	case 'x':
		n = 2
	case 'u':
		n = 4
	case 'U':
		n = 8
	default:
		panic(bail{})
	}
	if len(s) <= n {
		panic(bail{})
	}
	var r int64 // which eight hex digits cannot overflow as they can a rune (or a 32-bit int)
	for _, c := range []byte(s[1 : 1+n]) {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | int64(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | int64(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | int64(c-'A'+10)
		default:
			panic(bail{})
		}
	}
	if r >= 0xd800 && r <= 0xdfff || r > 0x10ffff {
		panic(bail{})
	}
	return utf8.AppendRune(b, rune(r)), 1 + n
}

// flowNode parses a flow sequence or mapping that closes on its line.
func (p *fastParser) flowNode() *yaml.Node {
	open := p.src[p.pos]
	n := p.newNode(yaml.SequenceNode, seqTag, "", p.pos)
	closer := byte(']')
	if open == '{' {
		n.Kind, n.Tag, closer = yaml.MappingNode, mapTag, '}'
	}
	n.Style = yaml.FlowStyle
	mark := p.enter()
	p.pos++
	p.skipSpaces()
	if p.peek() == closer {
		p.pos++
		n.Content = p.leave(mark)
		return n
	}
	for {
		if open == '{' {
			p.flowKey()
		}
		p.push(p.flowItem())
		p.skipSpaces()
		c := p.peek()
		if c == closer {
			break
		}
		if c != ',' {
			panic(bail{}) // a missing ',', an unclosed collection, a single-pair mapping
		}
		p.pos++
		p.skipSpaces()
	}
	p.pos++
	n.Content = p.leave(mark)
	if open == '{' {
		p.noteKeys(n.Content)
	}
	return n
}

// flowKey parses a key in a flow mapping up to and past its ": ".
func (p *fastParser) flowKey() {
	start := p.pos
	switch p.peek() {
	case '[', '{':
		panic(bail{})
	}
	p.push(p.flowItem())
	p.skipSpaces()
	if p.peek() != ':' || !p.blankAfter(p.pos) || p.pos-start > maxFastKey {
		panic(bail{})
	}
	p.pos++
	p.skipSpaces()
}

// flowItem parses an entry of a flow collection.
func (p *fastParser) flowItem() *yaml.Node {
	switch p.peek() {
	case '[', '{':
		return p.flowNode()
	case '\'', '"':
		return p.quoted()
	}
	return p.flowPlain()
}

// flowPlain parses a plain scalar in a flow collection, which ends before a
// ',', ']' or '}' and must not hold what yaml.v3 reads in ways the subset
// leaves alone (':', '?', '#', '[', '{', a line break).
func (p *fastParser) flowPlain() *yaml.Node {
	s := p.src
	start := p.pos
	end := start
	i := start
	for ; i < len(s); i++ {
		switch s[i] {
		case ',', ']', '}':
			if end == start {
				panic(bail{}) // an empty entry
			}
			p.pos = end
			return p.plainNode(start, end)
		case ':':
			if end > start && p.blankAfter(i) {
				p.pos = end
				return p.plainNode(start, end)
			}
			panic(bail{})
		case ' ':
			continue
		case '?', '#', '[', '{', '\n':
			panic(bail{})
		}
		end = i + 1
	}
	panic(bail{}) // not closed
}

// blockScalar parses a literal (|) or folded (>) scalar at pos, of a block
// collection at column parent, replicating yaml.v3's
// yaml_parser_scan_block_scalar for a header with at most a chomping
// indicator (an explicit indentation indicator bails).
func (p *fastParser) blockScalar(parent int) *yaml.Node {
	s := p.src
	n := p.newNode(yaml.ScalarNode, strTag, "", p.pos)
	literal := s[p.pos] == '|'
	n.Style = yaml.FoldedStyle
	if literal {
		n.Style = yaml.LiteralStyle
	}
	p.pos++
	chomp := 0
	switch p.peek() {
	case '-':
		chomp = -1
		p.pos++
	case '+':
		chomp = 1
		p.pos++
	}
	if c := p.peek(); c >= '0' && c <= '9' {
		panic(bail{})
	}
	p.skipComment()
	if p.pos < len(s) {
		p.newline()
	}
	var b []byte
	indent, trailing := p.blockBreaks(0, parent)
	leading, leadingBlank := false, false
	for p.pos < len(s) && p.pos-p.lineStart == indent {
		trailingBlank := s[p.pos] == ' '
		if !literal && leading && !leadingBlank && !trailingBlank {
			if trailing == 0 {
				b = append(b, ' ')
			}
		} else if leading {
			b = append(b, '\n')
		}
		for ; trailing > 0; trailing-- {
			b = append(b, '\n')
		}
		leadingBlank = trailingBlank
		end := strings.IndexByte(s[p.pos:], '\n')
		if end < 0 {
			b = append(b, s[p.pos:]...)
			p.pos = len(s)
			leading = false
		} else {
			b = append(b, s[p.pos:p.pos+end]...)
			p.pos += end
			p.newline()
			leading = true
		}
		indent, trailing = p.blockBreaks(indent, parent)
	}
	if chomp != -1 && leading {
		b = append(b, '\n')
	}
	if chomp == 1 {
		for ; trailing > 0; trailing-- {
			b = append(b, '\n')
		}
	}
	n.Value = string(b)
	if p.pos < len(s) {
		p.pos = p.lineStart // the scalar ended at a less indented line
	}
	p.skipToContent()
	return n
}

// blockBreaks skips the empty lines before a block scalar's next content
// line and the indentation of that line, up to indent, and returns their
// number. An indent of 0 is not known yet: it becomes the content line's,
// or a longer empty line's, and at least parent+1.
func (p *fastParser) blockBreaks(indent, parent int) (int, int) {
	s := p.src
	maxIndent, breaks := 0, 0
	for {
		for p.pos < len(s) && s[p.pos] == ' ' && (indent == 0 || p.pos-p.lineStart < indent) {
			p.pos++
		}
		maxIndent = max(maxIndent, p.pos-p.lineStart)
		if p.pos >= len(s) || s[p.pos] != '\n' {
			break
		}
		p.newline()
		breaks++
	}
	if indent == 0 {
		indent = max(maxIndent, parent+1, 1)
	}
	return indent, breaks
}

// atBlockEntry reports whether pos is at a '-' that starts a sequence entry.
func (p *fastParser) atBlockEntry() bool {
	return p.src[p.pos] == '-' && p.blankAfter(p.pos)
}

// blankAfter reports whether the byte after i is a space, a line break or
// the end of the input.
func (p *fastParser) blankAfter(i int) bool {
	return i+1 >= len(p.src) || p.src[i+1] == ' ' || p.src[i+1] == '\n'
}

// atLineEnd reports whether only a comment, if anything, is left on the
// line at pos, which follows a space or a line start.
func (p *fastParser) atLineEnd() bool {
	return p.pos >= len(p.src) || p.src[p.pos] == '\n' || p.src[p.pos] == '#'
}

// peek is the byte at pos, or 0 at the end of the input.
func (p *fastParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *fastParser) skipSpaces() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

// skipComment skips spaces and a comment after them, and bails unless the
// line ends there. yaml.v3 takes a '#' right after a token for a comment
// too, but the subset wants the space.
func (p *fastParser) skipComment() {
	p.skipSpaces()
	if p.pos < len(p.src) && p.src[p.pos] == '#' {
		if p.src[p.pos-1] != ' ' {
			panic(bail{})
		}
		for p.pos < len(p.src) && p.src[p.pos] != '\n' {
			p.pos++
		}
	}
	if p.pos < len(p.src) && p.src[p.pos] != '\n' {
		panic(bail{})
	}
}

// finishLine checks that only a comment is left on the line and moves to
// the next content line.
func (p *fastParser) finishLine() {
	p.skipComment()
	if p.pos < len(p.src) {
		p.newline()
	}
	p.skipToContent()
}

// newline moves past the '\n' at pos.
func (p *fastParser) newline() {
	p.pos++
	p.line++
	p.lineStart = p.pos
}

// skipToContent moves from a line start past empty and comment lines to the
// first content of the next line with any, and sets ind to its column.
func (p *fastParser) skipToContent() {
	s := p.src
	for p.pos < len(s) {
		i := p.pos
		for i < len(s) && s[i] == ' ' {
			i++
		}
		switch {
		case i == len(s):
			p.pos = i
		case s[i] == '\n':
			p.pos = i
			p.newline()
		case s[i] == '#':
			if e := strings.IndexByte(s[i:], '\n'); e >= 0 {
				p.pos = i + e
				p.newline()
			} else {
				p.pos = len(s)
			}
		case i == p.lineStart && (strings.HasPrefix(s[i:], "---") || strings.HasPrefix(s[i:], "...")):
			panic(bail{}) // a document marker, or too close to one
		default:
			p.ind = i - p.lineStart
			p.pos = i
			return
		}
	}
	p.ind = -1
}

// col is the 1-based column of offset i on the current line, counted in
// characters as yaml.v3 does. With multi-byte characters about, it counts
// on from the last offset asked for, lest a long line cost quadratic time.
func (p *fastParser) col(i int) int {
	if p.ascii {
		return i - p.lineStart + 1
	}
	if p.colFrom < p.lineStart || i < p.colFrom {
		p.colFrom, p.colAt = p.lineStart, 1
	}
	p.colAt += utf8.RuneCountInString(p.src[p.colFrom:i])
	p.colFrom = i
	return p.colAt
}

// newNode allocates a node at offset at of the current line.
func (p *fastParser) newNode(kind yaml.Kind, tag, value string, at int) *yaml.Node {
	return p.newNodeAt(kind, tag, value, p.line, p.col(at))
}

// newNodeAt allocates a node from the slab.
func (p *fastParser) newNodeAt(kind yaml.Kind, tag, value string, line, col int) *yaml.Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]yaml.Node, 0, p.chunk)
	}
	p.nodes = p.nodes[:len(p.nodes)+1]
	n := &p.nodes[len(p.nodes)-1]
	n.Kind, n.Tag, n.Value, n.Line, n.Column = kind, tag, value, line, col
	return n
}

// emptyScalar is the null yaml.v3 puts where a value is left out, at the
// end of the ':' or '-' before it.
func (p *fastParser) emptyScalar(line, col int) *yaml.Node {
	return p.newNodeAt(yaml.ScalarNode, nullTag, "", line, col)
}

func (p *fastParser) push(n *yaml.Node) { p.stack = append(p.stack, n) }

// enter opens a collection, whose children are pushed on the stack from the
// returned mark on.
func (p *fastParser) enter() int {
	p.depth++
	if p.depth > maxFastDepth {
		panic(bail{})
	}
	return len(p.stack)
}

// leave closes the collection opened at mark and returns its children.
func (p *fastParser) leave(mark int) []*yaml.Node {
	p.depth--
	return p.children(mark)
}

// children pops the stack down to mark into a Content slice carved from
// the pointer slab. Its capacity ends with it, so that an append to it
// cannot overwrite a neighbour's. No children give nil, as in yaml.v3.
func (p *fastParser) children(mark int) []*yaml.Node {
	kids := p.stack[mark:]
	p.stack = p.stack[:mark]
	if len(kids) == 0 {
		return nil
	}
	if cap(p.ptrs)-len(p.ptrs) < len(kids) {
		p.ptrs = make([]*yaml.Node, 0, max(len(kids), p.chunk))
	}
	start := len(p.ptrs)
	p.ptrs = append(p.ptrs, kids...)
	return p.ptrs[start:len(p.ptrs):len(p.ptrs)]
}
