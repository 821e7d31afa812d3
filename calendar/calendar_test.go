package calendar

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	ams = mustLoc("Europe/Amsterdam")
	nyc = mustLoc("America/New_York")
	lhi = mustLoc("Australia/Lord_Howe") // DST shifts by 30 minutes
)

func mustNew(tb testing.TB, s Spec) *Calendar {
	tb.Helper()
	c, err := New("test", s)
	if err != nil {
		tb.Fatalf("New(%+v): %v", s, err)
	}
	return c
}

// lt is a local time "2006-01-02 15:04" in loc; it must not be ambiguous.
func lt(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// ts is an RFC 3339 time, for instants a local reading cannot name.
func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNewDefaults(t *testing.T) {
	c := mustNew(t, Spec{})
	if c.Location != time.UTC || c.Open != 9*time.Hour || c.Close != 17*time.Hour {
		t.Errorf("defaults: %v %v-%v", c.Location, c.Open, c.Close)
	}
	want := [7]bool{false, true, true, true, true, true, false}
	if c.Days != want {
		t.Errorf("default days = %v, want mon-fri", c.Days)
	}
	if c.DayLength() != 8*time.Hour {
		t.Errorf("DayLength = %v", c.DayLength())
	}
	if got := c.String(); got != "test: mon-fri 09:00-17:00 UTC" {
		t.Errorf("String = %q", got)
	}
}

func TestNew(t *testing.T) {
	c := mustNew(t, Spec{
		Timezone: "Europe/Amsterdam",
		Days:     []string{"Mon", " tue", "wed", "thu", "fri"},
		Hours:    "08:30 - 17:00",
		Holidays: []string{"2026-12-25", " 2026-12-26"},
	})
	if c.Location.String() != "Europe/Amsterdam" || c.Open != 8*time.Hour+30*time.Minute || c.Close != 17*time.Hour {
		t.Errorf("got %v %v-%v", c.Location, c.Open, c.Close)
	}
	if !c.Holidays[Date{2026, 12, 25}] || !c.Holidays[Date{2026, 12, 26}] || len(c.Holidays) != 2 {
		t.Errorf("holidays = %v", c.Holidays)
	}
	if got := c.String(); got != "test: mon-fri 08:30-17:00 Europe/Amsterdam, 2 holidays" {
		t.Errorf("String = %q", got)
	}
	c = mustNew(t, Spec{Days: []string{"sat", "sun", "wed", "mon"}, Hours: "00:00-24:00"})
	if c.DayLength() != 24*time.Hour {
		t.Errorf("DayLength = %v", c.DayLength())
	}
	if got := c.String(); got != "test: mon,wed,sat,sun 00:00-24:00 UTC" {
		t.Errorf("String = %q", got)
	}
	if got := Always().String(); got != "24/7: mon-sun 00:00-24:00 UTC" {
		t.Errorf("Always().String = %q", got)
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string // the key the error begins with, and a piece of it
	}{
		{Spec{Timezone: "Europe/Amsterdan"}, `timezone: unknown time zone "Europe/Amsterdan"`},
		{Spec{Days: []string{"mon", "fry"}}, `days: unknown day "fry"`},
		{Spec{Days: []string{"mon", "Mon"}}, `days: "Mon" is listed twice`},
		{Spec{Hours: "17:00-08:30"}, `hours: "17:00-08:30" ends before it starts`},
		{Spec{Hours: "09:00-09:00"}, `hours: "09:00-09:00" ends before it starts`},
		{Spec{Hours: "08:30-25:00"}, `hours: "25:00" is not a time of day`},
		{Spec{Hours: "08:30-24:30"}, `hours: "24:30" is not a time of day`},
		{Spec{Hours: "08:60-17:00"}, `hours: "08:60" is not a time of day`},
		{Spec{Hours: "8:3-17:00"}, `hours: "8:3" is not a time of day`},
		{Spec{Hours: "+8:30-17:00"}, `hours: "+8:30" is not a time of day`},
		{Spec{Hours: "008:30-17:00"}, `hours: "008:30" is not a time of day`},
		{Spec{Hours: "0830-1700"}, `hours: "0830" is not a time of day`},
		{Spec{Hours: "08:30"}, `hours: "08:30" is not a range`},
		{Spec{Hours: "22:00-06:00"}, `over midnight is not supported`},
		{Spec{Holidays: []string{"2026-13-01"}}, `holidays: "2026-13-01" is not a date`},
		{Spec{Holidays: []string{"2026-02-30"}}, `holidays: "2026-02-30" is not a date`},
		{Spec{Holidays: []string{"25-12-2026"}}, `holidays: "25-12-2026" is not a date`},
	} {
		_, err := New("x", tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tc.spec, err, tc.want)
		}
	}
}

func TestNewAcceptsHours(t *testing.T) {
	for _, h := range []string{"8:30-17:00", "00:00-24:00", "06:00-24:00", "23:59-24:00", "00:00-00:01"} {
		if _, err := New("x", Spec{Hours: h}); err != nil {
			t.Errorf("hours %q: %v", h, err)
		}
	}
}

func TestDate(t *testing.T) {
	d := Date{2026, 12, 31}
	if got := d.AddDays(1); got != (Date{2027, 1, 1}) {
		t.Errorf("AddDays(1) = %v", got)
	}
	if got := d.AddDays(-365); got != (Date{2025, 12, 31}) {
		t.Errorf("AddDays(-365) = %v", got)
	}
	if got := (Date{2028, 2, 28}).AddDays(1); got != (Date{2028, 2, 29}) {
		t.Errorf("leap day: %v", got)
	}
	if d.Weekday() != time.Thursday || (Date{2026, 12, 25}).Weekday() != time.Friday {
		t.Errorf("Weekday")
	}
	if !(Date{2026, 12, 31}).Before(Date{2027, 1, 1}) || (Date{2027, 1, 1}).Before(Date{2026, 12, 31}) ||
		!(Date{2026, 11, 30}).Before(Date{2026, 12, 1}) || (d.Before(d)) {
		t.Errorf("Before")
	}
	if d.String() != "2026-12-31" {
		t.Errorf("String = %q", d.String())
	}
	// DateOf reads the date in the given zone.
	if got := DateOf(ts("2026-12-31T23:30:00Z"), ams); got != (Date{2027, 1, 1}) {
		t.Errorf("DateOf = %v", got)
	}
}

// TestDateArithmetic checks the integer date arithmetic against package
// time, over five centuries and a few odd dates.
func TestDateArithmetic(t *testing.T) {
	for u := time.Date(1800, 1, 1, 12, 0, 0, 0, time.UTC); u.Year() < 2300; u = u.AddDate(0, 0, 1) {
		d := DateOf(u, time.UTC)
		if d.Weekday() != u.Weekday() {
			t.Fatalf("%v: Weekday = %v, want %v", d, d.Weekday(), u.Weekday())
		}
		for _, n := range []int{1, -1, 7, 400} {
			if got, want := d.AddDays(n), DateOf(u.AddDate(0, 0, n), time.UTC); got != want {
				t.Fatalf("%v.AddDays(%d) = %v, want %v", d, n, got, want)
			}
		}
	}
	// Out-of-range fields are normalized the way time.Date does.
	for _, d := range []Date{{2026, 2, 31}, {2026, 13, 1}, {2026, 0, 0}, {-5, 3, 1}, {0, 2, 29}} {
		u := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
		if got, want := d.AddDays(1), DateOf(u.AddDate(0, 0, 1), time.UTC); got != want {
			t.Errorf("%+v.AddDays(1) = %v, want %v", d, got, want)
		}
		if d.Weekday() != u.Weekday() {
			t.Errorf("%+v.Weekday() = %v, want %v", d, d.Weekday(), u.Weekday())
		}
	}
}
