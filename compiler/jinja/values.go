package jinja

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// List is Jinja's mutable list (list and tuple literals, results of list
// filters). It is a pointer so that {% do xs.append(x) %} is seen by every
// holder of the list, as in Python. Go functions receive []any instead.
type List struct{ V []any }

// kwArg is a keyword argument passed positionally; see Args.
type kwArg struct {
	name string
	val  any
}

// unsetT marks a macro parameter whose default is evaluated in the body.
type unsetT struct{}

// Args splits the arguments a Go function received from a template into
// positional arguments and keyword arguments. Lists arrive as []any.
func Args(args []any) (positional []any, kwargs map[string]any) {
	npos := 0
	for _, a := range args {
		if _, ok := a.(kwArg); !ok {
			npos++
		}
	}
	if npos > 0 {
		positional = make([]any, 0, npos)
	}
	for _, a := range args {
		if kw, ok := a.(kwArg); ok {
			if kwargs == nil {
				kwargs = make(map[string]any)
			}
			kwargs[kw.name] = export(kw.val)
			continue
		}
		positional = append(positional, export(a))
	}
	return positional, kwargs
}

// export turns template values into plain Go values ([]any for lists).
func export(v any) any {
	switch x := v.(type) {
	case *List:
		out := make([]any, len(x.V))
		for i, e := range x.V {
			out[i] = export(e)
		}
		return out
	case []any:
		for i, e := range x {
			if needsExport(e) {
				out := make([]any, len(x))
				for j, e := range x {
					out[j] = export(e)
				}
				_ = i
				return out
			}
		}
		return x
	case map[string]any:
		for _, e := range x {
			if needsExport(e) {
				out := make(map[string]any, len(x))
				for k, e := range x {
					out[k] = export(e)
				}
				return out
			}
		}
		return x
	case kwArg:
		return kwArg{x.name, export(x.val)}
	}
	return v
}

func needsExport(v any) bool {
	switch x := v.(type) {
	case *List:
		return true
	case []any:
		for _, e := range x {
			if needsExport(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if needsExport(e) {
				return true
			}
		}
	}
	return false
}

// asList returns the elements of a sequence value.
func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case *List:
		return x.V, true
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case nil, string, map[string]any:
		return nil, false
	case Sequence:
		return x.Items(), true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out, true
	}
	return nil, false
}

// asMap returns a string-keyed view of a mapping value.
func asMap(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case nil, string, *List, []any:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out[it.Key().String()] = it.Value().Interface()
		}
		return out, true
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// iterate returns what a for loop walks over: list items, sorted dict keys
// or string characters; undefined iterates as empty.
func iterate(v any) ([]any, error) {
	if v == nil {
		return nil, nil
	}
	if l, ok := asList(v); ok {
		return l, nil
	}
	if m, ok := asMap(v); ok {
		keys := sortedKeys(m)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	}
	if s, ok := v.(string); ok {
		out := make([]any, 0, len(s))
		for _, r := range s {
			out = append(out, string(r))
		}
		return out, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case string:
		return "str"
	case bool:
		return "bool"
	case int, int64, int32, int16, int8, uint, uint64, uint32, uint16, uint8:
		return "int"
	case float64, float32:
		return "float"
	case *List, []any, []string:
		return "list"
	case map[string]any:
		return "dict"
	}
	if _, ok := asList(v); ok {
		return "list"
	}
	if _, ok := asMap(v); ok {
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// Truth is Jinja's truthiness of a value: what {% if v %} tests.
func Truth(v any) bool { return truth(v) }

func truth(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int:
		return x != 0
	case int64:
		return x != 0
	case float64:
		return x != 0
	case *List:
		return len(x.V) > 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case unsetT:
		return false
	}
	if n, ok := toNumber(v); ok {
		return n.f != 0 || n.i != 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() > 0
	case reflect.Pointer, reflect.Interface:
		return !rv.IsNil()
	}
	return true
}

// number is an int or a float, as in Python.
type number struct {
	isFloat bool
	i       int
	f       float64
}

func (n number) float() float64 {
	if n.isFloat {
		return n.f
	}
	return float64(n.i)
}

func (n number) value() any {
	if n.isFloat {
		return n.f
	}
	return n.i
}

func toNumber(v any) (number, bool) {
	switch x := v.(type) {
	case int:
		return number{i: x}, true
	case int64:
		return number{i: int(x)}, true
	case float64:
		return number{isFloat: true, f: x}, true
	case bool:
		if x {
			return number{i: 1}, true
		}
		return number{}, true
	case int32:
		return number{i: int(x)}, true
	case float32:
		return number{isFloat: true, f: float64(x)}, true
	case int8, int16, uint, uint8, uint16, uint32, uint64:
		return number{i: int(reflect.ValueOf(x).Convert(reflect.TypeOf(0)).Int())}, true
	}
	return number{}, false
}

// render is Jinja's str() for output: undefined and none render empty.
func render(v any) string {
	switch v.(type) {
	case string, nil, int, bool, float64, fmt.Stringer, error:
		return renderScalar(v)
	}
	_, isList := asList(v)
	_, isMap := asMap(v)
	if isList || isMap {
		var b strings.Builder
		writeRepr(&b, v, false)
		return b.String()
	}
	return renderScalar(v)
}

// renderScalar renders a value that is not a list or a mapping.
func renderScalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case int:
		return strconv.Itoa(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return formatFloat(x)
	case fmt.Stringer:
		return x.String()
	case error:
		return x.Error()
	case unsetT: // a macro default that reads its own parameter: undefined
		return ""
	case *callerFn: // printed without being called
		return "<function>"
	}
	// Values Jinja's own types do not cover: other numbers (a driver's
	// int64, a float32), and functions printed without being called
	// ({{ this.quoted }}), which Python prints as an object too.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return formatFloat(rv.Float())
	case reflect.Bool:
		return renderScalar(rv.Bool())
	case reflect.String:
		return rv.String()
	case reflect.Func:
		return "<function>"
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "inf"
	}
	if math.IsInf(f, -1) {
		return "-inf"
	}
	if math.IsNaN(f) {
		return "nan"
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-4 || a >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Python writes 1e+16 and 1e-05.
		if i := strings.IndexByte(s, 'e'); i >= 0 && len(s)-i == 3 {
			s = s[:i+2] + "0" + s[i+2:]
		}
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// writeRepr writes Python's repr (quoted strings) when quote is set.
func writeRepr(b *strings.Builder, v any, quote bool) {
	switch x := v.(type) {
	case string:
		if !quote {
			b.WriteString(x)
			return
		}
		q := byte('\'')
		if strings.IndexByte(x, '\'') >= 0 && strings.IndexByte(x, '"') < 0 {
			q = '"'
		}
		b.WriteByte(q)
		for i := 0; i < len(x); i++ {
			c := x[i]
			switch {
			case c == q || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\r':
				b.WriteString(`\r`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte(q)
		return
	case nil:
		if quote {
			b.WriteString("None")
		}
		return
	case kwArg:
		b.WriteString(x.name + "=")
		writeRepr(b, x.val, true)
		return
	}
	if l, ok := asList(v); ok {
		b.WriteByte('[')
		for i, e := range l {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, true)
		}
		b.WriteByte(']')
		return
	}
	if m, ok := asMap(v); ok {
		b.WriteByte('{')
		for i, k := range sortedKeys(m) {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, k, true)
			b.WriteString(": ")
			writeRepr(b, m[k], true)
		}
		b.WriteByte('}')
		return
	}
	b.WriteString(renderScalar(v))
}

func equal(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case int:
		if y, ok := b.(int); ok {
			return x == y
		}
	}
	na, oka := toNumber(a)
	nb, okb := toNumber(b)
	if oka && okb {
		if !na.isFloat && !nb.isFloat {
			return na.i == nb.i
		}
		return na.float() == nb.float()
	}
	if oka != okb {
		return false
	}
	if la, ok := asList(a); ok {
		lb, ok := asList(b)
		if !ok || len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !equal(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	if ma, ok := asMap(a); ok {
		mb, ok := asMap(b)
		if !ok || len(ma) != len(mb) {
			return false
		}
		for k, v := range ma {
			w, ok := mb[k]
			if !ok || !equal(v, w) {
				return false
			}
		}
		return true
	}
	if sa, ok := a.(fmt.Stringer); ok {
		if s, ok := b.(string); ok {
			return sa.String() == s
		}
	}
	defer func() { _ = recover() }()
	return reflect.DeepEqual(a, b)
}

// compare orders numbers and strings; op is "lt", "gt", "le" or "ge".
func compare(op string, a, b any) (bool, error) {
	c := 0
	na, oka := toNumber(a)
	nb, okb := toNumber(b)
	switch {
	case oka && okb:
		if !na.isFloat && !nb.isFloat {
			c = cmpInt(na.i, nb.i)
		} else {
			x, y := na.float(), nb.float()
			switch {
			case x < y:
				c = -1
			case x > y:
				c = 1
			}
		}
	default:
		sa, oka := a.(string)
		sb, okb := b.(string)
		if !oka || !okb {
			sym := map[string]string{"lt": "<", "gt": ">", "le": "<=", "ge": ">="}[op]
			return false, fmt.Errorf("'%s' not supported between instances of '%s' and '%s'", sym, typeName(a), typeName(b))
		}
		c = strings.Compare(sa, sb)
	}
	switch op {
	case "lt":
		return c < 0, nil
	case "gt":
		return c > 0, nil
	case "le":
		return c <= 0, nil
	}
	return c >= 0, nil
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func contains(container, item any) (bool, error) {
	switch c := container.(type) {
	case nil:
		return false, nil
	case string:
		s, ok := item.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	}
	if l, ok := asList(container); ok {
		for _, e := range l {
			if equal(e, item) {
				return true, nil
			}
		}
		return false, nil
	}
	if m, ok := asMap(container); ok {
		_, has := m[keyString(item)]
		return has, nil
	}
	return false, fmt.Errorf("argument of type '%s' is not iterable", typeName(container))
}

func keyString(k any) string {
	if s, ok := k.(string); ok {
		return s
	}
	return render(k)
}

func arith(op string, a, b any) (any, error) {
	if x, ok := a.(Arither); ok {
		if v, ok := x.Arith(op, b, true); ok {
			return v, nil
		}
	}
	if x, ok := b.(Arither); ok {
		if v, ok := x.Arith(op, a, false); ok {
			return v, nil
		}
	}
	na, oka := toNumber(a)
	nb, okb := toNumber(b)
	if oka && okb {
		if _, isBool := a.(bool); !isBool || op != "add" {
			return numArith(op, na, nb)
		}
		return numArith(op, na, nb)
	}
	switch op {
	case "add":
		if sa, ok := a.(string); ok {
			if sb, ok := b.(string); ok {
				return sa + sb, nil
			}
		}
		if la, ok := asList(a); ok {
			if lb, ok := asList(b); ok {
				out := make([]any, 0, len(la)+len(lb))
				return &List{V: append(append(out, la...), lb...)}, nil
			}
		}
	case "mul":
		if s, ok := a.(string); ok && okb && !nb.isFloat {
			return strings.Repeat(s, max(nb.i, 0)), nil
		}
		if l, ok := asList(a); ok && okb && !nb.isFloat {
			out := make([]any, 0, len(l)*max(nb.i, 0))
			for i := 0; i < nb.i; i++ {
				out = append(out, l...)
			}
			return &List{V: out}, nil
		}
	case "mod":
		if s, ok := a.(string); ok {
			args := []any{b}
			if l, ok := asList(b); ok {
				args = l
			}
			return pyPercent(s, args)
		}
	}
	sym := map[string]string{"add": "+", "sub": "-", "mul": "*", "div": "/", "fdiv": "//", "mod": "%", "pow": "**"}[op]
	return nil, fmt.Errorf("unsupported operand type(s) for %s: '%s' and '%s'", sym, typeName(a), typeName(b))
}

func numArith(op string, a, b number) (any, error) {
	ints := !a.isFloat && !b.isFloat
	switch op {
	case "add":
		if ints {
			return a.i + b.i, nil
		}
		return a.float() + b.float(), nil
	case "sub":
		if ints {
			return a.i - b.i, nil
		}
		return a.float() - b.float(), nil
	case "mul":
		if ints {
			return a.i * b.i, nil
		}
		return a.float() * b.float(), nil
	case "div":
		if b.float() == 0 {
			return nil, fmt.Errorf("division by zero")
		}
		return a.float() / b.float(), nil
	case "fdiv":
		if b.float() == 0 {
			return nil, fmt.Errorf("integer division or modulo by zero")
		}
		if ints {
			q := a.i / b.i
			if (a.i%b.i != 0) && ((a.i < 0) != (b.i < 0)) {
				q--
			}
			return q, nil
		}
		return math.Floor(a.float() / b.float()), nil
	case "mod":
		if b.float() == 0 {
			return nil, fmt.Errorf("integer division or modulo by zero")
		}
		if ints {
			m := a.i % b.i
			if m != 0 && ((m < 0) != (b.i < 0)) {
				m += b.i
			}
			return m, nil
		}
		m := math.Mod(a.float(), b.float())
		if m != 0 && ((m < 0) != (b.float() < 0)) {
			m += b.float()
		}
		return m, nil
	case "pow":
		if ints && b.i >= 0 {
			r := 1
			for i := 0; i < b.i; i++ {
				r *= a.i
			}
			return r, nil
		}
		return math.Pow(a.float(), b.float()), nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

// pyPercent implements "%s"-style formatting for %s, %d, %i, %f, %r, %%.
func pyPercent(f string, args []any) (string, error) {
	var b strings.Builder
	ai := 0
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' || i+1 >= len(f) {
			b.WriteByte(c)
			continue
		}
		i++
		spec := ""
		for i < len(f) && strings.IndexByte("0123456789.-+ ", f[i]) >= 0 {
			spec += string(f[i])
			i++
		}
		if i >= len(f) {
			break
		}
		verb := f[i]
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		if ai >= len(args) {
			return "", fmt.Errorf("not enough arguments for format string")
		}
		a := args[ai]
		ai++
		switch verb {
		case 's':
			b.WriteString(render(a))
		case 'r':
			writeRepr(&b, a, true)
		case 'd', 'i':
			n, _ := toNumber(a)
			b.WriteString(strconv.Itoa(int(n.float())))
		case 'f':
			n, _ := toNumber(a)
			prec := 6
			if k := strings.IndexByte(spec, '.'); k >= 0 {
				prec, _ = strconv.Atoi(spec[k+1:])
			}
			b.WriteString(strconv.FormatFloat(n.float(), 'f', prec, 64))
		default:
			b.WriteString(render(a))
		}
	}
	return b.String(), nil
}

// getattr finds an attribute: a map key, or an exported field or method
// matched exactly, then Capitalized, then CamelCased, then ignoring case.
func getattr(x any, name string) (any, bool, error) {
	switch v := x.(type) {
	case nil:
		return nil, false, nil
	case map[string]any:
		r, ok := v[name]
		return r, ok, nil
	case kwArg, *List, string, []any:
		return nil, false, nil
	}
	rv := reflect.ValueOf(x)
	if rv.Kind() == reflect.Map {
		if rv.Type().Key().Kind() == reflect.String {
			r := rv.MapIndex(reflect.ValueOf(name).Convert(rv.Type().Key()))
			if r.IsValid() {
				return r.Interface(), true, nil
			}
		}
		return nil, false, nil
	}
	if m := findMethod(rv, name); m.IsValid() {
		mt := m.Type()
		if mt.NumIn() == 0 && (mt.NumOut() == 1 || (mt.NumOut() == 2 && mt.Out(1) == errorType)) {
			out := m.Call(nil)
			if len(out) == 2 && !out[1].IsNil() {
				return nil, true, out[1].Interface().(error)
			}
			return out[0].Interface(), true, nil
		}
		return m.Interface(), true, nil
	}
	sv := rv
	for sv.Kind() == reflect.Pointer || sv.Kind() == reflect.Interface {
		if sv.IsNil() {
			return nil, false, nil
		}
		sv = sv.Elem()
	}
	if sv.Kind() == reflect.Struct {
		if f := findField(sv, name); f.IsValid() && f.CanInterface() {
			return f.Interface(), true, nil
		}
	}
	return nil, false, nil
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

func nameVariants(name string) []string {
	out := []string{name}
	if name == "" {
		return out
	}
	capd := strings.ToUpper(name[:1]) + name[1:]
	out = append(out, capd)
	if strings.IndexByte(name, '_') >= 0 {
		var b strings.Builder
		up := true
		for _, r := range name {
			if r == '_' {
				up = true
				continue
			}
			if up {
				b.WriteRune(unicode.ToUpper(r))
				up = false
			} else {
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}

func normName(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "_", ""))
}

func findMethod(rv reflect.Value, name string) reflect.Value {
	if !rv.IsValid() {
		return reflect.Value{}
	}
	for _, n := range nameVariants(name) {
		if m := rv.MethodByName(n); m.IsValid() {
			return m
		}
	}
	t := rv.Type()
	want := normName(name)
	for i := 0; i < t.NumMethod(); i++ {
		if normName(t.Method(i).Name) == want {
			return rv.Method(i)
		}
	}
	return reflect.Value{}
}

func findField(sv reflect.Value, name string) reflect.Value {
	for _, n := range nameVariants(name) {
		if f, ok := sv.Type().FieldByName(n); ok && f.IsExported() {
			return sv.FieldByIndex(f.Index)
		}
	}
	t := sv.Type()
	want := normName(name)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && (normName(f.Name) == want || strings.Split(f.Tag.Get("json"), ",")[0] == name) {
			return sv.Field(i)
		}
	}
	return reflect.Value{}
}

func index(x, idx any) (any, error) {
	if x == nil {
		return nil, nil
	}
	if s, ok := x.(string); ok {
		n, ok := toNumber(idx)
		if !ok || n.isFloat {
			return nil, fmt.Errorf("string indices must be integers")
		}
		r := []rune(s)
		i := n.i
		if i < 0 {
			i += len(r)
		}
		if i < 0 || i >= len(r) {
			return nil, fmt.Errorf("string index out of range")
		}
		return string(r[i]), nil
	}
	if l, ok := asList(x); ok {
		n, ok := toNumber(idx)
		if !ok || n.isFloat {
			return nil, fmt.Errorf("list indices must be integers, not %s", typeName(idx))
		}
		i := n.i
		if i < 0 {
			i += len(l)
		}
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("list index out of range")
		}
		return l[i], nil
	}
	if m, ok := x.(map[string]any); ok {
		return m[keyString(idx)], nil
	}
	if s, ok := idx.(string); ok {
		v, _, err := getattr(x, s)
		return v, err
	}
	return nil, nil
}

func sliceOf(x, lo, hi, step any) (any, error) {
	st := 1
	if step != nil {
		n, ok := toNumber(step)
		if !ok || n.isFloat || n.i == 0 {
			return nil, fmt.Errorf("slice step must be a non-zero integer")
		}
		st = n.i
	}
	var items []any
	s, isStr := x.(string)
	var runes []rune
	if isStr {
		runes = []rune(s)
		items = make([]any, len(runes))
	} else if l, ok := asList(x); ok {
		items = l
	} else if x == nil {
		return nil, nil
	} else {
		return nil, fmt.Errorf("'%s' object is not subscriptable", typeName(x))
	}
	n := len(items)
	bound := func(v any, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		num, ok := toNumber(v)
		if !ok || num.isFloat {
			return 0, fmt.Errorf("slice indices must be integers or None")
		}
		i := num.i
		if i < 0 {
			i += n
		}
		if st > 0 {
			return min(max(i, 0), n), nil
		}
		return min(max(i, -1), n-1), nil
	}
	var a, b int
	var err error
	if st > 0 {
		if a, err = bound(lo, 0); err != nil {
			return nil, err
		}
		if b, err = bound(hi, n); err != nil {
			return nil, err
		}
	} else {
		if a, err = bound(lo, n-1); err != nil {
			return nil, err
		}
		if b, err = bound(hi, -1); err != nil {
			return nil, err
		}
	}
	var idx []int
	for i := a; (st > 0 && i < b) || (st < 0 && i > b); i += st {
		idx = append(idx, i)
	}
	if isStr {
		out := make([]rune, len(idx))
		for k, i := range idx {
			out[k] = runes[i]
		}
		return string(out), nil
	}
	out := make([]any, len(idx))
	for k, i := range idx {
		out[k] = items[i]
	}
	return &List{V: out}, nil
}

func length(v any) (int, error) {
	switch x := v.(type) {
	case string:
		return len([]rune(x)), nil
	case nil:
		return 0, nil
	}
	if l, ok := asList(v); ok {
		return len(l), nil
	}
	if m, ok := asMap(v); ok {
		return len(m), nil
	}
	return 0, fmt.Errorf("object of type '%s' has no len()", typeName(v))
}
