package compiler

import (
	"fmt"
	"strings"
	"testing"
)

// appendArgs feeds test ids, which must not change: it must print what
// fmt.Sprint prints.
func TestPrintArgsMatchesFmt(t *testing.T) {
	for _, args := range []map[string]any{
		nil, {}, {"values": []any{"placed", "shipped"}}, {"values": []any{"a b", 1, true, nil}},
		{"quote": false, "values": []any{"x"}}, {"to": "ref('a')", "field": "id"}, {"n": 3, "f": 1.5},
		{"m": map[string]any{"a": 1}}, {"l": []any{[]any{"x"}}}, {"z": "", "a": []any{}}, {"s": []string{"x"}},
	} {
		if got, want := string(appendArgs([]byte("x"), args)), "x"+fmt.Sprint(args); got != want {
			t.Errorf("appendArgs(%#v) = %q, want %q", args, got, want)
		}
		// A test id's hash is over the same text, the arguments last
		// (a long file name takes the hash's buffer past its stack size).
		for _, file := range []string{"models/x.yml", strings.Repeat("d/", 200) + "x.yml"} {
			want := shortHash([]byte(file + "|model.p.orders|id|unique|" + fmt.Sprint(args)))
			if hash := testHash(file, "model.p.orders", "id", "unique", args); hash != want {
				t.Errorf("testHash(%#v) = %q, want %q", args, hash[:], want[:])
			}
		}
	}
}
