package backup

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortEntries checks the radix sort against a comparison sort: random
// times over short and long spans, many ties, nanoseconds, negative Unix
// times, and spans too wide for the radix key (the fallback).
func TestSortEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	spans := []int64{0, 1, 3600, 86400 * 400, 86400 * 365 * 500, math.MaxInt64 / 4}
	for _, span := range spans {
		for _, n := range []int{0, 1, 2, 255, 256, 257, 5000} {
			base := r.Int64N(1<<40) - 1<<39
			es := make([]entry, n)
			for i := range es {
				var off int64
				if span > 0 {
					off = r.Int64N(span)
				}
				es[i] = entry{sec: base + off, nsec: int32(r.IntN(3)) * 333_333_333, i: int32(i)}
				if i > 0 && r.IntN(5) == 0 {
					es[i].sec, es[i].nsec = es[i-1].sec, es[i-1].nsec // a tie
				}
			}
			want := slices.Clone(es)
			slices.SortFunc(want, compareEntries)
			sortEntries(es)
			if !slices.Equal(es, want) {
				t.Errorf("span %d, n %d: radix order differs from comparison order", span, n)
			}
		}
	}
	// Already sorted input stays as it is.
	es := []entry{{sec: 1, i: 0}, {sec: 1, i: 1}, {sec: 2, i: 2}}
	sortEntries(es)
	if !slices.IsSortedFunc(es, compareEntries) {
		t.Errorf("sorted input reordered: %v", es)
	}
}
