package jinja

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/flosch/pongo2/v6"
)

var knownFilters = map[string]bool{
	"lower": true, "upper": true, "trim": true, "replace": true, "join": true, "default": true, "d": true,
	"length": true, "count": true, "first": true, "last": true, "list": true, "sort": true, "unique": true,
	"int": true, "float": true, "string": true, "abs": true, "round": true, "capitalize": true, "title": true,
	"indent": true, "tojson": true, "as_text": true, "as_bool": true, "as_number": true, "as_native": true,
	"map": true, "select": true, "reject": true, "selectattr": true, "rejectattr": true, "reverse": true,
	"sum": true, "min": true, "max": true, "safe": true, "e": true, "escape": true, "format": true,
	"items": true, "dictsort": true, "batch": true, "attr": true, "wordcount": true, "truncate": true,
	"bool": true,
}

var knownTests = map[string]bool{
	"defined": true, "undefined": true, "none": true, "string": true, "number": true, "integer": true,
	"float": true, "mapping": true, "iterable": true, "sequence": true, "true": true, "false": true,
	"boolean": true, "even": true, "odd": true, "divisibleby": true, "eq": true, "equalto": true, "==": true,
	"ne": true, "!=": true, "lt": true, "lessthan": true, "gt": true, "greaterthan": true, "le": true, "ge": true,
	"in": true, "lower": true, "upper": true, "sameas": true, "callable": true,
}

func applyFilter(ctx *pongo2.ExecutionContext, name string, x any, args []any) (any, error) {
	pos, kw := splitKw(args)
	p := func(i int, k string) any {
		if i < len(pos) {
			return pos[i]
		}
		return kw[k]
	}
	switch name {
	case "lower":
		return strings.ToLower(render(x)), nil
	case "upper":
		return strings.ToUpper(render(x)), nil
	case "trim":
		if c := p(0, "chars"); c != nil {
			return strings.Trim(render(x), render(c)), nil
		}
		return strings.TrimSpace(render(x)), nil
	case "replace":
		n := -1
		if c := p(2, "count"); c != nil {
			v, _ := toNumber(c)
			n = v.i
		}
		return strings.Replace(render(x), render(p(0, "old")), render(p(1, "new")), n), nil
	case "join":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		attr := p(1, "attribute")
		parts := make([]string, len(items))
		for i, it := range items {
			if attr != nil {
				it, _ = attrPath(it, render(attr))
			}
			parts[i] = render(it)
		}
		return strings.Join(parts, render(p(0, "d"))), nil
	case "default", "d":
		if x == nil || (truth(p(1, "boolean")) && !truth(x)) {
			return p(0, "default_value"), nil
		}
		return x, nil
	case "length", "count":
		return length(x)
	case "first", "last":
		if s, ok := x.(string); ok {
			r := []rune(s)
			if len(r) == 0 {
				return nil, nil
			}
			if name == "first" {
				return string(r[0]), nil
			}
			return string(r[len(r)-1]), nil
		}
		items, err := iterate(x)
		if err != nil || len(items) == 0 {
			return nil, err
		}
		if name == "first" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "list":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		return &List{V: append([]any(nil), items...)}, nil
	case "sort":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		out := append([]any(nil), items...)
		if attr := p(2, "attribute"); attr != nil {
			a := render(attr)
			rev := truth(p(0, "reverse"))
			sort.SliceStable(out, func(i, j int) bool {
				vi, _ := attrPath(out[i], a)
				vj, _ := attrPath(out[j], a)
				if rev {
					vi, vj = vj, vi
				}
				lt, err := compare("lt", vi, vj)
				return err == nil && lt
			})
		} else {
			sortValues(out, truth(p(0, "reverse")), truth(p(1, "case_sensitive")))
		}
		return &List{V: out}, nil
	case "unique":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		var out []any
		for _, it := range items {
			dup := false
			for _, o := range out {
				if equal(o, it) {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, it)
			}
		}
		return &List{V: out}, nil
	case "reverse":
		if s, ok := x.(string); ok {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r), nil
		}
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, it := range items {
			out[len(items)-1-i] = it
		}
		return &List{V: out}, nil
	case "int":
		def := p(0, "default")
		if def == nil {
			def = 0
		}
		if n, ok := toNumber(x); ok {
			return int(n.float()), nil
		}
		s := strings.TrimSpace(render(x))
		if i, err := strconv.Atoi(s); err == nil {
			return i, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return int(f), nil
		}
		return def, nil
	case "float":
		if n, ok := toNumber(x); ok {
			return n.float(), nil
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(render(x)), 64); err == nil {
			return f, nil
		}
		if d := p(0, "default"); d != nil {
			return d, nil
		}
		return 0.0, nil
	case "string", "as_text":
		return render(x), nil
	case "safe":
		return x, nil
	case "e", "escape":
		return html.EscapeString(render(x)), nil
	case "abs":
		n, ok := toNumber(x)
		if !ok {
			return nil, fmt.Errorf("bad operand type for abs(): '%s'", typeName(x))
		}
		if n.isFloat {
			return math.Abs(n.f), nil
		}
		if n.i < 0 {
			return -n.i, nil
		}
		return n.i, nil
	case "round":
		n, ok := toNumber(x)
		if !ok {
			return nil, fmt.Errorf("round filter needs a number, got %s", typeName(x))
		}
		prec := 0
		if v, ok := toNumber(p(0, "precision")); ok {
			prec = v.i
		}
		scale := math.Pow(10, float64(prec))
		f := n.float() * scale
		switch render(p(1, "method")) {
		case "floor":
			f = math.Floor(f)
		case "ceil":
			f = math.Ceil(f)
		default:
			f = math.Round(f)
		}
		return f / scale, nil
	case "capitalize":
		return capitalize(render(x)), nil
	case "title":
		return titleCase(render(x)), nil
	case "indent":
		width := "    "
		if w := p(0, "width"); w != nil {
			if n, ok := toNumber(w); ok {
				width = strings.Repeat(" ", n.i)
			} else {
				width = render(w)
			}
		}
		first, blank := truth(p(1, "first")), truth(p(2, "blank"))
		lines := strings.Split(render(x), "\n")
		for i, l := range lines {
			if (i == 0 && !first) || (!blank && strings.TrimSpace(l) == "") {
				continue
			}
			lines[i] = width + l
		}
		return strings.Join(lines, "\n"), nil
	case "tojson":
		var b strings.Builder
		if err := writeJSON(&b, x); err != nil {
			return nil, err
		}
		return b.String(), nil
	case "as_bool":
		if s, ok := x.(string); ok {
			switch strings.TrimSpace(s) {
			case "True", "true":
				return true, nil
			case "False", "false":
				return false, nil
			}
		}
		return x, nil
	case "as_number":
		if s, ok := x.(string); ok {
			t := strings.TrimSpace(s)
			if i, err := strconv.Atoi(t); err == nil {
				return i, nil
			}
			if f, err := strconv.ParseFloat(t, 64); err == nil {
				return f, nil
			}
		}
		return x, nil
	case "as_native":
		if s, ok := x.(string); ok {
			t := strings.TrimSpace(s)
			switch t {
			case "True":
				return true, nil
			case "False":
				return false, nil
			case "None":
				return nil, nil
			}
			if i, err := strconv.Atoi(t); err == nil {
				return i, nil
			}
			if f, err := strconv.ParseFloat(t, 64); err == nil {
				return f, nil
			}
		}
		return x, nil
	case "bool":
		return truth(x), nil
	case "map":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		if a, ok := kw["attribute"]; ok {
			for i, it := range items {
				v, _ := attrPath(it, render(a))
				if v == nil {
					v = kw["default"]
				}
				out[i] = v
			}
			return &List{V: out}, nil
		}
		if len(pos) == 0 {
			return nil, fmt.Errorf("map filter needs a filter name or attribute=")
		}
		fname := render(pos[0])
		for i, it := range items {
			v, err := applyFilter(ctx, fname, it, pos[1:])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return &List{V: out}, nil
	case "select", "reject", "selectattr", "rejectattr":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		var out []any
		for _, it := range items {
			subject, rest := it, pos
			if name == "selectattr" || name == "rejectattr" {
				if len(pos) == 0 {
					return nil, fmt.Errorf("%s needs an attribute name", name)
				}
				subject, _ = attrPath(it, render(pos[0]))
				rest = pos[1:]
			}
			ok := truth(subject)
			if len(rest) > 0 {
				r, err := applyTest(render(rest[0]), subject, rest[1:])
				if err != nil {
					return nil, err
				}
				ok = r
			}
			if ok == (name == "select" || name == "selectattr") {
				out = append(out, it)
			}
		}
		return &List{V: out}, nil
	case "sum":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		var acc any = 0
		if s := p(1, "start"); s != nil {
			acc = s
		}
		for _, it := range items {
			if a := p(0, "attribute"); a != nil {
				it, _ = attrPath(it, render(a))
			}
			if acc, err = arith("add", acc, it); err != nil {
				return nil, err
			}
		}
		return acc, nil
	case "min", "max":
		items, err := iterate(x)
		if err != nil || len(items) == 0 {
			return nil, err
		}
		best := items[0]
		for _, it := range items[1:] {
			op := "lt"
			if name == "max" {
				op = "gt"
			}
			if better, err := compare(op, it, best); err == nil && better {
				best = it
			}
		}
		return best, nil
	case "format":
		return pyPercent(render(x), pos)
	case "items":
		m, ok := asMap(x)
		if !ok {
			return &List{}, nil
		}
		return dictMethod(m, "items", nil)
	case "dictsort":
		m, ok := asMap(x)
		if !ok {
			return nil, fmt.Errorf("dictsort needs a dict")
		}
		return dictMethod(m, "items", nil)
	case "attr":
		v, _, err := getattr(x, render(p(0, "name")))
		return v, err
	case "batch":
		items, err := iterate(x)
		if err != nil {
			return nil, err
		}
		n, ok := toNumber(p(0, "linecount"))
		if !ok || n.i <= 0 {
			return nil, fmt.Errorf("batch needs a positive size")
		}
		var out []any
		for i := 0; i < len(items); i += n.i {
			chunk := append([]any(nil), items[i:min(i+n.i, len(items))]...)
			for fill := p(1, "fill_with"); fill != nil && len(chunk) < n.i; {
				chunk = append(chunk, fill)
			}
			out = append(out, &List{V: chunk})
		}
		return &List{V: out}, nil
	case "wordcount":
		return len(strings.Fields(render(x))), nil
	case "truncate":
		s := []rune(render(x))
		n := 255
		if v, ok := toNumber(p(0, "length")); ok {
			n = v.i
		}
		if len(s) <= n {
			return string(s), nil
		}
		return string(s[:n]) + "...", nil
	}
	return nil, fmt.Errorf("unknown filter '%s'", name)
}

// attrPath follows a dotted attribute path ("a.b").
func attrPath(x any, path string) (any, error) {
	for _, part := range strings.Split(path, ".") {
		if n, err := strconv.Atoi(part); err == nil {
			v, err := index(x, n)
			if err != nil {
				return nil, err
			}
			x = v
			continue
		}
		v, _, err := getattr(x, part)
		if err != nil {
			return nil, err
		}
		x = v
	}
	return x, nil
}

func applyTest(name string, x any, args []any) (bool, error) {
	a0 := arg(args, 0)
	switch name {
	case "defined":
		return x != nil, nil
	case "undefined":
		return x == nil, nil
	case "none":
		return x == nil, nil
	case "string":
		_, ok := x.(string)
		return ok, nil
	case "number":
		_, isBool := x.(bool)
		_, ok := toNumber(x)
		return ok && !isBool, nil
	case "integer":
		n, ok := toNumber(x)
		_, isBool := x.(bool)
		return ok && !n.isFloat && !isBool, nil
	case "float":
		n, ok := toNumber(x)
		return ok && n.isFloat, nil
	case "boolean":
		_, ok := x.(bool)
		return ok, nil
	case "mapping":
		_, ok := asMap(x)
		return ok, nil
	case "iterable":
		if _, ok := x.(string); ok {
			return true, nil
		}
		_, err := iterate(x)
		return err == nil && x != nil, nil
	case "sequence":
		if _, ok := x.(string); ok {
			return true, nil
		}
		if _, ok := asList(x); ok {
			return true, nil
		}
		_, ok := asMap(x)
		return ok, nil
	case "true":
		b, ok := x.(bool)
		return ok && b, nil
	case "false":
		b, ok := x.(bool)
		return ok && !b, nil
	case "even", "odd", "divisibleby":
		n, ok := toNumber(x)
		if !ok || n.isFloat {
			return false, fmt.Errorf("test '%s' needs an integer, got %s", name, typeName(x))
		}
		d := 2
		if name == "divisibleby" {
			dn, ok := toNumber(a0)
			if !ok || dn.i == 0 {
				return false, fmt.Errorf("divisibleby needs a non-zero integer")
			}
			d = dn.i
		}
		r := n.i % d
		if name == "odd" {
			return r != 0, nil
		}
		return r == 0, nil
	case "eq", "equalto", "==":
		return equal(x, a0), nil
	case "ne", "!=":
		return !equal(x, a0), nil
	case "lt", "lessthan":
		return compare("lt", x, a0)
	case "gt", "greaterthan":
		return compare("gt", x, a0)
	case "le":
		return compare("le", x, a0)
	case "ge":
		return compare("ge", x, a0)
	case "in":
		return contains(a0, x)
	case "lower":
		s, ok := x.(string)
		return ok && strings.ToLower(s) == s, nil
	case "upper":
		s, ok := x.(string)
		return ok && strings.ToUpper(s) == s, nil
	case "sameas":
		return equal(x, a0), nil
	case "callable":
		switch x.(type) {
		case *Macro, *callerFn:
			return true, nil
		}
		return x != nil && fmt.Sprintf("%T", x)[:4] == "func", nil
	}
	return false, fmt.Errorf("unknown test '%s'", name)
}

// writeJSON writes JSON the way Jinja's tojson does (sorted keys, ", " and
// ": " separators).
func writeJSON(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		b.WriteString(strconv.Quote(x))
	default:
		if n, ok := toNumber(v); ok {
			if n.isFloat {
				b.WriteString(formatFloat(n.f))
			} else {
				b.WriteString(strconv.Itoa(n.i))
			}
			return nil
		}
		if l, ok := asList(v); ok {
			b.WriteByte('[')
			for i, e := range l {
				if i > 0 {
					b.WriteString(", ")
				}
				if err := writeJSON(b, e); err != nil {
					return err
				}
			}
			b.WriteByte(']')
			return nil
		}
		if m, ok := asMap(v); ok {
			b.WriteByte('{')
			for i, k := range sortedKeys(m) {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strconv.Quote(k))
				b.WriteString(": ")
				if err := writeJSON(b, m[k]); err != nil {
					return err
				}
			}
			b.WriteByte('}')
			return nil
		}
		b.WriteString(strconv.Quote(render(v)))
	}
	return nil
}
