package tests

import (
	"strings"
	"testing"
)

// Values that reach SQL through Kiln itself carry quotes, semicolons and
// comment markers; none may end its statement and run another: the victim
// table survives every build, whatever the tests conclude.
func TestInjectionIsQuoted(t *testing.T) {
	payload := `x'; drop table main.victim; --`
	dir := project(t, map[string]string{
		"models/victim.sql": "{{ config(materialized='table') }}\nselect 42 as id",
		"seeds/hostile.csv": "id,label,\"col\"\"; drop table main.victim; --\"\n1,\"" + strings.ReplaceAll(payload, `"`, `""`) + "\",2\n2,'); drop table main.victim; /*,3\n",
		"models/src.sql":    "{{ config(materialized='table') }}\nselect 1 as id, 'x'';' as status, 2 as \"we\"\"ird; --col\" from {{ ref('victim') }}",
		"models/schema.yml": `version: 2
models:
  - name: src
    columns:
      - name: status
        data_tests:
          - accepted_values:
              values: ["x';", "` + payload + `", "a'); drop table main.victim; --", "b */ drop table main.victim; /*"]
          - not_null:
              config:
                where: "status <> 'a'';--'"
      - name: 'we"ird; --col'
        data_tests: [unique, not_null]
seeds:
  - name: hostile
    columns:
      - name: label
        data_tests:
          - accepted_values:
              values: ["` + payload + `", "'); drop table main.victim; /*"]
      - name: 'col"; drop table main.victim; --'
        data_tests: [not_null, unique]
`,
	})
	r := kiln(t, dir, nil, "build")
	out := r.output()
	if r.code != 0 {
		t.Fatalf("exit %d (every test should pass: the values are data, not SQL)\n%s", r.code, out)
	}
	equal(t, rows(t, dir, "select id from main.victim"), []string{"42"})
	equal(t, rows(t, dir, `select label, "col""; drop table main.victim; --" from main.hostile order by id`),
		[]string{payload + "|2", "'); drop table main.victim; /*|3"})
	// --vars reach SQL only through templates the user writes: Kiln
	// renders no var into built-in test SQL (YAML test configs are not
	// templated), so a hostile --vars value is inert there.
	mustKiln(t, dir, 0, "build", "--vars", "{status_filter: \"') as s; drop table main.victim; --\"}")
	equal(t, rows(t, dir, "select id from main.victim"), []string{"42"})
}
