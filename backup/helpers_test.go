package backup

import (
	"testing"
	"time"
	_ "time/tzdata" // Europe/Amsterdam without /usr/share/zoneinfo
)

var ams = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// ts parses an RFC 3339 time; the offset in it says which instant it is.
func ts(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad time %q: %v", s, err)
	}
	return v
}

// local is a wall-clock time in loc.
func local(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

// every returns successful backups at from, from+step, … up to and
// including to.
func every(from, to time.Time, step time.Duration) []Record {
	var rs []Record
	for t := from; !t.After(to); t = t.Add(step) {
		rs = append(rs, Record{Time: t, Success: true, Kind: "incremental"})
	}
	return rs
}

// ok is a successful backup at t.
func ok(t time.Time) Record { return Record{Time: t, Success: true} }

// failed is a failed backup at t.
func failed(t time.Time) Record { return Record{Time: t} }

// without drops the records in [from, to).
func without(rs []Record, from, to time.Time) []Record {
	var out []Record
	for _, r := range rs {
		if !r.Time.Before(from) && r.Time.Before(to) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func join(parts ...[]Record) []Record {
	var out []Record
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func eqTime(a *time.Time, b time.Time) bool { return a != nil && a.Equal(b) }

func fmtTime(p *time.Time) string {
	if p == nil {
		return "null"
	}
	return p.Format(time.RFC3339)
}

func fmtFloat(p *float64) any {
	if p == nil {
		return "null"
	}
	return *p
}

// ultimo is the Ultimo scheme: RPO 1 h, point in time over the last seven
// days, weekly over the previous four weeks, monthly for the previous three
// months, in Europe/Amsterdam.
var ultimo = Policy{
	RPO:       time.Hour,
	Retention: Retention{PointInTime: 7 * 24 * time.Hour, Weekly: 4, Monthly: 3},
	Location:  ams,
}
