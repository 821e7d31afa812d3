package uptime

import (
	"testing"
	"time"

	"github.com/slawatch/slawatch/probe"
)

var t0 = time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func ok(p string, sec int) probe.Result {
	return probe.Result{Probe: p, Start: at(sec), Success: true}
}

func fail(p string, sec int) probe.Result {
	return probe.Result{Probe: p, Start: at(sec), Err: "status 503, want [200]"}
}

func TestTrackerSingleFailureOpensNoOutage(t *testing.T) {
	tr := NewTracker("svc", 2, 1, []ProbeInfo{{Name: "health"}})
	for i, r := range []probe.Result{ok("health", 0), fail("health", 30), ok("health", 60), fail("health", 90), ok("health", 120)} {
		if x := tr.Observe(r); x.Opened != nil || x.Closed != nil {
			t.Fatalf("result %d: unexpected transition %+v", i, x)
		}
	}
	if s := tr.State(); s != StateUp {
		t.Fatalf("state = %s, want up", s)
	}
}

func TestTrackerOutageEdgesAreFirstFailureAndFirstSuccess(t *testing.T) {
	tr := NewTracker("svc", 2, 2, []ProbeInfo{{Name: "health"}})
	tr.Observe(ok("health", 0))
	if x := tr.Observe(fail("health", 30)); x.Opened != nil {
		t.Fatal("opened after one failure")
	}
	x := tr.Observe(fail("health", 60))
	if x.Opened == nil {
		t.Fatal("no outage after two failures")
	}
	if !x.Opened.Start.Equal(at(30)) || x.Opened.Cause != "status 503, want [200]" || x.Opened.Probe != "health" {
		t.Fatalf("opened = %+v, want start at first failure (30s) with its cause", x.Opened)
	}
	if x.From != StateUp || x.To != StateDown {
		t.Fatalf("transition %s→%s, want up→down", x.From, x.To)
	}
	tr.SetOutageID(7)
	tr.Observe(fail("health", 90))
	// One success is not enough with success_threshold 2, and a failure
	// breaks the clearing streak.
	if x := tr.Observe(ok("health", 120)); x.Closed != nil {
		t.Fatal("closed after one success with threshold 2")
	}
	tr.Observe(fail("health", 150))
	tr.Observe(ok("health", 180))
	x = tr.Observe(ok("health", 210))
	if x.Closed == nil {
		t.Fatal("not closed after two successes")
	}
	if x.Closed.ID != 7 || !x.Closed.Start.Equal(at(30)) || !x.Closed.End.Equal(at(180)) {
		t.Fatalf("closed = %+v, want id 7, [30s, 180s)", x.Closed)
	}
	if tr.State() != StateUp {
		t.Fatalf("state = %s after close", tr.State())
	}
}

func TestTrackerAllDownProbesMustRecover(t *testing.T) {
	tr := NewTracker("svc", 2, 1, []ProbeInfo{{Name: "a"}, {Name: "b"}})
	tr.Observe(fail("a", 0))
	tr.Observe(fail("b", 5))
	tr.Observe(fail("b", 35))
	x := tr.Observe(fail("a", 30))
	if x.Opened != nil {
		t.Fatal("a second confirmation opened another outage")
	}
	o, open := tr.OpenOutage()
	if !open || o.Probe != "b" || !o.Start.Equal(at(5)) {
		t.Fatalf("open outage %+v, want b's streak from 5s", o)
	}
	// b was confirmed first; a's streak started earlier but is only one
	// failure old at that point.
	if x := tr.Observe(ok("b", 65)); x.Closed != nil {
		t.Fatal("closed while a still fails")
	}
	tr.Observe(fail("a", 60))
	x = tr.Observe(ok("a", 90))
	if x.Closed == nil || !x.Closed.End.Equal(at(90)) {
		t.Fatalf("closed = %+v, want end at a's first success (90s)", x.Closed)
	}
}

func TestTrackerEarliestConfirmedStreakStartsOutage(t *testing.T) {
	tr := NewTracker("svc", 2, 1, []ProbeInfo{{Name: "a"}, {Name: "b"}})
	tr.Observe(fail("a", 0))
	tr.Observe(fail("b", 10))
	tr.Observe(fail("a", 30)) // a confirms at 30 with a streak from 0
	o, _ := tr.OpenOutage()
	if !o.Start.Equal(at(0)) || o.Probe != "a" {
		t.Fatalf("outage %+v, want a from 0s", o)
	}
}

func TestTrackerDegraded(t *testing.T) {
	tr := NewTracker("svc", 2, 1, []ProbeInfo{{Name: "web"}, {Name: "search", Impact: probe.ImpactDegraded}})
	if tr.State() != StateUnknown {
		t.Fatalf("state before any result = %s", tr.State())
	}
	slow := ok("web", 0)
	slow.Degraded = true
	if x := tr.Observe(slow); x.To != StateDegraded {
		t.Fatalf("slow success: state %s, want degraded", x.To)
	}
	tr.Observe(ok("web", 30))
	if tr.State() != StateUp {
		t.Fatalf("state %s after a fast success", tr.State())
	}
	tr.Observe(fail("search", 31))
	x := tr.Observe(fail("search", 61))
	if x.Opened != nil || x.To != StateDegraded {
		t.Fatalf("degraded-impact probe failing: %+v, want degraded and no outage", x)
	}
}

func TestTrackerRestoreContinuesOutage(t *testing.T) {
	tr := NewTracker("svc", 2, 1, []ProbeInfo{{Name: "health"}})
	tr.Restore(Outage{ID: 3, Service: "svc", Start: at(-3600), Probe: "health", Source: SourceProbe})
	if tr.State() != StateDown {
		t.Fatalf("restored state %s, want down", tr.State())
	}
	// Failures after the restart extend the same outage.
	for i := 0; i < 3; i++ {
		if x := tr.Observe(fail("health", i*30)); x.Opened != nil || x.Closed != nil {
			t.Fatalf("failure %d changed outages: %+v", i, x)
		}
	}
	x := tr.Observe(ok("health", 90))
	if x.Closed == nil || x.Closed.ID != 3 || !x.Closed.Start.Equal(at(-3600)) || !x.Closed.End.Equal(at(90)) {
		t.Fatalf("closed = %+v, want outage 3 closed at 90s", x.Closed)
	}
}

func TestTrackerRemovedProbeBoundsEnd(t *testing.T) {
	tr := NewTracker("svc", 2, 1, []ProbeInfo{{Name: "a"}, {Name: "b"}})
	tr.Observe(ok("b", 0))
	tr.Observe(fail("a", 0))
	tr.Observe(fail("a", 30))
	tr.SetProbes([]ProbeInfo{{Name: "b"}}, at(100))
	x := tr.Observe(ok("b", 120))
	if x.Closed == nil || !x.Closed.End.Equal(at(100)) {
		t.Fatalf("closed = %+v, want end at the removal (100s)", x.Closed)
	}
}

func TestTrackerIgnoresUnknownProbe(t *testing.T) {
	tr := NewTracker("svc", 1, 1, []ProbeInfo{{Name: "a"}})
	if x := tr.Observe(fail("gone", 0)); x.Changed() {
		t.Fatalf("result of an unknown probe changed state: %+v", x)
	}
}
