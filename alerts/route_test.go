package alerts_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
)

// exampleRoutes are SPEC §7's routes plus a continue route for the
// managers' channel and a backups route.
var exampleRoutes = []alerts.RouteSpec{
	{Match: map[string][]string{"environment": {"production"}, "severity": {"P1"}}, Receivers: []string{"status-channel"}, Continue: true},
	{Match: map[string][]string{"severity": {"P1", "P2"}}, Receivers: []string{"oncall", "managers"}},
	{Match: map[string][]string{"alertname": {"BackupRPOBreached", "BackupRetentionNotMet"}}, Receivers: []string{"backup-team"}},
	{Receivers: []string{"managers"}},
}

func TestRoute(t *testing.T) {
	tests := []struct {
		name   string
		routes []alerts.RouteSpec
		labels map[string]string
		want   []int
	}{
		{"P1 in production: continue, then first match", exampleRoutes,
			map[string]string{"severity": "P1", "environment": "production", "alertname": "ServiceDown"}, []int{0, 1}},
		{"P1 in test: all labels must match", exampleRoutes,
			map[string]string{"severity": "P1", "environment": "test"}, []int{1}},
		{"P2 RPO breach: first match wins over a later match", exampleRoutes,
			map[string]string{"severity": "P2", "alertname": "BackupRPOBreached"}, []int{1}},
		{"P3 retention", exampleRoutes,
			map[string]string{"severity": "P3", "alertname": "BackupRetentionNotMet"}, []int{2}},
		{"P4: catch-all", exampleRoutes,
			map[string]string{"severity": "P4", "alertname": "RestoreTestStale"}, []int{3}},
		{"missing label does not match", exampleRoutes[:2],
			map[string]string{"alertname": "ServiceDown"}, nil},
		{"no routes", nil, map[string]string{"severity": "P1"}, nil},
		{"continue to the end", []alerts.RouteSpec{
			{Receivers: []string{"a"}, Continue: true},
			{Match: map[string][]string{"severity": {"P9"}}, Receivers: []string{"b"}, Continue: true},
			{Receivers: []string{"c"}, Continue: true},
		}, map[string]string{"severity": "P1"}, []int{0, 2}},
		{"empty value list matches nothing", []alerts.RouteSpec{
			{Match: map[string][]string{"severity": {}}, Receivers: []string{"a"}},
		}, map[string]string{"severity": ""}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, m := range alerts.Route(tc.routes, tc.labels) {
				got = append(got, m.Index)
				if !reflect.DeepEqual(m.Route, tc.routes[m.Index]) {
					t.Errorf("route %d is not the configured one", m.Index)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Route = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRouteValidate(t *testing.T) {
	tests := []struct {
		r    alerts.RouteSpec
		want string
	}{
		{alerts.RouteSpec{Receivers: []string{"oncall"}}, ""},
		{alerts.RouteSpec{}, "receivers: want at least one"},
		{alerts.RouteSpec{Receivers: []string{"a", "b", "a"}}, "receivers[2]: a is listed twice"},
		{alerts.RouteSpec{Receivers: []string{""}}, "receivers[0]: empty name"},
		{alerts.RouteSpec{Receivers: []string{"a"}, RepeatInterval: -time.Minute}, "repeat_interval -1m0s is negative"},
		{alerts.RouteSpec{Receivers: []string{"a"}, Match: map[string][]string{"severity": nil}}, "match.severity: want at least one value"},
	}
	for _, tc := range tests {
		err := tc.r.Validate()
		if got := errString(err); got != tc.want {
			t.Errorf("Validate(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func firingAlert(fired time.Time) alerts.Alert {
	return alerts.Alert{
		Labels:   map[string]string{"alertname": "ServiceDown", "service": "portal", "severity": "P1"},
		State:    alerts.StateFiring,
		StartsAt: fired, FiredAt: fired,
	}
}

func TestDue(t *testing.T) {
	t0 := time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)
	every4h := alerts.RouteSpec{Receivers: []string{"oncall"}, RepeatInterval: alerts.DefaultRepeatInterval}
	never := alerts.RouteSpec{Receivers: []string{"oncall"}}
	acked := firingAlert(t0)
	acked.AckedAt, acked.AckedBy = t0.Add(time.Hour), "ann"
	pending := firingAlert(t0)
	pending.State, pending.FiredAt = alerts.StatePending, time.Time{}
	resolved := firingAlert(t0)
	resolved.State, resolved.EndsAt = alerts.StateResolved, t0.Add(time.Hour)

	tests := []struct {
		name     string
		a        alerts.Alert
		r        alerts.RouteSpec
		lastSent time.Time
		now      time.Time
		want     bool
	}{
		{"never sent", firingAlert(t0), every4h, time.Time{}, t0, true},
		{"sent just now", firingAlert(t0), every4h, t0, t0, false},
		{"before the repeat interval", firingAlert(t0), every4h, t0, t0.Add(4*time.Hour - time.Second), false},
		{"at the repeat interval", firingAlert(t0), every4h, t0, t0.Add(4 * time.Hour), true},
		{"after the repeat interval", firingAlert(t0), every4h, t0.Add(4 * time.Hour), t0.Add(9 * time.Hour), true},
		{"repeat 0 never repeats", firingAlert(t0), never, t0, t0.Add(100 * time.Hour), false},
		{"repeat 0 still sends the first", firingAlert(t0), never, time.Time{}, t0, true},
		{"acknowledged stops repeating", acked, every4h, t0, t0.Add(8 * time.Hour), false},
		{"acknowledged before it was ever sent", acked, every4h, time.Time{}, t0.Add(2 * time.Hour), false},
		{"pending is not sent", pending, every4h, time.Time{}, t0, false},
		{"resolved is not repeated", resolved, every4h, t0, t0.Add(8 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := alerts.Due(tc.a, tc.r, tc.lastSent, tc.now); got != tc.want {
				t.Errorf("Due = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEscalationOverTime follows a P1 that fired at 10:00 with a response
// deadline of 12:00 (2 business hours, computed by the caller) and each
// further level due 30 minutes after the one before, along oncall →
// managers → cto.
func TestEscalationOverTime(t *testing.T) {
	t0 := time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)
	deadline := t0.Add(2 * time.Hour)
	route := alerts.RouteSpec{Receivers: []string{"oncall", "managers", "cto"}}
	maxLevel := len(route.Receivers) - 1
	due := func(level int) time.Time { return deadline.Add(time.Duration(level-1) * 30 * time.Minute) }
	a := firingAlert(t0)

	steps := []struct {
		now       time.Duration
		level     int
		receivers string
	}{
		{0, 0, "oncall"},
		{2*time.Hour - time.Second, 0, "oncall"},
		{2 * time.Hour, 1, "oncall managers"},
		{2*time.Hour + 29*time.Minute, 1, "oncall managers"},
		{2*time.Hour + 30*time.Minute, 2, "oncall managers cto"},
		{5 * time.Hour, 2, "oncall managers cto"}, // the last receiver is as far as it goes
	}
	for _, s := range steps {
		lvl := alerts.EscalationLevel(a, due, maxLevel, t0.Add(s.now))
		rs := strings.Join(alerts.Escalated(route, lvl), " ")
		if lvl != s.level || rs != s.receivers {
			t.Errorf("at +%s: level %d (%s), want %d (%s)", s.now, lvl, rs, s.level, s.receivers)
		}
	}

	// A level whose due time is zero (no target) is never reached, nor any after it.
	onlyFirst := func(level int) time.Time {
		if level == 1 {
			return deadline
		}
		return time.Time{}
	}
	if got := alerts.EscalationLevel(a, onlyFirst, maxLevel, t0.Add(10*time.Hour)); got != 1 {
		t.Errorf("only level 1 due: level %d, want 1", got)
	}
	// No deadline, no escalation.
	never := func(int) time.Time { return time.Time{} }
	if got := alerts.EscalationLevel(a, never, maxLevel, t0.Add(10*time.Hour)); got != 0 {
		t.Errorf("without a deadline: level %d, want 0", got)
	}
	if got := alerts.EscalationLevel(a, nil, maxLevel, t0.Add(10*time.Hour)); got != 0 {
		t.Errorf("without due times: level %d, want 0", got)
	}
	// A route with one receiver has nowhere to escalate to.
	if got := alerts.EscalationLevel(a, due, 0, t0.Add(10*time.Hour)); got != 0 {
		t.Errorf("one receiver: level %d, want 0", got)
	}
	// Acknowledged in time: it never escalates.
	ackedEarly := a
	ackedEarly.AckedAt = t0.Add(time.Hour)
	if got := alerts.EscalationLevel(ackedEarly, due, maxLevel, t0.Add(10*time.Hour)); got != 0 {
		t.Errorf("acknowledged before the deadline: level %d, want 0", got)
	}
	// Acknowledged late: it stays where it had got to.
	ackedLate := a
	ackedLate.AckedAt = t0.Add(2*time.Hour + 15*time.Minute)
	if got := alerts.EscalationLevel(ackedLate, due, maxLevel, t0.Add(10*time.Hour)); got != 1 {
		t.Errorf("acknowledged at +2h15m: level %d, want 1", got)
	}
	// Not firing: nothing to escalate.
	pending := a
	pending.State = alerts.StatePending
	if got := alerts.EscalationLevel(pending, due, maxLevel, t0.Add(10*time.Hour)); got != 0 {
		t.Errorf("pending: level %d, want 0", got)
	}
	if got := alerts.Escalated(alerts.RouteSpec{}, 3); len(got) != 0 {
		t.Errorf("Escalated with no receivers = %v", got)
	}
}
