package alerts_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/uptime"
)

// ruleNow is the evaluation time of the rule tests: Wednesday 2026-11-04
// 10:15:00 UTC.
var ruleNow = time.Date(2026, 11, 4, 10, 15, 0, 0, time.UTC)

// rto4h is a wall-clock RTO of four hours.
var rto4h = backup.RTO{Label: "4h", Deadline: func(t time.Time) time.Time { return t.Add(4 * time.Hour) }}

// ultimoBackupPolicy is the Ultimo policy's RPO and retention.
var ultimoBackupPolicy = backup.Policy{
	RPO:       time.Hour,
	Retention: backup.Retention{PointInTime: 7 * 24 * time.Hour, Weekly: 4, Monthly: 3},
}

// hourlyBackups returns a successful backup every hour from `from` to `to`.
func hourlyBackups(from, to time.Time) []backup.Record {
	var recs []backup.Record
	for t := from; !t.After(to); t = t.Add(time.Hour) {
		recs = append(recs, backup.Record{Time: t, Success: true})
	}
	return recs
}

// goodSet is a backup set that meets everything at ruleNow: hourly backups
// for five months and a restore test a week ago.
func goodSet(env string) alerts.BackupFacts {
	st := backup.Evaluate("portal-db", "portal", hourlyBackups(ruleNow.AddDate(0, -5, 0), ruleNow.Add(-10*time.Minute)), ultimoBackupPolicy, ruleNow)
	rto := backup.EvaluateRTO([]backup.RestoreTest{{Start: ruleNow.AddDate(0, 0, -7), End: ruleNow.AddDate(0, 0, -7).Add(time.Hour), Success: true}}, nil, rto4h, ruleNow)
	st.RTO = &rto
	return alerts.BackupFacts{Set: "portal-db", Service: "portal", Environment: env, Status: st}
}

// upService is a healthy production service.
func upService() alerts.ServiceFacts {
	return alerts.ServiceFacts{Name: "portal", Environment: "production", State: uptime.StateUp, RTO: rto4h}
}

// downService is a service down since 10:03:20 by probe health.
func downService(env string) alerts.ServiceFacts {
	s := upService()
	s.Environment = env
	s.State = uptime.StateDown
	s.OpenOutage = &uptime.Outage{Service: "portal", Start: time.Date(2026, 11, 4, 10, 3, 20, 0, time.UTC), Cause: "status 503, want [200]", Probe: "health", Source: uptime.SourceProbe}
	return s
}

func byName(conds []alerts.Condition, alertname string) []alerts.Condition {
	var out []alerts.Condition
	for _, c := range conds {
		if c.Labels[alerts.LabelAlertname] == alertname {
			out = append(out, c)
		}
	}
	return out
}

func alertnames(conds []alerts.Condition) []string {
	var out []string
	for _, c := range conds {
		out = append(out, c.Labels[alerts.LabelAlertname]+"/"+c.Labels[alerts.LabelSeverity])
	}
	return out
}

// TestDefaultSeverities checks each row of SPEC §6's table.
func TestDefaultSeverities(t *testing.T) {
	certIn := func(d time.Duration) alerts.ServiceFacts {
		s := upService()
		s.Probes = []alerts.ProbeFacts{{Name: "health", CertExpiry: ruleNow.Add(d)}}
		return s
	}
	restoreTestAged := func(age time.Duration) alerts.BackupFacts {
		b := goodSet("production")
		var tests []backup.RestoreTest
		if age > 0 {
			tests = []backup.RestoreTest{{Start: ruleNow.Add(-age - time.Hour), End: ruleNow.Add(-age), Success: true}}
		}
		rto := backup.EvaluateRTO(tests, nil, rto4h, ruleNow)
		b.Status.RTO = &rto
		return b
	}
	staleBackups := func(env string) alerts.BackupFacts {
		b := goodSet(env)
		b.Status = backup.Evaluate("portal-db", "portal", hourlyBackups(ruleNow.AddDate(0, -5, 0), ruleNow.Add(-3*time.Hour)), ultimoBackupPolicy, ruleNow)
		b.Status.RTO = goodSet(env).Status.RTO
		return b
	}
	noWeekly := func() alerts.BackupFacts {
		// Backups for the last eight days only: RPO and point in time met,
		// weekly and monthly not.
		b := goodSet("production")
		b.Status = backup.Evaluate("portal-db", "portal", hourlyBackups(ruleNow.AddDate(0, 0, -8), ruleNow.Add(-10*time.Minute)), ultimoBackupPolicy, ruleNow)
		b.Status.RTO = goodSet("production").Status.RTO
		return b
	}
	sourceDown := func() alerts.BackupFacts {
		b := goodSet("production")
		b.Status = b.Status.WithError(errors.New("read source: exit status 1"))
		return b
	}
	burning := func() alerts.ServiceFacts {
		s := upService()
		s.Burn = alerts.BurnFacts{TargetPercent: 99.9, Period: uptime.KindMonth,
			Downtime: []uptime.Interval{{Start: ruleNow.Add(-2 * time.Minute), End: ruleNow}}}
		return s
	}
	pastRTO := func() alerts.ServiceFacts {
		s := downService("production")
		s.OpenOutage.Start = ruleNow.Add(-4*time.Hour - time.Second)
		return s
	}
	atRTO := func() alerts.ServiceFacts {
		s := downService("production")
		s.OpenOutage.Start = ruleNow.Add(-4 * time.Hour)
		return s
	}

	tests := []struct {
		name      string
		service   *alerts.ServiceFacts
		set       *alerts.BackupFacts
		alertname string
		severity  string // "" means no alert of that name
		extra     map[string]string
	}{
		{"production service down", ptr(downService("production")), nil, alerts.RuleServiceDown, "P1", nil},
		{"environment left empty is production", ptr(downService("")), nil, alerts.RuleServiceDown, "P1", nil},
		{"acceptance service down", ptr(downService("acceptance")), nil, alerts.RuleServiceDown, "P2", nil},
		{"test service down", ptr(downService("test")), nil, alerts.RuleServiceDown, "P2", nil},
		{"service up", ptr(upService()), nil, alerts.RuleServiceDown, "", nil},
		{"service degraded", ptr(func() alerts.ServiceFacts { s := upService(); s.State = uptime.StateDegraded; return s }()), nil, alerts.RuleServiceDegraded, "P2", nil},
		{"outage past its RTO", ptr(pastRTO()), nil, alerts.RuleOutagePastRTO, "P1", nil},
		{"outage exactly at its RTO", ptr(atRTO()), nil, alerts.RuleOutagePastRTO, "", nil},
		{"non-production outage past its RTO", ptr(func() alerts.ServiceFacts { s := pastRTO(); s.Environment = "test"; return s }()), nil, alerts.RuleOutagePastRTO, "P1", nil},
		{"force majeure outage past its RTO", ptr(func() alerts.ServiceFacts { s := pastRTO(); s.OpenOutage.Excluded = true; return s }()), nil, alerts.RuleOutagePastRTO, "", nil},
		{"no RTO configured", ptr(func() alerts.ServiceFacts { s := pastRTO(); s.RTO = backup.RTO{}; return s }()), nil, alerts.RuleOutagePastRTO, "", nil},
		{"production RPO breached", nil, ptr(staleBackups("production")), alerts.RuleBackupRPOBreached, "P1", map[string]string{"set": "portal-db"}},
		{"acceptance RPO breached", nil, ptr(staleBackups("acceptance")), alerts.RuleBackupRPOBreached, "P2", map[string]string{"set": "portal-db"}},
		{"RPO met", nil, ptr(goodSet("production")), alerts.RuleBackupRPOBreached, "", nil},
		{"retention not met", nil, ptr(noWeekly()), alerts.RuleBackupRetentionNotMet, "P3", map[string]string{"set": "portal-db"}},
		{"retention met", nil, ptr(goodSet("production")), alerts.RuleBackupRetentionNotMet, "", nil},
		{"backup source failing", nil, ptr(sourceDown()), alerts.RuleBackupSourceFailing, "P3", map[string]string{"set": "portal-db"}},
		{"error budget burning fast", ptr(burning()), nil, alerts.RuleErrorBudgetBurn, "P3", nil},
		{"certificate expires in 6d23h", ptr(certIn(7*24*time.Hour - time.Hour)), nil, alerts.RuleCertificateExpiresSoon, "P3", map[string]string{"probe": "health"}},
		{"certificate expired", ptr(certIn(-time.Hour)), nil, alerts.RuleCertificateExpiresSoon, "P3", map[string]string{"probe": "health"}},
		{"certificate expires in exactly 7d", ptr(certIn(7 * 24 * time.Hour)), nil, alerts.RuleCertificateExpiresSoon, "P4", map[string]string{"probe": "health"}},
		{"certificate expires in 29d", ptr(certIn(29 * 24 * time.Hour)), nil, alerts.RuleCertificateExpiresSoon, "P4", map[string]string{"probe": "health"}},
		{"certificate expires in exactly 30d", ptr(certIn(30 * 24 * time.Hour)), nil, alerts.RuleCertificateExpiresSoon, "", nil},
		{"restore test 91 days old", nil, ptr(restoreTestAged(91 * 24 * time.Hour)), alerts.RuleRestoreTestStale, "P4", map[string]string{"set": "portal-db"}},
		{"restore test exactly 90 days old", nil, ptr(restoreTestAged(90 * 24 * time.Hour)), alerts.RuleRestoreTestStale, "", nil},
		{"no restore test", nil, ptr(restoreTestAged(0)), alerts.RuleRestoreTestStale, "P4", map[string]string{"set": "portal-db"}},
		{"restore tests not evaluated", nil, ptr(func() alerts.BackupFacts { b := goodSet("production"); b.Status.RTO = nil; return b }()), alerts.RuleRestoreTestStale, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := alerts.Facts{Now: ruleNow}
			if tc.service != nil {
				f.Services = []alerts.ServiceFacts{*tc.service}
			}
			if tc.set != nil {
				f.Backups = []alerts.BackupFacts{*tc.set}
			}
			all := alerts.Conditions(f)
			got := byName(all, tc.alertname)
			if tc.severity == "" {
				if len(got) != 0 {
					t.Fatalf("got %v, want no %s alert", alertnames(all), tc.alertname)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %v, want one %s alert", alertnames(all), tc.alertname)
			}
			l := got[0].Labels
			want := map[string]string{"alertname": tc.alertname, "service": "portal", "severity": tc.severity}
			for k, v := range tc.extra {
				want[k] = v
			}
			for k, v := range want {
				if l[k] != v {
					t.Errorf("label %s = %q, want %q (labels %v)", k, l[k], v, l)
				}
			}
			if l["environment"] == "" {
				t.Errorf("no environment label: %v", l)
			}
			if len(l) != len(want)+1 {
				t.Errorf("labels %v, want exactly %v and environment", l, want)
			}
			if got[0].Annotations["summary"] == "" || got[0].Annotations["description"] == "" {
				t.Errorf("annotations %v lack summary or description", got[0].Annotations)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestAnnotations(t *testing.T) {
	pastRTO := downService("production")
	pastRTO.OpenOutage.Start = time.Date(2026, 11, 4, 5, 0, 0, 0, time.UTC)
	cert := upService()
	cert.Probes = []alerts.ProbeFacts{{Name: "health", CertExpiry: time.Date(2026, 11, 9, 13, 0, 0, 0, time.UTC)}}
	degraded := upService()
	degraded.State = uptime.StateDegraded
	degraded.DegradedSince = time.Date(2026, 11, 4, 9, 50, 0, 0, time.UTC)
	degraded.DegradedCause = "health: latency 2.4s over 2s"
	stale := goodSet("production")
	stale.Status = backup.Evaluate("portal-db", "portal", hourlyBackups(time.Date(2026, 6, 4, 8, 2, 0, 0, time.UTC), time.Date(2026, 11, 4, 8, 2, 0, 0, time.UTC)), ultimoBackupPolicy, ruleNow)
	none := goodSet("production")
	none.Status = backup.Evaluate("portal-db", "portal", nil, ultimoBackupPolicy, ruleNow).WithError(errors.New("read source: exit status 2"))

	tests := []struct {
		name      string
		f         alerts.Facts
		alertname string
		summary   string
		link      string
	}{
		{
			"service down", alerts.Facts{Services: []alerts.ServiceFacts{downService("production")}},
			alerts.RuleServiceDown, "portal is down: status 503, want [200] (since 10:03:20 UTC, probe health)", "http://127.0.0.1:9477/#svc-portal",
		},
		{
			"service down, manual outage",
			alerts.Facts{Services: []alerts.ServiceFacts{func() alerts.ServiceFacts {
				s := downService("production")
				s.OpenOutage.Probe, s.OpenOutage.Cause = "", "datacenter fire"
				s.OpenOutage.Start = time.Date(2026, 11, 3, 23, 0, 0, 0, time.UTC)
				return s
			}()}},
			alerts.RuleServiceDown, "portal is down: datacenter fire (since 2026-11-03 23:00:00 UTC)", "http://127.0.0.1:9477/#svc-portal",
		},
		{
			"service down, Amsterdam time",
			alerts.Facts{Services: []alerts.ServiceFacts{downService("production")}, Location: mustLoad(t, "Europe/Amsterdam")},
			alerts.RuleServiceDown, "portal is down: status 503, want [200] (since 11:03:20 CET, probe health)", "http://127.0.0.1:9477/#svc-portal",
		},
		{
			"degraded", alerts.Facts{Services: []alerts.ServiceFacts{degraded}},
			alerts.RuleServiceDegraded, "portal is degraded: health: latency 2.4s over 2s (since 09:50:00 UTC)", "http://127.0.0.1:9477/#svc-portal",
		},
		{
			"past RTO", alerts.Facts{Services: []alerts.ServiceFacts{pastRTO}},
			alerts.RuleOutagePastRTO, "portal has been down 5h15m, past its RTO of 4h (deadline 09:00:00 UTC)", "http://127.0.0.1:9477/#svc-portal",
		},
		{
			"certificate", alerts.Facts{Services: []alerts.ServiceFacts{cert}},
			alerts.RuleCertificateExpiresSoon, "portal: the certificate seen by probe health expires in 5d2h (2026-11-09 13:00:00 UTC)", "http://127.0.0.1:9477/#svc-portal",
		},
		{
			"RPO", alerts.Facts{Backups: []alerts.BackupFacts{stale}},
			alerts.RuleBackupRPOBreached, "portal-db: newest backup is 2h13m old, RPO 1h (taken 2026-11-04 08:02:00 UTC)", "http://127.0.0.1:9477/#set-portal-db",
		},
		{
			"no backup", alerts.Facts{Backups: []alerts.BackupFacts{none}},
			alerts.RuleBackupRPOBreached, "portal-db has no successful backup (RPO 1h)", "http://127.0.0.1:9477/#set-portal-db",
		},
		{
			"source failing", alerts.Facts{Backups: []alerts.BackupFacts{none}},
			alerts.RuleBackupSourceFailing, "portal-db: backup source cannot be read: read source: exit status 2", "http://127.0.0.1:9477/#set-portal-db",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Now = ruleNow
			tc.f.StatusPageURL = "http://127.0.0.1:9477/"
			got := byName(alerts.Conditions(tc.f), tc.alertname)
			if len(got) != 1 {
				t.Fatalf("got %d %s conditions, want 1", len(got), tc.alertname)
			}
			a := got[0].Annotations
			if a["summary"] != tc.summary {
				t.Errorf("summary\n got %q\nwant %q", a["summary"], tc.summary)
			}
			if a["status_page"] != tc.link {
				t.Errorf("status_page = %q, want %q", a["status_page"], tc.link)
			}
			if a["description"] == "" {
				t.Error("no description")
			}
		})
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	return loc
}

func TestNoStatusPageLinkWithoutURL(t *testing.T) {
	c := alerts.Conditions(alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{downService("production")}})
	if _, ok := c[0].Annotations["status_page"]; ok {
		t.Errorf("status_page annotation without a status page URL: %v", c[0].Annotations)
	}
}

func TestRetentionSummaryNamesEmptyBuckets(t *testing.T) {
	b := goodSet("production")
	b.Status = backup.Evaluate("portal-db", "portal", hourlyBackups(ruleNow.AddDate(0, 0, -8), ruleNow.Add(-10*time.Minute)), ultimoBackupPolicy, ruleNow)
	c := byName(alerts.Conditions(alerts.Facts{Now: ruleNow, Backups: []alerts.BackupFacts{b}}), alerts.RuleBackupRetentionNotMet)
	if len(c) != 1 {
		t.Fatalf("got %d retention conditions, want 1", len(c))
	}
	want := "portal-db retention not met: weekly 4 (empty: 2026-W43, 2026-W42, 2026-W41, 2026-W40); monthly 3 (empty: 2026-09, 2026-08)"
	if got := c[0].Annotations["summary"]; got != want {
		t.Errorf("summary\n got %q\nwant %q", got, want)
	}
}

func TestSinceComesFromTheFacts(t *testing.T) {
	cert := upService()
	expiry := ruleNow.Add(3 * 24 * time.Hour)
	cert.Probes = []alerts.ProbeFacts{{Name: "health", CertExpiry: expiry}}
	f := alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{downService("production"), cert}}
	for _, c := range alerts.Conditions(f) {
		var want time.Time
		switch c.Labels["alertname"] {
		case alerts.RuleServiceDown:
			want = time.Date(2026, 11, 4, 10, 3, 20, 0, time.UTC)
		case alerts.RuleCertificateExpiresSoon:
			want = expiry.Add(-7 * 24 * time.Hour)
		}
		if !c.Since.Equal(want) {
			t.Errorf("%s: Since = %v, want %v", c.Labels["alertname"], c.Since, want)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name            string
		policy, service map[string]alerts.RuleConfig
		want            alerts.RuleConfig
	}{
		{"nothing configured", nil, nil, alerts.RuleConfig{}},
		{"policy only", map[string]alerts.RuleConfig{"ServiceDown": {Severity: "P2", For: time.Minute}}, nil,
			alerts.RuleConfig{Severity: "P2", For: time.Minute}},
		{"service only", nil, map[string]alerts.RuleConfig{"ServiceDown": {KeepFiringFor: time.Minute}},
			alerts.RuleConfig{KeepFiringFor: time.Minute}},
		{"service wins field by field",
			map[string]alerts.RuleConfig{"ServiceDown": {Severity: "P2", For: time.Minute, KeepFiringFor: 2 * time.Minute}},
			map[string]alerts.RuleConfig{"ServiceDown": {Severity: "P3", For: 5 * time.Minute}},
			alerts.RuleConfig{Severity: "P3", For: 5 * time.Minute, KeepFiringFor: 2 * time.Minute}},
		{"a service entry does not undo the policy's switches",
			map[string]alerts.RuleConfig{"ServiceDown": {Disabled: true, DuringMaintenance: true}},
			map[string]alerts.RuleConfig{"ServiceDown": {For: time.Minute}},
			alerts.RuleConfig{Disabled: true, DuringMaintenance: true, For: time.Minute}},
		{"a service switches on",
			map[string]alerts.RuleConfig{"ServiceDown": {For: time.Minute}},
			map[string]alerts.RuleConfig{"ServiceDown": {Disabled: true, DuringMaintenance: true}},
			alerts.RuleConfig{Disabled: true, DuringMaintenance: true, For: time.Minute}},
		{"other rules do not leak",
			map[string]alerts.RuleConfig{"ServiceDegraded": {Disabled: true}},
			map[string]alerts.RuleConfig{"CertificateExpiresSoon": {Severity: "P1"}},
			alerts.RuleConfig{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := alerts.Resolve("ServiceDown", tc.policy, tc.service); got != tc.want {
				t.Errorf("Resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	rc := func(m map[string]alerts.RuleConfig) map[string]alerts.RuleConfig { return m }
	tests := []struct {
		name     string
		rules    alerts.Overrides
		maint    bool
		severity string // "" means no ServiceDown alert
		forDur   time.Duration
		keep     time.Duration
	}{
		{"defaults", alerts.Overrides{}, false, "P1", 0, 0},
		{"policy severity", alerts.Overrides{Policy: rc(map[string]alerts.RuleConfig{"ServiceDown": {Severity: "P2"}})}, false, "P2", 0, 0},
		{"service severity wins", alerts.Overrides{
			Policy:  rc(map[string]alerts.RuleConfig{"ServiceDown": {Severity: "P2"}}),
			Service: rc(map[string]alerts.RuleConfig{"ServiceDown": {Severity: "P4"}})}, false, "P4", 0, 0},
		{"policy for and keep_firing_for", alerts.Overrides{Policy: rc(map[string]alerts.RuleConfig{"ServiceDown": {For: 3 * time.Minute, KeepFiringFor: 10 * time.Minute}})}, false, "P1", 3 * time.Minute, 10 * time.Minute},
		{"service for wins", alerts.Overrides{
			Policy:  rc(map[string]alerts.RuleConfig{"ServiceDown": {For: 3 * time.Minute}}),
			Service: rc(map[string]alerts.RuleConfig{"ServiceDown": {For: time.Minute}})}, false, "P1", time.Minute, 0},
		{"disabled by policy", alerts.Overrides{Policy: rc(map[string]alerts.RuleConfig{"ServiceDown": {Disabled: true}})}, false, "", 0, 0},
		{"disabled by service", alerts.Overrides{Service: rc(map[string]alerts.RuleConfig{"ServiceDown": {Disabled: true}})}, false, "", 0, 0},
		{"in maintenance", alerts.Overrides{}, true, "", 0, 0},
		{"during maintenance by policy", alerts.Overrides{Policy: rc(map[string]alerts.RuleConfig{"ServiceDown": {DuringMaintenance: true}})}, true, "P1", 0, 0},
		{"during maintenance by service", alerts.Overrides{Service: rc(map[string]alerts.RuleConfig{"ServiceDown": {DuringMaintenance: true}})}, true, "P1", 0, 0},
		{"during maintenance for another rule", alerts.Overrides{Service: rc(map[string]alerts.RuleConfig{"ServiceDegraded": {DuringMaintenance: true}})}, true, "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := downService("production")
			s.Rules = tc.rules
			s.InMaintenance = tc.maint
			got := byName(alerts.Conditions(alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{s}}), alerts.RuleServiceDown)
			if tc.severity == "" {
				if len(got) != 0 {
					t.Fatalf("got %d ServiceDown conditions, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d ServiceDown conditions, want 1", len(got))
			}
			c := got[0]
			if c.Labels["severity"] != tc.severity || c.For != tc.forDur || c.KeepFiringFor != tc.keep {
				t.Errorf("severity %s, for %s, keep_firing_for %s; want %s, %s, %s",
					c.Labels["severity"], c.For, c.KeepFiringFor, tc.severity, tc.forDur, tc.keep)
			}
		})
	}
}

func TestSeverityOverrideAppliesToEveryTier(t *testing.T) {
	for _, left := range []time.Duration{3 * 24 * time.Hour, 20 * 24 * time.Hour} {
		s := upService()
		s.Probes = []alerts.ProbeFacts{{Name: "health", CertExpiry: ruleNow.Add(left)}}
		s.Rules.Policy = map[string]alerts.RuleConfig{alerts.RuleCertificateExpiresSoon: {Severity: "P2"}}
		c := alerts.Conditions(alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{s}})
		if len(c) != 1 || c[0].Labels["severity"] != "P2" {
			t.Errorf("%s left: got %v, want CertificateExpiresSoon/P2", left, alertnames(c))
		}
	}
	b := goodSet("test")
	b.Status = backup.Evaluate("portal-db", "portal", nil, ultimoBackupPolicy, ruleNow)
	b.Rules.Service = map[string]alerts.RuleConfig{alerts.RuleBackupRPOBreached: {Severity: "P1"}}
	c := byName(alerts.Conditions(alerts.Facts{Now: ruleNow, Backups: []alerts.BackupFacts{b}}), alerts.RuleBackupRPOBreached)
	if len(c) != 1 || c[0].Labels["severity"] != "P1" || c[0].Labels["environment"] != "test" {
		t.Errorf("got %v, want a P1 RPO alert in test", alertnames(c))
	}
}

func TestMaintenanceSuppresses(t *testing.T) {
	cert := func() alerts.ServiceFacts {
		s := downService("production")
		s.OpenOutage.Start = ruleNow.Add(-5 * time.Hour)
		s.Probes = []alerts.ProbeFacts{{Name: "health", CertExpiry: ruleNow.Add(time.Hour)}}
		s.State = uptime.StateDegraded
		return s
	}
	t.Run("InMaintenance", func(t *testing.T) {
		s := cert()
		s.State = uptime.StateDown
		s.InMaintenance = true
		b := goodSet("production")
		b.Status = backup.Evaluate("portal-db", "portal", nil, ultimoBackupPolicy, ruleNow)
		b.InMaintenance = true
		if c := alerts.Conditions(alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{s}, Backups: []alerts.BackupFacts{b}}); len(c) != 0 {
			t.Errorf("got %v, want nothing in maintenance", alertnames(c))
		}
		b.InMaintenance = false
		if c := alerts.Conditions(alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{s}, Backups: []alerts.BackupFacts{b}}); len(c) == 0 {
			t.Error("a set whose service is in maintenance but is not itself marked so was suppressed")
		}
	})
	t.Run("state maintenance", func(t *testing.T) {
		s := cert()
		s.State = uptime.StateMaintenance
		if c := alerts.Conditions(alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{s}}); len(c) != 0 {
			t.Errorf("got %v, want nothing in maintenance", alertnames(c))
		}
	})
	t.Run("during_maintenance", func(t *testing.T) {
		s := cert()
		s.State = uptime.StateDown
		s.InMaintenance = true
		s.Rules.Policy = map[string]alerts.RuleConfig{alerts.RuleServiceDown: {DuringMaintenance: true}}
		c := alerts.Conditions(alerts.Facts{Now: ruleNow, Services: []alerts.ServiceFacts{s}})
		if got := strings.Join(alertnames(c), " "); got != "ServiceDown/P1" {
			t.Errorf("got %s, want only ServiceDown/P1", got)
		}
	})
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		m    map[string]alerts.RuleConfig
		want string // "" is valid
	}{
		{nil, ""},
		{map[string]alerts.RuleConfig{"ServiceDown": {Severity: "P2", For: time.Minute}, "RestoreTestStale": {Disabled: true}}, ""},
		{map[string]alerts.RuleConfig{"ServiceDwon": {}}, "ServiceDwon: unknown rule"},
		{map[string]alerts.RuleConfig{"ServiceDown": {Severity: "critical"}}, `ServiceDown: severity "critical": want P1, P2, P3 or P4`},
		{map[string]alerts.RuleConfig{"ServiceDown": {For: -time.Second}}, "ServiceDown: for -1s is negative"},
		{map[string]alerts.RuleConfig{"ServiceDown": {KeepFiringFor: -time.Second}}, "ServiceDown: keep_firing_for -1s is negative"},
	}
	for _, tc := range tests {
		err := alerts.ValidateRules(tc.m)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidateRules(%v) = %v, want nil", tc.m, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("ValidateRules(%v) = %v, want %q…", tc.m, err, tc.want)
		}
	}
	if n := len(alerts.RuleNames()); n != 9 {
		t.Errorf("%d rules, want 9", n)
	}
}
