package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/store"
)

// policyConfig is e2eConfig with the service under a 99.9%/month policy.
func policyConfig(t *testing.T, dir, listen, url string, interval time.Duration) string {
	t.Helper()
	path := e2eConfig(t, dir, listen, url, interval)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "services:\n", `policies:
  monthly:
    uptime: {target: 99.9, period: month}
    timezone: UTC
services:
`, 1)
	s = strings.Replace(s, "    environment: production\n", "    environment: production\n    policy: monthly\n", 1)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestE2EReportMatchesTargetDowntime: with the daemon watching a target that
// fails on a schedule, the report's downtime is exactly the recorded outage,
// and an outage inside an announced maintenance window counts nothing.
func TestE2EReportMatchesTargetDowntime(t *testing.T) {
	const interval = 100 * time.Millisecond
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := policyConfig(t, dir, addr, target.URL, interval)
	d := startDaemon(t, cfg, addr)
	base := "http://" + addr
	testutil.Eventually(t, 10*time.Second, "service up", func() bool { s, _ := serviceState(t, addr); return s == "up" })

	// Outage A: counts.
	downA := target.SetDown(true)
	testutil.Eventually(t, 10*time.Second, "outage A open", func() bool { _, id := serviceState(t, addr); return id != 0 })
	time.Sleep(500 * time.Millisecond)
	upA := target.SetDown(false)
	testutil.Eventually(t, 10*time.Second, "outage A closed", func() bool { s, id := serviceState(t, addr); return s == "up" && id == 0 })

	// A window announced now for three seconds puts the service in
	// maintenance at once; outage B inside it counts nothing.
	now := time.Now().UTC()
	body := fmt.Sprintf(`{"service":"portal","start":%q,"end":%q,"reason":"db failover test","by":"e2e"}`,
		now.Format(time.RFC3339Nano), now.Add(3*time.Second).Format(time.RFC3339Nano))
	code, win := do(t, "POST", base+"/api/v1/maintenance", testToken, body)
	if code != 201 || win["id"] == nil {
		t.Fatalf("announce maintenance: %d %v", code, win)
	}
	if s, _ := serviceState(t, addr); s != "maintenance" {
		t.Fatalf("state during an announced window = %s, want maintenance", s)
	}
	if !bytes.Contains(fetch(t, base+"/metrics"), []byte(`slawatch_maintenance_active{service="portal"} 1`)) {
		t.Fatal("maintenance_active is not 1 during the window")
	}
	target.SetDown(true)
	testutil.Eventually(t, 10*time.Second, "outage B open", func() bool { _, id := serviceState(t, addr); return id != 0 })
	target.SetDown(false)
	testutil.Eventually(t, 10*time.Second, "outage B closed", func() bool { _, id := serviceState(t, addr); return id == 0 })
	testutil.Eventually(t, 10*time.Second, "maintenance over", func() bool { s, _ := serviceState(t, addr); return s == "up" })

	// The API serves the same report the CLI writes.
	month := downA.UTC().Format("2006-01")
	var apiReport map[string]any
	getJSON(t, base+"/api/v1/reports?service=portal&month="+month, &apiReport)
	if apiReport["service"] != "portal" || apiReport["sla"] != "monthly" {
		t.Fatalf("API report: %v", apiReport)
	}
	d.stop(t)

	st := openStore(t, dir)
	outages, err := st.Outages(context.Background(), store.OutageFilter{Service: "portal"})
	if err != nil {
		t.Fatal(err)
	}
	if len(outages) != 2 {
		t.Fatalf("outages = %+v, want A and B", outages)
	}
	a := outages[0]
	if a.Start.Before(downA.Add(-50*time.Millisecond)) || a.End.After(upA.Add(interval+150*time.Millisecond)) {
		t.Errorf("outage A [%s, %s) does not match the target's downtime [%s, %s) within one interval", a.Start, a.End, downA, upA)
	}

	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
	if rc := e.main([]string{"report", "--config", cfg, "--service", "portal", "--month", month, "--format", "json"}); rc != 0 {
		t.Fatalf("report: exit %d: %s", rc, errb.String())
	}
	var r struct {
		Downtime    float64  `json:"downtime_seconds"`
		Excluded    float64  `json:"excluded_seconds"`
		Uptime      *float64 `json:"uptime_percent"`
		Measured    float64  `json:"measured_seconds"`
		Unmonitored float64  `json:"unmonitored_seconds"`
		Outages     []struct {
			ID      int64   `json:"id"`
			Counted float64 `json:"counted_seconds"`
		} `json:"outages"`
		Maintenance []struct {
			Reason string `json:"reason"`
			Late   bool   `json:"late"`
		} `json:"maintenance"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out.String())
	}
	wantA := a.End.Sub(a.Start).Seconds()
	if r.Downtime != wantA {
		t.Errorf("downtime_seconds = %v, want outage A's %v exactly", r.Downtime, wantA)
	}
	if len(r.Outages) != 2 || r.Outages[0].Counted != wantA || r.Outages[1].Counted != 0 {
		t.Errorf("outage lines = %+v, want A counted in full and B (inside maintenance) not at all", r.Outages)
	}
	if r.Excluded < 2.9 || r.Excluded > 3.1 {
		t.Errorf("excluded_seconds = %v, want the 3 s window\n%s", r.Excluded, out.String())
	}
	if len(r.Maintenance) != 1 || r.Maintenance[0].Reason != "db failover test" {
		t.Errorf("maintenance lines = %+v", r.Maintenance)
	}
	if r.Uptime == nil || *r.Uptime >= 100 || r.Measured <= 0 {
		t.Errorf("uptime %v over measured %v s: want below 100", r.Uptime, r.Measured)
	}

	// An account manager's HTML file: one self-contained document.
	html := filepath.Join(dir, "report.html")
	errb.Reset()
	if rc := e.main([]string{"report", "--config", cfg, "--service", "portal", "--month", month, "--format", "html", "--out", html}); rc != 0 {
		t.Fatalf("report html: exit %d: %s", rc, errb.String())
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "portal", "db failover test"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=\"http", "href=\"http"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("HTML report is not self-contained: has %q", bad)
		}
	}

	// Without --service: a summary of every service.
	out.Reset()
	if rc := e.main([]string{"report", "--config", cfg, "--month", month}); rc != 0 || !strings.Contains(out.String(), "portal") {
		t.Fatalf("summary report: exit %d: %s%s", rc, out.String(), errb.String())
	}
}

// TestE2EStatusPageRenders: the status page renders in a real headless
// browser, with the service's state and to-date uptime.
func TestE2EStatusPageRenders(t *testing.T) {
	chromium := testutil.RequireBinary(t, "chromium")
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := policyConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	startDaemon(t, cfg, addr)
	testutil.Eventually(t, 10*time.Second, "service up", func() bool { s, _ := serviceState(t, addr); return s == "up" })

	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + filepath.Join(dir, "chromium")}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dom, err := exec.CommandContext(ctx, chromium, append(args, "--dump-dom", "http://"+addr+"/")...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	for _, want := range []string{`id="svc-portal"`, `class="state up"`, "Upcoming maintenance"} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("rendered status page lacks %s:\n%s", want, dom)
		}
	}
	png := filepath.Join(dir, "status.png")
	cmd := exec.CommandContext(ctx, chromium, append(args, "--screenshot="+png, "--window-size=1200,800", "http://"+addr+"/")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	b, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	// A blank 1200×800 PNG compresses to a few hundred bytes; a rendered
	// table with text does not.
	if !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 5000 {
		t.Fatalf("screenshot is %d bytes: not a rendered page", len(b))
	}
	if keep := os.Getenv("SLAWATCH_KEEP_SCREENSHOT"); keep != "" {
		_ = os.WriteFile(keep, b, 0o644)
	}
}
