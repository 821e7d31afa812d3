package backup

import (
	"math"
	"slices"
)

// Sorting is the one super-linear step of Evaluate. Records usually arrive
// in time order (a source lists them so, the store reads them so), which a
// linear check detects. Otherwise the entries are radix-sorted on their
// time in nanoseconds since the oldest one, which fits 64 bits whenever the
// records span fewer than 584 years; a comparison sort covers the rest.

const (
	radixBits = 11
	radixSize = 1 << radixBits
	// maxRadixSpan is the largest span in seconds whose nanoseconds, plus
	// one second of slack for the nanosecond part, fit in a uint64.
	maxRadixSpan = math.MaxUint64/1_000_000_000 - 1
	// Below this many entries a comparison sort is as fast.
	minRadix = 256
)

// sortEntries sorts es by time, and among equal times by index.
func sortEntries(es []entry) {
	if len(es) < 2 {
		return
	}
	lo, hi := es[0].sec, es[0].sec
	sorted := true
	for j := 1; j < len(es); j++ {
		lo, hi = min(lo, es[j].sec), max(hi, es[j].sec)
		if sorted && es[j].before(es[j-1]) {
			sorted = false
		}
	}
	switch {
	case sorted:
		// Entries are built in index order, so ties are in order too.
	case len(es) < minRadix || uint64(hi)-uint64(lo) > maxRadixSpan:
		slices.SortFunc(es, compareEntries)
	default:
		radixSort(es, lo)
	}
}

// radixSort sorts es by key (nanoseconds since second lo) with a stable
// least-significant-digit radix sort, so equal times keep their index order.
// Digits in which every key agrees are skipped.
func radixSort(es []entry, lo int64) {
	key := func(e entry) uint64 {
		return (uint64(e.sec)-uint64(lo))*1e9 + uint64(e.nsec)
	}
	const passes = (64 + radixBits - 1) / radixBits
	var counts [passes][radixSize]int
	for _, e := range es {
		k := key(e)
		for p := range passes {
			counts[p][(k>>(p*radixBits))&(radixSize-1)]++
		}
	}
	src, dst := es, make([]entry, len(es))
	for p := range passes {
		c := &counts[p]
		shift := p * radixBits
		if c[(key(src[0])>>shift)&(radixSize-1)] == len(src) {
			continue // every key has this digit
		}
		sum := 0
		for d, n := range c {
			c[d] = sum
			sum += n
		}
		for _, e := range src {
			d := (key(e) >> shift) & (radixSize - 1)
			dst[c[d]] = e
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}
