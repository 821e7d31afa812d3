package probe

import (
	"fmt"
	"testing"
	"time"
)

func TestIntervalScheduleNext(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		every, offset time.Duration
		t, want       string
	}{
		// Aligned to the epoch, strictly after t.
		{30 * time.Second, 0, "2026-03-01T12:00:00Z", "2026-03-01T12:00:30Z"},
		{30 * time.Second, 0, "2026-03-01T12:00:00.001Z", "2026-03-01T12:00:30Z"},
		{30 * time.Second, 0, "2026-03-01T12:00:29.999Z", "2026-03-01T12:00:30Z"},
		{time.Minute, 0, "2026-03-01T12:59:30Z", "2026-03-01T13:00:00Z"},
		// Offsets, below a second too.
		{30 * time.Second, 7250 * time.Millisecond, "2026-03-01T12:00:00Z", "2026-03-01T12:00:07.25Z"},
		{30 * time.Second, 7250 * time.Millisecond, "2026-03-01T12:00:07.24Z", "2026-03-01T12:00:07.25Z"},
		{30 * time.Second, 7250 * time.Millisecond, "2026-03-01T12:00:07.25Z", "2026-03-01T12:00:37.25Z"},
		{time.Second, 10 * time.Millisecond, "2026-03-01T12:00:00.5Z", "2026-03-01T12:00:01.01Z"},
		{time.Second, 990 * time.Millisecond, "2026-03-01T12:00:00.995Z", "2026-03-01T12:00:01.99Z"},
		// An offset of a whole interval or more wraps.
		{30 * time.Second, 37 * time.Second, "2026-03-01T12:00:00Z", "2026-03-01T12:00:07Z"},
		// An interval that does not divide a minute: multiples since the epoch
		// (1772366400 = 2026-03-01T12:00:00Z is 253195200 × 7).
		{7 * time.Second, 0, "2026-03-01T12:00:00Z", "2026-03-01T12:00:07Z"},
		{7 * time.Second, 0, "2026-03-01T11:59:59Z", "2026-03-01T12:00:00Z"},
		// Long intervals: hourly with an offset, daily.
		{time.Hour, 15 * time.Minute, "2026-03-01T12:20:00Z", "2026-03-01T13:15:00Z"},
		{24 * time.Hour, 0, "2026-03-01T12:00:00Z", "2026-03-02T00:00:00Z"},
		// Before the epoch, the remainder is negative.
		{10 * time.Second, 3 * time.Second, "1969-12-31T23:59:59Z", "1970-01-01T00:00:03Z"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v+%v@%s", tt.every, tt.offset, tt.t), func(t *testing.T) {
			s := IntervalSchedule{Every: tt.every, Offset: tt.offset}
			got := s.Next(at(tt.t))
			if want := at(tt.want); !got.Equal(want) {
				t.Fatalf("Next = %v, want %v", got, want)
			}
			// Prev of an instant between two firings is the earlier one.
			if prev := s.Prev(got.Add(-time.Nanosecond)); !prev.Equal(got.Add(-tt.every)) {
				t.Errorf("Prev(next-1ns) = %v, want %v", prev, got.Add(-tt.every))
			}
			if prev := s.Prev(got); !prev.Equal(got) {
				t.Errorf("Prev(next) = %v, want next itself", prev)
			}
		})
	}

	// The result stays in t's location; DST does not shift an interval.
	s := IntervalSchedule{Every: time.Hour}
	before := time.Date(2026, 3, 29, 1, 30, 0, 0, ams) // 00:30 UTC; clocks go 02:00 → 03:00
	got := s.Next(before)
	if got.Location() != ams || got.Hour() != 3 || !got.Equal(time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("Next over DST = %v", got)
	}
	if z := (IntervalSchedule{}).Next(before); !z.IsZero() {
		t.Errorf("zero interval: Next = %v, want never (zero time)", z)
	}
}

func TestSpreadOffset(t *testing.T) {
	if a, b := SpreadOffset("portal", "health", 30*time.Second), SpreadOffset("portal", "health", 30*time.Second); a != b {
		t.Fatalf("not deterministic: %v, %v", a, b)
	}
	if a, b := SpreadOffset("ab", "c", time.Minute), SpreadOffset("a", "bc", time.Minute); a == b {
		t.Errorf("ab/c and a/bc share offset %v", a)
	}
	if o := SpreadOffset("s", "p", 15*time.Millisecond); o != 0 {
		t.Errorf("interval below two steps: offset %v, want 0", o)
	}

	for _, every := range []time.Duration{time.Second, 30 * time.Second, 5 * time.Minute} {
		const n, buckets = 1000, 10
		counts := make([]int, buckets)
		slots := map[time.Duration]int{}
		for i := range n {
			o := SpreadOffset(fmt.Sprintf("service-%d", i/3), fmt.Sprintf("probe-%d", i%3), every)
			if o < 0 || o >= every || o%offsetStep != 0 {
				t.Fatalf("every %v: offset %v out of range or not a multiple of %v", every, o, offsetStep)
			}
			counts[int(o*buckets/every)]++
			slots[o]++
		}
		// Uniform: 100 a bucket; a hash puts each within ±40 easily (σ ≈ 9.5).
		for b, c := range counts {
			if c < 60 || c > 140 {
				t.Errorf("every %v: bucket %d holds %d of %d offsets: %v", every, b, c, n, counts)
			}
		}
		most := 0
		for _, c := range slots {
			most = max(most, c)
		}
		// With 100 slots (1s) ~10 share one; with thousands, few collide.
		if limit := max(4, 3*n/int(every/offsetStep)); most > limit {
			t.Errorf("every %v: %d probes start in the same 10ms slot (limit %d)", every, most, limit)
		}
	}
}

func TestLongestGap(t *testing.T) {
	from := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // a Monday
	for _, tc := range []struct {
		spec Spec
		want time.Duration
	}{
		{Spec{Service: "s", Name: "p", Interval: 30 * time.Second}, 30 * time.Second},
		{Spec{Service: "s", Name: "p"}, DefaultInterval},
		{Spec{Service: "s", Name: "p", Schedule: "*/5 * * * *"}, 5 * time.Minute},
		{Spec{Service: "s", Name: "p", Schedule: "@every 10s"}, 10 * time.Second},
		{Spec{Service: "s", Name: "p", Schedule: "0 3 * * *"}, 24 * time.Hour},
		// Hourly 08:00-17:00 on weekdays: Friday 17:00 to Monday 08:00.
		{Spec{Service: "s", Name: "p", Schedule: "0 8-17 * * 1-5"}, 63 * time.Hour},
		{Spec{Service: "s", Name: "p", Schedule: "bad"}, 0},
	} {
		if got := LongestGap(&tc.spec, from); got != tc.want {
			t.Errorf("%q every %v: LongestGap = %v, want %v", tc.spec.Schedule, tc.spec.Interval, got, tc.want)
		}
	}
}
