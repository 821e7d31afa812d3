package config

import (
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
)

func TestAlertsConfig(t *testing.T) {
	cfg, err := Parse("/etc/slawatch/s.yaml", []byte(`
policies:
  p:
    alert_rules: {ServiceDegraded: {disabled: true}}
services:
  - name: portal
    policy: p
    alert_rules: {ServiceDown: {for: 2m}}
alerts:
  receivers:
    - {name: oncall, alertmanager: {url: "http://127.0.0.1:9093"}}
    - {name: managers, webhook: {url: "http://127.0.0.1:8080/hook"}}
  routes:
    - {match: {severity: [P1, P2]}, receivers: [oncall, managers]}
    - {receivers: [managers], repeat_interval: 0s}
`))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Alerts
	if len(a.Receivers) != 2 || cfg.Receiver("oncall").Alertmanager == nil {
		t.Fatalf("receivers = %+v", a.Receivers)
	}
	if a.Routes[0].RepeatInterval != alerts.DefaultRepeatInterval || a.Routes[1].RepeatInterval != 0 {
		t.Errorf("repeat intervals %v, %v: want the default where unset and 0 where written", a.Routes[0].RepeatInterval, a.Routes[1].RepeatInterval)
	}
	if a.ResendInterval != DefaultResendInterval || *a.Damping != alerts.DefaultDamping {
		t.Errorf("resend %v damping %v", a.ResendInterval, *a.Damping)
	}
	if !cfg.Policies["p"].AlertRules["ServiceDegraded"].Disabled || cfg.Services[0].AlertRules["ServiceDown"].For != 2*time.Minute {
		t.Error("alert_rules not decoded")
	}
}

func TestAlertsConfigErrors(t *testing.T) {
	_, err := Parse("/x/s.yaml", []byte(`alerts:
  receivers:
    - {name: oncall, webhook: {url: "not a url"}}
    - {name: oncall, webhook: {url: "http://127.0.0.1/"}}
  routes:
    - {receivers: [pager]}
  rules:
    ServiceDwn: {severity: P1}
`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"/x/s.yaml:3: alerts.receivers[0].webhook.url",
		"/x/s.yaml:4: alerts.receivers[1].name: duplicate receiver",
		"/x/s.yaml:6: alerts.routes[0].receivers[0]: unknown receiver",
		"/x/s.yaml:8: alerts.rules: ServiceDwn: unknown rule",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%s", want, err)
		}
	}
}

// OpenWeb's two regimes: a target in business hours, another outside them.
func TestResponseDeadlineInAndOutsideHours(t *testing.T) {
	cfg, err := Parse("/etc/slawatch/s.yaml", []byte(`
calendars:
  est: {timezone: America/New_York, hours: "09:00-17:00", holidays: [2026-11-26]}
policies:
  ow:
    calendar: est
    response: {P1: 2h, P2: 4bh}
    response_outside_hours: {P1: 4h, P2: 4bh}
    resolution: {P1: 2bd}
`))
	if err != nil {
		t.Fatal(err)
	}
	pol := cfg.Policies["ow"]
	ny := pol.Cal.Location
	for _, c := range []struct {
		sev         string
		fired, want time.Time
	}{
		{"P1", time.Date(2026, 11, 25, 10, 0, 0, 0, ny), time.Date(2026, 11, 25, 12, 0, 0, 0, ny)}, // in hours: 2h
		{"P1", time.Date(2026, 11, 28, 10, 0, 0, 0, ny), time.Date(2026, 11, 28, 14, 0, 0, 0, ny)}, // Saturday: 4h
		{"P2", time.Date(2026, 11, 25, 20, 0, 0, 0, ny), time.Date(2026, 11, 27, 13, 0, 0, 0, ny)}, // Wed night: next workday (after Thanksgiving) + 4h
	} {
		got, _ := pol.ResponseDeadline(c.sev, c.fired)
		if !got.Equal(c.want) {
			t.Errorf("%s fired %s: due %s, want %s", c.sev, c.fired, got, c.want)
		}
	}
	if got, target := pol.ResolutionDeadline("P1", time.Date(2026, 11, 25, 10, 0, 0, 0, ny)); target != "2bd" || !got.Equal(time.Date(2026, 11, 30, 10, 0, 0, 0, ny)) {
		t.Errorf("resolution %s %s", got, target)
	}
	if got, _ := pol.ResponseDeadline("P4", time.Now()); !got.IsZero() {
		t.Errorf("no P4 target, deadline %s", got)
	}
}
