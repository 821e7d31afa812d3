package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/internal/testutil"
)

// hookServer is a webhook receiver that fails its first `fail` requests
// and records the payloads it accepts.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	fail     int
	accepted []alerts.WebhookPayload
	secret   []byte
	badSig   int
}

func newHookServer(t *testing.T, fail int, secret string) *hookServer {
	h := &hookServer{fail: fail, secret: []byte(secret)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail > 0 {
			h.fail--
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if !alerts.VerifySignature(h.secret, body, r.Header.Get(alerts.SignatureHeader)) {
			h.badSig++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p alerts.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.accepted = append(h.accepted, p)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) statuses() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, p := range h.accepted {
		out = append(out, p.Status+":"+p.Alert.Labels["alertname"])
	}
	return out
}

// startAlertmanager runs a real Alertmanager on addr.
func startAlertmanager(t *testing.T, bin, dir, addr string) func() {
	t.Helper()
	cfg := filepath.Join(dir, "am.yml")
	if err := os.WriteFile(cfg, []byte("route: {receiver: blackhole, group_wait: 0s}\nreceivers: [{name: blackhole}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "am-data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &syncWriter{w: &logs}, &syncWriter{w: &logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	t.Cleanup(stop)
	testutil.Eventually(t, 30*time.Second, "alertmanager ready", func() bool {
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return stop
}

type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State string `json:"state"`
	} `json:"status"`
	EndsAt time.Time `json:"endsAt"`
}

func amAlerts(t *testing.T, addr string) []amAlert {
	var out []amAlert
	resp, err := http.Get("http://" + addr + "/api/v2/alerts")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// TestE2EAlertsReachAlertmanagerAndWebhook: a production service going down
// pages P1 through a real Alertmanager and a signed webhook; raised while
// Alertmanager is down, the alert arrives once it is up, across a daemon
// kill -9 and restart; the webhook, failing at first, gets exactly one
// firing and one resolved message; the resolve reaches Alertmanager too.
func TestE2EAlertsReachAlertmanagerAndWebhook(t *testing.T) {
	amBin := testutil.RequireBinary(t, "prometheus-alertmanager")
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	hook := newHookServer(t, 2, "hook-secret")
	if err := os.WriteFile(filepath.Join(dir, "hook.secret"), []byte("hook-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	amAddr := testutil.FreeAddr(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	b, _ := os.ReadFile(cfg)
	// damping 0: resolve at once (the default holds a resolve back 5m in
	// case the service flaps).
	b = append(b, fmt.Sprintf(`alerts:
  damping: 0s
  receivers:
    - {name: am, alertmanager: {url: "http://%s"}}
    - {name: hook, webhook: {url: %q, secret_file: hook.secret}}
  routes:
    - {match: {severity: [P1]}, receivers: [am], continue: true}
    - {receivers: [hook]}
`, amAddr, hook.URL)...)
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}

	// Down before anyone listens: the page is queued, not lost.
	target.SetDown(true)
	d1 := startDaemon(t, cfg, addr)
	testutil.Eventually(t, 20*time.Second, "ServiceDown firing", func() bool {
		var r struct{ Alerts []apiAlert }
		getJSON(t, "http://"+addr+"/api/v1/alerts", &r)
		for _, a := range r.Alerts {
			if a.Labels["alertname"] == "ServiceDown" && a.State == "firing" {
				return a.Labels["severity"] == "P1"
			}
		}
		return false
	})
	time.Sleep(time.Second) // a first failed attempt at Alertmanager
	d1.kill9(t)

	startAlertmanager(t, amBin, dir, amAddr)
	d2 := startDaemon(t, cfg, addr)
	testutil.Eventually(t, 60*time.Second, "the P1 in Alertmanager", func() bool {
		for _, a := range amAlerts(t, amAddr) {
			if a.Labels["alertname"] == "ServiceDown" && a.Labels["service"] == "portal" && a.Status.State == "active" {
				return a.Labels["severity"] == "P1"
			}
		}
		return false
	})
	testutil.Eventually(t, 60*time.Second, "the webhook's firing message", func() bool { return len(hook.statuses()) >= 1 })

	// Recovery resolves it everywhere.
	target.SetDown(false)
	testutil.Eventually(t, 60*time.Second, "resolved in Alertmanager", func() bool {
		for _, a := range amAlerts(t, amAddr) {
			if a.Labels["alertname"] == "ServiceDown" && a.Status.State == "active" && a.EndsAt.After(time.Now()) {
				return false
			}
		}
		return true
	})
	testutil.Eventually(t, 60*time.Second, "the webhook's resolved message", func() bool { return len(hook.statuses()) >= 2 })
	time.Sleep(2 * time.Second) // nothing more should arrive
	if got := hook.statuses(); strings.Join(got, ",") != "firing:ServiceDown,resolved:ServiceDown" {
		t.Errorf("webhook got %v, want exactly one firing and one resolved", got)
	}
	if hook.badSig != 0 {
		t.Errorf("%d webhook requests with a bad signature", hook.badSig)
	}
	m := string(fetch(t, "http://"+addr+"/metrics"))
	for _, want := range []string{`slawatch_notifications_total{receiver="hook",result="retry"}`, `slawatch_alerts_firing{severity="P1"} 0`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	d2.stop(t)
}

type apiAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

// TestE2EAlertRepeatEscalateAck: an unacknowledged P1 repeats every
// repeat_interval and escalates to the route's next receiver at its
// response deadline; acknowledging stops both; the resolve reaches every
// receiver it reached.
func TestE2EAlertRepeatEscalateAck(t *testing.T) {
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	first, second := newHookServer(t, 0, "s1"), newHookServer(t, 0, "s2")
	for name, secret := range map[string]string{"s1.secret": "s1", "s2.secret": "s2"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := testutil.FreeAddr(t)
	cfg := policyConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	b, _ := os.ReadFile(cfg)
	s := strings.Replace(string(b), "    timezone: UTC\n", "    timezone: UTC\n    response: {P1: 4s}\n", 1)
	s += fmt.Sprintf(`alerts:
  damping: 0s
  receivers:
    - {name: first, webhook: {url: %q, secret_file: s1.secret}}
    - {name: second, webhook: {url: %q, secret_file: s2.secret}}
  routes:
    - {receivers: [first, second], repeat_interval: 2s}
`, first.URL, second.URL)
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, cfg, addr)
	base := "http://" + addr

	target.SetDown(true)
	testutil.Eventually(t, 30*time.Second, "a repeat to the first receiver", func() bool { return len(first.statuses()) >= 2 })
	testutil.Eventually(t, 30*time.Second, "escalation to the second receiver", func() bool { return len(second.statuses()) >= 1 })
	// Judged on the messages' own times, not on when this test looked, so a
	// loaded machine cannot make it flaky: the second receiver hears of the
	// alert no earlier than the response deadline (fired + 4s), the first
	// at once and again after the repeat interval.
	second.mu.Lock()
	esc := second.accepted[0]
	second.mu.Unlock()
	if esc.Alert.FiredAt == nil || esc.SentAt.Before(esc.Alert.FiredAt.Add(4*time.Second)) {
		t.Fatalf("escalated at %v, fired at %v: before the 4s response deadline", esc.SentAt, esc.Alert.FiredAt)
	}
	first.mu.Lock()
	if rep := first.accepted[1]; rep.SentAt.Before(rep.Alert.FiredAt.Add(2 * time.Second)) {
		t.Errorf("repeat sent at %v, fired at %v: before the 2s repeat interval", rep.SentAt, rep.Alert.FiredAt)
	}
	first.mu.Unlock()

	var r struct{ Alerts []AlertView }
	getJSON(t, base+"/api/v1/alerts", &r)
	fp := ""
	for _, a := range r.Alerts {
		if a.Labels["alertname"] == "ServiceDown" && a.State == "firing" {
			fp = a.Fingerprint
		}
	}
	if fp == "" {
		t.Fatalf("no firing ServiceDown in %+v", r.Alerts)
	}
	code, acked := do(t, "POST", base+"/api/v1/alerts/"+fp+"/ack", testToken, `{"by":"carol"}`)
	if code != 200 || acked["acked_by"] != "carol" || acked["time_to_acknowledge_seconds"] == nil {
		t.Fatalf("ack: %d %v", code, acked)
	}
	// Acknowledged after the 4s response deadline it escalated at: missed,
	// and recorded so.
	if acked["response_target"] != "4s" || acked["response_deadline"] == nil || acked["response_met"] != false {
		t.Errorf("ack response fields: %v", acked)
	}
	m := string(fetch(t, base+"/metrics"))
	for _, want := range []string{"slawatch_escalations_total 1", `slawatch_response_deadline_missed_total{severity="P1"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A message queued just before the ack may still be delivered; after
	// that, nothing more.
	time.Sleep(1500 * time.Millisecond)
	n1, n2 := len(first.statuses()), len(second.statuses())
	time.Sleep(5 * time.Second) // two and a half repeat intervals
	if a, b := len(first.statuses()), len(second.statuses()); a != n1 || b != n2 {
		t.Fatalf("after the ack: %d→%d and %d→%d messages, want no more", n1, a, n2, b)
	}

	target.SetDown(false)
	testutil.Eventually(t, 20*time.Second, "resolve to both", func() bool {
		last := func(h *hookServer) string { st := h.statuses(); return st[len(st)-1] }
		return last(first) == "resolved:ServiceDown" && last(second) == "resolved:ServiceDown"
	})
	d.stop(t)

	// The month's report counts it: one P1, acknowledged late after
	// escalating once (to second).
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
	if rc := e.main([]string{"report", "--config", cfg, "--service", "portal", "--month", time.Now().UTC().Format("2006-01"), "--format", "json"}); rc != 0 {
		t.Fatalf("report: exit %d: %s", rc, errb.String())
	}
	var rep struct {
		Responsiveness []struct {
			Severity       string `json:"severity"`
			Incidents      int    `json:"incidents"`
			Acknowledged   int    `json:"acknowledged"`
			ResponseMissed int    `json:"response_missed"`
			Escalated      int    `json:"escalated"`
			Resolved       int    `json:"resolved"`
			ResponseTarget string `json:"response_target"`
		} `json:"responsiveness"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Responsiveness) != 1 {
		t.Fatalf("responsiveness = %+v", rep.Responsiveness)
	}
	if l := rep.Responsiveness[0]; l.Severity != "P1" || l.Incidents != 1 || l.Acknowledged != 1 || l.ResponseMissed != 1 || l.Escalated != 1 || l.Resolved != 1 || l.ResponseTarget != "4s" {
		t.Errorf("P1 line = %+v, want one incident, acknowledged late, escalated once, resolved, target 4s", l)
	}

	// The escalation is a record of its own, shown with the alert.
	out.Reset()
	if rc := e.main([]string{"alerts", "list", "--config", cfg, "--format", "json"}); rc != 0 {
		t.Fatalf("alerts list: exit %d: %s", rc, errb.String())
	}
	var listed []struct {
		Fingerprint string `json:"fingerprint"`
		Escalations []struct {
			Level    int       `json:"level"`
			Receiver string    `json:"receiver"`
			Due      time.Time `json:"due"`
			At       time.Time `json:"at"`
		} `json:"escalations"`
	}
	if err := json.Unmarshal(out.Bytes(), &listed); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, a := range listed {
		if a.Fingerprint != fp {
			continue
		}
		found = true
		if len(a.Escalations) != 1 || a.Escalations[0].Receiver != "second" || a.Escalations[0].Level != 1 ||
			a.Escalations[0].At.Before(a.Escalations[0].Due) {
			t.Errorf("escalations of the P1 = %+v, want one to second, at or after its due time", a.Escalations)
		}
	}
	if !found {
		t.Errorf("alerts list lacks the resolved P1 %s: %s", fp, out.String())
	}
	out.Reset()
	if rc := e.main([]string{"alerts", "list", "--config", cfg}); rc != 0 || !strings.Contains(out.String(), "ESCALATED TO") ||
		!strings.Contains(out.String(), "second ") {
		t.Errorf("alerts list text (exit %d) does not show the escalation to second:\n%s", rc, out.String())
	}
}

// AlertView is an alert in /api/v1/alerts.
type AlertView struct {
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	State       string            `json:"state"`
}
