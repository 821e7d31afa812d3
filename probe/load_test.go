package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
// (a duration) change the shape.
func TestLoad1000(t *testing.T) {
	if os.Getenv("SLAWATCH_LOAD") == "" {
		t.Skip("set SLAWATCH_LOAD=1 to run the load test")
	}
	n := envInt("SLAWATCH_LOAD_ENDPOINTS", 1000)
	seconds := envInt("SLAWATCH_LOAD_SECONDS", 20)
	interval, err := time.ParseDuration(cmp(os.Getenv("SLAWATCH_LOAD_INTERVAL"), "1s"))
	if err != nil {
		t.Fatal(err)
	}
	run := time.Duration(seconds) * time.Second
	urls := startLoadTargets(t, n)
	// Warm up (heap, stacks, the targets) so that neither phase pays for it.
	floor(nil, urls, int64(n), time.Second)
	// SLAWATCH_LOAD_FLOOR_FIRST=1 runs the floor before the probe path, to
	// see that the order does not decide the ratio.
	floorFirst := os.Getenv("SLAWATCH_LOAD_FLOOR_FIRST") != ""
	var floorCPU time.Duration
	if floorFirst {
		floorCPU = floor(t, urls, int64(n)*int64(run/interval), run)
	}
	runtime.GC()
	rssBefore, heapBefore := rssKiB(t), liveHeapKiB()

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
	cpu0, wall0 := cpuTime(), time.Now()
	if err := s.Apply(specs); err != nil {
		t.Fatal(err)
	}
	s.Start()
	stopRSS := sampleRSS(t, &rssPeak)
	time.Sleep(run)
	s.Stop(context.Background())
	stopRSS()
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	rssAfter := rssKiB(t)
	heapAfter := liveHeapKiB() // the stopped scheduler still holds every probe
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
		floorCPU = floor(t, urls, probes, run)
	}
	t.Logf("ratio: probe path / bare floor CPU = %.2f×", float64(perProbe)/float64(floorCPU))
}

// floor does count fresh-connection GETs with a bare http.Client, spread
// evenly over run in 10ms steps, goroutine per GET like the Scheduler, and
// returns the CPU per GET; with t, it logs the figures.
func floor(t *testing.T, urls []string, count int64, run time.Duration) time.Duration {
	n := len(urls)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var fOK, fFailed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, DefaultConcurrency)
	perTick := max(1, int(count)*10/int(run/time.Millisecond)) // GETs per 10ms
	tick := time.NewTicker(10 * time.Millisecond)
	cpu0, wall0 := cpuTime(), time.Now()
	for i := 0; i < int(count); {
		<-tick.C
		for j := 0; j < perTick && i < int(count); j, i = j+1, i+1 {
			select {
			case sem <- struct{}{}:
			default:
				fFailed.Add(1) // would pile up: count, as the Scheduler skips
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := bareGet(context.Background(), client, urls[i%n]); err != nil {
					fFailed.Add(1)
					return
				}
				fOK.Add(1)
			})
		}
	}
	tick.Stop()
	wg.Wait()
	fcpu, fwall := cpuTime()-cpu0, time.Since(wall0)
	gets := fOK.Load() + fFailed.Load()
	perGet := fcpu / time.Duration(max(gets, 1))
	if t == nil {
		return perGet
	}
	t.Logf("bare floor: %d GETs (%d failed) in %v = %.0f GETs/s; CPU %v = %.1f µs/GET",
		gets, fFailed.Load(), fwall.Round(time.Millisecond), float64(gets)/fwall.Seconds(),
		fcpu.Round(time.Millisecond), float64(perGet.Nanoseconds())/1e3)
	return perGet
}

// TestLoadTargets is the child process of TestLoad1000: it serves
// SLAWATCH_LOAD_TARGETS HTTP endpoints on loopback, prints their URLs, and
// exits when its stdin closes.
func TestLoadTargets(t *testing.T) {
	n := envInt("SLAWATCH_LOAD_TARGETS", 0)
	if n == 0 {
		t.Skip("child process of TestLoad1000")
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})}
	out := bufio.NewWriter(os.Stdout)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(l)
		fmt.Fprintf(out, "http://%s/health\n", l.Addr())
	}
	out.Flush()
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

func startLoadTargets(t *testing.T, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadTargets$")
	cmd.Env = append(os.Environ(), "SLAWATCH_LOAD_TARGETS="+strconv.Itoa(n), "SLAWATCH_LOAD=")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	urls := make([]string, 0, n)
	for len(urls) < n && sc.Scan() {
		if strings.HasPrefix(sc.Text(), "http://") {
			urls = append(urls, sc.Text())
		}
	}
	if len(urls) < n {
		t.Fatalf("child served %d of %d endpoints: %v", len(urls), n, sc.Err())
	}
	go io.Copy(io.Discard, stdout)
	return urls
}

// liveHeapKiB is the heap in use after a collection.
func liveHeapKiB() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc >> 10)
}

// rssKiB is this process's resident set size.
func rssKiB(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Logf("no RSS: %v", err)
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kib
		}
	}
	return 0
}

// sampleRSS records the peak RSS every 100ms until the returned func is called.
func sampleRSS(t *testing.T, peak *atomic.Int64) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := rssKiB(t); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)].Round(10 * time.Microsecond)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
