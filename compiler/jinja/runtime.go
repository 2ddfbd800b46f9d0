package jinja

import (
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/flosch/pongo2/v6"
	"github.com/kiln-build/kiln/compiler/diag"
)

// dispatch is the one helper every unit's template set holds as "__k":
// __k(i, dynamic args...) runs call i of the executing unit's table with
// the dynamic arguments put in its slots. pongo2 passes the execution
// context implicitly.
func dispatch(ctx *pongo2.ExecutionContext, args ...any) (any, error) {
	idx, ok := arg(args, 0).(int)
	if !ok {
		return nil, fmt.Errorf("internal: bad helper call")
	}
	return runCall(ctx, idx, args[1:])
}

// runCall runs call idx of the executing unit's table with the dynamic
// arguments dyn.
func runCall(ctx *pongo2.ExecutionContext, idx int, dyn []any) (any, error) {
	u := unitOf(ctx)
	if u == nil || idx < 0 || idx >= len(u.calls) {
		return nil, fmt.Errorf("internal: bad helper call")
	}
	c := &u.calls[idx]
	if len(dyn) != c.ndyn {
		return nil, fmt.Errorf("internal: bad helper call %d", idx)
	}
	// A fresh argument slice per call: helpers and Go functions may keep it.
	a := make([]any, len(c.args))
	k := 0
	for i, v := range c.args {
		if _, ok := v.(dynArg); ok {
			v = dyn[k]
			k++
		}
		if j := i - (len(c.args) - c.nkw); j >= 0 {
			v = kwArg{name: c.kw[j], val: v}
		}
		a[i] = v
	}
	var v any
	var err error
	if c.op[0] == '@' {
		v, err = callName(ctx, c.op[1:], a)
	} else {
		v, err = run(ctx, c.op, a)
	}
	if err != nil {
		return nil, helperError(err, c.pos)
	}
	if c.asText {
		return render(v), nil
	}
	return v, nil
}

// helperError gives a helper's error the position of the call, unless it
// already carries one.
func helperError(err error, pos int) error {
	var re *resolvedError
	if errors.As(err, &re) {
		return err
	}
	var pe *posError
	if errors.As(err, &pe) {
		return err
	}
	var d diag.Diagnostic
	var dp *diag.Diagnostic
	switch {
	case errors.As(err, &dp):
		d = *dp
	case errors.As(err, &d):
	default:
		d = diag.Diagnostic{Summary: err.Error()}
	}
	return &posError{pos: pos, d: d}
}

// The call tags run a helper call as a statement, without the reflective
// function call pongo2 makes for __k(...) in an expression (a tenth of a
// large compile): {% __kp i, dyn... %} prints call i's result, as
// {{ __k(i, dyn...) }} would, and {% __ks name = i, dyn... %} sets name to
// it, as {% set name = __k(i, dyn...) %} would. Calls inside conditions,
// loops and other calls' arguments stay __k(...).
const (
	printTag = "__kp"
	setTag   = "__ks"
)

// callTag is a parsed call tag.
type callTag struct {
	set  string // the variable a set tag assigns; "" prints
	idx  int
	args []pongo2.IEvaluator
	tok  *pongo2.Token
}

func (t *callTag) Execute(ctx *pongo2.ExecutionContext, w pongo2.TemplateWriter) *pongo2.Error {
	var dyn []any
	if len(t.args) > 0 {
		dyn = make([]any, len(t.args))
		for i, a := range t.args {
			pv, err := a.Evaluate(ctx)
			if err != nil {
				return err
			}
			// As pongo2 passes a value to a func(...any): nil for nil.
			if !pv.IsNil() {
				dyn[i] = pv.Interface()
			}
		}
	}
	v, err := runCall(ctx, t.idx, dyn)
	if err != nil {
		return ctx.Error(err.Error(), t.tok)
	}
	if t.set != "" {
		ctx.Private[t.set] = pongo2.AsValue(v)
		return nil
	}
	if s, ok := v.(string); ok {
		w.WriteString(s)
	} else if v != nil {
		w.WriteString(pongo2.AsValue(v).String())
	}
	return nil
}

// parseCallTag parses the arguments of a call tag: [name =] index, then
// dynamic arguments, comma-separated.
func parseCallTag(set bool) pongo2.TagParser {
	return func(_ *pongo2.Parser, start *pongo2.Token, args *pongo2.Parser) (pongo2.INodeTag, *pongo2.Error) {
		t := &callTag{tok: start}
		if set {
			name := args.MatchType(pongo2.TokenIdentifier)
			if name == nil || args.Match(pongo2.TokenSymbol, "=") == nil {
				return nil, args.Error("internal: malformed call tag", nil)
			}
			t.set = name.Val
		}
		n := args.MatchType(pongo2.TokenNumber)
		if n == nil {
			return nil, args.Error("internal: malformed call tag", nil)
		}
		idx, err := strconv.Atoi(n.Val)
		if err != nil {
			return nil, args.Error("internal: malformed call tag", nil)
		}
		t.idx = idx
		for args.Remaining() > 0 {
			if args.Match(pongo2.TokenSymbol, ",") == nil {
				return nil, args.Error("internal: malformed call tag", nil)
			}
			e, perr := args.ParseExpression()
			if perr != nil {
				return nil, perr
			}
			t.args = append(t.args, e)
		}
		return t, nil
	}
}

// strFilter is the pongo2 filter that prints a value as Jinja does, for
// values that are not the result of a helper call.
const strFilter = "__kiln_str"

func init() {
	// pongo2 tags and filters are process-wide; the names are Kiln's own.
	for name, set := range map[string]bool{printTag: false, setTag: true} {
		if err := pongo2.RegisterTag(name, parseCallTag(set)); err != nil {
			panic(err)
		}
	}
	if err := pongo2.RegisterFilter(strFilter, func(in, _ *pongo2.Value) (*pongo2.Value, *pongo2.Error) {
		v := in.Interface()
		if _, ok := v.(string); ok {
			// A string prints as itself: keep the value pongo2 has.
			// Kiln's templates run with autoescape off, so the value's
			// safe flag does not matter.
			return in, nil
		}
		return pongo2.AsValue(render(v)), nil
	}); err != nil {
		panic(err)
	}
}

func arg(a []any, i int) any {
	if i < len(a) {
		return a[i]
	}
	return nil
}

func run(ctx *pongo2.ExecutionContext, op string, a []any) (any, error) {
	switch op {
	case "truth":
		return truth(arg(a, 0)), nil
	case "not":
		return !truth(arg(a, 0)), nil
	case "attr":
		name, _ := arg(a, 1).(string)
		v, _, err := getattr(arg(a, 0), name)
		return v, err
	case "item":
		return index(arg(a, 0), arg(a, 1))
	case "slice":
		return sliceOf(arg(a, 0), arg(a, 1), arg(a, 2), arg(a, 3))
	case "meth":
		name, _ := arg(a, 1).(string)
		return callMethod(ctx, arg(a, 0), name, a[2:])
	case "callv":
		return callValue(ctx, arg(a, 0), a[1:], "object")
	case "filter":
		name, _ := arg(a, 0).(string)
		return applyFilter(ctx, name, arg(a, 1), a[2:])
	case "test":
		name, _ := arg(a, 0).(string)
		return applyTest(name, arg(a, 1), a[2:])
	case "defname":
		name, _ := arg(a, 0).(string)
		return lookup(ctx, name) != nil || hasName(ctx, name), nil
	case "list":
		return &List{V: append([]any(nil), a...)}, nil
	case "dict":
		m := make(map[string]any, len(a)/2)
		for i := 0; i+1 < len(a); i += 2 {
			m[keyString(a[i])] = a[i+1]
		}
		return m, nil
	case "kw":
		name, _ := arg(a, 0).(string)
		return kwArg{name: name, val: arg(a, 1)}, nil
	case "none":
		return nil, nil
	case "hex":
		s, _ := arg(a, 0).(string)
		b, err := hex.DecodeString(s)
		return string(b), err
	case "num":
		s, _ := arg(a, 0).(string)
		return strconv.ParseFloat(s, 64)
	case "neg", "pos":
		n, ok := toNumber(arg(a, 0))
		if !ok {
			return nil, fmt.Errorf("bad operand type for unary %s: '%s'", map[string]string{"neg": "-", "pos": "+"}[op], typeName(arg(a, 0)))
		}
		if op == "pos" {
			return n.value(), nil
		}
		if n.isFloat {
			return -n.f, nil
		}
		return -n.i, nil
	case "add", "sub", "mul", "div", "fdiv", "mod", "pow":
		return arith(op, arg(a, 0), arg(a, 1))
	case "cat":
		return render(arg(a, 0)) + render(arg(a, 1)), nil
	case "eq":
		return equal(arg(a, 0), arg(a, 1)), nil
	case "ne":
		return !equal(arg(a, 0), arg(a, 1)), nil
	case "lt", "gt", "le", "ge":
		return compare(op, arg(a, 0), arg(a, 1))
	case "in":
		return contains(arg(a, 1), arg(a, 0))
	case "notin":
		ok, err := contains(arg(a, 1), arg(a, 0))
		return !ok, err
	case "iter":
		return iterate(arg(a, 0))
	case "unpack":
		l, ok := asList(arg(a, 0))
		i, _ := arg(a, 1).(int)
		n, _ := arg(a, 2).(int)
		if !ok || len(l) != n {
			got := "a non-sequence"
			if ok {
				got = strconv.Itoa(len(l)) + " values"
			}
			return nil, fmt.Errorf("cannot unpack %s into %d names", got, n)
		}
		return l[i], nil
	case "setattr":
		name, _ := arg(a, 1).(string)
		m, ok := arg(a, 0).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("cannot assign attribute '%s' on %s: use a namespace()", name, typeName(arg(a, 0)))
		}
		m[name] = arg(a, 2)
		return "", nil
	case "do":
		return "", nil
	case "return":
		if st := stateOf(ctx); st != nil && st.inMacro && !st.retSet {
			st.retSet, st.retV = true, arg(a, 0)
		}
		return nil, &posError{kind: "return", d: diag.Diagnostic{Summary: "return"}}
	case "capture":
		name, _ := arg(a, 0).(string)
		fn, ok := ctx.Private[name].(func(...*pongo2.Value) (*pongo2.Value, error))
		if !ok {
			return nil, fmt.Errorf("internal: capture %s missing", name)
		}
		v, err := fn()
		if err != nil {
			return nil, err
		}
		return v.String(), nil
	case "caller":
		name, _ := arg(a, 0).(string)
		fn, ok := ctx.Private[name].(func(...*pongo2.Value) (*pongo2.Value, error))
		if !ok {
			return nil, fmt.Errorf("internal: call block %s missing", name)
		}
		return &callerFn{fn: fn}, nil
	case "unset":
		_, ok := arg(a, 0).(unsetT)
		return ok, nil
	}
	return nil, fmt.Errorf("internal: unknown helper %q", op)
}

// callerFn is the body of a {% call %} block, callable as caller().
type callerFn struct {
	fn func(...*pongo2.Value) (*pongo2.Value, error)
}

func hasName(ctx *pongo2.ExecutionContext, name string) bool {
	if _, ok := ctx.Private[name]; ok {
		return true
	}
	if _, ok := ctx.Public[name]; ok {
		return true
	}
	_, ok := global(ctx, name)
	return ok
}

func lookup(ctx *pongo2.ExecutionContext, name string) any {
	if v, ok := ctx.Private[name]; ok {
		if pv, ok := v.(*pongo2.Value); ok {
			return pv.Interface()
		}
		return v
	}
	if v, ok := ctx.Public[name]; ok {
		return v
	}
	v, _ := global(ctx, name)
	return v
}

// callName calls a function by name: a variable in scope, a macro of the
// same file, a project macro, or a builtin.
func callName(ctx *pongo2.ExecutionContext, name string, args []any) (any, error) {
	if v := lookup(ctx, name); v != nil {
		return callValue(ctx, v, args, name)
	}
	u := unitOf(ctx)
	if u != nil {
		if m := u.locals[name]; m != nil {
			return m.invoke(ctx, args)
		}
		if m := u.env.macros[name]; m != nil {
			return m.invoke(ctx, args)
		}
	}
	switch name {
	case "range":
		return builtinRange(args)
	case "dict", "namespace":
		pos, kw := splitKw(args)
		m := make(map[string]any, len(kw))
		for _, p := range pos {
			if pm, ok := asMap(p); ok {
				for k, v := range pm {
					m[k] = v
				}
			}
		}
		for k, v := range kw {
			m[k] = v
		}
		return m, nil
	case "caller":
		return nil, fmt.Errorf("caller() used outside a {%% call %%} block")
	}
	cands := []string{"range", "dict", "namespace"}
	for k := range ctx.Public {
		if !strings.HasPrefix(k, "__k") {
			cands = append(cands, k)
		}
	}
	local, base := globalsOf(ctx)
	if local != nil {
		cands = append(cands, local.Names()...)
	}
	for k := range base {
		cands = append(cands, k)
	}
	if u != nil {
		for k := range u.env.macros {
			cands = append(cands, k)
		}
		for k := range u.locals {
			cands = append(cands, k)
		}
	}
	return nil, &diag.Diagnostic{Summary: fmt.Sprintf("'%s' is undefined", strings.TrimPrefix(name, "__k_n_")), Hint: closestHint(name, cands)}
}

// splitKw splits keyword markers without exporting values.
func splitKw(args []any) ([]any, map[string]any) {
	var pos []any
	var kw map[string]any
	for _, a := range args {
		if k, ok := a.(kwArg); ok {
			if kw == nil {
				kw = make(map[string]any)
			}
			kw[k.name] = k.val
			continue
		}
		pos = append(pos, a)
	}
	return pos, kw
}

func builtinRange(args []any) (any, error) {
	var n []int
	for _, a := range args {
		x, ok := toNumber(a)
		if !ok || x.isFloat {
			return nil, fmt.Errorf("range() arguments must be integers")
		}
		n = append(n, x.i)
	}
	start, stop, step := 0, 0, 1
	switch len(n) {
	case 1:
		stop = n[0]
	case 2:
		start, stop = n[0], n[1]
	case 3:
		start, stop, step = n[0], n[1], n[2]
	default:
		return nil, fmt.Errorf("range() takes 1 to 3 arguments")
	}
	if step == 0 {
		return nil, fmt.Errorf("range() step must not be zero")
	}
	out := []any{}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, i)
		if len(out) > 1_000_000 {
			return nil, fmt.Errorf("range() too large")
		}
	}
	return &List{V: out}, nil
}

var execCtxType = reflect.TypeOf((*pongo2.ExecutionContext)(nil))

// callValue calls a callable value: a macro, a caller() body, or a Go func.
func callValue(ctx *pongo2.ExecutionContext, fn any, args []any, name string) (any, error) {
	switch f := fn.(type) {
	case *Macro:
		return f.invoke(ctx, args)
	case *callerFn:
		pv := make([]*pongo2.Value, 0, len(args))
		for _, a := range args {
			if _, ok := a.(kwArg); ok {
				return nil, fmt.Errorf("caller() does not take keyword arguments")
			}
			pv = append(pv, pongo2.AsValue(a))
		}
		v, err := f.fn(pv...)
		if err != nil {
			return nil, err
		}
		return v.String(), nil
	case func(...any) (any, error):
		return f(exportArgs(args)...)
	case func(...any) any:
		return f(exportArgs(args)...), nil
	case func(...any) (string, error):
		return f(exportArgs(args)...)
	case func(...any) string:
		return f(exportArgs(args)...), nil
	case func() bool:
		if len(args) > 0 {
			return nil, fmt.Errorf("%s() takes no arguments (%d given)", name, len(args))
		}
		return f(), nil
	}
	rv := reflect.ValueOf(fn)
	if rv.Kind() != reflect.Func {
		return nil, fmt.Errorf("'%s' is not callable (it is %s)", strings.TrimPrefix(name, "__k_n_"), typeName(fn))
	}
	return callReflect(ctx, rv, args, name)
}

func exportArgs(args []any) []any {
	for _, a := range args {
		if needsExport(a) {
			out := make([]any, len(args))
			for i, a := range args {
				out[i] = export(a)
			}
			return out
		}
		if kw, ok := a.(kwArg); ok && needsExport(kw.val) {
			out := make([]any, len(args))
			for i, a := range args {
				out[i] = export(a)
			}
			return out
		}
	}
	return args
}

func callReflect(ctx *pongo2.ExecutionContext, rv reflect.Value, args []any, name string) (any, error) {
	t := rv.Type()
	in := make([]reflect.Value, 0, len(args)+1)
	first := 0
	if t.NumIn() > 0 && t.In(0) == execCtxType {
		in = append(in, reflect.ValueOf(ctx))
		first = 1
	}
	nfixed := t.NumIn() - first
	if t.IsVariadic() {
		nfixed--
	}
	if len(args) < nfixed || (!t.IsVariadic() && len(args) > nfixed) {
		return nil, fmt.Errorf("%s() takes %d argument(s) (%d given)", strings.TrimPrefix(name, "__k_n_"), nfixed, len(args))
	}
	for i, a := range args {
		var pt reflect.Type
		if i < nfixed {
			pt = t.In(first + i)
		} else {
			pt = t.In(t.NumIn() - 1).Elem()
		}
		if _, ok := a.(kwArg); ok && pt.Kind() != reflect.Interface {
			return nil, fmt.Errorf("%s() does not take keyword arguments", strings.TrimPrefix(name, "__k_n_"))
		}
		v, err := convertArg(export(a), pt)
		if err != nil {
			return nil, fmt.Errorf("%s(): argument %d: %v", strings.TrimPrefix(name, "__k_n_"), i+1, err)
		}
		in = append(in, v)
	}
	out := rv.Call(in)
	switch len(out) {
	case 0:
		return nil, nil
	case 1:
		if t.Out(0) == errorType {
			if out[0].IsNil() {
				return nil, nil
			}
			return nil, out[0].Interface().(error)
		}
		return out[0].Interface(), nil
	default:
		if e := out[len(out)-1]; e.Type() == errorType && !e.IsNil() {
			return nil, e.Interface().(error)
		}
		return out[0].Interface(), nil
	}
}

func convertArg(v any, t reflect.Type) (reflect.Value, error) {
	if v == nil {
		return reflect.Zero(t), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Type().AssignableTo(t) {
		return rv, nil
	}
	switch t.Kind() {
	case reflect.String:
		return reflect.ValueOf(render(v)).Convert(t), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Float32, reflect.Float64:
		if n, ok := toNumber(v); ok {
			if n.isFloat {
				return reflect.ValueOf(n.f).Convert(t), nil
			}
			return reflect.ValueOf(n.i).Convert(t), nil
		}
	case reflect.Bool:
		return reflect.ValueOf(truth(v)).Convert(t), nil
	case reflect.Slice:
		if l, ok := asList(v); ok {
			out := reflect.MakeSlice(t, len(l), len(l))
			for i, e := range l {
				ev, err := convertArg(e, t.Elem())
				if err != nil {
					return reflect.Value{}, err
				}
				out.Index(i).Set(ev)
			}
			return out, nil
		}
	}
	if rv.Type().ConvertibleTo(t) {
		return rv.Convert(t), nil
	}
	return reflect.Value{}, fmt.Errorf("cannot use %s as %s", typeName(v), t)
}

// callMethod implements x.m(args): a function stored in a mapping, a Go
// method (matched case-insensitively), or a Python str/list/dict method.
func callMethod(ctx *pongo2.ExecutionContext, x any, name string, args []any) (any, error) {
	if m, ok := x.(map[string]any); ok {
		if f, ok := m[name]; ok && f != nil {
			return callValue(ctx, f, args, name)
		}
		return dictMethod(m, name, args)
	}
	switch v := x.(type) {
	case string:
		return strMethod(v, name, args)
	case *List:
		return listMethod(v, name, args)
	case nil:
		return nil, fmt.Errorf("cannot call method '%s' on None (undefined value)", name)
	}
	rv := reflect.ValueOf(x)
	if m := findMethod(rv, name); m.IsValid() {
		return callReflect(ctx, m, args, name)
	}
	if v, found, err := getattr(x, name); err != nil {
		return nil, err
	} else if found && v != nil {
		return callValue(ctx, v, args, name)
	}
	if l, ok := asList(x); ok {
		return listMethod(&List{V: l}, name, args)
	}
	if m, ok := asMap(x); ok {
		return dictMethod(m, name, args)
	}
	return nil, fmt.Errorf("'%s' object has no method '%s'", typeName(x), name)
}

func needArgs(name string, args []any, lo, hi int) error {
	if len(args) < lo || len(args) > hi {
		if lo == hi {
			return fmt.Errorf("%s() takes %d argument(s) (%d given)", name, lo, len(args))
		}
		return fmt.Errorf("%s() takes %d to %d arguments (%d given)", name, lo, hi, len(args))
	}
	return nil
}

func dictMethod(m map[string]any, name string, args []any) (any, error) {
	switch name {
	case "items":
		out := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, []any{k, m[k]})
		}
		return &List{V: out}, nil
	case "keys":
		out := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, k)
		}
		return &List{V: out}, nil
	case "values":
		out := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, m[k])
		}
		return &List{V: out}, nil
	case "get":
		if err := needArgs("get", args, 1, 2); err != nil {
			return nil, err
		}
		if v, ok := m[keyString(args[0])]; ok {
			return v, nil
		}
		return arg(args, 1), nil
	case "update":
		pos, kw := splitKw(args)
		for _, p := range pos {
			pm, ok := asMap(p)
			if !ok {
				return nil, fmt.Errorf("update() argument must be a dict, not %s", typeName(p))
			}
			for k, v := range pm {
				m[k] = v
			}
		}
		for k, v := range kw {
			m[k] = v
		}
		return nil, nil
	case "pop":
		if err := needArgs("pop", args, 1, 2); err != nil {
			return nil, err
		}
		k := keyString(args[0])
		v, ok := m[k]
		if !ok {
			if len(args) == 2 {
				return args[1], nil
			}
			return nil, fmt.Errorf("KeyError: '%s'", k)
		}
		delete(m, k)
		return v, nil
	case "setdefault":
		if err := needArgs("setdefault", args, 1, 2); err != nil {
			return nil, err
		}
		k := keyString(args[0])
		if v, ok := m[k]; ok {
			return v, nil
		}
		m[k] = arg(args, 1)
		return m[k], nil
	case "copy":
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("'dict' object has no attribute '%s'", name)
}

func listMethod(l *List, name string, args []any) (any, error) {
	switch name {
	case "append":
		if err := needArgs("append", args, 1, 1); err != nil {
			return nil, err
		}
		l.V = append(l.V, args[0])
		return nil, nil
	case "extend":
		if err := needArgs("extend", args, 1, 1); err != nil {
			return nil, err
		}
		items, err := iterate(args[0])
		if err != nil {
			return nil, err
		}
		l.V = append(l.V, items...)
		return nil, nil
	case "insert":
		if err := needArgs("insert", args, 2, 2); err != nil {
			return nil, err
		}
		n, _ := toNumber(args[0])
		i := min(max(n.i, 0), len(l.V))
		l.V = append(l.V[:i], append([]any{args[1]}, l.V[i:]...)...)
		return nil, nil
	case "pop":
		if len(l.V) == 0 {
			return nil, fmt.Errorf("pop from empty list")
		}
		i := len(l.V) - 1
		if len(args) > 0 {
			n, _ := toNumber(args[0])
			i = n.i
			if i < 0 {
				i += len(l.V)
			}
			if i < 0 || i >= len(l.V) {
				return nil, fmt.Errorf("pop index out of range")
			}
		}
		v := l.V[i]
		l.V = append(l.V[:i], l.V[i+1:]...)
		return v, nil
	case "remove":
		for i, e := range l.V {
			if equal(e, arg(args, 0)) {
				l.V = append(l.V[:i], l.V[i+1:]...)
				return nil, nil
			}
		}
		return nil, fmt.Errorf("list.remove(x): x not in list")
	case "index":
		for i, e := range l.V {
			if equal(e, arg(args, 0)) {
				return i, nil
			}
		}
		return nil, fmt.Errorf("%s is not in list", render(arg(args, 0)))
	case "count":
		n := 0
		for _, e := range l.V {
			if equal(e, arg(args, 0)) {
				n++
			}
		}
		return n, nil
	case "copy":
		return &List{V: append([]any(nil), l.V...)}, nil
	case "reverse":
		for i, j := 0, len(l.V)-1; i < j; i, j = i+1, j-1 {
			l.V[i], l.V[j] = l.V[j], l.V[i]
		}
		return nil, nil
	case "sort":
		_, kw := splitKw(args)
		sortValues(l.V, truth(kw["reverse"]), false)
		return nil, nil
	}
	return nil, fmt.Errorf("'list' object has no attribute '%s'", name)
}

func strMethod(s, name string, args []any) (any, error) {
	str := func(i int) string { return render(arg(args, i)) }
	switch name {
	case "upper":
		return strings.ToUpper(s), nil
	case "lower":
		return strings.ToLower(s), nil
	case "strip", "lstrip", "rstrip":
		cut := " \t\n\r\f\v"
		if len(args) > 0 && args[0] != nil {
			cut = str(0)
		}
		switch name {
		case "strip":
			return strings.Trim(s, cut), nil
		case "lstrip":
			return strings.TrimLeft(s, cut), nil
		}
		return strings.TrimRight(s, cut), nil
	case "split", "rsplit":
		pos, kw := splitKw(args)
		sep := kw["sep"]
		if len(pos) > 0 {
			sep = pos[0]
		}
		limit := -1
		if mx, ok := kw["maxsplit"]; ok {
			n, _ := toNumber(mx)
			limit = n.i
		} else if len(pos) > 1 {
			n, _ := toNumber(pos[1])
			limit = n.i
		}
		var parts []string
		if sep == nil {
			parts = strings.Fields(s)
		} else if limit >= 0 {
			if name == "rsplit" {
				parts = rsplitN(s, render(sep), limit+1)
			} else {
				parts = strings.SplitN(s, render(sep), limit+1)
			}
		} else {
			parts = strings.Split(s, render(sep))
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return &List{V: out}, nil
	case "replace":
		if err := needArgs("replace", args, 2, 3); err != nil {
			return nil, err
		}
		n := -1
		if len(args) == 3 {
			c, _ := toNumber(args[2])
			n = c.i
		}
		return strings.Replace(s, str(0), str(1), n), nil
	case "startswith", "endswith":
		var prefixes []any
		if l, ok := asList(arg(args, 0)); ok {
			prefixes = l
		} else {
			prefixes = []any{arg(args, 0)}
		}
		for _, p := range prefixes {
			if (name == "startswith" && strings.HasPrefix(s, render(p))) || (name == "endswith" && strings.HasSuffix(s, render(p))) {
				return true, nil
			}
		}
		return false, nil
	case "format":
		return pyFormat(s, args)
	case "join":
		items, err := iterate(arg(args, 0))
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = render(it)
		}
		return strings.Join(parts, s), nil
	case "title":
		return titleCase(s), nil
	case "capitalize":
		return capitalize(s), nil
	case "count":
		return strings.Count(s, str(0)), nil
	case "find":
		return strings.Index(s, str(0)), nil
	case "index":
		i := strings.Index(s, str(0))
		if i < 0 {
			return nil, fmt.Errorf("substring not found")
		}
		return i, nil
	case "isdigit", "isnumeric", "isdecimal":
		if s == "" {
			return false, nil
		}
		for _, r := range s {
			if r < '0' || r > '9' {
				return false, nil
			}
		}
		return true, nil
	case "isupper":
		return strings.ToUpper(s) == s && strings.ToLower(s) != s, nil
	case "islower":
		return strings.ToLower(s) == s && strings.ToUpper(s) != s, nil
	case "splitlines":
		lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
		out := make([]any, len(lines))
		for i, l := range lines {
			out[i] = strings.TrimSuffix(l, "\r")
		}
		return &List{V: out}, nil
	}
	return nil, fmt.Errorf("'str' object has no attribute '%s'", name)
}

func rsplitN(s, sep string, n int) []string {
	var out []string
	for n > 1 {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		out = append([]string{s[i+len(sep):]}, out...)
		s = s[:i]
		n--
	}
	return append([]string{s}, out...)
}

// pyFormat implements str.format with {}, {0} and {name} fields.
func pyFormat(f string, args []any) (string, error) {
	pos, kw := splitKw(args)
	var b strings.Builder
	auto := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '{' && i+1 < len(f) && f[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		if c == '}' && i+1 < len(f) && f[i+1] == '}' {
			b.WriteByte('}')
			i++
			continue
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		j := strings.IndexByte(f[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("single '{' encountered in format string")
		}
		field := f[i+1 : i+j]
		if k := strings.IndexByte(field, ':'); k >= 0 {
			field = field[:k]
		}
		var v any
		switch {
		case field == "":
			if auto >= len(pos) {
				return "", fmt.Errorf("format(): not enough positional arguments")
			}
			v = pos[auto]
			auto++
		case field[0] >= '0' && field[0] <= '9':
			n, _ := strconv.Atoi(field)
			if n >= len(pos) {
				return "", fmt.Errorf("format(): index %d out of range", n)
			}
			v = pos[n]
		default:
			var ok bool
			if v, ok = kw[field]; !ok {
				return "", fmt.Errorf("format(): missing argument '%s'", field)
			}
		}
		b.WriteString(render(v))
		i += j
	}
	return b.String(), nil
}

func titleCase(s string) string {
	b := []rune(s)
	up := true
	for i, r := range b {
		isLetter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127
		if isLetter {
			if up {
				b[i] = []rune(strings.ToUpper(string(r)))[0]
			} else {
				b[i] = []rune(strings.ToLower(string(r)))[0]
			}
			up = false
		} else {
			up = !(r >= '0' && r <= '9')
		}
	}
	return string(b)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(strings.ToLower(s))
	r[0] = []rune(strings.ToUpper(string(r[0])))[0]
	return string(r)
}

// sortValues sorts numbers and strings (case-insensitively unless asked).
func sortValues(v []any, reverse, caseSensitive bool) {
	key := func(x any) any {
		if s, ok := x.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return x
	}
	sort.SliceStable(v, func(i, j int) bool {
		a, b := key(v[i]), key(v[j])
		if reverse {
			a, b = b, a
		}
		lt, err := compare("lt", a, b)
		if err != nil {
			return render(a) < render(b)
		}
		return lt
	})
}
