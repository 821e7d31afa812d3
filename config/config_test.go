package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/calendar"
	"github.com/slawatch/slawatch/probe"
)

// want is one expected error: the file (relative to testdata/bad), line and
// path exactly, and a substring of the message.
type want struct {
	file string
	line int
	path string
	msg  string
}

// badFixtures maps every testdata/bad/*.yaml to exactly the errors it must
// produce: no fewer (the fault is caught, at the right line) and no more
// (one mistake is not reported again as its consequences).
var badFixtures = map[string][]want{
	"unknown_key.yaml": {{"unknown_key.yaml", 5, "services[0].probes[0].intervall", `unknown key "intervall"; did you mean "interval"?`}},
	"wrong_type.yaml": {
		{"wrong_type.yaml", 2, "defaults.failure_threshold", `want an integer, got "two"`},
		{"wrong_type.yaml", 4, "services", "want a sequence, got a mapping"},
	},
	"wrong_kind.yaml":           {{"wrong_kind.yaml", 2, "policies", "want a mapping, got a sequence"}},
	"bad_duration.yaml":         {{"bad_duration.yaml", 7, "services[0].probes[1].interval", `invalid duration "30x": `}},
	"negative_duration.yaml":    {{"negative_duration.yaml", 2, "defaults.timeout", `duration "-5s" is negative`}},
	"unknown_timezone.yaml":     {{"unknown_timezone.yaml", 4, "policies.mars.timezone", `unknown time zone "Mars/Olympus_Mons"`}},
	"calendar_timezone.yaml":    {{"calendar_timezone.yaml", 4, "calendars.office.timezone", `unknown time zone "Europe/Atlantis"`}},
	"maintenance_timezone.yaml": {{"maintenance_timezone.yaml", 6, "services[0].maintenance[0].timezone", `unknown time zone "Europe/Atlantis"`}},
	"dangling_policy.yaml":      {{"dangling_policy.yaml", 5, "services[0].policy", `unknown policy "silver"; known: gold`}},
	"dangling_calendar.yaml":    {{"dangling_calendar.yaml", 5, "policies.gold.calendar", `unknown calendar "ofice"; known: office`}},
	"duplicate_service.yaml":    {{"duplicate_service.yaml", 4, "services[2].name", `duplicate service "portal" (first at line 2)`}},
	"duplicate_probe.yaml":      {{"duplicate_probe.yaml", 6, "services[0].probes[1].name", `duplicate probe "health" in service "portal" (first at line 4)`}},
	"duplicate_key.yaml":        {{"duplicate_key.yaml", 3, "storage.path", "duplicate key (first at line 2)"}},
	"target_zero.yaml":          {{"target_zero.yaml", 4, "policies.none.uptime.target", "target 0 must be above 0 and at most 100"}},
	"target_over.yaml":          {{"target_over.yaml", 3, "policies.generous.uptime.target", "target 100.5 must be above 0 and at most 100"}},
	"timeout_interval.yaml":     {{"timeout_interval.yaml", 6, "services[0].probes[0].timeout", "timeout 10s must be shorter than interval 5s"}},
	"bad_cron_probe.yaml":       {{"bad_cron_probe.yaml", 5, "services[0].probes[0].schedule", "61"}},
	"bad_cron_maintenance.yaml": {{"bad_cron_maintenance.yaml", 4, "services[0].maintenance[0].schedule", `invalid cron schedule "0 2 * * SUNDAY-ish"`}},
	"maintenance_every.yaml": {
		{"maintenance_every.yaml", 3, "policies.p.late_maintenance", `count`},
		{"maintenance_every.yaml", 8, "services[0].maintenance[0].schedule", `@every`},
	},
	// Reported by probe.Spec.Validate as "http.body_regexp: …" and put at
	// that key's line by the loader.
	"bad_regexp.yaml":        {{"bad_regexp.yaml", 7, "services[0].probes[0].http.body_regexp", "missing closing )"}},
	"no_probe_kind.yaml":     {{"no_probe_kind.yaml", 4, "services[0].probes[0]", "a probe needs one of http, tcp, dns or tls"}},
	"include_forbidden.yaml": {{"inc/forbidden.yaml", 3, "services", "not allowed in an included file"}},
	"include_cycle.yaml":     {{"inc/cycle-b.yaml", 4, "include[0]", "include cycle: cycle-a.yaml -> cycle-b.yaml -> cycle-a.yaml"}},
	"include_missing.yaml":   {{"include_missing.yaml", 2, "include[0]", "does-not-exist.yaml: no such file or directory"}},
	"include_twice.yaml":     {{"include_twice.yaml", 3, "include[1]", "./inc/gold.yaml is already included at "}},
	"include_duplicate.yaml": {{"inc/gold.yaml", 3, "policies.gold", `policy "gold" is already defined at `}},
	"yaml_tab.yaml":          {{"yaml_tab.yaml", 2, "", "invalid YAML: found character that cannot start any token (YAML does not allow tabs"}},
	"two_documents.yaml":     {{"two_documents.yaml", 2, "", "one YAML document"}},
	"maintenance_mix.yaml": {
		{"maintenance_mix.yaml", 4, "services[0].maintenance[0]", "schedule and duration, or start and end, not both"},
		{"maintenance_mix.yaml", 5, "services[0].maintenance[1].end", "end 2026-12-01T22:00:00Z must be after start 2026-12-02T01:00:00Z"},
	},
	"response_key.yaml": {{"response_key.yaml", 8, "policies.gold.response.P5", `unknown severity "P5"; want P1, P2, P3 or P4`}},
	"bad_names.yaml": {
		{"bad_names.yaml", 2, "services[0].name", `service name "customer portal" may hold only`},
		{"bad_names.yaml", 3, "services[1].name", "a service needs a name"},
		{"bad_names.yaml", 3, "services[1].environment", `unknown value "staging"; want production, acceptance, test or development`},
	},
	"raw_retention.yaml":    {{"raw_retention.yaml", 2, "storage.raw_retention", "too short"}},
	"rollup_retention.yaml": {{"rollup_retention.yaml", 3, "storage.rollup_retention", "168h0m0s is shorter than raw_retention (720h0m0s)"}},
}

func TestBadFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := badFixtures[filepath.Base(f)]; !ok {
			t.Errorf("%s has no expected errors in badFixtures", f)
		}
	}
	dir, err := filepath.Abs("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	for name, wants := range badFixtures {
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			cfg, err := Load(filepath.Join("testdata/bad", name))
			if err == nil {
				t.Fatalf("loaded without error: %+v", cfg)
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *Errors: %v", err, err)
			}
			if cfg != nil {
				t.Errorf("config returned with an error")
			}
			got := *errs
			for _, w := range wants {
				file := filepath.Join(dir, w.file)
				found := slices.ContainsFunc(got, func(e *Error) bool {
					return e.File == file && e.Line == w.line && e.Path == w.path && strings.Contains(e.Msg, w.msg)
				})
				if !found {
					t.Errorf("missing error %s:%d: %s: …%s…", w.file, w.line, w.path, w.msg)
				}
			}
			if len(got) != len(wants) {
				t.Errorf("got %d errors, want %d", len(got), len(wants))
			}
			if t.Failed() {
				t.Logf("got:\n%v", err)
			}
		})
	}
}

func TestGoodFixture(t *testing.T) {
	cfg, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	abs := func(p string) string { return filepath.Join(dir, p) }

	if cfg.File != abs("good.yaml") {
		t.Errorf("File = %q", cfg.File)
	}
	if want := []string{abs("good.yaml"), abs("policies/ultimo.yaml")}; !slices.Equal(cfg.Files, want) {
		t.Errorf("Files = %q, want %q", cfg.Files, want)
	}
	// Defaults, and paths made absolute against the config's directory.
	if cfg.Storage.Path != abs("data/slawatch.db") || cfg.Storage.RawRetention != 14*24*time.Hour || cfg.Storage.RollupRetention != 400*24*time.Hour {
		t.Errorf("Storage = %+v", cfg.Storage)
	}
	if cfg.Server.Listen != "127.0.0.1:9477" || cfg.Server.APITokensFile != abs("tokens.txt") {
		t.Errorf("Server = %+v", cfg.Server)
	}
	if cfg.Probing.Concurrency != 512 {
		t.Errorf("Probing = %+v", cfg.Probing)
	}
	if d := cfg.Defaults; d.Interval != 30*time.Second || d.Timeout != 10*time.Second ||
		d.FailureThreshold != 2 || d.SuccessThreshold != 1 {
		t.Errorf("Defaults = %+v", d)
	}

	// The included policy file, with its calendar compiled.
	ul := cfg.Policy("ultimo-saas")
	if ul == nil {
		t.Fatal("policy ultimo-saas from the included file is missing")
	}
	if ul.Name != "ultimo-saas" || ul.Uptime != (UptimeTarget{99.7, "year"}) || ul.Location.String() != "Europe/Amsterdam" ||
		ul.Unmonitored != "exclude" || ul.Degraded != "up" || ul.Cal == nil || ul.Cal != cfg.Cals["ultimo-cet"] {
		t.Errorf("ultimo-saas = %+v", ul)
	}
	if ul.RPO != (calendar.Duration{D: time.Hour}) || ul.RTO != (calendar.Duration{D: 4 * time.Hour}) {
		t.Errorf("rpo, rto = %v, %v", ul.RPO, ul.RTO)
	}
	if r := ul.Retention; r.PointInTime.D != 7*24*time.Hour || r.Weekly != 4 || r.Monthly != 3 {
		t.Errorf("retention = %+v", r)
	}
	if p1 := ul.Response["P1"]; p1.Unit != calendar.BusinessHours || p1.D != 2*time.Hour {
		t.Errorf("response P1 = %+v", p1)
	}
	ow := cfg.Policy("openweb")
	if ow.Uptime.Period != "month" || ow.Response["P3"] != (calendar.Duration{Unit: calendar.BusinessDays, Days: 2}) {
		t.Errorf("openweb = %+v", ow)
	}

	portal := cfg.Service("customer-portal")
	if portal == nil || portal.Pol != ul || portal.Environment != "production" ||
		portal.FailureThreshold != 2 || portal.SuccessThreshold != 1 {
		t.Fatalf("customer-portal = %+v", portal)
	}
	health, api, cert := portal.Probes[0], portal.Probes[1], portal.Probes[2]
	if health.Service != "customer-portal" || health.Interval != 30*time.Second || health.Timeout != 10*time.Second ||
		health.Impact != probe.ImpactDown || health.HTTP.CAFile != abs("certs/ca.pem") ||
		health.HTTP.DegradedLatency != 2*time.Second || !slices.Equal(health.HTTP.Status, []int{200}) {
		t.Errorf("health = %+v %+v", health, health.HTTP)
	}
	if api.Interval != time.Minute || api.Timeout != 5*time.Second || api.TCP.Address != "api.example.com:443" {
		t.Errorf("api = %+v", api)
	}
	if cert.Interval != 0 || cert.Schedule != "@every 1h" || cert.Impact != probe.ImpactDegraded {
		t.Errorf("cert = %+v", cert)
	}

	weekly, oneOff := portal.Maintenance[0], portal.Maintenance[1]
	if weekly.Timezone != "Europe/Amsterdam" || weekly.Location.String() != "Europe/Amsterdam" || weekly.Cron == nil {
		t.Fatalf("weekly maintenance = %+v", weekly)
	}
	// The schedule runs in the policy's zone: 02:00 Amsterdam on a Sunday.
	next := weekly.Cron.Next(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 7, 5, 0, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("weekly next = %v, want %v", next, want)
	}
	if !oneOff.Start.Equal(time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)) || oneOff.Recurring() {
		t.Errorf("one-off maintenance = %+v", oneOff)
	}

	shop := cfg.Service("webshop")
	if shop.Environment != "acceptance" || shop.FailureThreshold != 3 || shop.Pol != ow {
		t.Errorf("webshop = %+v", shop)
	}
	if m := cfg.Service("manual-only"); m == nil || len(m.Probes) != 0 || m.Pol != nil {
		t.Errorf("manual-only = %+v", m)
	}
	if cfg.Service("nope") != nil {
		t.Error("Service(nope) found something")
	}
}

// TestAttribution checks how errors from other packages, which begin with a
// key relative to the value they concern, are put at that key's line.
func TestAttribution(t *testing.T) {
	col := newCollector()
	c := &checker{cfg: &Config{File: "/c.yaml"}, col: col, lines: map[string]loc{
		"services[0].probes[1]":          {file: "/c.yaml", line: 10, keyLine: 10},
		"services[0].probes[1].http":     {file: "/c.yaml", line: 12, keyLine: 12},
		"services[0].probes[1].http.url": {file: "/c.yaml", line: 13, keyLine: 13},
	}}
	keys := c.subErrs("services[0].probes[1]", errors.New(
		"http.url: no host\nhttp.status[1]: 999 is not a status\nnot a key: at the probe\nmethod: not written"))
	want := []string{
		"/c.yaml:13: services[0].probes[1].http.url: no host",
		"/c.yaml:12: services[0].probes[1].http.status[1]: 999 is not a status",
		"/c.yaml:10: services[0].probes[1]: not a key: at the probe",
		"/c.yaml:10: services[0].probes[1].method: not written",
	}
	var got []string
	for _, e := range col.errs {
		got = append(got, e.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !keys["http"] || !keys["http.url"] || !keys["method"] {
		t.Errorf("keys = %v", keys)
	}
}

func TestParseEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string // "" for no error, else a regexp over the whole error
	}{
		{"empty", "", ""},
		{"null document", "~\n", ""},
		{"comment only", "# nothing\n", ""},
		{"empty section", "storage:\n", ""},
		{"scalar document", "hello\n", `^t\.yaml:1: want a mapping, got "hello"$`},
		{"merge key", "probing:\n  <<: {concurrency: 3}\n", ""},
		{"merge of a list", "defaults:\n  <<: [{timeout: 2s}, {timeout: 3s, interval: 1m}]\n", ""},
		{"anchored service", "services:\n  - &s {name: a, probes: [{name: p, tcp: {address: 'x:1'}}]}\n  - <<: *s\n    name: b\n", ""},
		{"self-containing alias", "storage: &s {path: x, <<: *s}\n", `^t\.yaml:1: storage: alias \*s refers to a value that contains it$`},
		{"alias loop in a list", "calendars: {c: {days: &d [*d]}}\n", `^t\.yaml:1: calendars\.c\.days\[0\]: want a string, got a sequence$`},
		{"unknown anchor", "storage:\n  path: *nope\n", `^t\.yaml:2: invalid YAML: unknown anchor 'nope' referenced$`},
		{"null list items", "services: [~]\n", `^t\.yaml:1: services\[0\]\.name: a service needs a name$`},
		{"overflow", "probing: {concurrency: 99999999999999999999}\n", `probing\.concurrency: 99999999999999999999 is out of range$`},
		{"float into int", "probing: {concurrency: 1.5}\n", `probing\.concurrency: want an integer, got "1\.5"$`},
		{"decimal, not octal", "probing: {concurrency: 010}\n", ""},
		{"nan target", "policies: {g: {uptime: {target: .nan}}}\n", `want a number, got "\.nan"`},
		{"custom tag", "storage: !foo {path: x}\n", `storage: unsupported YAML tag "!foo"`},
		{"bool", "services: [{name: a, probes: [{name: p, tls: {address: 'x:1', insecure_skip_verify: yes}}]}]\n", `insecure_skip_verify: want true or false, got "yes"$`},
		{"time", "services: [{name: a, maintenance: [{start: 2026-01-01, end: 2026-01-02T00:00:00Z}]}]\n", `maintenance\[0\]\.start: invalid time "2026-01-01"`},
		{"map key not a string", "? [a]\n: b\n", `^t\.yaml:1: a key must be a string, got a sequence$`},
		{"business time without a calendar", "policies: {g: {rto: 5bd}}\n", `policies\.g\.rto: 5bd is business time`},
		{"uptime without target", "policies: {g: {uptime: {period: year}}}\n", `policies\.g\.uptime\.target: an uptime promise needs a target`},
		{"both intervals", "defaults: {interval: 1m, schedule: '@hourly'}\n", `defaults\.schedule: set interval or schedule, not both$`},
		{"bad default schedule reported once", "defaults: {schedule: bad}\nservices: [{name: a, probes: [{name: p, tcp: {address: 'x:1'}}, {name: q, tcp: {address: 'x:1'}}]}]\n",
			`^t\.yaml:1: defaults\.schedule: invalid cron schedule "bad"[^\n]*$`},
		{"cron tz prefix alone", "services: [{name: a, probes: [{name: p, schedule: 'TZ=UTC', tcp: {address: 'x:1'}}]}]\n", `schedule: invalid cron schedule "TZ=UTC"`},
		{"never fires", "services: [{name: a, maintenance: [{schedule: '0 0 30 2 *', duration: 1h}]}]\n", `never fires`},
		{"timeout from defaults", "services: [{name: a, probes: [{name: p, interval: 5s, tcp: {address: 'x:1'}}]}]\n", `probes\[0\]\.interval: timeout 10s \(from defaults\.timeout\) must be shorter than interval 5s$`},
		{"two kinds", "services: [{name: a, probes: [{name: p, tcp: {address: 'x:1'}, tls: {address: 'x:1'}}]}]\n", `probes\[0\]: a probe has exactly one of http, tcp, dns or tls, got tcp and tls$`},
		{"probe without a name", "services: [{name: a, probes: [{tcp: {address: 'x:1'}}]}]\n", `^t\.yaml:1: services\[0\]\.probes\[0\]\.name: a probe needs a name$`},
		{"quoted map key", "calendars: {'a b': {}}\n", `^t\.yaml:1: calendars\["a b"\]: calendar name "a b" may hold only`},
		{"tokens both ways", "server: {api_tokens_file: t, api_tokens_env: T}\n", `server\.api_tokens_env: set api_tokens_file or api_tokens_env, not both`},
		{"listen", "server: {listen: nope}\n", `server\.listen: want host:port`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tc.in))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			msg := strings.ReplaceAll(err.Error(), filepath.Join(mustAbs(t, "."), "t.yaml"), "t.yaml")
			if !regexp.MustCompile(tc.want).MatchString(msg) {
				t.Errorf("error\n%s\ndoes not match %s", msg, tc.want)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestMergeKeysGiveWay(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`
defaults:
  <<: [{timeout: 2s, interval: 1m}, {timeout: 3s, failure_threshold: 4}]
  interval: 2m
`))
	if err != nil {
		t.Fatal(err)
	}
	// Written keys beat merged ones; earlier merges beat later ones.
	if d := cfg.Defaults; d.Interval != 2*time.Minute || d.Timeout != 2*time.Second || d.FailureThreshold != 4 {
		t.Errorf("defaults = %+v", d)
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("calendars: {c: {days: *a9}}\n")
	start := time.Now()
	_, err := Parse("t.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	var errs *Errors
	if !errors.As(err, &errs) || len(*errs) > maxErrors+1 {
		t.Errorf("errors: %d", len(*errs))
	}
}

func TestErrorsSortedAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("main.yaml", "services:\n  - name: a\n    policy: nope\ninclude: [b.yaml]\nprobing: {concurrency: 0}\n")
	write("b.yaml", "\npolicies:\n  p: {timezone: Nowhere/Land, uptime: {target: 101}}\n")
	_, err := Load(filepath.Join(dir, "main.yaml"))
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatal(err)
	}
	var got []string
	for _, e := range *errs {
		got = append(got, filepath.Base(e.File)+":"+strconv.Itoa(e.Line)+": "+e.Path)
	}
	want := []string{"b.yaml:3: policies.p.uptime.target", "b.yaml:3: policies.p.timezone",
		"main.yaml:3: services[0].policy", "main.yaml:5: probing.concurrency"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAPITokens(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tokens.txt")
	if err := os.WriteFile(file, []byte("# ops\nalpha\n\n  beta  \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Config{Server: Server{APITokensFile: file}}
	got, err := c.APITokens()
	if err != nil || !slices.Equal(got, []string{"alpha", "beta"}) {
		t.Errorf("file tokens = %q, %v", got, err)
	}

	if err := os.WriteFile(file, []byte("s3cret token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.APITokens(); err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), file+":1") {
		t.Errorf("bad token line: %v", err)
	}

	c = &Config{Server: Server{APITokensEnv: "SLAWATCH_TEST_TOKENS"}}
	t.Setenv("SLAWATCH_TEST_TOKENS", "one, two\nthree,")
	got, err = c.APITokens()
	if err != nil || !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("env tokens = %q, %v", got, err)
	}
	// An empty or unset variable means no write access, not a broken
	// config: the shipped example names one and must run without it.
	t.Setenv("SLAWATCH_TEST_TOKENS", " , ")
	if got, err := c.APITokens(); got != nil || err != nil {
		t.Errorf("empty env: %q, %v; want no tokens and no error", got, err)
	}

	if got, err := (&Config{}).APITokens(); got != nil || err != nil {
		t.Errorf("unconfigured = %q, %v", got, err)
	}
}

func TestRedacted(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`
services:
  - name: a
    probes:
      - name: p
        http: {url: "https://user:hunter2@example.com/", headers: {Authorization: "Bearer abc"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Redacted()
	h := r.Service("a").Probes[0].HTTP
	if strings.Contains(h.URL, "hunter2") || h.Headers["Authorization"] != "<secret>" {
		t.Errorf("redacted http = %+v", h)
	}
	// The original is untouched.
	if h := cfg.Services[0].Probes[0].HTTP; h.Headers["Authorization"] != "Bearer abc" || !strings.Contains(h.URL, "hunter2") {
		t.Errorf("original changed: %+v", h)
	}
}

func TestPathHelpers(t *testing.T) {
	for _, tc := range []struct{ path, parent string }{
		{"services[3].probes[0].interval", "services[3].probes[0]"},
		{"services[3].probes[0]", "services[3].probes"},
		{"services[3]", "services"},
		{"services", ""},
		{`calendars["a.b"].timezone`, `calendars["a.b"]`},
		{`calendars["a.b"]`, "calendars"},
		{`x.headers["a]\"b"]`, "x.headers"},
	} {
		if got := parentPath(tc.path); got != tc.parent {
			t.Errorf("parentPath(%q) = %q, want %q", tc.path, got, tc.parent)
		}
	}
	if got := fieldPath("calendars", "a.b"); got != `calendars["a.b"]` {
		t.Errorf("fieldPath = %q", got)
	}
}
