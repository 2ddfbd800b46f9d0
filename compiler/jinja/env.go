// Package jinja runs the everyday Jinja of dbt projects on pongo2: a Jinja
// lexer and parser translate each template to pongo2 source in which every
// construct pongo2 lacks (keyword arguments, literals, filters with Jinja
// semantics, tests, macros, return()) is a call to one helper function.
package jinja

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/flosch/pongo2/v6"
	"github.com/kiln-build/kiln/compiler/diag"
)

// Env holds the macros of a project. Add macro files first; after that
// Compile and Execute are safe for concurrent use.
type Env struct {
	macros map[string]*Macro
	// shapes holds parsed pongo2 templates by their source. Text goes to
	// pongo2 as markers and call arguments as call-table indexes, so
	// models that differ only in text and in what they ref translate to the
	// same pongo2 source, and pongo2 parses that source once.
	shapesMu sync.RWMutex
	shapes   map[string]*shape
	// markOpen begins a text marker: the marker character and a nonce of
	// this Env, so that no value a template prints (a var, a query result)
	// can pass for a marker.
	markOpen string
}

// NewEnv returns an empty environment.
func NewEnv() *Env {
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	return &Env{macros: make(map[string]*Macro), shapes: make(map[string]*shape), markOpen: string(textMark) + hex.EncodeToString(nonce[:]) + "."}
}

// Macro is a compiled {% macro %}.
type Macro struct {
	name     string
	params   []string
	pnames   []string
	defaults []any  // constant defaults, or unsetT{} for defaults computed in the body
	hasDef   []bool // parallel to params
	u        *unit
	pos      diag.Pos
}

// unit is one pongo2 template with what is needed to report its errors.
type unit struct {
	env    *Env
	file   string
	src    string // original source of the file
	tpl    *pongo2.Template
	segs   []seg
	calls  []call   // helper call sites of out
	names  []string // identifiers out reads as pongo2 variables
	texts  []string // what out's text markers stand for
	out    string
	locals map[string]*Macro // macros defined in the same model file
	lines  []int             // lazily built line starts of out, for error mapping
}

// Template is a compiled model; safe for concurrent Execute.
type Template struct {
	u *unit
}

// AddMacroFile compiles the {% macro %} blocks of a macro file; text
// outside macros is ignored.
func (e *Env) AddMacroFile(path string, src []byte) diag.Diagnostics {
	s := string(src)
	var ds diag.Diagnostics
	nodes, w, err := parseTemplate(s)
	defer w.release()
	if err != nil {
		ds = append(ds, toDiag(path, s, err))
		return ds
	}
	for _, n := range nodes {
		m, ok := n.(*macroNode)
		if !ok {
			continue
		}
		mac, err := e.compileMacro(path, s, m, nil)
		if err != nil {
			ds = append(ds, toDiag(path, s, err))
			continue
		}
		if prev, dup := e.macros[m.name]; dup {
			ds.Errorf(mac.pos, "", "macro '%s' is defined twice (also at %s)", m.name, prev.pos.File+":"+strconv.Itoa(prev.pos.Line)+":"+strconv.Itoa(prev.pos.Col))
			continue
		}
		e.macros[m.name] = mac
	}
	return ds
}

// Macros returns the names of the project macros, sorted.
func (e *Env) Macros() []string {
	out := make([]string, 0, len(e.macros))
	for k := range e.macros {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// HasMacro reports whether a project macro of that name exists.
func (e *Env) HasMacro(name string) bool {
	_, ok := e.macros[name]
	return ok
}

// Compile translates a model and parses it once. Macros defined in the
// file are local to it.
func (e *Env) Compile(path string, src []byte) (*Template, diag.Diagnostics) {
	return e.CompileString(path, string(src))
}

// CompileString is Compile of source already held as a string, which the
// template keeps without a copy.
func (e *Env) CompileString(path, s string) (*Template, diag.Diagnostics) {
	nodes, w, err := parseTemplate(s)
	defer w.release() // after the translation: the tree lives in w
	if err != nil {
		return nil, diag.Diagnostics{toDiag(path, s, err)}
	}
	tr := newTranslator(len(s))
	defer tr.release()
	if strings.IndexByte(s, textMark) < 0 {
		tr.markOpen = e.markOpen
	}
	out, segs, err := tr.translateUnit(nodes, true, nil)
	if err != nil {
		return nil, diag.Diagnostics{toDiag(path, s, err)}
	}
	// Exact-size copies: a unit lives for the whole compile, the
	// translator's buffers go back to the pool. The template and its unit
	// are one allocation, as are the names and the texts.
	tu := &struct {
		t Template
		u unit
	}{}
	u := &tu.u
	*u = unit{env: e, file: path, src: s, segs: slices.Clone(segs), calls: tr.callTable()}
	if n := len(tr.names) + len(tr.texts); n > 0 {
		strs := make([]string, n)
		copy(strs, tr.names)
		copy(strs[len(tr.names):], tr.texts)
		if len(tr.names) > 0 {
			u.names = strs[:len(tr.names):len(tr.names)]
		}
		if len(tr.texts) > 0 {
			u.texts = strs[len(tr.names):]
		}
	}
	// Parsed here, while the translator's output is at hand; its error is
	// reported after those of the file's macros.
	perr := u.parse(out)
	var ds diag.Diagnostics
	if len(tr.macros) > 0 {
		u.locals = make(map[string]*Macro, len(tr.macros))
		for _, m := range tr.macros {
			mac, err := e.compileMacro(path, s, m, u.locals)
			if err != nil {
				ds = append(ds, toDiag(path, s, err))
				continue
			}
			u.locals[m.name] = mac
		}
	}
	if perr != nil {
		ds = append(ds, *perr)
	}
	if ds.HasErrors() {
		return nil, ds
	}
	tu.t.u = u
	return &tu.t, ds
}

func (e *Env) compileMacro(path, src string, m *macroNode, locals map[string]*Macro) (*Macro, error) {
	tr := newTranslator(256) // a macro is a part of its file
	defer tr.release()
	out, segs, err := tr.translateUnit(m.body, false, m)
	if err != nil {
		return nil, err
	}
	line, col := diag.LineCol([]byte(src), m.p)
	mac := &Macro{name: m.name, params: m.params, u: &unit{env: e, file: path, src: src, segs: slices.Clone(segs), calls: tr.callTable(), names: slices.Clone(tr.names), locals: locals},
		pos: diag.Pos{File: path, Offset: m.p, Line: line, Col: col}}
	for i, p := range m.params {
		mac.pnames = append(mac.pnames, pname(p))
		var def any
		has := m.defs[i] != nil
		if has {
			if v, ok := constValue(m.defs[i]); ok {
				def = v
			} else {
				def = unsetT{}
			}
		}
		mac.defaults = append(mac.defaults, def)
		mac.hasDef = append(mac.hasDef, has)
	}
	if d := mac.u.parse(out); d != nil {
		return nil, d
	}
	return mac, nil
}

// noLoader satisfies pongo2's loader interface; Kiln templates never load
// other files through pongo2.
type noLoader struct{}

func (noLoader) Abs(base, name string) string { return name }
func (noLoader) Get(path string) (io.Reader, error) {
	return nil, fmt.Errorf("loading %q is not supported", path)
}

// shape is one distinct translated text and its parsed pongo2 template.
type shape struct {
	out string
	tpl *pongo2.Template
}

// parse hands the translated text to pongo2, once per distinct text: a
// pongo2 template holds no per-unit state (the unit travels in each
// render's context), so units of the same shape share it. They share the
// text too, so the translator's buffer of each unit (half as large again
// as its source) is not kept for the whole compile.
func (u *unit) parse(out []byte) *diag.Diagnostic {
	e := u.env
	e.shapesMu.RLock()
	sh := e.shapes[string(out)]
	e.shapesMu.RUnlock()
	if sh != nil {
		u.out, u.tpl = sh.out, sh.tpl
		return nil
	}
	u.out = string(out)
	// A set per parse: pongo2's sets are not safe for concurrent parsing.
	set := pongo2.NewSet("kiln", noLoader{})
	set.Globals[keyHelper] = dispatch
	tpl, err := set.FromString(u.out)
	if err != nil {
		d := u.pongoDiag(err)
		d.Summary = "internal translation error: " + d.Summary
		return &d
	}
	e.shapesMu.Lock()
	if sh = e.shapes[u.out]; sh == nil {
		sh = &shape{out: u.out, tpl: tpl}
		e.shapes[u.out] = sh
	}
	e.shapesMu.Unlock()
	u.out, u.tpl = sh.out, sh.tpl
	return nil
}

// renderState is what the helpers need of the render they run in: the
// unit executing, the two layers of globals, and, in a macro body, the
// macro depth and the slot return() fills. It travels in one context key
// (keyState): pongo2 copies the context and checks every key with a regular
// expression on each render, so one key costs less than one per field.
type renderState struct {
	u       *unit
	local   Scope // nil: none
	base    map[string]any
	depth   int  // macro depth: 0 in a model body
	inMacro bool // a macro body, where return() has a slot
	retSet  bool // return() ran; retV is its value
	retV    any
}

const (
	keyHelper = "__k"
	keyState  = "__k_s"
)

func (st *renderState) lookupLocal(name string) (any, bool) {
	if st.local == nil {
		return nil, false
	}
	return st.local.Lookup(name)
}

// stateOf returns the state of the render ctx belongs to (nil outside one).
func stateOf(ctx *pongo2.ExecutionContext) *renderState {
	st, _ := ctx.Public[keyState].(*renderState)
	return st
}

// unitOf returns the unit ctx executes.
func unitOf(ctx *pongo2.ExecutionContext) *unit {
	if st := stateOf(ctx); st != nil {
		return st.u
	}
	return nil
}

// globalsOf returns the globals layers of the render ctx belongs to.
func globalsOf(ctx *pongo2.ExecutionContext) (local Scope, base map[string]any) {
	if st := stateOf(ctx); st != nil {
		return st.local, st.base
	}
	return nil, nil
}

// global looks a name up in the render's globals.
func global(ctx *pongo2.ExecutionContext, name string) (any, bool) {
	local, base := globalsOf(ctx)
	if local != nil {
		if v, ok := local.Lookup(name); ok {
			return v, true
		}
	}
	v, ok := base[name]
	return v, ok
}

// Scope is a render's own globals, looked up by name as the template reads
// them, so they can be made on first use rather than a map of them for
// every render.
type Scope interface {
	Lookup(name string) (any, bool)
	// Names lists what Lookup knows, for "did you mean" hints.
	Names() []string
}

// MapScope is a Scope over a map.
type MapScope map[string]any

func (m MapScope) Lookup(name string) (any, bool) {
	v, ok := m[name]
	return v, ok
}

func (m MapScope) Names() []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	return names
}

// Execute renders the template with the given globals (ref, config, this,
// ...). Errors are diag.Diagnostic values positioned in the original file.
func (t *Template) Execute(globals map[string]any) (string, error) {
	return t.ExecuteWith(globals, nil)
}

// ExecuteWith renders the template with two layers of globals: local, the
// render's own names, shadows base, names shared by every render (read
// only). Layering spares each render a copy of the shared names.
func (t *Template) ExecuteWith(local, base map[string]any) (string, error) {
	return t.ExecuteScope(MapScope(local), base)
}

// ExecuteScope is ExecuteWith with the render's own names in a Scope.
func (t *Template) ExecuteScope(local Scope, base map[string]any) (string, error) {
	// A model body has no return slot (return() outside a macro fails) and
	// is at macro depth 0.
	// The bytes pongo2 rendered into: expandText makes the one string.
	c := t.u.context(&renderState{u: t.u, local: local, base: base}, 0)
	out, err := t.u.tpl.ExecuteBytes(c)
	putContext(c)
	if err != nil {
		d := t.u.errorDiag(err)
		return "", d
	}
	return t.u.expandText(out), nil
}

// context is what pongo2 gets for one render of u: the globals the
// template reads by name, and the render's state under keyState for
// lookups by name at run time (calls, "is defined"). pongo2 copies its
// context and checks every key with a regular expression on each render, so
// a small context keeps that cost independent of how many globals a
// project has.
func (u *unit) context(st *renderState, extra int) pongo2.Context {
	c := contextPool.Get().(pongo2.Context)
	for _, n := range u.names {
		if v, ok := st.lookupLocal(n); ok {
			c[n] = v
		} else if v, ok := st.base[n]; ok {
			c[n] = v
		}
	}
	c[keyState] = st
	return c
}

// contextPool keeps the maps handed to pongo2, which copies them before
// a render starts, so a map is free again once Execute returns.
var contextPool = sync.Pool{New: func() any { return make(pongo2.Context, 8) }}

func putContext(c pongo2.Context) {
	if len(c) > 64 {
		return
	}
	clear(c)
	contextPool.Put(c)
}

// expandText replaces the text markers in a render's output with the text
// they stand for.
func (u *unit) expandText(out []byte) string {
	if len(u.texts) == 0 {
		return string(out)
	}
	open := u.env.markOpen
	i := bytes.Index(out, []byte(open))
	if i < 0 {
		return string(out)
	}
	var b strings.Builder
	b.Grow(len(out) + u.textLen())
	for i >= 0 {
		b.Write(out[:i])
		out = out[i+len(open):]
		j := bytes.IndexByte(out, textMark)
		k, ok := atoi(out[:max(j, 0)])
		if j < 0 || !ok || k >= len(u.texts) {
			b.WriteString(open) // cannot happen: only markers hold the nonce
			i = bytes.Index(out, []byte(open))
			continue
		}
		b.WriteString(u.texts[k])
		out = out[j+1:]
		i = bytes.Index(out, []byte(open))
	}
	b.Write(out)
	return b.String()
}

// atoiMax bounds atoi's digits before they can overflow an int, on 32-bit
// platforms too.
const atoiMax = min(1<<40, (math.MaxInt-9)/10)

// atoi parses a marker's index, a non-negative decimal number, accepting
// what strconv.Atoi accepts of those (a '+' sign, leading zeros); numbers
// too large for any text index fail.
func atoi(b []byte) (int, bool) {
	if len(b) > 0 && b[0] == '+' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' || n > atoiMax {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (u *unit) textLen() int {
	n := 0
	for _, t := range u.texts {
		n += len(t)
	}
	return n
}

// invoke runs a macro with the caller's globals plus its bound parameters.
func (m *Macro) invoke(ctx *pongo2.ExecutionContext, args []any) (any, error) {
	var depth int
	var local Scope
	var base map[string]any
	if st := stateOf(ctx); st != nil {
		depth, local, base = st.depth, st.local, st.base
	}
	if depth > 200 {
		return nil, fmt.Errorf("macro '%s': maximum recursion depth exceeded", m.name)
	}
	// As in Jinja, a macro sees the globals and its own parameters, not
	// the caller's variables.
	st := &renderState{u: m.u, local: local, base: base, depth: depth + 1, inMacro: true}
	c := m.u.context(st, len(m.params)+1)
	var boundBuf [8]bool
	bound := boundBuf[:0]
	if len(m.params) <= len(boundBuf) {
		bound = boundBuf[:len(m.params)]
	} else {
		bound = make([]bool, len(m.params))
	}
	npos := 0
	for _, a := range args {
		kw, ok := a.(kwArg)
		if !ok {
			if npos >= len(m.params) {
				return nil, fmt.Errorf("macro '%s' takes %d argument(s) but more were given", m.name, len(m.params))
			}
			c[m.pnames[npos]] = a
			bound[npos] = true
			npos++
			continue
		}
		i := indexOf(m.params, kw.name)
		if i < 0 {
			if kw.name == "caller" {
				c["caller"] = kw.val
				continue
			}
			return nil, &diag.Diagnostic{Summary: fmt.Sprintf("macro '%s' got an unexpected keyword argument '%s'", m.name, kw.name), Hint: closestHint(kw.name, m.params)}
		}
		if bound[i] {
			return nil, fmt.Errorf("macro '%s' got multiple values for argument '%s'", m.name, kw.name)
		}
		c[m.pnames[i]] = kw.val
		bound[i] = true
	}
	for i, ok := range bound {
		if ok {
			continue
		}
		if !m.hasDef[i] {
			return nil, fmt.Errorf("macro '%s' is missing required argument '%s'", m.name, m.params[i])
		}
		d := m.defaults[i]
		if l, ok := d.(*List); ok { // defaults must not be shared between calls
			d = &List{V: append([]any(nil), l.V...)}
		}
		c[m.pnames[i]] = d
	}
	out, err := m.u.tpl.Execute(c)
	putContext(c)
	if st.retSet {
		return st.retV, nil
	}
	if err != nil {
		d := m.u.errorDiag(err)
		return nil, &resolvedError{d}
	}
	return out, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// Errors cross pongo2 as text (pongo2 keeps only err.Error()), so helper
// errors carry their position in a marker that errorDiag decodes.
const (
	markOpen  = "\x00kiln\x00"
	markClose = "\x00/kiln\x00"
)

// posError is an error raised by a helper at a source offset of the unit
// being executed.
type posError struct {
	pos  int
	d    diag.Diagnostic // Summary and Hint; Pos when already known
	kind string          // "" or "return"
}

func (e *posError) Error() string {
	d := e.d
	return markOpen + e.kind + "\x00" + strconv.Itoa(e.pos) + "\x00" + clean(d.Pos.File) + "\x00" + strconv.Itoa(d.Pos.Line) + "\x00" + strconv.Itoa(d.Pos.Col) + "\x00" + clean(d.Summary) + "\x00" + clean(d.Hint) + markClose
}

// resolvedError is a diagnostic already positioned (e.g. inside a macro
// file); outer templates pass it through.
type resolvedError struct{ d diag.Diagnostic }

func (e *resolvedError) Error() string {
	return (&posError{pos: -1, d: e.d}).Error()
}

func clean(s string) string { return strings.ReplaceAll(s, "\x00", "") }

// decodeMarker finds a helper error inside a pongo2 error message.
func decodeMarker(msg string) (pe posError, ok bool) {
	i := strings.Index(msg, markOpen)
	if i < 0 {
		return pe, false
	}
	rest := msg[i+len(markOpen):]
	j := strings.Index(rest, markClose)
	if j < 0 {
		return pe, false
	}
	f := strings.Split(rest[:j], "\x00")
	if len(f) != 7 {
		return pe, false
	}
	pe.kind = f[0]
	pe.pos, _ = strconv.Atoi(f[1])
	pe.d.Pos.File = f[2]
	pe.d.Pos.Line, _ = strconv.Atoi(f[3])
	pe.d.Pos.Col, _ = strconv.Atoi(f[4])
	pe.d.Summary = f[5]
	pe.d.Hint = f[6]
	return pe, true
}

// errorDiag turns a pongo2 execution error into a positioned diagnostic.
func (u *unit) errorDiag(err error) diag.Diagnostic {
	if pe, ok := decodeMarker(err.Error()); ok {
		d := pe.d
		d.Severity = diag.Error
		if pe.kind == "return" {
			d.Summary = "return() used outside a macro"
		}
		if !d.Pos.Known() {
			d.Pos = u.pos(pe.pos)
		}
		return d
	}
	return u.pongoDiag(err)
}

func (u *unit) pos(off int) diag.Pos {
	line, col := diag.LineCol([]byte(u.src), off)
	return diag.Pos{File: u.file, Offset: off, Line: line, Col: col}
}

// pongoDiag maps a pongo2 error's line/col in the translated text back to
// the original source.
func (u *unit) pongoDiag(err error) diag.Diagnostic {
	var pe *pongo2.Error
	msg := err.Error()
	off := 0
	if errors.As(err, &pe) {
		if pe.OrigError != nil {
			msg = pe.OrigError.Error()
		}
		if pe.Line > 0 {
			off = u.srcOffset(diag.OffsetOf([]byte(u.out), pe.Line, pe.Column))
		}
	}
	return diag.Diagnostic{Severity: diag.Error, Pos: u.pos(off), Summary: msg}
}

func (u *unit) srcOffset(outOff int) int {
	i := sort.Search(len(u.segs), func(i int) bool { return u.segs[i].out > outOff }) - 1
	if i < 0 {
		return 0
	}
	s := u.segs[i]
	if s.text {
		return s.src + outOff - s.out
	}
	return s.src
}

// toDiag converts a translation error.
func toDiag(path, src string, err error) diag.Diagnostic {
	var se *syntaxError
	if errors.As(err, &se) {
		line, col := diag.LineCol([]byte(src), se.pos)
		return diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: path, Offset: se.pos, Line: line, Col: col}, Summary: se.msg, Hint: se.hint}
	}
	var d diag.Diagnostic
	if errors.As(err, &d) {
		return d
	}
	return diag.Diagnostic{Severity: diag.Error, Pos: diag.Pos{File: path}, Summary: err.Error()}
}

func closestHint(name string, candidates []string) string {
	return diag.DidYouMean(name, candidates)
}
