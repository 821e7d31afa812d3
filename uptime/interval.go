package uptime

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// Set is a normalized set of half-open intervals: sorted by start, each one
// non-empty, and no two overlapping or touching ([a,b) and [b,c) merge into
// [a,c)). Build one with Union; the zero value is the empty set. Every
// operation returns a normalized Set and never modifies its operands (the
// result may share memory with one of them, so do not modify it in place).
// Lengths of sets never count an instant twice.
type Set []Interval

// Union returns the normalized union of the given intervals. Empty and
// inverted intervals are dropped. It runs in O(n log n) for n intervals.
func Union(parts ...[]Interval) Set {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	all := make([]Interval, 0, n)
	for _, p := range parts {
		for _, iv := range p {
			if iv.End.After(iv.Start) {
				all = append(all, iv)
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	// Sort pointer-free keys rather than the intervals: a time.Time holds a
	// *Location, and moving thousands of them is slow while the GC runs.
	keys := make([]timeKey, len(all))
	for i, iv := range all {
		keys[i] = keyOf(iv.Start, 0, i)
	}
	slices.SortFunc(keys, compareKeys)
	out := make(Set, 0, len(all))
	cur := all[keys[0].i]
	for _, k := range keys[1:] {
		iv := all[k.i]
		if !iv.Start.After(cur.End) { // overlaps or touches
			if iv.End.After(cur.End) {
				cur.End = iv.End
			}
			continue
		}
		out = append(out, cur)
		cur = iv
	}
	return append(out, cur)
}

// timeKey is a time (and a tie-breaking ID) as plain numbers, for sorting
// without moving time.Time values; i is the index of what it stands for.
type timeKey struct {
	sec  int64
	id   int64
	nsec int32
	i    int32
}

func keyOf(t time.Time, id int64, i int) timeKey {
	return timeKey{sec: t.Unix(), nsec: int32(t.Nanosecond()), id: id, i: int32(i)}
}

func compareKeys(a, b timeKey) int {
	return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.nsec, b.nsec), cmp.Compare(a.id, b.id), cmp.Compare(a.i, b.i))
}

// Or returns the union of two normalized sets in O(len(s)+len(o)), without
// the sort Union needs.
func (s Set) Or(o Set) Set {
	if len(s) == 0 {
		return o
	}
	if len(o) == 0 {
		return s
	}
	out := make(Set, 0, len(s)+len(o))
	i, j := 0, 0
	for i < len(s) || j < len(o) {
		var iv Interval
		if j >= len(o) || (i < len(s) && s[i].Start.Before(o[j].Start)) {
			iv, i = s[i], i+1
		} else {
			iv, j = o[j], j+1
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// Duration is the total length of the set.
func (s Set) Duration() time.Duration {
	var d time.Duration
	for _, iv := range s {
		d += iv.End.Sub(iv.Start)
	}
	return d
}

// Empty reports whether the set holds no time.
func (s Set) Empty() bool { return len(s) == 0 }

// Contains reports whether t lies in the set.
func (s Set) Contains(t time.Time) bool {
	i := s.first(t)
	return i < len(s) && !s[i].Start.After(t)
}

// first returns the index of the first interval that ends after t.
func (s Set) first(t time.Time) int {
	return sort.Search(len(s), func(i int) bool { return s[i].End.After(t) })
}

// Clip returns the part of the set inside iv. It runs in O(log n + k) for
// the k intervals it returns.
func (s Set) Clip(iv Interval) Set {
	if !iv.End.After(iv.Start) {
		return nil
	}
	var out Set
	for i := s.first(iv.Start); i < len(s) && s[i].Start.Before(iv.End); i++ {
		out = append(out, Interval{Start: later(s[i].Start, iv.Start), End: earlier(s[i].End, iv.End)})
	}
	return out
}

// Overlap is the length of the set's part inside iv: Clip(iv).Duration()
// without building the clipped set.
func (s Set) Overlap(iv Interval) time.Duration {
	if !iv.End.After(iv.Start) {
		return 0
	}
	var d time.Duration
	for i := s.first(iv.Start); i < len(s) && s[i].Start.Before(iv.End); i++ {
		d += earlier(s[i].End, iv.End).Sub(later(s[i].Start, iv.Start))
	}
	return d
}

// Intersect returns the instants in both s and o, in O(len(s)+len(o)).
func (s Set) Intersect(o Set) Set {
	var out Set
	i, j := 0, 0
	for i < len(s) && j < len(o) {
		start := later(s[i].Start, o[j].Start)
		end := earlier(s[i].End, o[j].End)
		if end.After(start) {
			out = append(out, Interval{Start: start, End: end})
		}
		if s[i].End.Before(o[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}

// Subtract returns the instants in s that are not in o, in
// O(len(s)+len(o)).
func (s Set) Subtract(o Set) Set {
	if len(s) == 0 {
		return nil
	}
	out := make(Set, 0, len(s))
	j := 0
	for _, iv := range s {
		start := iv.Start
		for j < len(o) && !o[j].End.After(start) {
			j++
		}
		for k := j; k < len(o) && o[k].Start.Before(iv.End); k++ {
			if o[k].Start.After(start) {
				out = append(out, Interval{Start: start, End: o[k].Start})
			}
			if o[k].End.After(start) {
				start = o[k].End
			}
		}
		if iv.End.After(start) {
			out = append(out, Interval{Start: start, End: iv.End})
		}
	}
	return out
}

// Complement returns the instants of iv that are not in the set.
func (s Set) Complement(iv Interval) Set {
	return Set{iv}.normal().Subtract(s)
}

// normal drops an empty single interval, so Set{iv} is a valid Set.
func (s Set) normal() Set {
	if len(s) == 1 && !s[0].End.After(s[0].Start) {
		return nil
	}
	return s
}

// overlaps reports whether two intervals share an instant.
func (i Interval) overlaps(j Interval) bool {
	return i.Start.Before(j.End) && j.Start.Before(i.End) && i.Start.Before(i.End) && j.Start.Before(j.End)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
