package compiler

import (
	"slices"
	"testing"
)

func TestMacroCalls(t *testing.T) {
	known := map[string]bool{"cents": true, "fmt": true, "unused": true}
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"select {{ cents('x') }}, {{ fmt ('y') }}, {{ cents('z') }}", []string{"cents", "fmt"}},
		{"{{ adapter.cents(1) }}", []string{"cents"}},
		{"{{ cents\n\t(1) }}", []string{"cents"}},
		{"select cents from t, xcents(1), cents_x(2), 1cents(3)", nil},
		{"{{ unused }} {{ fmt", nil},
		{"", nil},
		// Only inside Jinja: SQL functions, comments and raw blocks call
		// no macro.
		{"select cents(amount), fmt (x) from t", nil},
		{"{# {{ cents(1) }} #} {{ fmt(1) }}", []string{"fmt"}},
		{"{% raw %}{{ cents(1) }}{% endraw %}{{ fmt(2) }}", []string{"fmt"}},
		{"{%- raw -%} cents(1) {%- endraw %} cents(2)", nil},
		{"{% set x = cents(2) %}{%- call fmt() -%}{% endcall %}", []string{"cents", "fmt"}},
		// A closer inside a string does not end the tag.
		{`{{ fmt("}}", '%}') ~ cents(1) }}`, []string{"fmt", "cents"}},
		{`{{ fmt("a \" }}") ~ cents(1) }}`, []string{"fmt", "cents"}},
	} {
		if got := macroCalls(tc.text, known); !slices.Equal(got, tc.want) {
			t.Errorf("macroCalls(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
