package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Spec is a business calendar as written in the configuration.
type Spec struct {
	Timezone string   `yaml:"timezone"`
	Days     []string `yaml:"days"`     // mon … sun
	Hours    string   `yaml:"hours"`    // "08:30-17:00"; may end at 24:00
	Holidays []string `yaml:"holidays"` // YYYY-MM-DD, whole local days
}

// Calendar is a compiled business calendar. Its methods are pure functions of
// their arguments, safe for concurrent use, and a nil *Calendar is Always(),
// 24/7 in UTC. See business.go for what counts as business time.
type Calendar struct {
	Name     string
	Location *time.Location
	// Days[time.Weekday] is true for working days.
	Days [7]bool
	// Open and Close are the working hours as offsets from local midnight,
	// 0 ≤ Open < Close ≤ 24h; Close may be 24h. New guarantees this, and
	// at least one working day; a Calendar built by hand must keep to it.
	Open, Close time.Duration
	// Holidays holds local dates (year, month, day) that are not worked.
	Holidays map[Date]bool
}

// Date is a local calendar date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the local date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// days returns the number of days from 1970-01-01 to d, by Howard
// Hinnant's days_from_civil: integer arithmetic, no time zone lookups, as
// the business-time loops step through dates.
func (d Date) days() int64 {
	y, m := int64(d.Year), int64(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400                             // [0, 399]
	doy := (153*((m+9)%12)+2)/5 + int64(d.Day) - 1 // from March 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy         // [0, 146096]
	return era*146097 + doe - 719468
}

// dateOfDays is the inverse of days (Hinnant's civil_from_days).
func dateOfDays(z int64) Date {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return Date{int(y), time.Month(m), int(doy - (153*mp+2)/5 + 1)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// AddDays returns the date n days after d (before it when n is negative).
func (d Date) AddDays(n int) Date {
	if d.Month < time.January || d.Month > time.December {
		d = DateOf(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC), time.UTC)
	}
	return dateOfDays(d.days() + int64(n))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	if d.Month < time.January || d.Month > time.December {
		d = d.AddDays(0)
	}
	return time.Weekday((d.days()%7 + 11) % 7) // 1970-01-01 was a Thursday
}

// Before reports whether d is an earlier date than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// New compiles a Spec. Defaults: UTC, Monday to Friday, 09:00-17:00.
func New(name string, s Spec) (*Calendar, error) {
	c := &Calendar{Name: name, Location: time.UTC, Holidays: map[Date]bool{}}
	if s.Timezone != "" {
		loc, err := time.LoadLocation(s.Timezone)
		if err != nil {
			return nil, fmt.Errorf("timezone: unknown time zone %q", s.Timezone)
		}
		c.Location = loc
	}
	days := s.Days
	if len(days) == 0 {
		days = []string{"mon", "tue", "wed", "thu", "fri"}
	}
	for _, d := range days {
		wd, ok := weekdays[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			return nil, fmt.Errorf("days: unknown day %q, want mon, tue, wed, thu, fri, sat or sun", d)
		}
		if c.Days[wd] {
			return nil, fmt.Errorf("days: %q is listed twice", d)
		}
		c.Days[wd] = true
	}
	hours := s.Hours
	if hours == "" {
		hours = "09:00-17:00"
	}
	open, close, err := parseHours(hours)
	if err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	c.Open, c.Close = open, close
	for _, h := range s.Holidays {
		t, err := time.Parse("2006-01-02", strings.TrimSpace(h))
		if err != nil {
			return nil, fmt.Errorf("holidays: %q is not a date like 2026-12-25", h)
		}
		c.Holidays[DateOf(t, time.UTC)] = true
	}
	return c, nil
}

func parseHours(s string) (open, close time.Duration, err error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q is not a range like 08:30-17:00", s)
	}
	if open, err = parseClock(from); err != nil {
		return 0, 0, err
	}
	if close, err = parseClock(to); err != nil {
		return 0, 0, err
	}
	if close <= open {
		return 0, 0, fmt.Errorf("%q ends before it starts (a range over midnight is not supported)", s)
	}
	return open, close, nil
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || !isDigits(hh) || len(hh) > 2 || !isDigits(mm) || len(mm) != 2 ||
		m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day like 08:30 (24:00 ends a day)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// DayLength is the business time of one full working day: Close − Open as
// wall-clock time, which is what one business day (1bd) means. A nil
// Calendar is Always.
func (c *Calendar) DayLength() time.Duration {
	c = c.orAlways()
	return c.Close - c.Open
}
