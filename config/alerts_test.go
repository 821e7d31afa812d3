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
