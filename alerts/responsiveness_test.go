package alerts_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/uptime"
)

// October 2026 in UTC, reported on 2 November.
var (
	octStart = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	novStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	reportAt = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

// oct is a time on 5 October 2026, UTC.
func oct(h, m int) time.Time { return time.Date(2026, 10, 5, h, m, 0, 0, time.UTC) }

// targets are plain-hour targets by severity: P1 respond in 2 h and resolve
// in 8 h, P2 respond in 4 h with no resolution target, P3 resolve in 3
// days with no response target, P4 none.
var targets = map[string]struct {
	response, resolution time.Duration
	rl, sl               string
}{
	"P1": {2 * time.Hour, 8 * time.Hour, "2h", "8h"},
	"P2": {4 * time.Hour, 0, "4h", ""},
	"P3": {0, 72 * time.Hour, "", "3d"},
}

func deadlines(a alerts.Alert) (resp, res time.Time, rt, st string) {
	t := targets[a.Labels[alerts.LabelSeverity]]
	if t.response > 0 {
		resp = a.FiredAt.Add(t.response)
	}
	if t.resolution > 0 {
		res = a.FiredAt.Add(t.resolution)
	}
	return resp, res, t.rl, t.sl
}

// alert is an alert of the given severity that fired at fired; acked and
// ended are zero when it was not acknowledged or has not resolved.
func alert(sev string, fired, acked, ended time.Time) alerts.Alert {
	a := alerts.Alert{
		Labels:   map[string]string{alerts.LabelAlertname: "ServiceDown", "service": "portal", alerts.LabelSeverity: sev},
		State:    alerts.StateFiring,
		StartsAt: fired.Add(-time.Minute),
		FiredAt:  fired,
		AckedAt:  acked,
	}
	if !ended.IsZero() {
		a.State, a.EndsAt = alerts.StateResolved, ended
	}
	if !acked.IsZero() {
		a.AckedBy = "alice"
	}
	return a
}

var never time.Time

// escalated is a with an escalation at each of ats, one level further up
// its route each, due at ats[0] (its response deadline).
func escalated(a alerts.Alert, ats ...time.Time) alerts.Alert {
	for i, at := range ats {
		a.Escalations = append(a.Escalations, alerts.Escalation{Level: i + 1, Receiver: fmt.Sprintf("level-%d", i+1), Due: ats[0], At: at})
	}
	return a
}

// lineText is a line in one comparable string: counts, worst cases and
// targets.
func lineText(l uptime.ResponseLine) string {
	worst := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return (time.Duration(*p * float64(time.Second))).String()
	}
	return fmt.Sprintf("%s n=%d ack=%d/%d missed=%d esc=%d res=%d/%d missed=%d worst=%s/%s targets=%q/%q",
		l.Severity, l.Incidents, l.AcknowledgedInTime, l.Acknowledged, l.ResponseMissed, l.Escalated,
		l.ResolvedInTime, l.Resolved, l.ResolutionMissed,
		worst(l.WorstResponseSeconds), worst(l.WorstResolutionSeconds), l.ResponseTarget, l.ResolutionTarget)
}

func TestResponsiveness(t *testing.T) {
	// P1 fired 10:00: response due 12:00, resolution due 18:00.
	for _, c := range []struct {
		name   string
		as     []alerts.Alert
		noDL   bool      // no Deadlines
		now    time.Time // reportAt when zero
		want   []string
		wantNo bool // no lines at all
	}{
		{
			name: "acknowledged and resolved in time",
			as:   []alerts.Alert{alert("P1", oct(10, 0), oct(11, 0), oct(13, 0))},
			want: []string{`P1 n=1 ack=1/1 missed=0 esc=0 res=1/1 missed=0 worst=1h0m0s/3h0m0s targets="2h"/"8h"`},
		},
		{
			name: "acknowledged at the deadline exactly, resolved at it exactly",
			as:   []alerts.Alert{alert("P1", oct(10, 0), oct(12, 0), oct(18, 0))},
			want: []string{`P1 n=1 ack=1/1 missed=0 esc=0 res=1/1 missed=0 worst=2h0m0s/8h0m0s targets="2h"/"8h"`},
		},
		{
			name: "acknowledged a second late, resolved late",
			as:   []alerts.Alert{alert("P1", oct(10, 0), oct(12, 0).Add(time.Second), oct(18, 30))},
			want: []string{`P1 n=1 ack=0/1 missed=1 esc=0 res=0/1 missed=1 worst=2h0m1s/8h30m0s targets="2h"/"8h"`},
		},
		{
			name: "never acknowledged, open, before the deadline",
			as:   []alerts.Alert{alert("P1", oct(10, 0), never, never)},
			now:  oct(11, 30),
			want: []string{`P1 n=1 ack=0/0 missed=0 esc=0 res=0/0 missed=0 worst=-/1h30m0s targets="2h"/"8h"`},
		},
		{
			name: "never acknowledged, open, after the response deadline",
			as:   []alerts.Alert{alert("P1", oct(10, 0), never, never)},
			now:  oct(15, 0),
			want: []string{`P1 n=1 ack=0/0 missed=1 esc=0 res=0/0 missed=0 worst=5h0m0s/5h0m0s targets="2h"/"8h"`},
		},
		{
			name: "never acknowledged, open at the report's time, past both deadlines",
			as:   []alerts.Alert{alert("P1", oct(10, 0), never, never)},
			want: []string{`P1 n=1 ack=0/0 missed=1 esc=0 res=0/0 missed=1 worst=671h0m0s/671h0m0s targets="2h"/"8h"`},
		},
		{
			name: "never acknowledged, resolved before the response deadline: no response needed",
			as:   []alerts.Alert{alert("P1", oct(10, 0), never, oct(10, 20))},
			want: []string{`P1 n=1 ack=0/0 missed=0 esc=0 res=1/1 missed=0 worst=-/20m0s targets="2h"/"8h"`},
		},
		{
			name: "never acknowledged, resolved after the response deadline",
			as:   []alerts.Alert{alert("P1", oct(10, 0), never, oct(14, 0))},
			want: []string{`P1 n=1 ack=0/0 missed=1 esc=0 res=1/1 missed=0 worst=4h0m0s/4h0m0s targets="2h"/"8h"`},
		},
		{
			name: "acknowledged late while cooling, after resolving in time: not missed, not in time",
			as:   []alerts.Alert{alert("P1", oct(10, 0), oct(12, 30), oct(11, 0))},
			want: []string{`P1 n=1 ack=0/1 missed=0 esc=0 res=1/1 missed=0 worst=1h0m0s/1h0m0s targets="2h"/"8h"`},
		},
		{
			name: "acknowledged while pending counts as at once",
			as:   []alerts.Alert{alert("P1", oct(10, 0), oct(9, 59), oct(10, 30))},
			want: []string{`P1 n=1 ack=1/1 missed=0 esc=0 res=1/1 missed=0 worst=0s/30m0s targets="2h"/"8h"`},
		},
		{
			name: "resolved state without an end counts as open",
			as: []alerts.Alert{func() alerts.Alert {
				a := alert("P1", oct(10, 0), oct(10, 5), never)
				a.State = alerts.StateResolved
				return a
			}()},
			now:  oct(20, 0),
			want: []string{`P1 n=1 ack=1/1 missed=0 esc=0 res=0/0 missed=1 worst=5m0s/10h0m0s targets="2h"/"8h"`},
		},
		{
			name: "acknowledged and resolved after the report's time: not yet",
			as:   []alerts.Alert{alert("P1", oct(10, 0), oct(11, 0), oct(13, 0))},
			now:  oct(10, 30),
			want: []string{`P1 n=1 ack=0/0 missed=0 esc=0 res=0/0 missed=0 worst=-/30m0s targets="2h"/"8h"`},
		},
		{
			name: "escalated at its response deadline, acknowledged late",
			as:   []alerts.Alert{escalated(alert("P1", oct(10, 0), oct(12, 30), oct(13, 0)), oct(12, 0))},
			want: []string{`P1 n=1 ack=0/1 missed=1 esc=1 res=1/1 missed=0 worst=2h30m0s/3h0m0s targets="2h"/"8h"`},
		},
		{
			name: "escalated twice: counts once",
			as:   []alerts.Alert{escalated(alert("P1", oct(10, 0), never, oct(15, 0)), oct(12, 0), oct(14, 0))},
			want: []string{`P1 n=1 ack=0/0 missed=1 esc=1 res=1/1 missed=0 worst=5h0m0s/5h0m0s targets="2h"/"8h"`},
		},
		{
			name: "escalated at the report's time exactly",
			as:   []alerts.Alert{escalated(alert("P1", oct(10, 0), never, never), oct(12, 0))},
			now:  oct(12, 0),
			want: []string{`P1 n=1 ack=0/0 missed=0 esc=1 res=0/0 missed=0 worst=-/2h0m0s targets="2h"/"8h"`},
		},
		{
			name: "escalation after the report's time: not yet escalated",
			as:   []alerts.Alert{escalated(alert("P1", oct(10, 0), never, never), oct(12, 0))},
			now:  oct(11, 59),
			want: []string{`P1 n=1 ack=0/0 missed=0 esc=0 res=0/0 missed=0 worst=-/1h59m0s targets="2h"/"8h"`},
		},
		{
			name: "the second escalation after the report's time: escalated once",
			as:   []alerts.Alert{escalated(alert("P1", oct(10, 0), never, never), oct(12, 0), oct(14, 0))},
			now:  oct(13, 0),
			want: []string{`P1 n=1 ack=0/0 missed=1 esc=1 res=0/0 missed=0 worst=3h0m0s/3h0m0s targets="2h"/"8h"`},
		},
		{
			name: "escalated incidents per severity, among others that were not",
			as: []alerts.Alert{
				escalated(alert("P1", oct(10, 0), oct(12, 10), oct(13, 0)), oct(12, 0)),
				alert("P1", oct(14, 0), oct(14, 5), oct(15, 0)),
				escalated(alert("P2", oct(10, 0), never, oct(20, 0)), oct(14, 0), oct(16, 0), oct(18, 0)),
				escalated(alert("P2", oct(11, 0), oct(16, 0), oct(17, 0)), oct(15, 0)),
				alert("P2", oct(12, 0), oct(12, 30), oct(13, 0)),
			},
			want: []string{
				`P1 n=2 ack=1/2 missed=1 esc=1 res=2/2 missed=0 worst=2h10m0s/3h0m0s targets="2h"/"8h"`,
				`P2 n=3 ack=1/2 missed=2 esc=2 res=3/3 missed=0 worst=10h0m0s/10h0m0s targets="4h"/""`,
			},
		},
		{
			name: "escalations count without deadlines too",
			noDL: true,
			as:   []alerts.Alert{escalated(alert("P3", oct(10, 0), oct(13, 0), oct(14, 0)), oct(12, 0))},
			want: []string{`P3 n=1 ack=1/1 missed=0 esc=1 res=1/1 missed=0 worst=3h0m0s/4h0m0s targets=""/""`},
		},
		{
			name: "no targets: any acknowledgement and resolution is in time, nothing is missed",
			noDL: true,
			as: []alerts.Alert{
				alert("P1", oct(10, 0), oct(20, 0), oct(23, 0)),
				alert("P1", oct(11, 0), never, never),
			},
			want: []string{`P1 n=2 ack=1/1 missed=0 esc=0 res=1/1 missed=0 worst=10h0m0s/670h0m0s targets=""/""`},
		},
		{
			name: "a severity without a response target, one without a resolution target",
			as: []alerts.Alert{
				alert("P2", oct(10, 0), oct(16, 0), oct(23, 0)), // 4 h response missed; no resolution target
				alert("P2", oct(12, 0), never, never),           // open past its response deadline
				alert("P3", oct(10, 0), never, oct(9+24*4, 0)),  // resolved after 4 days: resolution missed
				alert("P3", oct(11, 0), oct(12, 0), never),      // open: past 3 days at the report's time
			},
			want: []string{
				`P2 n=2 ack=0/1 missed=2 esc=0 res=1/1 missed=0 worst=669h0m0s/669h0m0s targets="4h"/""`,
				`P3 n=2 ack=1/1 missed=0 esc=0 res=0/1 missed=2 worst=1h0m0s/670h0m0s targets=""/"3d"`,
			},
		},
		{
			name: "severities mixed: one line each, P1 first; other severities ignored",
			as: []alerts.Alert{
				alert("P4", oct(8, 0), oct(9, 0), oct(10, 0)),
				alert("P1", oct(10, 0), oct(11, 0), oct(13, 0)),
				alert("P2", oct(10, 0), oct(11, 0), oct(13, 0)),
				alert("P1", oct(14, 0), oct(17, 0), oct(23, 0)),
				alert("critical", oct(10, 0), never, never),
				alert("", oct(10, 0), never, never),
				func() alerts.Alert {
					a := alert("P1", oct(10, 0), never, never)
					delete(a.Labels, alerts.LabelSeverity)
					return a
				}(),
			},
			want: []string{
				`P1 n=2 ack=1/2 missed=1 esc=0 res=1/2 missed=1 worst=3h0m0s/9h0m0s targets="2h"/"8h"`,
				`P2 n=1 ack=1/1 missed=0 esc=0 res=1/1 missed=0 worst=1h0m0s/3h0m0s targets="4h"/""`,
				`P4 n=1 ack=1/1 missed=0 esc=0 res=1/1 missed=0 worst=1h0m0s/2h0m0s targets=""/""`,
			},
		},
		{
			name: "period edges: from is in, to is out, pending alerts are ignored",
			as: []alerts.Alert{
				alert("P1", octStart, octStart.Add(time.Hour), octStart.Add(2*time.Hour)),
				alert("P1", octStart.Add(-time.Nanosecond), never, never),
				alert("P1", novStart, never, never),
				alert("P1", novStart.Add(-time.Nanosecond), novStart.Add(time.Hour-time.Nanosecond), novStart.Add(2*time.Hour-time.Nanosecond)),
				{Labels: map[string]string{alerts.LabelSeverity: "P1"}, State: alerts.StatePending, StartsAt: oct(10, 0)},
			},
			want: []string{`P1 n=2 ack=2/2 missed=0 esc=0 res=2/2 missed=0 worst=1h0m0s/2h0m0s targets="2h"/"8h"`},
		},
		{
			name: "fired after the report's time: not yet an incident",
			as: []alerts.Alert{
				alert("P2", oct(10, 0), never, never),
				alert("P2", oct(12, 0), never, never),
			},
			now:  oct(11, 0),
			want: []string{`P2 n=1 ack=0/0 missed=0 esc=0 res=0/0 missed=0 worst=-/1h0m0s targets="4h"/""`},
		},
		{
			name:   "no incidents",
			as:     []alerts.Alert{alert("P1", oct(10, 0), never, never)},
			now:    oct(9, 0),
			wantNo: true,
		},
		{name: "no alerts", wantNo: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := c.now
			if now.IsZero() {
				now = reportAt
			}
			var dl alerts.Deadlines = deadlines
			if c.noDL {
				dl = nil
			}
			got := alerts.Responsiveness(c.as, dl, octStart, novStart, now)
			if c.wantNo {
				if got != nil {
					t.Errorf("lines %v, want none", got)
				}
				return
			}
			var lines []string
			for _, l := range got {
				lines = append(lines, lineText(l))
			}
			if strings.Join(lines, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// Incidents of one severity under different targets list each target.
func TestResponsivenessDistinctTargets(t *testing.T) {
	dl := func(a alerts.Alert) (time.Time, time.Time, string, string) {
		if a.Labels["service"] == "api" {
			return a.FiredAt.Add(4 * time.Hour), time.Time{}, "4bh", ""
		}
		return a.FiredAt.Add(2 * time.Hour), time.Time{}, "2bh", "5bd"
	}
	a := alert("P1", oct(10, 0), oct(11, 0), oct(12, 0))
	b := alert("P1", oct(10, 0), oct(13, 0), oct(14, 0))
	b.Labels["service"] = "api"
	c := alert("P1", oct(15, 0), oct(15, 30), oct(16, 0))
	got := alerts.Responsiveness([]alerts.Alert{b, a, c}, dl, octStart, novStart, reportAt)
	want := `P1 n=3 ack=3/3 missed=0 esc=0 res=3/3 missed=0 worst=3h0m0s/4h0m0s targets="2bh, 4bh"/"5bd"`
	if len(got) != 1 || lineText(got[0]) != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
}

// Responsiveness reads its alerts, never writes them, and asks for each
// incident's deadlines once.
func TestResponsivenessCallsDeadlinesPerIncident(t *testing.T) {
	as := []alerts.Alert{
		alert("P1", oct(10, 0), never, never),
		alert("P2", oct(11, 0), never, never),
		alert("P1", novStart, never, never), // outside the period
	}
	calls := map[time.Time]int{}
	dl := func(a alerts.Alert) (time.Time, time.Time, string, string) {
		calls[a.FiredAt]++
		return deadlines(a)
	}
	alerts.Responsiveness(as, dl, octStart, novStart, reportAt)
	if len(calls) != 2 || calls[oct(10, 0)] != 1 || calls[oct(11, 0)] != 1 {
		t.Errorf("deadlines asked %v", calls)
	}
	if as[0].State != alerts.StateFiring || !as[0].AckedAt.IsZero() {
		t.Error("alerts modified")
	}
}

// The lines go into a report and render in every format.
func TestResponsivenessInReport(t *testing.T) {
	as := []alerts.Alert{
		escalated(alert("P1", oct(10, 0), oct(12, 30), oct(16, 0)), oct(12, 0)), // acknowledged after escalating
		alert("P1", oct(20, 0), oct(20, 10), oct(21, 0)),
		alert("P2", oct(10, 0), oct(11, 0), oct(13, 0)),
	}
	in := uptime.Input{Service: "portal", SLA: "ultimo", Period: uptime.MonthPeriod(2026, time.October, time.UTC, reportAt), Now: reportAt,
		Policy: uptime.Policy{TargetPercent: 99.7}, Monitored: []uptime.Interval{{Start: octStart, End: reportAt}}}
	r := uptime.Account(in)
	r.Responsiveness = alerts.Responsiveness(as, deadlines, r.Period.Start, r.Period.End, reportAt)

	var text bytes.Buffer
	if err := uptime.Render(&text, uptime.FormatText, []uptime.Report{r}, uptime.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"\nResponsiveness (3 incidents)\n",
		"  P1        2          1/2          1                1          2h30m           2/2               0                  6h                response 2h; resolution 8h\n",
		"  P2        1          1/1          0                0          1h              1/1               0                  3h                response 4h\n",
	} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}

	var js bytes.Buffer
	if err := uptime.Render(&js, uptime.FormatJSON, []uptime.Report{r}, uptime.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Responsiveness []map[string]any `json:"responsiveness"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Responsiveness) != 2 || back.Responsiveness[0]["worst_response_seconds"] != 9000.0 ||
		back.Responsiveness[1]["resolution_target"] != nil || back.Responsiveness[0]["response_missed"] != 1.0 ||
		back.Responsiveness[0]["escalated"] != 1.0 || back.Responsiveness[1]["escalated"] != 0.0 {
		t.Errorf("json responsiveness %v", back.Responsiveness)
	}

	var out bytes.Buffer
	if err := uptime.Render(&out, uptime.FormatCSV, []uptime.Report{r}, uptime.RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// escalated is the last column, after the ones that were there before it.
	header := rows[0]
	if last := header[len(header)-1]; last != "escalated" {
		t.Errorf("csv: last column %q, want escalated", last)
	}
	sev := slices.Index(header, "severity")
	var esc []string
	for _, row := range rows[1:] {
		if row[0] == "response" {
			esc = append(esc, row[sev]+"="+row[len(row)-1])
		}
	}
	if strings.Join(esc, " ") != "P1=1 P2=0" {
		t.Errorf("csv response rows: escalated %v, want P1=1 P2=0", esc)
	}
}
