package uptime

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
)

// Format is a report output format (`slawatch report --format`).
type Format string

// Report formats.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatCSV      Format = "csv"
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
)

// ParseFormat parses a --format value. The empty string is FormatText.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case "":
		return FormatText, nil
	case FormatText, FormatJSON, FormatCSV, FormatMarkdown, FormatHTML:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want text, json, csv, markdown or html", s)
}

// RenderOptions are what a rendered report shows beyond the Report itself.
type RenderOptions struct {
	// Now is when the document was generated; the report's own time
	// (Report.At) when zero.
	Now time.Time
	// Title replaces the document's default title ("Uptime report: SERVICE,
	// PERIOD"); with several reports it heads the whole document.
	Title string
	// DailyUptime is the daily availability of a single report (see Daily),
	// drawn as a chart in HTML; nil draws none. With several reports use
	// DailyByService.
	DailyUptime []DailyPoint
	// DailyByService holds each report's daily availability by service
	// name, for documents of several reports. DailyUptime takes precedence
	// for a single report.
	DailyByService map[string][]DailyPoint
	// Generator names the program, e.g. "slawatch v1.4.0"; optional.
	Generator string
}

// DailyPoint is one local day's availability within a report's period.
type DailyPoint struct {
	Day             time.Time // local midnight in the report's time zone
	UptimePercent   *float64  // nil when nothing was measured that day
	DowntimeSeconds float64
	// PeriodSeconds is the day's counted length: 82,800 or 90,000 on the
	// days clocks change, less for a day still running.
	PeriodSeconds   float64
	ExcludedSeconds float64 // maintenance and force majeure
	MeasuredSeconds float64
}

// BackupLine is one backup set's record over the report's period. The
// uptime package computes none of it: the caller fills Report.Backups (the
// backup package's RPOCompliance and Compliance.Line make a line from a
// set's records). Seconds are exact; round only for display.
type BackupLine struct {
	Set        string   `json:"set"`
	RPOSeconds *float64 `json:"rpo_seconds"` // null when the set has no RPO
	// CountedSeconds is the part of the period evaluated: all of it, or up
	// to the report's time while it runs.
	CountedSeconds float64 `json:"counted_seconds"`
	// WithinRPOSeconds is the counted time in which the newest successful
	// backup was at most RPO old; 0 without an RPO.
	WithinRPOSeconds float64 `json:"within_rpo_seconds"`
	// CompliancePercent is 100 × within / counted; null when counted is 0
	// or the set has no RPO.
	CompliancePercent *float64 `json:"compliance_percent"`
	// WorstAgeSeconds is the largest age of the newest successful backup
	// during the counted period (a supremum: reached just before the next
	// backup, or at the period's end); null when no backup existed in it.
	WorstAgeSeconds *float64 `json:"worst_age_seconds"`
	Backups         int      `json:"backups"`  // successful backups taken in the period
	Failures        int      `json:"failures"` // failed ones
	// Met is the set's status (RPO and retention) at the period's end, or
	// at the report's time while it runs; null when unknown. State is ok,
	// failing or unknown at that time; empty when not evaluated.
	Met   *bool  `json:"met"`
	State string `json:"state,omitempty"`
}

// BackupLines is Report.Backups: a []BackupLine that marshals as [] when
// nil, so a report's JSON never has "backups": null. A []BackupLine can be
// assigned to it as is.
type BackupLines []BackupLine

// MarshalJSON writes the lines as a JSON array, [] when there are none.
func (b BackupLines) MarshalJSON() ([]byte, error) { return marshalList([]BackupLine(b)) }

// ResponseLine is one alert severity's responsiveness over a report's
// period: how its incidents (alerts that fired in the period) were
// acknowledged and resolved against the policy's response and resolution
// targets. The uptime package computes none of it: the caller fills
// Report.Responsiveness (the alerts package's Responsiveness makes the
// lines from the service's alerts). Seconds are exact; round only for
// display.
type ResponseLine struct {
	Severity  string `json:"severity"`  // P1 to P4
	Incidents int    `json:"incidents"` // alerts of this severity that fired in the period
	// Acknowledged counts the incidents acknowledged at all (by the
	// report's time); AcknowledgedInTime those acknowledged by their
	// response deadline, or at any time when there is no response target.
	Acknowledged       int `json:"acknowledged"`
	AcknowledgedInTime int `json:"acknowledged_in_time"`
	// ResponseMissed counts the incidents with a response deadline that
	// went unanswered past it: acknowledged late, or not at all while the
	// alert stayed active past the deadline. An incident that resolved by
	// its response deadline needed no response and is not missed; one
	// still open and unacknowledged before its deadline is not yet due.
	ResponseMissed int `json:"response_missed"`
	// Escalated counts the incidents that escalated (stepped up their
	// route to a further receiver because nobody acknowledged them by their
	// response deadline) at least once by the report's time; an incident
	// that escalated several times counts once.
	Escalated int `json:"escalated"`
	// Resolved counts the incidents resolved (by the report's time);
	// ResolvedInTime those resolved by their resolution deadline, or at any
	// time when there is no resolution target; ResolutionMissed those with
	// a resolution deadline resolved after it, or still open past it.
	Resolved         int `json:"resolved"`
	ResolvedInTime   int `json:"resolved_in_time"`
	ResolutionMissed int `json:"resolution_missed"`
	// WorstResponseSeconds is the longest time from firing to
	// acknowledgement (or to resolution, when that came first), over the
	// acknowledged incidents and those whose response was missed, an
	// unacknowledged one counted up to its resolution or, while open, the
	// report's time; null when there is none.
	WorstResponseSeconds *float64 `json:"worst_response_seconds"`
	// WorstResolutionSeconds is the longest time from firing to
	// resolution, counting open incidents up to the report's time; null
	// when there is none.
	WorstResolutionSeconds *float64 `json:"worst_resolution_seconds"`
	// The policy's targets for the severity as written, e.g. "2bh"; empty
	// when it has none. Incidents under different targets (one service
	// under two policies) list each, separated by ", ".
	ResponseTarget   string `json:"response_target,omitempty"`
	ResolutionTarget string `json:"resolution_target,omitempty"`
}

// ResponseLines is Report.Responsiveness: a []ResponseLine that marshals
// as [] when nil, so a report's JSON never has "responsiveness": null. A
// []ResponseLine can be assigned to it as is.
type ResponseLines []ResponseLine

// MarshalJSON writes the lines as a JSON array, [] when there are none.
func (l ResponseLines) MarshalJSON() ([]byte, error) { return marshalList([]ResponseLine(l)) }

// marshalList writes a slice as a JSON array, [] (never null) when nil.
func marshalList[T any](s []T) ([]byte, error) {
	if s == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s)
}

// kindDay is the Kind of the day periods Daily accounts; it never leaves the
// package.
const kindDay = "day"

// Daily returns the availability of every local day of in.Period that has
// begun by in.Now, from local midnight to the next local midnight in the
// period's location (23 or 25 hours long when clocks change; the day in
// progress counted up to Now). Each day is accounted exactly as Account
// accounts the period, so the days' downtime adds up to the report's.
func Daily(in Input) []DailyPoint {
	a := prepare(in)
	p := in.Period
	c := p.Counted(a.now)
	if !c.End.After(c.Start) {
		return nil
	}
	loc := p.Start.Location()
	y, m, d := p.Start.In(loc).Date()
	var out []DailyPoint
	for i := 0; ; i++ {
		start := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		if !start.Before(c.End) {
			break
		}
		// Where local midnight does not exist time.Date picks a
		// neighbouring offset; a day's end is the next day's start made by
		// the same call, so days meet without gaps.
		end := time.Date(y, m, d+i+1, 0, 0, 0, 0, loc)
		start, end = later(start, p.Start), earlier(end, p.End)
		if !end.After(start) {
			continue
		}
		r := a.report(Period{Kind: kindDay, Label: start.Format(time.DateOnly), Start: start, End: end})
		out = append(out, DailyPoint{
			Day:             start,
			UptimePercent:   r.UptimePercent,
			DowntimeSeconds: r.DowntimeSeconds,
			PeriodSeconds:   r.PeriodSeconds,
			ExcludedSeconds: r.ExcludedSeconds,
			MeasuredSeconds: r.MeasuredSeconds,
		})
	}
	return out
}

// Render writes reports in format f.
//
// One report is rendered in full. Several (one per service) are rendered in
// full one after another in text, markdown and html (one document); json
// writes an array of report objects and csv one file with the rows of every
// report. json is the report JSON of SPEC §7, indented two spaces.
//
// The csv columns, in order (a cell is empty where a column does not apply;
// numbers are full precision, times RFC 3339 with offset):
//
//	kind                    summary, month, outage, maintenance, backup or response
//	service, sla, timezone  the report's
//	period                  the period's label: 2026-10 or 2026 (month rows: their month)
//	start, end              summary, month: the period's bounds; outage: its start and
//	                        end (empty while open); maintenance: the window's
//	complete                summary, month: true once the period has ended
//	target_percent          summary, month
//	uptime_percent, met     summary, month; empty when nothing was measured (null);
//	                        met also for backup rows (below)
//	period_seconds, excluded_seconds, eligible_seconds, downtime_seconds,
//	unmonitored_seconds, measured_seconds, degraded_seconds,
//	maintenance_seconds, force_majeure_seconds, outage_seconds,
//	error_budget_seconds, error_budget_remaining_seconds
//	                        summary, month: the figures of SPEC §4
//	outage_count            summary, month: outages in the period, force majeure included
//	id                      outage, maintenance: the store ID (0 for config windows)
//	seconds                 outage: its whole length (to the report's time while open);
//	                        maintenance: the window's length
//	counted_seconds         outage: the part counted as downtime in the period;
//	                        maintenance: the part excluded in the period
//	open                    outage: true while open
//	cause, probe, severity, source
//	                        outage; source also for maintenance (config, api, cli),
//	                        severity also for response rows (below)
//	excluded                outage: true for force majeure; maintenance: true when its
//	                        time is excluded (false for a late window that counts)
//	excluded_reason, excluded_by, excluded_at
//	                        outage: why, by whom and when it was made force majeure
//	reason, announced_at, announced_by, notice_seconds, late
//	                        maintenance
//
// and for backup rows (one per backup set of the report; a year report has
// the year's sets, period the year's label):
//
//	set                     the backup set's name
//	rpo_seconds             the set's RPO; empty when it has none
//	counted_seconds         the part of the period evaluated (up to the report's time)
//	within_rpo_seconds      the counted time in which the newest backup was at most RPO old
//	compliance_percent      100 × within_rpo_seconds / counted_seconds; empty without an
//	                        RPO or counted time
//	worst_age_seconds       the largest age of the newest backup in the period; empty when
//	                        there was no backup
//	backups, failures       successful and failed backups taken in the period
//	met, state              the set's status (RPO and retention) at the period's end, or
//	                        at the report's time while it runs: met true/false (empty when
//	                        unknown), state ok, failing or unknown
//
// and for response rows (one per alert severity with incidents in the
// report's period, P1 first; a year report has the year's, period the
// year's label):
//
//	severity                P1 to P4
//	incidents               alerts of the severity that fired in the period
//	acknowledged            incidents acknowledged at all (by the report's time)
//	acknowledged_in_time    incidents acknowledged by their response deadline (at any
//	                        time without a response target)
//	response_missed         incidents with a response deadline that went unanswered (not
//	                        acknowledged, not resolved) past it
//	resolved                incidents resolved (by the report's time)
//	resolved_in_time        incidents resolved by their resolution deadline (at any time
//	                        without a resolution target)
//	resolution_missed       incidents with a resolution deadline resolved after it, or
//	                        still open past it
//	worst_response_seconds  the longest firing-to-acknowledgement time (to resolution when
//	                        that came first), unacknowledged incidents past their deadline
//	                        counted to their resolution or the report's time; empty when
//	                        there is none
//	worst_resolution_seconds
//	                        the longest firing-to-resolution time, open incidents counted
//	                        to the report's time; empty when there is none
//	response_target, resolution_target
//	                        the policy's targets for the severity as written (2bh); empty
//	                        without one
//	escalated               incidents that escalated (passed up their route to a further
//	                        receiver, unacknowledged past their response deadline) at least
//	                        once by the report's time; the last column, so the others keep
//	                        their positions
//
// A text cell (service, sla, cause, probe, reasons, names, set, targets) that begins with
// = + - @ or a tab is prefixed with ' so spreadsheets do not run it as a
// formula.
func Render(w io.Writer, f Format, reports []Report, opts RenderOptions) error {
	if len(reports) == 0 {
		return errors.New("no reports to render")
	}
	var buf bytes.Buffer
	var err error
	switch f {
	case FormatText:
		renderText(&buf, reports, opts)
	case FormatMarkdown:
		renderMarkdown(&buf, reports, opts)
	case FormatJSON:
		if len(reports) == 1 {
			err = writeJSON(&buf, reports[0])
		} else {
			err = writeJSON(&buf, reports)
		}
	case FormatCSV:
		err = renderCSV(&buf, reports, false)
	case FormatHTML:
		err = renderHTML(&buf, reports, opts)
	default:
		return fmt.Errorf("format %q: want text, json, csv, markdown or html", string(f))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// RenderSummary writes one line per report, for a report of every service:
// service, SLA, period, target, uptime, met, downtime, error budget left and
// the number of outages. csv has the columns of Render with summary rows
// only; json is an array of objects with service, sla, timezone, period,
// at, target_percent, uptime_percent, met, downtime_seconds,
// error_budget_seconds, error_budget_remaining_seconds, outage_count and
// excluded_outage_count (force majeure).
func RenderSummary(w io.Writer, f Format, reports []Report, opts RenderOptions) error {
	var buf bytes.Buffer
	var err error
	switch f {
	case FormatText:
		summaryText(&buf, reports, opts)
	case FormatMarkdown:
		summaryMarkdown(&buf, reports, opts)
	case FormatJSON:
		rows := make([]summaryRow, len(reports))
		for i, r := range reports {
			rows[i] = summarize(r)
		}
		err = writeJSON(&buf, rows)
	case FormatCSV:
		err = renderCSV(&buf, reports, true)
	case FormatHTML:
		err = renderSummaryHTML(&buf, reports, opts)
	default:
		return fmt.Errorf("format %q: want text, json, csv, markdown or html", string(f))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// summaryRow is one service's line in RenderSummary's JSON.
type summaryRow struct {
	Service                     string    `json:"service"`
	SLA                         string    `json:"sla"`
	Timezone                    string    `json:"timezone"`
	Period                      Period    `json:"period"`
	At                          time.Time `json:"at"`
	TargetPercent               float64   `json:"target_percent"`
	UptimePercent               *float64  `json:"uptime_percent"`
	Met                         *bool     `json:"met"`
	DowntimeSeconds             float64   `json:"downtime_seconds"`
	ErrorBudgetSeconds          float64   `json:"error_budget_seconds"`
	ErrorBudgetRemainingSeconds float64   `json:"error_budget_remaining_seconds"`
	OutageCount                 int       `json:"outage_count"`
	ExcludedOutageCount         int       `json:"excluded_outage_count"`
	Merged                      *Merged   `json:"merged,omitempty"`
}

func summarize(r Report) summaryRow {
	return summaryRow{
		Service: r.Service, SLA: r.SLA, Timezone: r.Timezone, Period: r.Period, At: r.At,
		TargetPercent: r.TargetPercent, UptimePercent: r.UptimePercent, Met: r.Met,
		DowntimeSeconds:             r.DowntimeSeconds,
		ErrorBudgetSeconds:          r.ErrorBudgetSeconds,
		ErrorBudgetRemainingSeconds: r.ErrorBudgetRemainingSeconds,
		OutageCount:                 len(r.Outages),
		ExcludedOutageCount:         excludedOutages(r),
		Merged:                      r.Merged,
	}
}

func excludedOutages(r Report) int {
	n := 0
	for _, o := range r.Outages {
		if o.Excluded != nil {
			n++
		}
	}
	return n
}

func writeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ---- display helpers, shared by text, markdown and html ----

// uptimeText is the report's uptime for display: "99.953%", or
// "n/a (nothing measured)".
func uptimeText(r Report) string {
	if r.UptimePercent == nil {
		return "n/a (nothing measured)"
	}
	return formatUptime(*r.UptimePercent, r.TargetPercent, r.Met, r.DowntimeSeconds > 0) + "%"
}

// uptimeShort is uptimeText for tables: "n/a" when nothing was measured.
func uptimeShort(r Report) string {
	if r.UptimePercent == nil {
		return "n/a"
	}
	return uptimeText(r)
}

// formatUptime rounds an uptime percentage to three decimals for display,
// unless that would put it on the wrong side of the target (99.8999 not
// met must not show as 99.900) or at 100 with downtime; then it shows as
// many more decimals as it takes.
func formatUptime(u, target float64, met *bool, down bool) string {
	truthful := func(v float64) bool {
		if met != nil && *met != (v >= target) {
			return false
		}
		return !down || v < 100
	}
	for d := 3; d <= 17; d++ {
		s := strconv.FormatFloat(u, 'f', d, 64)
		if v, err := strconv.ParseFloat(s, 64); err == nil && truthful(v) {
			return s
		}
	}
	// The float64 itself is on the wrong side (a nanosecond over the budget
	// in a year rounds to the target): show the largest float64 below the
	// bound, which errs towards the truth.
	if met != nil && !*met && u >= target {
		u = math.Nextafter(target, math.Inf(-1))
	}
	if down && u >= 100 {
		u = math.Nextafter(100, math.Inf(-1))
	}
	return strconv.FormatFloat(u, 'f', -1, 64)
}

// percent formats a target or other given percentage as written: 99.9.
func percent(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// verdict is MET, NOT MET, or n/a when nothing was measured.
func verdict(met *bool) string {
	switch {
	case met == nil:
		return "n/a"
	case *met:
		return "MET"
	}
	return "NOT MET"
}

// duration formats seconds for people, to the second: 20m34s, 2h, 1h0m5s,
// 745h; "<1s" for less than half a second that is not zero.
func duration(sec float64) string {
	return humanDuration(sec, false)
}

// noticeDuration is duration with days, for notice periods: 6d11h.
func noticeDuration(sec float64) string {
	return humanDuration(sec, true)
}

func humanDuration(sec float64, days bool) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return "n/a"
	}
	sign := ""
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := int64(math.Round(sec))
	if s == 0 {
		if sec > 0 {
			return sign + "<1s"
		}
		return "0s"
	}
	type unit struct {
		n      int64
		suffix string
	}
	units := []unit{{s / 3600, "h"}}
	if days {
		units = []unit{{s / 86400, "d"}, {s / 3600 % 24, "h"}}
	}
	units = append(units, unit{s / 60 % 60, "m"}, unit{s % 60, "s"})
	// Leading and trailing zero units are left out, inner ones kept:
	// 1h0m5s.
	first, last := -1, -1
	for i, u := range units {
		if u.n != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	var b strings.Builder
	b.WriteString(sign)
	for _, u := range units[first : last+1] {
		fmt.Fprintf(&b, "%d%s", u.n, u.suffix)
	}
	return b.String()
}

// budgetUsed is the share of the error budget used, "46.2%", or "n/a"
// without a budget.
func budgetUsed(r Report) string {
	if r.ErrorBudgetSeconds <= 0 {
		if r.DowntimeSeconds > 0 && r.MeasuredSeconds > 0 {
			return "all (no budget)"
		}
		return "n/a"
	}
	return strconv.FormatFloat(100*r.DowntimeSeconds/r.ErrorBudgetSeconds, 'f', 1, 64) + "%"
}

// budgetLeft is "24m6s" or "exceeded by 3m".
func budgetLeft(r Report) string {
	if r.ErrorBudgetRemainingSeconds < 0 {
		return "exceeded by " + duration(-r.ErrorBudgetRemainingSeconds)
	}
	return duration(r.ErrorBudgetRemainingSeconds)
}

// clock formats a time for people: 2026-10-11 01:00 +02:00, with seconds
// when it has any.
func clock(t time.Time) string {
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.Format("2006-01-02 15:04:05 -07:00")
	}
	return t.Format("2006-01-02 15:04 -07:00")
}

// periodName is "October 2026" or "2026".
func periodName(p Period) string {
	switch p.Kind {
	case KindMonth:
		return p.Start.Format("January 2006")
	case KindYear:
		return p.Start.Format("2006")
	}
	return p.Label
}

// countedEnd is where the report's counting stopped: the period's end, or
// the report's time while it runs.
func countedEnd(r Report) time.Time {
	if r.Period.Complete || r.At.IsZero() {
		return r.Period.End
	}
	return r.Period.Counted(r.At).End
}

// periodBounds is "2026-10-01 00:00 +02:00 to 2026-11-01 00:00 +01:00
// (745h, complete)" or, while the period runs, "… to 2026-10-28 15:00
// +01:00 (664h of 745h, to date)".
func periodBounds(r Report) string {
	full := r.Period.End.Sub(r.Period.Start).Seconds()
	if r.Period.Complete {
		return fmt.Sprintf("%s to %s (%s, complete)", clock(r.Period.Start), clock(r.Period.End), duration(full))
	}
	return fmt.Sprintf("%s to %s (%s of %s, to date)", clock(r.Period.Start), clock(countedEnd(r)), duration(r.PeriodSeconds), duration(full))
}

func defaultTitle(r Report) string {
	name := periodName(r.Period)
	if !r.Period.Complete {
		name += " to date"
	}
	return fmt.Sprintf("Uptime report: %s, %s", r.Service, name)
}

func generated(r Report, opts RenderOptions) string {
	at := opts.Now
	if at.IsZero() {
		at = r.At
	}
	s := ""
	if !at.IsZero() {
		if loc := r.Period.Start.Location(); loc != nil {
			at = at.In(loc)
		}
		s = clock(at)
	}
	if opts.Generator != "" {
		if s != "" {
			s += " "
		}
		s += "by " + opts.Generator
	}
	return s
}

func unmonitoredNote(r Report) string {
	switch r.UnmonitoredMode {
	case UnmonitoredUp:
		return "counted as available"
	case UnmonitoredDown:
		return "counted as downtime"
	}
	return "left out of measured time"
}

func degradedNote(r Report) string {
	if r.DegradedMode == DegradedDown {
		return "counted as downtime"
	}
	return "counted as available"
}

func lateNote(r Report) string {
	if r.LateMaintenance == LateExclude {
		return "Late windows are excluded like any other window."
	}
	return "Late windows count as ordinary time: downtime in them counts."
}

// downtimeNote explains a downtime that is more than its outages: "outages
// 1h, degraded 30m, unmonitored 2h"; empty when it is all outages.
func downtimeNote(r Report) string {
	if r.DowntimeSeconds == r.OutageSeconds {
		return ""
	}
	parts := []string{"outages " + duration(r.OutageSeconds)}
	if r.DegradedMode == DegradedDown && r.DegradedSeconds > 0 {
		parts = append(parts, "degraded "+duration(r.DegradedSeconds))
	}
	if r.UnmonitoredMode == UnmonitoredDown && r.UnmonitoredSeconds > 0 {
		parts = append(parts, "unmonitored "+duration(r.UnmonitoredSeconds))
	}
	return strings.Join(parts, ", ")
}

// mergedText says which regions a merged report came from and by which
// rule: "eu, us, merged by rule all: …"; empty for a report of one store.
func mergedText(m *Merged) string {
	if m == nil {
		return ""
	}
	s := strings.Join(m.Regions, ", ") + ", merged by rule " + string(m.Rule) + ": "
	if m.Rule == MergeAny {
		return s + "down when any region saw it down"
	}
	return s + "down only when every region watching saw it down"
}

// summaryMerged is mergedText of a summary's reports, which come from one
// set of stores.
func summaryMerged(reports []Report) string {
	if len(reports) == 0 {
		return ""
	}
	return mergedText(reports[0].Merged)
}

func excludedNote(r Report) string {
	return fmt.Sprintf("maintenance %s, force majeure %s", duration(r.MaintenanceSeconds), duration(r.ForceMajeureSeconds))
}

func outageEnd(o OutageLine) string {
	if o.End == nil {
		return "open"
	}
	return clock(*o.End)
}

// outageLength is the outage's whole length, to the report's time while open.
func outageLength(r Report, o OutageLine) float64 {
	end := r.At
	if o.End != nil {
		end = *o.End
	}
	if end.Before(o.Start) {
		return 0
	}
	return end.Sub(o.Start).Seconds()
}

func exclusionText(o OutageLine) string {
	if o.Excluded == nil {
		return ""
	}
	if o.Excluded.Reason == "" {
		return "force majeure"
	}
	return "force majeure: " + o.Excluded.Reason
}

func exclusionBy(x *Exclusion) string {
	s := x.By
	if x.At != nil {
		if s != "" {
			s += ", "
		}
		s += clock(*x.At)
	}
	return s
}

// notice is how much notice a window had: "6d11h by alice", "scheduled
// (config)", "15m after start", or "unknown".
func notice(m MaintenanceLine) string {
	var s string
	switch {
	case m.NoticeSeconds != nil && *m.NoticeSeconds < 0:
		s = noticeDuration(-*m.NoticeSeconds) + " after start"
	case m.NoticeSeconds != nil:
		s = noticeDuration(*m.NoticeSeconds)
	case m.Source == SourceConfig:
		return "scheduled (config)"
	default:
		return "unknown"
	}
	if m.AnnouncedBy != "" {
		s += " by " + m.AnnouncedBy
	}
	return s
}

// windowExcluded is the window's excluded time, or why it has none.
func windowExcluded(m MaintenanceLine) string {
	if !m.Excluded {
		return "no, counted"
	}
	return duration(m.ExcludedSeconds)
}

// auditEntry is one change of an outage's exclusion, for the history table.
type auditEntry struct {
	ID int64
	OutageEvent
}

// auditTrail lists every exclusion and inclusion of the report's outages,
// in time order: force majeure that was marked and later undone shows here
// and nowhere else.
func auditTrail(r Report) []auditEntry {
	var out []auditEntry
	for _, o := range r.Outages {
		for _, e := range o.Audit {
			out = append(out, auditEntry{o.ID, e})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func forceMajeure(r Report) []OutageLine {
	var out []OutageLine
	for _, o := range r.Outages {
		if o.Excluded != nil {
			out = append(out, o)
		}
	}
	return out
}

// monthSlot is one of a year's twelve months: its report, or nil when it
// has not begun.
type monthSlot struct {
	Label string
	Name  string
	R     *Report
}

func yearMonths(r Report) []monthSlot {
	if r.Period.Kind != KindYear {
		return nil
	}
	loc := r.Period.Start.Location()
	y := r.Period.Start.In(loc).Year()
	out := make([]monthSlot, 12)
	for i := range out {
		m := time.Month(i + 1)
		out[i] = monthSlot{
			Label: fmt.Sprintf("%04d-%02d", y, int(m)),
			Name:  m.String(),
		}
		for j := range r.Months {
			if r.Months[j].Period.Label == out[i].Label {
				out[i].R = &r.Months[j]
			}
		}
	}
	return out
}

// backupCells is a backup line for a table: set, RPO, compliance, time
// outside the RPO, worst age, backups, failures, met.
func backupCells(b BackupLine) []string {
	return []string{b.Set, backupRPO(b), backupCompliance(b), backupOutside(b), backupWorstAge(b),
		strconv.Itoa(b.Backups), strconv.Itoa(b.Failures), backupMet(b)}
}

// backupRPO is the set's RPO, "1h", or "none".
func backupRPO(b BackupLine) string {
	if b.RPOSeconds == nil {
		return "none"
	}
	return duration(*b.RPOSeconds)
}

// backupCompliance is "99.731%", never rounded up to 100% while some time
// was outside the RPO; "n/a" without an RPO or counted time.
func backupCompliance(b BackupLine) string {
	if b.CompliancePercent == nil {
		return "n/a"
	}
	return formatUptime(*b.CompliancePercent, 0, nil, b.WithinRPOSeconds < b.CountedSeconds) + "%"
}

// backupOutside is the counted time outside the RPO, "2h", or "n/a"
// without an RPO.
func backupOutside(b BackupLine) string {
	if b.RPOSeconds == nil {
		return "n/a"
	}
	return duration(max(0, b.CountedSeconds-b.WithinRPOSeconds))
}

// backupWorstAge is "3h", or "no backup".
func backupWorstAge(b BackupLine) string {
	if b.WorstAgeSeconds == nil {
		return "no backup"
	}
	return duration(*b.WorstAgeSeconds)
}

// backupMet is MET, NOT MET, UNKNOWN (the source could not be read) or
// n/a (not evaluated).
func backupMet(b BackupLine) string {
	if b.Met == nil && b.State == "unknown" {
		return "UNKNOWN"
	}
	return verdict(b.Met)
}

// backupNotes explain the backup figures.
func backupNotes(r Report) []string {
	period, when := "the period", "at the end of the period"
	if !r.Period.Complete {
		period, when = "the period to date", "at the report's time"
	}
	return []string{
		"Compliance is the share of " + period + " in which the newest successful backup was at most the RPO old; worst age is the oldest it got.",
		"Met is the set's status (RPO and retention) " + when + ".",
	}
}

// responseCells is a responsiveness line for a table: severity,
// incidents, acknowledged in time (of all incidents), response missed,
// escalated, worst response, resolved in time (of all incidents),
// resolution missed, worst resolution, targets.
func responseCells(l ResponseLine) []string {
	return []string{l.Severity, strconv.Itoa(l.Incidents),
		outOf(l.AcknowledgedInTime, l.Incidents), strconv.Itoa(l.ResponseMissed), strconv.Itoa(l.Escalated), worstText(l.WorstResponseSeconds),
		outOf(l.ResolvedInTime, l.Incidents), strconv.Itoa(l.ResolutionMissed), worstText(l.WorstResolutionSeconds),
		responseTargets(l)}
}

// outOf is "3/5".
func outOf(n, of int) string { return strconv.Itoa(n) + "/" + strconv.Itoa(of) }

// worstText is a worst case, "3h20m", or "n/a" when there is none.
func worstText(sec *float64) string {
	if sec == nil {
		return "n/a"
	}
	return duration(*sec)
}

// responseTargets is "response 2bh; resolution 2bd", either part alone,
// or "none".
func responseTargets(l ResponseLine) string {
	var parts []string
	if l.ResponseTarget != "" {
		parts = append(parts, "response "+l.ResponseTarget)
	}
	if l.ResolutionTarget != "" {
		parts = append(parts, "resolution "+l.ResolutionTarget)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// responseIncidents is "1 incident" or "5 incidents", over all lines.
func responseIncidents(r Report) string {
	n := 0
	for _, l := range r.Responsiveness {
		n += l.Incidents
	}
	if n == 1 {
		return "1 incident"
	}
	return strconv.Itoa(n) + " incidents"
}

// responseNotes explain the responsiveness figures.
func responseNotes(r Report) []string {
	period := "the period"
	if !r.Period.Complete {
		period = "the period to date"
	}
	return []string{
		"Incidents are the alerts that fired in " + period + ". Acknowledged and resolved in time are out of all incidents, " +
			"against the policy's targets for the severity; without a target any acknowledgement or resolution is in time.",
		"Escalated incidents went unacknowledged past their response deadline and were passed to the route's next receiver.",
		"Worst cases count an alert still open, or unacknowledged past its response deadline, up to the report's time.",
	}
}

// plain makes a string safe for a terminal or a one-line table cell:
// control characters (newlines, tabs, escape sequences) become spaces.
func plain(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// ---- text ----

func renderText(buf *bytes.Buffer, reports []Report, opts RenderOptions) {
	title := opts.Title
	if len(reports) > 1 && title != "" {
		underline(buf, plain(title), '=')
		buf.WriteByte('\n')
		title = ""
	}
	for i, r := range reports {
		if i > 0 {
			buf.WriteString("\n\n")
		}
		t := title
		if t == "" {
			t = defaultTitle(r)
		}
		textReport(buf, r, t, opts)
	}
}

func underline(buf *bytes.Buffer, s string, c byte) {
	buf.WriteString(s)
	buf.WriteByte('\n')
	buf.Write(bytes.Repeat([]byte{c}, utf8.RuneCountInString(s)))
	buf.WriteByte('\n')
}

// table writes rows aligned by text/tabwriter, each line indented by
// indent, without trailing spaces.
func table(buf *bytes.Buffer, indent string, rows [][]string) {
	tableMin(buf, indent, 0, rows)
}

// keyWidth is the width of the key column of the header and figures
// blocks, so the two line up.
const keyWidth = len("Error budget") + 2

// tableMin is table with a minimum column width.
func tableMin(buf *bytes.Buffer, indent string, minWidth int, rows [][]string) {
	var tmp bytes.Buffer
	tw := tabwriter.NewWriter(&tmp, minWidth, 0, 2, ' ', 0)
	for _, row := range rows {
		for i, cell := range row {
			if i > 0 {
				tw.Write([]byte{'\t'})
			}
			tw.Write([]byte(plain(cell)))
		}
		tw.Write([]byte{'\n'})
	}
	tw.Flush()
	for line := range strings.Lines(tmp.String()) {
		buf.WriteString(indent)
		buf.WriteString(strings.TrimRight(line, " \n"))
		buf.WriteByte('\n')
	}
}

func withNote(s, note string) string {
	if note == "" {
		return s
	}
	return s + " (" + note + ")"
}

func textReport(buf *bytes.Buffer, r Report, title string, opts RenderOptions) {
	underline(buf, plain(title), '=')
	buf.WriteByte('\n')
	head := [][]string{
		{"Service", r.Service},
		{"SLA", r.SLA},
		{"Period", periodName(r.Period) + ": " + periodBounds(r)},
		{"Time zone", r.Timezone},
	}
	if m := mergedText(r.Merged); m != "" {
		head = append(head, []string{"Regions", m})
	}
	if g := generated(r, opts); g != "" {
		head = append(head, []string{"Generated", g})
	}
	tableMin(buf, "", keyWidth, head)
	buf.WriteByte('\n')

	up := uptimeText(r) + "  (target " + percent(r.TargetPercent) + "%)"
	if r.Met != nil {
		up += "  " + verdict(r.Met)
	}
	budget := duration(r.ErrorBudgetSeconds) + ": used " + duration(r.DowntimeSeconds) + " (" + budgetUsed(r) + "), left " + budgetLeft(r)
	tableMin(buf, "", keyWidth, [][]string{
		{"Uptime", up},
		{"Downtime", withNote(duration(r.DowntimeSeconds), downtimeNote(r))},
		{"Error budget", budget},
		{"Period time", duration(r.PeriodSeconds)},
		{"Excluded", withNote(duration(r.ExcludedSeconds), excludedNote(r))},
		{"Eligible", duration(r.EligibleSeconds)},
		{"Unmonitored", withNote(duration(r.UnmonitoredSeconds), unmonitoredNote(r))},
		{"Measured", duration(r.MeasuredSeconds)},
		{"Degraded", withNote(duration(r.DegradedSeconds), degradedNote(r))},
	})

	if months := yearMonths(r); months != nil {
		buf.WriteString("\nMonths\n")
		rows := [][]string{{"MONTH", "UPTIME", "MET", "DOWNTIME", "EXCLUDED", "UNMONITORED", "BUDGET LEFT", "OUTAGES"}}
		for _, m := range months {
			if m.R == nil {
				rows = append(rows, []string{m.Label, "not begun"})
				continue
			}
			rows = append(rows, []string{m.Label, uptimeShort(*m.R), verdict(m.R.Met), duration(m.R.DowntimeSeconds),
				duration(m.R.ExcludedSeconds), duration(m.R.UnmonitoredSeconds), budgetLeft(*m.R), strconv.Itoa(len(m.R.Outages))})
		}
		table(buf, "  ", rows)
	}

	fmt.Fprintf(buf, "\nOutages (%d)\n", len(r.Outages))
	if len(r.Outages) == 0 {
		buf.WriteString("  none\n")
	} else {
		rows := [][]string{{"ID", "START", "END", "COUNTED", "CAUSE", "EXCLUDED"}}
		for _, o := range r.Outages {
			rows = append(rows, []string{strconv.FormatInt(o.ID, 10), clock(o.Start), outageEnd(o),
				duration(o.CountedSeconds), o.Cause, exclusionText(o)})
		}
		table(buf, "  ", rows)
	}

	fmt.Fprintf(buf, "\nMaintenance (%d)\n", len(r.Maintenance))
	if len(r.Maintenance) == 0 {
		buf.WriteString("  none\n")
	} else {
		rows := [][]string{{"START", "END", "REASON", "NOTICE", "LATE", "EXCLUDED"}}
		late := false
		for _, m := range r.Maintenance {
			flag := ""
			if m.Late {
				flag, late = "LATE", true
			}
			rows = append(rows, []string{clock(m.Start), clock(m.End), m.Reason, notice(m), flag, windowExcluded(m)})
		}
		table(buf, "  ", rows)
		if late {
			buf.WriteString("  " + lateNote(r) + "\n")
		}
	}

	if fm := forceMajeure(r); len(fm) > 0 {
		fmt.Fprintf(buf, "\nExclusions: force majeure (%d, %s excluded)\n", len(fm), duration(r.ForceMajeureSeconds))
		rows := [][]string{{"ID", "START", "END", "LENGTH", "REASON", "BY"}}
		for _, o := range fm {
			rows = append(rows, []string{strconv.FormatInt(o.ID, 10), clock(o.Start), outageEnd(o),
				duration(outageLength(r, o)), o.Excluded.Reason, exclusionBy(o.Excluded)})
		}
		table(buf, "  ", rows)
	}
	if trail := auditTrail(r); len(trail) > 0 {
		fmt.Fprintf(buf, "\nExclusion history (%d changes)\n", len(trail))
		rows := [][]string{{"OUTAGE", "AT", "ACTION", "BY", "REASON"}}
		for _, a := range trail {
			rows = append(rows, []string{strconv.FormatInt(a.ID, 10), clock(a.At), a.Action, a.By, plain(a.Reason)})
		}
		table(buf, "  ", rows)
	}

	if len(r.Backups) > 0 {
		fmt.Fprintf(buf, "\nBackups (%d)\n", len(r.Backups))
		rows := [][]string{{"SET", "RPO", "COMPLIANCE", "OUTSIDE RPO", "WORST AGE", "BACKUPS", "FAILED", "MET"}}
		for _, b := range r.Backups {
			rows = append(rows, backupCells(b))
		}
		table(buf, "  ", rows)
		for _, n := range backupNotes(r) {
			buf.WriteString("  " + n + "\n")
		}
	}

	if len(r.Responsiveness) > 0 {
		fmt.Fprintf(buf, "\nResponsiveness (%s)\n", responseIncidents(r))
		rows := [][]string{{"SEVERITY", "INCIDENTS", "ACK IN TIME", "RESPONSE MISSED", "ESCALATED", "WORST RESPONSE",
			"RESOLVED IN TIME", "RESOLUTION MISSED", "WORST RESOLUTION", "TARGETS"}}
		for _, l := range r.Responsiveness {
			rows = append(rows, responseCells(l))
		}
		table(buf, "  ", rows)
		for _, n := range responseNotes(r) {
			buf.WriteString("  " + n + "\n")
		}
	}
}

func summaryTitle(reports []Report, opts RenderOptions) string {
	if opts.Title != "" {
		return opts.Title
	}
	if len(reports) > 0 {
		p := reports[0].Period
		same := true
		for _, r := range reports[1:] {
			same = same && r.Period.Label == p.Label
		}
		if same {
			name := periodName(p)
			if !p.Complete {
				name += " to date"
			}
			return "Uptime summary: " + name
		}
	}
	return "Uptime summary"
}

func outageCount(r Report) string {
	n, x := len(r.Outages), excludedOutages(r)
	if x == 0 {
		return strconv.Itoa(n)
	}
	return fmt.Sprintf("%d (%d excluded)", n, x)
}

func summaryCells(r Report) []string {
	return []string{r.Service, r.SLA, r.Period.Label, percent(r.TargetPercent) + "%", uptimeShort(r),
		verdict(r.Met), duration(r.DowntimeSeconds), budgetLeft(r), outageCount(r)}
}

var summaryHeader = []string{"SERVICE", "SLA", "PERIOD", "TARGET", "UPTIME", "MET", "DOWNTIME", "BUDGET LEFT", "OUTAGES"}

func summaryText(buf *bytes.Buffer, reports []Report, opts RenderOptions) {
	underline(buf, plain(summaryTitle(reports, opts)), '=')
	buf.WriteByte('\n')
	rows := [][]string{summaryHeader}
	for _, r := range reports {
		rows = append(rows, summaryCells(r))
	}
	table(buf, "", rows)
	if m := summaryMerged(reports); m != "" {
		buf.WriteString("\nRegions " + plain(m) + "\n")
	}
	if len(reports) > 0 {
		if g := generated(reports[0], opts); g != "" {
			buf.WriteString("\nGenerated " + g + "\n")
		}
	}
}

// ---- markdown ----

// mdEscape makes s safe in a markdown table cell or heading: control
// characters become spaces and markdown's active characters, pipes
// included, are backslash-escaped.
func mdEscape(s string) string {
	s = plain(s)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\|`*_[]<>#~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func mdTable(buf *bytes.Buffer, header []string, align string, rows [][]string) {
	buf.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if i < len(align) && align[i] == 'r' {
			buf.WriteString("---:|")
		} else {
			buf.WriteString("---|")
		}
	}
	buf.WriteByte('\n')
	for _, row := range rows {
		buf.WriteString("|")
		for i := range header {
			cell := ""
			if i < len(row) {
				cell = row[i]
			}
			buf.WriteString(" " + cell + " |")
		}
		buf.WriteByte('\n')
	}
}

func renderMarkdown(buf *bytes.Buffer, reports []Report, opts RenderOptions) {
	level := "#"
	title := opts.Title
	if len(reports) > 1 && title != "" {
		buf.WriteString("# " + mdEscape(title) + "\n\n")
		level, title = "##", ""
	}
	for i, r := range reports {
		if i > 0 {
			buf.WriteString("\n")
		}
		t := title
		if t == "" {
			t = defaultTitle(r)
		}
		mdReport(buf, r, level, t, opts)
	}
}

func mdReport(buf *bytes.Buffer, r Report, h, title string, opts RenderOptions) {
	sub := h + "#"
	fmt.Fprintf(buf, "%s %s\n\n", h, mdEscape(title))
	fmt.Fprintf(buf, "- **Service:** %s\n", mdEscape(r.Service))
	fmt.Fprintf(buf, "- **SLA:** %s\n", mdEscape(r.SLA))
	fmt.Fprintf(buf, "- **Period:** %s: %s\n", mdEscape(periodName(r.Period)), periodBounds(r))
	fmt.Fprintf(buf, "- **Time zone:** %s\n", mdEscape(r.Timezone))
	if m := mergedText(r.Merged); m != "" {
		fmt.Fprintf(buf, "- **Regions:** %s\n", mdEscape(m))
	}
	if g := generated(r, opts); g != "" {
		fmt.Fprintf(buf, "- **Generated:** %s\n", mdEscape(g))
	}

	fmt.Fprintf(buf, "\n%s Figures\n\n", sub)
	up := "**" + uptimeText(r) + "** (target " + percent(r.TargetPercent) + "%)"
	if r.Met != nil {
		up += " **" + verdict(r.Met) + "**"
	}
	mdTable(buf, []string{"Figure", "Value"}, "ll", [][]string{
		{"Uptime", up},
		{"Downtime", withNote(duration(r.DowntimeSeconds), downtimeNote(r))},
		{"Error budget", duration(r.ErrorBudgetSeconds)},
		{"Budget used", duration(r.DowntimeSeconds) + " (" + budgetUsed(r) + ")"},
		{"Budget left", budgetLeft(r)},
		{"Period time", duration(r.PeriodSeconds)},
		{"Excluded", withNote(duration(r.ExcludedSeconds), excludedNote(r))},
		{"Eligible", duration(r.EligibleSeconds)},
		{"Unmonitored", withNote(duration(r.UnmonitoredSeconds), unmonitoredNote(r))},
		{"Measured", duration(r.MeasuredSeconds)},
		{"Degraded", withNote(duration(r.DegradedSeconds), degradedNote(r))},
	})

	if months := yearMonths(r); months != nil {
		fmt.Fprintf(buf, "\n%s Months\n\n", sub)
		var rows [][]string
		for _, m := range months {
			if m.R == nil {
				rows = append(rows, []string{m.Name, "not begun"})
				continue
			}
			rows = append(rows, []string{m.Name, uptimeShort(*m.R), verdict(m.R.Met), duration(m.R.DowntimeSeconds),
				duration(m.R.ExcludedSeconds), duration(m.R.UnmonitoredSeconds), budgetLeft(*m.R), strconv.Itoa(len(m.R.Outages))})
		}
		mdTable(buf, []string{"Month", "Uptime", "Met", "Downtime", "Excluded", "Unmonitored", "Budget left", "Outages"}, "lrlrrrrr", rows)
	}

	fmt.Fprintf(buf, "\n%s Outages (%d)\n\n", sub, len(r.Outages))
	if len(r.Outages) == 0 {
		buf.WriteString("None.\n")
	} else {
		var rows [][]string
		for _, o := range r.Outages {
			rows = append(rows, []string{strconv.FormatInt(o.ID, 10), clock(o.Start), outageEnd(o),
				duration(o.CountedSeconds), mdEscape(o.Cause), mdEscape(exclusionText(o))})
		}
		mdTable(buf, []string{"ID", "Start", "End", "Counted", "Cause", "Excluded"}, "rllr", rows)
	}

	fmt.Fprintf(buf, "\n%s Maintenance (%d)\n\n", sub, len(r.Maintenance))
	if len(r.Maintenance) == 0 {
		buf.WriteString("None.\n")
	} else {
		var rows [][]string
		late := false
		for _, m := range r.Maintenance {
			flag := ""
			if m.Late {
				flag, late = "**LATE**", true
			}
			rows = append(rows, []string{clock(m.Start), clock(m.End), mdEscape(m.Reason), mdEscape(notice(m)), flag, windowExcluded(m)})
		}
		mdTable(buf, []string{"Start", "End", "Reason", "Notice", "Late", "Excluded"}, "llllll", rows)
		if late {
			buf.WriteString("\n" + lateNote(r) + "\n")
		}
	}

	if fm := forceMajeure(r); len(fm) > 0 {
		fmt.Fprintf(buf, "\n%s Exclusions: force majeure (%s excluded)\n\n", sub, duration(r.ForceMajeureSeconds))
		var rows [][]string
		for _, o := range fm {
			rows = append(rows, []string{strconv.FormatInt(o.ID, 10), clock(o.Start), outageEnd(o),
				duration(outageLength(r, o)), mdEscape(o.Excluded.Reason), mdEscape(exclusionBy(o.Excluded))})
		}
		mdTable(buf, []string{"ID", "Start", "End", "Length", "Reason", "By"}, "rllr", rows)
	}
	if trail := auditTrail(r); len(trail) > 0 {
		fmt.Fprintf(buf, "\n%s Exclusion history\n\n", sub)
		var rows [][]string
		for _, a := range trail {
			rows = append(rows, []string{strconv.FormatInt(a.ID, 10), clock(a.At), a.Action, mdEscape(a.By), mdEscape(a.Reason)})
		}
		mdTable(buf, []string{"Outage", "At", "Action", "By", "Reason"}, "rll", rows)
	}

	if len(r.Backups) > 0 {
		fmt.Fprintf(buf, "\n%s Backups (%d)\n\n", sub, len(r.Backups))
		var rows [][]string
		for _, b := range r.Backups {
			cells := backupCells(b)
			for i := range cells {
				cells[i] = mdEscape(cells[i])
			}
			rows = append(rows, cells)
		}
		mdTable(buf, []string{"Set", "RPO", "Compliance", "Outside RPO", "Worst age", "Backups", "Failed", "Met"}, "lrrrrrrl", rows)
		buf.WriteString("\n" + strings.Join(backupNotes(r), " ") + "\n")
	}

	if len(r.Responsiveness) > 0 {
		fmt.Fprintf(buf, "\n%s Responsiveness (%s)\n\n", sub, responseIncidents(r))
		var rows [][]string
		for _, l := range r.Responsiveness {
			cells := responseCells(l)
			for i := range cells {
				cells[i] = mdEscape(cells[i])
			}
			rows = append(rows, cells)
		}
		mdTable(buf, []string{"Severity", "Incidents", "Ack in time", "Response missed", "Escalated", "Worst response",
			"Resolved in time", "Resolution missed", "Worst resolution", "Targets"}, "lrrrrrrrrl", rows)
		buf.WriteString("\n" + strings.Join(responseNotes(r), " ") + "\n")
	}
}

func summaryMarkdown(buf *bytes.Buffer, reports []Report, opts RenderOptions) {
	buf.WriteString("# " + mdEscape(summaryTitle(reports, opts)) + "\n\n")
	var rows [][]string
	for _, r := range reports {
		cells := summaryCells(r)
		for i := range cells {
			cells[i] = mdEscape(cells[i])
		}
		if r.Met != nil {
			cells[5] = "**" + cells[5] + "**"
		}
		rows = append(rows, cells)
	}
	mdTable(buf, []string{"Service", "SLA", "Period", "Target", "Uptime", "Met", "Downtime", "Budget left", "Outages"}, "lllrrlrrr", rows)
	if m := summaryMerged(reports); m != "" {
		buf.WriteString("\nRegions " + mdEscape(m) + ".\n")
	}
	if len(reports) > 0 {
		if g := generated(reports[0], opts); g != "" {
			buf.WriteString("\nGenerated " + mdEscape(g) + ".\n")
		}
	}
}

// ---- csv ----

var csvHeader = []string{
	"kind", "service", "sla", "timezone", "period", "start", "end", "complete",
	"target_percent", "uptime_percent", "met",
	"period_seconds", "excluded_seconds", "eligible_seconds", "downtime_seconds",
	"unmonitored_seconds", "measured_seconds", "degraded_seconds",
	"maintenance_seconds", "force_majeure_seconds", "outage_seconds",
	"error_budget_seconds", "error_budget_remaining_seconds", "outage_count",
	"id", "seconds", "counted_seconds", "open", "cause", "probe", "severity", "source",
	"excluded", "excluded_reason", "excluded_by", "excluded_at",
	"reason", "announced_at", "announced_by", "notice_seconds", "late",
	"set", "rpo_seconds", "within_rpo_seconds", "compliance_percent", "worst_age_seconds",
	"backups", "failures", "state",
	"incidents", "acknowledged", "acknowledged_in_time", "response_missed",
	"resolved", "resolved_in_time", "resolution_missed",
	"worst_response_seconds", "worst_resolution_seconds", "response_target", "resolution_target",
	"escalated", // last, so the columns before it keep their positions
}

// csvCol is the index of each column, so rows are filled by name.
var csvCol = func() map[string]int {
	m := make(map[string]int, len(csvHeader))
	for i, c := range csvHeader {
		m[c] = i
	}
	return m
}()

type csvRow []string

func newCSVRow(kind string, r Report) csvRow {
	row := make(csvRow, len(csvHeader))
	row.set("kind", kind)
	row.text("service", r.Service)
	row.text("sla", r.SLA)
	row.set("timezone", r.Timezone)
	row.set("period", r.Period.Label)
	return row
}

func (row csvRow) set(col, v string) {
	i, ok := csvCol[col]
	if !ok {
		panic("uptime: no csv column " + col)
	}
	row[i] = v
}

// text sets a free-text cell, defused against spreadsheet formulas.
func (row csvRow) text(col, v string) {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		v = "'" + v
	}
	row.set(col, v)
}

func (row csvRow) num(col string, f float64) { row.set(col, strconv.FormatFloat(f, 'f', -1, 64)) }
func (row csvRow) time(col string, t time.Time) {
	row.set(col, t.Format(time.RFC3339Nano))
}
func (row csvRow) timePtr(col string, t *time.Time) {
	if t != nil {
		row.time(col, *t)
	}
}
func (row csvRow) bool(col string, b bool) { row.set(col, strconv.FormatBool(b)) }

func figuresRow(kind string, r Report) csvRow {
	row := newCSVRow(kind, r)
	row.time("start", r.Period.Start)
	row.time("end", r.Period.End)
	row.bool("complete", r.Period.Complete)
	row.num("target_percent", r.TargetPercent)
	if r.UptimePercent != nil {
		row.num("uptime_percent", *r.UptimePercent)
	}
	if r.Met != nil {
		row.bool("met", *r.Met)
	}
	row.num("period_seconds", r.PeriodSeconds)
	row.num("excluded_seconds", r.ExcludedSeconds)
	row.num("eligible_seconds", r.EligibleSeconds)
	row.num("downtime_seconds", r.DowntimeSeconds)
	row.num("unmonitored_seconds", r.UnmonitoredSeconds)
	row.num("measured_seconds", r.MeasuredSeconds)
	row.num("degraded_seconds", r.DegradedSeconds)
	row.num("maintenance_seconds", r.MaintenanceSeconds)
	row.num("force_majeure_seconds", r.ForceMajeureSeconds)
	row.num("outage_seconds", r.OutageSeconds)
	row.num("error_budget_seconds", r.ErrorBudgetSeconds)
	row.num("error_budget_remaining_seconds", r.ErrorBudgetRemainingSeconds)
	row.set("outage_count", strconv.Itoa(len(r.Outages)))
	return row
}

func backupRow(r Report, b BackupLine) csvRow {
	row := newCSVRow("backup", r)
	row.text("set", b.Set)
	numPtr := func(col string, f *float64) {
		if f != nil {
			row.num(col, *f)
		}
	}
	numPtr("rpo_seconds", b.RPOSeconds)
	row.num("counted_seconds", b.CountedSeconds)
	row.num("within_rpo_seconds", b.WithinRPOSeconds)
	numPtr("compliance_percent", b.CompliancePercent)
	numPtr("worst_age_seconds", b.WorstAgeSeconds)
	row.set("backups", strconv.Itoa(b.Backups))
	row.set("failures", strconv.Itoa(b.Failures))
	if b.Met != nil {
		row.bool("met", *b.Met)
	}
	row.text("state", b.State)
	return row
}

func responseRow(r Report, l ResponseLine) csvRow {
	row := newCSVRow("response", r)
	row.text("severity", l.Severity)
	row.set("incidents", strconv.Itoa(l.Incidents))
	row.set("acknowledged", strconv.Itoa(l.Acknowledged))
	row.set("acknowledged_in_time", strconv.Itoa(l.AcknowledgedInTime))
	row.set("response_missed", strconv.Itoa(l.ResponseMissed))
	row.set("resolved", strconv.Itoa(l.Resolved))
	row.set("resolved_in_time", strconv.Itoa(l.ResolvedInTime))
	row.set("resolution_missed", strconv.Itoa(l.ResolutionMissed))
	if l.WorstResponseSeconds != nil {
		row.num("worst_response_seconds", *l.WorstResponseSeconds)
	}
	if l.WorstResolutionSeconds != nil {
		row.num("worst_resolution_seconds", *l.WorstResolutionSeconds)
	}
	row.text("response_target", l.ResponseTarget)
	row.text("resolution_target", l.ResolutionTarget)
	row.set("escalated", strconv.Itoa(l.Escalated))
	return row
}

func renderCSV(buf *bytes.Buffer, reports []Report, summaryOnly bool) error {
	cw := csv.NewWriter(buf)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range reports {
		rows := []csvRow{figuresRow("summary", r)}
		if !summaryOnly {
			for _, m := range r.Months {
				rows = append(rows, figuresRow("month", m))
			}
			for _, o := range r.Outages {
				row := newCSVRow("outage", r)
				row.time("start", o.Start)
				row.timePtr("end", o.End)
				row.set("id", strconv.FormatInt(o.ID, 10))
				row.num("seconds", outageLength(r, o))
				row.num("counted_seconds", o.CountedSeconds)
				row.bool("open", o.Open)
				row.text("cause", o.Cause)
				row.text("probe", o.Probe)
				row.text("severity", o.Severity)
				row.text("source", o.Source)
				row.bool("excluded", o.Excluded != nil)
				if x := o.Excluded; x != nil {
					row.text("excluded_reason", x.Reason)
					row.text("excluded_by", x.By)
					row.timePtr("excluded_at", x.At)
				}
				rows = append(rows, row)
			}
			for _, m := range r.Maintenance {
				row := newCSVRow("maintenance", r)
				row.time("start", m.Start)
				row.time("end", m.End)
				row.set("id", strconv.FormatInt(m.ID, 10))
				row.num("seconds", m.End.Sub(m.Start).Seconds())
				row.num("counted_seconds", m.ExcludedSeconds)
				row.text("source", m.Source)
				row.bool("excluded", m.Excluded)
				row.text("reason", m.Reason)
				row.timePtr("announced_at", m.AnnouncedAt)
				row.text("announced_by", m.AnnouncedBy)
				if m.NoticeSeconds != nil {
					row.num("notice_seconds", *m.NoticeSeconds)
				}
				row.bool("late", m.Late)
				rows = append(rows, row)
			}
			for _, b := range r.Backups {
				rows = append(rows, backupRow(r, b))
			}
			for _, l := range r.Responsiveness {
				rows = append(rows, responseRow(r, l))
			}
		}
		for _, row := range rows {
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
