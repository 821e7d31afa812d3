package alerts

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/uptime"
)

// Rule names: the alertname label of the alerts each rule raises, and the
// keys of rule overrides in the config.
const (
	RuleServiceDown            = "ServiceDown"
	RuleServiceDegraded        = "ServiceDegraded"
	RuleOutagePastRTO          = "OutagePastRTO"
	RuleBackupRPOBreached      = "BackupRPOBreached"
	RuleBackupRetentionNotMet  = "BackupRetentionNotMet"
	RuleBackupSourceFailing    = "BackupSourceFailing"
	RuleErrorBudgetBurn        = "ErrorBudgetBurn"
	RuleCertificateExpiresSoon = "CertificateExpiresSoon"
	RuleRestoreTestStale       = "RestoreTestStale"
)

// Severities, P1 the most urgent.
const (
	SeverityP1 = "P1"
	SeverityP2 = "P2"
	SeverityP3 = "P3"
	SeverityP4 = "P4"
)

// Label names.
const (
	LabelAlertname   = "alertname"
	LabelService     = "service"
	LabelSeverity    = "severity"
	LabelEnvironment = "environment"
	LabelProbe       = "probe"
	LabelSet         = "set"
)

// Annotation names.
const (
	AnnotationSummary     = "summary"
	AnnotationDescription = "description"
	AnnotationStatusPage  = "status_page"
)

// Thresholds fixed by SPEC §6.
const (
	CertificateWarning  = 30 * 24 * time.Hour // P4 below this
	CertificateCritical = 7 * 24 * time.Hour  // P3 below this
	RestoreTestMaxAge   = 90 * 24 * time.Hour // P4 above this, or no test at all
)

// ruleNames lists every rule, in the order of SPEC §6's table.
var ruleNames = []string{
	RuleServiceDown, RuleServiceDegraded, RuleOutagePastRTO,
	RuleBackupRPOBreached, RuleBackupRetentionNotMet, RuleBackupSourceFailing,
	RuleErrorBudgetBurn, RuleCertificateExpiresSoon, RuleRestoreTestStale,
}

// RuleNames returns the name of every rule.
func RuleNames() []string { return slices.Clone(ruleNames) }

// Facts is everything one evaluation of the rules looks at. The daemon
// gathers it; the rules do no I/O and read no clock: every decision is a
// function of the facts, Now included.
type Facts struct {
	Now      time.Time
	Services []ServiceFacts
	Backups  []BackupFacts
	// StatusPageURL is the status page's address; alerts link to the
	// subject's row on it. Empty leaves the status_page annotation out.
	StatusPageURL string
	// Location is where times in summaries are shown; nil is UTC.
	Location *time.Location
}

// ServiceFacts is one service as the rules see it.
type ServiceFacts struct {
	Name        string
	Environment string // production (also when empty), acceptance, test, development
	// State is the service's state by its probes (uptime.Tracker.State).
	// Pass the probe state, not the maintenance overlay: with
	// during_maintenance a rule needs to know the service is down.
	State uptime.State
	// InMaintenance: a maintenance window is active. State maintenance
	// counts as in maintenance too.
	InMaintenance bool
	// OpenOutage is the outage going on, nil when none.
	OpenOutage *uptime.Outage
	// DegradedSince and DegradedCause say since when and why the service is
	// degraded ("health: latency 2.4s over 2s"); both optional.
	DegradedSince time.Time
	DegradedCause string
	// RTO is the service's recovery time objective; a nil Deadline means
	// the policy sets none and OutagePastRTO never fires.
	RTO    backup.RTO
	Probes []ProbeFacts
	Burn   BurnFacts
	Rules  Overrides
}

// ProbeFacts is one probe of a service.
type ProbeFacts struct {
	Name string
	// CertExpiry is when the certificate the probe last saw expires; zero
	// when the probe reports none.
	CertExpiry time.Time
}

// BackupFacts is one backup set as the rules see it.
type BackupFacts struct {
	Set, Service  string
	Environment   string // of the set's service
	InMaintenance bool   // the set's service is in maintenance
	// Status is the set's evaluation at Now, with Status.RTO filled (see
	// backup.StatusAt); a nil RTO leaves RestoreTestStale undecided.
	Status backup.Status
	Rules  Overrides
}

// RuleConfig overrides a rule's defaults for a policy or a service.
type RuleConfig struct {
	// Disabled turns the rule off.
	Disabled bool `yaml:"disabled"`
	// Severity replaces the rule's default severity (P1…P4), in every case
	// the rule distinguishes (production or not, 7 or 30 days).
	Severity string `yaml:"severity"`
	// For is how long the condition must hold before the alert fires; it
	// is pending until then. 0 fires at once.
	For time.Duration `yaml:"for"`
	// KeepFiringFor is how long a firing alert stays firing after its
	// condition has cleared. 0 resolves at once (subject to the engine's
	// damping of flapping alerts).
	KeepFiringFor time.Duration `yaml:"keep_firing_for"`
	// DuringMaintenance lets the rule alert while its subject is in
	// maintenance; by default it is silent then.
	DuringMaintenance bool `yaml:"during_maintenance"`
}

// Validate checks one rule override.
func (c RuleConfig) Validate() error {
	switch {
	case c.Severity != "" && !validSeverity(c.Severity):
		return fmt.Errorf("severity %q: want P1, P2, P3 or P4", c.Severity)
	case c.For < 0:
		return fmt.Errorf("for %s is negative", c.For)
	case c.KeepFiringFor < 0:
		return fmt.Errorf("keep_firing_for %s is negative", c.KeepFiringFor)
	}
	return nil
}

// ValidateRules checks a map of rule overrides: every key names a rule and
// every value is valid. The error names the first bad key, in name order.
func ValidateRules(m map[string]RuleConfig) error {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !slices.Contains(ruleNames, n) {
			return fmt.Errorf("%s: unknown rule; want one of %s", n, strings.Join(ruleNames, ", "))
		}
		if err := m[n].Validate(); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	return nil
}

func validSeverity(s string) bool {
	return s == SeverityP1 || s == SeverityP2 || s == SeverityP3 || s == SeverityP4
}

// Resolve merges a rule's overrides at the policy and the service level;
// the service wins. A service entry overrides the fields it sets: a
// non-empty Severity and a non-zero For or KeepFiringFor replace the
// policy's, and zero ones inherit it. Disabled and DuringMaintenance are
// on when either level turns them on: YAML's false cannot be told from a
// key left out, so a service entry that sets only `for` must not undo its
// policy's `during_maintenance: true`. The price is that a service cannot
// switch back on what its policy switches off; disable such a rule per
// service instead.
func Resolve(rule string, policy, service map[string]RuleConfig) RuleConfig {
	c := policy[rule]
	s, ok := service[rule]
	if !ok {
		return c
	}
	if s.Severity != "" {
		c.Severity = s.Severity
	}
	if s.For != 0 {
		c.For = s.For
	}
	if s.KeepFiringFor != 0 {
		c.KeepFiringFor = s.KeepFiringFor
	}
	c.Disabled = c.Disabled || s.Disabled
	c.DuringMaintenance = c.DuringMaintenance || s.DuringMaintenance
	return c
}

// Overrides are the rule overrides that apply to one subject: its policy's
// and its service's, each keyed by rule name.
type Overrides struct {
	Policy, Service map[string]RuleConfig
}

// Resolve is Resolve(rule, o.Policy, o.Service).
func (o Overrides) Resolve(rule string) RuleConfig { return Resolve(rule, o.Policy, o.Service) }

// Condition is one rule's verdict that an alert's condition holds now: the
// alert's labels and annotations, and how the engine should treat it.
type Condition struct {
	Labels      map[string]string
	Annotations map[string]string
	// Since is when the condition began, when the facts know it (an
	// outage's start, the moment a backup passed its RPO); zero means now.
	// For is counted from it, so a daemon restarted in the middle of an
	// outage does not wait For again.
	Since         time.Time
	For           time.Duration
	KeepFiringFor time.Duration
}

// finding is a rule's raw verdict about one subject, before overrides.
type finding struct {
	severity    string            // the default severity
	extra       map[string]string // probe or set label
	summary     string
	description string
	since       time.Time
	anchor      string // status page fragment
}

type serviceRule struct {
	name string
	eval func(f *Facts, s *ServiceFacts) []finding
}

type backupRule struct {
	name string
	eval func(f *Facts, b *BackupFacts) []finding
}

// The rules, one function each, in the order of SPEC §6's table.
var (
	serviceRules = []serviceRule{
		{RuleServiceDown, serviceDown},
		{RuleServiceDegraded, serviceDegraded},
		{RuleOutagePastRTO, outagePastRTO},
		{RuleErrorBudgetBurn, errorBudgetBurn},
		{RuleCertificateExpiresSoon, certificateExpiresSoon},
	}
	backupRules = []backupRule{
		{RuleBackupRPOBreached, backupRPOBreached},
		{RuleBackupRetentionNotMet, backupRetentionNotMet},
		{RuleBackupSourceFailing, backupSourceFailing},
		{RuleRestoreTestStale, restoreTestStale},
	}
)

// Conditions applies every rule to the facts and returns the conditions
// that hold now, after overrides: disabled rules and subjects in
// maintenance (unless the rule runs during maintenance) give none.
func Conditions(f Facts) []Condition {
	var out []Condition
	for i := range f.Services {
		s := &f.Services[i]
		inMaint := s.InMaintenance || s.State == uptime.StateMaintenance
		for _, r := range serviceRules {
			cfg := s.Rules.Resolve(r.name)
			if cfg.Disabled || inMaint && !cfg.DuringMaintenance {
				continue
			}
			for _, fd := range r.eval(&f, s) {
				out = append(out, buildCondition(&f, r.name, s.Name, s.Environment, cfg, fd))
			}
		}
	}
	for i := range f.Backups {
		b := &f.Backups[i]
		for _, r := range backupRules {
			cfg := b.Rules.Resolve(r.name)
			if cfg.Disabled || b.InMaintenance && !cfg.DuringMaintenance {
				continue
			}
			for _, fd := range r.eval(&f, b) {
				out = append(out, buildCondition(&f, r.name, b.Service, b.Environment, cfg, fd))
			}
		}
	}
	return out
}

func buildCondition(f *Facts, rule, service, env string, cfg RuleConfig, fd finding) Condition {
	sev := fd.severity
	if cfg.Severity != "" {
		sev = cfg.Severity
	}
	labels := map[string]string{
		LabelAlertname:   rule,
		LabelService:     service,
		LabelSeverity:    sev,
		LabelEnvironment: envOr(env),
	}
	for k, v := range fd.extra {
		labels[k] = v
	}
	ann := map[string]string{
		AnnotationSummary:     fd.summary,
		AnnotationDescription: fd.description,
	}
	if f.StatusPageURL != "" {
		ann[AnnotationStatusPage] = f.StatusPageURL + (&url.URL{Fragment: fd.anchor}).String()
	}
	return Condition{
		Labels:        labels,
		Annotations:   ann,
		Since:         fd.since,
		For:           cfg.For,
		KeepFiringFor: cfg.KeepFiringFor,
	}
}

// isProduction reports whether env is production; empty is, as the config's
// default.
func isProduction(env string) bool { return env == "" || env == "production" }

// envOr is env, or production when it is empty.
func envOr(env string) string {
	if env == "" {
		return "production"
	}
	return env
}

// byEnvironment picks the severity for production or for another
// environment.
func byEnvironment(env, prod, other string) string {
	if isProduction(env) {
		return prod
	}
	return other
}

func serviceDown(f *Facts, s *ServiceFacts) []finding {
	if s.State != uptime.StateDown {
		return nil
	}
	fd := finding{
		severity: byEnvironment(s.Environment, SeverityP1, SeverityP2),
		anchor:   "svc-" + s.Name,
	}
	var sum, desc strings.Builder
	fmt.Fprintf(&sum, "%s is down", s.Name)
	fmt.Fprintf(&desc, "%s (%s) is down", s.Name, envOr(s.Environment))
	if o := s.OpenOutage; o != nil {
		fd.since = o.Start
		if o.Cause != "" {
			fmt.Fprintf(&sum, ": %s", o.Cause)
		}
		var paren []string
		paren = append(paren, "since "+f.clock(o.Start))
		if o.Probe != "" {
			paren = append(paren, "probe "+o.Probe)
		}
		fmt.Fprintf(&sum, " (%s)", strings.Join(paren, ", "))
		fmt.Fprintf(&desc, " since %s, %s so far", f.stamp(o.Start), shortDuration(f.Now.Sub(o.Start)))
		switch {
		case o.Probe != "" && o.Cause != "":
			fmt.Fprintf(&desc, "; probe %s reports: %s", o.Probe, o.Cause)
		case o.Cause != "":
			fmt.Fprintf(&desc, "; cause: %s", o.Cause)
		}
		if o.Excluded {
			desc.WriteString(". The outage is marked force majeure and does not count against the SLA.")
		} else {
			desc.WriteString(". It counts as downtime against the SLA until the service recovers.")
		}
	} else {
		desc.WriteString(".")
	}
	fd.summary, fd.description = sum.String(), desc.String()
	return []finding{fd}
}

func serviceDegraded(f *Facts, s *ServiceFacts) []finding {
	if s.State != uptime.StateDegraded {
		return nil
	}
	fd := finding{severity: SeverityP2, since: s.DegradedSince, anchor: "svc-" + s.Name}
	fd.summary = s.Name + " is degraded"
	fd.description = fmt.Sprintf("%s (%s) is degraded", s.Name, envOr(s.Environment))
	if !s.DegradedSince.IsZero() {
		fd.description += fmt.Sprintf(" since %s (%s)", f.stamp(s.DegradedSince), shortDuration(f.Now.Sub(s.DegradedSince)))
	}
	if s.DegradedCause != "" {
		fd.summary += ": " + s.DegradedCause
		fd.description += ": " + s.DegradedCause
	}
	if !s.DegradedSince.IsZero() {
		fd.summary += " (since " + f.clock(s.DegradedSince) + ")"
	}
	fd.description += ". It answers, but slower or less completely than it should; degraded time counts as available unless the policy says degraded: down."
	return []finding{fd}
}

func outagePastRTO(f *Facts, s *ServiceFacts) []finding {
	o := s.OpenOutage
	if o == nil || o.Excluded || s.RTO.Deadline == nil {
		return nil
	}
	deadline := s.RTO.Deadline(o.Start)
	if !f.Now.After(deadline) {
		return nil
	}
	rto := s.RTO.Label
	if rto == "" {
		rto = shortDuration(deadline.Sub(o.Start))
	}
	return []finding{{
		severity: SeverityP1,
		since:    deadline,
		anchor:   "svc-" + s.Name,
		summary: fmt.Sprintf("%s has been down %s, past its RTO of %s (deadline %s)",
			s.Name, shortDuration(f.Now.Sub(o.Start)), rto, f.clock(deadline)),
		description: fmt.Sprintf("The outage of %s (%s) that began %s has run past the recovery time objective of %s: "+
			"normal operations were due back by %s. Cause: %s.",
			s.Name, envOr(s.Environment), f.stamp(o.Start), rto, f.stamp(deadline), orUnknown(o.Cause)),
	}}
}

func errorBudgetBurn(f *Facts, s *ServiceFacts) []finding {
	if s.Burn.TargetPercent <= 0 {
		return nil
	}
	for _, b := range EvaluateBurn(s.Burn, f.Now) {
		if !b.Burning {
			continue
		}
		period := periodName(s.Burn.Period)
		return []finding{{
			severity: SeverityP3,
			anchor:   "svc-" + s.Name,
			summary: fmt.Sprintf("%s is burning its error budget %s: %.3g%% of a %s's budget in the last %s (%.1f× over %s, %.1f× over %s; alert at %.1f×)",
				s.Name, b.Window.Name, 100*b.BudgetSpent, period, shortDuration(b.Window.Long),
				b.LongRate, shortDuration(b.Window.Long), b.ShortRate, shortDuration(b.Window.Short), b.Threshold),
			description: fmt.Sprintf("%s (%s) has a %v%% uptime target per %s. At the burn rate of the last %s "+
				"(%.1f× the rate the target allows) the %s's error budget would last %s. "+
				"Burn rates over %s and %s are both at or above %.1f×, the %s-burn threshold for a %s period.",
				s.Name, envOr(s.Environment), s.Burn.TargetPercent, period, shortDuration(b.Window.Long),
				b.LongRate, period, budgetLasts(b.LongRate, s.Burn.Period),
				shortDuration(b.Window.Long), shortDuration(b.Window.Short), b.Threshold, b.Window.Name, period),
		}}
	}
	return nil
}

func certificateExpiresSoon(f *Facts, s *ServiceFacts) []finding {
	var out []finding
	for _, p := range s.Probes {
		if p.CertExpiry.IsZero() {
			continue
		}
		left := p.CertExpiry.Sub(f.Now)
		if left >= CertificateWarning {
			continue
		}
		fd := finding{
			severity: SeverityP4,
			since:    p.CertExpiry.Add(-CertificateWarning),
			extra:    map[string]string{LabelProbe: p.Name},
			anchor:   "svc-" + s.Name,
		}
		if left < CertificateCritical {
			fd.severity, fd.since = SeverityP3, p.CertExpiry.Add(-CertificateCritical)
		}
		if left > 0 {
			fd.summary = fmt.Sprintf("%s: the certificate seen by probe %s expires in %s (%s)",
				s.Name, p.Name, shortDuration(left), f.stamp(p.CertExpiry))
		} else {
			fd.summary = fmt.Sprintf("%s: the certificate seen by probe %s expired %s ago (%s)",
				s.Name, p.Name, shortDuration(-left), f.stamp(p.CertExpiry))
		}
		fd.description = fmt.Sprintf("The TLS certificate that probe %s of %s (%s) was served expires at %s. "+
			"Renew and deploy it before then: clients refuse an expired certificate, and the service is down for them.",
			p.Name, s.Name, envOr(s.Environment), f.stamp(p.CertExpiry))
		out = append(out, fd)
	}
	return out
}

func backupRPOBreached(f *Facts, b *BackupFacts) []finding {
	st := &b.Status
	if st.RPOMet {
		return nil
	}
	fd := finding{
		severity: byEnvironment(b.Environment, SeverityP1, SeverityP2),
		extra:    map[string]string{LabelSet: b.Set},
		anchor:   "set-" + b.Set,
	}
	rpo := "none configured"
	var rpoDur time.Duration
	if st.RPOSeconds != nil {
		rpoDur = time.Duration(*st.RPOSeconds * float64(time.Second))
		rpo = shortDuration(rpoDur)
	}
	if st.Newest == nil {
		fd.summary = fmt.Sprintf("%s has no successful backup (RPO %s)", b.Set, rpo)
		fd.description = fmt.Sprintf("Backup set %s of %s (%s) holds no successful backup at %s, so no recovery point exists.",
			b.Set, b.Service, envOr(b.Environment), f.stamp(f.Now))
	} else {
		age := f.Now.Sub(*st.Newest)
		if st.AgeSeconds != nil {
			age = time.Duration(*st.AgeSeconds * float64(time.Second))
		}
		if rpoDur > 0 {
			fd.since = st.Newest.Add(rpoDur)
		}
		fd.summary = fmt.Sprintf("%s: newest backup is %s old, RPO %s (taken %s)", b.Set, shortDuration(age), rpo, f.stamp(*st.Newest))
		fd.description = fmt.Sprintf("The newest successful backup of set %s of %s (%s) was taken %s, %s ago; "+
			"the recovery point objective is %s, so data written since then would be lost.",
			b.Set, b.Service, envOr(b.Environment), f.stamp(*st.Newest), shortDuration(age), rpo)
	}
	if st.State == backup.StateUnknown {
		fd.description += " The backup source cannot be read at the moment, so this is judged from the records stored before."
	} else if st.LastFailure != nil && st.LastFailure.After(orZero(st.Newest)) {
		fd.description += fmt.Sprintf(" The last backup attempt, %s, failed.", f.stamp(*st.LastFailure))
	}
	return []finding{fd}
}

func backupRetentionNotMet(f *Facts, b *BackupFacts) []finding {
	r := &b.Status.Retention
	var tiers []string
	if !r.PointInTime.Met {
		pit := &r.PointInTime
		var why string
		switch {
		case pit.Anchor == nil && pit.WindowStart != nil:
			why = "no backup at or before " + f.stamp(*pit.WindowStart)
		case len(pit.Gaps) > 0:
			why = fmt.Sprintf("%d gaps longer than the RPO", len(pit.Gaps))
			if len(pit.Gaps) == 1 {
				why = "1 gap longer than the RPO"
			}
			if pit.MaxGapSeconds != nil {
				why += ", largest " + shortDuration(time.Duration(*pit.MaxGapSeconds*float64(time.Second)))
			}
		default:
			why = "not met"
		}
		tiers = append(tiers, fmt.Sprintf("point in time %gd (%s)", pit.Days, why))
	}
	tiers = append(tiers, tierProblem("weekly", &r.Weekly)...)
	tiers = append(tiers, tierProblem("monthly", &r.Monthly)...)
	if len(tiers) == 0 {
		return nil
	}
	return []finding{{
		severity: SeverityP3,
		extra:    map[string]string{LabelSet: b.Set},
		anchor:   "set-" + b.Set,
		summary:  fmt.Sprintf("%s retention not met: %s", b.Set, strings.Join(tiers, "; ")),
		description: fmt.Sprintf("Backup set %s of %s (%s) does not meet its retention scheme at %s: %s. "+
			"Restores to points in those periods are not possible; check the backup schedule and the pruning policy.",
			b.Set, b.Service, envOr(b.Environment), f.stamp(f.Now), strings.Join(tiers, "; ")),
	}}
}

// tierProblem says what is wrong with a weekly or monthly tier, if anything:
// "weekly 4 (empty: 2026-W40, 2026-W41)".
func tierProblem(name string, t *backup.TierStatus) []string {
	if t.Met {
		return nil
	}
	var empty []string
	for _, b := range t.Buckets {
		if b.Backup == nil {
			empty = append(empty, b.Label)
		}
	}
	if len(empty) == 0 {
		return []string{fmt.Sprintf("%s %d (not met)", name, t.Required)}
	}
	return []string{fmt.Sprintf("%s %d (empty: %s)", name, t.Required, strings.Join(empty, ", "))}
}

func backupSourceFailing(f *Facts, b *BackupFacts) []finding {
	st := &b.Status
	if st.State != backup.StateUnknown {
		return nil
	}
	return []finding{{
		severity: SeverityP3,
		extra:    map[string]string{LabelSet: b.Set},
		anchor:   "set-" + b.Set,
		summary:  fmt.Sprintf("%s: backup source cannot be read: %s", b.Set, orUnknown(st.Error)),
		description: fmt.Sprintf("slawatch cannot read the backup source of set %s of %s (%s): %s. "+
			"Until it can, new backups are not seen; the RPO and retention are judged from the records stored before, "+
			"so an RPO alert follows if no backup is seen in time.",
			b.Set, b.Service, envOr(b.Environment), orUnknown(st.Error)),
	}}
}

func restoreTestStale(f *Facts, b *BackupFacts) []finding {
	rto := b.Status.RTO
	if rto == nil {
		return nil
	}
	fd := finding{
		severity: SeverityP4,
		extra:    map[string]string{LabelSet: b.Set},
		anchor:   "set-" + b.Set,
	}
	rt := &rto.RestoreTests
	if rt.NewestSuccess == nil {
		fd.summary = fmt.Sprintf("%s has no successful restore test", b.Set)
		fd.description = fmt.Sprintf("No successful restore test of backup set %s of %s (%s) is recorded. "+
			"Restore a backup, check the data, and record it with `slawatch restore-test record`.",
			b.Set, b.Service, envOr(b.Environment))
		return []finding{fd}
	}
	age := f.Now.Sub(*rt.NewestSuccess)
	if age <= RestoreTestMaxAge {
		return nil
	}
	fd.since = rt.NewestSuccess.Add(RestoreTestMaxAge)
	fd.summary = fmt.Sprintf("%s: newest successful restore test is %s old (limit %s)", b.Set, shortDuration(age), shortDuration(RestoreTestMaxAge))
	fd.description = fmt.Sprintf("The newest successful restore test of backup set %s of %s (%s) ended %s. "+
		"A restore not tried for %s may not work when it is needed; run one and record it with `slawatch restore-test record`.",
		b.Set, b.Service, envOr(b.Environment), f.stamp(*rt.NewestSuccess), shortDuration(RestoreTestMaxAge))
	return []finding{fd}
}

// clock shows t as "10:03:20 UTC", with the date when it is not Now's day.
func (f *Facts) clock(t time.Time) string {
	loc := f.loc()
	lt, ln := t.In(loc), f.Now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return lt.Format("15:04:05 MST")
	}
	return lt.Format("2006-01-02 15:04:05 MST")
}

// stamp shows t with its date: "2026-11-04 10:03:20 UTC".
func (f *Facts) stamp(t time.Time) string { return t.In(f.loc()).Format("2006-01-02 15:04:05 MST") }

func (f *Facts) loc() *time.Location {
	if f.Location == nil {
		return time.UTC
	}
	return f.Location
}

// shortDuration shows a duration the way people say it: 45s, 12m, 2h13m, 3d4h.
// It truncates; negative durations show as 0s.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
