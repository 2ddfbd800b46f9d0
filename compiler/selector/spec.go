// Package selector evaluates dbt's node selection grammar (--select,
// --exclude, --selector) against the compiler's nodes and graph.
//
// Within one selector string, whitespace separates a union and commas an
// intersection; each atom is [@][N]+[method[.arg]:]value[+[N]].
package selector

import (
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/kiln-build/kiln/compiler/diag"
)

// Atom is one selection criterion, such as 2+tag:nightly+ or @stg_orders.
type Atom struct {
	Method string   // "" for a bare value; "config" for config.materialized
	Args   []string // ["materialized"] for config.materialized
	Value  string

	Parents          bool // N+a
	ParentsDepth     int  // -1: unlimited
	Children         bool // a+N
	ChildrenDepth    int  // -1: unlimited
	ChildrensParents bool // @a

	Pos diag.Pos // where the atom starts, for diagnostics
}

// Spec is one parsed selector string: a union of intersections of atoms.
type Spec struct {
	Flag   string
	Text   string
	Groups [][]Atom
}

// Methods lists the selector methods, for help and did-you-mean hints.
var Methods = []string{
	"config", "exposure", "file", "fqn", "package", "path", "resource_type",
	"result", "selector", "source", "source_status", "state", "tag", "test_name", "test_type",
}

// Value lists of the methods that take a closed set of values.
var (
	ResourceTypes = []string{"analysis", "exposure", "metric", "model", "saved_query", "seed", "semantic_model", "snapshot", "source", "test", "unit_test"}
	TestTypes     = []string{"data", "generic", "schema", "singular", "unit"}
	States        = []string{"modified", "modified.body", "modified.configs", "modified.contract", "modified.macros", "modified.persisted_descriptions", "modified.relation", "new", "old", "unmodified"}
	Results       = []string{"error", "fail", "pass", "skipped", "success", "warn"}
)

var closedValues = map[string]struct {
	what   string
	values []string
}{
	"resource_type": {"resource type", ResourceTypes},
	"test_type":     {"test type", TestTypes},
	"state":         {"state", States},
	"result":        {"result status", Results},
	"source_status": {"source status", []string{"fresher"}},
}

// Parse parses one selector string given to flag (such as "--select"). Every
// problem is reported at Pos{File: flag, Line: 1, Col: 1-based byte column
// in s} (lines counted if s spans several).
func Parse(flag string, s string) (Spec, diag.Diagnostics) {
	spec := Spec{Flag: flag, Text: s}
	p := &parser{flag: flag, src: s}
	for _, f := range fields(s) {
		var group []Atom
		start := 0
		for k := 0; k <= len(f.text); k++ {
			if k < len(f.text) && f.text[k] != ',' {
				continue
			}
			off := f.off + start
			if k == start {
				p.errorf(off, "remove the extra comma", "empty selector between commas")
			} else if a, ok := p.atom(f.text[start:k], off); ok {
				group = append(group, a)
			}
			start = k + 1
		}
		if len(group) > 0 {
			spec.Groups = append(spec.Groups, group)
		}
	}
	return spec, p.ds
}

type parser struct {
	flag, src string
	ds        diag.Diagnostics
}

// pos turns a byte offset in the selector string into a position; a value
// is usually one line, but a --selector string from YAML may span several.
func (p *parser) pos(off int) diag.Pos {
	line, col := 1, off+1
	if strings.Contains(p.src, "\n") {
		line, col = diag.LineCol([]byte(p.src), off)
	}
	return diag.Pos{File: p.flag, Offset: off, Line: line, Col: col}
}

func (p *parser) errorf(off int, hint, format string, args ...any) {
	p.ds.Errorf(p.pos(off), hint, format, args...)
}

type field struct {
	text string
	off  int
}

// fields splits on white space like strings.Fields, keeping byte offsets.
func fields(s string) []field {
	var out []field
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				out = append(out, field{s[start:i], start})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, field{s[start:], start})
	}
	return out
}

func (p *parser) atom(s string, off int) (Atom, bool) {
	a := Atom{Pos: p.pos(off), ParentsDepth: -1, ChildrenDepth: -1}
	ok := true
	i := 0
	if strings.HasPrefix(s, "@") {
		a.ChildrensParents = true
		i = 1
	}
	// N+ prefix: digits count as a depth only when a '+' follows.
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j < len(s) && s[j] == '+' {
		a.Parents = true
		if j > i {
			a.ParentsDepth, ok = p.depth(s[i:j], off+i)
		}
		if a.ChildrensParents {
			p.errorf(off, "@ already selects every ancestor of the descendants", "the \"@\" and \"+\" prefixes cannot be combined")
			ok = false
		}
		i = j + 1
	}
	rest := s[i:]
	// +N suffix: the last '+' followed only by digits.
	end := len(rest)
	for end > 0 && rest[end-1] >= '0' && rest[end-1] <= '9' {
		end--
	}
	if end > 0 && rest[end-1] == '+' {
		a.Children = true
		if end < len(rest) {
			var dok bool
			a.ChildrenDepth, dok = p.depth(rest[end:], off+i+end)
			ok = ok && dok
		}
		rest = rest[:end-1]
	}
	// method: a run of word characters and dots before the first ':'.
	valueOff := off + i
	if c := strings.IndexByte(rest, ':'); c > 0 && isMethodName(rest[:c]) {
		name := rest[:c]
		a.Method, a.Args = name, nil
		if m, args, found := strings.Cut(name, "."); found {
			a.Method, a.Args = m, strings.Split(args, ".")
		}
		a.Value = rest[c+1:]
		valueOff += c + 1
		if !p.checkMethod(a, off+i) {
			return a, false
		}
	} else {
		a.Value = rest
	}
	if a.Value == "" {
		if a.Method != "" {
			p.errorf(off+i, "as in "+example(a.Method), "selector method %q needs a value", a.Method)
		} else {
			p.errorf(off, "name a node, as in +stg_orders", "empty selector %q", s)
		}
		return a, false
	}
	// Node names cannot hold graph operators: "a+b" is two selectors run
	// together, "a++" a doubled operator. Other methods' values may
	// (config.incremental_strategy:delete+insert).
	if a.Method == "" {
		if k := strings.IndexAny(a.Value, "+@"); k >= 0 {
			p.errorf(valueOff+k, "separate selectors with a space (either) or a comma (both), as in \"a+ b\"; \"+\" and \"@\" go only at either end of one",
				"%q in the middle of selector %q", a.Value[k:k+1], s)
			return a, false
		}
	}
	if cv, closed := closedValues[a.Method]; closed && !contains(cv.values, a.Value) {
		p.errorf(valueOff, hint(a.Value, cv.values), "unknown %s %q", cv.what, a.Value)
		ok = false
	}
	if hasMeta(a.Value) {
		if _, err := path.Match(a.Value, ""); err != nil {
			p.errorf(valueOff, "close the [ ] character class", "invalid pattern %q", a.Value)
			ok = false
		}
	}
	return a, ok
}

func (p *parser) checkMethod(a Atom, off int) bool {
	name := a.Method
	if len(a.Args) > 0 {
		name += "." + strings.Join(a.Args, ".")
	}
	switch {
	case a.Method == "config":
		for _, arg := range a.Args {
			if arg == "" {
				p.errorf(off, "as in config.materialized:incremental", "selector method %q needs a config key", name)
				return false
			}
		}
		if len(a.Args) == 0 {
			p.errorf(off, "as in config.materialized:incremental", "selector method \"config\" needs a config key")
			return false
		}
	case !contains(Methods, a.Method) || len(a.Args) > 0:
		p.errorf(off, hint(name, Methods), "unknown selector method %q", name)
		return false
	}
	return true
}

func hint(s string, candidates []string) string {
	if h := diag.DidYouMean(s, candidates); h != "" {
		return h
	}
	return "expected one of " + strings.Join(candidates, ", ")
}

func example(method string) string {
	switch method {
	case "config":
		return "config.materialized:incremental"
	case "tag":
		return "tag:nightly"
	case "path":
		return "path:models/staging"
	case "source":
		return "source:raw_pos"
	case "state":
		return "state:modified"
	case "result":
		return "result:error"
	}
	return method + ":VALUE"
}

func (p *parser) depth(digits string, off int) (int, bool) {
	n, err := strconv.Atoi(digits)
	if err != nil || n > 1<<20 {
		p.errorf(off, "", "graph depth %s is too large", digits)
		return 0, false
	}
	return n, true
}

func isMethodName(s string) bool {
	for _, r := range s {
		if r != '.' && r != '_' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return s != ""
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[\`) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String renders the atom in the selector syntax it was parsed from.
func (a Atom) String() string {
	var b strings.Builder
	if a.ChildrensParents {
		b.WriteByte('@')
	}
	if a.Parents {
		if a.ParentsDepth >= 0 {
			b.WriteString(strconv.Itoa(a.ParentsDepth))
		}
		b.WriteByte('+')
	}
	if a.Method != "" {
		b.WriteString(a.Method)
		for _, arg := range a.Args {
			b.WriteByte('.')
			b.WriteString(arg)
		}
		b.WriteByte(':')
	}
	b.WriteString(a.Value)
	if a.Children {
		b.WriteByte('+')
		if a.ChildrenDepth >= 0 {
			b.WriteString(strconv.Itoa(a.ChildrenDepth))
		}
	}
	return b.String()
}

// String renders the spec canonically: groups separated by a space, atoms
// by a comma.
func (s Spec) String() string {
	groups := make([]string, len(s.Groups))
	for i, g := range s.Groups {
		atoms := make([]string, len(g))
		for k, a := range g {
			atoms[k] = a.String()
		}
		groups[i] = strings.Join(atoms, ",")
	}
	return strings.Join(groups, " ")
}

// SourceText is the text to register with diag.Printer.Sources under the
// flag's name so diagnostics show the offending value with a caret: the
// flag's values, one per line, matching the Line that Select reports.
func SourceText(values []string) []byte { return []byte(strings.Join(values, "\n")) }
