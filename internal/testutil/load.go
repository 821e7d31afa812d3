package testutil

// Helpers for the loopback load tests (probe.TestLoad1000,
// daemon.TestLoadDaemon): endpoints served by a child process, the bare
// net/http floor, and CPU, RSS and percentile figures.

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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// loadTargetsEnv tells the child process how many endpoints to serve.
const loadTargetsEnv = "SLAWATCH_LOAD_TARGETS"

// ServeLoadTargets is the child process of a load test. A package that
// calls StartLoadTargets has this test:
//
//	func TestLoadTargets(t *testing.T) { testutil.ServeLoadTargets(t) }
//
// Run as the child, it serves SLAWATCH_LOAD_TARGETS HTTP endpoints on
// loopback (each answers 200 "ok"), prints their URLs and returns when its
// stdin closes; otherwise it skips.
func ServeLoadTargets(t *testing.T) {
	n := EnvInt(t, loadTargetsEnv, 0)
	if n == 0 {
		t.Skip("child process of the load tests")
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

// StartLoadTargets starts n loopback HTTP endpoints in a child process (this
// test binary running its TestLoadTargets, see ServeLoadTargets), so that
// their CPU and memory are not counted, and returns their URLs. The child
// ends with the test.
func StartLoadTargets(t testing.TB, n int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadTargets$")
	cmd.Env = append(os.Environ(), loadTargetsEnv+"="+strconv.Itoa(n), "SLAWATCH_LOAD=")
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

// Floor does count fresh-connection GETs of urls (round robin) with a bare
// http.Client, spread evenly over run in 10 ms steps, a goroutine per GET
// like the probe scheduler, at most concurrency at once (a GET that would
// wait is counted failed, as the scheduler skips). It returns the CPU per
// GET; with t, it logs the figures. This is what the probe path is
// compared with.
func Floor(t testing.TB, urls []string, count int64, run time.Duration, concurrency int) time.Duration {
	n := len(urls)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var fOK, fFailed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	perTick := max(1, int(count)*10/int(run/time.Millisecond)) // GETs per 10ms
	tick := time.NewTicker(10 * time.Millisecond)
	cpu0, wall0 := CPUTime(), time.Now()
	for i := 0; i < int(count); {
		<-tick.C
		for j := 0; j < perTick && i < int(count); j, i = j+1, i+1 {
			select {
			case sem <- struct{}{}:
			default:
				fFailed.Add(1) // would pile up: count, as the Scheduler skips
				continue
			}
			u := urls[i%n] // not i in the goroutine: the loop moves it on
			wg.Go(func() {
				defer func() { <-sem }()
				if err := BareGet(context.Background(), client, u); err != nil {
					fFailed.Add(1)
					return
				}
				fOK.Add(1)
			})
		}
	}
	tick.Stop()
	wg.Wait()
	fcpu, fwall := CPUTime()-cpu0, time.Since(wall0)
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

// BareGet is one GET read to the end, with the probes' 5 s timeout.
func BareGet(ctx context.Context, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err
}

// CPUTime is the CPU this process has used, user + system (getrusage).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// LiveHeapKiB is the heap in use after a collection.
func LiveHeapKiB() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc >> 10)
}

// RSSKiB is this process's resident set size (VmRSS), 0 where there is no
// /proc.
func RSSKiB(t testing.TB) int64 {
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

// SampleRSS records the peak RSS every 100ms until the returned func is
// called.
func SampleRSS(t testing.TB, peak *atomic.Int64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := RSSKiB(t); v > peak.Load() {
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

// Pct is the p-th percentile (p in 0..100; 100 is the maximum) of sorted,
// rounded to 10 µs.
func Pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)].Round(10 * time.Microsecond)
}

// EnvInt is the integer in the environment variable name, or def when it
// is unset; a value that is not a positive integer fails the test.
func EnvInt(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// EnvDuration is the duration in the environment variable name, or def
// when it is unset; a value that does not parse fails the test.
func EnvDuration(t testing.TB, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return d
}
