package uptime

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// figures are a report's numbers, for table tests.
type figures struct {
	period, excluded, eligible, downtime, unmonitored, measured, degraded float64
	uptime                                                                *float64 // nil: want null
	met                                                                   *bool
}

func pf(f float64) *float64 { return &f }
func pb(b bool) *bool       { return &b }

func (f figures) check(t *testing.T, r Report) {
	t.Helper()
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"period_seconds", r.PeriodSeconds, f.period},
		{"excluded_seconds", r.ExcludedSeconds, f.excluded},
		{"eligible_seconds", r.EligibleSeconds, f.eligible},
		{"downtime_seconds", r.DowntimeSeconds, f.downtime},
		{"unmonitored_seconds", r.UnmonitoredSeconds, f.unmonitored},
		{"measured_seconds", r.MeasuredSeconds, f.measured},
		{"degraded_seconds", r.DegradedSeconds, f.degraded},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	switch {
	case f.uptime == nil && r.UptimePercent != nil:
		t.Errorf("uptime_percent = %v, want null", *r.UptimePercent)
	case f.uptime != nil && r.UptimePercent == nil:
		t.Errorf("uptime_percent = null, want %v", *f.uptime)
	case f.uptime != nil && math.Abs(*r.UptimePercent-*f.uptime) > 1e-9:
		t.Errorf("uptime_percent = %v, want %v", *r.UptimePercent, *f.uptime)
	}
	switch {
	case f.uptime == nil && r.Met != nil:
		t.Errorf("met = %v, want null", *r.Met)
	case f.uptime != nil && r.Met == nil:
		t.Error("met = null with an uptime")
	case f.met != nil && (r.Met == nil || *r.Met != *f.met):
		t.Errorf("met = %v, want %v", r.Met, *f.met)
	}
}

// full is a complete month or year with nothing happening in it.
func full(period, excluded, downtime float64) figures {
	elig := period - excluded
	return figures{period: period, excluded: excluded, eligible: elig, downtime: downtime, measured: elig,
		uptime: pf(100 * (elig - downtime) / elig)}
}

func TestAccount(t *testing.T) {
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	oct := MonthPeriod(2026, time.October, amsterdam, later)
	nov := MonthPeriod(2026, time.November, time.UTC, later) // 30 days
	pol := Policy{TargetPercent: 99.7}
	day := func(d, h, m int) time.Time { return tm(amsterdam, 2026, 10, d, h, m) }
	nd := func(d, h, m int) time.Time { return tm(time.UTC, 2026, 11, d, h, m) }
	out := func(a, b time.Time) Outage { return Outage{Start: a, End: b, Cause: "status 503"} }
	mw := func(a, b time.Time) Window { return Window{Start: a, End: b, Source: SourceConfig} }
	novSec := 30 * 24 * hour

	weekly, err := RecurringWindows("", "0 2 * * SUN", 2*time.Hour, amsterdam, "patching", oct.Start, oct.End)
	if err != nil {
		t.Fatal(err)
	}
	late := Window{Start: day(10, 22, 0), End: day(11, 0, 0), Source: SourceAPI, AnnouncedAt: day(9, 22, 0)} // 24h notice
	fm := Outage{Start: day(5, 10, 0), End: day(5, 13, 0), Excluded: true, ExcludeReason: "datacenter flood", ExcludedBy: "alice"}

	cases := []struct {
		name string
		in   Input
		want figures
	}{
		{"October 2026 Amsterdam is 745 hours",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always},
			full(745*hour, 0, 0)},
		{"March 2026 Amsterdam is 743 hours",
			Input{Period: MonthPeriod(2026, time.March, amsterdam, later), Now: later, Policy: pol, Monitored: always},
			full(743*hour, 0, 0)},
		{"March 2026 New York is 743 hours",
			Input{Period: MonthPeriod(2026, time.March, newYork, later), Now: later, Policy: pol, Monitored: always},
			full(743*hour, 0, 0)},
		{"February 2028 is 29 days",
			Input{Period: MonthPeriod(2028, time.February, amsterdam, later), Now: later, Policy: pol, Monitored: always},
			full(29*24*hour, 0, 0)},
		{"February 2026 is 28 days",
			Input{Period: MonthPeriod(2026, time.February, amsterdam, later), Now: later, Policy: pol, Monitored: always},
			full(28*24*hour, 0, 0)},
		{"year 2028 is 8784 hours",
			Input{Period: YearPeriod(2028, amsterdam, later), Now: later, Policy: pol, Monitored: always},
			full(8784*hour, 0, 0)},
		{"outage across the September/October edge counts its October part",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always,
				Outages: []Outage{out(tm(amsterdam, 2026, 9, 30, 23, 0), day(1, 1, 0))}},
			full(745*hour, 0, hour)},
		{"outage across the October/November edge counts its October part",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always,
				Outages: []Outage{out(day(31, 23, 30), tm(amsterdam, 2026, 11, 1, 2, 0))}},
			full(745*hour, 0, hour/2)},
		{"overlapping outages count once",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always,
				Outages: []Outage{out(day(3, 10, 0), day(3, 12, 0)), out(day(3, 11, 0), day(3, 13, 0)), out(day(3, 12, 30), day(3, 12, 45))}},
			full(745*hour, 0, 3*hour)},
		{"overlapping windows count once; an outage counts only outside them",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always,
				Maintenance: []Window{mw(day(6, 1, 0), day(6, 3, 0)), mw(day(6, 2, 0), day(6, 4, 0))},
				Outages:     []Outage{out(day(6, 0, 0), day(6, 5, 0))}},
			full(745*hour, 3*hour, 2*hour)},
		{"weekly window across the DST change: 4 Sundays of 2 real hours",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always, Maintenance: weekly},
			full(745*hour, 8*hour, 0)},
		{"cancelled window is ignored",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always,
				Maintenance: []Window{{Start: day(6, 1, 0), End: day(6, 3, 0), Source: SourceCLI, CancelledAt: day(5, 0, 0)}},
				Outages:     []Outage{out(day(6, 2, 0), day(6, 3, 0))}},
			full(745*hour, 0, hour)},
		{"late window (24h notice, 48h needed) counts as ordinary time",
			Input{Period: oct, Now: later, Policy: Policy{TargetPercent: 99.7, MaintenanceNotice: 48 * time.Hour}, Monitored: always,
				Maintenance: []Window{late}, Outages: []Outage{out(day(10, 23, 0), day(11, 0, 30))}},
			full(745*hour, 0, 1.5*hour)},
		{"late window excluded with late_maintenance: exclude",
			Input{Period: oct, Now: later, Policy: Policy{TargetPercent: 99.7, MaintenanceNotice: 48 * time.Hour, LateMaintenance: LateExclude}, Monitored: always,
				Maintenance: []Window{late}, Outages: []Outage{out(day(10, 23, 0), day(11, 0, 30))}},
			full(745*hour, 2*hour, hour/2)},
		{"same window with 24h notice required is in time",
			Input{Period: oct, Now: later, Policy: Policy{TargetPercent: 99.7, MaintenanceNotice: 24 * time.Hour}, Monitored: always,
				Maintenance: []Window{late}, Outages: []Outage{out(day(10, 23, 0), day(11, 0, 30))}},
			full(745*hour, 2*hour, hour/2)},
		{"force majeure is excluded",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always, Outages: []Outage{fm}},
			full(745*hour, 3*hour, 0)},
		{"force majeure overlapping maintenance counts once",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always, Outages: []Outage{fm},
				Maintenance: []Window{mw(day(5, 12, 0), day(5, 14, 0))}},
			full(745*hour, 4*hour, 0)},
		{"the same outage without force majeure is downtime",
			Input{Period: oct, Now: later, Policy: pol, Monitored: always, Outages: []Outage{out(fm.Start, fm.End)}},
			full(745*hour, 0, 3*hour)},
		{"OpenWeb: 43.2 minutes down in a 30-day month is exactly 99.9%",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99.9}, Monitored: always,
				Outages: []Outage{out(nd(10, 3, 0), nd(10, 3, 0).Add(2592*time.Second))}},
			figures{period: novSec, eligible: novSec, downtime: 2592, measured: novSec, uptime: pf(99.9), met: pb(true)}},
		{"OpenWeb: one second more misses 99.9%",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99.9}, Monitored: always,
				Outages: []Outage{out(nd(10, 3, 0), nd(10, 3, 0).Add(2593*time.Second))}},
			figures{period: novSec, eligible: novSec, downtime: 2593, measured: novSec, uptime: pf(100 * (novSec - 2593) / novSec), met: pb(false)}},
		{"unmonitored: exclude (default) leaves it out of measured time",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99}, Outages: []Outage{out(nd(20, 0, 0), nd(20, 1, 0))},
				Monitored: []Interval{iv(nov.Start, nd(10, 0, 0)), iv(nd(10, 10, 0), nov.End)}},
			figures{period: novSec, eligible: novSec, downtime: hour, unmonitored: 10 * hour, measured: novSec - 10*hour,
				uptime: pf(100 * (novSec - 11*hour) / (novSec - 10*hour)), met: pb(true)}},
		{"unmonitored: up counts it as available",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99, Unmonitored: UnmonitoredUp}, Outages: []Outage{out(nd(20, 0, 0), nd(20, 1, 0))},
				Monitored: []Interval{iv(nov.Start, nd(10, 0, 0)), iv(nd(10, 10, 0), nov.End)}},
			figures{period: novSec, eligible: novSec, downtime: hour, unmonitored: 10 * hour, measured: novSec,
				uptime: pf(100 * (novSec - hour) / novSec), met: pb(true)}},
		{"unmonitored: down adds it to downtime",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99, Unmonitored: UnmonitoredDown}, Outages: []Outage{out(nd(20, 0, 0), nd(20, 1, 0))},
				Monitored: []Interval{iv(nov.Start, nd(10, 0, 0)), iv(nd(10, 10, 0), nov.End)}},
			figures{period: novSec, eligible: novSec, downtime: 11 * hour, unmonitored: 10 * hour, measured: novSec,
				uptime: pf(100 * (novSec - 11*hour) / novSec), met: pb(false)}},
		{"unmonitored time inside an outage or a window is not unmonitored",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99},
				Outages:     []Outage{out(nd(9, 23, 0), nd(10, 1, 0))},
				Maintenance: []Window{mw(nd(10, 9, 0), nd(10, 11, 0))},
				Monitored:   []Interval{iv(nov.Start, nd(10, 0, 0)), iv(nd(10, 10, 0), nov.End)}},
			figures{period: novSec, excluded: 2 * hour, eligible: novSec - 2*hour, downtime: 2 * hour, unmonitored: 8 * hour, measured: novSec - 10*hour,
				uptime: pf(100 * (novSec - 12*hour) / (novSec - 10*hour)), met: pb(true)}},
		{"degraded: up (default) is available",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99.9}, Monitored: always,
				Degraded:    []Interval{iv(nd(3, 10, 0), nd(3, 14, 0))},
				Outages:     []Outage{out(nd(3, 12, 0), nd(3, 13, 0))},
				Maintenance: []Window{mw(nd(3, 13, 30), nd(3, 14, 30))}},
			figures{period: novSec, excluded: hour, eligible: novSec - hour, downtime: hour, measured: novSec - hour, degraded: 2.5 * hour,
				uptime: pf(100 * (novSec - 2*hour) / (novSec - hour)), met: pb(false)}},
		{"degraded: down adds it to downtime",
			Input{Period: nov, Now: later, Policy: Policy{TargetPercent: 99.9, Degraded: DegradedDown}, Monitored: always,
				Degraded:    []Interval{iv(nd(3, 10, 0), nd(3, 14, 0))},
				Outages:     []Outage{out(nd(3, 12, 0), nd(3, 13, 0))},
				Maintenance: []Window{mw(nd(3, 13, 30), nd(3, 14, 30))}},
			figures{period: novSec, excluded: hour, eligible: novSec - hour, downtime: 3.5 * hour, measured: novSec - hour, degraded: 2.5 * hour,
				uptime: pf(100 * (novSec - 4.5*hour) / (novSec - hour)), met: pb(false)}},
		{"running month counts to now; an open outage runs to now",
			Input{Period: MonthPeriod(2026, time.October, amsterdam, day(10, 12, 0)), Now: day(10, 12, 0), Policy: pol,
				Monitored: []Interval{iv(oct.Start, day(10, 12, 0))},
				Outages:   []Outage{{Start: day(10, 11, 0), Cause: "connection refused"}}},
			figures{period: 9*24*hour + 12*hour, eligible: 228 * hour, downtime: hour, measured: 228 * hour,
				uptime: pf(100 * 227.0 / 228.0), met: pb(false)}},
		{"period not begun: nothing counted, uptime null",
			Input{Period: oct, Now: day(1, 0, 0).Add(-time.Minute), Policy: pol, Monitored: always},
			figures{}},
		{"never monitored: uptime null, not 0 or 100",
			Input{Period: oct, Now: later, Policy: pol},
			figures{period: 745 * hour, eligible: 745 * hour, unmonitored: 745 * hour}},
		{"all maintenance: uptime null",
			Input{Period: nov, Now: later, Policy: pol, Monitored: always, Maintenance: []Window{mw(nov.Start, nov.End)}},
			figures{period: novSec, excluded: novSec}},
		{"another service's outage is ignored",
			Input{Service: "portal", Period: oct, Now: later, Policy: pol, Monitored: always,
				Outages: []Outage{{Service: "api", Start: day(3, 0, 0), End: day(3, 1, 0)}}},
			full(745*hour, 0, 0)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.want
			if w.uptime != nil && w.met == nil {
				w.met = pb(*w.uptime >= c.in.Policy.TargetPercent)
			}
			r := Account(c.in)
			w.check(t, r)
			if r.PeriodSeconds != r.ExcludedSeconds+r.EligibleSeconds {
				t.Errorf("period %v ≠ excluded %v + eligible %v", r.PeriodSeconds, r.ExcludedSeconds, r.EligibleSeconds)
			}
			budget := (100 - c.in.Policy.TargetPercent) / 100 * r.MeasuredSeconds
			if math.Abs(r.ErrorBudgetSeconds-budget) > 1e-6 || math.Abs(r.ErrorBudgetRemainingSeconds-(budget-r.DowntimeSeconds)) > 1e-6 {
				t.Errorf("budget %v remaining %v, want %v and %v", r.ErrorBudgetSeconds, r.ErrorBudgetRemainingSeconds, budget, budget-r.DowntimeSeconds)
			}
		})
	}
}

func TestOpenWebExactBudget(t *testing.T) {
	nov := MonthPeriod(2026, time.November, time.UTC, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	start := nov.Start.Add(100 * time.Hour)
	r := Account(Input{Period: nov, Now: nov.End, Policy: Policy{TargetPercent: 99.9}, Monitored: always,
		Outages: []Outage{{Start: start, End: start.Add(2592 * time.Second)}}})
	// Exact arithmetic: no 2592.0000000000023 from (1 − 0.999) × 2592000.
	if r.ErrorBudgetSeconds != 2592 || r.ErrorBudgetRemainingSeconds != 0 || *r.UptimePercent != 99.9 || !*r.Met {
		t.Fatalf("budget %v remaining %v uptime %v met %v; want 2592, 0, 99.9, true",
			r.ErrorBudgetSeconds, r.ErrorBudgetRemainingSeconds, *r.UptimePercent, *r.Met)
	}
}

func TestOutageAndMaintenanceLines(t *testing.T) {
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	oct := MonthPeriod(2026, time.October, amsterdam, later)
	day := func(d, h, m int) time.Time { return tm(amsterdam, 2026, 10, d, h, m) }
	excludedAt := time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC)
	r := Account(Input{
		Service: "portal", SLA: "ultimo-saas", Period: oct, Now: later,
		Policy:    Policy{TargetPercent: 99.7, MaintenanceNotice: 48 * time.Hour},
		Monitored: always,
		Outages: []Outage{
			{ID: 3, Start: day(6, 0, 0), End: day(6, 5, 0), Cause: "status 503", Probe: "health", Source: SourceProbe},
			{ID: 1, Start: tm(amsterdam, 2026, 9, 30, 23, 0), End: day(1, 1, 0), Cause: "timeout"},
			{ID: 2, Start: day(5, 10, 0), End: day(5, 13, 0), Excluded: true, ExcludeReason: "flood", ExcludedBy: "alice", ExcludedAt: excludedAt},
			{ID: 4, Start: tm(amsterdam, 2026, 9, 1, 0, 0), End: tm(amsterdam, 2026, 9, 2, 0, 0)}, // not in October
		},
		Maintenance: []Window{
			{ID: 7, Start: day(6, 1, 0), End: day(6, 3, 0), Reason: "db upgrade", Source: SourceAPI, AnnouncedAt: day(1, 1, 0), AnnouncedBy: "bob"},
			{ID: 8, Start: day(20, 1, 0), End: day(20, 3, 0), Reason: "rushed", Source: SourceAPI, AnnouncedAt: day(19, 1, 0)},
			{ID: 9, Start: day(21, 1, 0), End: day(21, 3, 0), Reason: "called off", Source: SourceAPI, CancelledAt: day(20, 0, 0)},
			{Start: day(4, 2, 0), End: day(4, 4, 0), Reason: "patching", Source: SourceConfig},
		},
	})
	if len(r.Outages) != 3 {
		t.Fatalf("%d outage lines, want 3 (September's left out)", len(r.Outages))
	}
	o1, o2, o3 := r.Outages[0], r.Outages[1], r.Outages[2]
	if o1.ID != 1 || o1.CountedSeconds != hour || o1.Excluded != nil {
		t.Errorf("outage across the month edge: %+v, want 3600 counted", o1)
	}
	if o2.ID != 2 || o2.CountedSeconds != 0 || o2.Excluded == nil || o2.Excluded.Reason != "flood" || o2.Excluded.By != "alice" || !o2.Excluded.At.Equal(excludedAt) {
		t.Errorf("force majeure outage: %+v", o2)
	}
	if o3.ID != 3 || o3.CountedSeconds != 3*hour || o3.Probe != "health" || o3.Open || o3.End == nil {
		t.Errorf("outage partly in maintenance: %+v, want 10800 counted", o3)
	}
	if len(r.Maintenance) != 3 {
		t.Fatalf("%d maintenance lines, want 3 (the cancelled one left out)", len(r.Maintenance))
	}
	m1, m2, m3 := r.Maintenance[0], r.Maintenance[1], r.Maintenance[2]
	if m1.Source != SourceConfig || m1.AnnouncedAt != nil || m1.NoticeSeconds != nil || m1.Late || !m1.Excluded || m1.ExcludedSeconds != 2*hour {
		t.Errorf("config window: %+v", m1)
	}
	if m2.ID != 7 || m2.AnnouncedAt == nil || *m2.NoticeSeconds != 120*hour || m2.Late || m2.ExcludedSeconds != 2*hour || m2.AnnouncedBy != "bob" {
		t.Errorf("announced window: %+v", m2)
	}
	if m3.ID != 8 || *m3.NoticeSeconds != 24*hour || !m3.Late || m3.Excluded || m3.ExcludedSeconds != 0 {
		t.Errorf("late window: %+v", m3)
	}
	if r.ExcludedSeconds != 7*hour || r.MaintenanceSeconds != 4*hour || r.ForceMajeureSeconds != 3*hour {
		t.Errorf("excluded %v = maintenance %v + force majeure %v, want 7h = 4h + 3h", r.ExcludedSeconds, r.MaintenanceSeconds, r.ForceMajeureSeconds)
	}
}

func TestReportJSON(t *testing.T) {
	now := tm(amsterdam, 2026, 10, 10, 12, 0)
	oct := MonthPeriod(2026, time.October, amsterdam, now)
	r := Account(Input{
		Service: "customer-portal", SLA: "ultimo-saas", Period: oct, Now: now,
		Policy:    Policy{TargetPercent: 99.7},
		Monitored: []Interval{iv(oct.Start, now)},
		Outages:   []Outage{{ID: 1, Start: now.Add(-time.Hour), Cause: "connection refused"}},
		Maintenance: []Window{{ID: 2, Start: tm(amsterdam, 2026, 10, 4, 2, 0), End: tm(amsterdam, 2026, 10, 4, 4, 0),
			Reason: "patching", Source: SourceAPI, AnnouncedAt: tm(amsterdam, 2026, 9, 30, 9, 0)}},
	})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"service", "sla", "timezone", "period", "target_percent", "uptime_percent", "met",
		"period_seconds", "excluded_seconds", "eligible_seconds", "downtime_seconds", "unmonitored_seconds",
		"measured_seconds", "degraded_seconds", "error_budget_seconds", "error_budget_remaining_seconds", "outages", "maintenance"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report JSON lacks %q", k)
		}
	}
	if _, ok := m["months"]; ok {
		t.Error("a month report has months")
	}
	if m["timezone"] != "Europe/Amsterdam" {
		t.Errorf("timezone %v", m["timezone"])
	}
	p := m["period"].(map[string]any)
	if p["kind"] != "month" || p["label"] != "2026-10" || p["start"] != "2026-10-01T00:00:00+02:00" || p["end"] != "2026-11-01T00:00:00+01:00" || p["complete"] != false {
		t.Errorf("period %v", p)
	}
	o := m["outages"].([]any)[0].(map[string]any)
	if o["start"] != "2026-10-10T11:00:00+02:00" || o["end"] != nil || o["open"] != true || o["excluded"] != nil || o["counted_seconds"] != 3600.0 {
		t.Errorf("outage %v", o)
	}
	w := m["maintenance"].([]any)[0].(map[string]any)
	if w["start"] != "2026-10-04T02:00:00+02:00" || w["reason"] != "patching" || w["announced_at"] != "2026-09-30T09:00:00+02:00" || w["late"] != false {
		t.Errorf("maintenance %v", w)
	}

	// Nothing measured: null, never 0 or 100; empty lists are [], not null.
	empty := Account(Input{Period: oct, Now: oct.Start, Policy: Policy{TargetPercent: 99.7}})
	b, _ = json.Marshal(empty)
	for _, want := range []string{`"uptime_percent":null`, `"met":null`, `"outages":[]`, `"maintenance":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("empty report lacks %s: %s", want, b)
		}
	}
}

func TestAccountYear(t *testing.T) {
	now := tm(amsterdam, 2027, 10, 10, 12, 0)
	y2026 := YearPeriod(2026, amsterdam, now)
	edge := []Outage{{ID: 1, Start: tm(amsterdam, 2026, 12, 31, 22, 0), End: tm(amsterdam, 2027, 1, 1, 3, 0)}}
	in := Input{Period: y2026, Now: now, Policy: Policy{TargetPercent: 99.7}, Monitored: always, Outages: edge}

	r := AccountYear(in)
	full(8760*hour, 0, 2*hour).check(t, r)
	if len(r.Months) != 12 {
		t.Fatalf("%d months, want 12", len(r.Months))
	}
	if dec := r.Months[11]; dec.Period.Label != "2026-12" || dec.DowntimeSeconds != 2*hour || dec.PeriodSeconds != 744*hour {
		t.Errorf("December: %s downtime %v period %v", dec.Period.Label, dec.DowntimeSeconds, dec.PeriodSeconds)
	}
	if mar, oct := r.Months[2], r.Months[9]; mar.PeriodSeconds != 743*hour || oct.PeriodSeconds != 745*hour {
		t.Errorf("March %v h, October %v h", mar.PeriodSeconds/hour, oct.PeriodSeconds/hour)
	}

	// 2027, running: January gets the other 3 hours; months after October
	// are left out; October is counted to now.
	in.Period = YearPeriod(2027, amsterdam, now)
	r = AccountYear(in)
	if r.DowntimeSeconds != 3*hour || r.Period.Complete {
		t.Errorf("2027: downtime %v complete %v", r.DowntimeSeconds, r.Period.Complete)
	}
	if len(r.Months) != 10 {
		t.Fatalf("2027 to October 10: %d months, want 10", len(r.Months))
	}
	var sumPeriod, sumDown float64
	for _, m := range r.Months {
		sumPeriod += m.PeriodSeconds
		sumDown += m.DowntimeSeconds
	}
	if sumPeriod != r.PeriodSeconds || sumDown != r.DowntimeSeconds {
		t.Errorf("months add up to %v s (%v down), year %v s (%v down)", sumPeriod, sumDown, r.PeriodSeconds, r.DowntimeSeconds)
	}
	if last := r.Months[9]; last.Period.Complete || last.PeriodSeconds != (9*24+12)*hour {
		t.Errorf("October 2027 so far: complete %v, %v h", last.Period.Complete, last.PeriodSeconds/hour)
	}

	// A month period: no months.
	in.Period = MonthPeriod(2027, time.January, amsterdam, now)
	if r := AccountYear(in); len(r.Months) != 0 || r.DowntimeSeconds != 3*hour {
		t.Errorf("month via AccountYear: %d months, downtime %v", len(r.Months), r.DowntimeSeconds)
	}
}

func TestPolicyValidate(t *testing.T) {
	good := []Policy{{TargetPercent: 99.7}, {TargetPercent: 100, Unmonitored: "down", Degraded: "down", LateMaintenance: "exclude", MaintenanceNotice: time.Hour}}
	for _, p := range good {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
	bad := []Policy{{TargetPercent: -1}, {TargetPercent: 100.1}, {TargetPercent: math.NaN()}, {TargetPercent: 99, Unmonitored: "ignore"},
		{TargetPercent: 99, Degraded: "exclude"}, {TargetPercent: 99, LateMaintenance: "up"}, {TargetPercent: 99, MaintenanceNotice: -time.Hour}}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

// TestAccountPartitionProperty checks, for random histories, every figure
// against a slot-by-slot count (10-minute slots; every edge is on a slot
// boundary), and that downtime, excluded, available and unmonitored time
// partition the period exactly.
func TestAccountPartitionProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 10))
	p := MonthPeriod(2026, time.February, time.UTC, time.Time{})
	const slot = 10 * time.Minute
	const slots = 28 * 24 * 6
	const slotSec = 600.0
	at := func(n int) time.Time { return p.Start.Add(time.Duration(n) * slot) }
	span := func() (int, int) {
		a := rng.IntN(slots+400) - 200
		return a, a + rng.IntN(600)
	}
	mark := func(a, b int, f func(int)) {
		for n := max(a, 0); n < min(b, slots); n++ {
			f(n)
		}
	}
	for iter := range 300 {
		nowSlot := slots + 20
		if iter%3 == 0 {
			nowSlot = rng.IntN(slots)
		}
		pol := Policy{
			TargetPercent:     99.5,
			Unmonitored:       []string{"", UnmonitoredExclude, UnmonitoredUp, UnmonitoredDown}[rng.IntN(4)],
			Degraded:          []string{DegradedUp, DegradedDown}[rng.IntN(2)],
			MaintenanceNotice: 48 * time.Hour,
			LateMaintenance:   []string{LateCount, LateExclude}[rng.IntN(2)],
		}
		var grid [slots]struct{ excl, out, mon, deg bool }
		in := Input{Period: p, Now: at(nowSlot), Policy: pol}
		for range rng.IntN(20) {
			a, b := span()
			o := Outage{Start: at(a), End: at(b), Excluded: rng.IntN(5) == 0}
			if rng.IntN(10) == 0 {
				o.End = time.Time{} // open: runs to now
				b = nowSlot
			}
			in.Outages = append(in.Outages, o)
			mark(a, b, func(n int) {
				if o.Excluded {
					grid[n].excl = true
				} else {
					grid[n].out = true
				}
			})
		}
		for range rng.IntN(8) {
			a, b := span()
			w := Window{Start: at(a), End: at(b), Source: SourceAPI, AnnouncedAt: at(a - rng.IntN(600))}
			if rng.IntN(6) == 0 {
				w.CancelledAt = at(a - 1)
			}
			in.Maintenance = append(in.Maintenance, w)
			if !w.Cancelled() && (!Late(w, pol.MaintenanceNotice) || pol.LateMaintenance == LateExclude) {
				mark(a, b, func(n int) { grid[n].excl = true })
			}
		}
		for range 1 + rng.IntN(10) {
			a, b := span()
			b += rng.IntN(2000)
			in.Monitored = append(in.Monitored, iv(at(a), at(b)))
			mark(a, b, func(n int) { grid[n].mon = true })
		}
		for range rng.IntN(10) {
			a, b := span()
			in.Degraded = append(in.Degraded, iv(at(a), at(b)))
			mark(a, b, func(n int) { grid[n].deg = true })
		}

		var period, excluded, outage, unmon, degraded, avail float64
		for n := 0; n < min(nowSlot, slots); n++ {
			g := grid[n]
			period += slotSec
			switch {
			case g.excl:
				excluded += slotSec
			case g.out:
				outage += slotSec
			case !g.mon:
				unmon += slotSec
			case g.deg:
				degraded += slotSec
			default:
				avail += slotSec
			}
		}
		downtime := outage
		if pol.Degraded == DegradedDown {
			downtime += degraded
		} else {
			avail += degraded
		}
		measured := period - excluded
		switch pol.Unmonitored {
		case UnmonitoredDown:
			downtime += unmon
		case UnmonitoredUp:
			avail += unmon
		default:
			measured -= unmon
		}
		var up *float64
		if measured > 0 {
			up = pf(100 * (measured - downtime) / measured)
		}
		r := Account(in)
		figures{period: period, excluded: excluded, eligible: period - excluded, downtime: downtime, unmonitored: unmon,
			measured: measured, degraded: degraded, uptime: up}.check(t, r)
		if t.Failed() {
			t.Fatalf("iteration %d, policy %+v", iter, pol)
		}
		// The partition, from the report's own figures.
		available := r.MeasuredSeconds - r.DowntimeSeconds
		if available != avail {
			t.Fatalf("iteration %d: available %v, counted %v", iter, available, avail)
		}
		sum := r.DowntimeSeconds + r.ExcludedSeconds + available
		if pol.Unmonitored == UnmonitoredExclude || pol.Unmonitored == "" {
			sum += r.UnmonitoredSeconds
		}
		if sum != r.PeriodSeconds {
			t.Fatalf("iteration %d (%s): downtime %v + excluded %v + available %v (+ unmonitored %v) ≠ period %v",
				iter, pol.Unmonitored, r.DowntimeSeconds, r.ExcludedSeconds, available, r.UnmonitoredSeconds, r.PeriodSeconds)
		}
		if r.UptimePercent != nil && (*r.UptimePercent < 0 || *r.UptimePercent > 100) {
			t.Fatalf("iteration %d: uptime %v", iter, *r.UptimePercent)
		}
	}
}

// The exclusion audit trail reaches the report's outage lines, in the
// report's zone, and the text report lists it.
func TestAuditTrailInReport(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	o := Outage{ID: 9, Service: "svc", Start: time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 10, 5, 11, 0, 0, 0, time.UTC),
		Events: []OutageEvent{
			{At: time.Date(2026, 10, 6, 9, 0, 0, 0, time.UTC), Action: "exclude", Reason: "regional power failure", By: "alice"},
			{At: time.Date(2026, 10, 7, 9, 0, 0, 0, time.UTC), Action: "include", Reason: "our generator failed, not the grid", By: "bob"},
		}}
	in := Input{Service: "svc", Period: MonthPeriod(2026, time.October, ams, now), Now: now, Policy: Policy{TargetPercent: 99.9},
		Outages: []Outage{o}, Monitored: []Interval{{Start: now.AddDate(0, -2, 0), End: now}}}
	r := Account(in)
	if len(r.Outages) != 1 || len(r.Outages[0].Audit) != 2 || r.Outages[0].Audit[1].By != "bob" || r.Outages[0].Audit[0].At.Location() != ams {
		t.Fatalf("audit = %+v", r.Outages[0].Audit)
	}
	if r.DowntimeSeconds != 3600 {
		t.Fatalf("downtime %v: an included-again outage counts", r.DowntimeSeconds)
	}
	var buf bytes.Buffer
	if err := Render(&buf, FormatText, []Report{r}, RenderOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Exclusion history (2 changes)", "exclude", "include", "our generator failed, not the grid"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, buf.String())
		}
	}
}
