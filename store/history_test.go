package store

import (
	"testing"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// The store is what reports read their history from.
var _ uptime.History = (*Store)(nil)

// TestHistoryFeedsAccounting: what the History methods return, put into
// uptime.Account as they are, gives the figures SPEC §4 asks for: a
// cancelled window does not excuse the outage in it, an excluded outage
// counts as excluded time, and the current degraded state counts up to now.
func TestHistoryFeedsAccounting(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	day := func(d, h, m int) time.Time { return time.Date(2026, 10, d, h, m, 0, 0, time.UTC) }
	now := day(10, 0, 0)
	const svc = "portal"

	// Monitored from the first of the month up to now.
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	w.Add(result(svc, "home", day(1, 0, 0), true))
	w.Add(result(svc, "home", now, true))
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, o := range []uptime.Outage{
		{Service: svc, Start: day(2, 10, 0), End: day(2, 11, 0), Source: uptime.SourceProbe},
		{Service: svc, Start: day(3, 10, 0), End: day(3, 10, 30), Source: uptime.SourceManual,
			Excluded: true, ExcludeReason: "power grid", ExcludedBy: "cli", ExcludedAt: day(3, 12, 0)},
	} {
		if _, err := s.InsertOutage(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	announced := day(1, 0, 0)
	if _, err := s.AddMaintenance(ctx, uptime.Window{Service: svc, Start: day(4, 2, 0), End: day(4, 4, 0),
		Source: uptime.SourceAPI, AnnouncedAt: announced, Reason: "patching"}); err != nil {
		t.Fatal(err)
	}
	id, err := s.AddMaintenance(ctx, uptime.Window{Service: svc, Start: day(2, 9, 0), End: day(2, 12, 0),
		Source: uptime.SourceCLI, AnnouncedAt: announced, Reason: "called off"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CancelMaintenance(ctx, id, "alice", day(1, 12, 0)); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []struct {
		state uptime.State
		at    time.Time
	}{
		{uptime.StateUp, day(1, 0, 0)},
		{uptime.StateDegraded, day(5, 0, 0)},
		{uptime.StateUp, day(5, 1, 0)},
		{uptime.StateDegraded, day(9, 23, 0)}, // still degraded now
	} {
		if err := s.RecordState(ctx, svc, ch.state, ch.at); err != nil {
			t.Fatal(err)
		}
	}

	var h uptime.History = s
	p := uptime.MonthPeriod(2026, time.October, time.UTC, now)
	in := uptime.Input{Service: svc, Period: p, Now: now, Policy: uptime.Policy{TargetPercent: 99.9}}
	if in.Outages, err = h.OutagesBetween(ctx, svc, p.Start, now); err != nil {
		t.Fatal(err)
	}
	if in.Maintenance, err = h.MaintenanceBetween(ctx, svc, p.Start, now); err != nil {
		t.Fatal(err)
	}
	if in.Monitored, err = h.MonitoredSpans(ctx, svc, p.Start, now); err != nil {
		t.Fatal(err)
	}
	if in.Degraded, err = h.StateIntervals(ctx, svc, uptime.StateDegraded, p.Start, now, now); err != nil {
		t.Fatal(err)
	}
	if len(in.Maintenance) != 2 {
		t.Fatalf("MaintenanceBetween = %+v, want both windows", in.Maintenance)
	}
	r := uptime.Account(in)
	for name, tc := range map[string]struct{ got, want float64 }{
		"excluded":    {r.ExcludedSeconds, (2*time.Hour + 30*time.Minute).Seconds()},
		"downtime":    {r.DowntimeSeconds, time.Hour.Seconds()},
		"degraded":    {r.DegradedSeconds, 2 * time.Hour.Seconds()},
		"unmonitored": {r.UnmonitoredSeconds, 0},
	} {
		if tc.got != tc.want {
			t.Errorf("%s seconds = %v, want %v", name, tc.got, tc.want)
		}
	}
}
