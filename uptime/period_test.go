package uptime

import (
	"testing"
	"time"
)

func TestPeriodLengths(t *testing.T) {
	done := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		p     Period
		hours float64
		label string
	}{
		{"October 2026 Amsterdam: DST ends Oct 25", MonthPeriod(2026, time.October, amsterdam, done), 745, "2026-10"},
		{"March 2026 Amsterdam: DST starts Mar 29", MonthPeriod(2026, time.March, amsterdam, done), 743, "2026-03"},
		{"March 2026 New York: DST starts Mar 8", MonthPeriod(2026, time.March, newYork, done), 743, "2026-03"},
		{"November 2026 New York: DST ends Nov 1", MonthPeriod(2026, time.November, newYork, done), 721, "2026-11"},
		{"April 2026 Amsterdam", MonthPeriod(2026, time.April, amsterdam, done), 720, "2026-04"},
		{"October 2026 UTC", MonthPeriod(2026, time.October, nil, done), 744, "2026-10"},
		{"February 2028 leap", MonthPeriod(2028, time.February, amsterdam, done), 29 * 24, "2028-02"},
		{"February 2026", MonthPeriod(2026, time.February, amsterdam, done), 28 * 24, "2026-02"},
		{"December wraps to January", MonthPeriod(2026, time.December, amsterdam, done), 744, "2026-12"},
		{"year 2028 leap", YearPeriod(2028, amsterdam, done), 8784, "2028"},
		{"year 2026", YearPeriod(2026, amsterdam, done), 8760, "2026"},
		{"year 2028 UTC", YearPeriod(2028, time.UTC, done), 8784, "2028"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Hours(); got != c.hours {
				t.Errorf("hours = %v, want %v", got, c.hours)
			}
			if c.p.Label != c.label || !c.p.Complete {
				t.Errorf("label %q complete %v, want %q true", c.p.Label, c.p.Complete, c.label)
			}
			if h, m, s := c.p.Start.Clock(); h != 0 || m != 0 || s != 0 || c.p.Start.Day() != 1 {
				t.Errorf("start %s is not local midnight on the 1st", c.p.Start)
			}
		})
	}
	p := MonthPeriod(2026, time.October, amsterdam, done)
	eqTime(t, "October start", p.Start, time.Date(2026, 9, 30, 22, 0, 0, 0, time.UTC))
	eqTime(t, "October end", p.End, time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC))
}

func TestPeriodCounted(t *testing.T) {
	p := MonthPeriod(2026, time.October, amsterdam, time.Time{})
	mid := tm(amsterdam, 2026, 10, 10, 12, 0)
	cases := []struct {
		name     string
		now      time.Time
		end      time.Time
		complete bool
	}{
		{"before: counts nothing", tm(amsterdam, 2026, 9, 15, 0, 0), p.Start, false},
		{"at start: counts nothing", p.Start, p.Start, false},
		{"running: counts to now", mid, mid, false},
		{"at end: complete", p.End, p.End, true},
		{"after: complete", tm(amsterdam, 2027, 1, 1, 0, 0), p.End, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := p.Counted(c.now)
			eqTime(t, "start", got.Start, p.Start)
			eqTime(t, "end", got.End, c.end)
			if p.At(c.now).Complete != c.complete {
				t.Errorf("complete = %v", !c.complete)
			}
		})
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC)
	m, err := ParseMonth("2026-10", amsterdam, now)
	if err != nil || m.Kind != KindMonth || m.Label != "2026-10" || !m.Complete || m.Start.Location() != amsterdam {
		t.Fatalf("ParseMonth = %+v, %v", m, err)
	}
	y, err := ParseYear("2026", amsterdam, now)
	if err != nil || y.Kind != KindYear || y.Label != "2026" || y.Complete {
		t.Fatalf("ParseYear = %+v, %v", y, err)
	}
	for _, bad := range []string{"", "2026", "2026-1", "2026-13", "2026-00", "26-10", "2026/10", "+026-10", "2026-10 ", "0000-01"} {
		if _, err := ParseMonth(bad, amsterdam, now); err == nil {
			t.Errorf("ParseMonth(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"", "26", "02026", "-202", "20x6", "0000"} {
		if _, err := ParseYear(bad, amsterdam, now); err == nil {
			t.Errorf("ParseYear(%q) accepted", bad)
		}
	}
}

func TestPeriodMonthsAndCurrent(t *testing.T) {
	now := tm(amsterdam, 2026, 10, 10, 12, 0)
	y := YearPeriod(2026, amsterdam, now)
	ms := y.Months(now)
	if len(ms) != 12 {
		t.Fatalf("%d months", len(ms))
	}
	var total time.Duration
	for i, m := range ms {
		if i > 0 && !m.Start.Equal(ms[i-1].End) {
			t.Errorf("month %s does not start where %s ends", m.Label, ms[i-1].Label)
		}
		total += m.End.Sub(m.Start)
		if want := i < 9; m.Complete != want {
			t.Errorf("%s complete = %v", m.Label, m.Complete)
		}
	}
	if total != y.End.Sub(y.Start) {
		t.Errorf("months add up to %s, year is %s", total, y.End.Sub(y.Start))
	}
	// 23:30 UTC on October 31 is 00:30 CET on November 1 in Amsterdam.
	c, err := CurrentPeriod(KindMonth, amsterdam, time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC))
	if err != nil || c.Label != "2026-11" {
		t.Errorf("current month = %+v, %v; want 2026-11", c, err)
	}
	c, err = CurrentPeriod(KindYear, amsterdam, time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC))
	if err != nil || c.Label != "2027" {
		t.Errorf("current year = %+v, %v; want 2027", c, err)
	}
	if _, err := CurrentPeriod("week", amsterdam, now); err == nil {
		t.Error("CurrentPeriod accepted week")
	}
}
