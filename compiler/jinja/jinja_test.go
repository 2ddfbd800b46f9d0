package jinja

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/flosch/pongo2/v6"
	"github.com/kiln-build/kiln/compiler/diag"
)

// relation stands in for a compiler relation: it renders via String().
type relation struct {
	Schema     string
	Identifier string
}

func (r relation) String() string { return fmt.Sprintf("%q.%q", r.Schema, r.Identifier) }

func (r relation) Quoted(s string) string { return `"` + s + `"` }

// testGlobals returns globals like the compiler's, recording config().
func testGlobals(seen map[string]any) map[string]any {
	return map[string]any{
		"ref": func(args ...any) (any, error) {
			pos, _ := Args(args)
			if len(pos) != 1 {
				return nil, fmt.Errorf("ref() takes one argument")
			}
			name, _ := pos[0].(string)
			if name == "missing" {
				return nil, fmt.Errorf("unknown ref '%s'", name)
			}
			if name == "hinted" {
				return nil, diag.Diagnostic{Summary: "unknown ref 'hinted'", Hint: "did you mean \"hint\"?"}
			}
			return relation{Schema: "main", Identifier: name}, nil
		},
		"config": func(args ...any) string {
			_, kw := Args(args)
			for k, v := range kw {
				seen[k] = v
			}
			return ""
		},
		"var": func(args ...any) any {
			pos, _ := Args(args)
			if len(pos) > 1 {
				return pos[1]
			}
			return nil
		},
		"is_incremental": func() bool { return true },
		"this":           relation{Schema: "main", Identifier: "orders"},
		"target":         map[string]any{"name": "dev", "schema": "main"},
		"cols":           []any{"a", "b", "c"},
		"big":            int64(7), // as a driver returns numbers
		"f32":            float32(1.5),
		"adapter": map[string]any{
			"quote": func(args ...any) string { return `"` + fmt.Sprint(args[0]) + `"` },
		},
	}
}

func render1(t *testing.T, e *Env, src string, globals map[string]any) string {
	t.Helper()
	tpl, ds := e.Compile("models/m.sql", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("compile %q: %v", src, ds)
	}
	out, err := tpl.Execute(globals)
	if err != nil {
		tr, _ := Translate(src)
		t.Fatalf("execute %q: %v\ntranslated: %s", src, err, tr)
	}
	return out
}

func TestRender(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"text", "select 1", "select 1"},
		{"loop last", "{% for c in cols %}{{ c }}{% if not loop.last %},{% endif %}{% endfor %}", "a,b,c"},
		{"loop vars", "{% for c in cols %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.revindex }}{{ loop.length }} {% endfor %}", "10True33 21False23 32False13 "},
		{"join", "{{ cols|join(', ') }}", "a, b, c"},
		// Values of types Jinja has no name for print, not crash.
		{"other numbers", "{{ big }} {{ f32 }} {{ [big, f32] }} {{ {'n': big} }}", "7 1.5 [7, 1.5] {'n': 7}"},
		{"function not called", "{{ adapter.quote }} {{ this.quoted }}", "<function> <function>"},
		{"caller not called", "{% macro w() %}{{ caller }}{% endmacro %}{% call w() %}x{% endcall %}", "<function>"},
		{"macro default reads itself", "{% macro m(a=a ~ '') %}[{{ a }}]{% endmacro %}{{ m() }}", "[]"},
		{"concat", "{{ 'a' ~ 1 }}", "a1"},
		{"defined", "{% if x is defined %}yes{% else %}no{% endif %}{% if cols is defined %}Y{% endif %}{% if y is not defined %}N{% endif %}", "noYN"},
		{"defined none", "{% set z = none %}{% if z is defined %}def{% endif %}{% if z is none %}none{% endif %}", "defnone"},
		{"True", "{% if True %}t{% endif %}{% if False %}f{% endif %}{% if true %}T{% endif %}", "tT"},
		{"whitespace control", "a  {%- if true -%}  b  {%- endif -%}  c\n{{- 'd' }}", "abcd"},
		{"expr spanning lines", "{{\n  'x'\n  ~ 'y'\n}}", "xy"},
		{"comment spanning lines", "a{# one\n two {{ }} #}b{#- x -#} c", "abc"},
		{"dict items", "{% set d = {'b': 2, 'a': 1} %}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"},
		{"dict iter keys", "{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}", "xy"},
		{"for else", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", "empty"},
		{"int division", "{{ 1/2 }} {{ 7//2 }} {{ -7//2 }} {{ 7 % 3 }} {{ 2**10 }} {{ 4/2 }} {{ 1.5 + 1 }}", "0.5 3 -4 1 1024 2.0 2.5"},
		{"precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 ** 2 }} {{ 'a' ~ 1 + 2 }}", "7 9 -4 a3"},
		{"comparisons", "{{ 1 < 2 }} {{ 2 <= 1 }} {{ 'a' == 'a' }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ 1 < 2 < 3 }}", "True False True True True True"},
		{"in", "{{ 'a' in cols }} {{ 'z' not in cols }} {{ 'ell' in 'hello' }} {{ 'k' in {'k': 1} }}", "True True True True"},
		{"and or values", "{{ x or 'dflt' }} {{ 'a' and 'b' }} {{ none or 0 }} {{ not none }}", "dflt b 0 True"},
		{"short circuit", "{{ cols is defined and cols[0] }} {{ nope is defined and nope.x.y() }}", "a False"},
		{"ternary", "{{ 'y' if true else 'n' }} {{ 'y' if false else 'n' }} {{ 'y' if false }}|", "y n |"},
		{"ternary lazy", "{{ ref('a') if true else ref('missing') }}", `"main"."a"`},
		{"set", "{% set x = 3 %}{% set y = x * 2 %}{{ y }}", "6"},
		{"set tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, d = ['x', 'y'] %}{{ c }}{{ d }}", "12xy"},
		{"set block", "{% set sql %}select {{ 1 + 1 }}{% endset %}[{{ sql | trim }}]", "[select 2]"},
		{"namespace", "{% set ns = namespace(n=0) %}{% for c in cols %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}", "3"},
		{"do append", "{% set xs = [] %}{% for c in cols %}{% do xs.append(c|upper) %}{% endfor %}{{ xs|join('') }} {{ xs }}", "ABC ['A', 'B', 'C']"},
		{"list literal render", "{{ [1, 'a', none, true, 1.5] }} {{ (1, 2) }} {{ {'a': [1]} }}", "[1, 'a', None, True, 1.5] [1, 2] {'a': [1]}"},
		{"subscripts", "{{ cols[0] }}{{ cols[-1] }}{{ cols[1:] }}{{ 'hello'[1:3] }}{{ cols[::-1] }}{{ target['name'] }}", "ac['b', 'c']el['c', 'b', 'a']dev"},
		{"attrs", "{{ target.name }} {{ this.identifier }} {{ this.schema }} {{ this }} {{ this.quoted('x') }}", `dev orders main "main"."orders" "x"`},
		{"map func", "{{ adapter.quote('c') }}", `"c"`},
		{"str methods", "{{ ' Ab '.strip().lower() }} {{ 'a,b'.split(',') }} {{ 'x'.upper() }} {{ 'abc'.startswith('a') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'a-b'.replace('-', '_') }} {{ '{}-{n}'.format(1, n=2) }} {{ ', '.join(cols) }}", "ab ['a', 'b'] X True True a_b 1-2 a, b, c"},
		{"dict methods", "{% set d = {'a': 1} %}{{ d.get('a') }}{{ d.get('z', 9) }}{% do d.update({'b': 2}) %}{{ d.keys() }}{{ d.values() }}{{ d.pop('a') }}{{ d }}", "19['a', 'b'][1, 2]1{'b': 2}"},
		{"filters text", "{{ 'ABC'|lower }} {{ 'abc'|upper }} {{ '  x  '|trim }} {{ 'a.b'|replace('.', '_') }} {{ 'hello world'|title }} {{ 'hELLO'|capitalize }}", "abc ABC x a_b Hello World Hello"},
		{"filters default", "{{ x|default('d') }} {{ x|d('e') }} {{ ''|default('f', true) }} {{ 'v'|default('g') }}", "d e f v"},
		{"filters lists", "{{ cols|length }} {{ cols|count }} {{ cols|first }} {{ cols|last }} {{ [3,1,2]|sort }} {{ [1,1,2]|unique|list }} {{ 'ab'|list }} {{ [3,1,2]|sort(reverse=true) }}", "3 3 a c [1, 2, 3] [1, 2] ['a', 'b'] [3, 2, 1]"},
		{"filters numbers", "{{ '42'|int + 1 }} {{ '1.5'|float }} {{ 3|string ~ 'x' }} {{ (-3)|abs }} {{ 2.567|round(2) }} {{ 2.5|round }} {{ 7|float }}", "43 1.5 3x 3 2.57 3.0 7.0"},
		{"filters misc", "{{ 'a\nb'|indent(2) }}|{{ {'b': [1, 'x'], 'a': none}|tojson }}|{{ 'True'|as_bool }}|{{ '12'|as_number + 1 }}|{{ '5'|as_native + 1 }}|{{ 3|as_text }}", "a\n  b|{\"a\": null, \"b\": [1, \"x\"]}|True|13|6|3"},
		{"filter map select", "{% set rows = [{'n': 'a', 'k': 1}, {'n': 'b', 'k': 2}] %}{{ rows|map(attribute='n')|join(',') }} {{ cols|map('upper')|list }} {{ [1,2,3,4]|select('odd')|list }} {{ [1,2,3,4]|reject('even')|list }} {{ rows|selectattr('k', 'equalto', 2)|map(attribute='n')|first }}", "a,b ['A', 'B', 'C'] [1, 3] [1, 3] b"},
		{"tests", "{{ 'a' is string }}{{ 1 is number }}{{ {} is mapping }}{{ cols is iterable }}{{ cols is sequence }}{{ true is true }}{{ false is false }}{{ 2 is even }}{{ 3 is odd }}{{ 9 is divisibleby(3) }}{{ none is none }}{{ 1 is string }}", "TrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueFalse"},
		{"if elif else", "{% for n in [1, 2, 3] %}{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %} {% endfor %}", "one two many "},
		{"elif lowering", "{% set v = none %}{% if false %}a{% elif v or 'x' %}b{% endif %}", "b"},
		{"is_incremental", "{% if is_incremental() %}where x > (select max(x) from {{ this }}){% endif %}", `where x > (select max(x) from "main"."orders")`},
		{"var", "{{ var('start', '2020-01-01') }}", "2020-01-01"},
		{"raw", "{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"},
		{"string escapes", `{{ 'it\'s' }} {{ "a\"b" }} {{ 'x\ny'|replace('\n', '|') }} {{ 'a\\b' }}`, `it's a"b x|y a\b`},
		{"braces in text", "select '{' as a, '}' as b {", "select '{' as a, '}' as b {"},
		{"range", "{% for i in range(3) %}{{ i }}{% endfor %}{{ range(1, 7, 2) }}", "012[1, 3, 5]"},
		{"nested loops", "{% for a in [1,2] %}{% for b in ['x','y'] %}{{ a }}{{ b }}{% if not loop.last %},{% endif %}{% endfor %};{% endfor %}", "1x,1y;2x,2y;"},
		{"set in loop scoped", "{% set x = 1 %}{% for c in cols %}{% set x = 2 %}{% endfor %}{{ x }}", "1"},
		{"none renders empty", "[{{ none }}][{{ undefined_thing }}]", "[][]"},
		{"format filter", "{{ '%s-%d'|format('a', 3) }} {{ '%s!' % 'hi' }}", "a-3 hi!"},
		{"keywords as names", "{% set as = 1 %}{{ as }}", "1"},
		{"local macro", "{% macro greet(who, punct='!') %}hi {{ who }}{{ punct }}{% endmacro %}{{ greet('bob') }} {{ greet('al', punct='?') }}", "hi bob! hi al?"},
		{"call block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}x{{ 1 + 1 }}{% endcall %}", "<b>x2</b>"},
		{"call(args) block", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1, 2]) %}[{{ v }}]{% endcall %}", "[1][2]"},
	}
	e := NewEnv()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render1(t, e, c.src, testGlobals(map[string]any{}))
			if got != c.want {
				tr, _ := Translate(c.src)
				t.Errorf("got  %q\nwant %q\ntranslated: %s", got, c.want, tr)
			}
		})
	}
}

func TestConfigSeesKwargs(t *testing.T) {
	seen := map[string]any{}
	src := "{{ config(materialized='incremental',\n          unique_key=['store_id','sale_id'], partition_by={'field': 'd', 'granularity': 'day'}) }}select 1"
	out := render1(t, NewEnv(), src, testGlobals(seen))
	if out != "select 1" {
		t.Errorf("output %q", out)
	}
	if seen["materialized"] != "incremental" {
		t.Errorf("materialized = %#v", seen["materialized"])
	}
	uk, ok := seen["unique_key"].([]any)
	if !ok || len(uk) != 2 || uk[0] != "store_id" || uk[1] != "sale_id" {
		t.Errorf("unique_key = %#v", seen["unique_key"])
	}
	pb, ok := seen["partition_by"].(map[string]any)
	if !ok || pb["granularity"] != "day" {
		t.Errorf("partition_by = %#v", seen["partition_by"])
	}
}

func TestArgs(t *testing.T) {
	pos, kw := Args([]any{"a", kwArg{"k", &List{V: []any{1}}}, 2})
	if len(pos) != 2 || pos[0] != "a" || pos[1] != 2 {
		t.Errorf("positional %#v", pos)
	}
	if l, ok := kw["k"].([]any); !ok || l[0] != 1 {
		t.Errorf("kwargs %#v", kw)
	}
}

func TestMacrosAcrossFiles(t *testing.T) {
	e := NewEnv()
	ds := e.AddMacroFile("macros/a.sql", []byte(`ignored text
{% macro cents_to_dollars(col, scale=2, suffix='') -%}
    round({{ col }} / 100, {{ scale }}){{ suffix }}
{%- endmacro %}
{% macro cols_list() %}{{ return(['id', 'amount']) }}{% endmacro %}
`))
	ds = append(ds, e.AddMacroFile("macros/b.sql", []byte(`
{% macro select_cols(rel) -%}
  select {{ cols_list() | join(', ') }}, {{ cents_to_dollars('amount', suffix=' as usd') }} from {{ rel }}
{%- endmacro %}
{% macro dict_ret() %}{% do return({'a': 1, 'n': 2.5}) %}never{% endmacro %}
{% macro num_ret(x) %}{{ return(x * 2) }}{% endmacro %}
{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}
`))...)
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	if got := strings.Join(e.Macros(), ","); got != "cents_to_dollars,cols_list,dict_ret,num_ret,rec,select_cols" {
		t.Errorf("Macros() = %s", got)
	}
	if !e.HasMacro("rec") || e.HasMacro("nope") {
		t.Error("HasMacro")
	}
	cases := []struct{ src, want string }{
		{"{{ cents_to_dollars('x') }}", "round(x / 100, 2)"},
		{"{{ cents_to_dollars('x', 4) }}", "round(x / 100, 4)"},
		{"{{ cents_to_dollars(scale=0, col='y') }}", "round(y / 100, 0)"},
		{"{{ select_cols(ref('orders')) }}", `select id, amount, round(amount / 100, 2) as usd from "main"."orders"`},
		{"{% set c = cols_list() %}{{ c|length }} {{ c[1] }} {% for x in c %}{{ x }};{% endfor %}", "2 amount id;amount;"},
		{"{% set d = dict_ret() %}{{ d.a }} {{ d['n'] }}", "1 2.5"},
		{"{{ num_ret(21) + 1 }}", "43"},
		{"{{ rec(3) }}", "321"},
	}
	for _, c := range cases {
		if got := render1(t, e, c.src, testGlobals(map[string]any{})); got != c.want {
			t.Errorf("%s: got %q want %q", c.src, got, c.want)
		}
	}
}

func TestMacroArgumentErrors(t *testing.T) {
	e := NewEnv()
	if ds := e.AddMacroFile("macros/m.sql", []byte("{% macro m(a, b=1) %}{{ a }}{{ b }}{% endmacro %}")); ds.HasErrors() {
		t.Fatal(ds)
	}
	for src, want := range map[string]string{
		"{{ m() }}":        "models/a.sql:1:4: macro 'm' is missing required argument 'a'",
		"{{ m(1, 2, 3) }}": "models/a.sql:1:4: macro 'm' takes 2 argument(s) but more were given",
		"{{ m(1, c=3) }}":  "models/a.sql:1:4: macro 'm' got an unexpected keyword argument 'c'",
		"{{ mm(1) }}":      "models/a.sql:1:4: 'mm' is undefined",
	} {
		expectExecError(t, e, src, want)
	}
}

func expectExecError(t *testing.T, e *Env, src, want string) diag.Diagnostic {
	t.Helper()
	tpl, ds := e.Compile("models/a.sql", []byte(src))
	if ds.HasErrors() {
		t.Fatalf("compile %q: %v", src, ds)
	}
	_, err := tpl.Execute(testGlobals(map[string]any{}))
	var d diag.Diagnostic
	if !errors.As(err, &d) {
		t.Fatalf("%q: error %v (%T) is not a diag.Diagnostic", src, err, err)
	}
	if d.String() != want {
		t.Errorf("%q:\n got  %s\n want %s", src, d.String(), want)
	}
	return d
}

func expectCompileError(t *testing.T, src, want string) {
	t.Helper()
	_, ds := NewEnv().Compile("models/a.sql", []byte(src))
	if !ds.HasErrors() {
		t.Fatalf("%q: no error", src)
	}
	if got := ds[0].String(); got != want {
		t.Errorf("%q:\n got  %s\n want %s", src, got, want)
	}
}

func TestCompileErrors(t *testing.T) {
	expectCompileError(t, "select\n  {{ x ", "models/a.sql:2:3: unclosed '{{': missing '}}'")
	expectCompileError(t, "select 1\n{% if x %}\nfoo", "models/a.sql:2:1: unclosed {% if %}: missing {% endif %}")
	expectCompileError(t, "-- x\n{% materialization table, default %}", "models/a.sql:2:4: {% materialization %} blocks are not supported by Kiln")
	expectCompileError(t, "select {{ a + }}", "models/a.sql:1:15: expected an expression, found end of tag")
	expectCompileError(t, "select {{ a b }}", "models/a.sql:1:13: unexpected 'b' in expression")
	expectCompileError(t, "{{ x|nosuchfilter }}", "models/a.sql:1:6: unknown filter 'nosuchfilter'")
	expectCompileError(t, "{% endif %}", "models/a.sql:1:4: unexpected {% endif %} without a matching opening tag")
	expectCompileError(t, "{# never closed", "models/a.sql:1:1: unclosed comment: missing '#}'")
	expectCompileError(t, "{{ 'abc }}", "models/a.sql:1:4: unterminated string literal")
}

func TestExecErrors(t *testing.T) {
	e := NewEnv()
	src := "select *\nfrom x\n  , {{ref('missing')}}\n"
	expectExecError(t, e, src, "models/a.sql:3:7: unknown ref 'missing'")
	d := expectExecError(t, e, "\n\n  , {{ ref('hinted') }}", "models/a.sql:3:8: unknown ref 'hinted'")
	if d.Hint != `did you mean "hint"?` {
		t.Errorf("hint lost: %q", d.Hint)
	}
	expectExecError(t, e, "{% for c in cols %}\n  {{ c ~ ref('missing') }}{% endfor %}", "models/a.sql:2:10: unknown ref 'missing'")
	expectExecError(t, e, "{{ 1 / 0 }}", "models/a.sql:1:6: division by zero")
	expectExecError(t, e, "{{ 1 < 'a' }}", "models/a.sql:1:6: '<' not supported between instances of 'int' and 'str'")
	// Errors inside a macro point into the macro file.
	if ds := e.AddMacroFile("macros/bad.sql", []byte("{% macro bad() %}\n  {{ ref('missing') }}\n{% endmacro %}")); ds.HasErrors() {
		t.Fatal(ds)
	}
	expectExecError(t, e, "{{ bad() }}", "macros/bad.sql:2:6: unknown ref 'missing'")
}

func TestConcurrentExecute(t *testing.T) {
	e := NewEnv()
	e.AddMacroFile("macros/m.sql", []byte("{% macro q(x) %}'{{ x }}'{% endmacro %}"))
	tpl, ds := e.Compile("models/m.sql", []byte("{% for c in cols %}{{ q(c) }}{% endfor %}"))
	if ds.HasErrors() {
		t.Fatal(ds)
	}
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			out, _ := tpl.Execute(testGlobals(map[string]any{}))
			done <- out
		}()
	}
	for i := 0; i < 8; i++ {
		if out := <-done; out != "'a''b''c'" {
			t.Errorf("got %q", out)
		}
	}
}

const benchModel = `{{ config(materialized='incremental', unique_key=['store_id', 'sale_id'], event_time='sold_at') }}
{% set payment_methods = ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] %}

with orders as (
    select * from {{ ref('stg_orders') }}
),

payments as (
    select * from {{ ref('stg_payments') }}
),

order_payments as (
    select
        order_id,
        {% for payment_method in payment_methods -%}
        sum(case when payment_method = '{{ payment_method }}' then amount else 0 end) as {{ payment_method }}_amount,
        {% endfor -%}
        sum(amount) as total_amount
    from payments
    group by order_id
)

select
    orders.order_id,
    orders.customer_id,
    {{ cents_to_dollars('order_payments.total_amount') }} as amount
from orders
left join order_payments on orders.order_id = order_payments.order_id
{% if is_incremental() %}
where orders.order_date > (select max(order_date) from {{ this }})
{% endif %}
`

func benchEnv(b *testing.B) *Env {
	e := NewEnv()
	if ds := e.AddMacroFile("macros/m.sql", []byte("{% macro cents_to_dollars(col, scale=2) %}round({{ col }} / 100, {{ scale }}){% endmacro %}")); ds.HasErrors() {
		b.Fatal(ds)
	}
	return e
}

func BenchmarkCompileExecute(b *testing.B) {
	e := benchEnv(b)
	g := testGlobals(map[string]any{})
	b.ReportAllocs()
	for b.Loop() {
		tpl, ds := e.Compile("models/orders.sql", []byte(benchModel))
		if ds.HasErrors() {
			b.Fatal(ds)
		}
		if _, err := tpl.Execute(g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	e := benchEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, ds := e.Compile("models/orders.sql", []byte(benchModel)); ds.HasErrors() {
			b.Fatal(ds)
		}
	}
}

func BenchmarkExecute(b *testing.B) {
	e := benchEnv(b)
	g := testGlobals(map[string]any{})
	tpl, ds := e.Compile("models/orders.sql", []byte(benchModel))
	if ds.HasErrors() {
		b.Fatal(ds)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tpl.Execute(g); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"select 1", benchModel, "{{ a ~ b }}", "{% if x is defined %}{% endif %}", "{%- for k, v in d.items() -%}{{ k }}{%- endfor %}",
		"{% macro m(a, b=1) %}{{ return([a, b]) }}{% endmacro %}", "{# c #}", "{% raw %}{{{% endraw %}", "{{ {'a': [1, (2, 3)]}['a'][1:] }}",
		"{{ x if y else z }}", "{% set ns.a = 1 %}", "{% call m() %}x{% endcall %}", "{{ 'a\\n' }}", "{{", "{%", "{% set x %}a{% endset %}", "{{ a.b(c=1)(2) }}",
	} {
		f.Add(s)
	}
	e := NewEnv()
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = Translate(src)
		if tpl, ds := e.Compile("f.sql", []byte(src)); !ds.HasErrors() && tpl == nil {
			t.Fatal("nil template without errors")
		}
	})
}

// BenchmarkPongo2Baseline is the floor: pongo2 alone parsing and running
// a template of the same shape with no Jinja translation.
func BenchmarkPongo2Baseline(b *testing.B) {
	src := strings.NewReplacer("{{ config(materialized='incremental', unique_key=['store_id', 'sale_id'], event_time='sold_at') }}", "{{ config(\"incremental\") }}",
		"{% set payment_methods = ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] %}", "",
		"-%}", "%}", "{%-", "{%", "{{ cents_to_dollars('order_payments.total_amount') }}", "round(x / 100, 2)",
		"ref('stg_orders')", "ref(\"stg_orders\")", "ref('stg_payments')", "ref(\"stg_payments\")").Replace(benchModel)
	g := pongo2.Context{
		"config":          func(s string) string { return "" },
		"ref":             func(s string) string { return s },
		"is_incremental":  func() bool { return true },
		"this":            "orders",
		"payment_methods": []any{"credit_card", "coupon", "bank_transfer", "gift_card"},
	}
	b.ReportAllocs()
	for b.Loop() {
		set := pongo2.NewSet("b", noLoader{})
		tpl, err := set.FromString(src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tpl.Execute(g); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTagCode(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{"select {{ a(1) }} from {% if b %}t{% endif %}", []string{" a(1) ", " if b ", " endif "}},
		{"{#- c(1) -#}{{- d -}}", []string{" d "}},
		{"{% raw %}{{ e(1) }}{% endraw %}", []string{" raw ", " endraw "}},
		{`{{ f("}}") }}`, []string{` f("}}") `}},
		// A template that does not lex has no tags to read.
		{"{{ g(1) }} {{ h(", nil},
		{"{% raw %}{{ i }}", nil},
		{"no tags", nil},
	} {
		var got []string
		TagCode(tc.src, func(code string) { got = append(got, code) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("TagCode(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}
