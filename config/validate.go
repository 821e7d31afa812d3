package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/slawatch/slawatch/calendar"
	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/uptime"
)

// Defaults, as documented in docs/configuration.md.
const (
	DefaultStoragePath      = "data/slawatch.db"
	DefaultRawRetention     = 30 * 24 * time.Hour
	DefaultRollupRetention  = 400 * 24 * time.Hour // a year and a month: a year can be compared with the one before
	DefaultListen           = "127.0.0.1:9477"
	DefaultConcurrency      = 512
	DefaultInterval         = 30 * time.Second
	DefaultTimeout          = 10 * time.Second
	DefaultFailureThreshold = 2
	DefaultSuccessThreshold = 1
)

// Environments a service can be in.
var environments = []string{"production", "acceptance", "test", "development"}

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	envVarRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	subKeyRE   = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*|\[[0-9]+\])*$`)
	severities = []string{"P1", "P2", "P3", "P4"}
)

// checker applies defaults and validates a decoded config, attributing each
// problem to the line its path was read from.
type checker struct {
	cfg   *Config
	col   *collector
	lines map[string]loc
}

// set reports whether path was written in the file with a non-null value.
func (c *checker) set(path string) bool {
	l, ok := c.lines[path]
	return ok && !l.null
}

// at is where path, or its nearest written ancestor, was read.
func (c *checker) at(path string) loc {
	for p := path; ; p = parentPath(p) {
		if l, ok := c.lines[p]; ok {
			return l
		}
		if p == "" {
			return loc{file: c.cfg.File, line: 1, keyLine: 1}
		}
	}
}

// failed reports whether path already has an error, or it or an ancestor
// could not be decoded, so that one mistake is reported once and not again
// as its consequences.
func (c *checker) failed(path string) bool {
	if c.col.reported[path] {
		return true
	}
	for p := path; ; p = parentPath(p) {
		if c.col.failed[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// errf reports a problem with the value at path.
func (c *checker) errf(path, format string, args ...any) {
	c.report(path, false, format, args...)
}

// keyErrf reports a problem with the key of path (a name in a map).
func (c *checker) keyErrf(path, format string, args ...any) {
	c.report(path, true, format, args...)
}

func (c *checker) report(path string, atKey bool, format string, args ...any) {
	if c.failed(path) {
		return
	}
	l := c.at(path)
	line := l.line
	if atKey {
		line = l.keyLine
	}
	c.col.add(l.file, line, path, format, args...)
	c.col.reported[path] = true
}

// subErrs reports errors from other packages that begin with a key relative
// to base ("http.url: …", "timezone: …") at that key's line when it was
// written, else at base. It returns the sub-keys it saw.
func (c *checker) subErrs(base string, err error) map[string]bool {
	keys := map[string]bool{}
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		key, msg, ok := strings.Cut(line, ": ")
		if !ok || !subKeyRE.MatchString(key) {
			c.errf(base, "%s", line)
			continue
		}
		keys[key] = true
		keys[strings.FieldsFunc(key, func(r rune) bool { return r == '.' || r == '[' })[0]] = true
		c.errf(base+"."+key, "%s", msg)
	}
	return keys
}

func (c *checker) checkName(path, what, name string, inKey bool) {
	report := c.errf
	if inKey {
		report = c.keyErrf
	}
	switch {
	case name == "":
		report(path, "a %s needs a name", what)
	case !nameRE.MatchString(name):
		report(path, "%s name %s may hold only letters, digits, '_', '.' and '-'", what, quote(name))
	}
}

func (c *checker) oneOf(path, value string, allowed ...string) {
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	c.errf(path, "unknown value %s; want %s", quote(value), orList(allowed))
}

func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

func (c *checker) check() {
	c.storage()
	c.server()
	if !c.set("probing.concurrency") {
		c.cfg.Probing.Concurrency = DefaultConcurrency
	} else if c.cfg.Probing.Concurrency < 1 {
		c.errf("probing.concurrency", "must be at least 1, got %d", c.cfg.Probing.Concurrency)
	}
	c.calendars()
	c.policies()
	c.defaults()
	c.services()
	c.backups()
	c.alerts()
}

func (c *checker) dir() string { return filepath.Dir(c.cfg.File) }

// abs makes a path from the config relative to the main file's directory.
func (c *checker) abs(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir(), p)
}

func (c *checker) storage() {
	s := &c.cfg.Storage
	if s.Path == "" {
		s.Path = DefaultStoragePath
	}
	s.Path = c.abs(s.Path)
	if !c.set("storage.raw_retention") {
		s.RawRetention = DefaultRawRetention
	} else if s.RawRetention < time.Hour {
		c.errf("storage.raw_retention", "%s is too short; keep raw results at least 1h", s.RawRetention)
	}
	switch {
	case !c.set("storage.rollup_retention"):
		s.RollupRetention = DefaultRollupRetention
	case s.RollupRetention < 0:
		c.errf("storage.rollup_retention", "%s is negative; 0 keeps rollups for ever", s.RollupRetention)
	case s.RollupRetention > 0 && s.RollupRetention < s.RawRetention:
		c.errf("storage.rollup_retention", "%s is shorter than raw_retention (%s): rollups summarize the raw results, keep them at least as long", s.RollupRetention, s.RawRetention)
	}
}

func (c *checker) server() {
	s := &c.cfg.Server
	if s.Listen == "" {
		s.Listen = DefaultListen
	} else if _, port, err := net.SplitHostPort(s.Listen); err != nil {
		c.errf("server.listen", "want host:port like 127.0.0.1:9477, got %s", quote(s.Listen))
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil && port != "" || port == "" || n > 65535 {
		c.errf("server.listen", "invalid port in %s", quote(s.Listen))
	}
	s.APITokensFile = c.abs(s.APITokensFile)
	if s.APITokensFile != "" && s.APITokensEnv != "" {
		c.errf("server.api_tokens_env", "set api_tokens_file or api_tokens_env, not both")
	}
	if s.APITokensEnv != "" && !envVarRE.MatchString(s.APITokensEnv) {
		c.errf("server.api_tokens_env", "%s is not an environment variable name", quote(s.APITokensEnv))
	}
	s.TLSCertFile, s.TLSKeyFile = c.abs(s.TLSCertFile), c.abs(s.TLSKeyFile)
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		c.errf("server", "tls_cert_file and tls_key_file go together")
	}
	if s.ExternalURL != "" {
		u, err := url.Parse(s.ExternalURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.errf("server.external_url", "want an absolute http or https URL, got %s", quote(s.ExternalURL))
		}
	}
}

func (c *checker) calendars() {
	c.cfg.Cals = map[string]*calendar.Calendar{}
	for _, name := range sortedKeys(c.cfg.Calendars) {
		p := fieldPath("calendars", name)
		c.checkName(p, "calendar", name, true)
		if spec := c.cfg.Calendars[name]; strings.TrimSpace(spec.Timezone) == "Local" {
			c.errf(p+".timezone", "name an IANA time zone like Europe/Amsterdam, not Local")
			continue
		}
		cal, err := calendar.New(name, c.cfg.Calendars[name])
		if err != nil {
			c.subErrs(p, err)
			continue
		}
		c.cfg.Cals[name] = cal
	}
}

// location loads an IANA time zone. "Local" is refused: a config must mean
// the same on every machine.
func location(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, fmt.Errorf("name an IANA time zone like Europe/Amsterdam, not Local")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %s", quote(name))
	}
	return loc, nil
}

func (c *checker) policies() {
	for _, name := range sortedKeys(c.cfg.Policies) {
		c.policy(name, c.cfg.Policies[name])
	}
}

func (c *checker) policy(name string, pol *Policy) {
	p := fieldPath("policies", name)
	pol.Name = name
	c.checkName(p, "policy", name, true)

	up := p + ".uptime"
	switch {
	case c.set(up + ".target"):
		if t := pol.Uptime.Target; !(t > 0 && t <= 100) {
			c.errf(up+".target", "target %s must be above 0 and at most 100 (percent)", strconv.FormatFloat(t, 'f', -1, 64))
		}
	case c.set(up):
		c.errf(up+".target", "an uptime promise needs a target, like 99.9")
	}
	if pol.Uptime.Period == "" {
		pol.Uptime.Period = "month"
	}
	c.oneOf(up+".period", pol.Uptime.Period, "month", "year")

	if pol.Timezone == "" {
		pol.Timezone = "UTC"
	}
	if loc, err := location(pol.Timezone); err != nil {
		c.errf(p+".timezone", "%v", err)
	} else {
		pol.Location = loc
	}
	if pol.Unmonitored == "" {
		pol.Unmonitored = "exclude"
	}
	c.oneOf(p+".unmonitored", pol.Unmonitored, "exclude", "up", "down")
	if pol.Degraded == "" {
		pol.Degraded = "up"
	}
	c.oneOf(p+".degraded", pol.Degraded, "up", "down")
	if pol.LateMaintenance == "" {
		pol.LateMaintenance = "count"
	}
	c.oneOf(p+".late_maintenance", pol.LateMaintenance, "count", "exclude")

	if pol.Calendar != "" {
		if _, ok := c.cfg.Calendars[pol.Calendar]; !ok {
			c.errf(p+".calendar", "unknown calendar %s%s", quote(pol.Calendar), known(sortedKeys(c.cfg.Calendars)))
		}
		pol.Cal = c.cfg.Cals[pol.Calendar] // nil when the calendar itself is broken
	}

	// Business time is only defined on a calendar; assuming one would make
	// a deadline silently wrong.
	business := func(path string, d calendar.Duration) {
		if d.Unit != calendar.Wall && pol.Calendar == "" {
			c.errf(path, "%s is business time, which needs the policy to name a calendar", d)
		}
	}
	business(p+".rpo", pol.RPO)
	business(p+".rto", pol.RTO)

	r := p + ".retention"
	if pol.Retention.PointInTime.Unit != calendar.Wall {
		c.errf(r+".point_in_time", "want wall-clock time like 7d, got %s", pol.Retention.PointInTime)
	} else if !pol.Retention.PointInTime.IsZero() && pol.RPO.IsZero() {
		c.errf(r+".point_in_time", "point-in-time recovery is measured against the rpo:, which is not set")
	}
	if pol.Retention.Weekly < 0 {
		c.errf(r+".weekly", "must not be negative, got %d", pol.Retention.Weekly)
	}
	if pol.Retention.Monthly < 0 {
		c.errf(r+".monthly", "must not be negative, got %d", pol.Retention.Monthly)
	}

	for key, targets := range map[string]map[string]calendar.Duration{
		"response": pol.Response, "response_outside_hours": pol.ResponseOutsideHours, "resolution": pol.Resolution,
	} {
		for _, sev := range sortedKeys(targets) {
			sp := fieldPath(p+"."+key, sev)
			found := false
			for _, s := range severities {
				found = found || s == sev
			}
			if !found {
				c.keyErrf(sp, "unknown severity %s; want %s", quote(sev), orList(severities))
				continue
			}
			business(sp, targets[sev])
		}
	}
	if len(pol.ResponseOutsideHours) > 0 && pol.Calendar == "" {
		c.errf(p+".response_outside_hours", "outside hours needs a calendar that says what the hours are")
	}
}

// known lists names for a "did you mean" tail.
func known(names []string) string {
	switch {
	case len(names) == 0:
		return " (none are defined)"
	case len(names) > 10:
		return "; known: " + strings.Join(names[:10], ", ") + ", …"
	}
	return "; known: " + strings.Join(names, ", ")
}

func (c *checker) defaults() {
	d := &c.cfg.Defaults
	const p = "defaults"
	if d.Schedule != "" {
		if c.set(p + ".interval") {
			c.errf(p+".schedule", "set interval or schedule, not both")
		}
		c.cron(p+".schedule", d.Schedule, nil, true)
	}
	c.positive(p+".interval", &d.Interval, func() time.Duration {
		if d.Schedule != "" {
			return 0
		}
		return DefaultInterval
	}())
	if d.Interval > 0 && d.Interval < probe.MinInterval {
		c.errf(p+".interval", "%s is shorter than the minimum %s", d.Interval, probe.MinInterval)
	}
	c.positive(p+".timeout", &d.Timeout, DefaultTimeout)
	if d.Interval > 0 && d.Timeout >= d.Interval && !c.failed(p+".interval") {
		c.errf(p+".timeout", "timeout %s must be shorter than interval %s", d.Timeout, d.Interval)
	}
	c.threshold(p+".failure_threshold", &d.FailureThreshold, DefaultFailureThreshold)
	c.threshold(p+".success_threshold", &d.SuccessThreshold, DefaultSuccessThreshold)
}

// positive fills an unset duration with def and refuses a written zero.
func (c *checker) positive(path string, d *time.Duration, def time.Duration) {
	if !c.set(path) {
		if *d == 0 {
			*d = def
		}
		return
	}
	if *d <= 0 {
		c.errf(path, "must be longer than 0")
	}
}

// threshold fills an unset count with def and refuses one below 1.
func (c *checker) threshold(path string, n *int, def int) {
	if !c.set(path) {
		*n = def
		return
	}
	if *n < 1 {
		c.errf(path, "must be at least 1, got %d", *n)
	}
}

// cron checks a cron expression (5 fields, or a descriptor such as @daily
// or @every 1h) and compiles it in loc. A CRON_TZ= prefix is accepted only
// where allowTZ is set; elsewhere the zone belongs in timezone:.
func (c *checker) cron(path, expr string, loc *time.Location, allowTZ bool) cron.Schedule {
	e := strings.TrimSpace(expr)
	if strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=") {
		if !allowTZ {
			c.errf(path, "put the time zone in timezone:, not in the schedule")
			return nil
		}
		// robfig/cron slices past the end of a prefix with no schedule after it.
		if badTZPrefix(e) {
			c.errf(path, "invalid cron schedule %s: want CRON_TZ=Zone followed by a schedule", quote(expr))
			return nil
		}
	} else if loc != nil {
		e = "CRON_TZ=" + loc.String() + " " + e
	}
	sched, err := parseCron(e)
	if err != nil {
		c.errf(path, "invalid cron schedule %s: %v", quote(expr), err)
		return nil
	}
	// A valid expression such as "0 0 30 2 *" (30 February) never fires.
	if sched.Next(time.Now()).IsZero() {
		c.errf(path, "cron schedule %s never fires", quote(expr))
		return nil
	}
	return sched
}

func parseCron(expr string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot parse: %v", r)
		}
	}()
	return cron.ParseStandard(expr)
}

func (c *checker) services() {
	c.cfg.byName = map[string]*Service{}
	first := map[string]int{} // service name -> line
	for i, s := range c.cfg.Services {
		p := indexPath("services", i)
		np := p + ".name"
		c.checkName(np, "service", s.Name, false)
		if line, dup := first[s.Name]; dup && s.Name != "" {
			c.errf(np, "duplicate service %s (first at line %d)", quote(s.Name), line)
		} else if s.Name != "" {
			first[s.Name] = c.at(np).line
			c.cfg.byName[s.Name] = s
		}
		if s.Policy != "" {
			if pol, ok := c.cfg.Policies[s.Policy]; ok {
				s.Pol = pol
			} else {
				c.errf(p+".policy", "unknown policy %s%s", quote(s.Policy), known(sortedKeys(c.cfg.Policies)))
			}
		}
		if s.Environment == "" {
			s.Environment = "production"
		}
		c.oneOf(p+".environment", s.Environment, environments...)
		c.threshold(p+".failure_threshold", &s.FailureThreshold, c.cfg.Defaults.FailureThreshold)
		c.threshold(p+".success_threshold", &s.SuccessThreshold, c.cfg.Defaults.SuccessThreshold)

		probes := map[string]int{}
		for j, ps := range s.Probes {
			pp := indexPath(p+".probes", j)
			if line, dup := probes[ps.Name]; dup && ps.Name != "" {
				c.errf(pp+".name", "duplicate probe %s in service %s (first at line %d)", quote(ps.Name), quote(s.Name), line)
			} else {
				probes[ps.Name] = c.at(pp + ".name").line
			}
			c.probe(pp, s, ps)
		}

		tz := "UTC"
		if s.Pol != nil && s.Pol.Location != nil {
			tz = s.Pol.Timezone
		}
		for k := range s.Maintenance {
			c.maintenance(indexPath(p+".maintenance", k), &s.Maintenance[k], tz)
		}
	}
}

func (c *checker) probe(p string, s *Service, ps *probe.Spec) {
	d := &c.cfg.Defaults
	ps.Service = s.Name

	// Fill from defaults first, so that Validate sees the probe as it runs.
	scheduleFromDefaults, timeoutFromDefaults := false, false
	// A default that is itself wrong is reported once, at defaults:, and
	// not copied into every probe to be reported again.
	if ps.Interval == 0 && ps.Schedule == "" && !c.set(p+".interval") {
		switch {
		case d.Schedule == "" && !c.failed("defaults.interval"):
			ps.Interval = d.Interval
		case d.Schedule != "" && !c.failed("defaults.schedule"):
			ps.Schedule, scheduleFromDefaults = d.Schedule, true
		}
	}
	if ps.Timeout == 0 && !c.set(p+".timeout") && !c.failed("defaults.timeout") {
		ps.Timeout, timeoutFromDefaults = d.Timeout, true
	}
	if ps.Impact == "" {
		ps.Impact = probe.ImpactDown
	}
	// Relative paths are relative to the config file. Validate reads the
	// files; a device or FIFO named by mistake would make it hang.
	type caRef struct {
		path string
		file *string
	}
	var cas []caRef
	if ps.HTTP != nil {
		cas = append(cas, caRef{p + ".http.ca_file", &ps.HTTP.CAFile})
	}
	if ps.TLS != nil {
		cas = append(cas, caRef{p + ".tls.ca_file", &ps.TLS.CAFile})
	}
	caOK := true
	for _, ca := range cas {
		if *ca.file == "" {
			continue
		}
		*ca.file = c.abs(*ca.file)
		if fi, err := os.Stat(*ca.file); err == nil && (!fi.Mode().IsRegular() || fi.Size() > maxFileSize) {
			c.errf(ca.path, "%s is not a regular file of PEM certificates", *ca.file)
			caOK = false
		}
	}

	var kinds []string
	for _, k := range []struct {
		name string
		set  bool
	}{{"http", ps.HTTP != nil}, {"tcp", ps.TCP != nil}, {"dns", ps.DNS != nil}, {"tls", ps.TLS != nil}} {
		if k.set {
			kinds = append(kinds, k.name)
		}
	}
	// Keys that probe.Spec.Validate reported on are not checked again here.
	reported := map[string]bool{}
	switch {
	case len(kinds) == 0:
		c.errf(p, "a probe needs one of http, tcp, dns or tls")
	case len(kinds) > 1:
		c.errf(p, "a probe has exactly one of http, tcp, dns or tls, got %s", strings.Join(kinds, " and "))
	case !caOK:
		// Reported above; Validate would try to read the file.
	case badTZPrefix(ps.Schedule):
		// robfig/cron, which Validate calls, panics on this; say why here.
		c.errf(p+".schedule", "invalid cron schedule %s: want CRON_TZ=Zone followed by a schedule", quote(ps.Schedule))
		reported["schedule"] = true
	default:
		v := *ps
		if strings.TrimSpace(v.Name) == "" {
			// Validate stops at a missing name, which is reported below;
			// a stand-in lets it go on to check the rest.
			v.Name = "_"
		}
		if err := v.Validate(); err != nil {
			reported = c.subErrs(p, err)
		}
	}

	if !reported["name"] {
		c.checkName(p+".name", "probe", ps.Name, false)
	}
	if !reported["impact"] {
		c.oneOf(p+".impact", string(ps.Impact), string(probe.ImpactDown), string(probe.ImpactDegraded))
	}
	if !reported["interval"] && !reported["schedule"] {
		if ps.Interval != 0 && ps.Schedule != "" {
			c.errf(p+".schedule", "set interval or schedule, not both")
		} else if c.set(p+".interval") && ps.Interval <= 0 {
			c.errf(p+".interval", "must be longer than 0")
		}
	}
	if !reported["schedule"] && ps.Schedule != "" && !scheduleFromDefaults {
		c.cron(p+".schedule", ps.Schedule, nil, true)
	}
	if !reported["timeout"] && !reported["interval"] {
		switch {
		case c.set(p+".timeout") && ps.Timeout <= 0:
			c.errf(p+".timeout", "must be longer than 0")
		case ps.Interval > 0 && ps.Timeout >= ps.Interval && timeoutFromDefaults:
			c.errf(p+".interval", "timeout %s (from defaults.timeout) must be shorter than interval %s", ps.Timeout, ps.Interval)
		case ps.Interval > 0 && ps.Timeout >= ps.Interval:
			c.errf(p+".timeout", "timeout %s must be shorter than interval %s", ps.Timeout, ps.Interval)
		}
	}
}

// badTZPrefix reports a CRON_TZ= or TZ= prefix with no schedule after it.
func badTZPrefix(expr string) bool {
	e := strings.TrimSpace(expr)
	return (strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ=")) && !strings.Contains(e, " ")
}

func (c *checker) maintenance(p string, m *Maintenance, defaultTZ string) {
	recurring := c.set(p+".schedule") || c.set(p+".duration")
	oneOff := c.set(p+".start") || c.set(p+".end")
	switch {
	case recurring && oneOff:
		c.errf(p, "a window has schedule and duration, or start and end, not both")
	case recurring:
		if m.Duration <= 0 && !c.set(p+".duration") {
			c.errf(p+".duration", "a scheduled window needs a duration, like 2h")
		} else if m.Duration <= 0 {
			c.errf(p+".duration", "must be longer than 0")
		}
		if m.Timezone == "" {
			m.Timezone = defaultTZ
		}
		loc, err := location(m.Timezone)
		if err != nil {
			c.errf(p+".timezone", "%v", err)
			return
		}
		m.Location = loc
		if m.Schedule == "" {
			c.errf(p+".schedule", "a window with a duration needs a schedule, like \"0 2 * * SUN\"")
			return
		}
		m.Cron = c.cron(p+".schedule", m.Schedule, loc, false)
		if m.Cron != nil {
			// Reports expand windows with uptime's rules; refuse what they refuse.
			if _, err := uptime.ParseSchedule(m.Schedule, loc); err != nil {
				c.errf(p+".schedule", "%v", err)
				m.Cron = nil
			}
		}
	case oneOff:
		switch {
		case m.Start.IsZero():
			c.errf(p+".start", "a window with an end needs a start")
		case m.End.IsZero():
			c.errf(p+".end", "a window with a start needs an end")
		case !m.End.After(m.Start):
			c.errf(p+".end", "end %s must be after start %s", m.End.Format(time.RFC3339), m.Start.Format(time.RFC3339))
		}
		if c.set(p + ".timezone") {
			c.errf(p+".timezone", "applies to scheduled windows only; start and end carry their own offsets")
		}
	default:
		c.errf(p, "a window needs schedule and duration, or start and end")
	}
}
