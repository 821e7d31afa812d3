package uptime

import (
	"fmt"
	"strconv"
	"time"
)

// Period kinds.
const (
	KindMonth = "month"
	KindYear  = "year"
)

// Period is a calendar month or year in a time zone (SPEC §4). Its bounds are
// local midnight on the 1st, so a month is 743, 744 or 745 hours long across
// DST changes and a year 8,760 or 8,784. Start and End are in the period's
// location, which is the report's time zone.
type Period struct {
	Kind     string    `json:"kind"`  // KindMonth or KindYear
	Label    string    `json:"label"` // "2026-10" or "2026"
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Complete bool      `json:"complete"` // now >= End when the period was made
}

// MonthPeriod returns the calendar month m of year in loc (UTC when nil).
// Complete is set from now.
func MonthPeriod(year int, m time.Month, loc *time.Location, now time.Time) Period {
	loc = orUTC(loc)
	// time.Date normalizes a month out of range, so m == 12 ends at the next
	// January. Where midnight does not exist (a DST gap at 00:00) time.Date
	// picks one of the neighbouring offsets; both months use the same call,
	// so they still meet without a gap.
	start := time.Date(year, m, 1, 0, 0, 0, 0, loc)
	end := time.Date(year, m+1, 1, 0, 0, 0, 0, loc)
	return Period{
		Kind:     KindMonth,
		Label:    fmt.Sprintf("%04d-%02d", start.Year(), int(start.Month())),
		Start:    start,
		End:      end,
		Complete: !now.Before(end),
	}
}

// YearPeriod returns the calendar year in loc (UTC when nil).
func YearPeriod(year int, loc *time.Location, now time.Time) Period {
	loc = orUTC(loc)
	start := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
	end := time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc)
	return Period{
		Kind:     KindYear,
		Label:    fmt.Sprintf("%04d", year),
		Start:    start,
		End:      end,
		Complete: !now.Before(end),
	}
}

// CurrentPeriod returns the month or year (kind) in loc that contains now:
// the period of a month-to-date or year-to-date figure.
func CurrentPeriod(kind string, loc *time.Location, now time.Time) (Period, error) {
	local := now.In(orUTC(loc))
	switch kind {
	case KindMonth:
		return MonthPeriod(local.Year(), local.Month(), loc, now), nil
	case KindYear:
		return YearPeriod(local.Year(), loc, now), nil
	}
	return Period{}, fmt.Errorf("period %q: want %s or %s", kind, KindMonth, KindYear)
}

// ParseMonth parses "YYYY-MM" into that month in loc.
func ParseMonth(s string, loc *time.Location, now time.Time) (Period, error) {
	if len(s) != 7 || s[4] != '-' {
		return Period{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	y, err1 := digits(s[:4])
	m, err2 := digits(s[5:])
	if err1 != nil || err2 != nil || y < 1 || m < 1 || m > 12 {
		return Period{}, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return MonthPeriod(y, time.Month(m), loc, now), nil
}

// ParseYear parses "YYYY" into that year in loc.
func ParseYear(s string, loc *time.Location, now time.Time) (Period, error) {
	y, err := digits(s)
	if err != nil || len(s) != 4 || y < 1 {
		return Period{}, fmt.Errorf("year %q: want YYYY", s)
	}
	return YearPeriod(y, loc, now), nil
}

// digits parses a string of ASCII digits only (no sign, no spaces).
func digits(s string) (int, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.Atoi(s)
}

// Interval returns [Start, End).
func (p Period) Interval() Interval { return Interval{Start: p.Start, End: p.End} }

// Counted returns the part of the period that counts at now:
// [Start, min(End, now)). A period still running is counted up to now; a
// period that has not begun counts nothing (an empty interval at Start).
func (p Period) Counted(now time.Time) Interval {
	end := earlier(p.End, now)
	if end.Before(p.Start) {
		end = p.Start
	}
	return Interval{Start: p.Start, End: end}
}

// At returns the period with Complete set from now.
func (p Period) At(now time.Time) Period {
	p.Complete = !now.Before(p.End)
	return p
}

// Months returns the calendar months of the period: the twelve months of a
// year, or the month itself, each with Complete set from now. Months that
// have not begun are included; AccountYear leaves them out.
func (p Period) Months(now time.Time) []Period {
	if p.Kind != KindYear {
		return []Period{p.At(now)}
	}
	loc := p.Start.Location()
	out := make([]Period, 0, 12)
	for m := time.January; m <= time.December; m++ {
		out = append(out, MonthPeriod(p.Start.Year(), m, loc, now))
	}
	return out
}

// Hours is the period's length in hours, for display and tests.
func (p Period) Hours() float64 { return p.End.Sub(p.Start).Hours() }

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
