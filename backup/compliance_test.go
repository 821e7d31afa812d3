package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

func TestRPOCompliance(t *testing.T) {
	const h, day = time.Hour, 24 * time.Hour
	from, to := ts(t, "2026-10-01T00:00:00Z"), ts(t, "2026-11-01T00:00:00Z")
	month := to.Sub(from) // 744 h
	hourly := every(from, to.Add(-h), h)
	at := func(d, hh int) time.Time { return time.Date(2026, 10, d, hh, 0, 0, 0, time.UTC) }
	// Hourly with the 11:00 and 12:00 backups of 10 October missing: a
	// 3-hour hole from 10:00 to 13:00, of which the first hour is within
	// a 1 h RPO.
	hole := without(hourly, at(10, 11), at(10, 13))

	tests := []struct {
		name    string
		records []Record
		rpo     time.Duration
		from    time.Time
		to      time.Time
		want    Compliance
	}{
		{"steady hourly, rpo 1h: 100%", hourly, h, from, to,
			Compliance{Counted: month, WithinRPO: month, WorstAge: h, HasBackup: true, Backups: 744}},
		{"records at and after to are ignored", every(from, to.Add(48*h), h), h, from, to,
			Compliance{Counted: month, WithinRPO: month, WorstAge: h, HasBackup: true, Backups: 744}},
		{"a 3-hour hole", hole, h, from, to,
			Compliance{Counted: month, WithinRPO: month - (3*h - h), WorstAge: 3 * h, HasBackup: true, Backups: 742}},
		{"failures ignored in the age but counted",
			join(hole, []Record{failed(at(10, 11)), failed(at(10, 12).Add(30 * time.Minute))}), h, from, to,
			Compliance{Counted: month, WithinRPO: month - 2*h, WorstAge: 3 * h, HasBackup: true, Backups: 742, Failures: 2}},
		{"a failure before from is not counted", join(hourly, []Record{failed(from.Add(-time.Second))}), h, from, to,
			Compliance{Counted: month, WithinRPO: month, WorstAge: h, HasBackup: true, Backups: 744}},
		{"no backup before from: outside until the first, worst age from it on",
			every(from.Add(5*h), to.Add(-h), h), h, from, to,
			Compliance{Counted: month, WithinRPO: month - 5*h, WorstAge: h, HasBackup: true, Backups: 739}},
		{"one backup exactly at from", []Record{ok(from)}, day, from, to,
			Compliance{Counted: month, WithinRPO: day, WorstAge: month, HasBackup: true, Backups: 1}},
		{"one backup before from only", []Record{ok(from.Add(-2 * h))}, h, from, to,
			Compliance{Counted: month, WorstAge: month + 2*h, HasBackup: true}},
		{"the backup before from carries into the period", []Record{ok(from.Add(-30 * time.Minute)), ok(from.Add(2 * h))}, h, from, to,
			Compliance{Counted: month, WithinRPO: 30*time.Minute + h, WorstAge: month - 2*h, HasBackup: true, Backups: 1}},
		{"worst age at the period's end: daily until the 20th", every(from, at(20, 0), day), day, from, to,
			Compliance{Counted: month, WithinRPO: 20 * day, WorstAge: 12 * day, HasBackup: true, Backups: 20}},
		{"worst age just before a late backup", []Record{ok(at(1, 0)), ok(at(3, 0)), ok(at(31, 23))}, day, from, to,
			Compliance{Counted: month, WithinRPO: day + day + h, WorstAge: 28*day + 23*h, HasBackup: true, Backups: 3}},
		{"no backup at all", nil, h, from, to, Compliance{Counted: month}},
		{"only failures", []Record{failed(at(2, 0)), failed(at(3, 0))}, h, from, to, Compliance{Counted: month, Failures: 2}},
		{"a backup exactly at to is after the period", []Record{ok(to)}, h, from, to, Compliance{Counted: month}},
		{"duplicate times", []Record{ok(at(1, 0)), ok(at(1, 0)), ok(at(1, 1)), ok(at(1, 1))}, h, from, at(1, 3),
			Compliance{Counted: 3 * h, WithinRPO: 2 * h, WorstAge: 2 * h, HasBackup: true, Backups: 4}},
		{"no RPO: nothing within, the rest measured", hole, 0, from, to,
			Compliance{Counted: month, WorstAge: 3 * h, HasBackup: true, Backups: 742}},
		{"exact to the nanosecond", []Record{ok(from.Add(-h + time.Nanosecond))}, h, from, from.Add(h),
			Compliance{Counted: h, WithinRPO: time.Nanosecond, WorstAge: 2*h - time.Nanosecond, HasBackup: true}},
		{"empty period", hourly, h, at(5, 0), at(5, 0), Compliance{}},
		{"reversed period", hourly, h, at(6, 0), at(5, 0), Compliance{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RPOCompliance(tc.records, tc.rpo, tc.from, tc.to); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A month in Europe/Amsterdam is 745 hours in October: compliance counts
// instants, whatever the zone of the bounds or the records.
func TestRPOComplianceZones(t *testing.T) {
	from, to := local(ams, 2026, time.October, 1, 0, 0), local(ams, 2026, time.November, 1, 0, 0)
	rs := every(from.UTC(), to.UTC(), time.Hour)
	for i := range rs {
		if i%2 == 0 {
			rs[i].Time = rs[i].Time.In(ams)
		}
	}
	c := RPOCompliance(rs, time.Hour, from, to)
	if c.Counted != 745*time.Hour || c.WithinRPO != c.Counted || c.Backups != 745 || c.WorstAge != time.Hour {
		t.Errorf("%+v", c)
	}
	// Monotonic clock readings do not matter.
	now := time.Now()
	c = RPOCompliance([]Record{ok(now.Add(-time.Minute))}, time.Hour, now.Add(-time.Hour), now)
	if c.WithinRPO != time.Minute || c.WorstAge != time.Minute || c.Backups != 1 {
		t.Errorf("monotonic: %+v", c)
	}
}

func TestRPOComplianceUnsortedNotMutated(t *testing.T) {
	from, to := ts(t, "2026-10-01T00:00:00Z"), ts(t, "2026-10-08T00:00:00Z")
	rs := join(every(from.Add(-3*time.Hour), to, 45*time.Minute), []Record{failed(from.Add(time.Hour))})
	rs = without(rs, from.Add(30*time.Hour), from.Add(37*time.Hour))
	want := RPOCompliance(rs, time.Hour, from, to)
	shuffled := slices.Clone(rs)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	before := slices.Clone(shuffled)
	if got := RPOCompliance(shuffled, time.Hour, from, to); got != want {
		t.Errorf("shuffled %+v, sorted %+v", got, want)
	}
	if !slices.EqualFunc(shuffled, before, func(a, b Record) bool { return a == b }) {
		t.Error("records were modified")
	}
	// And with enough records for the radix sort.
	many := every(from.Add(-time.Hour), to, time.Minute)
	want = RPOCompliance(many, 30*time.Minute, from, to)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(many), func(i, j int) { many[i], many[j] = many[j], many[i] })
	if got := RPOCompliance(many, 30*time.Minute, from, to); got != want || want.WithinRPO != want.Counted {
		t.Errorf("radix: %+v, want %+v", got, want)
	}
}

// TestRPOComplianceBruteForce checks the interval arithmetic against a
// second-by-second walk: with records on whole seconds, the age over the
// second [s, s+1) rises to s+1 − b, so that second is within the RPO
// exactly when s+1 − b ≤ rpo.
func TestRPOComplianceBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	base := ts(t, "2026-10-01T00:00:00Z")
	for trial := range 300 {
		span := 1 + rng.IntN(4000)
		from := base.Add(time.Duration(rng.IntN(600)) * time.Second)
		to := from.Add(time.Duration(span) * time.Second)
		rpo := time.Duration(rng.IntN(900)) * time.Second
		var rs []Record
		for range rng.IntN(30) {
			r := Record{Time: base.Add(time.Duration(rng.IntN(5200)) * time.Second), Success: rng.IntN(4) > 0}
			rs = append(rs, r)
		}
		var want Compliance
		want.Counted = to.Sub(from)
		for s := from; s.Before(to); s = s.Add(time.Second) {
			var newest *time.Time
			for _, r := range rs {
				if r.Success && !r.Time.After(s) && (newest == nil || r.Time.After(*newest)) {
					newest = &r.Time
				}
			}
			if newest == nil {
				continue
			}
			want.HasBackup = true
			age := s.Add(time.Second).Sub(*newest)
			want.WorstAge = max(want.WorstAge, age)
			if age <= rpo {
				want.WithinRPO += time.Second
			}
		}
		for _, r := range rs {
			if !r.Time.Before(from) && r.Time.Before(to) {
				if r.Success {
					want.Backups++
				} else {
					want.Failures++
				}
			}
		}
		if got := RPOCompliance(rs, rpo, from, to); got != want {
			t.Fatalf("trial %d (rpo %s, [%s, %s), %d records): got %+v, want %+v", trial, rpo,
				from.Format(time.TimeOnly), to.Format(time.TimeOnly), len(rs), got, want)
		}
	}
}

func TestComplianceLine(t *testing.T) {
	const h = time.Hour
	month := 744 * h
	c := Compliance{Counted: month, WithinRPO: month - 2*h, WorstAge: 3 * h, HasBackup: true, Backups: 742, Failures: 1}
	failing := Status{Met: false, State: StateFailing}
	unknown := Status{Met: true, State: StateOK}.WithError(errors.New("restic: repository is locked"))
	good := Status{Met: true, State: StateOK}

	l := c.Line("portal-db", h, &failing)
	if l.Set != "portal-db" || *l.RPOSeconds != 3600 || l.CountedSeconds != 2678400 || l.WithinRPOSeconds != 2671200 ||
		*l.CompliancePercent != 100*2671200.0/2678400 || *l.WorstAgeSeconds != 10800 || l.Backups != 742 || l.Failures != 1 ||
		l.Met == nil || *l.Met || l.State != StateFailing {
		t.Errorf("failing line %+v", l)
	}
	if l := c.Line("x", h, &unknown); l.Met != nil || l.State != StateUnknown {
		t.Errorf("unknown: met %v state %q", l.Met, l.State)
	}
	if l := c.Line("x", h, &good); l.Met == nil || !*l.Met || l.State != StateOK {
		t.Errorf("ok: met %v state %q", l.Met, l.State)
	}
	if l := c.Line("x", h, nil); l.Met != nil || l.State != "" {
		t.Errorf("no status: met %v state %q", l.Met, l.State)
	}
	if l := c.Line("x", 0, nil); l.RPOSeconds != nil || l.CompliancePercent != nil || l.WorstAgeSeconds == nil {
		t.Errorf("no RPO: %+v", l)
	}
	full := Compliance{Counted: month, WithinRPO: month, WorstAge: h, HasBackup: true}
	if l := full.Line("x", h, nil); *l.CompliancePercent != 100 {
		t.Errorf("full compliance %v", *l.CompliancePercent)
	}
	// A nanosecond outside the RPO in a year is still below 100 to
	// rendering, even where the float64 rounds to 100.
	year := 8760 * h
	nearly := Compliance{Counted: year, WithinRPO: year - time.Nanosecond, WorstAge: h, HasBackup: true}
	if l := nearly.Line("x", h, nil); *l.CompliancePercent > 100 {
		t.Errorf("compliance %v over 100", *l.CompliancePercent)
	}
	if l := (Compliance{}).Line("x", h, nil); l.CompliancePercent != nil || l.WorstAgeSeconds != nil || l.CountedSeconds != 0 {
		t.Errorf("empty: %+v", l)
	}
	never := Compliance{Counted: month}
	if l := never.Line("x", h, nil); l.WorstAgeSeconds != nil || l.CompliancePercent == nil || *l.CompliancePercent != 0 {
		t.Errorf("never backed up: %+v", l)
	}
}

// TestComplianceInReport is the worked example of docs/backups.md, "Backups
// in reports": it builds a month report's backup section the way a caller
// does (the status taken at the period's end) and renders it.
func TestComplianceInReport(t *testing.T) {
	now := ts(t, "2026-11-02T08:00:00Z")
	oct := uptime.MonthPeriod(2026, time.October, ams, now)
	c := oct.Counted(now)
	hourly := every(c.Start, c.End.Add(-time.Hour), time.Hour)
	hole := local(ams, 2026, time.October, 10, 11, 0)
	records := join(without(hourly, hole, hole.Add(2*time.Hour)), []Record{failed(hole)})
	p := Policy{RPO: time.Hour, Location: ams}

	comp := RPOCompliance(records, p.RPO, c.Start, c.End)
	st := Evaluate("portal-db", "customer-portal", records, p, c.End)
	line := comp.Line("portal-db", p.RPO, &st)
	if comp.Counted != 745*time.Hour || comp.WithinRPO != 743*time.Hour || comp.WorstAge != 3*time.Hour ||
		comp.Backups != 743 || comp.Failures != 1 || line.Met == nil || !*line.Met {
		t.Fatalf("%+v, met %v", comp, line.Met)
	}

	r := uptime.Account(uptime.Input{Service: "customer-portal", SLA: "ultimo-saas", Period: oct, Now: now,
		Policy: uptime.Policy{TargetPercent: 99.7}})
	r.Backups = append(r.Backups, line)
	var text, js bytes.Buffer
	if err := uptime.Render(&text, uptime.FormatText, []uptime.Report{r}, uptime.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	// 743 of 745 hours: 99.73154…%.
	if !strings.Contains(text.String(), "portal-db  1h   99.732%     2h           3h         743      1       MET") {
		t.Errorf("text:\n%s", text.String())
	}
	if err := uptime.Render(&js, uptime.FormatJSON, []uptime.Report{r}, uptime.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Backups []map[string]any `json:"backups"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Backups) != 1 ||
		back.Backups[0]["within_rpo_seconds"] != 743*3600.0 || back.Backups[0]["state"] != "ok" {
		t.Errorf("json %v: %v", err, back.Backups)
	}
}

func BenchmarkRPOComplianceYearMinutely(b *testing.B) {
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(-1, 0, 0)
	rs := every(from.Add(-time.Hour), to, 5*time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if c := RPOCompliance(rs, time.Hour, from, to); c.WithinRPO != c.Counted {
			b.Fatal(c)
		}
	}
}
