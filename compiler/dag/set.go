package dag

import "math/bits"

// Set is a set of node indexes stored as a bit set. The zero value is empty
// and it grows on Add, so indexes past Graph.Len (nodes kept outside the
// graph) fit too.
type Set struct{ w []uint64 }

// NewSet returns an empty set with room for indexes below n.
func NewSet(n int) Set { return Set{w: make([]uint64, (n+63)/64)} }

// Add inserts i and reports whether it was absent.
func (s *Set) Add(i int) bool {
	k := i >> 6
	if k >= len(s.w) {
		s.w = append(s.w, make([]uint64, k+1-len(s.w))...)
	}
	b := uint64(1) << (uint(i) & 63)
	if s.w[k]&b != 0 {
		return false
	}
	s.w[k] |= b
	return true
}

// Has reports whether i is in the set.
func (s Set) Has(i int) bool {
	k := i >> 6
	return k < len(s.w) && s.w[k]&(uint64(1)<<(uint(i)&63)) != 0
}

// Len is the number of members.
func (s Set) Len() int {
	n := 0
	for _, w := range s.w {
		n += bits.OnesCount64(w)
	}
	return n
}

// Union adds every member of o.
func (s *Set) Union(o Set) {
	if len(o.w) > len(s.w) {
		s.w = append(s.w, make([]uint64, len(o.w)-len(s.w))...)
	}
	for k, w := range o.w {
		s.w[k] |= w
	}
}

// Intersect keeps only members also in o.
func (s *Set) Intersect(o Set) {
	for k := range s.w {
		if k < len(o.w) {
			s.w[k] &= o.w[k]
		} else {
			s.w[k] = 0
		}
	}
}

// Subtract removes every member of o.
func (s *Set) Subtract(o Set) {
	for k := range min(len(s.w), len(o.w)) {
		s.w[k] &^= o.w[k]
	}
}

// Clone returns an independent copy.
func (s Set) Clone() Set { return Set{w: append([]uint64(nil), s.w...)} }

// Each calls fn for every member in increasing order.
func (s Set) Each(fn func(i int)) {
	for k, w := range s.w {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			fn(k<<6 + t)
			w &= w - 1
		}
	}
}
