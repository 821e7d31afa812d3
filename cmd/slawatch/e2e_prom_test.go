package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

func fetch(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	return b
}

// TestE2EMetricsPassPromtool: /metrics carries the documented series and is
// clean under `promtool check metrics`.
func TestE2EMetricsPassPromtool(t *testing.T) {
	promtool := testutil.RequireBinary(t, "promtool")
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	startDaemon(t, cfg, addr)
	testutil.Eventually(t, 10*time.Second, "service up", func() bool { s, _ := serviceState(t, addr); return s == "up" })

	body := fetch(t, "http://"+addr+"/metrics")
	for _, want := range []string{
		`slawatch_probe_success{probe="health",service="portal"} 1`,
		`slawatch_probe_duration_seconds_bucket{probe="health",service="portal",le=`,
		`slawatch_probes_total{probe="health",result="success",service="portal"}`,
		`slawatch_service_up{service="portal"} 1`,
		`slawatch_service_state{service="portal",state="up"} 1`,
		`slawatch_service_state{service="portal",state="down"} 0`,
		`slawatch_outages_total{service="portal"} 0`,
		`slawatch_config_last_reload_successful 1`,
		`slawatch_build_info{`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if bytes.Contains(body, []byte(testToken)) {
		t.Error("/metrics shows an API token")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestE2EPrometheusScrapes: a real Prometheus scrapes the daemon and sees
// the service up.
func TestE2EPrometheusScrapes(t *testing.T) {
	prom := testutil.RequireBinary(t, "prometheus")
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	startDaemon(t, cfg, addr)

	promAddr := testutil.FreeAddr(t)
	promCfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(promCfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: slawatch
    static_configs:
      - targets: [%q]
`, addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prom, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &logs}, &syncWriter{w: &logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	query := "http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(`slawatch_service_up{service="portal"}`)
	var last string
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(query)
		if err == nil {
			var r struct {
				Data struct {
					Result []struct {
						Value [2]any `json:"value"`
					} `json:"result"`
				} `json:"data"`
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if json.Unmarshal(b, &r) == nil && len(r.Data.Result) == 1 && r.Data.Result[0].Value[1] == "1" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never saw slawatch_service_up == 1; last answer: %s\nprometheus log:\n%s", last, tail(logs.String(), 3000))
		}
		time.Sleep(250 * time.Millisecond)
	}

	// And the scrape itself is healthy.
	b := fetch(t, "http://"+promAddr+"/api/v1/targets")
	if !strings.Contains(string(b), `"health":"up"`) {
		t.Fatalf("scrape target not healthy: %s", b)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
