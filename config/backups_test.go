package config

import (
	"strings"
	"testing"
	"time"
)

const backupsYAML = `
calendars:
  cet: {timezone: Europe/Amsterdam, hours: "08:30-17:00"}
policies:
  ultimo:
    uptime: {target: 99.7, period: year}
    timezone: Europe/Amsterdam
    calendar: cet
    rpo: 1h
    rto: 4h
    retention: {point_in_time: 7d, weekly: 4, monthly: 3}
services:
  - name: portal
    policy: ultimo
backups:
  - name: portal-db
    service: portal
    source:
      command: ["./list-backups", "--json"]
  - name: portal-offsite
    service: portal
    rpo: 24h
    rto: 5bd
    retention: {point_in_time: 0s, weekly: 0, monthly: 3}
    check_interval: 1h
    source:
      restic: {repository: /srv/restic, password_file: restic.pass, tags: [db]}
  - name: pushed
    service: portal
    source: {push: {}}
`

func TestBackupsTakePolicyUnlessOverridden(t *testing.T) {
	cfg, err := Parse("/etc/slawatch/slawatch.yaml", []byte(backupsYAML))
	if err != nil {
		t.Fatal(err)
	}
	db := cfg.Backup("portal-db")
	if db == nil || db.Policy.RPO != time.Hour || db.Policy.Retention.PointInTime != 7*24*time.Hour ||
		db.Policy.Retention.Weekly != 4 || db.Policy.Retention.Monthly != 3 || db.CheckInterval != DefaultCheckInterval {
		t.Fatalf("portal-db = %+v, want the policy's rpo and retention and the default interval", db)
	}
	if db.Policy.Location == nil || db.Policy.Location.String() != "Europe/Amsterdam" {
		t.Fatalf("portal-db location = %v", db.Policy.Location)
	}
	off := cfg.Backup("portal-offsite")
	if off.Policy.RPO != 24*time.Hour || off.Policy.Retention.Weekly != 0 || off.CheckInterval != time.Hour || off.Source.Restic == nil {
		t.Fatalf("portal-offsite = %+v, want its own rpo, retention and interval", off)
	}
	// Friday 16:00 + 5bd on 08:30-17:00 is the next Friday 16:00.
	fri := time.Date(2026, 11, 20, 16, 0, 0, 0, off.Cal.Location)
	if got := off.RTODeadline(fri); !got.Equal(fri.AddDate(0, 0, 7)) {
		t.Fatalf("5bd deadline from %s = %s", fri, got)
	}
	if cfg.Backup("pushed").Source.Push == nil {
		t.Fatal("push source not decoded")
	}
}

func TestBackupErrorsNameLine(t *testing.T) {
	bad := `services:
  - name: portal
backups:
  - name: a
    service: nowhere
    source: {command: ["x"]}
  - name: a
    service: portal
    rpo: 2bh
    source: {restic: {password_file: p}}
  - name: c
    service: portal
`
	_, err := Parse("/x/s.yaml", []byte(bad))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"/x/s.yaml:5: backups[0].service: unknown service",
		"/x/s.yaml:7: backups[1].name: duplicate backup set",
		"/x/s.yaml:9: backups[1].rpo:",
		"/x/s.yaml:10: backups[1].source.restic",
		"/x/s.yaml:11: backups[2]: a backup set needs a source",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%s", want, err)
		}
	}
}
