package backup

import (
	"fmt"
	"time"
)

// Week and month bounds are the first instant of a local day, built with
// time.Date in the policy's location, which applies the offset in force at
// each bound. So a week across a DST change is 167 or 169 hours long, and the
// end of one bucket is, bit for bit, the start of the next.

// dayStart is the first instant of the local day y-m-d in loc; d may be out
// of range and is normalised as time.Date does. Where the clocks jump forward
// at midnight (America/Asuncion on 2023-10-01, say) 00:00 does not exist and
// time.Date may answer an instant on the day before; the day then starts at
// the jump.
func dayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 {
		if want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC); t.YearDay() != want.YearDay() || t.Year() != want.Year() {
			_, end := t.ZoneBounds()
			return end
		}
	}
	return t
}

// weekStart is the start (Monday 00:00 in loc) of the ISO week k weeks
// before the one containing t.
func weekStart(t time.Time, k int, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	return dayStart(y, m, d-back-7*k, loc)
}

// weekBucket is ISO week w0−k, where w0 contains ref.
func weekBucket(ref time.Time, k int, loc *time.Location) (start, end time.Time, label string) {
	start = weekStart(ref, k, loc)
	end = weekStart(ref, k-1, loc)
	y, w := start.ISOWeek()
	return start, end, fmt.Sprintf("%04d-W%02d", y, w)
}

// monthBucket is calendar month m0−k, where m0 contains ref.
func monthBucket(ref time.Time, k int, loc *time.Location) (start, end time.Time, label string) {
	y, m, _ := ref.In(loc).Date()
	start = dayStart(y, m-time.Month(k), 1, loc)
	end = dayStart(y, m-time.Month(k-1), 1, loc)
	return start, end, start.Format("2006-01")
}
