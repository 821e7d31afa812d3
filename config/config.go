// Package config loads and validates slawatch's YAML configuration strictly:
// an unknown key, a wrong type, a bad duration or a dangling reference is an
// error that names the file, the line and the key, and every such error in
// a file is reported at once.
package config

import (
	"time"

	"github.com/robfig/cron/v3"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/calendar"
	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/uptime"
)

// Config is a loaded, validated configuration with defaults applied.
type Config struct {
	File      string                   // absolute path of the main file
	Files     []string                 `yaml:"-"` // the main file and every included file, absolute
	Storage   Storage                  `yaml:"storage"`
	Server    Server                   `yaml:"server"`
	Probing   Probing                  `yaml:"probing"`
	Include   []string                 `yaml:"include"` // as written
	Calendars map[string]calendar.Spec `yaml:"calendars"`
	Policies  map[string]*Policy       `yaml:"policies"`
	Defaults  Defaults                 `yaml:"defaults"`
	Services  []*Service               `yaml:"services"`
	Backups   []*Backup                `yaml:"backups"`
	Alerts    Alerts                   `yaml:"alerts"`

	Cals map[string]*calendar.Calendar `yaml:"-"` // compiled, by name

	byName map[string]*Service
}

// Storage says where data is kept.
type Storage struct {
	Path         string        `yaml:"path"`          // absolute; default data/slawatch.db next to the config
	RawRetention time.Duration `yaml:"raw_retention"` // default 30d, at least 1h
	// RollupRetention is how long hourly rollups are kept: default 400d,
	// 0 keeps them for ever; otherwise at least RawRetention.
	RollupRetention time.Duration `yaml:"rollup_retention"`
}

// Server configures the daemon's HTTP listener and API.
type Server struct {
	Listen        string `yaml:"listen"`          // default 127.0.0.1:9477
	APITokensFile string `yaml:"api_tokens_file"` // absolute; one bearer token a line
	APITokensEnv  string `yaml:"api_tokens_env"`  // or a variable holding tokens
	ExternalURL   string `yaml:"external_url"`    // how users reach the daemon, for links
	// TLSCertFile and TLSKeyFile (PEM) serve the API over HTTPS; both or
	// neither. They are read again on every reload, so a renewed
	// certificate takes effect without a restart.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
}

// Probing tunes the prober.
type Probing struct {
	Concurrency int `yaml:"concurrency"` // max probes in flight at once; default 512
}

// Policy is a named SLA policy.
type Policy struct {
	Name        string                       `yaml:"-"`
	Uptime      UptimeTarget                 `yaml:"uptime"`
	Timezone    string                       `yaml:"timezone"` // default UTC
	Location    *time.Location               `yaml:"-"`
	Unmonitored string                       `yaml:"unmonitored"` // exclude (default) | up | down
	Degraded    string                       `yaml:"degraded"`    // up (default) | down
	Calendar    string                       `yaml:"calendar"`    // name in calendars:
	Cal         *calendar.Calendar           `yaml:"-"`
	RPO         calendar.Duration            `yaml:"rpo"`
	RTO         calendar.Duration            `yaml:"rto"`
	Retention   Retention                    `yaml:"retention"`
	Response    map[string]calendar.Duration `yaml:"response"` // keys P1..P4
	// ResponseOutsideHours replaces Response for an alert raised outside
	// the calendar's working time (OpenWeb: "within 4 hours" in business
	// hours, "next workday + 4 hours" outside them).
	ResponseOutsideHours map[string]calendar.Duration `yaml:"response_outside_hours"`
	// Resolution is the target time to resolve, by severity.
	Resolution map[string]calendar.Duration `yaml:"resolution"`

	// MaintenanceNotice is how long before it starts a window must be
	// announced to count as announced; 0 accepts any notice.
	MaintenanceNotice time.Duration `yaml:"maintenance_notice"`
	// LateMaintenance says how windows announced too late count: count
	// (default: as ordinary time) or exclude.
	LateMaintenance string `yaml:"late_maintenance"`
	// AlertRules overrides the default alert rules for the policy's services.
	AlertRules map[string]alerts.RuleConfig `yaml:"alert_rules"`
}

// UptimeTarget is a policy's availability promise. Target 0 means the
// policy makes none (its uptime: key is absent).
type UptimeTarget struct {
	Target float64 `yaml:"target"` // percent, in (0, 100]
	Period string  `yaml:"period"` // month (default) | year
}

// Retention is a backup retention scheme.
type Retention struct {
	PointInTime calendar.Duration `yaml:"point_in_time"` // wall-clock, e.g. 7d
	Weekly      int               `yaml:"weekly"`
	Monthly     int               `yaml:"monthly"`
}

// Defaults fill in what probes and services leave out.
type Defaults struct {
	Interval         time.Duration `yaml:"interval"` // default 30s unless schedule is set
	Schedule         string        `yaml:"schedule"` // cron; used by probes with neither interval nor schedule
	Timeout          time.Duration `yaml:"timeout"`  // default 10s
	FailureThreshold int           `yaml:"failure_threshold"`
	SuccessThreshold int           `yaml:"success_threshold"`
}

// Service is one monitored service.
type Service struct {
	Name             string        `yaml:"name"`
	Policy           string        `yaml:"policy"`
	Environment      string        `yaml:"environment"` // production (default) | acceptance | test | development
	FailureThreshold int           `yaml:"failure_threshold"`
	SuccessThreshold int           `yaml:"success_threshold"`
	Probes           []*probe.Spec `yaml:"probes"`
	Maintenance      []Maintenance `yaml:"maintenance"`
	// AlertRules overrides the default alert rules (and the policy's).
	AlertRules map[string]alerts.RuleConfig `yaml:"alert_rules"`
	Pol        *Policy                      `yaml:"-"` // nil when Policy is empty
}

// Maintenance is a configured maintenance window: recurring (Schedule and
// Duration) or one-off (Start and End).
type Maintenance struct {
	Schedule string        `yaml:"schedule"`
	Duration time.Duration `yaml:"duration"`
	Timezone string        `yaml:"timezone"` // recurring only; default the policy's, else UTC
	Start    time.Time     `yaml:"start"`
	End      time.Time     `yaml:"end"`
	Reason   string        `yaml:"reason"`

	// Location and Cron are compiled for recurring windows: Cron.Next(t)
	// is the next start after t, computed in Location.
	Location *time.Location `yaml:"-"`
	Cron     cron.Schedule  `yaml:"-"`
}

// Recurring reports whether m repeats on a schedule.
func (m *Maintenance) Recurring() bool { return m.Schedule != "" }

// Service returns the service with the given name, or nil.
func (c *Config) Service(name string) *Service {
	if c.byName != nil {
		return c.byName[name]
	}
	for _, s := range c.Services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Policy returns the policy with the given name, or nil.
func (c *Config) Policy(name string) *Policy { return c.Policies[name] }

// UptimeService is what uptime reports need of s: its policy's accounting
// settings, time zone and config maintenance windows. A service without a
// policy is reported in UTC with no target.
func (s *Service) UptimeService() uptime.Service {
	us := uptime.Service{Name: s.Name, Location: time.UTC}
	if p := s.Pol; p != nil {
		us.SLA = p.Name
		if p.Location != nil {
			us.Location = p.Location
		}
		us.Policy = uptime.Policy{
			TargetPercent:     p.Uptime.Target,
			Unmonitored:       p.Unmonitored,
			Degraded:          p.Degraded,
			MaintenanceNotice: p.MaintenanceNotice,
			LateMaintenance:   p.LateMaintenance,
		}
	}
	for _, m := range s.Maintenance {
		us.Windows = append(us.Windows, uptime.ConfigWindow{
			Schedule: m.Schedule, Duration: m.Duration, Location: m.Location,
			Start: m.Start, End: m.End, Reason: m.Reason,
		})
	}
	return us
}

// ResponseDeadline is when an alert of the severity that fired at fired must
// be acknowledged, and the target as written; zero when the policy sets
// none. Outside working time the outside-hours target applies where set.
func (p *Policy) ResponseDeadline(severity string, fired time.Time) (time.Time, string) {
	d, ok := p.Response[severity]
	if o, has := p.ResponseOutsideHours[severity]; has && p.Cal != nil && !p.Cal.IsWorking(fired) {
		d, ok = o, true
	}
	if !ok || d.IsZero() {
		return time.Time{}, ""
	}
	return p.Cal.Add(fired, d), d.String()
}

// ResolutionDeadline is when an alert of the severity that fired at fired
// must be resolved, and the target as written; zero when none.
func (p *Policy) ResolutionDeadline(severity string, fired time.Time) (time.Time, string) {
	d, ok := p.Resolution[severity]
	if !ok || d.IsZero() {
		return time.Time{}, ""
	}
	return p.Cal.Add(fired, d), d.String()
}
