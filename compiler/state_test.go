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
	} {
		if got := macroCalls(tc.text, known); !slices.Equal(got, tc.want) {
			t.Errorf("macroCalls(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
