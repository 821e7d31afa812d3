package uptime

import (
	"testing"
	"time"
)

// TestDocsWorkedExample is the worked example in docs/uptime.md; keep the
// two in step.
func TestDocsWorkedExample(t *testing.T) {
	now := tm(amsterdam, 2026, 11, 2, 9, 0)
	oct := MonthPeriod(2026, time.October, amsterdam, now)
	day := func(d, h, m int) time.Time { return tm(amsterdam, 2026, 10, d, h, m) }
	weekly, err := RecurringWindows("customer-portal", "0 2 * * SUN", 2*time.Hour, amsterdam, "weekly patching", oct.Start, oct.End)
	if err != nil {
		t.Fatal(err)
	}
	r := Account(Input{
		Service: "customer-portal", SLA: "ultimo-saas", Period: oct, Now: now,
		Policy:      Policy{TargetPercent: 99.7},
		Maintenance: weekly,
		Outages: []Outage{
			{ID: 1, Start: day(11, 1, 0), End: day(11, 3, 30), Cause: "status 503"},
			{ID: 2, Start: day(14, 10, 0), End: day(14, 13, 0), Cause: "connection refused",
				Excluded: true, ExcludeReason: "regional power failure", ExcludedBy: "alice"},
			{ID: 3, Start: day(28, 14, 0), End: day(28, 14, 45), Cause: "timeout"},
		},
		Monitored: []Interval{iv(oct.Start, day(20, 8, 0)), iv(day(20, 10, 0), oct.End)},
	})
	figures{period: 2682000, excluded: 39600, eligible: 2642400, downtime: 6300, unmonitored: 7200,
		measured: 2635200, uptime: pf(100 * (2635200.0 - 6300) / 2635200), met: pb(true)}.check(t, r)
	if r.ErrorBudgetSeconds != 7905.6 || r.ErrorBudgetRemainingSeconds != 1605.6 {
		t.Errorf("budget %v remaining %v, want 7905.6 and 1605.6", r.ErrorBudgetSeconds, r.ErrorBudgetRemainingSeconds)
	}
	if got := []float64{r.Outages[0].CountedSeconds, r.Outages[1].CountedSeconds, r.Outages[2].CountedSeconds}; got[0] != 3600 || got[1] != 0 || got[2] != 2700 {
		t.Errorf("counted %v, want [3600 0 2700]", got)
	}
	t.Logf("uptime %.6f%%", *r.UptimePercent)
}
