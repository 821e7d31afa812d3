package probe

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

type proberFunc func(context.Context) Result

func (f proberFunc) Probe(ctx context.Context) Result { return f(ctx) }

// recorder is a Sink that keeps results.
type recorder struct {
	mu      sync.Mutex
	results []Result
}

func (r *recorder) sink(res Result) {
	r.mu.Lock()
	r.results = append(r.results, res)
	r.mu.Unlock()
}

func (r *recorder) get() []Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Result(nil), r.results...)
}

func (r *recorder) count(service, probe string) int {
	n := 0
	for _, res := range r.get() {
		if res.Service == service && res.Probe == probe {
			n++
		}
	}
	return n
}

// fakeProbers makes probers that take delay (or until their context ends)
// and record how many run at once.
type fakeProbers struct {
	delay     func(Spec) time.Duration
	running   atomic.Int32
	most      atomic.Int32
	deadlines sync.Map // probe name → time left on the context at the start
}

func (f *fakeProbers) new(spec Spec) (Prober, error) {
	return proberFunc(func(ctx context.Context) Result {
		start := time.Now()
		if dl, ok := ctx.Deadline(); ok {
			f.deadlines.Store(spec.Name, dl.Sub(start))
		}
		n := f.running.Add(1)
		defer f.running.Add(-1)
		for m := f.most.Load(); n > m && !f.most.CompareAndSwap(m, n); m = f.most.Load() {
		}
		r := Result{Service: spec.Service, Probe: spec.Name, Start: start, Success: true}
		select {
		case <-time.After(f.delay(spec)):
		case <-ctx.Done():
			r.Success, r.Err = false, ctx.Err().Error()
		}
		r.Duration = time.Since(start)
		return r
	}), nil
}

func every(d time.Duration) func(Spec) time.Duration { return func(Spec) time.Duration { return d } }

func tcpSpec(service, name string, interval time.Duration) Spec {
	return Spec{Service: service, Name: name, Interval: interval, Timeout: 10 * time.Second,
		TCP: &TCPSpec{Address: "127.0.0.1:1"}}
}

func TestSchedulerStartsAtSpreadOffsets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		fakes := &fakeProbers{delay: every(0)}
		var lags []time.Duration
		var mu sync.Mutex
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new,
			OnLag: func(_, _ string, d time.Duration) { mu.Lock(); lags = append(lags, d); mu.Unlock() }})
		specs := []Spec{tcpSpec("portal", "health", time.Second), tcpSpec("portal", "api", 30*time.Second)}
		if err := s.Apply(specs); err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(65 * time.Second)
		s.Stop(context.Background())

		for _, sp := range specs {
			off := SpreadOffset(sp.Service, sp.Name, sp.Interval)
			n := 0
			for _, r := range rec.get() {
				if r.Probe != sp.Name {
					continue
				}
				n++
				if got := time.Duration(r.Start.UnixNano()) % sp.Interval; got != off {
					t.Errorf("%s started at %v: %v into its interval, want its offset %v", sp.Name, r.Start, got, off)
				}
			}
			if want := int(65 * time.Second / sp.Interval); n < want || n > want+1 {
				t.Errorf("%s ran %d times in 65s, want %d", sp.Name, n, want)
			}
		}
		for _, l := range lags {
			if l != 0 {
				t.Fatalf("lag %v on a fake clock, want 0", l)
			}
		}
		if len(lags) == 0 {
			t.Error("OnLag never called")
		}
	})
}

func TestSchedulerSkipsRunsWhileBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		fakes := &fakeProbers{delay: every(2500 * time.Millisecond)}
		var hookSkips atomic.Int32
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new,
			OnSkip: func(string, string) { hookSkips.Add(1) }})
		if err := s.Apply([]Spec{tcpSpec("svc", "slow", time.Second)}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(30 * time.Second)
		s.Stop(context.Background())

		// Each 2.5s attempt blocks the two ticks after it: 10 attempts and 20
		// skips in 30 ticks, give or take the tick at either end.
		runs, skipped := rec.count("svc", "slow"), s.Skipped("svc", "slow")
		if runs < 9 || runs > 11 || skipped < 18 || skipped > 21 {
			t.Errorf("runs = %d, skipped = %d; want about 10 and 20", runs, skipped)
		}
		if int(hookSkips.Load()) != int(skipped) {
			t.Errorf("OnSkip called %d times, Skipped = %d", hookSkips.Load(), skipped)
		}
		if m := fakes.most.Load(); m != 1 {
			t.Errorf("%d attempts of one probe ran at once", m)
		}
	})
}

func TestSchedulerBoundsConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		fakes := &fakeProbers{delay: every(400 * time.Millisecond)}
		s := NewScheduler(SchedulerOptions{Concurrency: 2, Sink: rec.sink, NewProber: fakes.new})
		var specs []Spec
		for _, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
			specs = append(specs, tcpSpec("svc", name, time.Second))
		}
		if err := s.Apply(specs); err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(20 * time.Second)
		s.Stop(context.Background())

		if m := fakes.most.Load(); m != 2 {
			t.Errorf("%d probes ran at once, want the limit 2", m)
		}
		// 8 probes × 0.4s = 3.2s of work a second through 2 slots: 5 attempts
		// a second at most; the rest are skipped, none queued.
		var skipped uint64
		for _, sp := range specs {
			skipped += s.Skipped(sp.Service, sp.Name)
		}
		runs := len(rec.get())
		if runs > 20*5+8 || runs < 20*4 || skipped == 0 || runs+int(skipped) < 8*19 {
			t.Errorf("runs = %d, skipped = %d in 20s; want about 100 runs, the rest of 160 ticks skipped", runs, skipped)
		}
	})
}

func TestSchedulerAppliesTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		fakes := &fakeProbers{delay: every(time.Hour)}
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new})
		spec := tcpSpec("svc", "p", time.Minute)
		spec.Timeout = 3 * time.Second
		if err := s.Apply([]Spec{spec}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(2 * time.Minute)
		s.Stop(context.Background())
		if left, _ := fakes.deadlines.Load("p"); left != 3*time.Second {
			t.Errorf("attempt had %v, want the spec's 3s", left)
		}
		res := rec.get()
		if len(res) != 2 || res[0].Err != context.DeadlineExceeded.Error() || res[0].Duration != 3*time.Second {
			t.Errorf("results %+v; want two that timed out after 3s", res)
		}
	})
}

func TestSchedulerStop(t *testing.T) {
	run := func(t *testing.T, stopAfter time.Duration) (results int, stopTook time.Duration) {
		var rec recorder
		fakes := &fakeProbers{delay: every(5 * time.Second)}
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new})
		if err := s.Apply([]Spec{tcpSpec("svc", "p", time.Minute)}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		first := IntervalSchedule{Every: time.Minute, Offset: SpreadOffset("svc", "p", time.Minute)}.Next(time.Now())
		time.Sleep(time.Until(first) + time.Second) // one attempt in flight, 4s to go
		ctx, cancel := context.WithTimeout(context.Background(), stopAfter)
		defer cancel()
		start := time.Now()
		s.Stop(ctx)
		stopTook = time.Since(start)
		n := len(rec.get())
		time.Sleep(10 * time.Minute)
		if len(rec.get()) != n {
			t.Error("Sink called after Stop returned")
		}
		if err := s.Apply(nil); err == nil {
			t.Error("Apply after Stop: no error")
		}
		return n, stopTook
	}
	synctest.Test(t, func(t *testing.T) {
		// Enough time: the attempt finishes and its result is delivered.
		if n, took := run(t, 10*time.Second); n != 1 || took != 4*time.Second {
			t.Errorf("graceful stop: %d results after %v; want 1 after 4s", n, took)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// Too little: the attempt is aborted and its result dropped.
		if n, took := run(t, time.Second); n != 0 || took != time.Second {
			t.Errorf("forced stop: %d results after %v; want 0 after 1s", n, took)
		}
	})
}

func TestSchedulerApplyIsAllOrNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fakes := &fakeProbers{delay: every(0)}
		compile := func(spec Spec) (Prober, error) {
			if err := spec.Validate(); err != nil {
				return nil, err
			}
			return fakes.new(spec)
		}
		var rec recorder
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: compile})
		good := []Spec{tcpSpec("svc", "a", time.Second), tcpSpec("svc", "b", time.Second)}
		if err := s.Apply(good); err != nil {
			t.Fatal(err)
		}
		bad := tcpSpec("svc", "c", time.Second)
		bad.TCP.Address = "no-port"
		err := s.Apply([]Spec{good[0], bad, good[0]})
		if err == nil || !strings.Contains(err.Error(), "probe svc/c: tcp.address: ") || !strings.Contains(err.Error(), "svc/a: defined twice") {
			t.Fatalf("Apply = %v; want both problems named", err)
		}
		s.Start()
		time.Sleep(3 * time.Second)
		s.Stop(context.Background())
		if rec.count("svc", "b") != 3 {
			t.Errorf("a failed Apply changed the running set: b ran %d times in 3s", rec.count("svc", "b"))
		}
	})
}

func TestSchedulerSurvivesPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		var calls atomic.Int32
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: func(Spec) (Prober, error) {
			return proberFunc(func(context.Context) Result { calls.Add(1); panic("boom") }), nil
		}})
		if err := s.Apply([]Spec{tcpSpec("svc", "p", time.Second)}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(3 * time.Second)
		s.Stop(context.Background())
		if calls.Load() != 3 || len(rec.get()) != 0 {
			t.Errorf("calls = %d, results = %d; want 3 calls and no results", calls.Load(), len(rec.get()))
		}
	})
}

// TestSchedulerRealTime runs real HTTP probes for about 1.5s: Apply adds,
// removes and replaces probes while running, and a slow target's missed
// ticks are counted, not queued. It waits for events rather than sleeping
// fixed times, so a loaded machine slows it down instead of failing it.
func TestSchedulerRealTime(t *testing.T) {
	var slowInFlight, slowMost atomic.Int32
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			n := slowInFlight.Add(1)
			defer slowInFlight.Add(-1)
			for m := slowMost.Load(); n > m && !slowMost.CompareAndSwap(m, n); m = slowMost.Load() {
			}
			time.Sleep(350 * time.Millisecond)
		}
		io.WriteString(w, "ok")
	}))
	web := func(name, path string) Spec {
		return Spec{Service: "svc", Name: name, Interval: 100 * time.Millisecond, Timeout: time.Second,
			HTTP: &HTTPSpec{URL: srv.URL + path}}
	}
	var rec recorder
	s := NewScheduler(SchedulerOptions{Concurrency: 8, Sink: rec.sink})
	defer s.Stop(context.Background())
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s", what)
			}
		}
	}

	if err := s.Apply([]Spec{web("keep", "/"), web("drop", "/"), web("change", "/"), web("slow", "/slow")}); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	keepJob, changeJob := s.jobs[jobKey{"svc", "keep"}], s.jobs[jobKey{"svc", "change"}]
	s.mu.Unlock()
	s.Start()
	waitFor("every probe to run", func() bool {
		return rec.count("svc", "keep") >= 3 && rec.count("svc", "drop") >= 3 && rec.count("svc", "change") >= 3 &&
			rec.count("svc", "slow") >= 1
	})

	if err := s.Apply([]Spec{web("keep", "/"), web("change", "/?v=2"), web("new", "/"), web("slow", "/slow")}); err != nil {
		t.Fatal(err)
	}
	dropped, kept := rec.count("svc", "drop"), rec.count("svc", "keep")
	s.mu.Lock()
	if s.jobs[jobKey{"svc", "keep"}] != keepJob {
		t.Error("an unchanged probe was rescheduled")
	}
	if s.jobs[jobKey{"svc", "change"}] == changeJob {
		t.Error("a changed probe kept its old job")
	}
	s.mu.Unlock()
	waitFor("the new set to run", func() bool {
		return rec.count("svc", "new") >= 3 && rec.count("svc", "keep") >= kept+3 &&
			rec.count("svc", "slow") >= 3 && s.Skipped("svc", "slow") >= 4
	})
	s.Stop(context.Background())

	for _, res := range rec.get() {
		if !res.Success {
			t.Errorf("%s failed: %s", res.Probe, res.Err)
		}
	}
	// At most the attempt that finished as Apply ran.
	if n := rec.count("svc", "drop") - dropped; n > 1 {
		t.Errorf("drop ran %d times after it was removed", n)
	}
	// 350ms attempts every 100ms: each blocks 3 ticks, which are counted.
	if n, sk := rec.count("svc", "slow"), s.Skipped("svc", "slow"); sk < uint64(2*(n-1)) {
		t.Errorf("slow: %d attempts but only %d skipped", n, sk)
	}
	if m := slowMost.Load(); m != 1 {
		t.Errorf("%d attempts of the slow probe ran at once", m)
	}
	if s.Skipped("svc", "drop") != 0 || s.Skipped("nope", "nope") != 0 {
		t.Error("Skipped of unknown probes is not 0")
	}
}

func TestSchedulerStampsWithItsClock(t *testing.T) {
	fixed := time.Date(2026, 10, 1, 8, 30, 0, 0, time.UTC)
	results := make(chan Result, 10)
	s := NewScheduler(SchedulerOptions{Now: func() time.Time { return fixed }, Sink: func(r Result) {
		select {
		case results <- r:
		default:
		}
	}})
	defer s.Stop(context.Background())
	spec := tcpSpec("svc", "p", 100*time.Millisecond)
	spec.TCP.Address = closedAddr(t)
	if err := s.Apply([]Spec{spec}); err != nil {
		t.Fatal(err)
	}
	s.Start()
	select {
	case r := <-results:
		if !r.Start.Equal(fixed) || r.Err != "connect: connection refused" || r.Service != "svc" || r.Probe != "p" {
			t.Errorf("result %+v; want Start %v from the scheduler's clock", r, fixed)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no result")
	}
}

// Many probes with different intervals: each runs exactly on its own grid,
// as often as its interval says — the queue keeps every one in order.
func TestSchedulerManyProbesKeepTheirGrids(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		fakes := &fakeProbers{delay: every(time.Millisecond)}
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new})
		intervals := []time.Duration{time.Second, 7 * time.Second, 30 * time.Second, time.Minute, 90 * time.Second}
		var specs []Spec
		for i := range 200 {
			specs = append(specs, tcpSpec("svc", fmt.Sprintf("p%03d", i), intervals[i%len(intervals)]))
		}
		if err := s.Apply(specs); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		s.Start()
		const run = 5 * time.Minute
		time.Sleep(run)
		s.Stop(context.Background())

		byName := map[string][]Result{}
		for _, r := range rec.get() {
			byName[r.Probe] = append(byName[r.Probe], r)
		}
		for _, sp := range specs {
			sched := IntervalSchedule{Every: sp.Interval, Offset: SpreadOffset(sp.Service, sp.Name, sp.Interval)}
			want := 0
			for at := sched.Next(start); !at.After(start.Add(run)); at = sched.Next(at) {
				want++
			}
			got := byName[sp.Name]
			if len(got) != want {
				t.Errorf("%s every %v ran %d times, want %d", sp.Name, sp.Interval, len(got), want)
				continue
			}
			for _, r := range got {
				if !sched.Prev(r.Start).Equal(r.Start) {
					t.Errorf("%s started at %v, off its grid", sp.Name, r.Start)
					break
				}
			}
		}
		if n := s.Skipped("svc", "p000"); n != 0 {
			t.Errorf("a 1ms probe every second was skipped %d times", n)
		}
	})
}

func TestSchedulerCronSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		fakes := &fakeProbers{delay: every(0)}
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new})
		spec := tcpSpec("svc", "cron", 0)
		spec.Schedule = "CRON_TZ=UTC */15 * * * *"
		spec.Interval = time.Second // the schedule wins
		if err := s.Apply([]Spec{spec}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		time.Sleep(time.Hour + time.Minute)
		s.Stop(context.Background())
		res := rec.get()
		if len(res) != 4 {
			t.Fatalf("ran %d times in an hour at */15, want 4", len(res))
		}
		for _, r := range res {
			if r.Start.Minute()%15 != 0 || r.Start.Second() != 0 || r.Start.Nanosecond() != 0 {
				t.Errorf("started at %v, want exactly on a quarter hour", r.Start)
			}
		}
	})
}

func TestSchedulerStartDoesNotCatchUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		fakes := &fakeProbers{delay: every(0)}
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new})
		if err := s.Apply([]Spec{tcpSpec("svc", "p", time.Minute)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Minute) // applied, not started
		s.Start()
		next := IntervalSchedule{Every: time.Minute, Offset: SpreadOffset("svc", "p", time.Minute)}.Next(time.Now())
		time.Sleep(time.Until(next) - time.Millisecond)
		synctest.Wait()
		if n := len(rec.get()); n != 0 {
			t.Fatalf("%d runs before the first instant after Start", n)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		s.Stop(context.Background())
		if n := len(rec.get()); n != 1 {
			t.Fatalf("%d runs at the first instant, want 1", n)
		}
	})
}

func TestSchedulerApplyAbortsRemovedAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		// 59s attempts every minute: from the later start on, both are in
		// flight at once.
		fakes := &fakeProbers{delay: every(59 * time.Second)}
		s := NewScheduler(SchedulerOptions{Sink: rec.sink, NewProber: fakes.new})
		a, b := tcpSpec("svc", "a", time.Minute), tcpSpec("svc", "b", time.Minute)
		if err := s.Apply([]Spec{a, b}); err != nil {
			t.Fatal(err)
		}
		s.Start()
		for fakes.running.Load() != 2 {
			time.Sleep(time.Second)
		}
		before := len(rec.get())
		b2 := b
		b2.Timeout = 30 * time.Second // changed: replaced
		if err := s.Apply([]Spec{b2}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		if n := fakes.running.Load(); n != 0 {
			t.Errorf("%d attempts of removed or replaced probes still running", n)
		}
		time.Sleep(10 * time.Minute)
		s.Stop(context.Background())
		// The new b runs every minute; its attempts time out after 30s.
		var bs []Result
		for _, r := range rec.get()[before:] {
			if r.Probe == "a" {
				t.Errorf("removed probe a delivered a result after Apply")
			}
			if r.Probe == "b" {
				bs = append(bs, r)
			}
		}
		if len(bs) != 10 || bs[0].Duration != 30*time.Second {
			t.Errorf("replaced probe b delivered %d results in 10 minutes, want 10 that time out after 30s", len(bs))
		}
	})
}
