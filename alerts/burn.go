package alerts

import (
	"fmt"
	"math"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// BurnFacts is what the ErrorBudgetBurn rule needs of a service.
type BurnFacts struct {
	// TargetPercent is the SLA policy's uptime target, e.g. 99.9; 0 means
	// the service has none and the rule is silent.
	TargetPercent float64
	// Period is the policy's period, uptime.KindMonth or uptime.KindYear;
	// empty is a month.
	Period string
	// Downtime is the service's counted downtime over at least the last
	// 6 hours (the longest window): outages, an open one running to Now,
	// minus maintenance and force majeure. Overlaps count once.
	Downtime []uptime.Interval
}

// BurnWindow is one multiwindow burn-rate condition of the Google SRE
// workbook ("Alerting on SLOs", multiwindow, multi-burn-rate alerts): the
// burn rate must be at or above Threshold over both Long and Short. The
// long window makes the alert significant, the short one lets it reset
// soon after the burning stops.
type BurnWindow struct {
	Name        string // "fast" or "slow"
	Long, Short time.Duration
	// Threshold is the burn rate for a 30-day period; BurnThreshold scales
	// it to the policy's period.
	Threshold float64
}

// The workbook's windows: fast spends 2% of a 30-day budget in an hour
// (14.4 × 1h / 720h), slow 5% in six hours (6 × 6h / 720h).
var burnWindows = []BurnWindow{
	{Name: "fast", Long: time.Hour, Short: 5 * time.Minute, Threshold: 14.4},
	{Name: "slow", Long: 6 * time.Hour, Short: 30 * time.Minute, Threshold: 6},
}

// BurnWindows returns the fast and the slow window, in that order.
func BurnWindows() []BurnWindow { return append([]BurnWindow(nil), burnWindows...) }

// basePeriod is the period the workbook's thresholds are written for.
const basePeriod = 30 * 24 * time.Hour

// burnTolerance absorbs floating-point error at the exact threshold, so a
// burn rate that is 14.4 on paper is not 14.399999999999999.
const burnTolerance = 1e-9

// PeriodLength is the nominal length of an SLA period for error budgets:
// 30 days for a month, 365 for a year.
func PeriodLength(period string) time.Duration {
	if period == uptime.KindYear {
		return 365 * 24 * time.Hour
	}
	return basePeriod
}

// BurnThreshold scales a 30-day threshold to period so that it keeps its
// meaning as a fraction of the period's error budget. Burning at rate b for
// a window w spends b × w / |period| of the budget; the workbook's 14.4 over
// 1h spends 2% of a 30-day budget, and spending 2% of a 365-day budget in
// an hour takes 14.4 × 365/30 = 175.2. A threshold above 1/(1 − target)
// cannot be reached (even total downtime burns slower); then only a
// ServiceDown alert tells of an outage, which is right: it does not spend
// the budget fast.
func BurnThreshold(base float64, period string) float64 {
	return base * float64(PeriodLength(period)) / float64(basePeriod)
}

// BurnRate is how fast downtime spends the error budget over the window
// [now − window, now): the downtime fraction in the window divided by the
// fraction the target allows, 1 − target/100. 1 spends exactly the budget
// over the period; 0 is no downtime. Overlapping intervals count once. A
// target of 100 allows nothing: any downtime burns at +Inf.
func BurnRate(downtime []uptime.Interval, window time.Duration, now time.Time, target float64) float64 {
	if window <= 0 {
		return 0
	}
	down := uptime.Union(downtime).Overlap(uptime.Interval{Start: now.Add(-window), End: now})
	frac := down.Seconds() / window.Seconds()
	budget := 1 - target/100
	if budget <= 0 {
		if frac > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return frac / budget
}

// Burn is one window's verdict.
type Burn struct {
	Window              BurnWindow
	Threshold           float64 // scaled to the period
	LongRate, ShortRate float64
	Burning             bool    // both rates at or above Threshold
	BudgetSpent         float64 // fraction of the period's budget spent over the long window
}

// EvaluateBurn judges b at now against the fast and the slow window, in
// that order.
func EvaluateBurn(b BurnFacts, now time.Time) []Burn {
	set := uptime.Union(b.Downtime)
	out := make([]Burn, 0, len(burnWindows))
	for _, w := range burnWindows {
		thr := BurnThreshold(w.Threshold, b.Period)
		long := BurnRate(set, w.Long, now, b.TargetPercent)
		short := BurnRate(set, w.Short, now, b.TargetPercent)
		floor := thr * (1 - burnTolerance)
		out = append(out, Burn{
			Window:      w,
			Threshold:   thr,
			LongRate:    long,
			ShortRate:   short,
			Burning:     long >= floor && short >= floor,
			BudgetSpent: long * w.Long.Seconds() / PeriodLength(b.Period).Seconds(),
		})
	}
	return out
}

func periodName(period string) string {
	if period == uptime.KindYear {
		return "year"
	}
	return "month"
}

// budgetLasts says how long a whole period's budget lasts at burn rate
// rate: |period| / rate.
func budgetLasts(rate float64, period string) string {
	if rate <= 0 || math.IsInf(rate, 1) {
		if rate <= 0 {
			return "forever"
		}
		return "no time at all"
	}
	d := time.Duration(float64(PeriodLength(period)) / rate)
	if d < time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return shortDuration(d)
}
