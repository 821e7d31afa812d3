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
// their arguments.
type Calendar struct {
	Name     string
	Location *time.Location
	// Days[time.Weekday] is true for working days.
	Days [7]bool
	// Open and Close are the working hours as offsets from local midnight;
	// Close may be 24h.
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
		return 0, 0, fmt.Errorf("%q ends before it starts", s)
	}
	return open, close, nil
}

func parseClock(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(mm) != 2 || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day like 08:30 (24:00 ends a day)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// DayLength is the business time of one full working day.
func (c *Calendar) DayLength() time.Duration { return c.Close - c.Open }
