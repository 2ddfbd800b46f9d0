package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestPairs(t *testing.T) {
	in := `compile:10000 base 0.50 0.90
compile:10000 new 0.45 0.81
compile:10000 new 0.44 0.80
compile:10000 base 0.40 0.80
compile:10000 base 0.60 1.00
compile:10000 new 0.48 0.90
parse:10000 base 0.8 1.4
parse:10000 new 0.9 1.5
`
	var out bytes.Buffer
	if err := pairs(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header, a rule and two rows:\n%s", out.String())
	}
	// Pairs by position: 0.45/0.50, 0.44/0.40, 0.48/0.60 -> 0.9, 1.1, 0.8.
	want := "| compile:10000 | 3 | 500 ms, 900 ms | 450 ms, 810 ms | 0.900 (0.850–1.000) | 0.900 | 2 of 3 |"
	if lines[2] != want {
		t.Errorf("row:\n got %s\nwant %s", lines[2], want)
	}
	if want := "| parse:10000 | 1 | 800 ms, 1.40 s | 900 ms, 1.50 s | 1.125 (1.125–1.125) | 1.071 | 0 of 1 |"; lines[3] != want {
		t.Errorf("row:\n got %s\nwant %s", lines[3], want)
	}
	for _, bad := range []string{"x base 1\n", "x other 1 1\n", "x base -1 1\n", "x new one 1\n"} {
		if err := pairs(strings.NewReader(bad), &out); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
