package uptime

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Merge tests: November 2026 in UTC (30 days, 2,592,000 s), reported on
// December 2 unless a test says otherwise; every expectation is worked out
// by hand in seconds.

const novSeconds = 30 * 24 * 3600.0

var mergeNow = time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)

// mn is a time in November 2026, UTC.
func mn(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }

// region is a region's input for portal's November report as of now.
func region(name string, now time.Time, monitored []Interval, outages ...Outage) RegionInput {
	return RegionInput{Region: name, Input: Input{
		Service: "portal", SLA: "monthly",
		Period:    MonthPeriod(2026, time.November, time.UTC, now),
		Now:       now,
		Policy:    Policy{TargetPercent: 99.9},
		Outages:   outages,
		Monitored: monitored,
	}}
}

func down(a, b time.Time, cause string) Outage {
	return Outage{Service: "portal", Start: a, End: b, Cause: cause, Probe: "health", Source: SourceProbe}
}

func mergeReport(t *testing.T, rule MergeRule, regions ...RegionInput) Report {
	t.Helper()
	in, err := Merge(rule, regions)
	if err != nil {
		t.Fatalf("Merge(%s): %v", rule, err)
	}
	return Account(in)
}

// mergeFigures are the figures the merge tests check.
type mergeFigures struct {
	period, excluded, downtime, unmonitored, degraded, forceMajeure float64
}

func (f mergeFigures) check(t *testing.T, r Report) {
	t.Helper()
	measured := f.period - f.excluded - f.unmonitored
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"period_seconds", r.PeriodSeconds, f.period},
		{"excluded_seconds", r.ExcludedSeconds, f.excluded},
		{"eligible_seconds", r.EligibleSeconds, f.period - f.excluded},
		{"downtime_seconds", r.DowntimeSeconds, f.downtime},
		{"outage_seconds", r.OutageSeconds, f.downtime},
		{"unmonitored_seconds", r.UnmonitoredSeconds, f.unmonitored},
		{"measured_seconds", r.MeasuredSeconds, measured},
		{"degraded_seconds", r.DegradedSeconds, f.degraded},
		{"force_majeure_seconds", r.ForceMajeureSeconds, f.forceMajeure},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if want := 100 * (measured - f.downtime) / measured; r.UptimePercent == nil || *r.UptimePercent != want {
		got := "null"
		if r.UptimePercent != nil {
			got = percent(*r.UptimePercent)
		}
		t.Errorf("uptime_percent = %s, want %s", got, percent(want))
	}
}

// line is an expected merged outage line; a zero end means open.
type line struct {
	start, end time.Time
	counted    float64
	cause      string
	excluded   string // the exclusion reason; empty when it counts
}

func checkLines(t *testing.T, r Report, want ...line) {
	t.Helper()
	if len(r.Outages) != len(want) {
		t.Fatalf("%d outage lines, want %d: %+v", len(r.Outages), len(want), r.Outages)
	}
	for i, w := range want {
		o := r.Outages[i]
		if o.ID != int64(i+1) {
			t.Errorf("line %d: id %d, want %d", i, o.ID, i+1)
		}
		eqTime(t, "start", o.Start, w.start)
		switch {
		case w.end.IsZero() && (o.End != nil || !o.Open):
			t.Errorf("line %d: end %v, open %v; want open", i, o.End, o.Open)
		case !w.end.IsZero() && (o.End == nil || o.Open):
			t.Errorf("line %d: open, want end %s", i, w.end.Format(time.RFC3339))
		case !w.end.IsZero():
			eqTime(t, "end", *o.End, w.end)
		}
		if o.CountedSeconds != w.counted {
			t.Errorf("line %d: counted_seconds %v, want %v", i, o.CountedSeconds, w.counted)
		}
		if o.Cause != w.cause {
			t.Errorf("line %d: cause %q, want %q", i, o.Cause, w.cause)
		}
		switch {
		case w.excluded == "" && o.Excluded != nil:
			t.Errorf("line %d: excluded %+v, want it to count", i, *o.Excluded)
		case w.excluded != "" && (o.Excluded == nil || o.Excluded.Reason != w.excluded):
			t.Errorf("line %d: excluded %+v, want reason %q", i, o.Excluded, w.excluded)
		}
	}
}

func TestMergeTwoRegionsAllVersusAny(t *testing.T) {
	// eu down 10:00–12:00, us down 11:00–13:00, both watching throughout.
	eu := region("eu", mergeNow, always, down(mn(10, 10, 0), mn(10, 12, 0), "status 503"))
	us := region("us", mergeNow, always, down(mn(10, 11, 0), mn(10, 13, 0), "timeout"))
	cause := "eu: status 503; us: timeout"

	t.Run("all", func(t *testing.T) {
		// Both down only 11:00–12:00.
		r := mergeReport(t, MergeAll, eu, us)
		mergeFigures{period: novSeconds, downtime: 3600}.check(t, r)
		checkLines(t, r, line{mn(10, 11, 0), mn(10, 12, 0), 3600, cause, ""})
		if r.Merged == nil || r.Merged.Rule != MergeAll || strings.Join(r.Merged.Regions, ",") != "eu,us" {
			t.Errorf("merged = %+v, want rule all of eu, us", r.Merged)
		}
		if o := r.Outages[0]; o.Probe != "health" || o.Source != SourceProbe {
			t.Errorf("probe %q, source %q: want the first region's", o.Probe, o.Source)
		}
	})
	t.Run("any", func(t *testing.T) {
		// Either down 10:00–13:00.
		r := mergeReport(t, MergeAny, eu, us)
		mergeFigures{period: novSeconds, downtime: 10800}.check(t, r)
		checkLines(t, r, line{mn(10, 10, 0), mn(10, 13, 0), 10800, cause, ""})
	})
	t.Run("default rule is all", func(t *testing.T) {
		r := mergeReport(t, "", eu, us)
		if r.DowntimeSeconds != 3600 || r.Merged.Rule != MergeAll {
			t.Errorf("downtime %v by rule %q, want 3600 by all", r.DowntimeSeconds, r.Merged.Rule)
		}
	})
}

func TestMergeThreeRegions(t *testing.T) {
	// Nov 10: eu 10:00–14:00, us 11:00–13:00, ap 12:00–15:00: all three
	// down 12:00–13:00; some down 10:00–15:00.
	// Nov 20: eu 08:00–09:00, us 08:30–09:30, ap up: never all down; some
	// down 08:00–09:30.
	// Another service's outage in ap counts for nothing.
	other := down(mn(25, 0, 0), mn(25, 5, 0), "elsewhere")
	other.Service = "billing"
	eu := region("eu", mergeNow, always, down(mn(10, 10, 0), mn(10, 14, 0), "status 503"), down(mn(20, 8, 0), mn(20, 9, 0), "status 502"))
	us := region("us", mergeNow, always, down(mn(20, 8, 30), mn(20, 9, 30), "timeout"), down(mn(10, 11, 0), mn(10, 13, 0), "timeout"))
	ap := region("ap", mergeNow, always, down(mn(10, 12, 0), mn(10, 15, 0), "connection refused"), other)

	r := mergeReport(t, MergeAll, eu, us, ap)
	mergeFigures{period: novSeconds, downtime: 3600}.check(t, r)
	checkLines(t, r, line{mn(10, 12, 0), mn(10, 13, 0), 3600, "eu: status 503; us: timeout; ap: connection refused", ""})

	r = mergeReport(t, MergeAny, eu, us, ap)
	mergeFigures{period: novSeconds, downtime: 5*3600 + 5400}.check(t, r)
	checkLines(t, r,
		line{mn(10, 10, 0), mn(10, 15, 0), 5 * 3600, "eu: status 503; us: timeout; ap: connection refused", ""},
		line{mn(20, 8, 0), mn(20, 9, 30), 5400, "eu: status 502; us: timeout", ""})
}

func TestMergeSilentRegionNeitherVetoesNorAdds(t *testing.T) {
	// eu watches throughout and is down Nov 10 10:00–12:00. us was stopped
	// Nov 10 09:00–11:00 and saw the service up otherwise. Both were
	// stopped Nov 15 00:00–02:00.
	eu := region("eu", mergeNow, []Interval{iv(mn(1, 0, 0), mn(15, 0, 0)), iv(mn(15, 2, 0), mergeNow)},
		down(mn(10, 10, 0), mn(10, 12, 0), "status 503"))
	us := region("us", mergeNow, []Interval{iv(mn(1, 0, 0), mn(10, 9, 0)), iv(mn(10, 11, 0), mn(15, 0, 0)), iv(mn(15, 2, 0), mergeNow)})

	// all: 10:00–11:00 only eu watched, and saw it down: down. 11:00–12:00
	// us watched and saw it up: not down.
	r := mergeReport(t, MergeAll, eu, us)
	mergeFigures{period: novSeconds, downtime: 3600, unmonitored: 7200}.check(t, r)
	checkLines(t, r, line{mn(10, 10, 0), mn(10, 11, 0), 3600, "eu: status 503", ""})

	// any: us's silence adds nothing to eu's two hours.
	r = mergeReport(t, MergeAny, eu, us)
	mergeFigures{period: novSeconds, downtime: 7200, unmonitored: 7200}.check(t, r)
	checkLines(t, r, line{mn(10, 10, 0), mn(10, 12, 0), 7200, "eu: status 503", ""})

	// The merged monitored time is the union of the regions' watching.
	in, err := Merge(MergeAll, []RegionInput{eu, us})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := Union(in.Monitored).Duration(), time.Duration(novSeconds-7200+24*3600)*time.Second; got != want {
		t.Errorf("merged monitored %s, want %s", got, want)
	}
}

func TestMergeOutageWhileStoppedIsWatching(t *testing.T) {
	// us is down Nov 20 10:00–11:00; its daemon was stopped 10:15–10:45
	// while the outage ran on. eu was stopped 09:00–12:00. Only us watched
	// 10:00–11:00, gap included, so all of it is down and none unmonitored.
	eu := region("eu", mergeNow, []Interval{iv(mn(1, 0, 0), mn(20, 9, 0)), iv(mn(20, 12, 0), mergeNow)})
	us := region("us", mergeNow, []Interval{iv(mn(1, 0, 0), mn(20, 10, 15)), iv(mn(20, 10, 45), mergeNow)},
		down(mn(20, 10, 0), mn(20, 11, 0), "timeout"))
	for _, rule := range []MergeRule{MergeAll, MergeAny} {
		r := mergeReport(t, rule, eu, us)
		mergeFigures{period: novSeconds, downtime: 3600}.check(t, r)
		checkLines(t, r, line{mn(20, 10, 0), mn(20, 11, 0), 3600, "us: timeout", ""})
	}
}

func TestMergeOpenOutageAtNow(t *testing.T) {
	// Reported Nov 20 12:00: 19.5 days = 1,684,800 s.
	now := mn(20, 12, 0)
	const period = 19*24*3600 + 12*3600
	watched := []Interval{iv(mn(1, 0, 0), now)}
	open := func(a time.Time, cause string) Outage { return down(a, time.Time{}, cause) }

	t.Run("both open", func(t *testing.T) {
		// eu open since 10:00, us since 11:00.
		eu := region("eu", now, watched, open(mn(20, 10, 0), "status 503"))
		us := region("us", now, watched, open(mn(20, 11, 0), "timeout"))
		r := mergeReport(t, MergeAll, eu, us)
		mergeFigures{period: period, downtime: 3600}.check(t, r)
		checkLines(t, r, line{mn(20, 11, 0), time.Time{}, 3600, "eu: status 503; us: timeout", ""})
		r = mergeReport(t, MergeAny, eu, us)
		mergeFigures{period: period, downtime: 7200}.check(t, r)
		checkLines(t, r, line{mn(20, 10, 0), time.Time{}, 7200, "eu: status 503; us: timeout", ""})
	})
	t.Run("one open, one closed", func(t *testing.T) {
		// eu open since 10:00; us down 10:30–11:30. Under all the merged
		// outage ends when us recovered, though eu's is still open.
		eu := region("eu", now, watched, open(mn(20, 10, 0), "status 503"))
		us := region("us", now, watched, down(mn(20, 10, 30), mn(20, 11, 30), "timeout"))
		r := mergeReport(t, MergeAll, eu, us)
		mergeFigures{period: period, downtime: 3600}.check(t, r)
		checkLines(t, r, line{mn(20, 10, 30), mn(20, 11, 30), 3600, "eu: status 503; us: timeout", ""})
		r = mergeReport(t, MergeAny, eu, us)
		mergeFigures{period: period, downtime: 7200}.check(t, r)
		checkLines(t, r, line{mn(20, 10, 0), time.Time{}, 7200, "eu: status 503; us: timeout", ""})
	})
}

func TestMergeForceMajeure(t *testing.T) {
	fm := func(o Outage, reason, by string, at time.Time) Outage {
		o.Excluded, o.ExcludeReason, o.ExcludedBy, o.ExcludedAt = true, reason, by, at
		o.Events = []OutageEvent{{At: at, Action: "exclude", Reason: reason, By: by}}
		return o
	}

	t.Run("excluded in one region only counts", func(t *testing.T) {
		eu := region("eu", mergeNow, always, fm(down(mn(10, 10, 0), mn(10, 12, 0), "status 503"), "regional power failure", "alice", mn(10, 15, 0)))
		us := region("us", mergeNow, always, down(mn(10, 10, 0), mn(10, 12, 0), "timeout"))
		for _, rule := range []MergeRule{MergeAll, MergeAny} {
			r := mergeReport(t, rule, eu, us)
			mergeFigures{period: novSeconds, downtime: 7200}.check(t, r)
			checkLines(t, r, line{mn(10, 10, 0), mn(10, 12, 0), 7200, "eu: status 503; us: timeout", ""})
			// The audit trail keeps eu's exclusion, named by region.
			if a := r.Outages[0].Audit; len(a) != 1 || a[0].Reason != "eu: regional power failure" || a[0].By != "alice" {
				t.Errorf("%s: audit %+v, want eu's exclusion", rule, a)
			}
		}
	})
	t.Run("excluded in every region is excluded", func(t *testing.T) {
		eu := region("eu", mergeNow, always, fm(down(mn(10, 10, 0), mn(10, 12, 0), "status 503"), "regional power failure", "alice", mn(10, 15, 0)))
		us := region("us", mergeNow, always, fm(down(mn(10, 10, 0), mn(10, 12, 0), "timeout"), "upstream DNS outage", "bob", mn(10, 16, 0)))
		for _, rule := range []MergeRule{MergeAll, MergeAny} {
			r := mergeReport(t, rule, eu, us)
			mergeFigures{period: novSeconds, excluded: 7200, forceMajeure: 7200}.check(t, r)
			checkLines(t, r, line{mn(10, 10, 0), mn(10, 12, 0), 0, "eu: status 503; us: timeout", "regional power failure; upstream DNS outage"})
			x := r.Outages[0].Excluded
			if x.By != "alice, bob" || x.At == nil || !x.At.Equal(mn(10, 16, 0)) {
				t.Errorf("%s: excluded by %q at %v, want alice, bob at the later time", rule, x.By, x.At)
			}
		}
	})
	t.Run("split where exclusion changes", func(t *testing.T) {
		// eu 10:00–12:00 excluded, us 11:00–13:00 counts.
		eu := region("eu", mergeNow, always, fm(down(mn(10, 10, 0), mn(10, 12, 0), "status 503"), "regional power failure", "alice", mn(10, 15, 0)))
		us := region("us", mergeNow, always, down(mn(10, 11, 0), mn(10, 13, 0), "timeout"))
		// any: 10:00–11:00 only eu's excluded outage covers it; 11:00–13:00
		// us's counting one does.
		r := mergeReport(t, MergeAny, eu, us)
		mergeFigures{period: novSeconds, excluded: 3600, forceMajeure: 3600, downtime: 7200}.check(t, r)
		checkLines(t, r,
			line{mn(10, 10, 0), mn(10, 11, 0), 0, "eu: status 503", "regional power failure"},
			line{mn(10, 11, 0), mn(10, 13, 0), 7200, "eu: status 503; us: timeout", ""})
		// all: both down 11:00–12:00, and us's outage there counts.
		r = mergeReport(t, MergeAll, eu, us)
		mergeFigures{period: novSeconds, downtime: 3600}.check(t, r)
		checkLines(t, r, line{mn(10, 11, 0), mn(10, 12, 0), 3600, "eu: status 503; us: timeout", ""})
	})
}

func TestMergeAcrossPeriodEdges(t *testing.T) {
	oct31 := func(h int) time.Time { return time.Date(2026, 10, 31, h, 0, 0, 0, time.UTC) }
	dec1 := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	// Start: eu Oct 31 22:00 – Nov 1 02:00, us Oct 31 23:00 – Nov 1 01:00.
	// End: eu Nov 30 23:00 – Dec 1 03:00, us Nov 30 23:30 – Dec 1 01:00.
	eu := region("eu", mergeNow, always, down(oct31(22), mn(1, 2, 0), "status 503"), down(mn(30, 23, 0), dec1(3), "status 503"))
	us := region("us", mergeNow, always, down(oct31(23), mn(1, 1, 0), "timeout"), down(mn(30, 23, 30), dec1(1), "timeout"))
	cause := "eu: status 503; us: timeout"

	// all: Oct 31 23:00 – Nov 1 01:00 counts 00:00–01:00 (3,600 s); Nov 30
	// 23:30 – Dec 1 01:00 counts 23:30–24:00 (1,800 s). Lines keep their
	// full bounds.
	r := mergeReport(t, MergeAll, eu, us)
	mergeFigures{period: novSeconds, downtime: 5400}.check(t, r)
	checkLines(t, r,
		line{oct31(23), mn(1, 1, 0), 3600, cause, ""},
		line{mn(30, 23, 30), dec1(1), 1800, cause, ""})

	// any: Oct 31 22:00 – Nov 1 02:00 counts 7,200 s; Nov 30 23:00 – Dec 1
	// 03:00 counts 3,600 s.
	r = mergeReport(t, MergeAny, eu, us)
	mergeFigures{period: novSeconds, downtime: 10800}.check(t, r)
	checkLines(t, r,
		line{oct31(22), mn(1, 2, 0), 7200, cause, ""},
		line{mn(30, 23, 0), dec1(3), 3600, cause, ""})
}

func TestMergeMaintenanceCountedOnce(t *testing.T) {
	config := Window{Service: "portal", Start: mn(8, 2, 0), End: mn(8, 4, 0), Reason: "weekly patching", Source: SourceConfig}
	announced := func(id int64, a, b time.Time, reason string, at time.Time) Window {
		return Window{ID: id, Service: "portal", Start: a, End: b, Reason: reason, Source: SourceAPI, AnnouncedAt: at, AnnouncedBy: "ops"}
	}
	// The same window announced to both instances has a different store
	// id in each; one announced to us only still counts; one cancelled in
	// eu but not in us counts.
	upgrade := func(id int64) Window {
		return announced(id, mn(12, 0, 0), mn(12, 1, 0), "db upgrade", mn(1, 0, 0))
	}
	cancelled := announced(9, mn(16, 0, 0), mn(16, 1, 0), "network", mn(1, 0, 0))
	cancelled.CancelledAt = mn(2, 0, 0)

	eu := region("eu", mergeNow, always, down(mn(8, 3, 0), mn(8, 5, 0), "status 503"))
	eu.Input.Maintenance = []Window{config, upgrade(7), cancelled}
	us := region("us", mergeNow, always, down(mn(8, 3, 0), mn(8, 5, 0), "timeout"))
	us.Input.Maintenance = []Window{config, upgrade(3),
		announced(4, mn(14, 0, 0), mn(14, 0, 30), "cache flush", mn(1, 0, 0)),
		announced(5, mn(16, 0, 0), mn(16, 1, 0), "network", mn(1, 0, 0))}

	// Excluded: 7,200 + 3,600 + 1,800 + 3,600 = 16,200 s. The outage
	// 03:00–05:00 counts outside the 02:00–04:00 window: 3,600 s.
	r := mergeReport(t, MergeAll, eu, us)
	mergeFigures{period: novSeconds, excluded: 16200, downtime: 3600}.check(t, r)
	checkLines(t, r, line{mn(8, 3, 0), mn(8, 5, 0), 3600, "eu: status 503; us: timeout", ""})
	var reasons []string
	for _, m := range r.Maintenance {
		reasons = append(reasons, m.Reason)
		if m.ID != 0 {
			t.Errorf("window %q has id %d: merged windows carry no store id", m.Reason, m.ID)
		}
	}
	if got := strings.Join(reasons, ", "); got != "weekly patching, db upgrade, cache flush, network" {
		t.Errorf("maintenance lines %s", got)
	}
}

func TestMergeDegraded(t *testing.T) {
	// Nov 5: eu degraded 10:00–12:00; us degraded 11:00–13:00 and down
	// 11:30–12:30.
	eu := region("eu", mergeNow, always)
	eu.Input.Degraded = []Interval{iv(mn(5, 10, 0), mn(5, 12, 0))}
	us := region("us", mergeNow, always, down(mn(5, 11, 30), mn(5, 12, 30), "timeout"))
	us.Input.Degraded = []Interval{iv(mn(5, 11, 0), mn(5, 13, 0))}

	// all: degraded where every region is degraded or down and not both
	// down: 11:00–12:00 (3,600 s). 12:00–12:30 eu is fine: neither down
	// nor degraded.
	r := mergeReport(t, MergeAll, eu, us)
	mergeFigures{period: novSeconds, degraded: 3600}.check(t, r)
	checkLines(t, r)

	// any: down 11:30–12:30; degraded 10:00–11:30 and 12:30–13:00
	// (7,200 s).
	r = mergeReport(t, MergeAny, eu, us)
	mergeFigures{period: novSeconds, downtime: 3600, degraded: 7200}.check(t, r)

	// degraded: down makes merged degraded time downtime.
	eu.Input.Policy.Degraded, us.Input.Policy.Degraded = DegradedDown, DegradedDown
	r = mergeReport(t, MergeAll, eu, us)
	if r.DowntimeSeconds != 3600 || r.OutageSeconds != 0 {
		t.Errorf("degraded: down: downtime %v (outages %v), want 3600 (0)", r.DowntimeSeconds, r.OutageSeconds)
	}
}

func TestMergeDisagreement(t *testing.T) {
	eu := region("eu", mergeNow, always)
	for _, c := range []struct {
		name   string
		change func(*Input)
		want   string
	}{
		{"policy", func(in *Input) { in.Policy.TargetPercent = 99.5 }, "regions eu and us disagree on the policy: eu has target 99.9%"},
		{"policy mode", func(in *Input) { in.Policy.Unmonitored = UnmonitoredDown }, "unmonitored down"},
		{"service", func(in *Input) { in.Service = "billing" }, `disagree on the service: eu has "portal", us has "billing"`},
		{"sla", func(in *Input) { in.SLA = "yearly" }, "disagree on the SLA"},
		{"period", func(in *Input) { in.Period = MonthPeriod(2026, time.October, time.UTC, mergeNow) }, "disagree on the period: eu has month 2026-11 in UTC, us has month 2026-10 in UTC"},
		{"time zone", func(in *Input) { in.Period = MonthPeriod(2026, time.November, amsterdam, mergeNow) }, "disagree on the period"},
		{"now", func(in *Input) { in.Now = mergeNow.Add(time.Second) }, "disagree on the report time"},
	} {
		us := region("us", mergeNow, always)
		c.change(&us.Input)
		_, err := Merge(MergeAll, []RegionInput{eu, us})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %q", c.name, err, c.want)
		}
	}
	// Defaults written out agree with defaults left empty.
	us := region("us", mergeNow, always)
	us.Input.Policy.Unmonitored, us.Input.Policy.Degraded = UnmonitoredExclude, DegradedUp
	if _, err := Merge(MergeAll, []RegionInput{eu, us}); err != nil {
		t.Errorf("explicit defaults: %v", err)
	}
	for _, c := range []struct {
		name    string
		rule    MergeRule
		regions []RegionInput
		want    string
	}{
		{"no regions", MergeAll, nil, "no regions"},
		{"unnamed", MergeAll, []RegionInput{{Input: eu.Input}}, "has no name"},
		{"twice", MergeAll, []RegionInput{eu, eu}, `region "eu" is given twice`},
		{"rule", "most", []RegionInput{eu}, `merge rule "most": want all or any`},
	} {
		if _, err := Merge(c.rule, c.regions); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %q", c.name, err, c.want)
		}
	}
}

func TestMergeRendered(t *testing.T) {
	eu := region("eu", mergeNow, always, down(mn(10, 10, 0), mn(10, 12, 0), "status 503"))
	us := region("us", mergeNow, always, down(mn(10, 11, 0), mn(10, 13, 0), "timeout"))
	r := mergeReport(t, MergeAll, eu, us)
	note := "eu, us, merged by rule all: down only when every region watching saw it down"
	for _, f := range []Format{FormatText, FormatMarkdown, FormatHTML} {
		var buf bytes.Buffer
		if err := Render(&buf, f, []Report{r}, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "Regions") || !strings.Contains(buf.String(), note) {
			t.Errorf("%s report does not name the regions and rule:\n%s", f, buf.String())
		}
		buf.Reset()
		if err := RenderSummary(&buf, f, []Report{r}, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), note) {
			t.Errorf("%s summary does not name the regions and rule:\n%s", f, buf.String())
		}
	}
	var buf bytes.Buffer
	if err := Render(&buf, FormatJSON, []Report{r}, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Merged *struct {
			Rule    string   `json:"rule"`
			Regions []string `json:"regions"`
		} `json:"merged"`
	}
	if err := json.Unmarshal(buf.Bytes(), &j); err != nil || j.Merged == nil || j.Merged.Rule != "all" || strings.Join(j.Merged.Regions, ",") != "eu,us" {
		t.Errorf("JSON merged = %+v (%v), want {all [eu us]}", j.Merged, err)
	}
	// A report of one store says nothing of regions.
	buf.Reset()
	if err := Render(&buf, FormatJSON, []Report{Account(eu.Input)}, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte(`"merged"`)) {
		t.Errorf("single-store JSON has a merged field:\n%s", buf.String())
	}
}

func TestMergeYear(t *testing.T) {
	// A year report's months carry the merge too and add up to the year.
	now := time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)
	mk := func(name string, outages ...Outage) RegionInput {
		return RegionInput{Region: name, Input: Input{Service: "portal", Period: YearPeriod(2026, time.UTC, now), Now: now,
			Policy: Policy{TargetPercent: 99.7}, Monitored: always, Outages: outages}}
	}
	eu := mk("eu", down(time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC), "status 503"))
	us := mk("us", down(time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC), "timeout"))
	in, err := Merge(MergeAll, []RegionInput{eu, us})
	if err != nil {
		t.Fatal(err)
	}
	r := AccountYear(in)
	if r.DowntimeSeconds != 7200 || len(r.Months) != 12 || r.Months[2].DowntimeSeconds != 3600 || r.Months[3].DowntimeSeconds != 3600 {
		t.Errorf("year downtime %v, March %v, April %v: want 7200, 3600, 3600", r.DowntimeSeconds, r.Months[2].DowntimeSeconds, r.Months[3].DowntimeSeconds)
	}
	if r.Months[3].Merged == nil {
		t.Error("month report lost the merge note")
	}
}
