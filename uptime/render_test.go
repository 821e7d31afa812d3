package uptime

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites the file with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./uptime -run %s -update writes it)", err, t.Name())
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s differs from the golden file at line %d:\n got: %q\nwant: %q\n(-update rewrites it)", path, i+1, gl, wl)
			return
		}
	}
}

var renderNow = tm(amsterdam, 2026, 11, 2, 9, 0)

var renderOpts = RenderOptions{Now: renderNow, Generator: "slawatch v1.0.0-test"}

// monthInput is October 2026 for customer-portal: weekly config windows
// (one on the DST day), one window announced in time and one late, four
// outages (one in the late window, one force majeure, one open) and one
// across a window on the 25-hour day, degraded time and a monitoring gap.
func monthInput(t testing.TB) Input {
	oct := MonthPeriod(2026, time.October, amsterdam, renderNow)
	day := func(d, h, m int) time.Time { return tm(amsterdam, 2026, 10, d, h, m) }
	weekly, err := RecurringWindows("customer-portal", "0 2 * * SUN", 2*time.Hour, amsterdam, "weekly patching", oct.Start, oct.End)
	if err != nil {
		t.Fatal(err)
	}
	maint := append(weekly,
		Window{ID: 7, Service: "customer-portal", Start: day(7, 21, 0), End: day(7, 22, 0), Reason: "database upgrade",
			Source: SourceAPI, AnnouncedAt: day(1, 10, 0), AnnouncedBy: "alice"},
		Window{ID: 9, Service: "customer-portal", Start: day(21, 22, 0), End: day(21, 23, 0), Reason: "emergency certificate rotation | hotfix",
			Source: SourceCLI, AnnouncedAt: day(21, 20, 0), AnnouncedBy: "bob"},
	)
	fmAt := day(14, 15, 2)
	return Input{
		Service: "customer-portal", SLA: "portal-monthly", Period: oct, Now: renderNow,
		Policy:      Policy{TargetPercent: 99.8, MaintenanceNotice: 48 * time.Hour},
		Maintenance: maint,
		Outages: []Outage{
			{ID: 1, Service: "customer-portal", Start: day(6, 14, 3).Add(27 * time.Second), End: day(6, 14, 24).Add(time.Second),
				Cause: "GET https://portal.example.com/health: status 503", Probe: "health", Severity: "P2", Source: SourceProbe},
			{ID: 2, Service: "customer-portal", Start: day(14, 10, 0), End: day(14, 13, 0), Cause: "connection refused",
				Source: SourceManual, Excluded: true, ExcludeReason: "regional power failure (grid operator incident 4711)",
				ExcludedBy: "alice", ExcludedAt: fmAt},
			{ID: 3, Service: "customer-portal", Start: day(21, 22, 10), End: day(21, 22, 25), Cause: "timeout after 10s",
				Probe: "api", Severity: "P1", Source: SourceProbe},
			// 01:40–02:00 CEST, before the 02:00 window of the 25-hour day.
			{ID: 4, Service: "customer-portal", Start: day(25, 1, 40), End: day(25, 2, 30), Cause: "status 502 | bad gateway",
				Probe: "health", Severity: "P2", Source: SourceProbe},
			{ID: 5, Service: "customer-portal", Start: day(31, 23, 40), Cause: "dial tcp 10.0.0.7:443: connect: connection refused",
				Probe: "api", Severity: "P1", Source: SourceProbe},
		},
		Monitored: []Interval{iv(tm(amsterdam, 2026, 9, 1, 0, 0), day(20, 8, 0)), iv(day(20, 10, 0), renderNow)},
		Degraded:  []Interval{iv(day(9, 9, 0), day(9, 10, 30))},
	}
}

// monthBackups are customer-portal's backup sets over October 2026 (745
// hours): a database with an hourly RPO and a 3-hour hole, failing at the
// month's end, and a file store whose source could not be read.
func monthBackups() []BackupLine {
	counted := 745 * hour
	return []BackupLine{
		{Set: "portal-db", RPOSeconds: pf(hour), CountedSeconds: counted, WithinRPOSeconds: counted - 2*hour,
			CompliancePercent: pf(100 * (counted - 2*hour) / counted), WorstAgeSeconds: pf(3 * hour),
			Backups: 743, Failures: 1, Met: pb(false), State: "failing"},
		{Set: "portal-files", RPOSeconds: pf(24 * hour), CountedSeconds: counted, WithinRPOSeconds: counted,
			CompliancePercent: pf(100), WorstAgeSeconds: pf(23*hour + 1800), Backups: 31, State: "unknown"},
	}
}

// monthResponsiveness is customer-portal's alerts over October 2026 by
// severity: P1 for the timeout on the 21st (acknowledged in 4 minutes) and
// the outage still open since the 31st (not acknowledged, its deadline in
// business hours not yet passed); P2 for the outages on the 6th and 25th
// and the degraded morning of the 9th, acknowledged 1h5m after its
// 4-business-hour deadline, when it had escalated to the next receiver.
func monthResponsiveness() []ResponseLine {
	return []ResponseLine{
		{Severity: "P1", Incidents: 2, Acknowledged: 1, AcknowledgedInTime: 1, Resolved: 1, ResolvedInTime: 1,
			WorstResponseSeconds: pf(240), WorstResolutionSeconds: pf(33*hour + 1200), ResponseTarget: "2bh", ResolutionTarget: "2bd"},
		{Severity: "P2", Incidents: 3, Acknowledged: 3, AcknowledgedInTime: 2, ResponseMissed: 1, Escalated: 1, Resolved: 3, ResolvedInTime: 3,
			WorstResponseSeconds: pf(5*hour + 300), WorstResolutionSeconds: pf(1.5 * hour), ResponseTarget: "4bh", ResolutionTarget: "3bd"},
	}
}

// goldenMonth is the golden month report with its backup and
// responsiveness sections.
func goldenMonth(t testing.TB) Report {
	r := AccountYear(monthInput(t))
	r.Backups = monthBackups()
	r.Responsiveness = monthResponsiveness()
	return r
}

// yearInput is 2026 to date (15 August) for billing-api under a yearly
// 99.7% policy: monthly config windows, outages in three months, force
// majeure in June and one open outage.
func yearRenderInput(t testing.TB) Input {
	now := tm(amsterdam, 2026, 8, 15, 12, 0)
	y := YearPeriod(2026, amsterdam, now)
	monthly, err := RecurringWindows("billing-api", "0 3 1 * *", time.Hour, amsterdam, "monthly patching", y.Start, now)
	if err != nil {
		t.Fatal(err)
	}
	return Input{
		Service: "billing-api", SLA: "ultimo-saas", Period: y, Now: now,
		Policy:      Policy{TargetPercent: 99.7},
		Maintenance: monthly,
		Outages: []Outage{
			{ID: 11, Start: tm(amsterdam, 2026, 2, 3, 14, 0), End: tm(amsterdam, 2026, 2, 3, 16, 0), Cause: "status 502", Probe: "health", Source: SourceProbe},
			{ID: 12, Start: tm(amsterdam, 2026, 3, 10, 9, 0), End: tm(amsterdam, 2026, 3, 10, 9, 45), Cause: "TLS handshake timeout", Probe: "api", Source: SourceProbe},
			{ID: 13, Start: tm(amsterdam, 2026, 6, 12, 8, 0), End: tm(amsterdam, 2026, 6, 12, 12, 0), Cause: "upstream unreachable",
				Excluded: true, ExcludeReason: "DDoS on the hosting provider", ExcludedBy: "carol"},
			{ID: 14, Start: tm(amsterdam, 2026, 8, 15, 11, 30), Cause: "connection refused", Probe: "api", Source: SourceProbe},
		},
		Monitored: always,
	}
}

// nullInput is a service that was never monitored: nothing measured.
func nullInput() Input {
	return Input{
		Service: "status-page", SLA: "basic", Period: MonthPeriod(2026, time.October, time.UTC, renderNow), Now: renderNow,
		Policy: Policy{TargetPercent: 99.5},
	}
}

// breachedInput is a month whose error budget is spent.
func breachedInput() Input {
	oct := MonthPeriod(2026, time.October, amsterdam, renderNow)
	return Input{
		Service: "billing-api", SLA: "openweb-monthly", Period: oct, Now: renderNow,
		Policy:    Policy{TargetPercent: 99.9},
		Monitored: always,
		Outages: []Outage{{ID: 21, Start: tm(amsterdam, 2026, 10, 12, 9, 0), End: tm(amsterdam, 2026, 10, 12, 12, 0),
			Cause: "HTTP 500 | database failover", Probe: "health", Source: SourceProbe}},
	}
}

func render(t *testing.T, f Format, reports []Report, opts RenderOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, f, reports, opts); err != nil {
		t.Fatalf("Render %s: %v", f, err)
	}
	return buf.Bytes()
}

var goldenExt = map[Format]string{FormatText: "txt", FormatCSV: "csv", FormatMarkdown: "md", FormatJSON: "json"}

func TestRenderGolden(t *testing.T) {
	month := goldenMonth(t)
	year := AccountYear(yearRenderInput(t))
	null := AccountYear(nullInput())
	for _, c := range []struct {
		name string
		r    Report
	}{{"month", month}, {"year", year}, {"null", null}} {
		opts := renderOpts
		if c.name == "year" {
			opts.Now = time.Time{} // generated at the report's time
		}
		for _, f := range []Format{FormatText, FormatCSV, FormatMarkdown, FormatJSON} {
			t.Run(c.name+"."+goldenExt[f], func(t *testing.T) {
				golden(t, c.name+"."+goldenExt[f], render(t, f, []Report{c.r}, opts))
			})
		}
	}
}

func TestRenderSummaryGolden(t *testing.T) {
	reports := []Report{AccountYear(monthInput(t)), AccountYear(breachedInput()), AccountYear(nullInput())}
	for _, f := range []Format{FormatText, FormatCSV, FormatMarkdown, FormatJSON} {
		t.Run(goldenExt[f], func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderSummary(&buf, f, reports, renderOpts); err != nil {
				t.Fatal(err)
			}
			golden(t, "summary."+goldenExt[f], buf.Bytes())
		})
	}
}

// The figures the golden month shows, checked here so a wrong golden file
// cannot be blessed by -update unnoticed.
func TestRenderMonthFigures(t *testing.T) {
	r := Account(monthInput(t))
	// 745 h; excluded: 4 weekly 2 h windows, the 1 h window in time, 3 h
	// force majeure; unmonitored 2 h; downtime 20m34s + 15m (late window
	// counts) + 20m (before the window on Oct 25) + 20m (open).
	want := figures{period: 745 * hour, excluded: 12 * hour, eligible: 733 * hour, unmonitored: 2 * hour,
		measured: 731 * hour, downtime: 1234 + 900 + 1200 + 1200, degraded: 1.5 * hour,
		uptime: pf(100 * (731*hour - 4534) / (731 * hour)), met: pb(true)}
	want.check(t, r)
	text := string(render(t, FormatText, []Report{r}, renderOpts))
	for _, s := range []string{
		"Uptime        99.828%  (target 99.8%)  MET",
		"Downtime      1h15m34s",
		"Error budget  1h27m43s: used 1h15m34s (86.1%), left 12m9s",
		"LATE", "open", "force majeure: regional power failure", "6d11h by alice", "2h by bob",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
}

func TestRenderCSVShape(t *testing.T) {
	month := goldenMonth(t)
	year := AccountYear(yearRenderInput(t))
	out := render(t, FormatCSV, []Report{month, year}, renderOpts)
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll() // fails unless every row has the header's width
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0][:8], ",") != "kind,service,sla,timezone,period,start,end,complete" {
		t.Errorf("header %v", rows[0])
	}
	// Columns added later go at the end, so the ones before keep their
	// positions for spreadsheets built on an older header.
	if h := rows[0]; len(h) != 61 || h[49] != "incidents" || h[59] != "resolution_target" || h[60] != "escalated" {
		t.Errorf("header %v: escalated must stay the 61st and last column, after resolution_target", h)
	}
	for _, row := range rows[1:] {
		if esc := row[len(row)-1]; (row[0] == "response") != (esc != "") {
			t.Errorf("%s row: escalated %q", row[0], esc)
		}
	}
	count := map[string]int{}
	for _, row := range rows[1:] {
		count[row[0]+" "+row[1]]++
	}
	want := map[string]int{
		"summary customer-portal": 1, "outage customer-portal": 5, "maintenance customer-portal": 6, "backup customer-portal": 2,
		"response customer-portal": 2,
		"summary billing-api":      1, "month billing-api": 8, "outage billing-api": 4, "maintenance billing-api": 8,
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", count, want)
	}
	// The pipe in a reason survives as data; quoting is encoding/csv's.
	if !bytes.Contains(out, []byte("emergency certificate rotation | hotfix")) {
		t.Error("reason lost")
	}
}

func TestCSVDefusesFormulas(t *testing.T) {
	r := Account(Input{Service: "svc", Period: MonthPeriod(2026, time.October, time.UTC, renderNow), Now: renderNow,
		Policy: Policy{TargetPercent: 99}, Monitored: always,
		Outages: []Outage{{ID: 1, Start: tm(time.UTC, 2026, 10, 2, 0, 0), End: tm(time.UTC, 2026, 10, 2, 1, 0),
			Cause: `=HYPERLINK("http://evil","x")`}}})
	out := string(render(t, FormatCSV, []Report{r}, renderOpts))
	if !strings.Contains(out, `"'=HYPERLINK(""http://evil"",""x"")"`) {
		t.Errorf("formula not defused:\n%s", out)
	}
	if !strings.Contains(out, ",-") && r.ErrorBudgetRemainingSeconds < 0 {
		t.Errorf("negative numbers must stay numbers:\n%s", out)
	}
}

func TestRenderJSON(t *testing.T) {
	month := AccountYear(monthInput(t))
	one := render(t, FormatJSON, []Report{month}, renderOpts)
	if !bytes.HasPrefix(one, []byte("{\n  \"service\": \"customer-portal\",")) {
		t.Errorf("one report is an object indented two spaces: %.60s", one)
	}
	var back Report
	if err := json.Unmarshal(one, &back); err != nil {
		t.Fatal(err)
	}
	if back.DowntimeSeconds != month.DowntimeSeconds || len(back.Outages) != len(month.Outages) {
		t.Error("JSON does not round-trip")
	}
	two := render(t, FormatJSON, []Report{month, AccountYear(nullInput())}, renderOpts)
	var arr []map[string]any
	if err := json.Unmarshal(two, &arr); err != nil || len(arr) != 2 {
		t.Fatalf("two reports: %v, %d objects", err, len(arr))
	}
	if arr[1]["uptime_percent"] != nil || arr[1]["met"] != nil {
		t.Errorf("null uptime marshalled as %v/%v", arr[1]["uptime_percent"], arr[1]["met"])
	}
}

func TestRenderSeveralReports(t *testing.T) {
	reports := []Report{AccountYear(monthInput(t)), AccountYear(breachedInput())}
	opts := renderOpts
	opts.Title = "Monthly SLA pack"
	text := string(render(t, FormatText, reports, opts))
	md := string(render(t, FormatMarkdown, reports, opts))
	for _, s := range []string{"Uptime report: customer-portal, October 2026", "Uptime report: billing-api, October 2026"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q", s)
		}
	}
	if !strings.HasPrefix(text, "Monthly SLA pack\n================\n") {
		t.Errorf("text title: %.40q", text)
	}
	if !strings.HasPrefix(md, "# Monthly SLA pack\n\n## Uptime report: customer-portal") || !strings.Contains(md, "\n### Outages (1)") {
		t.Errorf("markdown headings not nested under the title:\n%s", md)
	}
	opts.DailyByService = map[string][]DailyPoint{"customer-portal": Daily(monthInput(t))}
	h := string(render(t, FormatHTML, reports, opts))
	if n := strings.Count(h, `<article class="report">`); n != 2 || strings.Count(h, "<html") != 1 {
		t.Errorf("html: %d reports in %d documents", n, strings.Count(h, "<html"))
	}
	if strings.Count(h, "<svg") != 1 || strings.Count(h, "<rect") != 31 {
		t.Errorf("html: %d charts, %d bars; want customer-portal's only", strings.Count(h, "<svg"), strings.Count(h, "<rect"))
	}
}

func TestFormatUptime(t *testing.T) {
	yes, no := pb(true), pb(false)
	for _, c := range []struct {
		u, target float64
		met       *bool
		down      bool
		want      string
	}{
		{99.95312, 99.9, yes, true, "99.953"},
		{99.9, 99.9, yes, true, "99.900"},            // exactly the target
		{99.8999, 99.9, no, true, "99.8999"},         // not 99.900
		{99.89996, 99.9, no, true, "99.89996"},       // not 99.900
		{99.89999999, 99.9, no, true, "99.89999999"}, // as many decimals as it takes
		{99.9, 99.9, no, true, "99.89999999999999"},  // the float is the target: the float below it
		{99.99996, 99.9, yes, true, "99.99996"},      // not 100.000 with downtime
		{100, 99.9, yes, false, "100.000"},
		{99.99952, 99.9995, yes, true, "99.9995"}, // 3 decimals would say 100, 99.999 would fall below
		{99.99912, 99.9991, yes, true, "99.9991"},
		{97.5, 99, no, true, "97.500"},
		{99.95, 0, nil, true, "99.950"},
	} {
		if got := formatUptime(c.u, c.target, c.met, c.down); got != c.want {
			t.Errorf("formatUptime(%v, target %v) = %q, want %q", c.u, c.target, got, c.want)
		}
	}
}

// 2,593 s down in a 30-day month: 99.89996…%, one second over a 99.9%
// budget. The text must not say 99.900%.
func TestRenderNotMetNeverRoundsUp(t *testing.T) {
	nov := MonthPeriod(2026, time.November, time.UTC, renderNow.AddDate(0, 2, 0))
	start := tm(time.UTC, 2026, 11, 5, 10, 0)
	r := Account(Input{Service: "svc", SLA: "openweb", Period: nov, Now: nov.End, Policy: Policy{TargetPercent: 99.9},
		Monitored: always, Outages: []Outage{{ID: 1, Start: start, End: start.Add(2593 * time.Second)}}})
	if r.Met == nil || *r.Met {
		t.Fatalf("met = %v", r.Met)
	}
	for _, f := range []Format{FormatText, FormatMarkdown, FormatHTML} {
		out := string(render(t, f, []Report{r}, renderOpts))
		if strings.Contains(out, "99.900") || !strings.Contains(out, "99.89996") || !strings.Contains(out, "NOT MET") {
			t.Errorf("%s shows the wrong uptime:\n%s", f, out)
		}
	}
	var buf bytes.Buffer
	if err := RenderSummary(&buf, FormatText, []Report{r}, renderOpts); err != nil || strings.Contains(buf.String(), "99.900") {
		t.Errorf("summary: %v\n%s", err, buf.String())
	}
}

func TestDurationText(t *testing.T) {
	for _, c := range []struct {
		sec  float64
		days bool
		want string
	}{
		{0, false, "0s"}, {0.3, false, "<1s"}, {1234, false, "20m34s"}, {3600, false, "1h"}, {3605, false, "1h0m5s"},
		{5263.2, false, "1h27m43s"}, {2682000, false, "745h"}, {-729, false, "-12m9s"},
		{561600, true, "6d12h"}, {90000, true, "1d1h"}, {7200, true, "2h"},
	} {
		if got := humanDuration(c.sec, c.days); got != c.want {
			t.Errorf("humanDuration(%v, %v) = %q, want %q", c.sec, c.days, got, c.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"text", "json", "csv", "markdown", "html"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if f, err := ParseFormat(""); err != nil || f != FormatText {
		t.Errorf("ParseFormat(\"\") = %q, %v", f, err)
	}
	for _, s := range []string{"xml", "TEXT", "md", " json"} {
		if _, err := ParseFormat(s); err == nil {
			t.Errorf("ParseFormat(%q) accepted", s)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderErrors(t *testing.T) {
	r := Account(nullInput())
	if err := Render(&bytes.Buffer{}, FormatText, nil, renderOpts); err == nil {
		t.Error("no reports rendered without error")
	}
	if err := Render(&bytes.Buffer{}, "xml", []Report{r}, renderOpts); err == nil {
		t.Error("unknown format rendered")
	}
	if err := RenderSummary(&bytes.Buffer{}, "xml", []Report{r}, renderOpts); err == nil {
		t.Error("unknown summary format rendered")
	}
	for _, f := range []Format{FormatText, FormatJSON, FormatCSV, FormatMarkdown, FormatHTML} {
		if err := Render(failWriter{}, f, []Report{r}, renderOpts); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: write error %v", f, err)
		}
		if err := RenderSummary(&bytes.Buffer{}, f, nil, renderOpts); err != nil {
			t.Errorf("%s: empty summary: %v", f, err)
		}
	}
}

func TestRenderStripsControlCharacters(t *testing.T) {
	r := Account(Input{Service: "svc", Period: MonthPeriod(2026, time.October, time.UTC, renderNow), Now: renderNow,
		Policy: Policy{TargetPercent: 99}, Monitored: always,
		Outages: []Outage{{ID: 1, Start: tm(time.UTC, 2026, 10, 2, 0, 0), End: tm(time.UTC, 2026, 10, 2, 1, 0),
			Cause: "line one\nline two\t\x1b[31mred\x1b[0m"}}})
	for _, f := range []Format{FormatText, FormatMarkdown} {
		out := string(render(t, f, []Report{r}, renderOpts))
		if strings.Contains(out, "\x1b") || strings.Contains(out, "one\nline") {
			t.Errorf("%s passes control characters through:\n%q", f, out)
		}
	}
}

// ---- Daily ----

func TestDailyDSTDayAndSums(t *testing.T) {
	in := monthInput(t)
	r := Account(in)
	days := Daily(in)
	if len(days) != 31 {
		t.Fatalf("%d days, want 31", len(days))
	}
	var period, down float64
	for i, d := range days {
		if d.Day.Location() != amsterdam || d.Day.Hour() != 0 || d.Day.Minute() != 0 || d.Day.Day() != i+1 {
			t.Errorf("day %d starts %s", i+1, d.Day)
		}
		period += d.PeriodSeconds
		down += d.DowntimeSeconds
	}
	if period != r.PeriodSeconds || down != r.DowntimeSeconds {
		t.Errorf("days add up to %v s with %v s down; the month is %v s with %v s down", period, down, r.PeriodSeconds, r.DowntimeSeconds)
	}
	// Sunday 25 October: 25 hours; the 2 h window 02:00 CEST–03:00 CET is
	// excluded, the 20 minutes of outage before it count.
	d := days[24]
	measured := 25*hour - 2*hour
	if d.PeriodSeconds != 25*hour || d.ExcludedSeconds != 2*hour || d.DowntimeSeconds != 1200 || d.MeasuredSeconds != measured {
		t.Errorf("Oct 25: period %v excluded %v down %v measured %v", d.PeriodSeconds, d.ExcludedSeconds, d.DowntimeSeconds, d.MeasuredSeconds)
	}
	if d.UptimePercent == nil || *d.UptimePercent != 100*(measured-1200)/measured {
		t.Errorf("Oct 25 uptime %v", d.UptimePercent)
	}
	// The monitoring gap on the 20th and the day of force majeure.
	if d := days[19]; d.MeasuredSeconds != 22*hour || d.DowntimeSeconds != 0 || *d.UptimePercent != 100 {
		t.Errorf("Oct 20: %+v", d)
	}
	if d := days[13]; d.ExcludedSeconds != 3*hour || d.DowntimeSeconds != 0 {
		t.Errorf("Oct 14: %+v", d)
	}
}

func TestDailySpringForwardAndRunning(t *testing.T) {
	now := tm(amsterdam, 2026, 3, 29, 18, 0)
	mar := MonthPeriod(2026, time.March, amsterdam, now)
	days := Daily(Input{Period: mar, Now: now, Policy: Policy{TargetPercent: 99.9}, Monitored: []Interval{iv(mar.Start, tm(amsterdam, 2026, 3, 3, 0, 0))}})
	if len(days) != 29 {
		t.Fatalf("%d days to Mar 29 18:00, want 29", len(days))
	}
	// Sunday 29 March so far: 00:00 to 18:00 with an hour skipped.
	if d := days[28]; d.PeriodSeconds != 17*hour {
		t.Errorf("Mar 29 to 18:00: %v h", d.PeriodSeconds/hour)
	}
	if d := days[1]; d.UptimePercent == nil || *d.UptimePercent != 100 {
		t.Errorf("Mar 2 monitored: %v", d.UptimePercent)
	}
	if d := days[5]; d.UptimePercent != nil || d.MeasuredSeconds != 0 {
		t.Errorf("Mar 6 unmonitored: %v", *d.UptimePercent)
	}
	// A full 23-hour day.
	days = Daily(Input{Period: mar, Now: mar.End, Monitored: always})
	if d := days[28]; d.PeriodSeconds != 23*hour || !isWholeDay(d) {
		t.Errorf("Mar 29: %v h", d.PeriodSeconds/hour)
	}
	if got := dayTitle(days[28], 99.9); got != "Sun 29 Mar 2026: 100.000% available, 0s downtime (23-hour day)" {
		t.Errorf("title %q", got)
	}
	// A period that has not begun has no days.
	if d := Daily(Input{Period: MonthPeriod(2027, time.January, amsterdam, now), Now: now}); d != nil {
		t.Errorf("future month: %d days", len(d))
	}
}

// ---- HTML ----

func parseHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

// selfContained fails when the document would load anything: no scripts,
// no src, href or srcset, no url() or @import in CSS, no external http(s)
// references in attributes.
func selfContained(t *testing.T, doc *html.Node, raw string) {
	t.Helper()
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject":
			t.Errorf("element <%s> in the document", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "src" || a.Key == "href" || a.Key == "srcset" || a.Key == "xlink:href" || strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			case strings.Contains(a.Val, "http://") || strings.Contains(a.Val, "https://"):
				t.Errorf("<%s %s=%q> refers outside", n.Data, a.Key, a.Val)
			}
		}
	})
	for _, s := range []string{"url(", "@import", "@font-face"} {
		if strings.Contains(raw, s) {
			t.Errorf("document contains %q", s)
		}
	}
}

func TestRenderHTML(t *testing.T) {
	in := monthInput(t)
	r := goldenMonth(t)
	opts := renderOpts
	opts.DailyUptime = Daily(in)
	out := string(render(t, FormatHTML, []Report{r}, opts))
	doc := parseHTML(t, out)
	selfContained(t, doc, out)

	var rects, svgs, styles int
	var barTitles []string
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.Data {
		case "svg":
			svgs++
		case "style":
			styles++
		case "rect":
			rects++
			if c := n.FirstChild; c != nil && c.Type == html.ElementNode && c.Data == "title" && c.FirstChild != nil {
				barTitles = append(barTitles, c.FirstChild.Data)
			} else {
				t.Errorf("bar %d has no <title>", rects)
			}
		}
	})
	if svgs != 1 || styles != 1 || rects != 31 || strings.Count(out, "<rect") != 31 {
		t.Errorf("%d svg, %d style, %d rect (%d in the text), want 1, 1, 31", svgs, styles, rects, strings.Count(out, "<rect"))
	}
	if len(barTitles) == 31 && barTitles[24] != "Sun 25 Oct 2026: 98.551% available, 20m downtime, 2h excluded (25-hour day)" {
		t.Errorf("Oct 25 bar: %q", barTitles[24])
	}
	for _, s := range []string{
		"@media print", `class="verdict met"`, ">MET<", "99.828%", "99.8%", `class="target"`, "stroke-dasharray",
		`class="badge late">LATE`, "ONGOING", `class="bar up"`, `class="bar below"`,
		"<title>Uptime report: customer-portal, October 2026</title>",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("html lacks %q", s)
		}
	}
	text := textOf(doc)
	for _, s := range []string{
		"regional power failure (grid operator incident 4711)", "alice2026-10-14 15:02 +02:00", // by, then when
		"Downtime by day:",
		"Error budget 1h27m43s", "used 1h15m34s (86.1%)", "left 12m9s", "2026-10-01 00:00 +02:00 to 2026-11-01 00:00 +01:00 (745h, complete)",
		"by slawatch v1.0.0-test", "GET https://portal.example.com/health: status 503", "6d11h by alice",
		"emergency certificate rotation | hotfix", "Late windows count as ordinary time",
		"Backups (2)", "portal-db1h99.732%2h3h7431NOT MET", "portal-files24h100.000%0s23h30m310UNKNOWN",
		"Met is the set's status (RPO and retention) at the end of the period.",
		"Responsiveness (5 incidents)", "P121/2004m1/2033h20mresponse 2bh; resolution 2bd", "P232/3115h5m3/301h30mresponse 4bh; resolution 3bd",
		"Escalated incidents went unacknowledged past their response deadline",
		"Worst cases count an alert still open",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("html text lacks %q", s)
		}
	}
	for _, s := range []string{`<td class="num over-text">2h</td>`, `class="badge notmet">NOT MET<`, `class="badge none">UNKNOWN<`,
		`<td class="num">2/3</td><td class="num over-text">1</td><td class="num">1</td><td class="num">5h5m</td>`} {
		if !strings.Contains(out, s) {
			t.Errorf("html lacks %q", s)
		}
	}
	if strings.Contains(out, "ZgotmplZ") {
		t.Error("html/template rejected a value")
	}
	if strings.Contains(out, "xmlns") {
		t.Error("inline SVG needs no namespace URL")
	}
	// The months table appears for years only.
	if strings.Contains(out, "<h2>Months</h2>") {
		t.Error("a month report has a months table")
	}

	y := AccountYear(yearRenderInput(t))
	yopts := renderOpts
	yopts.DailyUptime = Daily(yearRenderInput(t))
	yout := string(render(t, FormatHTML, []Report{y}, yopts))
	selfContained(t, parseHTML(t, yout), yout)
	if n := strings.Count(yout, "<rect"); n != len(yopts.DailyUptime) || n != 227 {
		t.Errorf("year to Aug 15: %d bars for %d days, want 227", n, len(yopts.DailyUptime))
	}
	if !strings.Contains(yout, "<h2>Months</h2>") || strings.Count(yout, "not begun") != 4 || !strings.Contains(yout, ">Jan<") {
		t.Error("year: months table or month ticks missing")
	}

	// No daily points, no chart; null uptime says so.
	nout := string(render(t, FormatHTML, []Report{AccountYear(nullInput())}, renderOpts))
	if strings.Contains(nout, "<svg") || !strings.Contains(nout, "NO DATA") || !strings.Contains(nout, `class="verdict none"`) {
		t.Errorf("null report:\n%s", nout)
	}
	// Days with nothing measured are grey bars.
	nopts := renderOpts
	nopts.DailyUptime = Daily(nullInput())
	nout = string(render(t, FormatHTML, []Report{AccountYear(nullInput())}, nopts))
	if n := strings.Count(nout, `<rect class="bar none"`); n != 31 || !strings.Contains(nout, "Sat 31 Oct 2026: nothing measured") {
		t.Errorf("null report: %d grey bars of 31", n)
	}
}

func textOf(doc *html.Node) string {
	var b strings.Builder
	walk(doc, func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
	})
	return b.String()
}

func TestNotice(t *testing.T) {
	n := func(f float64) *float64 { return &f }
	for _, c := range []struct {
		m    MaintenanceLine
		want string
	}{
		{MaintenanceLine{Source: SourceConfig}, "scheduled (config)"},
		{MaintenanceLine{Source: SourceAPI}, "unknown"},
		{MaintenanceLine{Source: SourceAPI, NoticeSeconds: n(172800), AnnouncedBy: "alice"}, "2d by alice"},
		{MaintenanceLine{Source: SourceCLI, NoticeSeconds: n(-1800)}, "30m after start"},
	} {
		if got := notice(c.m); got != c.want {
			t.Errorf("notice(%+v) = %q, want %q", c.m, got, c.want)
		}
	}
}

func TestRenderHTMLEscapes(t *testing.T) {
	const (
		script = `<script>alert("x")</script>`
		attrJS = `"><img src=x onerror=alert(1)>`
		title  = `</title><script>alert(2)</script>`
	)
	oct := MonthPeriod(2026, time.October, time.UTC, renderNow)
	in := Input{
		Service: "evil" + attrJS, SLA: "sla & co" + title, Period: oct, Now: renderNow,
		Policy: Policy{TargetPercent: 99.9}, Monitored: always,
		Outages: []Outage{
			{ID: 1, Start: tm(time.UTC, 2026, 10, 2, 0, 0), End: tm(time.UTC, 2026, 10, 2, 1, 0), Cause: script, Probe: attrJS},
			{ID: 2, Start: tm(time.UTC, 2026, 10, 3, 0, 0), End: tm(time.UTC, 2026, 10, 3, 1, 0), Cause: "x",
				Excluded: true, ExcludeReason: title, ExcludedBy: attrJS},
		},
		Maintenance: []Window{{ID: 3, Start: tm(time.UTC, 2026, 10, 4, 0, 0), End: tm(time.UTC, 2026, 10, 4, 1, 0),
			Reason: script, Source: SourceAPI, AnnouncedAt: tm(time.UTC, 2026, 10, 4, 0, 30), AnnouncedBy: attrJS}},
	}
	r := Account(in)
	r.Backups = []BackupLine{{Set: "db" + script + attrJS, CountedSeconds: 3600, Met: pb(true), State: "ok"}}
	r.Responsiveness = []ResponseLine{{Severity: "P1" + script, Incidents: 1, ResponseTarget: attrJS, ResolutionTarget: title + script}}
	opts := renderOpts
	opts.Title = "Report " + title
	opts.DailyUptime = Daily(in)
	for name, out := range map[string]string{
		"report": string(render(t, FormatHTML, []Report{r}, opts)),
		"summary": func() string {
			var b bytes.Buffer
			_ = RenderSummary(&b, FormatHTML, []Report{r}, opts)
			return b.String()
		}(),
	} {
		if strings.Contains(out, "<script") || strings.Contains(out, "<img") {
			t.Errorf("%s: markup from the data got through", name)
		}
		doc := parseHTML(t, out)
		selfContained(t, doc, out)
		// The hostile strings are there as text, intact.
		text := textOf(doc)
		for _, s := range []string{"evil" + attrJS, title} {
			if !strings.Contains(text, s) {
				t.Errorf("%s: text lacks %q", name, s)
			}
		}
		if name == "report" && !strings.Contains(text, script) {
			t.Errorf("report: text lacks %q", script)
		}
		if name == "report" && !strings.Contains(text, "db"+script+attrJS) {
			t.Errorf("report: text lacks the backup set's name")
		}
		if name == "report" && (!strings.Contains(text, "P1"+script) || !strings.Contains(text, "response "+attrJS+"; resolution "+title+script)) {
			t.Errorf("report: text lacks the responsiveness line's severity or targets")
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	r := AccountYear(breachedInput())
	md := string(render(t, FormatMarkdown, []Report{r}, renderOpts))
	if !strings.Contains(md, `HTTP 500 \| database failover`) {
		t.Errorf("pipe not escaped:\n%s", md)
	}
	for line := range strings.Lines(md) {
		if strings.HasPrefix(line, "| 21 ") && strings.Count(line, "|")-strings.Count(line, `\|`) != 7 {
			t.Errorf("outage row has the wrong number of cells: %q", line)
		}
	}
}

func TestRenderBackups(t *testing.T) {
	month := goldenMonth(t)
	text := string(render(t, FormatText, []Report{month}, renderOpts))
	for _, s := range []string{
		"\nBackups (2)\n",
		"  SET           RPO  COMPLIANCE  OUTSIDE RPO  WORST AGE  BACKUPS  FAILED  MET\n",
		"  portal-db     1h   99.732%     2h           3h         743      1       NOT MET\n",
		"  portal-files  24h  100.000%    0s           23h30m     31       0       UNKNOWN\n",
		"  Compliance is the share of the period in which the newest successful backup was at most the RPO old",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	md := string(render(t, FormatMarkdown, []Report{month}, renderOpts))
	for _, s := range []string{
		"\n## Backups (2)\n\n| Set | RPO | Compliance | Outside RPO | Worst age | Backups | Failed | Met |\n|---|---:|---:|---:|---:|---:|---:|---|\n",
		"| portal-db | 1h | 99.732% | 2h | 3h | 743 | 1 | NOT MET |\n",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(render(t, FormatCSV, []Report{month}, renderOpts))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	var got []string
	for _, row := range rows[1:] {
		if row[0] == "backup" {
			var cells []string
			for _, c := range []string{"period", "set", "rpo_seconds", "counted_seconds", "within_rpo_seconds",
				"compliance_percent", "worst_age_seconds", "backups", "failures", "met", "state", "start", "uptime_percent"} {
				cells = append(cells, row[col[c]])
			}
			got = append(got, strings.Join(cells, ","))
		}
	}
	want := []string{
		"2026-10,portal-db,3600,2682000,2674800,99.73154362416108,10800,743,1,false,failing,,",
		"2026-10,portal-files,86400,2682000,2682000,100,84600,31,0,,unknown,,",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("csv backup rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Sets without an RPO, never backed up, or not evaluated.
	odd := Account(breachedInput())
	odd.Period.Complete = false
	odd.Backups = []BackupLine{
		{Set: "scratch", CountedSeconds: 100, WorstAgeSeconds: pf(7200), Backups: 2},
		{Set: "new | set", RPOSeconds: pf(hour), CountedSeconds: 100, CompliancePercent: pf(0), Met: pb(false), State: "failing"},
		{Set: "nearly", RPOSeconds: pf(hour), CountedSeconds: 8760 * hour, WithinRPOSeconds: 8760*hour - 0.001,
			CompliancePercent: pf(100), WorstAgeSeconds: pf(hour + 0.001), Met: pb(true), State: "ok"},
	}
	text = string(render(t, FormatText, []Report{odd}, renderOpts))
	for _, s := range []string{
		"  scratch    none  n/a                 n/a          2h         2        0       n/a\n",
		"  new | set  1h    0.000%              1m40s        no backup  0        0       NOT MET\n",
		"  nearly     1h    99.99999999999999%  <1s          1h         0        0       MET\n", // never 100% with time outside

		"share of the period to date", "at the report's time.",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	md = string(render(t, FormatMarkdown, []Report{odd}, renderOpts))
	if !strings.Contains(md, `| new \| set | 1h |`) {
		t.Errorf("markdown does not escape the set's name:\n%s", md)
	}

	// No backups, no section; the JSON has [] at every level.
	y := AccountYear(yearRenderInput(t))
	for _, f := range []Format{FormatText, FormatMarkdown, FormatHTML} {
		if out := string(render(t, f, []Report{y}, renderOpts)); strings.Contains(out, "Backups") {
			t.Errorf("%s: a report without backups has a backup section", f)
		}
	}
	js := string(render(t, FormatJSON, []Report{y}, renderOpts))
	if n := strings.Count(js, `"backups": []`); n != 1+len(y.Months) || strings.Contains(js, `"backups": null`) {
		t.Errorf("year JSON: %d empty backup lists for %d months", n, len(y.Months))
	}
	// A year shows its own lines, not its months'.
	y.Backups = []BackupLine{{Set: "year-set", CountedSeconds: 1}}
	y.Months[0].Backups = []BackupLine{{Set: "january-set", CountedSeconds: 1}}
	for _, f := range []Format{FormatText, FormatMarkdown, FormatHTML, FormatCSV} {
		out := string(render(t, f, []Report{y}, renderOpts))
		if !strings.Contains(out, "year-set") || strings.Contains(out, "january-set") {
			t.Errorf("%s: year lines shown %v, month lines shown %v", f, strings.Contains(out, "year-set"), strings.Contains(out, "january-set"))
		}
	}
	var back Report
	if err := json.Unmarshal(render(t, FormatJSON, []Report{y}, renderOpts), &back); err != nil ||
		len(back.Backups) != 1 || len(back.Months[0].Backups) != 1 || back.Months[1].Backups == nil && len(back.Months[1].Backups) != 0 {
		t.Errorf("year JSON round trip: %v %+v", err, back.Backups)
	}
}

func TestRenderResponsiveness(t *testing.T) {
	month := goldenMonth(t)
	text := string(render(t, FormatText, []Report{month}, renderOpts))
	for _, s := range []string{
		"\nResponsiveness (5 incidents)\n",
		"  SEVERITY  INCIDENTS  ACK IN TIME  RESPONSE MISSED  ESCALATED  WORST RESPONSE  RESOLVED IN TIME  RESOLUTION MISSED  WORST RESOLUTION  TARGETS\n",
		"  P1        2          1/2          0                0          4m              1/2               0                  33h20m            response 2bh; resolution 2bd\n",
		"  P2        3          2/3          1                1          5h5m            3/3               0                  1h30m             response 4bh; resolution 3bd\n",
		"  Incidents are the alerts that fired in the period. Acknowledged and resolved in time are out of all incidents",
		"  Escalated incidents went unacknowledged past their response deadline and were passed to the route's next receiver.\n",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	// After the backups: the sections keep their order in every format.
	for _, f := range []Format{FormatText, FormatMarkdown, FormatHTML} {
		out := string(render(t, f, []Report{month}, renderOpts))
		if b, r := strings.Index(out, "Backups"), strings.Index(out, "Responsiveness"); b < 0 || r < b {
			t.Errorf("%s: responsiveness at %d, backups at %d", f, r, b)
		}
	}
	md := string(render(t, FormatMarkdown, []Report{month}, renderOpts))
	for _, s := range []string{
		"\n## Responsiveness (5 incidents)\n\n| Severity | Incidents | Ack in time | Response missed | Escalated | Worst response | Resolved in time | Resolution missed | Worst resolution | Targets |\n" +
			"|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
		"| P2 | 3 | 2/3 | 1 | 1 | 5h5m | 3/3 | 0 | 1h30m | response 4bh; resolution 3bd |\n",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("markdown lacks %q:\n%s", s, md)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(render(t, FormatCSV, []Report{month}, renderOpts))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	var got []string
	for _, row := range rows[1:] {
		if row[0] == "response" {
			var cells []string
			for _, c := range []string{"period", "severity", "incidents", "acknowledged", "acknowledged_in_time", "response_missed",
				"escalated", "resolved", "resolved_in_time", "resolution_missed", "worst_response_seconds", "worst_resolution_seconds",
				"response_target", "resolution_target", "start", "met", "set"} {
				cells = append(cells, row[col[c]])
			}
			got = append(got, strings.Join(cells, ","))
		}
	}
	want := []string{
		"2026-10,P1,2,1,1,0,0,1,1,0,240,120000,2bh,2bd,,,",
		"2026-10,P2,3,3,2,1,1,3,3,0,18300,5400,4bh,3bd,,,",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("csv response rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var back Report
	if err := json.Unmarshal(render(t, FormatJSON, []Report{month}, renderOpts), &back); err != nil || len(back.Responsiveness) != 2 {
		t.Fatalf("JSON round trip: %v %+v", err, back.Responsiveness)
	}
	if l := back.Responsiveness[1]; *l.WorstResponseSeconds != 18300 || l.ResponseTarget != "4bh" || l.ResponseMissed != 1 || l.Escalated != 1 {
		t.Errorf("JSON round trip: %+v", l)
	}

	// No worst cases, no targets, one incident, a period to date, hostile
	// targets.
	odd := Account(breachedInput())
	odd.Period.Complete = false
	odd.Responsiveness = []ResponseLine{
		{Severity: "P3", Incidents: 1, ResolutionTarget: "=cmd|' /C calc'!A0"},
	}
	text = string(render(t, FormatText, []Report{odd}, renderOpts))
	for _, s := range []string{
		"\nResponsiveness (1 incident)\n",
		"  P3        1          0/1          0                0          n/a             0/1               0                  n/a               resolution =cmd|' /C calc'!A0\n",
		"fired in the period to date.",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	md = string(render(t, FormatMarkdown, []Report{odd}, renderOpts))
	if !strings.Contains(md, `| P3 | 1 | 0/1 | 0 | 0 | n/a | 0/1 | 0 | n/a | resolution =cmd\|' /C calc'!A0 |`) {
		t.Errorf("markdown does not escape the target:\n%s", md)
	}
	out := string(render(t, FormatCSV, []Report{odd}, renderOpts))
	if !strings.Contains(out, `,,,'=cmd|' /C calc'!A0,0`+"\n") {
		t.Errorf("csv target not defused:\n%s", out)
	}
	odd.Responsiveness[0].ResolutionTarget = ""
	if text := string(render(t, FormatText, []Report{odd}, renderOpts)); !strings.Contains(text, "  n/a               none\n") {
		t.Errorf("no targets:\n%s", text)
	}

	// No lines, no section; the JSON has [] at every level.
	y := AccountYear(yearRenderInput(t))
	for _, f := range []Format{FormatText, FormatMarkdown, FormatHTML} {
		if out := string(render(t, f, []Report{y}, renderOpts)); strings.Contains(out, "Responsiveness") {
			t.Errorf("%s: a report without responsiveness lines has the section", f)
		}
	}
	js := string(render(t, FormatJSON, []Report{y}, renderOpts))
	if n := strings.Count(js, `"responsiveness": []`); n != 1+len(y.Months) || strings.Contains(js, `"responsiveness": null`) {
		t.Errorf("year JSON: %d empty responsiveness lists for %d months", n, len(y.Months))
	}
	// A year shows its own lines, not its months'.
	y.Responsiveness = []ResponseLine{{Severity: "P4", Incidents: 9, ResponseTarget: "year-target"}}
	y.Months[0].Responsiveness = []ResponseLine{{Severity: "P4", Incidents: 1, ResponseTarget: "january-target"}}
	for _, f := range []Format{FormatText, FormatMarkdown, FormatHTML, FormatCSV} {
		out := string(render(t, f, []Report{y}, renderOpts))
		if !strings.Contains(out, "year-target") || strings.Contains(out, "january-target") {
			t.Errorf("%s: year lines shown %v, month lines shown %v", f, strings.Contains(out, "year-target"), strings.Contains(out, "january-target"))
		}
	}
	js = string(render(t, FormatJSON, []Report{y}, renderOpts))
	if !strings.Contains(js, "january-target") || strings.Count(js, `"responsiveness": []`) != len(y.Months)-1 {
		t.Errorf("year JSON lacks the months' lines")
	}
}

// TestSampleHTML writes a sample report for a look in a browser:
// SLAWATCH_SAMPLE_HTML=/tmp/sample-report.html go test ./uptime -run SampleHTML
func TestSampleHTML(t *testing.T) {
	path := os.Getenv("SLAWATCH_SAMPLE_HTML")
	if path == "" {
		t.Skip("SLAWATCH_SAMPLE_HTML not set")
	}
	in := monthInput(t)
	opts := renderOpts
	opts.DailyUptime = Daily(in)
	out := render(t, FormatHTML, []Report{goldenMonth(t)}, opts)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("SLAWATCH_SAMPLE_YEAR_HTML"); p != "" {
		yin := yearRenderInput(t)
		yopts := renderOpts
		yopts.Now = time.Time{}
		yopts.DailyUptime = Daily(yin)
		if err := os.WriteFile(p, render(t, FormatHTML, []Report{AccountYear(yin)}, yopts), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if p := os.Getenv("SLAWATCH_SAMPLE_SUMMARY_HTML"); p != "" {
		var b bytes.Buffer
		if err := RenderSummary(&b, FormatHTML, []Report{AccountYear(monthInput(t)), AccountYear(breachedInput()), AccountYear(nullInput())}, renderOpts); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkDailyYear(b *testing.B) {
	in := yearInput(b)
	b.ReportAllocs()
	for b.Loop() {
		if d := Daily(in); len(d) != 365 {
			b.Fatalf("%d days", len(d))
		}
	}
}

func BenchmarkRenderHTMLYear(b *testing.B) {
	in := yearInput(b)
	r := AccountYear(in)
	opts := RenderOptions{Now: in.Now, DailyUptime: Daily(in)}
	b.ReportAllocs()
	for b.Loop() {
		if err := Render(io.Discard, FormatHTML, []Report{r}, opts); err != nil {
			b.Fatal(err)
		}
	}
}
