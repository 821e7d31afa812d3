package uptime

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"time"
)

// How unmonitored time counts (Policy.Unmonitored).
const (
	UnmonitoredExclude = "exclude" // left out of measured time (default)
	UnmonitoredUp      = "up"      // counts as available
	UnmonitoredDown    = "down"    // counts as downtime
)

// How degraded time counts (Policy.Degraded).
const (
	DegradedUp   = "up"   // available (default)
	DegradedDown = "down" // downtime
)

// How a late maintenance window counts (Policy.LateMaintenance).
const (
	LateCount   = "count"   // as ordinary time: downtime in it is downtime (default)
	LateExclude = "exclude" // excluded like any other window
)

// Policy is the part of an SLA policy that uptime accounting needs. Empty
// strings take the defaults: unmonitored exclude, degraded up, late
// maintenance count.
type Policy struct {
	TargetPercent     float64       // e.g. 99.7
	Unmonitored       string        // UnmonitoredExclude, UnmonitoredUp or UnmonitoredDown
	Degraded          string        // DegradedUp or DegradedDown
	MaintenanceNotice time.Duration // notice a window needs to not be late; 0 needs none
	LateMaintenance   string        // LateCount or LateExclude
}

// Validate checks the policy's values. Account takes an unknown mode as its
// default, so config loading should call Validate.
func (p Policy) Validate() error {
	switch {
	case math.IsNaN(p.TargetPercent) || p.TargetPercent < 0 || p.TargetPercent > 100:
		return fmt.Errorf("uptime target %v: want a percentage from 0 to 100", p.TargetPercent)
	case p.MaintenanceNotice < 0:
		return fmt.Errorf("maintenance notice %s is negative", p.MaintenanceNotice)
	}
	switch p.Unmonitored {
	case "", UnmonitoredExclude, UnmonitoredUp, UnmonitoredDown:
	default:
		return fmt.Errorf("unmonitored %q: want %s, %s or %s", p.Unmonitored, UnmonitoredExclude, UnmonitoredUp, UnmonitoredDown)
	}
	switch p.Degraded {
	case "", DegradedUp, DegradedDown:
	default:
		return fmt.Errorf("degraded %q: want %s or %s", p.Degraded, DegradedUp, DegradedDown)
	}
	switch p.LateMaintenance {
	case "", LateCount, LateExclude:
	default:
		return fmt.Errorf("late maintenance %q: want %s or %s", p.LateMaintenance, LateCount, LateExclude)
	}
	return nil
}

// normalized returns the policy with defaults for empty or unknown modes.
func (p Policy) normalized() Policy {
	if p.Unmonitored != UnmonitoredUp && p.Unmonitored != UnmonitoredDown {
		p.Unmonitored = UnmonitoredExclude
	}
	if p.Degraded != DegradedDown {
		p.Degraded = DegradedUp
	}
	if p.LateMaintenance != LateExclude {
		p.LateMaintenance = LateCount
	}
	return p
}

// Input is everything one uptime report is computed from. Account does no
// I/O: the caller loads the service's history, and passes the report's time
// as Now.
type Input struct {
	Service, SLA string
	Period       Period    // a month or year; its location is the report's time zone
	Now          time.Time // the report's time; the period counts up to it
	Policy       Policy

	// Outages of the service. Open ones (zero End) run to Now. Excluded ones
	// (force majeure) count as excluded time, like maintenance.
	Outages []Outage
	// Maintenance windows, recurring ones already expanded (see
	// RecurringWindows). Cancelled ones are ignored; late ones count as
	// ordinary time unless Policy.LateMaintenance is LateExclude.
	Maintenance []Window
	// Monitored is when the daemon was probing the service; the rest of the
	// period is unmonitored.
	Monitored []Interval
	// Degraded is when the service was in the degraded state.
	Degraded []Interval
	// Merged, when set, names the regions this input was merged from and
	// the rule (see Merge); the report carries it.
	Merged *Merged
}

// Report is one period's uptime figures (SPEC §4) with the outages and
// maintenance windows behind them. It marshals to the report JSON of SPEC
// §7. Seconds are exact (to the nanosecond); round only for display.
type Report struct {
	Service  string    `json:"service"`
	SLA      string    `json:"sla"`
	Timezone string    `json:"timezone"`
	Period   Period    `json:"period"`
	At       time.Time `json:"at"` // the report's time (Input.Now)
	// Merged names the regions and the rule of a report merged from
	// several regions' stores (Merge); absent otherwise.
	Merged *Merged `json:"merged,omitempty"`

	TargetPercent float64  `json:"target_percent"`
	UptimePercent *float64 `json:"uptime_percent"` // nil (null) when measured_seconds is 0
	Met           *bool    `json:"met"`            // nil (null) when measured_seconds is 0

	PeriodSeconds               float64 `json:"period_seconds"`
	ExcludedSeconds             float64 `json:"excluded_seconds"`
	EligibleSeconds             float64 `json:"eligible_seconds"`
	DowntimeSeconds             float64 `json:"downtime_seconds"`
	UnmonitoredSeconds          float64 `json:"unmonitored_seconds"`
	MeasuredSeconds             float64 `json:"measured_seconds"`
	DegradedSeconds             float64 `json:"degraded_seconds"`
	ErrorBudgetSeconds          float64 `json:"error_budget_seconds"`
	ErrorBudgetRemainingSeconds float64 `json:"error_budget_remaining_seconds"`

	// Breakdowns: excluded = maintenance + force majeure (outside
	// maintenance); outage_seconds is the part of downtime in outages (the
	// rest is degraded or unmonitored time the policy counts as down).
	MaintenanceSeconds  float64 `json:"maintenance_seconds"`
	ForceMajeureSeconds float64 `json:"force_majeure_seconds"`
	OutageSeconds       float64 `json:"outage_seconds"`

	// The policy's modes, so a reader knows how the figures were counted.
	UnmonitoredMode string `json:"unmonitored_mode"`
	DegradedMode    string `json:"degraded_mode"`
	LateMaintenance string `json:"late_maintenance"`

	Outages     []OutageLine      `json:"outages"`
	Maintenance []MaintenanceLine `json:"maintenance"`
	// Backups holds the service's backup sets over the period; the caller
	// fills it (see BackupLine). It marshals as [] when empty, never null.
	Backups BackupLines `json:"backups"`
	// Responsiveness holds one line per alert severity (P1 to P4) with
	// incidents in the period: how they were acknowledged and resolved
	// against the policy's targets. The caller fills it (the alerts
	// package's Responsiveness makes the lines from the service's alerts).
	// It marshals as [] when empty, never null.
	Responsiveness ResponseLines `json:"responsiveness"`

	// Months holds the year report's months that have begun, each a full
	// month report; empty for a month.
	Months []Report `json:"months,omitempty"`
}

// OutageLine is one outage in a report.
type OutageLine struct {
	ID    int64      `json:"id"`
	Start time.Time  `json:"start"`
	End   *time.Time `json:"end"` // null while open
	Open  bool       `json:"open"`
	// CountedSeconds is the outage's time inside the counted period and
	// outside exclusions: 0 for a force majeure outage. Overlapping outages
	// each show their own time; downtime_seconds counts it once.
	CountedSeconds float64    `json:"counted_seconds"`
	Cause          string     `json:"cause"`
	Probe          string     `json:"probe,omitempty"`
	Severity       string     `json:"severity,omitempty"`
	Source         string     `json:"source,omitempty"`
	Excluded       *Exclusion `json:"excluded"` // null unless force majeure
	// Audit is the exclusion history (force majeure marked and undone),
	// oldest first; absent when there is none.
	Audit []OutageEvent `json:"audit,omitempty"`
}

// Exclusion is why an outage is force majeure.
type Exclusion struct {
	Reason string     `json:"reason"`
	By     string     `json:"by"`
	At     *time.Time `json:"at"` // null when unknown
}

// MaintenanceLine is one maintenance window in a report.
type MaintenanceLine struct {
	ID          int64      `json:"id,omitempty"`
	Start       time.Time  `json:"start"`
	End         time.Time  `json:"end"`
	Reason      string     `json:"reason"`
	Source      string     `json:"source,omitempty"`
	AnnouncedAt *time.Time `json:"announced_at"` // null for config windows and when unknown
	AnnouncedBy string     `json:"announced_by,omitempty"`
	// NoticeSeconds is Start − AnnouncedAt (negative when announced after
	// the start); null when AnnouncedAt is.
	NoticeSeconds *float64 `json:"notice_seconds"`
	Late          bool     `json:"late"`
	// Excluded tells whether the window's time is excluded: true unless it
	// is late and late maintenance counts. ExcludedSeconds is its time
	// inside the counted period when it is (windows may overlap).
	Excluded        bool    `json:"excluded"`
	ExcludedSeconds float64 `json:"excluded_seconds"`
}

// Account computes the uptime report for in.Period as SPEC §4 defines it:
//
//	period      = |P|, P the period counted up to Now
//	excluded    = |(maintenance ∪ force majeure) ∩ P|
//	eligible    = period − excluded
//	downtime    = |outages ∩ P − excluded|
//	              (+ degraded with degraded: down, + unmonitored with unmonitored: down)
//	unmonitored = |unmonitored ∩ P − excluded − outages|
//	degraded    = |degraded ∩ P − excluded − outages − unmonitored|
//	measured    = eligible − unmonitored (exclude) or eligible (up, down)
//	uptime      = 100 × (measured − downtime) / measured; null when measured is 0
//	met         = uptime ≥ target, compared exactly
//	budget      = (1 − target/100) × measured; remaining = budget − downtime
//
// Every |…| is the length of a union of intervals, so overlaps count once.
// Outages and windows of another service (non-empty Service that differs
// from in.Service) are ignored.
func Account(in Input) Report {
	return prepare(in).report(in.Period)
}

// AccountYear is Account for a year plus a month report for each of its
// months that has begun by Now (months wholly after Now are left out, not
// reported empty). For a month period it is Account.
func AccountYear(in Input) Report {
	a := prepare(in)
	r := a.report(in.Period)
	if in.Period.Kind != KindYear {
		return r
	}
	for _, m := range in.Period.Months(a.now) {
		if !m.Start.Before(a.now) {
			break
		}
		r.Months = append(r.Months, a.report(m))
	}
	return r
}

type outageRef struct {
	o  *Outage // in Input.Outages
	iv Interval
}

type window struct {
	w        Window
	iv       Interval
	late     bool
	excluded bool
}

// accounting holds an Input's normalized sets, so a year and its months are
// computed from one preparation.
type accounting struct {
	in     Input
	now    time.Time
	pol    Policy
	loc    *time.Location
	target *big.Rat // nil when the target is not a number

	outages []outageRef // the service's outages, sorted by start
	maxEnd  []time.Time // maxEnd[k]: latest end of outages[0..k], to find a period's first outage
	windows []window    // of the service, not cancelled, sorted

	maint    Set // excluded maintenance
	excluded Set // maintenance ∪ force majeure
	down     Set // outages − excluded
	covered  Set // monitored ∪ excluded ∪ down; the rest is unmonitored
	degraded Set // degraded ∩ monitored − excluded − down
}

func prepare(in Input) *accounting {
	a := &accounting{
		in:  in,
		now: in.Now.Round(0), // strip the monotonic reading
		pol: in.Policy.normalized(),
		loc: in.Period.Start.Location(),
	}
	a.target = exactDecimal(in.Policy.TargetPercent)

	var maintIv, fmIv, downIv []Interval
	for _, w := range in.Maintenance {
		if w.Cancelled() || !a.ours(w.Service) || !w.End.After(w.Start) {
			continue
		}
		late := Late(w, a.pol.MaintenanceNotice)
		x := window{w: w, iv: w.Interval(), late: late, excluded: !late || a.pol.LateMaintenance == LateExclude}
		a.windows = append(a.windows, x)
		if x.excluded {
			maintIv = append(maintIv, x.iv)
		}
	}
	var order []timeKey
	for i := range in.Outages {
		o := &in.Outages[i]
		if !a.ours(o.Service) {
			continue
		}
		order = append(order, keyOf(o.Start, o.ID, i))
		iv := a.outageInterval(o)
		if o.Excluded {
			fmIv = append(fmIv, iv)
		} else {
			downIv = append(downIv, iv)
		}
	}
	// By start, then ID, then input order; sorting keys rather than the
	// (large) outages themselves.
	slices.SortFunc(order, compareKeys)
	a.outages = make([]outageRef, len(order))
	a.maxEnd = make([]time.Time, len(order))
	for k, key := range order {
		o := &in.Outages[key.i]
		a.outages[k] = outageRef{o: o, iv: a.outageInterval(o)}
		a.maxEnd[k] = a.outages[k].iv.End
		if k > 0 && a.maxEnd[k-1].After(a.maxEnd[k]) {
			a.maxEnd[k] = a.maxEnd[k-1]
		}
	}
	slices.SortStableFunc(a.windows, func(x, y window) int {
		return cmp.Or(x.iv.Start.Compare(y.iv.Start), x.iv.End.Compare(y.iv.End), cmp.Compare(x.w.ID, y.w.ID))
	})

	a.maint = Union(maintIv)
	a.excluded = a.maint.Or(Union(fmIv))
	a.down = Union(downIv).Subtract(a.excluded)
	monitored := Union(in.Monitored)
	a.covered = monitored.Or(a.excluded).Or(a.down)
	a.degraded = Union(in.Degraded).Intersect(monitored).Subtract(a.excluded).Subtract(a.down)
	return a
}

// ours reports whether an outage or window of service belongs to the report.
func (a *accounting) ours(service string) bool {
	return service == "" || a.in.Service == "" || service == a.in.Service
}

// outageInterval is the outage's time; an open outage runs to now.
func (a *accounting) outageInterval(o *Outage) Interval {
	end := o.End
	if o.Open() {
		end = a.now
	}
	return Interval{Start: o.Start, End: end}
}

func (a *accounting) report(p Period) Report {
	p = p.At(a.now)
	c := p.Counted(a.now)

	period := c.Duration()
	excluded := a.excluded.Overlap(c)
	maint := a.maint.Overlap(c)
	outage := a.down.Overlap(c)
	unmonitored := period - a.covered.Overlap(c)
	degraded := a.degraded.Overlap(c)

	eligible := period - excluded
	downtime := outage
	if a.pol.Degraded == DegradedDown {
		downtime += degraded
	}
	measured := eligible
	switch a.pol.Unmonitored {
	case UnmonitoredExclude:
		measured -= unmonitored
	case UnmonitoredDown:
		downtime += unmonitored
	}

	r := Report{
		Service:  a.in.Service,
		SLA:      a.in.SLA,
		Timezone: a.loc.String(),
		Period:   p,
		At:       a.now.In(a.loc),
		Merged:   a.in.Merged,

		TargetPercent: a.in.Policy.TargetPercent,

		PeriodSeconds:      seconds(period),
		ExcludedSeconds:    seconds(excluded),
		EligibleSeconds:    seconds(eligible),
		DowntimeSeconds:    seconds(downtime),
		UnmonitoredSeconds: seconds(unmonitored),
		MeasuredSeconds:    seconds(measured),
		DegradedSeconds:    seconds(degraded),

		MaintenanceSeconds:  seconds(maint),
		ForceMajeureSeconds: seconds(excluded - maint),
		OutageSeconds:       seconds(outage),

		UnmonitoredMode: a.pol.Unmonitored,
		DegradedMode:    a.pol.Degraded,
		LateMaintenance: a.pol.LateMaintenance,

		Outages:     a.outageLines(c),
		Maintenance: a.maintenanceLines(c),
	}
	a.figures(&r, measured, downtime)
	return r
}

// figures fills uptime, met and the error budget with exact rational
// arithmetic on nanoseconds, so 43.2 minutes down in 30 days is exactly
// 99.9% and meets a 99.9 target.
func (a *accounting) figures(r *Report, measured, downtime time.Duration) {
	if a.target != nil {
		// budget = (100 − target)/100 × measured, in seconds.
		budget := new(big.Rat).Sub(big.NewRat(100, 1), a.target)
		budget.Mul(budget, big.NewRat(int64(measured), 100*int64(time.Second)))
		r.ErrorBudgetSeconds, _ = budget.Float64()
		remaining := budget.Sub(budget, big.NewRat(int64(downtime), int64(time.Second)))
		r.ErrorBudgetRemainingSeconds, _ = remaining.Float64()
	}
	if measured <= 0 {
		return
	}
	// 100 × available / measured; 100 × a year of nanoseconds overflows
	// nothing, but big.Int keeps it obviously so.
	up := new(big.Rat).SetFrac(
		new(big.Int).Mul(big.NewInt(100), big.NewInt(int64(measured-downtime))),
		big.NewInt(int64(measured)))
	pct, _ := up.Float64()
	r.UptimePercent = &pct
	if a.target != nil {
		met := up.Cmp(a.target) >= 0
		r.Met = &met
	}
}

func (a *accounting) outageLines(c Interval) []OutageLine {
	// Outages before first all end by c.Start; those from the first that
	// starts at or after c.End on start too late.
	first := sort.Search(len(a.maxEnd), func(k int) bool { return a.maxEnd[k].After(c.Start) })
	var refs []outageRef
	for k := first; k < len(a.outages) && a.outages[k].iv.Start.Before(c.End); k++ {
		if a.outages[k].iv.overlaps(c) {
			refs = append(refs, a.outages[k])
		}
	}
	lines := make([]OutageLine, 0, len(refs))
	ends := make([]time.Time, 0, len(refs)) // the lines' End point into it
	for _, ref := range refs {
		o, iv := ref.o, ref.iv
		l := OutageLine{
			ID:       o.ID,
			Start:    o.Start.In(a.loc),
			Open:     o.Open(),
			Cause:    o.Cause,
			Probe:    o.Probe,
			Severity: o.Severity,
			Source:   o.Source,
		}
		for _, e := range o.Events {
			e.At = e.At.In(a.loc)
			l.Audit = append(l.Audit, e)
		}
		if !o.Open() {
			ends = append(ends, o.End.In(a.loc))
			l.End = &ends[len(ends)-1]
		}
		if o.Excluded {
			l.Excluded = &Exclusion{Reason: o.ExcludeReason, By: o.ExcludedBy, At: a.timePtr(o.ExcludedAt)}
		} else {
			in := Interval{Start: later(iv.Start, c.Start), End: earlier(iv.End, c.End)}
			l.CountedSeconds = seconds(in.Duration() - a.excluded.Overlap(in))
		}
		lines = append(lines, l)
	}
	return lines
}

func (a *accounting) maintenanceLines(c Interval) []MaintenanceLine {
	lines := []MaintenanceLine{}
	for _, x := range a.windows {
		if !x.iv.overlaps(c) {
			continue
		}
		w := x.w
		l := MaintenanceLine{
			ID:       w.ID,
			Start:    w.Start.In(a.loc),
			End:      w.End.In(a.loc),
			Reason:   w.Reason,
			Source:   w.Source,
			Late:     x.late,
			Excluded: x.excluded,
		}
		if w.Announced() {
			l.AnnouncedAt = a.timePtr(w.AnnouncedAt)
			l.AnnouncedBy = w.AnnouncedBy
			n := seconds(NoticeOf(w))
			l.NoticeSeconds = &n
		}
		if x.excluded {
			l.ExcludedSeconds = seconds(Interval{Start: later(x.iv.Start, c.Start), End: earlier(x.iv.End, c.End)}.Duration())
		}
		lines = append(lines, l)
	}
	return lines
}

func (a *accounting) timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(a.loc)
	return &t
}

// seconds converts exactly for whole seconds and to the nearest float64
// otherwise.
func seconds(d time.Duration) float64 { return d.Seconds() }

// exactDecimal returns the decimal a person wrote for f (99.7 is 997/10,
// not the binary fraction nearest to it), or nil when f is not finite.
func exactDecimal(f float64) *big.Rat {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if !ok {
		return nil
	}
	return r
}
