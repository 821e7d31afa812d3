package config

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/calendar"
)

// DefaultCheckInterval is how often a backup set's source is read.
const DefaultCheckInterval = 5 * time.Minute

// Backup is one backup set: a stream of backups of one data store of one
// service. RPO, RTO and retention come from the service's policy unless the
// set overrides them (an offsite copy with rpo: 24h, say).
type Backup struct {
	Name          string             `yaml:"name"`
	Service       string             `yaml:"service"`
	CheckInterval time.Duration      `yaml:"check_interval"`
	RPO           *calendar.Duration `yaml:"rpo"`
	RTO           *calendar.Duration `yaml:"rto"`
	Retention     *Retention         `yaml:"retention"`
	Source        backup.SourceSpec  `yaml:"source"`

	Svc *Service `yaml:"-"`
	// Policy is what the set is held to, overrides applied.
	Policy backup.Policy `yaml:"-"`
	// RTOSpec is the effective RTO (zero when none) and Cal the calendar
	// business-time RTOs are counted on (nil: 24/7).
	RTOSpec calendar.Duration  `yaml:"-"`
	Cal     *calendar.Calendar `yaml:"-"`
}

// Backup returns the backup set with the given name, or nil.
func (c *Config) Backup(name string) *Backup {
	for _, b := range c.Backups {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// RTODeadline is when an outage (or a restore) that began at start must be
// over to meet the RTO.
func (b *Backup) RTODeadline(start time.Time) time.Time {
	if b.RTOSpec.IsZero() {
		return time.Time{}
	}
	return b.Cal.Add(start, b.RTOSpec)
}

func (c *checker) backups() {
	first := map[string]int{}
	for i, b := range c.cfg.Backups {
		p := indexPath("backups", i)
		np := p + ".name"
		c.checkName(np, "backup set", b.Name, false)
		if line, dup := first[b.Name]; dup && b.Name != "" {
			c.errf(np, "duplicate backup set %s (first at line %d)", quote(b.Name), line)
		} else if b.Name != "" {
			first[b.Name] = c.at(np).line
		}
		if b.Service == "" {
			c.errf(p, "a backup set needs the service it belongs to (service:)")
		} else if b.Svc = c.cfg.byName[b.Service]; b.Svc == nil {
			c.errf(p+".service", "unknown service %s", quote(b.Service))
		}
		c.positive(p+".check_interval", &b.CheckInterval, DefaultCheckInterval)

		var pol Policy
		if b.Svc != nil && b.Svc.Pol != nil {
			pol = *b.Svc.Pol
		}
		rpo, rto, ret := pol.RPO, pol.RTO, pol.Retention
		if b.RPO != nil {
			rpo = *b.RPO
		}
		if b.RTO != nil {
			rto = *b.RTO
		}
		if b.Retention != nil {
			ret = *b.Retention
		}
		// Backup freshness is data loss measured in time: wall-clock only.
		if rpo.Unit != calendar.Wall {
			at := p + ".rpo"
			if b.RPO == nil {
				at = p + ".service"
			}
			c.errf(at, "the rpo %s is business time; backup age is measured in wall-clock time, like 1h", rpo)
		}
		if ret.PointInTime.Unit != calendar.Wall {
			c.errf(p+".retention.point_in_time", "want wall-clock time like 7d, got %s", ret.PointInTime)
		}
		if ret.Weekly < 0 || ret.Monthly < 0 {
			c.errf(p+".retention", "weekly and monthly must not be negative")
		}
		b.Cal = pol.Cal
		if rto.Unit != calendar.Wall && b.Cal == nil {
			c.errf(p+".rto", "%s is business time, which needs the service's policy to name a calendar", rto)
		}
		b.RTOSpec = rto
		b.Policy = backup.Policy{
			RPO:       rpo.D,
			Retention: backup.Retention{PointInTime: ret.PointInTime.D, Weekly: ret.Weekly, Monthly: ret.Monthly},
			Location:  pol.Location,
		}

		if !c.set(p + ".source") {
			c.errf(p, "a backup set needs a source: command, restic, directory or push")
			continue
		}
		if err := b.Source.Validate(); err != nil {
			c.subErrs(p+".source", err)
		}
	}
}

// Set builds the backup set for evaluation, with its source (nil for push).
func (b *Backup) Set(cfg *Config) (backup.Set, error) {
	src, err := backup.NewSource(b.Source, filepath.Dir(cfg.File))
	if err != nil {
		return backup.Set{}, fmt.Errorf("backup set %s: %w", b.Name, err)
	}
	rto := backup.RTO{Label: "", Location: b.Policy.Location}
	if !b.RTOSpec.IsZero() {
		rto.Label, rto.Deadline = b.RTOSpec.String(), b.RTODeadline
	}
	return backup.Set{Name: b.Name, Service: b.Service, Policy: b.Policy, RTO: rto, Source: src}, nil
}
