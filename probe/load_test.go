package probe

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

// TestLoad1000 measures the probe path at scale; it runs only when asked:
//
//	SLAWATCH_LOAD=1 go test -run TestLoad1000 -v ./probe/
//
// It starts 1,000 loopback HTTP endpoints in a child process (so their CPU
// and memory are not counted), probes each every second for 20s through the
// Scheduler, and prints probes/s, CPU per probe (getrusage user+sys over the
// run / probes), RSS and scheduling lag. Then, in the same run, it does the
// same number of fresh-connection GETs with a bare http.Client at the same
// pace: the floor the probe path is compared with.
//
// SLAWATCH_LOAD_ENDPOINTS, SLAWATCH_LOAD_SECONDS and SLAWATCH_LOAD_INTERVAL
// (a duration) change the shape. daemon.TestLoadDaemon measures the whole
// daemon the same way.
func TestLoad1000(t *testing.T) {
	if os.Getenv("SLAWATCH_LOAD") == "" {
		t.Skip("set SLAWATCH_LOAD=1 to run the load test")
	}
	n := testutil.EnvInt(t, "SLAWATCH_LOAD_ENDPOINTS", 1000)
	seconds := testutil.EnvInt(t, "SLAWATCH_LOAD_SECONDS", 20)
	interval := testutil.EnvDuration(t, "SLAWATCH_LOAD_INTERVAL", time.Second)
	run := time.Duration(seconds) * time.Second
	urls := testutil.StartLoadTargets(t, n)
	// Warm up (heap, stacks, the targets) so that neither phase pays for it.
	testutil.Floor(nil, urls, int64(n), time.Second, DefaultConcurrency)
	// SLAWATCH_LOAD_FLOOR_FIRST=1 runs the floor before the probe path, to
	// see that the order does not decide the ratio.
	floorFirst := os.Getenv("SLAWATCH_LOAD_FLOOR_FIRST") != ""
	var floorCPU time.Duration
	if floorFirst {
		floorCPU = testutil.Floor(t, urls, int64(n)*int64(run/interval), run, DefaultConcurrency)
	}
	runtime.GC()
	rssBefore, heapBefore := testutil.RSSKiB(t), testutil.LiveHeapKiB()

	// The probe path: Scheduler → HTTP prober → Sink.
	var ok, failed atomic.Int64
	var errMu sync.Mutex
	errs := map[string]int{}
	var lagMu sync.Mutex
	lags := make([]time.Duration, 0, int(run/interval+2)*n)
	var rssPeak atomic.Int64
	s := NewScheduler(SchedulerOptions{
		Sink: func(r Result) {
			if r.Success {
				ok.Add(1)
				return
			}
			failed.Add(1)
			errMu.Lock()
			errs[r.Err]++
			errMu.Unlock()
		},
		OnLag: func(_, _ string, d time.Duration) {
			lagMu.Lock()
			lags = append(lags, d)
			lagMu.Unlock()
		},
	})
	specs := make([]Spec, n)
	for i, u := range urls {
		specs[i] = Spec{Service: fmt.Sprintf("svc-%04d", i), Name: "health", Interval: interval,
			Timeout: 5 * time.Second, HTTP: &HTTPSpec{URL: u, BodyContains: "ok"}}
	}
	cpu0, wall0 := testutil.CPUTime(), time.Now()
	if err := s.Apply(specs); err != nil {
		t.Fatal(err)
	}
	s.Start()
	stopRSS := testutil.SampleRSS(t, &rssPeak)
	time.Sleep(run)
	s.Stop(context.Background())
	stopRSS()
	cpu, wall := testutil.CPUTime()-cpu0, time.Since(wall0)
	rssAfter := testutil.RSSKiB(t)
	heapAfter := testutil.LiveHeapKiB() // the stopped scheduler still holds every probe
	probes := ok.Load() + failed.Load()
	var skipped uint64
	for _, sp := range specs {
		skipped += s.Skipped(sp.Service, sp.Name)
	}
	if probes == 0 {
		t.Fatal("no probes ran")
	}
	slices.Sort(lags)
	perProbe := cpu / time.Duration(probes)
	pct := testutil.Pct

	t.Logf("load: %d endpoints every %v for %v, GOMAXPROCS=%d, %s/%s", n, interval, run, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	t.Logf("probe path: %d probes (%d failed, %d skipped) in %v = %.0f probes/s",
		probes, failed.Load(), skipped, wall.Round(time.Millisecond), float64(probes)/wall.Seconds())
	t.Logf("probe path: CPU %v = %.1f µs/probe, %.1f%% of one core", cpu.Round(time.Millisecond),
		float64(perProbe.Nanoseconds())/1e3, 100*cpu.Seconds()/wall.Seconds())
	t.Logf("probe path: RSS %d KiB before, peak %d KiB, %d KiB after = %.1f KiB/endpoint at peak",
		rssBefore, rssPeak.Load(), rssAfter, float64(rssPeak.Load()-rssBefore)/float64(n))
	t.Logf("probe path: live heap after GC %d KiB with the probes, %d KiB without = %.2f KiB/endpoint",
		heapAfter, heapBefore, float64(heapAfter-heapBefore)/float64(n))
	runtime.KeepAlive(s)
	t.Logf("probe path: scheduling lag p50 %v, p99 %v, max %v (%d starts)",
		pct(lags, 50), pct(lags, 99), pct(lags, 100), len(lags))
	t.Logf("projection: %d endpoints at 30s = %.1f probes/s ≈ %.2f%% of one core",
		3*n, float64(3*n)/30, 100*float64(3*n)/30*perProbe.Seconds())
	for e, c := range errs {
		t.Logf("probe path: %d × %q", c, e)
	}

	if !floorFirst {
		floorCPU = testutil.Floor(t, urls, probes, run, DefaultConcurrency)
	}
	t.Logf("ratio: probe path / bare floor CPU = %.2f×", float64(perProbe)/float64(floorCPU))
}

// TestLoadTargets is the child process of TestLoad1000: see
// testutil.ServeLoadTargets.
func TestLoadTargets(t *testing.T) { testutil.ServeLoadTargets(t) }
