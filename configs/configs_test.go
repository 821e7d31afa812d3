package configs

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/slawatch/slawatch/internal/testutil"
)

const (
	rulesFile     = "prometheus/slawatch.rules.yml"
	rulesTestFile = "prometheus/slawatch.rules.test.yml"
	dashboardFile = "grafana/slawatch-dashboard.json"
	unitFile      = "systemd/slawatch.service"
	metricsGo     = "../daemon/metrics.go"
)

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func promtool(t *testing.T, args ...string) {
	t.Helper()
	bin := testutil.RequireBinary(t, "promtool")
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestPromtoolCheckRules(t *testing.T) {
	promtool(t, "check", "rules", rulesFile)
}

func TestPromtoolTestRules(t *testing.T) {
	promtool(t, "test", "rules", rulesTestFile)
}

// rulesDoc is what the tests read of a Prometheus rules file.
type rulesDoc struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) rulesDoc {
	t.Helper()
	var doc rulesDoc
	if err := yaml.Unmarshal([]byte(readFile(t, rulesFile)), &doc); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return doc
}

// recorded lists the names the rules file records.
func recorded(t *testing.T) []string {
	var names []string
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				names = append(names, r.Record)
			}
		}
	}
	return names
}

func TestRulesComplete(t *testing.T) {
	doc := loadRules(t)
	alerts := map[string]bool{}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				if !regexp.MustCompile(`^slawatch:[a-z0-9_]+(:[a-z0-9_]+)?$`).MatchString(r.Record) {
					t.Errorf("recording rule %q: want slawatch:metric[:operations]", r.Record)
				}
				continue
			}
			alerts[r.Alert] = true
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("alert %s: severity label %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("alert %s: no %s annotation", r.Alert, a)
				}
			}
		}
	}
	for _, want := range []string{
		"SlawatchDown", "SlawatchConfigReloadFailed", "SlawatchProbesSkipped",
		"SlawatchNotificationQueueStuck", "SlawatchBackupSourceDown",
		"SLAUptimeBelowTarget", "SLAErrorBudgetExhausted", "BackupRPOBreached", "CertificateExpiringSoon",
	} {
		if !alerts[want] {
			t.Errorf("no alert %s in %s", want, rulesFile)
		}
	}
	for _, want := range []string{"slawatch:probe_success:ratio_rate5m", "slawatch:probe_duration_seconds:p99_5m"} {
		if !slices.Contains(recorded(t), want) {
			t.Errorf("no recording rule %s in %s", want, rulesFile)
		}
	}
}

// definedMetrics returns the metric names daemon/metrics.go registers, and
// which of them are histograms.
func definedMetrics(t *testing.T) (names, histograms map[string]bool) {
	t.Helper()
	src := readFile(t, metricsGo)
	names, histograms = map[string]bool{}, map[string]bool{}
	for _, m := range regexp.MustCompile(`Name: "(slawatch_[a-z0-9_]+)"`).FindAllStringSubmatch(src, -1) {
		names[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`HistogramOpts\{\s*Name: "(slawatch_[a-z0-9_]+)"`).FindAllStringSubmatch(src, -1) {
		histograms[m[1]] = true
	}
	if len(names) < 20 || len(histograms) == 0 {
		t.Fatalf("%s: found %d metric names and %d histograms; has the file's layout changed?", metricsGo, len(names), len(histograms))
	}
	return names, histograms
}

var usedMetric = regexp.MustCompile(`\bslawatch_[a-z0-9_]+`)

// TestMetricNamesExist checks every slawatch_* name the rules and the
// dashboard use against the metrics the daemon defines, so that a renamed
// metric cannot silently blank a panel or disarm an alert.
func TestMetricNamesExist(t *testing.T) {
	names, histograms := definedMetrics(t)
	exists := func(name string) bool {
		if names[name] {
			return true
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && histograms[base] {
				return true
			}
		}
		return false
	}
	for _, file := range []string{rulesFile, rulesTestFile, dashboardFile} {
		used := map[string]bool{}
		for _, name := range usedMetric.FindAllString(readFile(t, file), -1) {
			used[name] = true
		}
		if len(used) == 0 {
			t.Errorf("%s uses no slawatch_* metric", file)
		}
		for name := range used {
			if !exists(name) {
				t.Errorf("%s uses %s, which %s does not define", file, name, metricsGo)
			}
		}
	}
	// Recording rules the dashboard refers to must be recorded.
	rec := recorded(t)
	for _, name := range regexp.MustCompile(`\bslawatch:[a-z0-9_]+(:[a-z0-9_]+)?`).FindAllString(readFile(t, dashboardFile), -1) {
		if !slices.Contains(rec, name) {
			t.Errorf("%s refers to %s, which %s does not record", dashboardFile, name, rulesFile)
		}
	}
}

type dashboard struct {
	SchemaVersion int `json:"schemaVersion"`
	UID           string
	Title         string
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Definition string          `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasource              `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		Datasource *datasource `json:"datasource"`
		Expr       string      `json:"expr"`
		RefID      string      `json:"refId"`
	} `json:"targets"`
}

type datasource struct {
	Type, UID string
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal([]byte(readFile(t, dashboardFile)), &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.SchemaVersion < 36 || d.SchemaVersion > 41 {
		t.Errorf("schemaVersion %d, want about 39", d.SchemaVersion)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard has no uid or title")
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Name == "service" && !strings.Contains(v.Definition+string(v.Query), "label_values(slawatch_service_up, service)") {
			t.Errorf("variable service: want label_values(slawatch_service_up, service), got %s", v.Query)
		}
	}
	if vars["DS_PROMETHEUS"] != "datasource" {
		t.Error("no datasource variable DS_PROMETHEUS")
	}
	if vars["service"] != "query" {
		t.Error("no query variable service")
	}
	ids := map[int]bool{}
	cells := map[[2]int]string{}
	targets := 0
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel %q: id %d used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: bad gridPos %+v", p.Title, g)
		}
		for y := g.Y; y < g.Y+g.H; y++ {
			for x := g.X; x < g.X+g.W; x++ {
				if other, ok := cells[[2]int{x, y}]; ok {
					t.Errorf("panel %q overlaps %q", p.Title, other)
				}
				cells[[2]int{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no queries", p.Title)
		}
		for _, tg := range p.Targets {
			targets++
			ds := tg.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			if ds == nil || ds.UID != "${DS_PROMETHEUS}" {
				t.Errorf("panel %q query %s: datasource %+v, want uid ${DS_PROMETHEUS}", p.Title, tg.RefID, ds)
			}
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q query %s: empty expr", p.Title, tg.RefID)
			}
		}
	}
	for _, want := range []string{
		"slawatch_service_up", "slawatch_uptime_ratio", "slawatch_uptime_target_ratio",
		"slawatch_error_budget_remaining_seconds", "slawatch_probe_duration_seconds_bucket",
		"slawatch_probes_total", "slawatch_backup_age_seconds", "slawatch_backup_rpo_seconds",
		"slawatch_backup_retention_met", "slawatch_alerts_firing", "slawatch_notification_queue_length",
	} {
		if !strings.Contains(readFile(t, dashboardFile), want) {
			t.Errorf("no panel uses %s", want)
		}
	}
	if targets == 0 {
		t.Fatal("dashboard has no queries")
	}
}

// TestDashboardQueriesParse has promtool parse every dashboard query (with
// Grafana's variables filled in) as a recording rule.
func TestDashboardQueriesParse(t *testing.T) {
	d := loadDashboard(t)
	vars := strings.NewReplacer("$__rate_interval", "5m", "$service", "portal", "$set", "portal-db")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if strings.Contains(vars.Replace(tg.Expr), "$") {
				t.Errorf("panel %q query %s: unknown variable in %s", p.Title, tg.RefID, tg.Expr)
			}
			expr, _ := json.Marshal(vars.Replace(tg.Expr)) // a JSON string is a YAML string
			n++
			fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %s\n", n, expr)
		}
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	promtool(t, "check", "rules", file)
}

// TestSystemdUnitHardened checks the unit's sandboxing keys, so that a
// loosened unit is a deliberate change.
func TestSystemdUnitHardened(t *testing.T) {
	keys := map[string][]string{}
	section := ""
	for i, line := range strings.Split(readFile(t, unitFile), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "["):
			section = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s:%d: not key=value: %s", unitFile, i+1, line)
			continue
		}
		if section == "[Service]" {
			keys[k] = append(keys[k], v)
		}
	}
	want := map[string]string{
		"Type":                    "simple",
		"ExecStart":               "/usr/local/bin/slawatch run --config /etc/slawatch/slawatch.yaml",
		"ExecReload":              "/bin/kill -HUP $MAINPID",
		"User":                    "slawatch",
		"DynamicUser":             "no",
		"StateDirectory":          "slawatch",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectControlGroups":    "yes",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"RestrictNamespaces":      "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		"CapabilityBoundingSet":   "",
		"ReadWritePaths":          "/var/lib/slawatch",
		"Restart":                 "on-failure",
		"TimeoutStopSec":          "30",
	}
	var missing []string
	for k, v := range want {
		got, ok := keys[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		if len(got) != 1 || got[0] != v {
			t.Errorf("%s: %s=%q, want exactly %s=%s", unitFile, k, got, k, v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: [Service] lacks %s", unitFile, strings.Join(missing, ", "))
	}
}
