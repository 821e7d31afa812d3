package calendar

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Calendars of the seed policies, and some odd ones.
var (
	// Ultimo: 08:30–17:00 CET, Mon–Fri, Christmas off.
	ultimo = Spec{Timezone: "Europe/Amsterdam", Hours: "08:30-17:00", Holidays: []string{"2026-12-25", "2026-12-26"}}
	// OpenWeb: 9:00–17:00 EST, Mon–Fri, national holidays (Labor Day is a Monday).
	openweb = Spec{Timezone: "America/New_York", Hours: "09:00-17:00", Holidays: []string{"2026-09-07", "2026-11-26", "2026-12-25"}}
	// ControlUp: 06:00–00:00 UTC, Mon–Fri.
	controlup = Spec{Hours: "06:00-24:00"}
	allDays   = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	// 24/7 in a zone with DST.
	always247 = Spec{Timezone: "Europe/Amsterdam", Days: allDays, Hours: "00:00-24:00"}
	// A nightly window that holds the European DST change.
	nightAms = Spec{Timezone: "Europe/Amsterdam", Days: allDays, Hours: "01:00-05:00"}
	nightNYC = Spec{Timezone: "America/New_York", Days: allDays, Hours: "01:00-05:00"}
)

func dur(s string) Duration {
	d, err := ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestIsWorking(t *testing.T) {
	c := mustNew(t, ultimo)
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{lt(ams, "2026-11-11 08:29"), false},
		{lt(ams, "2026-11-11 08:30"), true}, // opening time is working time
		{lt(ams, "2026-11-11 12:00"), true},
		{lt(ams, "2026-11-11 16:59"), true},
		{lt(ams, "2026-11-11 17:00"), false}, // closing time is not
		{lt(ams, "2026-11-14 12:00"), false}, // Saturday
		{lt(ams, "2026-11-15 12:00"), false}, // Sunday
		{lt(ams, "2026-12-25 12:00"), false}, // Christmas, a Friday
		{lt(ams, "2026-12-24 12:00"), true},
		{ts("2026-11-11T07:30:00Z"), true}, // 08:30 CET, given in UTC
		{ts("2026-11-11T07:29:59Z"), false},
		{ts("2026-07-01T06:30:00Z"), true}, // 08:30 CEST
		{ts("2026-07-01T06:29:00Z"), false},
	} {
		if got := c.IsWorking(tc.t); got != tc.want {
			t.Errorf("IsWorking(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	cu := mustNew(t, controlup)
	if !cu.IsWorking(ts("2026-11-13T23:59:59Z")) || cu.IsWorking(ts("2026-11-14T00:00:00Z")) || !cu.IsWorking(ts("2026-11-16T06:00:00Z")) {
		t.Error("ControlUp 06:00-24:00")
	}
}

func TestNextWorking(t *testing.T) {
	c := mustNew(t, ultimo)
	for _, tc := range []struct{ t, want time.Time }{
		{lt(ams, "2026-11-11 07:00"), lt(ams, "2026-11-11 08:30")},
		{lt(ams, "2026-11-11 08:30"), lt(ams, "2026-11-11 08:30")},
		{lt(ams, "2026-11-11 10:00"), lt(ams, "2026-11-11 10:00")},
		{lt(ams, "2026-11-11 17:00"), lt(ams, "2026-11-12 08:30")},
		{lt(ams, "2026-11-13 17:00"), lt(ams, "2026-11-16 08:30")}, // Friday evening
		{lt(ams, "2026-12-24 18:00"), lt(ams, "2026-12-28 08:30")}, // Christmas
		{lt(ams, "2026-10-24 12:00"), lt(ams, "2026-10-26 08:30")}, // over the DST weekend
		{ts("2026-11-11T16:00:00Z"), lt(ams, "2026-11-12 08:30")},  // 17:00 CET
	} {
		got := c.NextWorking(tc.t)
		if !got.Equal(tc.want) || got.Location() != c.Location {
			t.Errorf("NextWorking(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func TestAdd(t *testing.T) {
	mondayOff := ultimo
	mondayOff.Holidays = append([]string{"2026-04-06"}, ultimo.Holidays...) // Easter Monday
	cals := map[string]*Calendar{
		"ultimo":    mustNew(t, ultimo),
		"mondayOff": mustNew(t, mondayOff),
		"plain":     mustNew(t, Spec{Timezone: "Europe/Amsterdam", Hours: "08:30-17:00"}),
		"openweb":   mustNew(t, openweb),
		"controlup": mustNew(t, controlup),
		"247":       mustNew(t, always247),
		"nightAms":  mustNew(t, nightAms),
		"nightNYC":  mustNew(t, nightNYC),
	}
	for _, tc := range []struct {
		cal, name string
		from      time.Time
		d         string
		want      time.Time
	}{
		// SPEC §7.
		{"ultimo", "Tuesday + 5bd is next Tuesday", lt(ams, "2026-06-09 10:00"), "5bd", lt(ams, "2026-06-16 10:00")},
		{"ultimo", "5bd over the DST weekend", lt(ams, "2026-10-20 10:00"), "5bd", lt(ams, "2026-10-27 10:00")},
		{"ultimo", "Friday 16:30 CET + 2bh", lt(ams, "2026-11-13 16:30"), "2bh", lt(ams, "2026-11-16 10:00")},
		{"ultimo", "Friday 16:30 CEST + 2bh over DST", lt(ams, "2026-10-23 16:30"), "2bh", lt(ams, "2026-10-26 10:00")},
		{"ultimo", "15:00 + 2bh ends at closing, not next morning", lt(ams, "2026-11-11 15:00"), "2bh", lt(ams, "2026-11-11 17:00")},
		{"ultimo", "1bd from opening is the same day's closing", lt(ams, "2026-11-11 08:30"), "1bd", lt(ams, "2026-11-11 17:00")},
		{"ultimo", "8.5bh from opening", lt(ams, "2026-11-11 08:30"), "8.5bh", lt(ams, "2026-11-11 17:00")},
		{"ultimo", "before opening", lt(ams, "2026-11-11 07:00"), "1bh", lt(ams, "2026-11-11 09:30")},
		{"ultimo", "after closing", lt(ams, "2026-11-11 18:00"), "1bh", lt(ams, "2026-11-12 09:30")},
		{"ultimo", "exactly at closing", lt(ams, "2026-11-11 17:00"), "1bh", lt(ams, "2026-11-12 09:30")},
		{"ultimo", "a minute before closing", lt(ams, "2026-11-11 16:59"), "2bh", lt(ams, "2026-11-12 10:29")},
		{"ultimo", "on the weekend", lt(ams, "2026-11-14 11:00"), "4bh", lt(ams, "2026-11-16 12:30")},
		{"ultimo", "on a holiday", lt(ams, "2026-12-25 10:00"), "1bh", lt(ams, "2026-12-28 09:30")},
		{"ultimo", "into Christmas", lt(ams, "2026-12-24 16:00"), "2bh", lt(ams, "2026-12-28 09:30")},
		{"ultimo", "half a business day", lt(ams, "2026-11-11 08:30"), "0.5bd", lt(ams, "2026-11-11 12:45")},
		{"ultimo", "zero on a weekend is the start", lt(ams, "2026-11-14 11:00"), "0bh", lt(ams, "2026-11-14 11:00")},
		{"ultimo", "zero business days", lt(ams, "2026-11-11 18:00"), "0bd", lt(ams, "2026-11-11 18:00")},
		{"ultimo", "wall time ignores the calendar", lt(ams, "2026-11-13 16:30"), "2h", lt(ams, "2026-11-13 18:30")},
		{"ultimo", "wall time over DST", lt(ams, "2026-10-24 12:00"), "1d", lt(ams, "2026-10-25 11:00")},
		{"ultimo", "a year of business days", lt(ams, "2026-01-05 08:30"), "260bd", lt(ams, "2027-01-04 17:00")},
		{"plain", "a year of business days", lt(ams, "2026-01-05 08:30"), "260bd", lt(ams, "2027-01-01 17:00")},
		{"plain", "from a Saturday", lt(ams, "2026-11-14 11:00"), "10bd", lt(ams, "2026-11-27 17:00")},
		{"mondayOff", "holiday Monday after a weekend", lt(ams, "2026-04-03 16:00"), "2bh", lt(ams, "2026-04-07 09:30")},
		{"mondayOff", "5bd over a holiday Monday", lt(ams, "2026-04-02 10:00"), "5bd", lt(ams, "2026-04-10 10:00")},
		{"openweb", "Labor Day", lt(nyc, "2026-09-04 16:00"), "4bh", lt(nyc, "2026-09-08 12:00")},
		{"openweb", "over the US DST change", lt(nyc, "2026-10-30 16:00"), "2bh", lt(nyc, "2026-11-02 10:00")},
		{"openweb", "Thanksgiving", lt(nyc, "2026-11-25 09:00"), "2bd", lt(nyc, "2026-11-27 17:00")},
		{"controlup", "24:00 end", lt(time.UTC, "2026-11-13 23:30"), "1bh", lt(time.UTC, "2026-11-16 06:30")},
		{"controlup", "24:00 end, exactly", lt(time.UTC, "2026-11-13 22:00"), "2bh", lt(time.UTC, "2026-11-14 00:00")},
		{"controlup", "one business day is 18h", lt(time.UTC, "2026-11-11 06:00"), "1bd", lt(time.UTC, "2026-11-12 00:00")},
		{"247", "24/7 over the 25-hour day", lt(ams, "2026-10-24 12:00"), "24bh", lt(ams, "2026-10-25 11:00")},
		{"247", "24/7 over the 23-hour day", lt(ams, "2026-03-28 12:00"), "24bh", lt(ams, "2026-03-29 13:00")},
		{"247", "1bd is 24 hours of elapsed time", lt(ams, "2026-10-25 00:00"), "1bd", lt(ams, "2026-10-25 23:00")},
		{"nightAms", "spring-forward night is 3h", lt(ams, "2026-03-29 01:00"), "3bh", lt(ams, "2026-03-29 05:00")},
		{"nightAms", "spring-forward night: 4bh runs into the next", lt(ams, "2026-03-29 01:00"), "4bh", lt(ams, "2026-03-30 02:00")},
		{"nightAms", "fall-back night is 5h", lt(ams, "2026-10-25 01:00"), "5bh", lt(ams, "2026-10-25 05:00")},
		{"nightAms", "fall-back night, into the repeated hour", lt(ams, "2026-10-25 01:00"), "1.5bh", ts("2026-10-25T02:30:00+02:00")},
		{"nightAms", "fall-back night, the second pass", lt(ams, "2026-10-25 01:00"), "2.5bh", ts("2026-10-25T02:30:00+01:00")},
		{"nightNYC", "spring-forward night is 3h", lt(nyc, "2026-03-08 01:00"), "3bh", lt(nyc, "2026-03-08 05:00")},
		{"nightNYC", "fall-back night is 5h", lt(nyc, "2026-11-01 00:30"), "5bh", lt(nyc, "2026-11-01 05:00")},
	} {
		c := cals[tc.cal]
		got := c.Add(tc.from, dur(tc.d))
		if !got.Equal(tc.want) {
			t.Errorf("%s: %s: %v + %s = %v, want %v", tc.cal, tc.name, tc.from, tc.d, got, tc.want)
		}
		if got.Location() != c.Location {
			t.Errorf("%s: %s: result in %v, want %v", tc.cal, tc.name, got.Location(), c.Location)
		}
		if d := dur(tc.d); d.Unit != Wall && !got.Equal(Never) {
			if b := c.Between(tc.from, got); b != c.Amount(d) {
				t.Errorf("%s: %s: Between(from, Add(from, %s)) = %v, want %v", tc.cal, tc.name, tc.d, b, c.Amount(d))
			}
		}
	}
}

func TestBetween(t *testing.T) {
	cals := map[string]*Calendar{
		"ultimo":    mustNew(t, ultimo),
		"openweb":   mustNew(t, openweb),
		"controlup": mustNew(t, controlup),
		"247":       mustNew(t, always247),
		"247nyc":    mustNew(t, Spec{Timezone: "America/New_York", Days: allDays, Hours: "00:00-24:00"}),
		"nightAms":  mustNew(t, nightAms),
		"nightNYC":  mustNew(t, nightNYC),
		// Hours that start or end inside the skipped or repeated hour.
		"lateAms": mustNew(t, Spec{Timezone: "Europe/Amsterdam", Days: allDays, Hours: "02:30-05:00"}),
		"lateNYC": mustNew(t, Spec{Timezone: "America/New_York", Days: allDays, Hours: "02:30-05:00"}),
		"halfNYC": mustNew(t, Spec{Timezone: "America/New_York", Days: allDays, Hours: "01:30-05:00"}),
		"endAms":  mustNew(t, Spec{Timezone: "Europe/Amsterdam", Days: allDays, Hours: "00:00-02:30"}),
	}
	h := time.Hour
	for _, tc := range []struct {
		cal, name string
		from, to  time.Time
		want      time.Duration
	}{
		{"ultimo", "Friday 16:30 to Monday 10:00", lt(ams, "2026-11-13 16:30"), lt(ams, "2026-11-16 10:00"), 2 * h},
		{"ultimo", "a week", lt(ams, "2026-11-09 00:00"), lt(ams, "2026-11-16 00:00"), 42*h + 30*time.Minute},
		{"ultimo", "one day", lt(ams, "2026-11-11 00:00"), lt(ams, "2026-11-12 00:00"), 8*h + 30*time.Minute},
		{"ultimo", "inside a day", lt(ams, "2026-11-11 10:00"), lt(ams, "2026-11-11 11:15"), 75 * time.Minute},
		{"ultimo", "outside hours", lt(ams, "2026-11-11 17:00"), lt(ams, "2026-11-12 08:30"), 0},
		{"ultimo", "a weekend", lt(ams, "2026-11-13 17:00"), lt(ams, "2026-11-16 08:30"), 0},
		{"ultimo", "Christmas week", lt(ams, "2026-12-21 00:00"), lt(ams, "2026-12-28 00:00"), 4 * (8*h + 30*time.Minute)},
		{"ultimo", "the year 2026: 260 working days", lt(ams, "2026-01-01 00:00"), lt(ams, "2027-01-01 00:00"), 260 * (8*h + 30*time.Minute)},
		{"ultimo", "empty", lt(ams, "2026-11-11 10:00"), lt(ams, "2026-11-11 10:00"), 0},
		{"ultimo", "backwards", lt(ams, "2026-11-11 12:00"), lt(ams, "2026-11-11 10:00"), 0},
		{"openweb", "November 2026 (Thanksgiving, DST)", lt(nyc, "2026-11-01 00:00"), lt(nyc, "2026-12-01 00:00"), 20 * 8 * h},
		{"controlup", "Friday 23:00 to Monday 07:00", lt(time.UTC, "2026-11-13 23:00"), lt(time.UTC, "2026-11-16 07:00"), 2 * h},
		{"247", "25-hour day", lt(ams, "2026-10-25 00:00"), lt(ams, "2026-10-26 00:00"), 25 * h},
		{"247", "23-hour day", lt(ams, "2026-03-29 00:00"), lt(ams, "2026-03-30 00:00"), 23 * h},
		{"247", "the year 2026", lt(ams, "2026-01-01 00:00"), lt(ams, "2027-01-01 00:00"), 8760 * h},
		{"247", "October 2026 has 745 hours", lt(ams, "2026-10-01 00:00"), lt(ams, "2026-11-01 00:00"), 745 * h},
		{"247nyc", "25-hour day", lt(nyc, "2026-11-01 00:00"), lt(nyc, "2026-11-02 00:00"), 25 * h},
		{"247nyc", "23-hour day", lt(nyc, "2026-03-08 00:00"), lt(nyc, "2026-03-09 00:00"), 23 * h},
		{"nightAms", "spring night", lt(ams, "2026-03-29 00:00"), lt(ams, "2026-03-30 00:00"), 3 * h},
		{"nightAms", "autumn night", lt(ams, "2026-10-25 00:00"), lt(ams, "2026-10-26 00:00"), 5 * h},
		{"nightAms", "autumn night, from the second 02:00", ts("2026-10-25T02:00:00+01:00"), lt(ams, "2026-10-26 00:00"), 3 * h},
		{"nightAms", "a normal night", lt(ams, "2026-10-26 00:00"), lt(ams, "2026-10-27 00:00"), 4 * h},
		{"nightNYC", "spring night", lt(nyc, "2026-03-08 00:00"), lt(nyc, "2026-03-09 00:00"), 3 * h},
		{"nightNYC", "autumn night", lt(nyc, "2026-11-01 00:00"), lt(nyc, "2026-11-02 00:00"), 5 * h},
		// 02:30 does not exist on 2026-03-29 in Amsterdam: work starts when
		// the clock jumps to 03:00. On 2026-10-25 02:30 is shown twice:
		// work starts at the first.
		{"lateAms", "opening time skipped", lt(ams, "2026-03-29 00:00"), lt(ams, "2026-03-30 00:00"), 2 * h},
		{"lateAms", "opening time repeated", lt(ams, "2026-10-25 00:00"), lt(ams, "2026-10-26 00:00"), 3*h + 30*time.Minute},
		{"lateNYC", "opening time skipped", lt(nyc, "2026-03-08 00:00"), lt(nyc, "2026-03-09 00:00"), 2 * h},
		{"halfNYC", "opening time repeated", lt(nyc, "2026-11-01 00:00"), lt(nyc, "2026-11-02 00:00"), 4*h + 30*time.Minute},
		{"endAms", "closing time skipped", lt(ams, "2026-03-29 00:00"), lt(ams, "2026-03-30 00:00"), 2 * h},
		{"endAms", "closing time repeated", lt(ams, "2026-10-25 00:00"), lt(ams, "2026-10-26 00:00"), 2*h + 30*time.Minute},
	} {
		c := cals[tc.cal]
		if got := c.Between(tc.from, tc.to); got != tc.want {
			t.Errorf("%s: %s: Between(%v, %v) = %v, want %v", tc.cal, tc.name, tc.from, tc.to, got, tc.want)
		}
		var sum time.Duration
		for _, iv := range c.WorkingIntervals(tc.from, tc.to) {
			sum += iv.Duration()
		}
		if sum != tc.want {
			t.Errorf("%s: %s: WorkingIntervals sum to %v, want %v", tc.cal, tc.name, sum, tc.want)
		}
	}
}

func TestWorkingIntervals(t *testing.T) {
	c := mustNew(t, ultimo)
	got := c.WorkingIntervals(lt(ams, "2026-12-24 12:00"), lt(ams, "2026-12-29 10:00"))
	want := []Interval{
		{lt(ams, "2026-12-24 12:00"), lt(ams, "2026-12-24 17:00")},
		{lt(ams, "2026-12-28 08:30"), lt(ams, "2026-12-28 17:00")},
		{lt(ams, "2026-12-29 08:30"), lt(ams, "2026-12-29 10:00")},
	}
	if !sameIntervals(got, want) {
		t.Errorf("WorkingIntervals = %v, want %v", got, want)
	}
	// Touching 24-hour days are one interval.
	c = mustNew(t, Spec{Timezone: "Europe/Amsterdam", Days: []string{"sat", "sun"}, Hours: "00:00-24:00"})
	got = c.WorkingIntervals(lt(ams, "2026-10-19 00:00"), lt(ams, "2026-11-02 00:00"))
	want = []Interval{
		{lt(ams, "2026-10-24 00:00"), lt(ams, "2026-10-26 00:00")},
		{lt(ams, "2026-10-31 00:00"), lt(ams, "2026-11-02 00:00")},
	}
	if !sameIntervals(got, want) || got[0].Duration() != 49*time.Hour {
		t.Errorf("WorkingIntervals = %v, want %v", got, want)
	}
	if got := c.WorkingIntervals(lt(ams, "2026-10-24 00:00"), lt(ams, "2026-10-24 00:00")); got != nil {
		t.Errorf("empty range: %v", got)
	}
	got = Always().WorkingIntervals(lt(ams, "2026-10-24 00:00"), lt(ams, "2026-10-26 00:00"))
	if len(got) != 1 || got[0].Duration() != 49*time.Hour || got[0].Start.Location() != time.UTC {
		t.Errorf("Always: %v", got)
	}
}

func sameIntervals(a, b []Interval) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Start.Equal(b[i].Start) || !a[i].End.Equal(b[i].End) {
			return false
		}
	}
	return true
}

func TestAlwaysAndNil(t *testing.T) {
	from, to := lt(ams, "2026-10-24 12:00"), lt(ams, "2026-10-26 12:00")
	for name, c := range map[string]*Calendar{"Always": Always(), "nil": nil} {
		if got := c.Between(from, to); got != 49*time.Hour {
			t.Errorf("%s: Between = %v", name, got)
		}
		if got := c.Add(from, dur("49bh")); !got.Equal(to) {
			t.Errorf("%s: Add = %v", name, got)
		}
		if got := c.Add(from, dur("2bd")); !got.Equal(from.Add(48 * time.Hour)) {
			t.Errorf("%s: Add 2bd = %v", name, got)
		}
		if !c.IsWorking(from) || !c.NextWorking(from).Equal(from) || c.DayLength() != 24*time.Hour {
			t.Errorf("%s: not 24/7", name)
		}
	}
	// Always hands out copies.
	a := Always()
	a.Days[time.Sunday] = false
	if !Always().Days[time.Sunday] || !(*Calendar)(nil).IsWorking(lt(ams, "2026-10-25 12:00")) {
		t.Error("Always is shared")
	}
}

func TestAmount(t *testing.T) {
	c := mustNew(t, ultimo)
	for _, tc := range []struct {
		d    Duration
		want time.Duration
	}{
		{dur("2bh"), 2 * time.Hour},
		{dur("5bd"), 42*time.Hour + 30*time.Minute},
		{dur("0.1bd"), 51 * time.Minute},
		{dur("90m"), 90 * time.Minute},
		{Duration{Unit: BusinessHours, D: -time.Hour}, 0},
		{Duration{Unit: BusinessDays, Days: -1}, 0},
		{Duration{Unit: BusinessDays, Days: math.NaN()}, 0},
		{Duration{Unit: BusinessDays, Days: math.Inf(1)}, math.MaxInt64},
		{Duration{Unit: BusinessDays, Days: 1e12}, math.MaxInt64},
	} {
		if got := c.Amount(tc.d); got != tc.want {
			t.Errorf("Amount(%+v) = %v, want %v", tc.d, got, tc.want)
		}
	}
	if got := c.Add(lt(ams, "2026-11-11 12:00"), Duration{Unit: BusinessHours, D: -time.Hour}); !got.Equal(lt(ams, "2026-11-11 12:00")) {
		t.Errorf("negative business time moved the start: %v", got)
	}
}

func TestNever(t *testing.T) {
	start := lt(ams, "2026-11-11 12:00")
	// No working days at all: only a Calendar built by hand can be so.
	none := &Calendar{Location: ams, Open: 9 * time.Hour, Close: 17 * time.Hour}
	if got := none.Add(start, dur("1bh")); !got.Equal(Never) {
		t.Errorf("Add on a calendar without days = %v", got)
	}
	if got := none.NextWorking(start); !got.Equal(Never) {
		t.Errorf("NextWorking on a calendar without days = %v", got)
	}
	if none.IsWorking(start) || none.Between(start, start.AddDate(1, 0, 0)) != 0 {
		t.Error("a calendar without days works")
	}
	// Every Sunday a holiday for 25 years.
	sundays := mustNew(t, Spec{Days: []string{"sun"}})
	for d := (Date{2026, 11, 15}); d.Year < 2052; d = d.AddDays(7) {
		sundays.Holidays[d] = true
	}
	if got := sundays.Add(start, dur("1bh")); !got.Equal(Never) {
		t.Errorf("Add when all days are holidays = %v", got)
	}
	if got := sundays.NextWorking(start); !got.Equal(Never) {
		t.Errorf("NextWorking when all days are holidays = %v", got)
	}
	// Within the limit, it is found.
	delete(sundays.Holidays, Date{2040, 11, 18})
	if got := sundays.NextWorking(start); !got.Equal(lt(time.UTC, "2040-11-18 09:00")) {
		t.Errorf("NextWorking = %v", got)
	}
	// A deadline past the year 9999.
	tiny := mustNew(t, Spec{Days: []string{"mon"}, Hours: "00:00-00:01"})
	if got := tiny.Add(start, Duration{Unit: BusinessHours, D: MaxBusinessHours}); !got.Equal(Never) {
		t.Errorf("Add beyond 9999 = %v", got)
	}
	if got := Always().Add(ts("9999-12-31T00:00:00Z"), dur("48bh")); !got.Equal(Never) {
		t.Errorf("Always: Add beyond 9999 = %v", got)
	}
}

// TestAtBruteForce checks the instant a wall-clock time names against a
// minute-by-minute scan for the first moment the local clock reads it or
// later, on DST-change days in zones east and west of UTC.
func TestAtBruteForce(t *testing.T) {
	for _, tc := range []struct {
		loc  *time.Location
		days []Date
	}{
		{ams, []Date{{2026, 3, 29}, {2026, 10, 25}, {2026, 3, 28}, {2026, 10, 24}}},
		{nyc, []Date{{2026, 3, 8}, {2026, 11, 1}, {2026, 3, 7}, {2026, 10, 31}}},
		{lhi, []Date{{2026, 4, 5}, {2026, 10, 4}}},
		{mustLoc("America/Havana"), []Date{{2026, 3, 8}, {2026, 11, 1}}}, // changes at midnight
		{mustLoc("Pacific/Apia"), []Date{{2011, 12, 29}, {2011, 12, 30}, {2011, 12, 31}}},
	} {
		c := &Calendar{Location: tc.loc}
		for _, d := range tc.days {
			for off := time.Duration(0); off <= 24*time.Hour; off += 15 * time.Minute {
				want := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Add(off)
				u := want.Add(-16 * time.Hour)
				for wallOf(u.In(tc.loc)).Before(want) {
					u = u.Add(time.Minute)
				}
				if got := c.at(d, off); !got.Equal(u) {
					t.Errorf("%v %v +%v: at = %v, want %v", tc.loc, d, off, got, u.In(tc.loc))
				}
			}
		}
	}
}

// randomCalendar returns a calendar with random days, hours on a 15-minute
// grid and a few holidays, in one of the zones.
func randomCalendar(r *rand.Rand, locs []*time.Location) *Calendar {
	c := &Calendar{Location: locs[r.IntN(len(locs))], Holidays: map[Date]bool{}}
	for !(c.Days != [7]bool{}) {
		for i := range c.Days {
			c.Days[i] = r.IntN(3) > 0
		}
	}
	q := 15 * time.Minute
	if r.IntN(5) == 0 {
		c.Open, c.Close = 0, 24*time.Hour
	} else {
		c.Open = time.Duration(r.IntN(95)) * q
		c.Close = c.Open + time.Duration(1+r.IntN(96-int(c.Open/q)))*q
	}
	for range r.IntN(4) {
		c.Holidays[Date{2026, time.Month(1 + r.IntN(12)), 1 + r.IntN(28)}] = true
	}
	return c
}

// TestBetweenBruteForce compares Between with a sum over 15-minute steps
// of IsWorking, for random calendars and ranges around DST changes.
func TestBetweenBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	locs := []*time.Location{ams, nyc, lhi, time.UTC}
	anchors := []time.Time{ts("2026-03-08T07:00:00Z"), ts("2026-03-29T01:00:00Z"), ts("2026-10-25T01:00:00Z"),
		ts("2026-11-01T06:00:00Z"), ts("2026-04-04T15:00:00Z"), ts("2026-12-24T12:00:00Z")}
	q := 15 * time.Minute
	n := 60
	if testing.Short() {
		n = 10
	}
	for i := range n {
		c := randomCalendar(r, locs)
		if i%4 == 0 {
			c.Holidays[Date{2026, 3, 29}] = true
			c.Holidays[Date{2026, 10, 26}] = true
		}
		a := anchors[r.IntN(len(anchors))]
		from := a.Add(time.Duration(r.IntN(4*24*5)-4*24*3) * q)
		to := from.Add(time.Duration(r.IntN(4*24*6)) * q)
		var want time.Duration
		for u := from; u.Before(to); u = u.Add(q) {
			if c.IsWorking(u) {
				want += q
			}
		}
		if got := c.Between(from, to); got != want {
			t.Errorf("%v: Between(%v, %v) = %v, brute force %v", c, from, to, got, want)
		}
	}
}

// TestAddBetweenInverse: for random starts and business durations,
// Between(t, Add(t, d)) == Amount(d), the deadline is the earliest such
// moment, and adding in two steps is adding once.
func TestAddBetweenInverse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cals := []*Calendar{
		mustNew(t, ultimo), mustNew(t, openweb), mustNew(t, controlup), mustNew(t, always247),
		mustNew(t, nightAms), mustNew(t, nightNYC),
		mustNew(t, Spec{Timezone: "Australia/Lord_Howe", Days: []string{"sat", "sun"}, Hours: "01:30-03:15", Holidays: []string{"2026-10-04"}}),
	}
	for range 3 {
		cals = append(cals, randomCalendar(r, []*time.Location{ams, nyc, lhi}))
	}
	base := ts("2026-01-01T00:00:00Z")
	n := 400
	if testing.Short() {
		n = 50
	}
	for i := range n {
		c := cals[i%len(cals)]
		start := base.Add(time.Duration(r.Int64N(int64(2 * 365 * 24 * time.Hour))))
		var d Duration
		switch r.IntN(3) {
		case 0:
			d = Duration{Unit: BusinessHours, D: time.Duration(r.Int64N(int64(100 * time.Hour)))}
		case 1:
			d = Duration{Unit: BusinessDays, Days: float64(r.IntN(40))}
		default:
			d = Duration{Unit: BusinessDays, Days: r.Float64() * 20}
		}
		end := c.Add(start, d)
		if got := c.Between(start, end); got != c.Amount(d) {
			t.Fatalf("%v: Between(%v, Add(%v, %v) = %v) = %v, want %v", c, start, start, d, end, got, c.Amount(d))
		}
		if c.Amount(d) == 0 {
			continue
		}
		if end.Before(start) || c.Between(start, end.Add(-time.Nanosecond)) >= c.Amount(d) {
			t.Fatalf("%v: Add(%v, %v) = %v is not the earliest deadline", c, start, d, end)
		}
		if !c.IsWorking(end.Add(-time.Nanosecond)) {
			t.Fatalf("%v: Add(%v, %v) = %v: the last nanosecond before it is not working time", c, start, d, end)
		}
		a := Duration{Unit: BusinessHours, D: 1 + time.Duration(r.Int64N(int64(c.Amount(d))))}
		b := Duration{Unit: BusinessHours, D: c.Amount(d) - a.D}
		if two := c.Add(c.Add(start, a), b); !two.Equal(end) {
			t.Fatalf("%v: Add(Add(%v, %v), %v) = %v, Add(%v, %v) = %v", c, start, a, b, two, start, d, end)
		}
	}
}

// TestLongSpans checks the week-skipping paths of Between and Add against
// WorkingIntervals, which walks every day, over spans of up to a year and a
// half that cross DST changes and holidays.
func TestLongSpans(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	locs := []*time.Location{ams, nyc, lhi, time.UTC}
	cals := []*Calendar{mustNew(t, ultimo), mustNew(t, nightAms), mustNew(t, nightNYC),
		mustNew(t, Spec{Timezone: "Europe/Amsterdam", Days: allDays, Hours: "00:00-24:00", Holidays: []string{"2026-12-25"}})}
	for range 8 {
		c := randomCalendar(r, locs)
		c.Days = [7]bool{true, true, true, true, true, true, true} // work on DST-change Sundays
		cals = append(cals, c)
	}
	n := 40
	if testing.Short() {
		n = 8
	}
	for i := range n {
		c := cals[i%len(cals)]
		from := ts("2026-01-01T00:00:00Z").Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		to := from.Add(time.Duration(r.Int64N(int64(550 * 24 * time.Hour))))
		ivs := c.WorkingIntervals(from, to)
		var want time.Duration
		for _, iv := range ivs {
			want += iv.Duration()
		}
		if got := c.Between(from, to); got != want {
			t.Fatalf("%v: Between(%v, %v) = %v, WorkingIntervals sum to %v", c, from, to, got, want)
		}
		if want == 0 {
			continue
		}
		// The deadline for a random part of that time, walked by hand.
		left := 1 + time.Duration(r.Int64N(int64(want)))
		d := Duration{Unit: BusinessHours, D: left}
		var walk time.Time
		for _, iv := range ivs {
			if left <= iv.Duration() {
				walk = iv.Start.Add(left)
				break
			}
			left -= iv.Duration()
		}
		if got := c.Add(from, d); !got.Equal(walk) {
			t.Fatalf("%v: Add(%v, %v) = %v, walked %v", c, from, d, got, walk)
		}
	}
}
