package uptime

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// The HTML report is one self-contained file (inline CSS and SVG; no
// scripts, fonts, images or links) that can be mailed or printed to PDF.
// html/template escapes every value from the report.

//go:embed report.html.tmpl
var reportTemplateText string

var reportTemplate = template.Must(template.New("report").Parse(reportTemplateText))

type htmlDoc struct {
	Title     string
	Kicker    string
	Generated string
	Regions   string // mergedText of a summary
	Reports   []htmlReport
	Summary   []htmlSummaryRow
	Notes     []string
}

type htmlReport struct {
	Kicker                                                string
	Service, SLA, PeriodName, Bounds, Timezone, Generated string
	Regions                                               string // mergedText; empty for one store

	Uptime, Target string
	Verdict        string // met, notmet or none: a CSS class
	VerdictText    string
	Running        bool

	Figures []htmlFigure
	Budget  htmlBudget
	Chart   *htmlChart
	Months  []htmlMonth

	Outages      []htmlOutage
	Maintenance  []htmlMaintenance
	LateNote     string
	HasLate      bool
	Exclusions   []htmlExclusion
	Audit        []htmlAudit
	ForceMajeure string // excluded force majeure time
	Backups      []htmlBackup
	BackupNotes  []string
	// Responsiveness is the alert severities' lines; ResponseCount is
	// "5 incidents".
	Responsiveness []htmlResponse
	ResponseCount  string
	ResponseNotes  []string

	Counting []string
}

type htmlFigure struct{ Label, Value, Note string }

type htmlBudget struct {
	Total, Used, Share, Left string
	Fill                     string // CSS width of the used part, in percent
	Over, None               bool
}

type htmlMonth struct {
	Name, Uptime, Verdict, VerdictClass, Downtime, Excluded, Unmonitored, Left string
	Outages                                                                    int
	NotBegun                                                                   bool
}

type htmlOutage struct {
	ID, Start, End, Counted, Cause, Probe, Severity string
	Open, ForceMajeure                              bool
}

type htmlMaintenance struct {
	Start, End, Reason, Notice, Excluded string
	Late, Counted                        bool
}

type htmlExclusion struct {
	ID, Start, End, Length, Cause, Reason, By, At string
}

type htmlAudit struct{ ID, At, Action, By, Reason string }

type htmlBackup struct {
	Set, RPO, Compliance, Outside, WorstAge, Met, MetClass string
	Backups, Failures                                      int
	Breach                                                 bool // some time was outside the RPO
}

type htmlResponse struct {
	Severity, AckInTime, WorstResponse, ResolvedInTime, WorstResolution, Targets string
	Incidents, ResponseMissed, Escalated, ResolutionMissed                       int
}

type htmlSummaryRow struct {
	Service, SLA, Period, Target, Uptime, Verdict, VerdictClass, Downtime, Left, Outages string
	Over                                                                                 bool
}

func renderHTML(buf *bytes.Buffer, reports []Report, opts RenderOptions) error {
	doc := htmlDoc{Kicker: "SLA uptime report"}
	if opts.Title != "" {
		doc.Kicker = opts.Title
	}
	for i, r := range reports {
		daily := opts.DailyByService[r.Service]
		if len(reports) == 1 && opts.DailyUptime != nil {
			daily = opts.DailyUptime
		}
		hr := htmlReportOf(r, opts, daily)
		hr.Kicker = doc.Kicker
		doc.Reports = append(doc.Reports, hr)
		if i == 0 {
			doc.Title = defaultTitle(r)
		}
	}
	if len(reports) > 1 {
		doc.Title = "Uptime reports"
	}
	if opts.Title != "" {
		doc.Title = opts.Title
	}
	return reportTemplate.ExecuteTemplate(buf, "document", doc)
}

func renderSummaryHTML(buf *bytes.Buffer, reports []Report, opts RenderOptions) error {
	doc := htmlDoc{Title: summaryTitle(reports, opts), Kicker: "SLA uptime summary"}
	if len(reports) > 0 {
		doc.Generated = generated(reports[0], opts)
	}
	doc.Regions = summaryMerged(reports)
	for _, r := range reports {
		doc.Summary = append(doc.Summary, htmlSummaryRow{
			Service: r.Service, SLA: r.SLA, Period: periodName(r.Period), Target: percent(r.TargetPercent) + "%",
			Uptime: uptimeShort(r), Verdict: htmlVerdict(r.Met), VerdictClass: verdictClass(r.Met),
			Downtime: duration(r.DowntimeSeconds), Left: budgetLeft(r), Outages: outageCount(r),
			Over: r.ErrorBudgetRemainingSeconds < 0,
		})
	}
	if len(reports) == 0 {
		doc.Notes = append(doc.Notes, "No services.")
	}
	return reportTemplate.ExecuteTemplate(buf, "summary", doc)
}

// htmlVerdict is verdict with NO DATA for nothing measured.
func htmlVerdict(met *bool) string {
	if met == nil {
		return "NO DATA"
	}
	return verdict(met)
}

func verdictClass(met *bool) string {
	switch {
	case met == nil:
		return "none"
	case *met:
		return "met"
	}
	return "notmet"
}

func htmlReportOf(r Report, opts RenderOptions, daily []DailyPoint) htmlReport {
	h := htmlReport{
		Service:     r.Service,
		SLA:         r.SLA,
		PeriodName:  periodName(r.Period),
		Bounds:      periodBounds(r),
		Timezone:    r.Timezone,
		Generated:   generated(r, opts),
		Regions:     mergedText(r.Merged),
		Uptime:      uptimeShort(r),
		Target:      percent(r.TargetPercent) + "%",
		Verdict:     verdictClass(r.Met),
		VerdictText: htmlVerdict(r.Met),
		Running:     !r.Period.Complete,
		LateNote:    lateNote(r),
	}
	h.Figures = []htmlFigure{
		{"Downtime", duration(r.DowntimeSeconds), downtimeNote(r)},
		{"Excluded", duration(r.ExcludedSeconds), excludedNote(r)},
		{"Unmonitored", duration(r.UnmonitoredSeconds), unmonitoredNote(r)},
		{"Degraded", duration(r.DegradedSeconds), degradedNote(r)},
		{"Measured", duration(r.MeasuredSeconds), "of " + duration(r.EligibleSeconds) + " eligible"},
		{"Outages", outageCount(r), ""},
	}
	if r.UptimePercent == nil {
		h.Figures[4].Note = "nothing measured: no uptime figure"
	}

	h.Budget = htmlBudget{
		Total: duration(r.ErrorBudgetSeconds),
		Used:  duration(r.DowntimeSeconds),
		Share: budgetUsed(r),
		Left:  budgetLeft(r),
		Over:  r.ErrorBudgetRemainingSeconds < 0,
		None:  r.ErrorBudgetSeconds <= 0,
	}
	fill := 0.0
	switch {
	case h.Budget.Over:
		fill = 100
	case r.ErrorBudgetSeconds > 0:
		fill = math.Min(100, 100*r.DowntimeSeconds/r.ErrorBudgetSeconds)
	}
	h.Budget.Fill = strconv.FormatFloat(fill, 'f', 1, 64)

	if len(daily) > 0 {
		h.Chart = newChart(r, daily)
	}
	for _, m := range yearMonths(r) {
		if m.R == nil {
			h.Months = append(h.Months, htmlMonth{Name: m.Name, NotBegun: true})
			continue
		}
		h.Months = append(h.Months, htmlMonth{
			Name: m.Name, Uptime: uptimeShort(*m.R), Verdict: htmlVerdict(m.R.Met), VerdictClass: verdictClass(m.R.Met),
			Downtime: duration(m.R.DowntimeSeconds), Excluded: duration(m.R.ExcludedSeconds),
			Unmonitored: duration(m.R.UnmonitoredSeconds), Left: budgetLeft(*m.R), Outages: len(m.R.Outages),
		})
	}
	for _, o := range r.Outages {
		end := "ongoing"
		if o.End != nil {
			end = clock(*o.End)
		}
		h.Outages = append(h.Outages, htmlOutage{
			ID: strconv.FormatInt(o.ID, 10), Start: clock(o.Start), End: end, Counted: duration(o.CountedSeconds),
			Cause: o.Cause, Probe: o.Probe, Severity: o.Severity, Open: o.Open, ForceMajeure: o.Excluded != nil,
		})
	}
	for _, m := range r.Maintenance {
		h.Maintenance = append(h.Maintenance, htmlMaintenance{
			Start: clock(m.Start), End: clock(m.End), Reason: m.Reason, Notice: notice(m),
			Excluded: windowExcluded(m), Late: m.Late, Counted: !m.Excluded,
		})
		h.HasLate = h.HasLate || m.Late
	}
	for _, o := range forceMajeure(r) {
		h.Exclusions = append(h.Exclusions, htmlExclusion{
			ID: strconv.FormatInt(o.ID, 10), Start: clock(o.Start), End: outageEnd(o), Length: duration(outageLength(r, o)),
			Cause: o.Cause, Reason: o.Excluded.Reason, By: o.Excluded.By,
		})
		if at := o.Excluded.At; at != nil {
			h.Exclusions[len(h.Exclusions)-1].At = clock(*at)
		}
	}
	for _, a := range auditTrail(r) {
		h.Audit = append(h.Audit, htmlAudit{ID: strconv.FormatInt(a.ID, 10), At: clock(a.At), Action: a.Action, By: a.By, Reason: a.Reason})
	}
	h.ForceMajeure = duration(r.ForceMajeureSeconds)
	for _, b := range r.Backups {
		h.Backups = append(h.Backups, htmlBackup{
			Set: b.Set, RPO: backupRPO(b), Compliance: backupCompliance(b), Outside: backupOutside(b),
			WorstAge: backupWorstAge(b), Met: backupMet(b), MetClass: verdictClass(b.Met),
			Backups: b.Backups, Failures: b.Failures,
			Breach: b.RPOSeconds != nil && b.WithinRPOSeconds < b.CountedSeconds,
		})
	}
	if len(r.Backups) > 0 {
		h.BackupNotes = backupNotes(r)
	}
	for _, l := range r.Responsiveness {
		h.Responsiveness = append(h.Responsiveness, htmlResponse{
			Severity:         l.Severity,
			Incidents:        l.Incidents,
			AckInTime:        outOf(l.AcknowledgedInTime, l.Incidents),
			ResponseMissed:   l.ResponseMissed,
			Escalated:        l.Escalated,
			WorstResponse:    worstText(l.WorstResponseSeconds),
			ResolvedInTime:   outOf(l.ResolvedInTime, l.Incidents),
			ResolutionMissed: l.ResolutionMissed,
			WorstResolution:  worstText(l.WorstResolutionSeconds),
			Targets:          responseTargets(l),
		})
	}
	if len(r.Responsiveness) > 0 {
		h.ResponseCount = responseIncidents(r)
		h.ResponseNotes = responseNotes(r)
	}
	measured := "the period less excluded time (maintenance announced in time, force majeure)"
	if r.UnmonitoredMode == UnmonitoredExclude {
		measured += " and unmonitored time"
	}
	h.Counting = []string{
		"Uptime = (measured − downtime) / measured, where measured time is " + measured + ".",
		"Unmonitored time is " + unmonitoredNote(r) + "; degraded time is " + degradedNote(r) + ". " + lateNote(r),
		"Times are in " + r.Timezone + ". Durations are rounded to the second for display; uptime is never rounded across the target.",
	}
	return h
}

// ---- the daily chart ----

type htmlChart struct {
	Label                     string // the chart's accessible name
	W, H                      int
	Left, Right, Top, Bottom  string
	Bars                      []htmlBar
	Grid                      []htmlGridLine
	TargetY, TargetLabel      string
	TargetLabelY              string
	Ticks                     []htmlTick
	DowntimeDays              []string
	Floor                     string
	HasNone, HasDip, HasBelow bool
}

type htmlBar struct{ X, Y, W, H, Class, Title string }

type htmlGridLine struct{ Y, LabelY, Label string }

type htmlTick struct{ X, Y, Label string }

// chartFloors are the y-axis floors a chart may use; it takes the highest
// that leaves room below the target and the worst day.
var chartFloors = []float64{99.99, 99.95, 99.9, 99.8, 99.5, 99, 98, 95, 90, 80, 50, 0}

func chartFloor(target float64, daily []DailyPoint) float64 {
	low := math.Min(100, target)
	if math.IsNaN(low) || low < 0 {
		low = 0
	}
	for _, d := range daily {
		if d.UptimePercent != nil {
			low = math.Min(low, *d.UptimePercent)
		}
	}
	limit := low - 0.15*(100-low)
	for _, f := range chartFloors {
		if f <= limit {
			return f
		}
	}
	return 0
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

func newChart(r Report, daily []DailyPoint) *htmlChart {
	const (
		w, h          = 880, 240
		left, right   = 52.0, 836.0 // the target's label goes right of the plot
		top, bottom   = 14.0, 206.0
		minBarHeight  = 2.0
		barShareMonth = 0.72
		maxDownDays   = 40
	)
	floor := chartFloor(r.TargetPercent, daily)
	y := func(v float64) float64 {
		v = math.Max(floor, math.Min(100, v))
		return top + (100-v)/(100-floor)*(bottom-top)
	}
	c := &htmlChart{
		Label: fmt.Sprintf("Daily availability of %s, %s; y axis from %s%% to 100%%, target %s%%",
			r.Service, periodName(r.Period), percent(floor), percent(r.TargetPercent)),
		W: w, H: h,
		Left: coord(left), Right: coord(right), Top: coord(top), Bottom: coord(bottom),
		Floor: percent(floor),
	}
	for _, v := range []float64{100, (100 + floor) / 2, floor} {
		c.Grid = append(c.Grid, htmlGridLine{Y: coord(y(v)), LabelY: coord(y(v) + 4), Label: percent(roundTo(v, 4)) + "%"})
	}
	if !math.IsNaN(r.TargetPercent) && r.TargetPercent >= floor && r.TargetPercent <= 100 {
		c.TargetY = coord(y(r.TargetPercent))
		c.TargetLabelY = coord(y(r.TargetPercent) + 4)
		c.TargetLabel = percent(r.TargetPercent) + "%"
	}

	// One slot per day of the whole period, so a period to date shows
	// where it stands; by position when the points are not its days.
	days := periodDays(r.Period)
	slotOf := make(map[string]int, len(days))
	for i, d := range days {
		slotOf[d.Format(time.DateOnly)] = i
	}
	pos := make([]int, len(daily))
	for i, d := range daily {
		k, ok := slotOf[d.Day.Format(time.DateOnly)]
		if !ok {
			days, pos = nil, nil
			break
		}
		pos[i] = k
	}
	if days == nil {
		for _, d := range daily {
			days = append(days, d.Day)
		}
	}
	n := len(days)
	slot := (right - left) / float64(n)
	year := n > 62
	bw := math.Max(0.8, slot*barShareMonth)
	if year {
		bw = slot + 0.4 // overlapping a little: a year reads as an area with notches
	}
	for i, d := range days {
		switch {
		case !year:
			c.Ticks = append(c.Ticks, htmlTick{X: coord(left + (float64(i)+0.5)*slot), Y: coord(bottom + 14), Label: strconv.Itoa(d.Day())})
		case d.Day() == 1 || i == 0:
			c.Ticks = append(c.Ticks, htmlTick{X: coord(left + float64(i)*slot + 2), Y: coord(bottom + 14), Label: d.Format("Jan")})
		}
	}
	for i, d := range daily {
		k := i
		if pos != nil {
			k = pos[i]
		}
		x := left + float64(k)*slot + (slot-bw)/2
		bar := htmlBar{X: coord(x), W: coord(bw), Title: dayTitle(d, r.TargetPercent)}
		switch {
		case d.UptimePercent == nil:
			bar.Class, c.HasNone = "none", true
			bar.Y, bar.H = coord(top), coord(bottom-top)
		default:
			u := *d.UptimePercent
			yy := y(u)
			hh := bottom - yy
			switch {
			case d.DowntimeSeconds == 0:
				bar.Class = "up"
			case u < r.TargetPercent:
				bar.Class, c.HasBelow = "below", true
			default:
				bar.Class, c.HasDip = "dip", true
			}
			if hh < minBarHeight {
				hh, yy = minBarHeight, bottom-minBarHeight
			}
			bar.Y, bar.H = coord(yy), coord(hh)
		}
		c.Bars = append(c.Bars, bar)
		if d.DowntimeSeconds > 0 {
			c.DowntimeDays = append(c.DowntimeDays, d.Day.Format("Mon 2 Jan")+" "+duration(d.DowntimeSeconds))
		}
	}
	if k := len(c.DowntimeDays); k > maxDownDays {
		c.DowntimeDays = append(c.DowntimeDays[:maxDownDays], fmt.Sprintf("and %d more days", k-maxDownDays))
	}
	return c
}

// periodDays returns the local midnights of the period's days.
func periodDays(p Period) []time.Time {
	loc := p.Start.Location()
	y, m, d := p.Start.In(loc).Date()
	var out []time.Time
	for i := 0; ; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		if !day.Before(p.End) || i > 400 {
			return out
		}
		out = append(out, day)
	}
}

// roundTo rounds f to n decimals, for axis labels.
func roundTo(f float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(f*p) / p
}

// dayTitle is a bar's tooltip: "Sun 25 Oct 2026: 99.861% available, 2h
// downtime (25-hour day)".
func dayTitle(d DailyPoint, target float64) string {
	var b strings.Builder
	b.WriteString(d.Day.Format("Mon 2 Jan 2006"))
	b.WriteString(": ")
	if d.UptimePercent == nil {
		b.WriteString("nothing measured")
	} else {
		b.WriteString(formatUptime(*d.UptimePercent, target, nil, d.DowntimeSeconds > 0))
		b.WriteString("% available, ")
		b.WriteString(duration(d.DowntimeSeconds))
		b.WriteString(" downtime")
	}
	if d.ExcludedSeconds > 0 {
		b.WriteString(", ")
		b.WriteString(duration(d.ExcludedSeconds))
		b.WriteString(" excluded")
	}
	if h := d.PeriodSeconds / 3600; d.PeriodSeconds > 0 && h != 24 && isWholeDay(d) {
		fmt.Fprintf(&b, " (%s-hour day)", strconv.FormatFloat(h, 'f', -1, 64))
	}
	return b.String()
}

// isWholeDay reports whether the point covers its whole local day, as
// opposed to today counted up to now.
func isWholeDay(d DailyPoint) bool {
	y, m, dd := d.Day.Date()
	next := time.Date(y, m, dd+1, 0, 0, 0, 0, d.Day.Location())
	return next.Sub(d.Day).Seconds() == d.PeriodSeconds
}
