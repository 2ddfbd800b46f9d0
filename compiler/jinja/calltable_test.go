package jinja

import (
	"strings"
	"testing"
)

// Literal arguments travel in the call table instead of the pongo2 source;
// these renders pin what that must not change.
func TestCallTableRenders(t *testing.T) {
	e := NewEnv()
	cases := []struct{ src, want string }{
		{`{{ "a\"b\\c" }}|{{ 'it''s' if false else "q\"" }}`, `a"b\c|q"`},
		{`{{ var('x', 'd') }}{{ var('x', 0) }}{{ var('x', true) }}{{ var('x', none) }}`, "d0True"},
		{`{% for c in cols %}{{ loop.index }}{% if not loop.last %},{% endif %}{% endfor %}`, "1,2,3"},
		{`{{ [1, -2, 'a', 1.5] }}`, "[1, -2, 'a', 1.5]"},
		{`{{ 'x' if not (1 == 2) else 'y' }}{{ not not true }}{{ not cols }}`, "xTrueFalse"},
		{`{{ 'a,b'.split(',') | join('-') }}{{ 'a b' | replace(' ', '_') }}`, "a-ba_b"},
		{`{{ "{{ not a tag }}" }}`, "{{ not a tag }}"},
		{`{% macro m(a, b=a ~ 'x', c=[1]) %}{{ b }}{{ c }}{% endmacro %}{{ m('q') }}{{ m('q', c=2) }}`, "qx[1]qx2"},
		{`{% set ns = namespace(n=0) %}{% for c in cols %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}`, "3"},
		{`{{ 1.5 }} {{ 10 // 3 }} {{ 2 ** 3 }} {{ none }}|`, "1.5 3 8 |"},
	}
	for _, c := range cases {
		if got := render1(t, e, c.src, testGlobals(map[string]any{})); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.src, got, c.want)
		}
	}
	seen := map[string]any{}
	render1(t, e, `{{ config(materialized='view', tags=['a'], n=-1) }}`, testGlobals(seen))
	if seen["materialized"] != "view" || seen["n"] != -1 {
		t.Errorf("config() saw %v", seen)
	}
}

// The call tags ({% __kp %}, {% __ks %}) must print, assign and fail as the
// __k(...) expressions they replace: each template renders the same with
// them and without them, errors included.
func TestCallTagsMatchExpressionCalls(t *testing.T) {
	srcs := []string{
		"{{ ref('a') }} {{ var('x', 'd') }} {{ var('x') }}|{{ none }}|{{ is_incremental() }}",
		"{% set xs = [1, 'a', none] %}{{ xs }}{% set a, b = ['p', 'q'] %}{{ a }}{{ b }}",
		"{% for k, v in {'b': 2}.items() %}{{ k }}={{ v }}{% endfor %}{% for c in cols %}{{ c ~ loop.index }}{% endfor %}",
		"{{ 'x' if cols else 'y' }}{{ cols and 'z' }}{{ none or 'w' }}{% set t = 1 if false %}[{{ t }}]",
		"{% macro m(a, b=a ~ '!') %}{{ b }}{% set c = a | upper %}{{ c }}{% endmacro %}{{ m('q') }}{{ m('r', b=none) }}",
		"{% set ns = namespace(n=0) %}{% for c in cols %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}{% do cols.append('d') %}{{ cols | length }}",
		"{% macro w(x) %}<{{ caller(x) }}>{% endmacro %}{% call(y) w('v') %}{{ y | upper }}{% endcall %}",
		"{% set blk %}a {{ ref('b') }}{% endset %}{{ blk | trim }} {{ big }} {{ f32 }} {{ adapter.quote('c') }} {{ this }}",
		"{{ config(materialized='view', tags=['a']) }}{{ [big, f32] }}{{ {'n': big} }}",
		"select *\nfrom x\n  , {{ref('missing')}}\n",
		"{% set r = ref('missing') %}",
		"{% for c in cols %}\n  {{ c ~ ref('hinted') }}{% endfor %}",
		"{{ 1 / 0 }}", "{% set q = 1 < 'a' %}", "{{ undefined_fn() }}", "{% do return(1) %}",
	}
	run := func(src string) string {
		e := NewEnv()
		tpl, ds := e.Compile("models/m.sql", []byte(src))
		if ds.HasErrors() {
			return "compile: " + ds.Error()
		}
		out, err := tpl.Execute(testGlobals(map[string]any{}))
		if err != nil {
			return "error: " + err.Error()
		}
		return out
	}
	for _, src := range srcs {
		with := run(src)
		callTags = false
		without := run(src)
		callTags = true
		if with != without {
			t.Errorf("%q:\n with call tags %q\n without        %q", src, with, without)
		}
		if tr, _ := Translate(src); !strings.Contains(tr, "{% "+printTag) && !strings.Contains(tr, "{% "+setTag) {
			t.Errorf("%q: no call tag in %s", src, tr)
		}
	}
}
