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
instr:1000 base 372600000 372600000
instr:1000 new 350000000 350000000
instr:1000 new 351000000 351000000
instr:1000 base 373000000 373000000
`
	var out bytes.Buffer
	if err := pairs(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 {
		t.Fatalf("want a header, a rule and three rows:\n%s", out.String())
	}
	// Pairs by position: 0.45/0.50, 0.44/0.40, 0.48/0.60 -> 0.9, 1.1, 0.8.
	want := "| compile:10000 | 3 | 500 ms, 900 ms | 450 ms, 810 ms | 0.900 (0.850–1.000) | 0.900 | 2 of 3 |"
	if lines[2] != want {
		t.Errorf("row:\n got %s\nwant %s", lines[2], want)
	}
	if want := "| parse:10000 | 1 | 800 ms, 1.40 s | 900 ms, 1.50 s | 1.125 (1.125–1.125) | 1.071 | 0 of 1 |"; lines[3] != want {
		t.Errorf("row:\n got %s\nwant %s", lines[3], want)
	}
	// Instruction counts: ratios 350/372.6 = 0.93934 and 351/373 = 0.94102.
	if want := "| instr:1000 | 2 | 0.373 G instructions | 0.350 G instructions | 0.9402 (0.9398–0.9406) | — | 2 of 2 |"; lines[4] != want {
		t.Errorf("row:\n got %s\nwant %s", lines[4], want)
	}
	for _, bad := range []string{"x base 1\n", "x other 1 1\n", "x base -1 1\n", "x new one 1\n"} {
		if err := pairs(strings.NewReader(bad), &out); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
