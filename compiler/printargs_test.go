package compiler

import (
	"fmt"
	"testing"
)

// printArgs feeds test ids, which must not change: it must print what
// fmt.Sprint prints.
func TestPrintArgsMatchesFmt(t *testing.T) {
	for _, args := range []map[string]any{
		nil, {}, {"values": []any{"placed", "shipped"}}, {"values": []any{"a b", 1, true, nil}},
		{"quote": false, "values": []any{"x"}}, {"to": "ref('a')", "field": "id"}, {"n": 3, "f": 1.5},
		{"m": map[string]any{"a": 1}}, {"l": []any{[]any{"x"}}}, {"z": "", "a": []any{}}, {"s": []string{"x"}},
	} {
		if got, want := printArgs(args), fmt.Sprint(args); got != want {
			t.Errorf("printArgs(%#v) = %q, want %q", args, got, want)
		}
	}
}
