package uptime

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests name zones; do not depend on the host's database
)

var (
	amsterdam = mustLoc("Europe/Amsterdam")
	newYork   = mustLoc("America/New_York")
)

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// tm is a wall-clock time in loc.
func tm(loc *time.Location, y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, loc)
}

func iv(a, b time.Time) Interval { return Interval{Start: a, End: b} }

// always is a monitored span that covers every test period.
var always = []Interval{iv(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))}

const hour = 3600.0

func eqTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.Format(time.RFC3339), want.Format(time.RFC3339))
	}
}
