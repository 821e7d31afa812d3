package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// The crash harness: SPEC §8 says a kill -9 at any moment loses at most the
// probe results not yet flushed, never an outage that had opened, a
// maintenance window that was announced, or a notification that was queued.
// TestE2EKillAtRandomMoments kills the real daemon at random moments while
// probes flap, alerts page a webhook that fails at first, and a client keeps
// writing through the API, then checks the store against everything the
// daemon ever acknowledged.

const (
	crashServices  = 20
	crashRounds    = 6
	crashSet       = "crash-dump"
	crashHookFails = 3
	// crashSeedEnv overrides the seed, to replay a failing run.
	crashSeedEnv = "SLAWATCH_CRASH_SEED"
	// crashLogsEnv names a directory to keep each run's daemon log in.
	crashLogsEnv = "SLAWATCH_CRASH_LOGS"
)

// crashFlappers are the indexes of the targets that go down and up on their
// own: fast ones give short outages inside a run, the slow one outages that
// span kills.
var crashFlappers = []struct {
	idx      int
	min, max time.Duration
}{
	{3, 300 * time.Millisecond, 900 * time.Millisecond},
	{9, 300 * time.Millisecond, 900 * time.Millisecond},
	{15, 300 * time.Millisecond, 900 * time.Millisecond},
	{17, 1500 * time.Millisecond, 4 * time.Second},
}

func crashService(i int) string { return fmt.Sprintf("svc%02d", i) }

// crashConfig writes the config of one round: its webhook URL names the
// round, so every request the receiver gets says which process sent it.
func crashConfig(t *testing.T, dir, listen string, targets []*testutil.Target, hookURL string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `storage: {path: slawatch.db}
server: {listen: %s, api_tokens_file: tokens.txt}
defaults:
  interval: 100ms
  timeout: 90ms
  failure_threshold: 2
  success_threshold: 1
services:
`, listen)
	for i, tg := range targets {
		fmt.Fprintf(&b, `  - name: %s
    environment: production
    probes:
      - name: health
        http: {url: %q, status: [200], body_contains: ok}
`, crashService(i), tg.URL)
	}
	fmt.Fprintf(&b, `backups:
  - name: %s
    service: %s
    rpo: 24h
    source: {push: {}}
alerts:
  damping: 0s
  receivers:
    - {name: hook, webhook: {url: %q, secret_file: hook.secret}}
  routes:
    - {receivers: [hook], repeat_interval: 3s}
`, crashSet, crashService(0), hookURL)
	path := filepath.Join(dir, "slawatch.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// crashHookRecorder sits in front of a hookServer and records, per notification
// key, every request and which daemon run sent each one the receiver
// answered 2xx.
type crashHookRecorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests map[string]int         // key → requests
	ok       map[string][]int       // key → run of each 2xx
	okAt     map[string][]time.Time // key → time of each 2xx
	noKey    int                    // requests without a key
	statuses map[int]int            // status → count
	// episodes: per alert fingerprint and firing time, which of its firing
	// and resolved messages the receiver accepted.
	episodes map[string]*crashEpisode
}

type crashEpisode struct {
	alertname, service string
	firing, resolved   bool
}

func newCrashHookRecorder(t *testing.T, inner *hookServer) *crashHookRecorder {
	h := &crashHookRecorder{requests: map[string]int{}, ok: map[string][]int{}, okAt: map[string][]time.Time{},
		statuses: map[int]int{}, episodes: map[string]*crashEpisode{}}
	next := inner.Config.Handler // set before the server started: no race
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		run, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/run/"))
		if err != nil {
			http.Error(w, "no run in the path", http.StatusNotFound)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var p alerts.WebhookPayload
		_ = json.Unmarshal(body, &p)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &crashStatusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.statuses[sw.code]++
		if p.Key == "" {
			h.noKey++
			return
		}
		h.requests[p.Key]++
		if sw.code/100 == 2 {
			h.ok[p.Key] = append(h.ok[p.Key], run)
			h.okAt[p.Key] = append(h.okAt[p.Key], time.Now())
			if p.Alert.FiredAt != nil {
				// To the millisecond: an alert restored from the store has
				// no finer times.
				ep := p.Alert.Fingerprint + "@" + p.Alert.FiredAt.Truncate(time.Millisecond).Format(time.RFC3339Nano)
				e := h.episodes[ep]
				if e == nil {
					e = &crashEpisode{alertname: p.Alert.Labels["alertname"], service: p.Alert.Labels["service"]}
					h.episodes[ep] = e
				}
				switch p.Status {
				case "firing":
					e.firing = true
				case "resolved":
					e.resolved = true
				}
			}
		}
	}))
	t.Cleanup(h.Close)
	return h
}

type crashStatusWriter struct {
	http.ResponseWriter
	code int
}

func (s *crashStatusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// crashLedger is everything the daemon acknowledged to the driver.
type crashLedger struct {
	mu       sync.Mutex
	windows  map[int64]uptime.Window // id → the window as announced
	backups  map[string]time.Time    // record id → its time
	outages  map[int64]uptime.Outage // id → the manual outage as entered
	openSeen map[int64]uptime.Outage // outage id the API reported open → service and start
	// openIDZero counts open outages the API showed without an id (not yet
	// stored): allowed, but worth reporting.
	openIDZero int
	// conflicts: an outage id the API showed under two services or starts.
	conflicts []string
	attempts  int
	transport int         // requests that got no answer (daemon dead or dying)
	statuses  map[int]int // non-2xx answers by status
	bad       []string    // 4xx answers: the driver's own mistakes
	polls     int
}

// crashDriver writes through the API while the daemon runs (and fails
// quietly while it does not).
type crashDriver struct {
	base   string
	client *http.Client
	rng    *rand.Rand
	led    *crashLedger
	seq    int
}

func (d *crashDriver) send(ctx context.Context, method, path, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, d.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if method != http.MethodGet {
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err // cut off mid-answer: not acknowledged
	}
	return resp.StatusCode, b, nil
}

// write does one random write and records it when it got a 2xx.
func (d *crashDriver) write(ctx context.Context) (answered bool) {
	d.seq++
	now := time.Now().UTC()
	svc := crashService(d.rng.IntN(crashServices))
	var path, body string
	var record func(b []byte) error
	switch op := d.rng.IntN(3); op {
	case 0: // a maintenance window: mostly ahead, sometimes one in force now
		start := now.Add(time.Hour + time.Duration(d.rng.IntN(7*24*60))*time.Minute)
		end := start.Add(time.Duration(15+d.rng.IntN(120)) * time.Minute)
		if d.rng.IntN(4) == 0 {
			start, end = now.Add(-500*time.Millisecond), now.Add(time.Duration(500+d.rng.IntN(1500))*time.Millisecond)
		}
		start, end = start.Truncate(time.Millisecond), end.Truncate(time.Millisecond)
		w := uptime.Window{Service: svc, Start: start, End: end, Reason: fmt.Sprintf("crash window %d", d.seq)}
		path = "/api/v1/maintenance"
		body = fmt.Sprintf(`{"service":%q,"start":%q,"end":%q,"reason":%q,"by":"crash-driver"}`,
			svc, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), w.Reason)
		record = func(b []byte) error {
			var r struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(b, &r); err != nil || r.ID == 0 {
				return fmt.Errorf("maintenance answer without an id: %s", b)
			}
			d.led.windows[r.ID] = w
			return nil
		}
	case 1: // a pushed backup record with a unique id
		id := fmt.Sprintf("crash-%d", d.seq)
		tm := now.Add(-time.Duration(d.rng.IntN(3600)) * time.Second).Truncate(time.Second)
		path = "/api/v1/backups/" + crashSet
		body = fmt.Sprintf(`{"time":%q,"size_bytes":%d,"kind":"full","id":%q}`, tm.Format(time.RFC3339), 1000+d.rng.IntN(1<<20), id)
		record = func(b []byte) error {
			d.led.backups[id] = tm
			return nil
		}
	default: // a manual outage in the past, sometimes force majeure
		start := now.Add(-2*time.Hour - time.Duration(d.rng.IntN(24*60))*time.Minute).Truncate(time.Millisecond)
		end := start.Add(time.Duration(1+d.rng.IntN(30)) * time.Minute)
		o := uptime.Outage{Service: svc, Start: start, End: end, Cause: fmt.Sprintf("crash outage %d", d.seq)}
		fm := ""
		if d.rng.IntN(3) == 0 {
			o.Excluded = true
			fm = `,"force_majeure":true,"reason":"crash test storm"`
		}
		path = "/api/v1/outages"
		body = fmt.Sprintf(`{"service":%q,"start":%q,"end":%q,"cause":%q,"by":"crash-driver"%s}`,
			svc, start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), o.Cause, fm)
		record = func(b []byte) error {
			var r struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(b, &r); err != nil || r.ID == 0 {
				return fmt.Errorf("outage answer without an id: %s", b)
			}
			d.led.outages[r.ID] = o
			return nil
		}
	}
	code, b, err := d.send(ctx, http.MethodPost, path, body)
	d.led.mu.Lock()
	defer d.led.mu.Unlock()
	d.led.attempts++
	switch {
	case err != nil:
		d.led.transport++
		return false
	case code/100 == 2:
		if err := record(b); err != nil {
			d.led.bad = append(d.led.bad, err.Error())
		}
	default:
		d.led.statuses[code]++
		if code/100 == 4 {
			d.led.bad = append(d.led.bad, fmt.Sprintf("POST %s %s: %d %s", path, body, code, bytes.TrimSpace(b)))
		}
	}
	return true
}

// poll reads /api/v1/services and records every open outage's id.
func (d *crashDriver) poll(ctx context.Context) {
	code, b, err := d.send(ctx, http.MethodGet, "/api/v1/services", "")
	if err != nil || code != http.StatusOK {
		return
	}
	var r servicesResp
	if err := json.Unmarshal(b, &r); err != nil {
		return // cut off by a kill
	}
	d.led.mu.Lock()
	defer d.led.mu.Unlock()
	d.led.polls++
	for _, s := range r.Services {
		o := s.OpenOutage
		if o == nil {
			continue
		}
		if o.ID == 0 {
			d.led.openIDZero++
			continue
		}
		seen := uptime.Outage{ID: o.ID, Service: s.Name, Start: o.Start.Truncate(time.Millisecond)}
		if prev, ok := d.led.openSeen[o.ID]; ok && (prev.Service != seen.Service || !prev.Start.Equal(seen.Start)) {
			d.led.conflicts = append(d.led.conflicts, fmt.Sprintf("open outage %d seen as %s from %s and as %s from %s",
				o.ID, prev.Service, prev.Start, seen.Service, seen.Start))
		}
		d.led.openSeen[o.ID] = seen
	}
}

func (d *crashDriver) run(ctx context.Context) {
	for ctx.Err() == nil {
		if !d.write(ctx) {
			// Nobody listening: wait for the next daemon.
			crashSleep(ctx, 50*time.Millisecond)
			continue
		}
		d.poll(ctx)
		crashSleep(ctx, time.Duration(10+d.rng.IntN(40))*time.Millisecond)
	}
}

func crashSleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// crashTrouble returns what a run's stderr shows that must never happen: a
// data race (the binary is built with -race) or a panic.
func crashTrouble(stderr string) string {
	for _, bad := range []string{"WARNING: DATA RACE", "panic:", "fatal error:"} {
		if i := strings.Index(stderr, bad); i >= 0 {
			return stderr[i:min(len(stderr), i+4000)]
		}
	}
	return ""
}

// lostResolveIsKnownBug: the daemon stores an alert as resolved (SaveAlert)
// and only then enqueues its resolve notification, in a second transaction
// (daemon/alerting.go, alerting.eval → enqueueResolved). A kill -9 between
// the two, or a graceful stop that cancels the context between them, loses
// the resolve for good: the restarted engine does not restore resolved
// alerts. While that stands, a resolve lost exactly that way (the daemon
// logged "alert resolved" and nothing was queued) is logged, not failed;
// set this to false once the two writes are one transaction.
const lostResolveIsKnownBug = false

// crashLoggedResolve returns the run whose log says the service's ServiceDown
// alert resolved at or after fired and before next (when not zero), or -1.
func crashLoggedResolve(runLogs []string, service string, fired, next time.Time) int {
	for run, out := range runLogs {
		for _, l := range strings.Split(out, "\n") {
			if !strings.Contains(l, `msg="alert resolved"`) || !strings.Contains(l, "alert=ServiceDown") ||
				!slices.Contains(strings.Fields(l), "service="+service) {
				continue
			}
			ts, _, _ := strings.Cut(strings.TrimPrefix(l, "time="), " ")
			if at, err := time.Parse(time.RFC3339Nano, ts); err == nil && !at.Before(fired) && (next.IsZero() || at.Before(next)) {
				return run
			}
		}
	}
	return -1
}

// crashErrorLines returns the run's error-level log lines.
func crashErrorLines(stderr string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return out
}

// TestE2EKillAtRandomMoments: SPEC §8's crash safety. The daemon is killed
// with SIGKILL at random moments, again and again, while 20 targets are
// probed every 100 ms (some flapping), alerts go to a webhook that fails at
// first, and a client announces maintenance, pushes backup records and
// enters outages. Afterwards the store holds every acknowledged write, every
// outage the API ever showed open, every notification the receiver got; no
// notification was delivered twice but across a kill; the file is sound.
func TestE2EKillAtRandomMoments(t *testing.T) {
	binary(t) // build (or skip) before the clock matters
	seed := uint64(20261122)
	if v := os.Getenv(crashSeedEnv); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, v, err)
		}
		seed = s
	}
	t.Logf("seed %d (set %s to replay another)", seed, crashSeedEnv)
	rng := rand.New(rand.NewPCG(seed, 1))

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokens.txt"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hook.secret"), []byte("crash-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	targets := make([]*testutil.Target, crashServices)
	for i := range targets {
		targets[i] = testutil.NewTarget(t)
	}
	hook := newHookServer(t, crashHookFails, "crash-secret")
	rec := newCrashHookRecorder(t, hook)
	addr := testutil.FreeAddr(t)
	base := "http://" + addr

	// Flapping targets, each on its own seeded schedule.
	stopFlap := make(chan struct{})
	var flapWG sync.WaitGroup
	var flips atomic.Int64
	for k, f := range crashFlappers {
		frng := rand.New(rand.NewPCG(seed, uint64(100+k)))
		tg := targets[f.idx]
		flapWG.Go(func() {
			down := false
			for {
				d := f.min + time.Duration(frng.Int64N(int64(f.max-f.min)+1))
				select {
				case <-stopFlap:
					return
				case <-time.After(d):
				}
				down = !down
				tg.SetDown(down)
				flips.Add(1)
			}
		})
	}
	stopFlapping := sync.OnceFunc(func() {
		close(stopFlap)
		flapWG.Wait()
		for _, tg := range targets {
			tg.SetDown(false)
		}
	})
	t.Cleanup(stopFlapping)

	// The driver writes from now until just before the graceful stop.
	led := &crashLedger{windows: map[int64]uptime.Window{}, backups: map[string]time.Time{},
		outages: map[int64]uptime.Outage{}, openSeen: map[int64]uptime.Outage{}, statuses: map[int]int{}}
	drv := &crashDriver{base: base, client: &http.Client{Timeout: 10 * time.Second}, rng: rand.New(rand.NewPCG(seed, 2)), led: led}
	driverCtx, stopDriver := context.WithCancel(context.Background())
	driverDone := make(chan struct{})
	go func() { defer close(driverDone); drv.run(driverCtx) }()
	stopDriving := sync.OnceFunc(func() { stopDriver(); <-driverDone })
	t.Cleanup(stopDriving)

	var kills []time.Time // when each killed run died
	var errLines []string
	var runLogs []string // each run's daemon log, by round
	checkStderr := func(round int, p *daemonProc) {
		t.Helper()
		out := p.stderr.String()
		runLogs = append(runLogs, out)
		if logDir := os.Getenv(crashLogsEnv); logDir != "" {
			if err := os.WriteFile(filepath.Join(logDir, fmt.Sprintf("run-%d.log", round)), []byte(out), 0o644); err != nil {
				t.Error(err)
			}
		}
		if bad := crashTrouble(out); bad != "" {
			t.Fatalf("round %d: the daemon reported:\n%s", round, bad)
		}
		for _, l := range crashErrorLines(out) {
			errLines = append(errLines, fmt.Sprintf("round %d: %s", round, l))
		}
	}
	start := time.Now()
	for round := range crashRounds {
		cfg := crashConfig(t, dir, addr, targets, fmt.Sprintf("%s/run/%d", rec.URL, round))
		d := startDaemon(t, cfg, addr)
		life := time.Duration(500+rng.IntN(2001)) * time.Millisecond
		t.Logf("round %d: ready after %s, kill -9 in %s", round, time.Since(start).Round(time.Millisecond), life)
		time.Sleep(life)
		d.kill9(t)
		kills = append(kills, time.Now())
		checkStderr(round, d)
	}

	// The last run: flapping over, it settles, drains and stops in order.
	stopFlapping()
	final := crashRounds
	cfg := crashConfig(t, dir, addr, targets, fmt.Sprintf("%s/run/%d", rec.URL, final))
	d := startDaemon(t, cfg, addr)
	time.Sleep(2 * time.Second)
	testutil.Eventually(t, 30*time.Second, "no open outage with every target up", func() bool {
		var r servicesResp
		getJSON(t, base+"/api/v1/services", &r)
		for _, s := range r.Services {
			if s.OpenOutage != nil {
				return false
			}
		}
		return len(r.Services) == crashServices
	})
	quietSince := time.Now()
	testutil.Eventually(t, 30*time.Second, "every ServiceDown resolved", func() bool {
		var r struct{ Alerts []apiAlert }
		getJSON(t, base+"/api/v1/alerts", &r)
		for _, a := range r.Alerts {
			if a.Labels["alertname"] == "ServiceDown" && a.State != "resolved" {
				return false
			}
		}
		return true
	})
	// The resolves are enqueued just after the alerts are stored resolved,
	// and the queue metric is set after each pass over the outbox: let a
	// pass or two go by before believing it.
	time.Sleep(2500 * time.Millisecond)
	testutil.Eventually(t, 30*time.Second, "the notification queue drained", func() bool {
		return bytes.Contains(fetch(t, base+"/metrics"), []byte("\nslawatch_notification_queue_length 0\n"))
	})
	stopDriving()
	d.stop(t)
	checkStderr(final, d)
	elapsed := time.Since(start)

	// Now the store must hold everything that was acknowledged.
	ctx := context.Background()
	st := openStore(t, dir)
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	led.mu.Lock()
	defer led.mu.Unlock()
	for _, b := range led.bad {
		t.Errorf("driver: %s", b)
	}
	for _, c := range led.conflicts {
		t.Errorf("API: %s", c)
	}

	// Maintenance windows, by id.
	wins, err := st.Maintenance(ctx, store.MaintenanceFilter{IncludeCancelled: true})
	if err != nil {
		t.Fatal(err)
	}
	winByID := map[int64]uptime.Window{}
	for _, w := range wins {
		winByID[w.ID] = w
	}
	for id, want := range led.windows {
		got, ok := winByID[id]
		switch {
		case !ok:
			t.Errorf("maintenance window %d (%s %s–%s) was acknowledged but is not in the store", id, want.Service, want.Start, want.End)
		case got.Service != want.Service || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) || got.Reason != want.Reason:
			t.Errorf("maintenance window %d: stored %s %s–%s %q, announced %s %s–%s %q", id,
				got.Service, got.Start, got.End, got.Reason, want.Service, want.Start, want.End, want.Reason)
		case got.Cancelled():
			t.Errorf("maintenance window %d is cancelled; nobody cancelled it", id)
		}
	}

	// Backup records, by their id.
	recs, err := st.Backups(ctx, crashSet, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	recByID := map[string]time.Time{}
	for _, r := range recs {
		recByID[r.ID] = r.Time
	}
	for id, want := range led.backups {
		if got, ok := recByID[id]; !ok {
			t.Errorf("backup record %s was acknowledged but is not in the store", id)
		} else if !got.Equal(want) {
			t.Errorf("backup record %s: stored at %s, pushed at %s", id, got, want)
		}
	}

	// Outages: the manual ones by id, every one the API showed open, and
	// their shape.
	outages, err := st.Outages(ctx, store.OutageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	outByID := map[int64]uptime.Outage{}
	openBy := map[string][]int64{}
	probeOutages, manualOutages, excluded := 0, 0, 0
	for _, o := range outages {
		outByID[o.ID] = o
		if o.Open() {
			openBy[o.Service] = append(openBy[o.Service], o.ID)
		} else if o.End.Before(o.Start) {
			t.Errorf("outage %d of %s ends %s before it starts %s", o.ID, o.Service, o.End, o.Start)
		}
		switch o.Source {
		case uptime.SourceManual:
			manualOutages++
		default:
			probeOutages++
		}
		if o.Excluded {
			excluded++
		}
	}
	for id, want := range led.outages {
		got, ok := outByID[id]
		switch {
		case !ok:
			t.Errorf("manual outage %d (%s %s–%s) was acknowledged but is not in the store", id, want.Service, want.Start, want.End)
		case got.Service != want.Service || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) || got.Cause != want.Cause:
			t.Errorf("manual outage %d: stored %s %s–%s %q, entered %s %s–%s %q", id,
				got.Service, got.Start, got.End, got.Cause, want.Service, want.Start, want.End, want.Cause)
		case got.Excluded != want.Excluded:
			t.Errorf("manual outage %d: excluded %v, entered as force majeure %v", id, got.Excluded, want.Excluded)
		}
	}
	for id, seen := range led.openSeen {
		got, ok := outByID[id]
		switch {
		case !ok:
			t.Errorf("outage %d of %s (since %s) was shown open by the API but is not in the store", id, seen.Service, seen.Start)
		case got.Service != seen.Service || !got.Start.Equal(seen.Start):
			t.Errorf("outage %d: stored as %s from %s, shown open as %s from %s", id, got.Service, got.Start, seen.Service, seen.Start)
		}
	}
	for svc, ids := range openBy {
		if len(ids) > 1 {
			t.Errorf("service %s has %d open outages: %v", svc, len(ids), ids)
		}
		// Every target was up and the API showed none open before the stop:
		// only one that a stray timeout opened since may remain.
		for _, id := range ids {
			if o := outByID[id]; o.Start.Before(quietSince) {
				t.Errorf("outage %d of %s (since %s) is still open after a run in which its target was up throughout", id, svc, o.Start)
			}
		}
	}

	// Monitored spans: ordered and never overlapping, per service.
	spanCount := 0
	for i := range crashServices {
		svc := crashService(i)
		spans, err := st.MonitoredSpans(ctx, svc, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		spanCount += len(spans)
		if len(spans) == 0 {
			t.Errorf("%s: no monitored span at all", svc)
		}
		for j, sp := range spans {
			if sp.End.Before(sp.Start) {
				t.Errorf("%s: span %d ends %s before it starts %s", svc, j, sp.End, sp.Start)
			}
			if j > 0 && sp.Start.Before(spans[j-1].End) {
				t.Errorf("%s: span %d [%s, %s] overlaps span %d [%s, %s]", svc, j, sp.Start, sp.End, j-1, spans[j-1].Start, spans[j-1].End)
			}
		}
		if len(spans) > crashRounds+1 {
			t.Errorf("%s: %d monitored spans from %d runs", svc, len(spans), crashRounds+1)
		}
	}

	// Notifications. The outbox holds every key the receiver got; a row
	// marked delivered was answered 2xx; nothing failed (the receiver only
	// ever answers 503 or 2xx); and a key answered 2xx more than once was
	// re-sent only by a later run after the run that delivered it was
	// killed — between the delivery and MarkDelivered — so at most once per
	// kill, never twice by one process.
	rows, err := st.NotificationsByKeyPrefix(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	pending, _, err := st.NotificationQueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rowByKey := map[string]store.NotificationRow{}
	delivered, firing, resolved, repeats := 0, 0, 0, 0
	for _, r := range rows {
		rowByKey[r.Key] = r
		switch {
		case !r.FailedAt.IsZero():
			t.Errorf("notification %s failed: %s", r.Key, r.LastError)
		case !r.DeliveredAt.IsZero():
			delivered++
			if len(rec.ok[r.Key]) == 0 {
				t.Errorf("notification %s is marked delivered but the receiver never accepted it (%d requests)", r.Key, rec.requests[r.Key])
			}
		}
		switch {
		case strings.Contains(r.Key, "/repeat-"):
			repeats++
		case r.Resolved:
			resolved++
		default:
			firing++
		}
	}
	if rec.noKey > 0 {
		t.Errorf("the receiver got %d requests without a key", rec.noKey)
	}
	if hook.badSig > 0 {
		t.Errorf("the receiver got %d requests with a bad signature", hook.badSig)
	}
	for key, n := range rec.requests {
		if _, ok := rowByKey[key]; !ok {
			t.Errorf("the receiver got %s (%d requests) but the outbox has no such notification", key, n)
		}
	}
	duplicates := 0
	var dupNotes []string
	for key, runs := range rec.ok {
		if len(runs) < 2 {
			continue
		}
		duplicates += len(runs) - 1
		at := rec.okAt[key]
		sorted := slices.Clone(runs)
		slices.Sort(sorted)
		for j := 1; j < len(sorted); j++ {
			if sorted[j] == sorted[j-1] {
				t.Errorf("notification %s was accepted twice from run %d (runs %v): a duplicate no kill explains", key, sorted[j], runs)
			}
		}
		if len(runs)-1 > len(kills) {
			t.Errorf("notification %s was accepted %d times with only %d kills", key, len(runs), len(kills))
		}
		// How long before the kill of its run each accepted-then-resent
		// delivery was: should be the instant before MarkDelivered.
		for j := 0; j < len(runs)-1; j++ {
			if r := runs[j]; r < len(kills) {
				dupNotes = append(dupNotes, fmt.Sprintf("%s: accepted in run %d %s before its kill, again in run %d",
					key, r, kills[r].Sub(at[j]).Round(time.Millisecond), runs[j+1]))
			}
		}
	}
	// Every outage alert the receiver was told of, it was told the end of,
	// or the end is in the outbox still (enqueued in the last moments of the
	// graceful run): all targets are up and every ServiceDown resolved
	// before the stop.
	episodes, told, queued, knownLost, strays := 0, 0, 0, 0, 0
	for ep, e := range rec.episodes {
		if e.alertname != "ServiceDown" || !e.firing {
			continue
		}
		episodes++
		if e.resolved {
			told++
			continue
		}
		fp, firedAt, _ := strings.Cut(ep, "@")
		fired, _ := time.Parse(time.RFC3339Nano, firedAt)
		inOutbox := false
		for _, r := range rows {
			rest, ok := strings.CutPrefix(r.Key, fp+"/")
			if !ok || !r.Resolved || !r.DeliveredAt.IsZero() {
				continue
			}
			// fingerprint/receiver/resolved/<ends ms>/severity
			if f := strings.Split(rest, "/"); len(f) == 4 {
				if ends, err := strconv.ParseInt(f[2], 10, 64); err == nil && ends >= fired.UnixMilli() {
					inOutbox = true
				}
			}
		}
		// The alert's next firing, if it fired again: its resolve must have
		// come before that.
		var next time.Time
		for _, r := range rows {
			f := strings.Split(r.Key, "/")
			if len(f) != 5 || f[0] != fp || f[2] != "firing" {
				continue
			}
			if v, err := strconv.ParseInt(f[3], 10, 64); err == nil && v > fired.UnixMilli() && (next.IsZero() || v < next.UnixMilli()) {
				next = time.UnixMilli(v)
			}
		}
		// Still firing in the store at the stop, with no later firing: the
		// daemon has not seen it end, so it has no resolve to send yet; a
		// restart goes on with it. Only a stray (a probe timing out under
		// the test's load after every target was up) may end that way.
		stillFiring := false
		if als, err := st.Alerts(ctx, store.AlertFilter{}); err == nil && next.IsZero() {
			for _, a := range als {
				if a.Fingerprint() == fp && a.State == "firing" && a.FiredAt.Equal(fired) {
					stillFiring = true
				}
			}
		}
		switch resolvedAt := crashLoggedResolve(runLogs, e.service, fired, next); {
		case inOutbox:
			queued++
		case stillFiring && fired.After(quietSince):
			strays++
			t.Logf("ServiceDown for %s (%s) fired after the targets settled (a stray timeout) and was still firing at the stop", e.service, ep)
		case stillFiring:
			t.Errorf("ServiceDown for %s (%s) is still firing after a run in which its target was up throughout", e.service, ep)
		case resolvedAt >= 0 && lostResolveIsKnownBug:
			knownLost++
			t.Logf("KNOWN BUG: ServiceDown for %s (%s): the receiver accepted it firing; run %d logged it resolved, "+
				"but no resolve was ever queued (daemon/alerting.go stores the resolved alert before it enqueues the resolve)",
				e.service, ep, resolvedAt)
		default:
			t.Errorf("the receiver accepted ServiceDown for %s (%s) firing, and its resolve is neither delivered nor queued: a lost notification", e.service, ep)
			for _, r := range rows {
				if strings.HasPrefix(r.Key, fp+"/") {
					t.Logf("  outbox: %s delivered %s attempts %d", r.Key, r.DeliveredAt, r.Attempts)
				}
			}
			if als, err := st.Alerts(ctx, store.AlertFilter{ResolvedSince: fired}); err == nil {
				for _, a := range als {
					if a.Fingerprint() == fp {
						t.Logf("  stored alert: %s, fired %s, ends %s", a.State, a.FiredAt, a.EndsAt)
					}
				}
			}
		}
	}
	for _, n := range dupNotes {
		t.Logf("duplicate: %s", n)
	}
	accepted := 0
	for _, runs := range rec.ok {
		accepted += len(runs)
	}

	t.Logf("%d rounds of kill -9 plus a graceful run, %s in all; %d target flips", crashRounds, elapsed.Round(100*time.Millisecond), flips.Load())
	t.Logf("writes: %d attempted, %d unanswered (daemon dead), other answers %v; acknowledged: %d maintenance windows, %d backup records, %d manual outages",
		led.attempts, led.transport, led.statuses, len(led.windows), len(led.backups), len(led.outages))
	t.Logf("outages in the store: %d (%d detected, %d manual, %d force majeure); %d shown open by the API across %d polls (%d more shown open before they were stored)",
		len(outages), probeOutages, manualOutages, excluded, len(led.openSeen), led.polls, led.openIDZero)
	t.Logf("monitored spans: %d over %d services", spanCount, crashServices)
	t.Logf("notifications: %d in the outbox (%d firing, %d repeats, %d resolved), %d delivered, %d pending; receiver: %d keys, %d accepted, answers %v; duplicates after a kill: %d; ServiceDown episodes told firing %d, resolved %d (%d more resolves still queued at the stop, %d strays still firing, %d lost to the known bug)",
		len(rows), firing, repeats, resolved, delivered, pending, len(rec.requests), accepted, rec.statuses, duplicates, episodes, told, queued, strays, knownLost)
	if len(errLines) > 0 {
		t.Logf("%d error lines in the daemon logs, first: %s", len(errLines), errLines[0])
	}
	for i, l := range errLines {
		if i >= 10 && !t.Failed() {
			break
		}
		t.Logf("  %s", l)
	}
	if len(led.windows) == 0 || len(led.backups) == 0 || len(led.outages) == 0 || len(led.openSeen) == 0 || accepted == 0 {
		t.Errorf("the harness exercised too little: %d windows, %d backups, %d outages, %d open outages seen, %d notifications accepted",
			len(led.windows), len(led.backups), len(led.outages), len(led.openSeen), accepted)
	}
}
