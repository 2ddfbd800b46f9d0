package jinja

import "testing"

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
