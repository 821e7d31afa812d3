package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/internal/testutil"
)

// TestLoadDaemon measures the whole daemon at scale, end to end; it runs
// only when asked:
//
//	SLAWATCH_LOAD=1 go test -run '^TestLoadDaemon$' -v ./daemon/
//
// It starts 1,000 loopback HTTP endpoints in a child process (so their CPU
// and memory are not counted), writes a config with one service per
// endpoint (one HTTP probe every second, body_contains ok; the timeout is
// 5s or, the config wanting it shorter than the interval, 90% of it) and a
// store in a temporary directory, and runs the daemon in this process on
// the real clock: the scheduler, the prober, state tracking, the metrics,
// the batching SQLite writer (raw results, hourly rollups, monitored
// spans), alert evaluation, maintenance and uptime refreshes, with
// Prometheus scraping /metrics every SLAWATCH_LOAD_SCRAPE (default 15s; 0:
// never). Once every probe has run and every service's first state is in
// the store, and after a warm-up (SLAWATCH_LOAD_WARMUP, default one
// interval, at least 2s), it measures for SLAWATCH_LOAD_SECONDS (default
// 30, one cycle of the 30-second uptime refresh): probes done (the
// daemon's slawatch_probes_total), CPU per probe (getrusage user+sys over
// the window / probes), RSS, scheduling lag (actual vs planned start) and
// the store's growth. Then it stops the daemon and, in the same run, makes
// the same number of fresh-connection GETs with a bare http.Client at the
// same pace: the floor the daemon is compared with.
//
// SLAWATCH_LOAD_ENDPOINTS (default 1000) and SLAWATCH_LOAD_INTERVAL
// (default 1s) change the shape; SLAWATCH_LOAD_POLICY=1 gives every service
// an uptime policy; SLAWATCH_LOAD_PROFILE=prefix writes CPU and heap
// profiles of the window. probe.TestLoad1000 measures the probe path alone.
func TestLoadDaemon(t *testing.T) {
	if os.Getenv("SLAWATCH_LOAD") == "" {
		t.Skip("set SLAWATCH_LOAD=1 to run the load test")
	}
	n := testutil.EnvInt(t, "SLAWATCH_LOAD_ENDPOINTS", 1000)
	seconds := testutil.EnvInt(t, "SLAWATCH_LOAD_SECONDS", 30)
	interval := testutil.EnvDuration(t, "SLAWATCH_LOAD_INTERVAL", time.Second)
	scrapeEvery := testutil.EnvDuration(t, "SLAWATCH_LOAD_SCRAPE", 15*time.Second)
	warmup := testutil.EnvDuration(t, "SLAWATCH_LOAD_WARMUP", max(2*time.Second, interval))
	run := time.Duration(seconds) * time.Second
	// The config wants a timeout shorter than the interval.
	timeout := min(5*time.Second, interval*9/10)

	urls := testutil.StartLoadTargets(t, n)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "slawatch.yaml")
	dbPath := filepath.Join(dir, "slawatch.db")
	// SLAWATCH_LOAD_POLICY=1 gives every service an uptime policy, as a
	// real config would: its error budget is then accounted and the
	// burn-rate rules read its recent downtime.
	policy := os.Getenv("SLAWATCH_LOAD_POLICY") != ""
	var cfg bytes.Buffer
	fmt.Fprintf(&cfg, "storage:\n  path: slawatch.db\n")
	if policy {
		fmt.Fprintf(&cfg, "policies:\n  saas:\n    uptime: {target: 99.9, period: month}\n    timezone: Europe/Amsterdam\n")
	}
	fmt.Fprintf(&cfg, "services:\n")
	for i, u := range urls {
		fmt.Fprintf(&cfg, "  - name: svc-%05d\n", i)
		if policy {
			fmt.Fprintf(&cfg, "    policy: saas\n")
		}
		fmt.Fprintf(&cfg, "    probes:\n      - name: health\n        interval: %s\n        timeout: %s\n        http: {url: %q, body_contains: ok}\n",
			interval, timeout, u)
	}
	if err := os.WriteFile(cfgPath, cfg.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// Warm up (heap, stacks, the targets) so that neither phase pays for it.
	testutil.Floor(nil, urls, int64(n), time.Second, config.DefaultConcurrency)

	var lagOn atomic.Bool
	var lagMu sync.Mutex
	lags := make([]time.Duration, 0, int(run/interval+2)*n)
	logs := &logCounter{}
	addrc := make(chan net.Addr, 1)
	d, err := New(Options{
		ConfigPath: cfgPath, Listen: "127.0.0.1:0",
		// As in production: text lines at Info, here thrown away but
		// formatted and counted.
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
		OnReady: func(a net.Addr) { addrc <- a },
		onLag: func(_, _ string, lag time.Duration) {
			if lagOn.Load() {
				lagMu.Lock()
				lags = append(lags, lag)
				lagMu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	concurrency := d.Config().Probing.Concurrency

	runtime.GC()
	rssBefore, heapBefore := testutil.RSSKiB(t), testutil.LiveHeapKiB()
	var rssPeak atomic.Int64
	stopRSS := testutil.SampleRSS(t, &rssPeak)
	cpuStart, wallStart := testutil.CPUTime(), time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	done, stopped := make(chan error, 1), make(chan struct{})
	go func() {
		done <- d.Run(ctx)
		close(stopped)
	}()
	// Should the test end early, the daemon stops before its directory
	// is removed.
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a.String()
	case err := <-done:
		t.Fatalf("daemon stopped before it was ready: %v", err)
	case <-time.After(2 * time.Minute):
		t.Fatal("daemon not ready in 2 minutes")
	}
	startCPU, startWall := testutil.CPUTime()-cpuStart, time.Since(wallStart)
	sizeReady := storeSize(dbPath)

	// Probes done, read from the daemon's own counters: a registry of
	// their own, so that reading them costs little.
	counts := prometheus.NewRegistry()
	counts.MustRegister(d.m.probesTotal, d.m.probesSkipped)
	count := func() (total, failed, skipped int64) {
		mfs, err := counts.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				v := int64(m.GetCounter().GetValue())
				switch mf.GetName() {
				case "slawatch_probes_skipped_total":
					skipped += v
				case "slawatch_probes_total":
					total += v
					for _, l := range m.GetLabel() {
						if l.GetName() == "result" && l.GetValue() == "failure" {
							failed += v
						}
					}
				}
			}
		}
		return total, failed, skipped
	}

	// Prometheus, scraping.
	var scrapes scrapeStats
	stopScrapes := func() {}
	if scrapeEvery > 0 {
		stopScrapes = sync.OnceFunc(scrapes.loop(base+"/metrics", scrapeEvery))
		t.Cleanup(stopScrapes)
	}

	// The first round: every probe runs once, its series are created and
	// its service's first state is recorded in the store's state history.
	// Then a warm-up, so that the window sees the steady state.
	var firstRound time.Duration
	for {
		if total, _, _ := count(); total >= int64(n) {
			states, err := d.store.CurrentStates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(states) >= n {
				firstRound = time.Since(wallStart) - startWall
				break
			}
		}
		if time.Since(wallStart) > 5*time.Minute {
			t.Fatal("the first round took more than 5 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	firstCPU := testutil.CPUTime() - cpuStart - startCPU
	time.Sleep(warmup)
	warmCPU := testutil.CPUTime() - cpuStart - startCPU - firstCPU
	t0, f0, s0 := count()
	size0 := storeSize(dbPath)
	stopProfile := profileWindow(t, os.Getenv("SLAWATCH_LOAD_PROFILE"))
	load0 := loadAvg()
	cpu0, wall0 := testutil.CPUTime(), time.Now()
	lagOn.Store(true)
	time.Sleep(run)
	lagOn.Store(false)
	cpu, wall := testutil.CPUTime()-cpu0, time.Since(wall0)
	stopProfile()
	load1 := loadAvg()
	t1, f1, s1 := count()
	size1 := storeSize(dbPath)
	rssRun := rssPeak.Load()
	heapRun := testutil.LiveHeapKiB()

	stopScrapes()
	stop0 := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("daemon run: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("daemon did not stop in a minute")
	}
	stopWall := time.Since(stop0)
	stopRSS()
	sizeEnd := storeSize(dbPath)
	rssAfter := testutil.RSSKiB(t)
	all, _, _ := count()

	probes, failed, skipped := t1-t0, f1-f0, s1-s0
	if probes == 0 {
		t.Fatal("no probes ran")
	}
	slices.Sort(lags)
	perProbe := cpu / time.Duration(probes)
	pct := testutil.Pct

	t.Logf("load: %d endpoints every %v (timeout %v, policy %v) for %v after a %v warm-up, GOMAXPROCS=%d, %s/%s; machine load average %s at the window's start, %s at its end",
		n, interval, timeout, policy, run, warmup, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, load0, load1)
	t.Logf("daemon: start to ready %v (CPU %v); first round (every probe once, every state recorded) %v later (CPU %v); warm-up CPU %v",
		startWall.Round(time.Millisecond), startCPU.Round(time.Millisecond),
		firstRound.Round(time.Millisecond), firstCPU.Round(time.Millisecond), warmCPU.Round(time.Millisecond))
	t.Logf("daemon: %d probes (%d failed, %d skipped) in %v = %.0f probes/s",
		probes, failed, skipped, wall.Round(time.Millisecond), float64(probes)/wall.Seconds())
	t.Logf("daemon: CPU %v = %.1f µs/probe, %.1f%% of one core", cpu.Round(time.Millisecond),
		float64(perProbe.Nanoseconds())/1e3, 100*cpu.Seconds()/wall.Seconds())
	t.Logf("daemon: RSS %d KiB before, peak %d KiB, %d KiB after stopping = %.1f KiB/endpoint at peak",
		rssBefore, rssRun, rssAfter, float64(rssRun-rssBefore)/float64(n))
	t.Logf("daemon: live heap after GC %d KiB running, %d KiB before = %.2f KiB/endpoint",
		heapRun, heapBefore, float64(heapRun-heapBefore)/float64(n))
	t.Logf("daemon: scheduling lag p50 %v, p99 %v, max %v (%d starts)",
		pct(lags, 50), pct(lags, 99), pct(lags, 100), len(lags))
	// The WAL is reused, not shrunk, until the store closes: growth
	// during the window is a rough figure, the size after closing (WAL
	// checkpointed) over every result written a sound one.
	t.Logf("daemon: store (db + wal) %.1f MiB at the window's start, %.1f MiB at its end = %.0f bytes/probe; closed: %.1f MiB for %d results = %.0f bytes/result",
		mib(size0), mib(size1), float64(size1-size0)/float64(probes), mib(sizeEnd), all, float64(sizeEnd-sizeReady)/float64(all))
	if scrapeEvery > 0 {
		t.Logf("daemon: %s", scrapes.String())
	}
	t.Logf("daemon: stopped in %v; log lines %s", stopWall.Round(time.Millisecond), logs.String())

	floorCPU := testutil.Floor(t, urls, probes, run, concurrency)
	t.Logf("ratio: daemon / bare floor CPU = %.2f×", float64(perProbe)/float64(floorCPU))
}

// TestLoadTargets is the child process of TestLoadDaemon: see
// testutil.ServeLoadTargets.
func TestLoadTargets(t *testing.T) { testutil.ServeLoadTargets(t) }

// profileWindow, given a path prefix (SLAWATCH_LOAD_PROFILE), profiles the
// CPU of the measured window only (prefix.cpu: not the start, the warm-up,
// the shutdown or the floor) and writes a heap profile at its end
// (prefix.heap), for go tool pprof.
func profileWindow(t *testing.T, prefix string) (stop func()) {
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(prefix + ".cpu")
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		h, err := os.Create(prefix + ".heap")
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		runtime.GC()
		if err := pprof.Lookup("heap").WriteTo(h, 0); err != nil {
			t.Fatal(err)
		}
		t.Logf("profiles of the window: %s.cpu, %s.heap", prefix, prefix)
	}
}

// loadAvg is the machine's 1-minute load average, "?" where there is no
// /proc: other work on the machine shows in the figures.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// storeSize is the size of the SQLite file and its write-ahead log.
func storeSize(db string) int64 {
	var n int64
	for _, p := range []string{db, db + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// logCounter counts the daemon's log lines by level and keeps the first
// warnings and errors.
type logCounter struct {
	mu    sync.Mutex
	lines map[string]int
	first []string
}

func (c *logCounter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lines == nil {
		c.lines = map[string]int{}
	}
	level := "other"
	if _, rest, ok := strings.Cut(string(p), " level="); ok {
		level, _, _ = strings.Cut(rest, " ")
	}
	c.lines[level]++
	if (level == "WARN" || level == "ERROR") && len(c.first) < 5 {
		c.first = append(c.first, strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (c *logCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := fmt.Sprint(c.lines)
	for _, l := range c.first {
		s += "\n\t" + l
	}
	return s
}

// scrapeStats is a Prometheus scraping /metrics (gzip, as Prometheus asks).
type scrapeStats struct {
	mu        sync.Mutex
	n, failed int
	bytes     int64
	took      []time.Duration
}

// loop scrapes url every period, the first at once, until the returned
// func is called.
func (s *scrapeStats) loop(url string, period time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			s.scrape(url)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func (s *scrapeStats) scrape(url string) {
	began := time.Now()
	resp, err := http.Get(url)
	var n int64
	if err == nil {
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if err != nil {
		s.failed++
		return
	}
	s.bytes += n
	s.took = append(s.took, time.Since(began))
}

func (s *scrapeStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := len(s.took)
	if ok == 0 {
		return fmt.Sprintf("%d scrapes of /metrics, all failed", s.n)
	}
	took := slices.Clone(s.took)
	slices.Sort(took)
	return fmt.Sprintf("%d scrapes of /metrics (%d failed), %.0f KiB each (uncompressed), p50 %v, max %v",
		s.n, s.failed, float64(s.bytes)/float64(ok)/1024, testutil.Pct(took, 50), testutil.Pct(took, 100))
}
