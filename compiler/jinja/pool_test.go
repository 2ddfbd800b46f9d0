package jinja

import (
	"fmt"
	"sync"
	"testing"
)

// poolCases are templates of many shapes, some broken: compiling them
// interleaved exercises the parse and translation buffers that are reused
// from one template to the next.
var poolCases = []string{
	benchModel,
	"select 1",
	"{{ config(materialized='view', tags=['a', 'b'], n=3) }}select * from {{ ref('x') }}",
	"{% set xs = [1, 'a', none, true, 1.5, -2] %}{% for x in xs %}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
	"{% for k, v in {'b': 2, 'a': 1}.items() %}{{ k }}={{ v }};{% else %}none{% endfor %}",
	"{% if x is defined %}a{% elif cols|length > 2 and 'a' in cols %}b{% else %}c{% endif %}",
	"{% macro m(a, b=a ~ 'x', c=[1]) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m('q') }}{{ m('q', c=2) }}",
	"{% macro wrap(t) %}<{{ t }}>{{ caller() }}</{{ t }}>{% endmacro %}{% call wrap('b') %}x{{ 1 + 1 }}{% endcall %}",
	"{% set sql %}select {{ 1 + 1 }}{% endset %}[{{ sql | trim | upper }}]",
	"{% set ns = namespace(n=0) %}{% for c in cols %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}",
	"{{ 'a,b'.split(',') | join('-') }} {{ target.name }} {{ cols[1:] }} {{ 'x' if false else 'y' }}",
	"{{ \"tab\\there\" }} {{ 'it\\'s' }} {% raw %}{{ kept }}{% endraw %}",
	"{{ var('x', 'd') }}{{ var('x', 0) }}{{ var('x', true) }}{{ var('x', none) }}{{ ref('missing') }}",
	"select\n  {{ x ",
	"{% if x %}\nfoo",
	"{{ x|nosuchfilter }}",
	"{{ a b }}",
	"{% endif %}",
	"{{ f(a=1, 2) }}{{ g(*x) }}",
	"{{ [1, 2 }}",
	"{% for x in y if x %}{% endfor %}",
	"{{ 1 / 0 }}",
	"{{ undefined_fn(1) }}",
}

type poolResult struct {
	translated, diags, out, err string
}

func poolRun(e *Env, src string) poolResult {
	var r poolResult
	tr, err := Translate(src)
	r.translated = fmt.Sprintf("%q %v", tr, err)
	tpl, ds := e.Compile("models/m.sql", []byte(src))
	for _, d := range ds {
		r.diags += d.String() + "|" + d.Hint + "\n"
	}
	if tpl != nil {
		out, err := tpl.Execute(testGlobals(map[string]any{}))
		r.out, r.err = out, fmt.Sprint(err)
	}
	return r
}

// Compiling templates in any order, in parallel, gives what compiling
// each alone gives: nothing of one template's parse or translation shows
// in another's.
func TestCompileReusesBuffersSafely(t *testing.T) {
	want := make([]poolResult, len(poolCases))
	for i, src := range poolCases {
		want[i] = poolRun(NewEnv(), src)
	}
	e := NewEnv()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 5*len(poolCases); k++ {
				i := (k*7 + g*5) % len(poolCases)
				if got := poolRun(e, poolCases[i]); got != want[i] {
					t.Errorf("%q:\n got  %+v\n want %+v", poolCases[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

const smallModel = "{% set measures = ['amount_cents', 'id'] %}\nwith\np0 as (select * from {{ ref('core_00012') }}),\np1 as (select * from {{ ref('stg_00003') }})\nselect\n    p0.id,\n    {% for m in measures %}sum(p0.{{ m }}) as total_{{ m }}{% if not loop.last %},{% endif %}\n    {% endfor %}\nfrom p0\nleft join p1 using (id)\n"

// BenchmarkCompileSmall compiles a model like most of a project's: a
// loop, two refs, some text.
func BenchmarkCompileSmall(b *testing.B) {
	e := NewEnv()
	b.ReportAllocs()
	for b.Loop() {
		if _, ds := e.CompileString("models/m.sql", smallModel); ds.HasErrors() {
			b.Fatal(ds)
		}
	}
}
