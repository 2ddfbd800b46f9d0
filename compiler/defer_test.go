package compiler

import "testing"

func TestReplaceRelationName(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"select * from main.orders", "select * from kiln_state.main.orders"},
		{"select * from main.orders_v2", "select * from main.orders_v2"},
		{"select * from other.main.orders", "select * from other.main.orders"},
		{"select main.orders.id from main.orders\njoin x on 1=1", "select kiln_state.main.orders.id from kiln_state.main.orders\njoin x on 1=1"},
		{"(select 1 from main.orders)", "(select 1 from kiln_state.main.orders)"},
	} {
		if got := replaceRelationName(c.sql, "main.orders", "kiln_state.main.orders"); got != c.want {
			t.Errorf("%q: got %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestMacroBodies(t *testing.T) {
	got := macroBodies("{% macro a(x) %}{{ b(x) }}{% endmacro %}\ntext\n{%- macro b(y) -%}{{ y }}{%- endmacro -%}")
	if got["a"] != "{% macro a(x) %}{{ b(x) }}{% endmacro %}" || got["b"] != "{%- macro b(y) -%}{{ y }}{%- endmacro -%}" {
		t.Fatalf("macroBodies = %q", got)
	}
}
