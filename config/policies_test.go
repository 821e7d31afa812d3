package config

import (
	"fmt"
	"github.com/slawatch/slawatch/alerts"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/calendar"
)

// The shipped seed-policy files in configs/policies/ and the policies each
// defines. The tests load them the way a user does: a main config that
// includes them by absolute path and holds one service to each policy.
var shippedPolicies = map[string][]string{
	"ultimo.yaml":    {"ultimo-saas", "ultimo-saas-nonprod"},
	"openweb.yaml":   {"openweb"},
	"olcare.yaml":    {"olcare-standard", "olcare-gold", "olcare-platinum"},
	"controlup.yaml": {"controlup-ultimate", "controlup-enterprise", "controlup-pro"},
}

// shippedCalendars lists the calendars each file defines.
var shippedCalendars = map[string][]string{
	"ultimo.yaml":  {"ultimo-cet", "ultimo-cst"},
	"openweb.yaml": {"openweb-est"},
	"olcare.yaml": {"olcare-americas", "olcare-uk", "olcare-germany", "olcare-france",
		"olcare-netherlands", "olcare-australia", "olcare-malaysia", "olcare-japan",
		"olcare-24x5", "olcare-24x7"},
	"controlup.yaml": {"controlup-business"},
}

func shippedPolicyFile(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "configs", "policies", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// loadShipped loads a main config in a temporary directory that includes the
// named policy files and has a service for each of their policies.
func loadShipped(t *testing.T, files ...string) *Config {
	t.Helper()
	var b strings.Builder
	b.WriteString("include:\n")
	for _, f := range files {
		fmt.Fprintf(&b, "  - %s\n", strconv.Quote(shippedPolicyFile(t, f)))
	}
	b.WriteString("services:\n")
	for _, f := range files {
		for _, pol := range shippedPolicies[f] {
			fmt.Fprintf(&b, "  - {name: svc-%s, policy: %s}\n", pol, pol)
		}
	}
	main := filepath.Join(t.TempDir(), "slawatch.yaml")
	if err := os.WriteFile(main, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(main)
	if err != nil {
		t.Fatalf("loading %v:\n%v", files, err)
	}
	for _, f := range files {
		for _, pol := range shippedPolicies[f] {
			if s := cfg.Service("svc-" + pol); s == nil || s.Pol == nil || s.Pol.Name != pol {
				t.Fatalf("service svc-%s is not held to policy %s: %+v", pol, pol, s)
			}
		}
	}
	return cfg
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func wall(d time.Duration) calendar.Duration { return calendar.Duration{D: d} }
func bh(h float64) calendar.Duration {
	return calendar.Duration{Unit: calendar.BusinessHours, D: time.Duration(h * float64(time.Hour))}
}
func bd(n float64) calendar.Duration { return calendar.Duration{Unit: calendar.BusinessDays, Days: n} }

// checkResponse compares a policy's response targets with P1..P4.
func checkResponse(t *testing.T, pol *Policy, want ...calendar.Duration) {
	t.Helper()
	for i, w := range want {
		sev := "P" + strconv.Itoa(i+1)
		if got, ok := pol.Response[sev]; !ok || got != w {
			t.Errorf("%s: response %s = %v (set %v), want %v", pol.Name, sev, got, ok, w)
		}
	}
	if len(pol.Response) != len(want) {
		t.Errorf("%s: %d response targets, want %d", pol.Name, len(pol.Response), len(want))
	}
}

// checkCalendar checks a compiled calendar's zone, working days and hours.
func checkCalendar(t *testing.T, cfg *Config, name, zone string, days []time.Weekday, open, close time.Duration) *calendar.Calendar {
	t.Helper()
	c := cfg.Cals[name]
	if c == nil {
		t.Fatalf("calendar %s is missing", name)
	}
	if c.Location.String() != zone {
		t.Errorf("%s: timezone %s, want %s", name, c.Location, zone)
	}
	var want [7]bool
	for _, d := range days {
		want[d] = true
	}
	if c.Days != want {
		t.Errorf("%s: days %v, want %v", name, c.Days, days)
	}
	if c.Open != open || c.Close != close {
		t.Errorf("%s: hours %v-%v, want %v-%v", name, c.Open, c.Close, open, close)
	}
	return c
}

var (
	weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	allWeek  = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
)

// deadline is one response (or recovery) deadline a policy must give.
type deadline struct {
	what     string
	from     time.Time
	d        calendar.Duration
	want     time.Time
	calendar *calendar.Calendar
}

func checkDeadlines(t *testing.T, cases []deadline) {
	t.Helper()
	for _, c := range cases {
		if got := c.calendar.Add(c.from, c.d); !got.Equal(c.want) {
			t.Errorf("%s: %v + %v = %v, want %v", c.what, c.from, c.d, got, c.want)
		}
	}
}

func TestShippedUltimo(t *testing.T) {
	cfg := loadShipped(t, "ultimo.yaml")
	ams := mustLoc(t, "Europe/Amsterdam")
	cet := checkCalendar(t, cfg, "ultimo-cet", "Europe/Amsterdam", weekdays, 8*time.Hour+30*time.Minute, 17*time.Hour)
	checkCalendar(t, cfg, "ultimo-cst", "America/Chicago", weekdays, 8*time.Hour, 16*time.Hour)

	prod := cfg.Policy("ultimo-saas")
	if prod.Uptime != (UptimeTarget{99.7, "year"}) || prod.Location.String() != "Europe/Amsterdam" ||
		prod.Unmonitored != "exclude" || prod.Degraded != "up" || prod.LateMaintenance != "count" ||
		prod.MaintenanceNotice != 0 || prod.Cal != cet {
		t.Errorf("ultimo-saas = %+v", prod)
	}
	if prod.RPO != wall(time.Hour) || prod.RTO != wall(4*time.Hour) {
		t.Errorf("ultimo-saas rpo, rto = %v, %v; want 1h, 4h", prod.RPO, prod.RTO)
	}
	if r := prod.Retention; r.PointInTime != wall(7*24*time.Hour) || r.Weekly != 4 || r.Monthly != 3 {
		t.Errorf("ultimo-saas retention = %+v", r)
	}
	checkResponse(t, prod, bh(2), bh(4), bh(8), bh(8))

	nonprod := cfg.Policy("ultimo-saas-nonprod")
	if nonprod.RPO != wall(24*time.Hour) || nonprod.RTO != bd(5) || nonprod.Cal != cet {
		t.Errorf("ultimo-saas-nonprod rpo, rto = %v, %v; want 24h, 5bd", nonprod.RPO, nonprod.RTO)
	}
	if nonprod.Uptime != prod.Uptime || nonprod.Retention != prod.Retention {
		t.Errorf("ultimo-saas-nonprod uptime, retention = %+v, %+v", nonprod.Uptime, nonprod.Retention)
	}
	checkResponse(t, nonprod, bh(2), bh(4), bh(8), bh(8))

	at := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, ams) }
	checkDeadlines(t, []deadline{
		// Half an hour on Friday, the weekend skipped, 1.5 h on Monday.
		{"P1 over a weekend", at(12, 18, 16, 30), prod.Response["P1"], at(12, 21, 10, 0), prod.Cal},
		// One hour on Christmas Eve; Christmas (Friday), Boxing Day and
		// the weekend skipped.
		{"P1 over Christmas", at(12, 24, 16, 0), prod.Response["P1"], at(12, 28, 9, 30), prod.Cal},
		// 42.5 business hours from Thursday before Easter: Easter Monday
		// is skipped (Good Friday is worked in the Netherlands).
		{"non-production RTO over Easter", at(4, 2, 10, 0), nonprod.RTO, at(4, 10, 10, 0), nonprod.Cal},
		// A wall-clock RTO ignores the calendar.
		{"production RTO", at(12, 24, 16, 0), prod.RTO, at(12, 24, 20, 0), prod.Cal},
	})
}

func TestShippedOpenWeb(t *testing.T) {
	cfg := loadShipped(t, "openweb.yaml")
	ny := mustLoc(t, "America/New_York")
	est := checkCalendar(t, cfg, "openweb-est", "America/New_York", weekdays, 9*time.Hour, 17*time.Hour)

	pol := cfg.Policy("openweb")
	if pol.Uptime != (UptimeTarget{99.9, "month"}) || pol.Location.String() != "America/New_York" ||
		pol.Unmonitored != "exclude" || pol.Degraded != "up" || pol.Cal != est {
		t.Errorf("openweb = %+v", pol)
	}
	if !pol.RPO.IsZero() || !pol.RTO.IsZero() || pol.Retention != (Retention{}) {
		t.Errorf("openweb promises no backups, got rpo %v rto %v retention %+v", pol.RPO, pol.RTO, pol.Retention)
	}
	checkResponse(t, pol, wall(2*time.Hour), bh(4), bd(2), bd(3))

	at := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, ny) }
	checkDeadlines(t, []deadline{
		// Severity 2 outside business hours is "next workday + 4 hours":
		// Friday 2026-07-03 is Independence Day observed.
		{"P2 outside hours over a holiday", at(7, 2, 20, 0), pol.Response["P2"], at(7, 6, 13, 0), pol.Cal},
		// In business hours: two hours on Christmas Eve, Christmas and the
		// weekend skipped, two on Monday.
		{"P2 over Christmas", at(12, 24, 15, 0), pol.Response["P2"], at(12, 28, 11, 0), pol.Cal},
		// Severity 1 is answered around the clock.
		{"P1 on a Saturday", at(12, 26, 3, 0), pol.Response["P1"], at(12, 26, 5, 0), pol.Cal},
		// Two workdays from Wednesday before Thanksgiving: 7 h Wednesday,
		// Thanksgiving skipped, 8 h Friday, 1 h Monday.
		{"P3 over Thanksgiving", at(11, 25, 10, 0), pol.Response["P3"], at(11, 30, 10, 0), pol.Cal},
	})
}

func TestShippedOLCare(t *testing.T) {
	cfg := loadShipped(t, "olcare.yaml")
	tor := mustLoc(t, "America/Toronto")
	americas := checkCalendar(t, cfg, "olcare-americas", "America/Toronto", weekdays, 9*time.Hour, 20*time.Hour)
	x5 := checkCalendar(t, cfg, "olcare-24x5", "America/Toronto", weekdays, 0, 24*time.Hour)
	x7 := checkCalendar(t, cfg, "olcare-24x7", "America/Toronto", allWeek, 0, 24*time.Hour)
	for _, r := range []struct {
		name, zone  string
		open, close time.Duration
	}{
		{"olcare-uk", "Europe/London", 9 * time.Hour, 17 * time.Hour},
		{"olcare-germany", "Europe/Berlin", 9 * time.Hour, 17 * time.Hour},
		{"olcare-france", "Europe/Paris", 9 * time.Hour, 17 * time.Hour},
		{"olcare-netherlands", "Europe/Amsterdam", 9 * time.Hour, 17 * time.Hour},
		{"olcare-australia", "Australia/Melbourne", 9 * time.Hour, 19 * time.Hour},
		{"olcare-malaysia", "Asia/Kuala_Lumpur", 9 * time.Hour, 17 * time.Hour},
		{"olcare-japan", "Asia/Tokyo", 9 * time.Hour, 17 * time.Hour},
	} {
		checkCalendar(t, cfg, r.name, r.zone, weekdays, r.open, r.close)
	}

	standard, gold, platinum := cfg.Policy("olcare-standard"), cfg.Policy("olcare-gold"), cfg.Policy("olcare-platinum")
	for _, p := range []*Policy{standard, gold, platinum} {
		if p.Uptime.Target != 0 || !p.RPO.IsZero() || !p.RTO.IsZero() || p.Location.String() != "America/Toronto" {
			t.Errorf("%s promises only response times: %+v", p.Name, p)
		}
	}
	if standard.Cal != americas || gold.Cal != x5 || platinum.Cal != americas {
		t.Errorf("calendars: standard %v, gold %v, platinum %v", standard.Cal.Name, gold.Cal.Name, platinum.Cal.Name)
	}
	checkResponse(t, standard, bh(2), bh(4), bh(4), bh(4))
	checkResponse(t, gold, bh(2), bh(4), bh(4), bh(4))
	checkResponse(t, platinum, wall(2*time.Hour), bh(4), bh(4), bh(4))

	at := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, tor) }
	checkDeadlines(t, []deadline{
		// One hour on Thursday evening; Good Friday, the weekend and Easter
		// Monday skipped; three hours on Tuesday.
		{"standard P2 over Easter", at(4, 2, 19, 0), standard.Response["P2"], at(4, 7, 12, 0), standard.Cal},
		// Gold counts around the clock on weekdays, but not on the excluded
		// holidays.
		{"gold P1 over Easter", at(4, 2, 23, 0), gold.Response["P1"], at(4, 7, 1, 0), gold.Cal},
		{"gold P1 on a weekday night", at(4, 8, 23, 0), gold.Response["P1"], at(4, 9, 1, 0), gold.Cal},
		// Platinum P1 is two hours on the clock, on a Saturday too; P2
		// waits for local hours.
		{"platinum P1 on a Saturday", at(4, 4, 3, 0), platinum.Response["P1"], at(4, 4, 5, 0), platinum.Cal},
		{"platinum P2 on a Saturday", at(4, 4, 3, 0), platinum.Response["P2"], at(4, 7, 13, 0), platinum.Cal},
		// The 24x7 calendar skips Christmas and Boxing Day only.
		{"24x7 over Christmas", at(12, 24, 23, 0), bh(2), at(12, 27, 1, 0), x7},
	})
}

func TestShippedControlUp(t *testing.T) {
	cfg := loadShipped(t, "controlup.yaml")
	biz := checkCalendar(t, cfg, "controlup-business", "UTC", weekdays, 6*time.Hour, 24*time.Hour)
	if len(biz.Holidays) != 0 {
		t.Errorf("controlup-business: the SLA names no holidays, got %v", biz.Holidays)
	}
	ultimate, enterprise, pro := cfg.Policy("controlup-ultimate"), cfg.Policy("controlup-enterprise"), cfg.Policy("controlup-pro")
	for _, p := range []*Policy{ultimate, enterprise, pro} {
		if p.Uptime.Target != 0 || !p.RPO.IsZero() || p.Cal != biz || p.Location != time.UTC {
			t.Errorf("%s = %+v", p.Name, p)
		}
	}
	checkResponse(t, ultimate, wall(2*time.Hour), bh(4), bh(4), bh(8))
	checkResponse(t, enterprise, bh(4), bh(4), bh(8), bh(12))
	checkResponse(t, pro, bh(4), bh(8), bh(8), bh(12))

	at := func(mo time.Month, d, h, m int) time.Time { return time.Date(2026, mo, d, h, m, 0, 0, time.UTC) }
	checkDeadlines(t, []deadline{
		// Urgent on Ultimate: 2 hours, 24/7, over midnight into Sunday.
		{"ultimate P1 on a Saturday night", at(12, 19, 23, 0), ultimate.Response["P1"], at(12, 20, 1, 0), ultimate.Cal},
		// High: two hours to Friday midnight, two from Monday 06:00.
		{"ultimate P2 over a weekend", at(12, 18, 22, 0), ultimate.Response["P2"], at(12, 21, 8, 0), ultimate.Cal},
		{"enterprise P1 over a weekend", at(12, 18, 22, 0), enterprise.Response["P1"], at(12, 21, 8, 0), enterprise.Cal},
		// Low on Pro: 2 h on Friday, 10 h on Monday.
		{"pro P4 over a weekend", at(12, 18, 22, 0), pro.Response["P4"], at(12, 21, 16, 0), pro.Cal},
		// Before 06:00 counts from opening.
		{"pro P2 early morning", at(12, 22, 2, 0), pro.Response["P2"], at(12, 22, 14, 0), pro.Cal},
	})
}

// TestShippedTogether includes all four files in one config: their calendar
// and policy names must not clash.
func TestShippedTogether(t *testing.T) {
	var files []string
	for f := range shippedPolicies {
		files = append(files, f)
	}
	slices.Sort(files)
	cfg := loadShipped(t, files...)
	if len(cfg.Files) != 1+len(files) {
		t.Errorf("Files = %q", cfg.Files)
	}
	var pols, cals []string
	for _, f := range files {
		pols = append(pols, shippedPolicies[f]...)
		cals = append(cals, shippedCalendars[f]...)
	}
	for _, p := range pols {
		if cfg.Policy(p) == nil {
			t.Errorf("policy %s is missing", p)
		}
	}
	for _, c := range cals {
		if cfg.Cals[c] == nil {
			t.Errorf("calendar %s is missing", c)
		}
	}
	if len(cfg.Policies) != len(pols) || len(cfg.Cals) != len(cals) {
		t.Errorf("%d policies, %d calendars; want %d, %d", len(cfg.Policies), len(cfg.Cals), len(pols), len(cals))
	}
}

// easter returns Easter Sunday of year y (Gregorian, anonymous algorithm).
func easter(y int) calendar.Date {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	return calendar.Date{Year: y, Month: time.Month((h + l - 7*m + 114) / 31), Day: (h+l-7*m+114)%31 + 1}
}

// usFederal returns the US federal holidays observed in year y: a Saturday
// holiday on the Friday before, a Sunday one on the Monday after, and the
// next New Year's Day when it is observed on December 31.
func usFederal(y int) []calendar.Date {
	nth := func(m time.Month, wd time.Weekday, n int) calendar.Date {
		d := calendar.Date{Year: y, Month: m, Day: 1}
		for d.Weekday() != wd {
			d = d.AddDays(1)
		}
		if n < 0 { // last
			for d.AddDays(7).Month == m {
				d = d.AddDays(7)
			}
			return d
		}
		return d.AddDays(7 * (n - 1))
	}
	observed := func(d calendar.Date) calendar.Date {
		switch d.Weekday() {
		case time.Saturday:
			return d.AddDays(-1)
		case time.Sunday:
			return d.AddDays(1)
		}
		return d
	}
	fixed := func(m time.Month, day int) calendar.Date { return observed(calendar.Date{Year: y, Month: m, Day: day}) }
	out := []calendar.Date{
		fixed(1, 1), nth(1, time.Monday, 3), nth(2, time.Monday, 3), nth(5, time.Monday, -1),
		fixed(6, 19), fixed(7, 4), nth(9, time.Monday, 1), nth(10, time.Monday, 2),
		fixed(11, 11), nth(11, time.Thursday, 4), fixed(12, 25),
	}
	if ny := observed(calendar.Date{Year: y + 1, Month: 1, Day: 1}); ny.Year == y {
		out = append(out, ny)
	}
	return out
}

// TestShippedHolidays checks the holiday lists against rules computed here
// independently: Easter and the feasts that hang on it, the US federal
// holidays, and the weekday written beside every date in the files.
func TestShippedHolidays(t *testing.T) {
	var files []string
	for f := range shippedPolicies {
		files = append(files, f)
	}
	slices.Sort(files)
	cfg := loadShipped(t, files...)

	for name, c := range cfg.Cals {
		for d := range c.Holidays {
			if d.Year != 2026 && d.Year != 2027 {
				t.Errorf("%s: holiday %v is outside 2026-2027", name, d)
			}
		}
	}
	has := func(cal string, d calendar.Date, what string, want bool) {
		t.Helper()
		if got := cfg.Cals[cal].Holidays[d]; got != want {
			t.Errorf("%s: %s %v (%v) holiday = %v, want %v", cal, what, d, d.Weekday(), got, want)
		}
	}
	for _, y := range []int{2026, 2027} {
		e := easter(y)
		for _, cal := range []string{"ultimo-cet", "olcare-americas", "olcare-uk", "olcare-germany",
			"olcare-france", "olcare-netherlands", "olcare-australia", "olcare-24x5", "olcare-24x7"} {
			has(cal, e.AddDays(1), "Easter Monday", true)
		}
		for _, cal := range []string{"olcare-americas", "olcare-uk", "olcare-germany", "olcare-australia", "olcare-24x5"} {
			has(cal, e.AddDays(-2), "Good Friday", true)
		}
		for _, cal := range []string{"ultimo-cet", "olcare-netherlands", "olcare-france"} {
			has(cal, e.AddDays(-2), "Good Friday", false)
		}
		for _, cal := range []string{"ultimo-cet", "olcare-germany", "olcare-france", "olcare-netherlands"} {
			has(cal, e.AddDays(39), "Ascension Day", true)
			has(cal, e.AddDays(50), "Whit Monday", true)
		}
		has("olcare-germany", e.AddDays(60), "Corpus Christi", true)
		has("ultimo-cet", calendar.Date{Year: y, Month: 4, Day: 27}, "King's Day", true)
		has("ultimo-cet", calendar.Date{Year: y, Month: 5, Day: 5}, "Liberation Day (not a lustrum year)", false)
	}
	if e26, e27 := easter(2026), easter(2027); e26 != (calendar.Date{Year: 2026, Month: 4, Day: 5}) ||
		e27 != (calendar.Date{Year: 2027, Month: 3, Day: 28}) {
		t.Errorf("easter = %v, %v", e26, e27)
	}

	// The US calendars hold exactly the federal holidays, observed.
	var federal []calendar.Date
	for _, y := range []int{2026, 2027} {
		federal = append(federal, usFederal(y)...)
	}
	for _, cal := range []string{"openweb-est", "ultimo-cst"} {
		got := cfg.Cals[cal].Holidays
		for _, d := range federal {
			if !got[d] {
				t.Errorf("%s: federal holiday %v (%v) is missing", cal, d, d.Weekday())
			}
		}
		if len(got) != len(federal) {
			t.Errorf("%s: %d holidays, want the %d federal ones", cal, len(got), len(federal))
		}
	}

	// "- 2026-12-25   # Fri Christmas Day": the weekday in the comment is
	// the date's.
	line := regexp.MustCompile(`^\s*- (\d{4}-\d{2}-\d{2})\s+# (\w{3}) `)
	for _, f := range files {
		data, err := os.ReadFile(shippedPolicyFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, l := range strings.Split(string(data), "\n") {
			m := line.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			n++
			d, err := time.Parse("2006-01-02", m[1])
			if err != nil {
				t.Errorf("%s:%d: %v", f, i+1, err)
				continue
			}
			if wd := d.Weekday().String()[:3]; wd != m[2] {
				t.Errorf("%s:%d: %s is a %s, the comment says %s", f, i+1, m[1], wd, m[2])
			}
		}
		if f != "controlup.yaml" && n == 0 {
			t.Errorf("%s: no commented holidays found", f)
		}
	}
}

// TestEscalationDue: escalation steps are counted in the response target's
// own units on the policy's calendar, each from the step before: a P1 under
// Ultimo's 2bh that fires late on a Friday escalates on Monday morning and
// then every two business hours; OpenWeb's wall-clock P1 by the in-hours
// or the outside-hours target, whichever applies where each step starts. Without a target nothing escalates.
func TestEscalationDue(t *testing.T) {
	cfg := loadShipped(t, "ultimo.yaml", "openweb.yaml")
	ams, ny := mustLoc(t, "Europe/Amsterdam"), mustLoc(t, "America/New_York")
	fired := func(svc, sev string, at time.Time) alerts.Alert {
		return alerts.Alert{Labels: map[string]string{alerts.LabelService: svc, alerts.LabelSeverity: sev},
			State: alerts.StateFiring, StartsAt: at, FiredAt: at}
	}
	cases := []struct {
		name string
		a    alerts.Alert
		want []time.Time // levels 1, 2, 3
	}{
		{"Ultimo P1 from Friday 16:30", fired("svc-ultimo-saas", "P1", time.Date(2026, 12, 18, 16, 30, 0, 0, ams)), []time.Time{
			time.Date(2026, 12, 21, 10, 0, 0, 0, ams), time.Date(2026, 12, 21, 12, 0, 0, 0, ams), time.Date(2026, 12, 21, 14, 0, 0, 0, ams)}},
		// 16:00 + 2bh is 09:30 Monday 28th (Christmas, Boxing Day and the
		// weekend skipped); the next two steps the same day.
		{"Ultimo P1 over Christmas", fired("svc-ultimo-saas", "P1", time.Date(2026, 12, 24, 16, 0, 0, 0, ams)), []time.Time{
			time.Date(2026, 12, 28, 9, 30, 0, 0, ams), time.Date(2026, 12, 28, 11, 30, 0, 0, ams), time.Date(2026, 12, 28, 13, 30, 0, 0, ams)}},
		// Outside business hours OpenWeb's P1 target is 4 wall hours, and
		// each step is counted under the regime of the time it starts from.
		{"OpenWeb P1 on a Saturday night", fired("svc-openweb", "P1", time.Date(2026, 12, 26, 23, 0, 0, 0, ny)), []time.Time{
			time.Date(2026, 12, 27, 3, 0, 0, 0, ny), time.Date(2026, 12, 27, 7, 0, 0, 0, ny), time.Date(2026, 12, 27, 11, 0, 0, 0, ny)}},
		// In hours (Monday 15:00) it is 2 wall hours: 17:00 is the end of
		// the business day, so the next step is counted outside hours.
		{"OpenWeb P1 on a Monday afternoon", fired("svc-openweb", "P1", time.Date(2026, 12, 28, 15, 0, 0, 0, ny)), []time.Time{
			time.Date(2026, 12, 28, 17, 0, 0, 0, ny), time.Date(2026, 12, 28, 21, 0, 0, 0, ny), time.Date(2026, 12, 29, 1, 0, 0, 0, ny)}},
	}
	for _, tc := range cases {
		for i, want := range tc.want {
			if got := cfg.EscalationDue(tc.a, i+1); !got.Equal(want) {
				t.Errorf("%s: level %d due %v, want %v", tc.name, i+1, got.In(want.Location()), want)
			}
		}
		if first, _, _, _ := cfg.AlertDeadlines(tc.a); !first.Equal(tc.want[0]) {
			t.Errorf("%s: level 1 is due %v, the response deadline is %v: they must agree", tc.name, tc.want[0], first)
		}
	}
	noTarget := fired("svc-ultimo-saas", "P9", time.Date(2026, 12, 18, 16, 30, 0, 0, ams))
	unknown := fired("nope", "P1", time.Date(2026, 12, 18, 16, 30, 0, 0, ams))
	pending := fired("svc-ultimo-saas", "P1", time.Time{})
	for _, a := range []alerts.Alert{noTarget, unknown, pending} {
		if got := cfg.EscalationDue(a, 1); !got.IsZero() {
			t.Errorf("%v: level 1 due %v, want never", a.Labels, got)
		}
	}
	if got := cfg.EscalationDue(cases[0].a, 0); !got.IsZero() {
		t.Errorf("level 0 due %v, want zero (the first receiver is not an escalation)", got)
	}
}
