package calendar

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Business time.
//
// A working day that is not a holiday has one working window. It runs from
// the first moment at which the local clock of the calendar's time zone
// reads the opening time on that date to the first moment at which it reads
// the closing time (24:00 is the next day's 00:00). All arithmetic is done on
// these absolute instants, so a window that holds a DST change has its real,
// elapsed length: 01:00–05:00 is 3 hours on a spring-forward day and 5 on a
// fall-back day. A wall time that the clock skips begins at the moment the
// clock jumps over it; a wall time that the clock shows twice begins at the
// first time it is shown.
//
// Windows never overlap and are in date order, so business time is the
// length of the union of the windows, and a calendar with all seven days and
// 00:00–24:00 and no holidays is 24/7: its business time is wall-clock time,
// 23 or 25 hours on a DST-change day included.

// Never is what Add and NextWorking return when there is no answer: the
// calendar has no working time for SearchLimit days on end, or the deadline
// lies beyond the year 9999. It is a real time, 9999-12-31T23:59:59Z, so it
// prints, sorts and compares like any deadline; test for it with Equal.
var Never = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// SearchLimit is the number of consecutive days without any working time
// (about twenty years) after which Add and NextWorking give up and return
// Never. New always yields at least one working day a week, so only a
// calendar built by hand, or one that lists decades of holidays, reaches it.
const SearchLimit = 20 * 366

// Interval is a half-open span of time [Start, End).
type Interval struct {
	Start, End time.Time
}

// Duration returns End − Start.
func (i Interval) Duration() time.Duration { return i.End.Sub(i.Start) }

// always is the calendar that a nil *Calendar stands for. Never handed out:
// Always returns a copy that callers may change.
var always = Always()

// Always returns a 24/7 calendar in UTC, for plans that ignore business
// hours: every moment is working time, so business hours equal wall-clock
// hours and a business day is 24 hours. A nil *Calendar behaves the same.
func Always() *Calendar {
	return &Calendar{
		Name:     "24/7",
		Location: time.UTC,
		Days:     [7]bool{true, true, true, true, true, true, true},
		Open:     0,
		Close:    24 * time.Hour,
		Holidays: map[Date]bool{},
	}
}

func (c *Calendar) orAlways() *Calendar {
	if c == nil {
		return always
	}
	return c
}

func (c *Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// continuous reports whether every moment is working time, so that
// business time is wall-clock time.
func (c *Calendar) continuous() bool {
	if c.Open > 0 || c.Close < 24*time.Hour || c.Days != [7]bool{true, true, true, true, true, true, true} {
		return false
	}
	for _, h := range c.Holidays {
		if h {
			return false
		}
	}
	return true
}

// working reports whether d is a working day that is not a holiday.
func (c *Calendar) working(d Date) bool {
	return c.Days[d.Weekday()] && !c.Holidays[d]
}

// window returns the working window of date d, if d has one.
func (c *Calendar) window(d Date) (Interval, bool) {
	if !c.working(d) || c.Close <= c.Open {
		return Interval{}, false
	}
	iv := Interval{c.at(d, c.Open), c.at(d, c.Close)}
	return iv, iv.End.After(iv.Start) // a date the clock skips has none
}

// wallOf returns the reading of t's local clock as an instant in UTC, so
// that readings can be compared.
func wallOf(t time.Time) time.Time {
	_, off := t.Zone()
	return t.UTC().Add(time.Duration(off) * time.Second)
}

// at returns the first moment at which the local clock reads date d plus
// offset off (0 ≤ off ≤ 24h) or later.
func (c *Calendar) at(d Date, off time.Duration) time.Time {
	if off >= 24*time.Hour {
		d, off = d.AddDays(int(off/(24*time.Hour))), off%(24*time.Hour)
	}
	h, m := int(off/time.Hour), int(off%time.Hour/time.Minute)
	s, ns := int(off%time.Minute/time.Second), int(off%time.Second)
	t := time.Date(d.Year, d.Month, d.Day, h, m, s, ns, c.loc())
	want := time.Date(d.Year, d.Month, d.Day, h, m, s, ns, time.UTC)
	start, end := t.ZoneBounds()
	switch w := wallOf(t); {
	case w.Before(want):
		// The clock skips the wanted reading and time.Date went back
		// before the jump (zones west of UTC): the jump is the answer.
		if !end.IsZero() {
			return end
		}
	case w.After(want):
		// Skipped, and time.Date went past the jump (east of UTC).
		if !start.IsZero() {
			return start
		}
	case !start.IsZero():
		// The reading exists; if the clock fell back just before t, it
		// may have shown it once already, in the previous zone period.
		_, cur := t.Zone()
		if _, prev := start.Add(-time.Nanosecond).Zone(); prev > cur {
			if e := t.Add(-time.Duration(prev-cur) * time.Second); e.Before(start) && wallOf(e).Equal(want) {
				return e
			}
		}
	}
	return t
}

// weekLength is the business time of seven consecutive days with no
// holiday and no change of UTC offset.
func (c *Calendar) weekLength() time.Duration {
	n := 0
	for _, w := range c.Days {
		if w {
			n++
		}
	}
	return time.Duration(n) * (c.Close - c.Open)
}

// plainWeek reports whether the seven dates from d have no holiday and no
// zone change, so that their business time is weekLength, and returns
// their bounds.
func (c *Calendar) plainWeek(d Date) (Interval, bool) {
	if len(c.Holidays) > 0 {
		for i := range 7 {
			if c.Holidays[d.AddDays(i)] {
				return Interval{}, false
			}
		}
	}
	start := c.at(d, 0)
	end := start.Add(7 * 24 * time.Hour)
	if _, next := start.ZoneBounds(); !next.IsZero() && next.Before(end) {
		return Interval{}, false
	}
	return Interval{start, end}, true
}

// IsWorking reports whether t is working time: inside the working hours of a
// working day that is not a holiday, in the calendar's time zone. Opening
// time is working time, closing time is not.
func (c *Calendar) IsWorking(t time.Time) bool {
	c = c.orAlways()
	if c.continuous() {
		return true
	}
	d := DateOf(t, c.loc())
	for i := -1; i <= 1; i++ {
		if iv, ok := c.window(d.AddDays(i)); ok && !t.Before(iv.Start) && t.Before(iv.End) {
			return true
		}
	}
	return false
}

// NextWorking returns t if it is working time, and otherwise the moment at
// which working time next begins; Never if there is none within SearchLimit
// days. The result is in the calendar's time zone.
func (c *Calendar) NextWorking(t time.Time) time.Time {
	c = c.orAlways()
	loc := c.loc()
	if c.continuous() {
		return t.In(loc)
	}
	d := DateOf(t, loc).AddDays(-1)
	for idle := 0; idle <= SearchLimit && d.Year <= 9999; d = d.AddDays(1) {
		iv, ok := c.window(d)
		if !ok || !iv.End.After(t) {
			idle++
			continue
		}
		if iv.Start.After(t) {
			return iv.Start
		}
		return t.In(loc)
	}
	return Never
}

// Amount returns how much time d stands for on c: d.D for wall-clock time
// and business hours, and d.Days × DayLength for business days, rounded to
// the nanosecond. Negative amounts are 0; amounts too large for a
// time.Duration are math.MaxInt64.
func (c *Calendar) Amount(d Duration) time.Duration {
	c = c.orAlways()
	var a float64
	switch d.Unit {
	case BusinessDays:
		a = math.Round(d.Days * float64(c.DayLength()))
	default:
		a = float64(d.D)
		if d.D >= 0 {
			return d.D
		}
	}
	switch {
	case a >= math.MaxInt64:
		return math.MaxInt64
	case a > 0:
		return time.Duration(a)
	default: // negative, or NaN
		return 0
	}
}

// Add returns the deadline that is d after t, in the calendar's time zone.
//
// A wall-clock d is plain elapsed time: t + d. A business d (bh or bd) is
// counted only in working time; the deadline is the earliest moment at which
// that much business time has passed since t. So a start outside working
// time counts from the next working moment, a deadline that uses up a
// day's last working minute is that day's closing time (not the next
// opening), and a zero d gives t itself, working time or not. Business days
// are d.Days × DayLength of business time (see Amount): on 08:30–17:00,
// Tuesday 10:00 + 5bd is the next Tuesday 10:00 when no holiday
// intervenes.
//
// Add returns Never when there is no working time for SearchLimit days on
// end or the deadline would lie beyond the year 9999.
func (c *Calendar) Add(t time.Time, d Duration) time.Time {
	c = c.orAlways()
	loc := c.loc()
	if d.Unit == Wall {
		return t.Add(d.D).In(loc)
	}
	left := c.Amount(d)
	if left == 0 {
		return t.In(loc)
	}
	if c.continuous() {
		if t.Add(left).After(Never) {
			return Never
		}
		return t.Add(left).In(loc)
	}
	week := c.weekLength()
	first := DateOf(t, loc)
	day := first.AddDays(-1)
	for idle := 0; idle <= SearchLimit && day.Year <= 9999; {
		// Skip whole weeks that cannot hold the deadline.
		if left > week && week > 0 && first.Before(day) {
			if w, ok := c.plainWeek(day); ok && !w.Start.Before(t) {
				left -= week
				day = day.AddDays(7)
				idle = 0
				continue
			}
		}
		iv, ok := c.window(day)
		day = day.AddDays(1)
		if !ok || !iv.End.After(t) {
			idle++
			continue
		}
		idle = 0
		start := iv.Start
		if t.After(start) {
			start = t
		}
		avail := iv.End.Sub(start)
		if left <= avail {
			return start.Add(left).In(loc)
		}
		left -= avail
	}
	return Never
}

// Between returns the business time in [from, to): the length of its
// overlap with the working windows. It is 0 when to is not after from.
// For any t and business d, Between(t, Add(t, d)) == Amount(d).
func (c *Calendar) Between(from, to time.Time) time.Duration {
	c = c.orAlways()
	if !to.After(from) {
		return 0
	}
	if c.continuous() {
		return to.Sub(from)
	}
	loc := c.loc()
	week := c.weekLength()
	first, last := DateOf(from, loc), DateOf(to, loc)
	var sum time.Duration
	add := func(d time.Duration) { // saturating, for spans of centuries
		if sum > math.MaxInt64-d {
			sum = math.MaxInt64
		} else {
			sum += d
		}
	}
	for day, stop := first.AddDays(-1), last.AddDays(1); !stop.Before(day); {
		if week > 0 && first.Before(day) && day.AddDays(7).Before(last) {
			if w, ok := c.plainWeek(day); ok && !w.Start.Before(from) && !w.End.After(to) {
				add(week)
				day = day.AddDays(7)
				continue
			}
		}
		if iv, ok := c.window(day); ok {
			add(clip(iv, from, to).Duration())
		}
		day = day.AddDays(1)
	}
	return sum
}

// clip returns the part of iv inside [from, to), or an empty interval.
func clip(iv Interval, from, to time.Time) Interval {
	if iv.Start.Before(from) {
		iv.Start = from
	}
	if iv.End.After(to) {
		iv.End = to
	}
	if !iv.End.After(iv.Start) {
		return Interval{}
	}
	return iv
}

// WorkingIntervals returns the working time in [from, to) as intervals in
// date order, clipped to [from, to), with touching windows (a 24-hour day
// and the next one) joined. Times are in the calendar's time zone. Between
// is the sum of their lengths.
func (c *Calendar) WorkingIntervals(from, to time.Time) []Interval {
	c = c.orAlways()
	if !to.After(from) {
		return nil
	}
	loc := c.loc()
	if c.continuous() {
		return []Interval{{from.In(loc), to.In(loc)}}
	}
	var out []Interval
	last := DateOf(to, loc).AddDays(1)
	for day := DateOf(from, loc).AddDays(-1); !last.Before(day); day = day.AddDays(1) {
		iv, ok := c.window(day)
		if !ok {
			continue
		}
		if iv = clip(iv, from, to); iv.Start.IsZero() {
			continue
		}
		iv.Start, iv.End = iv.Start.In(loc), iv.End.In(loc)
		if n := len(out); n > 0 && out[n-1].End.Equal(iv.Start) {
			out[n-1].End = iv.End
			continue
		}
		out = append(out, iv)
	}
	return out
}

// String summarizes the calendar: "mon-fri 08:30-17:00 Europe/Amsterdam,
// 2 holidays".
func (c *Calendar) String() string {
	c = c.orAlways()
	var b strings.Builder
	if c.Name != "" {
		b.WriteString(c.Name + ": ")
	}
	order := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}
	var runs []string
	for i := 0; i < len(order); {
		if !c.Days[order[i]] {
			i++
			continue
		}
		j := i
		for j+1 < len(order) && c.Days[order[j+1]] {
			j++
		}
		name := func(w time.Weekday) string { return strings.ToLower(w.String()[:3]) }
		switch {
		case j == i:
			runs = append(runs, name(order[i]))
		case j == i+1:
			runs = append(runs, name(order[i]), name(order[j]))
		default:
			runs = append(runs, name(order[i])+"-"+name(order[j]))
		}
		i = j + 1
	}
	if len(runs) == 0 {
		runs = []string{"no days"}
	}
	b.WriteString(strings.Join(runs, ","))
	b.WriteString(" " + clock(c.Open) + "-" + clock(c.Close) + " " + c.loc().String())
	n := 0
	for _, h := range c.Holidays {
		if h {
			n++
		}
	}
	switch n {
	case 0:
	case 1:
		b.WriteString(", 1 holiday")
	default:
		fmt.Fprintf(&b, ", %d holidays", n)
	}
	return b.String()
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
