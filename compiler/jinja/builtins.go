package jinja

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/flosch/pongo2/v6"
	"github.com/kiln-build/kiln/compiler/diag"
)

// Dispatch returns dbt's adapter.dispatch: dispatch('m', macro_namespace=None)
// resolves the macro <adapter>__m, then default__m, among the macros of the
// calling file and of the project; when neither exists, fallback(m) is
// asked for a built-in implementation (nil when there is none).
func Dispatch(adapter string, fallback func(name string) any) any {
	return func(ctx *pongo2.ExecutionContext, args ...any) (any, error) {
		pos, kw := Args(args)
		if len(pos) == 0 {
			return nil, diag.Diagnostic{Summary: "adapter.dispatch() needs a macro name", Hint: "write adapter.dispatch('my_macro')(args)"}
		}
		name := fmt.Sprint(pos[0])
		ns := ""
		if len(pos) > 1 && pos[1] != nil {
			ns = fmt.Sprint(pos[1])
		}
		if v, ok := kw["macro_namespace"]; ok && v != nil {
			ns = fmt.Sprint(v)
		}
		u := unitOf(ctx)
		cands := []string{adapter + "__" + name, "default__" + name}
		if u != nil {
			for _, c := range cands {
				if m := u.locals[c]; m != nil {
					return m, nil
				}
				if m := u.env.macros[c]; m != nil {
					return m, nil
				}
			}
		}
		if fallback != nil {
			if f := fallback(name); f != nil {
				return f, nil
			}
		}
		where := "the project"
		if ns != "" {
			where = "namespace '" + ns + "' (packages are not supported yet; define the macro in the project)"
		}
		return nil, diag.Diagnostic{Summary: fmt.Sprintf("adapter.dispatch: no macro '%s' or '%s' in %s", cands[0], cands[1], where),
			Hint: "define {% macro default__" + name + "(...) %} in macros/"}
	}
}

// CallCaller renders the body of a {% call %} block passed to a Go function
// as its caller keyword argument.
func CallCaller(v any) (string, error) {
	c, ok := v.(*callerFn)
	if !ok {
		return "", fmt.Errorf("caller is not a {%% call %%} block body")
	}
	out, err := c.fn()
	if err != nil {
		return "", err
	}
	return out.String(), nil
}

// IsCaller reports whether v is the body of a {% call %} block.
func IsCaller(v any) bool {
	_, ok := v.(*callerFn)
	return ok
}

// ToJSON is Jinja's tojson: Python's json.dumps spelling.
func ToJSON(v any) (string, error) {
	var b strings.Builder
	if err := writeJSON(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// FromJSON parses JSON into template values (objects become dicts, arrays
// lists, integral numbers ints).
func FromJSON(s string) (any, error) {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("fromjson: %v", err)
	}
	return fromJSONValue(v), nil
}

func fromJSONValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i)
		}
		f, _ := x.Float64()
		return f
	case []any:
		l := &List{V: make([]any, len(x))}
		for i, e := range x {
			l.V[i] = fromJSONValue(e)
		}
		return l
	case map[string]any:
		for k, e := range x {
			x[k] = fromJSONValue(e)
		}
		return x
	}
	return v
}

// Arither is a value with its own arithmetic (dates and timedeltas of
// modules.datetime): ok is false when it does not handle the operands.
type Arither interface {
	Arith(op string, other any, left bool) (any, bool)
}

// Sequence is a Go value templates iterate and index like a list (a
// run_query() table) while it also has attributes of its own.
type Sequence interface {
	Items() []any
}
