package selector

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that every diagnostic points
// inside the string, and that a clean parse survives a round trip through
// Spec.String. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("+stg_orders+ tag:nightly,config.materialized:incremental @source:raw_pos.transactions")
	f.Fuzz(func(t *testing.T, s string) {
		spec, ds := Parse("--select", s)
		for _, d := range ds {
			if d.Pos.Offset < 0 || d.Pos.Offset > len(s) || d.Pos.Col < 1 || d.Pos.Line < 1 {
				t.Fatalf("Parse(%q): diagnostic out of range: %+v", s, d)
			}
		}
		if len(ds) > 0 {
			return
		}
		again, ds2 := Parse("--select", spec.String())
		if len(ds2) > 0 {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, spec.String(), ds2)
		}
		if !reflect.DeepEqual(strip(spec.Groups), strip(again.Groups)) {
			t.Fatalf("round trip of %q via %q changed\n%+v\n%+v", s, spec.String(), spec.Groups, again.Groups)
		}
	})
}

func strip(groups [][]Atom) [][]Atom {
	out := make([][]Atom, len(groups))
	for i, g := range groups {
		for _, a := range g {
			a.Pos.Offset, a.Pos.Line, a.Pos.Col = 0, 0, 0
			out[i] = append(out[i], a)
		}
	}
	return out
}
