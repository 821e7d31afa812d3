package config

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/slawatch/slawatch/alerts"
)

// Alerts is the alerts: block: receivers, and routes that pick receivers
// (in escalation order) by the alert's labels.
type Alerts struct {
	Receivers []alerts.ReceiverSpec `yaml:"receivers"`
	Routes    []alerts.RouteSpec    `yaml:"routes"`
	// Rules overrides the default rules for every service; policies and
	// services may override further (alert_rules:).
	Rules map[string]alerts.RuleConfig `yaml:"rules"`
	// ResendInterval is how often a firing alert is re-sent to Alertmanager
	// so it does not time out there; default 1m.
	ResendInterval time.Duration `yaml:"resend_interval"`
	// Damping keeps a resolved alert that comes back within it the same
	// alert, so a flapping service pages once; default 5m.
	Damping *time.Duration `yaml:"damping"`
}

// DefaultResendInterval is how often a firing alert is re-sent to receivers
// that expire alerts (Alertmanager).
const DefaultResendInterval = time.Minute

// Receiver returns the receiver with the given name, or nil.
func (c *Config) Receiver(name string) *alerts.ReceiverSpec {
	for i := range c.Alerts.Receivers {
		if c.Alerts.Receivers[i].Name == name {
			return &c.Alerts.Receivers[i]
		}
	}
	return nil
}

func (c *checker) alerts() {
	a := &c.cfg.Alerts
	seen := map[string]int{}
	for i := range a.Receivers {
		r := &a.Receivers[i]
		p := indexPath("alerts.receivers", i)
		c.checkName(p+".name", "receiver", r.Name, false)
		if line, dup := seen[r.Name]; dup && r.Name != "" {
			c.errf(p+".name", "duplicate receiver %s (first at line %d)", quote(r.Name), line)
		} else if r.Name != "" {
			seen[r.Name] = c.at(p + ".name").line
		}
		if err := r.Validate(); err != nil {
			c.subErrs(p, err)
		}
	}
	for i := range a.Routes {
		rt := &a.Routes[i]
		p := indexPath("alerts.routes", i)
		if !c.set(p + ".repeat_interval") {
			rt.RepeatInterval = alerts.DefaultRepeatInterval
		}
		if err := rt.Validate(); err != nil {
			c.subErrs(p, err)
		}
		if len(rt.Receivers) == 0 {
			c.errf(p, "a route needs at least one receiver")
		}
		for j, name := range rt.Receivers {
			if _, ok := seen[name]; !ok {
				c.errf(indexPath(p+".receivers", j), "unknown receiver %s%s", quote(name), known(sortedKeys(seen)))
			}
		}
	}
	if len(a.Receivers) > 0 && len(a.Routes) == 0 {
		c.errf("alerts", "receivers are configured but no route sends anything to them; add routes: [{receivers: [%s]}]", a.Receivers[0].Name)
	}
	if err := alerts.ValidateRules(a.Rules); err != nil {
		c.subErrs("alerts.rules", err)
	}
	c.positive("alerts.resend_interval", &a.ResendInterval, DefaultResendInterval)
	if a.Damping == nil {
		d := alerts.DefaultDamping
		a.Damping = &d
	} else if *a.Damping < 0 {
		c.errf("alerts.damping", "must not be negative")
	}
	for name, pol := range c.cfg.Policies {
		if err := alerts.ValidateRules(pol.AlertRules); err != nil {
			c.subErrs(fieldPath("policies", name)+".alert_rules", err)
		}
	}
	for i, s := range c.cfg.Services {
		if err := alerts.ValidateRules(s.AlertRules); err != nil {
			c.subErrs(indexPath("services", i)+".alert_rules", err)
		}
	}
}

// Notifiers builds a notifier for every receiver, reading their secrets.
func (c *Config) Notifiers(getenv func(string) string) (map[string]alerts.Notifier, error) {
	out := make(map[string]alerts.Notifier, len(c.Alerts.Receivers))
	for _, r := range c.Alerts.Receivers {
		n, err := alerts.NewNotifier(r, filepath.Dir(c.File), getenv)
		if err != nil {
			return nil, fmt.Errorf("receiver %s: %w", r.Name, err)
		}
		out[r.Name] = n
	}
	return out, nil
}

// AlertDeadlines gives an alert's response and resolution deadlines from its
// service's policy (zero when the policy sets none), and the targets as
// written.
func (c *Config) AlertDeadlines(a alerts.Alert) (response, resolution time.Time, responseTarget, resolutionTarget string) {
	s := c.Service(a.Labels[alerts.LabelService])
	if s == nil || s.Pol == nil || a.FiredAt.IsZero() {
		return
	}
	sev := a.Labels[alerts.LabelSeverity]
	response, responseTarget = s.Pol.ResponseDeadline(sev, a.FiredAt)
	resolution, resolutionTarget = s.Pol.ResolutionDeadline(sev, a.FiredAt)
	return
}

// EscalationDue is when an unacknowledged firing alert escalates to the
// given level (1: its route's second receiver): level 1 at its response
// deadline, and each further level when the response target has passed
// again, counted from when the level before was due, on the same calendar.
// Under Ultimo's P1: 2bh a P1 that fired at 16:30 on a Friday escalates at
// 10:00 on Monday, again at 12:00 and at 14:00; under a wall-clock target
// every step is as long as that target. Zero when the alert's policy sets
// no response target for its severity (it never escalates).
func (c *Config) EscalationDue(a alerts.Alert, level int) time.Time {
	due, _, _, _ := c.AlertDeadlines(a)
	if level < 1 || due.IsZero() {
		return time.Time{}
	}
	pol := c.Service(a.Labels[alerts.LabelService]).Pol
	for range level - 1 {
		next, _ := pol.ResponseDeadline(a.Labels[alerts.LabelSeverity], due)
		if !next.After(due) {
			return time.Time{}
		}
		due = next
	}
	return due
}
