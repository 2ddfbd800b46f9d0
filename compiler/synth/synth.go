// Package synth generates synthetic dbt-style projects of any size for
// benchmarks: N models in staging, core and marts layers with 1-3 parents
// each, configs, Jinja loops and YAML with tests on every model.
package synth

import (
	"fmt"
	"math/rand"
	"strings"
	"testing/fstest"
)

// Project returns an in-memory project of n models (n >= 10) generated
// deterministically from seed.
func Project(n int, seed int64) fstest.MapFS {
	rng := rand.New(rand.NewSource(seed))
	fs := fstest.MapFS{}
	put := func(name, content string) { fs[name] = &fstest.MapFile{Data: []byte(content)} }
	put("dbt_project.yml", `name: synth
profile: synth
vars:
  lookback_days: 3
models:
  synth:
    staging:
      +materialized: view
    core:
      +materialized: table
      +tags: [core]
    marts:
      +materialized: table
`)
	put("macros/cents.sql", "{% macro cents(col) %}round({{ col }} * 100)::bigint{% endmacro %}\n")
	var b strings.Builder
	b.WriteString("version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n")
	nsrc := max(n/20, 1)
	for i := 0; i < nsrc; i++ {
		fmt.Fprintf(&b, "      - name: events_%d\n        loaded_at_field: _loaded_at\n", i)
	}
	put("models/sources.yml", b.String())

	nStage := max(n/5, 1)
	nCore := max(n*2/5, 1)
	name := func(i int) string {
		switch {
		case i < nStage:
			return fmt.Sprintf("stg_%05d", i)
		case i < nStage+nCore:
			return fmt.Sprintf("core_%05d", i)
		}
		return fmt.Sprintf("mart_%05d", i)
	}
	dir := func(i int) string {
		switch {
		case i < nStage:
			return "staging"
		case i < nStage+nCore:
			return "core"
		}
		return "marts"
	}
	// Property files: one per 100 models, each model with tests.
	var props strings.Builder
	flush := func(k int) {
		if props.Len() > 0 {
			put(fmt.Sprintf("models/schema_%04d.yml", k), "version: 2\nmodels:\n"+props.String())
			props.Reset()
		}
	}
	for i := 0; i < n; i++ {
		var sql strings.Builder
		if i < nStage {
			fmt.Fprintf(&sql, "{{ config(tags=['stage_%d']) }}\n", i%7)
			fmt.Fprintf(&sql, "select\n    id,\n    customer_id,\n    {{ cents('amount') }} as amount_cents,\n    status,\n    event_at\nfrom {{ source('raw', 'events_%d') }}\nwhere event_at >= current_date - interval '{{ var(\"lookback_days\") }} days'\n", i%nsrc)
		} else {
			lo := 0
			hi := i
			if i >= nStage+nCore {
				lo = nStage
			}
			k := 1 + rng.Intn(3)
			parents := map[int]bool{}
			for len(parents) < k && len(parents) < hi-lo {
				parents[lo+rng.Intn(hi-lo)] = true
			}
			var ps []int
			for p := range parents {
				ps = append(ps, p)
			}
			sortInts(ps)
			if i%10 == 0 {
				sql.WriteString("{{ config(materialized='view') }}\n")
			}
			sql.WriteString("{% set measures = ['amount_cents', 'id'] %}\nwith\n")
			for j, p := range ps {
				if j > 0 {
					sql.WriteString(",\n")
				}
				fmt.Fprintf(&sql, "p%d as (select * from {{ ref('%s') }})", j, name(p))
			}
			sql.WriteString("\nselect\n    p0.id,\n    p0.customer_id,\n    p0.status,\n    p0.event_at,\n")
			sql.WriteString("    {% for m in measures %}sum(p0.{{ m }}) over (partition by p0.customer_id) as total_{{ m }}{% if not loop.last %},{% endif %}\n    {% endfor %}\nfrom p0\n")
			for j := 1; j < len(ps); j++ {
				fmt.Fprintf(&sql, "left join p%d using (id)\n", j)
			}
		}
		put(fmt.Sprintf("models/%s/%s.sql", dir(i), name(i)), sql.String())
		fmt.Fprintf(&props, "  - name: %s\n    description: Model %d of the synthetic project.\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n      - name: status\n        data_tests:\n          - accepted_values:\n              values: ['placed', 'shipped', 'completed']\n", name(i), i)
		if i%100 == 99 {
			flush(i / 100)
		}
	}
	flush(n/100 + 1)
	return fs
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
