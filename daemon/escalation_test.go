package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/store"
)

// fakeClock is the daemon's injected clock; the test moves it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// hook is a webhook receiver that keeps what it was sent.
type hook struct {
	*httptest.Server
	mu  sync.Mutex
	got []alerts.WebhookPayload
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p alerts.WebhookPayload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.got = append(h.got, p)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) messages() []alerts.WebhookPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]alerts.WebhookPayload(nil), h.got...)
}

// testDaemon is a daemon running in this process on an injected clock.
type testDaemon struct {
	d     *Daemon
	base  string
	evals chan time.Time
	stop  func()
}

const testToken = "escalation-test-token"

func startTestDaemon(t *testing.T, cfgPath string, clock *fakeClock) *testDaemon {
	t.Helper()
	td := &testDaemon{evals: make(chan time.Time, 100)}
	addrc := make(chan net.Addr, 1)
	d, err := New(Options{
		ConfigPath: cfgPath, Listen: "127.0.0.1:0", Now: clock.Now,
		evalEvery: 50 * time.Millisecond, deliverEvery: 50 * time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnReady: func(a net.Addr) { addrc <- a },
		afterEval: func(now time.Time) {
			select {
			case td.evals <- now:
			default: // nobody is waiting; drop it
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	select {
	case a := <-addrc:
		td.base = "http://" + a.String()
	case err := <-done:
		cancel()
		t.Fatalf("daemon stopped before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("daemon not ready in 30s")
	}
	td.d = d
	var once sync.Once
	td.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("daemon run: %v", err)
			}
		})
	}
	t.Cleanup(td.stop)
	return td
}

// evalAt moves the clock to at and returns once an alert evaluation has
// judged the alerts as of at (or later): what it enqueued is in the outbox.
func (td *testDaemon) evalAt(t *testing.T, clock *fakeClock, at time.Time) {
	t.Helper()
	clock.Set(at)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case now := <-td.evals:
			if !now.Before(at) {
				return
			}
		case <-deadline:
			t.Fatalf("no alert evaluation at %v within 30s", at)
		}
	}
}

func (td *testDaemon) alerts(t *testing.T) []alertView {
	t.Helper()
	resp, err := http.Get(td.base + "/api/v1/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Alerts []alertView }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	// Other rules may fire too (the error budget burns while the target is
	// down); the routes send only ServiceDown anywhere.
	var out []alertView
	for _, a := range body.Alerts {
		if a.Labels[alerts.LabelAlertname] == alerts.RuleServiceDown {
			out = append(out, a)
		}
	}
	return out
}

func (td *testDaemon) metric(t *testing.T, line string) bool {
	t.Helper()
	resp, err := http.Get(td.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.Contains(string(b), "\n"+line+"\n")
}

type alertView struct {
	Fingerprint      string            `json:"fingerprint"`
	State            string            `json:"state"`
	Labels           map[string]string `json:"labels"`
	FiredAt          *time.Time        `json:"fired_at"`
	ResponseDeadline *time.Time        `json:"response_deadline"`
	ResponseMet      *bool             `json:"response_met"`
	Escalations      []struct {
		Level    int       `json:"level"`
		Receiver string    `json:"receiver"`
		Due      time.Time `json:"due"`
		At       time.Time `json:"at"`
	} `json:"escalations"`
}

// escalationConfig writes a config in dir: the service portal probing
// targetURL under a P1 response target of 2 business hours on an
// 08:30–17:00 Amsterdam calendar with the given holidays, its ServiceDown
// alerts routed oncall → lead → cto (webhooks at those URLs, never
// repeated), and the API token testToken.
func escalationConfig(t *testing.T, dir string, holidays []string, targetURL, oncall, lead, cto string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "tokens.txt"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "slawatch.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `storage:
  path: slawatch.db
server:
  api_tokens_file: tokens.txt
defaults:
  interval: 100ms
  timeout: 50ms
  failure_threshold: 1
  success_threshold: 1
calendars:
  office:
    timezone: Europe/Amsterdam
    days: [mon, tue, wed, thu, fri]
    hours: "08:30-17:00"
    holidays: [%s]
policies:
  saas:
    uptime: {target: 99.7, period: year}
    timezone: Europe/Amsterdam
    calendar: office
    response: {P1: 2bh}
services:
  - name: portal
    environment: production
    policy: saas
    probes:
      - name: health
        http: {url: %q, status: [200]}
alerts:
  damping: 0s
  receivers:
    - {name: oncall, webhook: {url: %q}}
    - {name: lead, webhook: {url: %q}}
    - {name: cto, webhook: {url: %q}}
  routes:
    - {match: {alertname: [ServiceDown]}, receivers: [oncall, lead, cto], repeat_interval: 0s}
`, strings.Join(holidays, ", "), targetURL, oncall, lead, cto), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// nextFriday is 16:30 on a Friday in loc at least a week after now, so
// that every real probe time lies before the injected clock.
func nextFriday(now time.Time, loc *time.Location) time.Time {
	d := now.In(loc).AddDate(0, 0, 8)
	for d.Weekday() != time.Friday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 16, 30, 0, 0, loc)
}

// TestEscalationOverAWeekendAndAHoliday runs the daemon on an injected
// clock against a target that is down and three local webhook receivers
// routed oncall → lead → cto, under a 2-business-hour P1 response target on
// an 08:30–17:00 calendar whose Monday is a holiday. The P1 fires on Friday
// at 16:30: oncall is paged at once; lead is not paged at 09:59:59 on
// Tuesday and is at 10:00 (half an hour on Friday, the weekend and the
// holiday skipped, 1.5 hours on Tuesday); the escalation is recorded and
// shown with the alert, counted once in the metrics, and survives a restart
// without paging lead twice; acknowledged at 10:05, the alert's response is
// missed and it never reaches cto, though cto's step (12:00) passes.
func TestEscalationOverAWeekendAndAHoliday(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	fired := nextFriday(time.Now(), ams)
	monday := fired.AddDate(0, 0, 3)
	tuesday := func(h, m, s int) time.Time {
		return time.Date(monday.Year(), monday.Month(), monday.Day()+1, h, m, s, 0, ams)
	}
	clock := &fakeClock{t: fired}

	target := testutil.NewTarget(t)
	target.SetDown(true)
	oncall, lead, cto := newHook(t), newHook(t), newHook(t)
	dir := t.TempDir()
	cfg := escalationConfig(t, dir, []string{monday.Format(time.DateOnly)}, target.URL, oncall.URL, lead.URL, cto.URL)

	td := startTestDaemon(t, cfg, clock)
	testutil.Eventually(t, 30*time.Second, "oncall paged", func() bool { return len(oncall.messages()) == 1 })
	as := td.alerts(t)
	if len(as) != 1 || as[0].State != alerts.StateFiring || as[0].Labels["severity"] != "P1" {
		t.Fatalf("alerts = %+v, want one firing P1", as)
	}
	fp := as[0].Fingerprint
	due := tuesday(10, 0, 0)
	if a := as[0]; a.FiredAt == nil || !a.FiredAt.Equal(fired) || a.ResponseDeadline == nil || !a.ResponseDeadline.Equal(due) {
		t.Fatalf("fired %v, response deadline %v; want %v and %v", a.FiredAt, a.ResponseDeadline, fired, due)
	}

	// A second before the deadline: nobody else is paged.
	td.evalAt(t, clock, due.Add(-time.Second))
	if rows, err := td.d.store.NotificationsByKeyPrefix(context.Background(), fp+"/lead/"); err != nil || len(rows) != 0 {
		t.Fatalf("lead's notifications before the deadline: %+v, %v", rows, err)
	}
	if es := td.alerts(t)[0].Escalations; len(es) != 0 {
		t.Fatalf("escalations before the deadline: %+v", es)
	}

	// At the deadline: lead is paged, and the escalation is a record.
	td.evalAt(t, clock, due)
	testutil.Eventually(t, 30*time.Second, "lead paged", func() bool { return len(lead.messages()) == 1 })
	if m := lead.messages()[0]; m.Status != "firing" || m.Alert.Labels["alertname"] != alerts.RuleServiceDown {
		t.Fatalf("lead got %+v", m)
	}
	es := td.alerts(t)[0].Escalations
	if len(es) != 1 || es[0].Level != 1 || es[0].Receiver != "lead" || !es[0].Due.Equal(due) || es[0].At.Before(due) {
		t.Fatalf("escalations = %+v, want lead at level 1, due %v", es, due)
	}
	if !td.metric(t, "slawatch_escalations_total 1") {
		t.Error("slawatch_escalations_total is not 1")
	}

	// A restart mid-escalation: the record stays one, lead is not paged again.
	td.stop()
	td = startTestDaemon(t, cfg, clock)
	td.evalAt(t, clock, tuesday(10, 1, 0))
	td.evalAt(t, clock, tuesday(10, 2, 0))
	if es := td.alerts(t)[0].Escalations; len(es) != 1 {
		t.Fatalf("escalations after a restart = %+v, want the one", es)
	}
	if n := len(lead.messages()); n != 1 {
		t.Fatalf("lead paged %d times across a restart, want 1", n)
	}
	// Past the deadline (acknowledging at it would still have been in
	// time), the response is counted missed.
	if !td.metric(t, `slawatch_response_deadline_missed_total{severity="P1"} 1`) {
		t.Error("slawatch_response_deadline_missed_total{severity=\"P1\"} is not 1")
	}

	// Acknowledged at 10:05: late, so the response is missed; it stays with
	// lead, and cto's step (two business hours on, 12:00) never pages cto.
	clock.Set(tuesday(10, 5, 0))
	req, _ := http.NewRequest("POST", td.base+"/api/v1/alerts/"+fp+"/ack", strings.NewReader(`{"by":"alice"}`))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var acked alertView
	err = json.NewDecoder(resp.Body).Decode(&acked)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || acked.ResponseMet == nil || *acked.ResponseMet || len(acked.Escalations) != 1 {
		t.Fatalf("ack: %d %+v %v; want response_met false and the escalation shown", resp.StatusCode, acked, err)
	}
	td.evalAt(t, clock, tuesday(12, 0, 0))
	td.evalAt(t, clock, tuesday(16, 0, 0))
	if rows, err := td.d.store.NotificationsByKeyPrefix(context.Background(), fp+"/cto/"); err != nil || len(rows) != 0 {
		t.Fatalf("cto's notifications after the ack: %+v, %v", rows, err)
	}
	if es := td.alerts(t)[0].Escalations; len(es) != 1 {
		t.Fatalf("escalations after the ack = %+v, want only lead's", es)
	}
	if len(cto.messages()) != 0 {
		t.Fatalf("cto was paged: %+v", cto.messages())
	}
	td.stop()

	// The store keeps it for reports.
	st, err := store.Open(context.Background(), filepath.Join(dir, "slawatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.AlertsFiredBetween(context.Background(), "portal", fired, fired.Add(time.Hour))
	if err != nil || len(got) != 1 || len(got[0].Escalations) != 1 || got[0].Escalations[0].Receiver != "lead" {
		t.Fatalf("stored alert = %+v, %v", got, err)
	}
}

// TestEscalationUnacknowledgedClimbsTheRoute: left unacknowledged, a P1
// escalates one receiver further every two business hours, skipping the
// night: lead at 10:00 on Monday (from Friday 16:30), cto at 12:00, and no
// further (cto is the last), each recorded once.
func TestEscalationUnacknowledgedClimbsTheRoute(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	fired := nextFriday(time.Now(), ams)
	monday := func(h, m int) time.Time {
		return time.Date(fired.Year(), fired.Month(), fired.Day()+3, h, m, 0, 0, ams)
	}
	clock := &fakeClock{t: fired}
	target := testutil.NewTarget(t)
	target.SetDown(true)
	oncall, lead, cto := newHook(t), newHook(t), newHook(t)
	cfg := escalationConfig(t, t.TempDir(), nil, target.URL, oncall.URL, lead.URL, cto.URL)
	td := startTestDaemon(t, cfg, clock)
	testutil.Eventually(t, 30*time.Second, "oncall paged", func() bool { return len(oncall.messages()) == 1 })

	td.evalAt(t, clock, monday(11, 59))
	testutil.Eventually(t, 30*time.Second, "lead paged", func() bool { return len(lead.messages()) == 1 })
	if rows, _ := td.d.store.NotificationsByKeyPrefix(context.Background(), td.alerts(t)[0].Fingerprint+"/cto/"); len(rows) != 0 {
		t.Fatalf("cto paged before 12:00: %+v", rows)
	}
	td.evalAt(t, clock, monday(12, 0))
	testutil.Eventually(t, 30*time.Second, "cto paged", func() bool { return len(cto.messages()) == 1 })
	td.evalAt(t, clock, monday(18, 0))
	es := td.alerts(t)[0].Escalations
	if len(es) != 2 || es[0].Receiver != "lead" || !es[0].Due.Equal(monday(10, 0)) ||
		es[1].Receiver != "cto" || es[1].Level != 2 || !es[1].Due.Equal(monday(12, 0)) {
		t.Fatalf("escalations = %+v; want lead due 10:00 and cto due 12:00", es)
	}
	if !td.metric(t, "slawatch_escalations_total 2") {
		t.Error("slawatch_escalations_total is not 2")
	}
	if len(oncall.messages()) != 1 || len(lead.messages()) != 1 || len(cto.messages()) != 1 {
		t.Fatalf("messages: oncall %d, lead %d, cto %d; want one each", len(oncall.messages()), len(lead.messages()), len(cto.messages()))
	}
}

// TestRestartKeepsFiringFor: a firing alert restored after a restart keeps
// its rule's keep_firing_for (set on the service) though its condition is
// already gone at the first evaluation, so the restarted daemon never sees
// the condition that would tell it the rule's settings.
func TestRestartKeepsFiringFor(t *testing.T) {
	clock := &fakeClock{t: time.Now().Add(24 * time.Hour)}
	target := testutil.NewTarget(t)
	target.SetDown(true)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "slawatch.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `storage: {path: slawatch.db}
defaults: {interval: 100ms, timeout: 50ms, failure_threshold: 1, success_threshold: 1}
services:
  - name: portal
    alert_rules: {ServiceDown: {keep_firing_for: 1h}}
    probes:
      - {name: health, http: {url: %q}}
alerts:
  damping: 0s
`, target.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	firing := func(td *testDaemon) bool {
		as := td.alerts(t)
		return len(as) == 1 && as[0].State == alerts.StateFiring
	}
	td := startTestDaemon(t, cfg, clock)
	testutil.Eventually(t, 30*time.Second, "ServiceDown firing", func() bool { return firing(td) })
	// The service recovers; the alert keeps firing (keep_firing_for).
	target.SetDown(false)
	testutil.Eventually(t, 30*time.Second, "portal up again", func() bool {
		st := td.d.Services()
		return len(st) == 1 && st[0].State == "up"
	})
	td.evalAt(t, clock, clock.Now().Add(time.Minute))
	if !firing(td) {
		t.Fatal("resolved at once, despite keep_firing_for")
	}
	td.stop()

	// Restarted, the daemon has no outage to resume: the condition is false
	// from the first evaluation on.
	start := clock.Now()
	td = startTestDaemon(t, cfg, clock)
	td.evalAt(t, clock, start)
	td.evalAt(t, clock, start.Add(59*time.Minute))
	if !firing(td) {
		t.Fatalf("59 minutes after the restart: %+v, want it still firing (keep_firing_for 1h)", td.alerts(t))
	}
	td.evalAt(t, clock, start.Add(61*time.Minute))
	if as := td.alerts(t); len(as) != 1 || as[0].State != alerts.StateResolved {
		t.Fatalf("61 minutes after: %+v, want it resolved", as)
	}
}
