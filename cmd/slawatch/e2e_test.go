package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// The end-to-end tests run the real binary against real local targets and a
// real SQLite file, and kill it the way an operator or the OOM killer would.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "slawatch-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "slawatch")
		out, err := exec.Command("go", "build", "-race", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

const testToken = "e2e-secret-token"

// e2eConfig writes a config with one service probing url every interval.
func e2eConfig(t *testing.T, dir, listen, url string, interval time.Duration) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "tokens.txt"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`storage:
  path: slawatch.db
server:
  listen: %s
  api_tokens_file: tokens.txt
defaults:
  interval: %s
  timeout: %s
  failure_threshold: 2
  success_threshold: 1
services:
  - name: portal
    environment: production
    probes:
      - name: health
        http: {url: %q, status: [200], body_contains: ok}
`, listen, interval, interval/2, url)
	path := filepath.Join(dir, "slawatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type daemonProc struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	done   chan error
}

func startDaemon(t *testing.T, cfg, addr string) *daemonProc {
	t.Helper()
	p := &daemonProc{addr: addr, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(binary(t), "run", "--config", cfg)
	p.cmd.Stderr = &syncWriter{w: p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	testutil.Eventually(t, 20*time.Second, "daemon ready", func() bool {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

func (p *daemonProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("daemon exited with %v after SIGTERM\n%s", err, p.stderr)
		}
		p.done <- nil
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon did not stop within 20s of SIGTERM\n%s", p.stderr)
	}
}

func (p *daemonProc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := <-p.done
	p.done <- err
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

type servicesResp struct {
	Services []struct {
		Name       string `json:"name"`
		State      string `json:"state"`
		OpenOutage *struct {
			ID    int64     `json:"id"`
			Start time.Time `json:"start"`
		} `json:"open_outage"`
	} `json:"services"`
}

func serviceState(t *testing.T, addr string) (state string, openID int64) {
	var r servicesResp
	getJSON(t, "http://"+addr+"/api/v1/services", &r)
	if len(r.Services) != 1 {
		t.Fatalf("services = %+v", r.Services)
	}
	s := r.Services[0]
	if s.OpenOutage != nil {
		openID = s.OpenOutage.ID
	}
	return s.State, openID
}

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "slawatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestE2EOutageMatchesTargetDowntime: a target that fails on a schedule gives
// one outage whose edges match its downtime within one probe interval, and a
// single failed probe opens none.
func TestE2EOutageMatchesTargetDowntime(t *testing.T) {
	const interval = 200 * time.Millisecond
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, interval)
	d := startDaemon(t, cfg, addr)

	testutil.Eventually(t, 10*time.Second, "service up", func() bool { s, _ := serviceState(t, addr); return s == "up" })
	// One failed probe with failure_threshold 2 opens no outage.
	hits := target.Hits()
	target.FailNext(1)
	testutil.Eventually(t, 10*time.Second, "three more probes", func() bool { return target.Hits() >= hits+3 })

	downAt := target.SetDown(true)
	testutil.Eventually(t, 10*time.Second, "outage open", func() bool { _, id := serviceState(t, addr); return id != 0 })
	time.Sleep(3 * interval) // stays one outage while it lasts
	upAt := target.SetDown(false)
	testutil.Eventually(t, 10*time.Second, "service up again", func() bool { s, id := serviceState(t, addr); return s == "up" && id == 0 })
	d.stop(t)

	st := openStore(t, dir)
	outages, err := st.Outages(context.Background(), store.OutageFilter{Service: "portal"})
	if err != nil {
		t.Fatal(err)
	}
	if len(outages) != 1 {
		t.Fatalf("got %d outages, want exactly 1: %+v", len(outages), outages)
	}
	o := outages[0]
	// A probe that began just before the switch may see the new state, so
	// allow a little before the switch as well as one interval after it.
	const early = 50 * time.Millisecond
	slack := interval + 100*time.Millisecond
	if o.Start.Before(downAt.Add(-early)) || o.Start.After(downAt.Add(slack)) {
		t.Errorf("outage start %s, target went down at %s: want within one interval", o.Start, downAt)
	}
	if o.End.Before(upAt.Add(-early)) || o.End.After(upAt.Add(slack)) {
		t.Errorf("outage end %s, target came back at %s: want within one interval", o.End, upAt)
	}
	if o.Cause == "" || !strings.Contains(o.Cause, "503") {
		t.Errorf("outage cause %q, want the failure reason naming status 503", o.Cause)
	}
}

// TestE2EKill9MidOutage: an outage open when the daemon is killed goes on
// after a restart and closes once; monitored time has an exact gap.
func TestE2EKill9MidOutage(t *testing.T) {
	const interval = 200 * time.Millisecond
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	target.SetDown(true)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, interval)

	d1 := startDaemon(t, cfg, addr)
	var firstID int64
	testutil.Eventually(t, 10*time.Second, "outage open", func() bool { _, firstID = serviceState(t, addr); return firstID != 0 })
	time.Sleep(1500 * time.Millisecond) // results are flushed once a second: let one flush land
	d1.kill9(t)
	time.Sleep(500 * time.Millisecond) // an unmonitored gap

	d2 := startDaemon(t, cfg, addr)
	state, id := serviceState(t, addr)
	if state != "down" || id != firstID {
		t.Fatalf("after restart: state %s, open outage %d; want down with outage %d going on", state, id, firstID)
	}
	time.Sleep(2 * interval)
	target.SetDown(false)
	testutil.Eventually(t, 10*time.Second, "outage closed", func() bool { _, id := serviceState(t, addr); return id == 0 })
	d2.stop(t)

	st := openStore(t, dir)
	ctx := context.Background()
	outages, err := st.Outages(ctx, store.OutageFilter{Service: "portal"})
	if err != nil {
		t.Fatal(err)
	}
	if len(outages) != 1 || outages[0].ID != firstID || outages[0].Open() {
		t.Fatalf("outages = %+v, want outage %d alone and closed", outages, firstID)
	}
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}

	// Monitored spans: the killed run's ends at its last written result, the
	// next begins at its first, so the unmonitored gap is exact.
	spans, err := st.MonitoredSpans(ctx, "portal", time.Time{}, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 {
		t.Fatalf("monitored spans = %+v, want 2 (one per run)", spans)
	}
	results, err := st.Results(ctx, "portal", "health", time.Time{}, time.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	var lastOfRun1, firstOfRun2 time.Time
	for _, r := range results {
		if !r.Start.After(spans[0].End) {
			lastOfRun1 = r.Start
		} else if firstOfRun2.IsZero() {
			firstOfRun2 = r.Start
		}
	}
	if !spans[0].End.Equal(lastOfRun1) {
		t.Errorf("first span ends %s, last result of the killed run at %s", spans[0].End, lastOfRun1)
	}
	if !spans[1].Start.Equal(firstOfRun2) {
		t.Errorf("second span starts %s, first result of the new run at %s", spans[1].Start, firstOfRun2)
	}
	gap := uptime.Interval{Start: spans[0].End, End: spans[1].Start}.Duration()
	if gap < 500*time.Millisecond {
		t.Errorf("unmonitored gap %s, want at least the 500ms the daemon was dead", gap)
	}
}

// TestE2EExampleConfigRuns: the shipped example config (what `make run`
// uses) starts on a machine with no network and no token variable, and its
// self-probe turns the service up with month-to-date uptime in the metrics.
func TestE2EExampleConfigRuns(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "configs", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := testutil.FreeAddr(t)
	cfg := strings.ReplaceAll(string(src), "127.0.0.1:9477", addr)
	cfg = strings.Replace(cfg, "interval: 15s", "interval: 200ms", 1)
	cfg = strings.Replace(cfg, "timeout: 5s", "timeout: 100ms", 1)
	if err := os.MkdirAll(filepath.Join(dir, "configs"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "configs", "example.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLAWATCH_API_TOKENS", "")
	d := startDaemon(t, path, addr)
	var r servicesResp
	testutil.Eventually(t, 10*time.Second, "slawatch-self up", func() bool {
		getJSON(t, "http://"+addr+"/api/v1/services", &r)
		return len(r.Services) == 1 && r.Services[0].Name == "slawatch-self" && r.Services[0].State == "up"
	})
	testutil.Eventually(t, 40*time.Second, "month-to-date uptime in the metrics", func() bool {
		return bytes.Contains(fetch(t, "http://"+addr+"/metrics"), []byte(`slawatch_uptime_ratio{period="month",service="slawatch-self",sla="example-monthly"}`))
	})
	d.stop(t)
	if _, err := os.Stat(filepath.Join(dir, "data", "slawatch.db")); err != nil {
		t.Fatalf("store not created next to the config's ../data: %v", err)
	}
}
