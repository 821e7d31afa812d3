package uptime

import (
	"math/rand/v2"
	"testing"
	"time"
)

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// mi is minute n after base.
func mi(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

func set(pairs ...int) []Interval {
	var out []Interval
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, iv(mi(pairs[i]), mi(pairs[i+1])))
	}
	return out
}

func sameSet(t *testing.T, what string, got Set, want []Interval) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
	for i := range got {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func TestUnion(t *testing.T) {
	cases := []struct {
		name string
		in   [][]Interval
		want []Interval
	}{
		{"empty", nil, nil},
		{"drops empty and inverted", [][]Interval{set(5, 5, 9, 3)}, nil},
		{"sorts", [][]Interval{set(20, 30, 0, 10)}, set(0, 10, 20, 30)},
		{"merges overlaps", [][]Interval{set(0, 10, 5, 15, 12, 14)}, set(0, 15)},
		{"merges touching half-open", [][]Interval{set(0, 10), set(10, 20)}, set(0, 20)},
		{"contained", [][]Interval{set(0, 100, 10, 20, 30, 40)}, set(0, 100)},
		{"several slices", [][]Interval{set(0, 5), set(3, 8, 50, 60), set(55, 70)}, set(0, 8, 50, 70)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sameSet(t, "Union", Union(c.in...), c.want)
		})
	}
}

func TestSetOperations(t *testing.T) {
	a := Union(set(0, 10, 20, 30, 40, 50))
	b := Union(set(5, 25, 45, 60))
	sameSet(t, "Intersect", a.Intersect(b), set(5, 10, 20, 25, 45, 50))
	sameSet(t, "Subtract", a.Subtract(b), set(0, 5, 25, 30, 40, 45))
	sameSet(t, "Or", a.Or(b), set(0, 30, 40, 60))
	sameSet(t, "Or touching", Union(set(0, 10)).Or(Union(set(10, 20))), set(0, 20))
	sameSet(t, "b−a", b.Subtract(a), set(10, 20, 50, 60))
	sameSet(t, "Clip", a.Clip(iv(mi(8), mi(42))), set(8, 10, 20, 30, 40, 42))
	sameSet(t, "Clip empty", a.Clip(iv(mi(8), mi(8))), nil)
	sameSet(t, "Complement", a.Complement(iv(mi(-5), mi(25))), set(-5, 0, 10, 20))
	if got, want := a.Duration(), 30*time.Minute; got != want {
		t.Errorf("Duration = %s, want %s", got, want)
	}
	if got, want := a.Overlap(iv(mi(8), mi(42))), 14*time.Minute; got != want {
		t.Errorf("Overlap = %s, want %s", got, want)
	}
	for _, c := range []struct {
		at   int
		want bool
	}{{-1, false}, {0, true}, {9, true}, {10, false}, {20, true}, {50, false}} {
		if got := a.Contains(mi(c.at)); got != c.want {
			t.Errorf("Contains(%d) = %v", c.at, got)
		}
	}
	var empty Set
	if !empty.Intersect(a).Empty() || !sameDur(a.Subtract(empty), a) || !empty.Subtract(a).Empty() {
		t.Error("operations with the empty set")
	}
}

func sameDur(a, b Set) bool { return a.Duration() == b.Duration() && len(a) == len(b) }

// TestSetAgainstBruteForce checks every operation against a minute grid.
func TestSetAgainstBruteForce(t *testing.T) {
	const n = 300
	rng := rand.New(rand.NewPCG(1, 2))
	randSet := func() ([]Interval, [n]bool) {
		var grid [n]bool
		var ivs []Interval
		for range rng.IntN(12) {
			a := rng.IntN(n)
			b := a + rng.IntN(60) - 5 // some empty or inverted
			if b > n {
				b = n
			}
			ivs = append(ivs, iv(mi(a), mi(b)))
			for m := a; m < b; m++ {
				grid[m] = true
			}
		}
		return ivs, grid
	}
	check := func(what string, s Set, want func(m int) bool) {
		t.Helper()
		for i := range s {
			if !s[i].End.After(s[i].Start) || (i > 0 && !s[i].Start.After(s[i-1].End)) {
				t.Fatalf("%s not normalized: %v", what, s)
			}
		}
		var d time.Duration
		for m := range n {
			if want(m) {
				d += time.Minute
			}
			if s.Contains(mi(m)) != want(m) {
				t.Fatalf("%s: minute %d: Contains = %v", what, m, !want(m))
			}
		}
		if s.Duration() != d {
			t.Fatalf("%s: Duration %s, want %s", what, s.Duration(), d)
		}
	}
	for range 200 {
		ai, ag := randSet()
		bi, bg := randSet()
		a, b := Union(ai), Union(bi)
		lo := rng.IntN(n)
		hi := lo + rng.IntN(n-lo+1)
		check("union", Union(ai, bi), func(m int) bool { return ag[m] || bg[m] })
		check("or", a.Or(b), func(m int) bool { return ag[m] || bg[m] })
		check("intersect", a.Intersect(b), func(m int) bool { return ag[m] && bg[m] })
		check("subtract", a.Subtract(b), func(m int) bool { return ag[m] && !bg[m] })
		check("clip", a.Clip(iv(mi(lo), mi(hi))), func(m int) bool { return ag[m] && m >= lo && m < hi })
		check("complement", a.Complement(iv(mi(lo), mi(hi))), func(m int) bool { return !ag[m] && m >= lo && m < hi })
		if got, want := a.Overlap(iv(mi(lo), mi(hi))), a.Clip(iv(mi(lo), mi(hi))).Duration(); got != want {
			t.Fatalf("Overlap %s, Clip %s", got, want)
		}
	}
}
