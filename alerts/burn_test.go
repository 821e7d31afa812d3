package alerts_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/uptime"
)

// burnT is when the synthetic outages of the burn tests begin.
var burnT = time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestBurnRate(t *testing.T) {
	now := burnT
	iv := func(from, to time.Duration) uptime.Interval {
		return uptime.Interval{Start: now.Add(from), End: now.Add(to)}
	}
	tests := []struct {
		name     string
		downtime []uptime.Interval
		window   time.Duration
		target   float64
		want     float64
	}{
		{"no downtime", nil, time.Hour, 99.9, 0},
		{"down the whole window", []uptime.Interval{iv(-2*time.Hour, 0)}, time.Hour, 99.9, 1000},
		{"half the window", []uptime.Interval{iv(-30*time.Minute, 0)}, time.Hour, 99, 50},
		{"exactly the budget rate", []uptime.Interval{iv(-3600*time.Millisecond, 0)}, time.Hour, 99.9, 1},
		{"overlaps count once", []uptime.Interval{iv(-30*time.Minute, -10*time.Minute), iv(-20*time.Minute, 0)}, time.Hour, 99.9, 500},
		{"outside the window", []uptime.Interval{iv(-3*time.Hour, -time.Hour), iv(time.Minute, time.Hour)}, time.Hour, 99.9, 0},
		{"window end is exclusive of the future", []uptime.Interval{iv(-6*time.Minute, 10*time.Minute)}, 5 * time.Minute, 99.9, 1000},
		{"target 100, down", []uptime.Interval{iv(-time.Second, 0)}, time.Hour, 100, math.Inf(1)},
		{"target 100, up", nil, time.Hour, 100, 0},
		{"empty window", []uptime.Interval{iv(-time.Hour, 0)}, 0, 99.9, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := alerts.BurnRate(tc.downtime, tc.window, now, tc.target)
			if !(got == tc.want || near(got, tc.want)) {
				t.Errorf("BurnRate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBurnThreshold(t *testing.T) {
	tests := []struct {
		base   float64
		period string
		want   float64
	}{
		{14.4, uptime.KindMonth, 14.4},
		{14.4, "", 14.4},
		{6, uptime.KindMonth, 6},
		{14.4, uptime.KindYear, 175.2}, // 2% of a 365-day budget in an hour
		{6, uptime.KindYear, 73},       // 5% of a 365-day budget in six hours
	}
	for _, tc := range tests {
		if got := alerts.BurnThreshold(tc.base, tc.period); !near(got, tc.want) {
			t.Errorf("BurnThreshold(%v, %q) = %v, want %v", tc.base, tc.period, got, tc.want)
		}
	}
	// Whatever the period, the fast threshold spends 2% of its budget over
	// the hour, the slow one 5% over six hours.
	for _, period := range []string{uptime.KindMonth, uptime.KindYear} {
		for _, w := range alerts.BurnWindows() {
			spent := alerts.BurnThreshold(w.Threshold, period) * w.Long.Seconds() / alerts.PeriodLength(period).Seconds()
			want := map[string]float64{"fast": 0.02, "slow": 0.05}[w.Name]
			if !near(spent, want) {
				t.Errorf("%s %s spends %v of the budget, want %v", period, w.Name, spent, want)
			}
		}
	}
}

// burning reports whether window name burns at now for a total outage that
// began at burnT (the daemon passes the open outage as [start, now)).
func burning(t *testing.T, target float64, period, name string, downtime []uptime.Interval, now time.Time) bool {
	t.Helper()
	for _, b := range alerts.EvaluateBurn(alerts.BurnFacts{TargetPercent: target, Period: period, Downtime: downtime}, now) {
		if b.Window.Name == name {
			return b.Burning
		}
	}
	t.Fatalf("no %s window", name)
	return false
}

func openOutage(now time.Time) []uptime.Interval {
	return []uptime.Interval{{Start: burnT, End: now}}
}

// TestBurnTotalOutageExactMoment works out by hand when a total outage
// starting at T trips each window.
//
// 99.9% per month: the budget fraction is 0.001. Fast needs 14.4 × 0.001 ×
// 1h = 51.84 s of downtime in the last hour and 14.4 × 0.001 × 5m = 4.32 s
// in the last five minutes: both hold from T+51.84s. Slow needs 6 × 0.001 ×
// 6h = 129.6 s in six hours (and 10.8 s in 30 minutes): from T+129.6s.
//
// 99.7% per year: thresholds scale by 365/30 to 175.2 and 73. Fast needs
// 175.2 × 0.003 × 3600 s = 1892.16 s = 31m32.16s; slow 73 × 0.003 × 21600 s
// = 4730.4 s = 78m50.4s.
func TestBurnTotalOutageExactMoment(t *testing.T) {
	tests := []struct {
		target float64
		period string
		window string
		fires  time.Duration
	}{
		{99.9, uptime.KindMonth, "fast", 51840 * time.Millisecond},
		{99.9, uptime.KindMonth, "slow", 129600 * time.Millisecond},
		{99.7, uptime.KindYear, "fast", 31*time.Minute + 32160*time.Millisecond},
		{99.7, uptime.KindYear, "slow", 78*time.Minute + 50400*time.Millisecond},
	}
	for _, tc := range tests {
		before, exact := burnT.Add(tc.fires-time.Millisecond), burnT.Add(tc.fires)
		if burning(t, tc.target, tc.period, tc.window, openOutage(before), before) {
			t.Errorf("%v%%/%s %s burns at T+%s, before T+%s", tc.target, tc.period, tc.window, tc.fires-time.Millisecond, tc.fires)
		}
		if !burning(t, tc.target, tc.period, tc.window, openOutage(exact), exact) {
			t.Errorf("%v%%/%s %s does not burn at T+%s", tc.target, tc.period, tc.window, tc.fires)
		}
	}
}

// TestBurnShortWindowResets: a 10-minute outage [T, T+10m) at 99.9% per
// month. Fast stops once the last 5 minutes hold less than 4.32 s of it:
// T+15m − now < 4.32 s, so after T+14m55.68s. Slow goes on while the
// last 30 minutes hold 10.8 s: T+40m − now ≥ 10.8 s, until T+39m49.2s.
func TestBurnShortWindowResets(t *testing.T) {
	down := []uptime.Interval{{Start: burnT, End: burnT.Add(10 * time.Minute)}}
	checks := []struct {
		d      time.Duration
		window string
		want   bool
	}{
		{14*time.Minute + 55680*time.Millisecond, "fast", true},
		{14*time.Minute + 55681*time.Millisecond, "fast", false},
		{39*time.Minute + 49200*time.Millisecond, "slow", true},
		{39*time.Minute + 49201*time.Millisecond, "slow", false},
	}
	for _, c := range checks {
		if got := burning(t, 99.9, uptime.KindMonth, c.window, down, burnT.Add(c.d)); got != c.want {
			t.Errorf("%s at T+%s: burning %v, want %v", c.window, c.d, got, c.want)
		}
	}
}

// burnFacts is a service with only burn facts: its state stays up so that
// no other rule fires.
func burnFacts(now time.Time, target float64, period string, down []uptime.Interval) alerts.Facts {
	var clipped []uptime.Interval
	for _, iv := range down {
		if iv.End.After(now) {
			iv.End = now
		}
		clipped = append(clipped, iv)
	}
	return alerts.Facts{Now: now, Services: []alerts.ServiceFacts{{
		Name: "portal", Environment: "production", State: uptime.StateUp,
		Burn: alerts.BurnFacts{TargetPercent: target, Period: period, Downtime: clipped},
	}}}
}

// TestBurnAlertMinuteByMinute evaluates once a minute, as a daemon would:
// a total outage at 99.7% per year trips the fast window at T+31m32.16s, so
// the alert fires at the evaluation of T+32m and not before.
func TestBurnAlertMinuteByMinute(t *testing.T) {
	e := alerts.NewEngine(0)
	outage := []uptime.Interval{{Start: burnT, End: burnT.Add(24 * time.Hour)}}
	for m := 0; m <= 40; m++ {
		got := e.Eval(burnFacts(burnT.Add(time.Duration(m)*time.Minute), 99.7, uptime.KindYear, outage))
		switch {
		case m == 32:
			if moves(got) != "portal:inactive>firing" {
				t.Fatalf("T+%dm: %q, want the burn alert to fire", m, moves(got))
			}
			a := got[0].Alert
			if a.Labels["alertname"] != alerts.RuleErrorBudgetBurn || a.Labels["severity"] != "P3" {
				t.Errorf("labels %v", a.Labels)
			}
			want := "portal is burning its error budget fast: 2.03% of a year's budget in the last 1h (177.8× over 1h, 333.3× over 5m; alert at 175.2×)"
			if s := a.Annotations["summary"]; s != want {
				t.Errorf("summary\n got %q\nwant %q", s, want)
			}
		case len(got) != 0:
			t.Fatalf("T+%dm: %q, want nothing", m, moves(got))
		}
	}
}

// TestBurnAlertFastThenSlow: after the 10-minute outage at 99.9% per month
// the one ErrorBudgetBurn alert fires at T+1m (fast), stays firing while
// slow takes over after T+15m, and resolves at the first evaluation after
// T+39m49.2s.
func TestBurnAlertFastThenSlow(t *testing.T) {
	e := alerts.NewEngine(0)
	down := []uptime.Interval{{Start: burnT, End: burnT.Add(10 * time.Minute)}}
	for m := 0; m <= 45; m++ {
		got := moves(e.Eval(burnFacts(burnT.Add(time.Duration(m)*time.Minute), 99.9, uptime.KindMonth, down)))
		want := map[int]string{1: "portal:inactive>firing", 40: "portal:firing>resolved"}[m]
		if got != want {
			t.Errorf("T+%dm: %q, want %q", m, got, want)
		}
		act := e.Active()
		switch {
		case m == 5 && !strings.Contains(act[0].Annotations["summary"], "budget fast"):
			t.Errorf("T+5m: %q, want fast", act[0].Annotations["summary"])
		case m == 20 && !strings.Contains(act[0].Annotations["summary"], "budget slow"):
			t.Errorf("T+20m: %q, want slow", act[0].Annotations["summary"])
		}
	}
}

func TestBurnNeedsATarget(t *testing.T) {
	f := burnFacts(burnT.Add(time.Hour), 0, uptime.KindMonth, []uptime.Interval{{Start: burnT, End: burnT.Add(time.Hour)}})
	if c := alerts.Conditions(f); len(c) != 0 {
		t.Errorf("got %v without a target", alertnames(c))
	}
}
