package dag

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// readySet against a sorted list: random pushes and pops, at sizes around
// the word and level boundaries, always give up the smallest member.
func TestReadySet(t *testing.T) {
	for _, n := range []int{1, 2, 63, 64, 65, 4095, 4096, 4097, 262145, 300000} {
		r := rand.New(rand.NewPCG(uint64(n), 7))
		s := newReadySet(n)
		var want []int32
		in := make([]bool, n)
		for step := 0; step < 4*n && step < 200000; step++ {
			if r.IntN(3) > 0 || len(want) == 0 {
				i := int32(r.IntN(n))
				if in[i] {
					continue
				}
				in[i] = true
				s.push(i)
				k, _ := slices.BinarySearch(want, i)
				want = slices.Insert(want, k, i)
				continue
			}
			got, ok := s.pop()
			if !ok || got != want[0] {
				t.Fatalf("n=%d step %d: pop = %d, %v; want %d", n, step, got, ok, want[0])
			}
			in[got] = false
			want = want[1:]
		}
		for len(want) > 0 {
			got, ok := s.pop()
			if !ok || got != want[0] {
				t.Fatalf("n=%d draining: pop = %d, %v; want %d", n, got, ok, want[0])
			}
			want = want[1:]
		}
		if got, ok := s.pop(); ok {
			t.Fatalf("n=%d: pop from an empty set gave %d", n, got)
		}
	}
}
