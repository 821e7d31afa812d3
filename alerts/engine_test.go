package alerts_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/uptime"
)

// engT0 is when the engine tests begin.
var engT0 = time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return engT0.Add(d) }

// cond is a ServiceDown-like condition for service svc.
func cond(svc string, forDur, keep time.Duration) alerts.Condition {
	return alerts.Condition{
		Labels:        map[string]string{"alertname": "ServiceDown", "service": svc, "severity": "P1", "environment": "production"},
		Annotations:   map[string]string{"summary": svc + " is down"},
		For:           forDur,
		KeepFiringFor: keep,
	}
}

// moves renders transitions as "svc:from>to" in order.
func moves(ts []alerts.Transition) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Alert.Labels["service"]+":"+t.From+">"+t.To)
	}
	return strings.Join(s, " ")
}

// step is one evaluation: at offset d, with the condition true or false,
// and the transitions expected.
type step struct {
	d    time.Duration
	on   bool
	want string
}

func run(t *testing.T, e *alerts.Engine, c alerts.Condition, steps []step) []alerts.Transition {
	t.Helper()
	var all []alerts.Transition
	for _, s := range steps {
		var conds []alerts.Condition
		if s.on {
			conds = []alerts.Condition{c}
		}
		got := e.Apply(at(s.d), conds)
		if m := moves(got); m != s.want {
			t.Errorf("at +%s (on %v): transitions %q, want %q", s.d, s.on, m, s.want)
		}
		all = append(all, got...)
	}
	return all
}

func TestLifecycle(t *testing.T) {
	tests := []struct {
		name    string
		forDur  time.Duration
		keep    time.Duration
		damping time.Duration
		steps   []step
	}{
		{"for 0 fires at once, resolves at once", 0, 0, 0, []step{
			{0, true, "portal:inactive>firing"},
			{time.Minute, true, ""},
			{2 * time.Minute, false, "portal:firing>resolved"},
			{3 * time.Minute, false, ""},
		}},
		{"pending then firing exactly after for", 5 * time.Minute, 0, 0, []step{
			{0, true, "portal:inactive>pending"},
			{time.Minute, true, ""},
			{5*time.Minute - time.Nanosecond, true, ""},
			{5 * time.Minute, true, "portal:pending>firing"},
			{6 * time.Minute, true, ""},
		}},
		{"pending that clears vanishes without firing", 5 * time.Minute, 0, 0, []step{
			{0, true, "portal:inactive>pending"},
			{4 * time.Minute, false, "portal:pending>inactive"},
			{5 * time.Minute, true, "portal:inactive>pending"},
			{9 * time.Minute, true, ""},
			{10 * time.Minute, true, "portal:pending>firing"},
		}},
		{"keep_firing_for", 0, 10 * time.Minute, 0, []step{
			{0, true, "portal:inactive>firing"},
			{time.Minute, false, ""},    // false since +1m
			{5 * time.Minute, true, ""}, // back: the clock restarts
			{6 * time.Minute, false, ""},
			{16*time.Minute - time.Second, false, ""},
			{16 * time.Minute, false, "portal:firing>resolved"},
		}},
		{"flapping within the damping window pages once", 0, 0, 5 * time.Minute, []step{
			{0, true, "portal:inactive>firing"},
			{time.Minute, false, ""}, // resolved, cooling
			{2 * time.Minute, true, ""},
			{3 * time.Minute, false, ""},
			{7 * time.Minute, true, ""}, // 4m later: still within the window
			{8 * time.Minute, false, ""},
			{13*time.Minute - time.Second, false, ""},
			{13 * time.Minute, false, "portal:firing>resolved"},
			{14 * time.Minute, true, "portal:inactive>firing"}, // after the window: a new alert
		}},
		{"keep_firing_for then damping", 0, 2 * time.Minute, 5 * time.Minute, []step{
			{0, true, "portal:inactive>firing"},
			{time.Minute, false, ""},
			{3 * time.Minute, false, ""}, // resolved here; cooling until +8m
			{8*time.Minute - time.Second, false, ""},
			{8 * time.Minute, false, "portal:firing>resolved"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := alerts.NewEngine(tc.damping)
			run(t, e, cond("portal", tc.forDur, tc.keep), tc.steps)
		})
	}
}

func TestFlappingKeepsTheAlert(t *testing.T) {
	e := alerts.NewEngine(alerts.DefaultDamping)
	c := cond("portal", 0, 0)
	first := e.Apply(at(0), []alerts.Condition{c})
	if len(first) != 1 {
		t.Fatalf("got %q", moves(first))
	}
	fired := first[0].Alert
	if !fired.StartsAt.Equal(at(0)) || !fired.FiredAt.Equal(at(0)) || fired.State != alerts.StateFiring {
		t.Errorf("fired alert %+v", fired)
	}
	e.Apply(at(time.Minute), nil) // resolved at +1m, cooling
	if a := e.Active(); len(a) != 0 {
		t.Errorf("Active() = %d alerts while cooling, want 0", len(a))
	}
	if _, ok := e.Get(fired.Fingerprint()); !ok {
		t.Error("Get does not find the cooling alert")
	}
	e.Apply(at(3*time.Minute), []alerts.Condition{c}) // back within the window
	act := e.Active()
	if len(act) != 1 || !act[0].StartsAt.Equal(at(0)) || !act[0].FiredAt.Equal(at(0)) || !act[0].EndsAt.IsZero() {
		t.Fatalf("after flapping back: %+v, want the same alert firing since +0", act)
	}
	e.Apply(at(4*time.Minute), nil)
	got := e.Apply(at(9*time.Minute), nil)
	if len(got) != 1 || got[0].To != alerts.StateResolved {
		t.Fatalf("got %q, want one resolve", moves(got))
	}
	r := got[0].Alert
	if !r.EndsAt.Equal(at(4*time.Minute)) || !r.StartsAt.Equal(at(0)) || r.State != alerts.StateResolved {
		t.Errorf("resolved alert: starts %v ends %v state %s; want +0, +4m, resolved", r.StartsAt, r.EndsAt, r.State)
	}
}

func TestSinceStartsTheClock(t *testing.T) {
	e := alerts.NewEngine(0)
	c := cond("portal", 5*time.Minute, 0)
	c.Since = at(-3 * time.Minute) // the outage began before the daemon saw it
	got := e.Apply(at(0), []alerts.Condition{c})
	if moves(got) != "portal:inactive>pending" || !got[0].Alert.StartsAt.Equal(at(-3*time.Minute)) {
		t.Fatalf("got %q starting %v", moves(got), got)
	}
	if got := e.Apply(at(2*time.Minute), []alerts.Condition{c}); moves(got) != "portal:pending>firing" {
		t.Errorf("at +2m got %q, want pending>firing (5m after Since)", moves(got))
	}

	c.Since = at(-time.Hour)
	c.Labels = map[string]string{"alertname": "ServiceDown", "service": "api", "severity": "P1"}
	got = e.Apply(at(3*time.Minute), []alerts.Condition{c})
	if moves(got) != "portal:firing>resolved api:inactive>firing" && moves(got) != "api:inactive>firing portal:firing>resolved" {
		t.Errorf("got %q", moves(got))
	}

	c.Labels = map[string]string{"alertname": "ServiceDown", "service": "web", "severity": "P1"}
	c.Since = at(time.Hour) // in the future: taken as now
	got = e.Apply(at(4*time.Minute), []alerts.Condition{c})
	for _, tr := range got {
		if tr.Alert.Labels["service"] == "web" && !tr.Alert.StartsAt.Equal(at(4*time.Minute)) {
			t.Errorf("StartsAt %v, want now", tr.Alert.StartsAt)
		}
	}
}

func TestSeverityChangeIsANewAlert(t *testing.T) {
	e := alerts.NewEngine(0)
	s := alerts.ServiceFacts{Name: "portal", State: uptime.StateUp,
		Probes: []alerts.ProbeFacts{{Name: "health", CertExpiry: at(10 * 24 * time.Hour)}}}
	f := alerts.Facts{Now: at(0), Services: []alerts.ServiceFacts{s}}
	got := e.Eval(f)
	if len(got) != 1 || got[0].Alert.Labels["severity"] != "P4" || got[0].To != alerts.StateFiring {
		t.Fatalf("got %q, want a firing P4", moves(got))
	}
	p4 := got[0].Alert.Fingerprint()
	f.Now = at(3*24*time.Hour + time.Second) // under 7 days left: P3
	got = e.Eval(f)
	if len(got) != 2 {
		t.Fatalf("got %q, want the P4 resolved and a P3 firing", moves(got))
	}
	for _, tr := range got {
		switch sev := tr.Alert.Labels["severity"]; {
		case sev == "P4" && tr.To == alerts.StateResolved && tr.Alert.Fingerprint() == p4:
		case sev == "P3" && tr.From == alerts.StateInactive && tr.To == alerts.StateFiring:
		default:
			t.Errorf("unexpected transition %s %s>%s", sev, tr.From, tr.To)
		}
	}
}

func TestAnnotationsFollowTheFacts(t *testing.T) {
	e := alerts.NewEngine(0)
	c := cond("portal", 0, 0)
	e.Apply(at(0), []alerts.Condition{c})
	c.Annotations = map[string]string{"summary": "portal is still down"}
	e.Apply(at(time.Minute), []alerts.Condition{c})
	if got := e.Active()[0].Annotations["summary"]; got != "portal is still down" {
		t.Errorf("summary %q, want the latest", got)
	}
	c.Annotations["summary"] = "changed by the caller"
	if got := e.Active()[0].Annotations["summary"]; got != "portal is still down" {
		t.Errorf("engine shares the caller's map: %q", got)
	}
}

func TestDuplicateConditionsCountOnce(t *testing.T) {
	e := alerts.NewEngine(0)
	got := e.Apply(at(0), []alerts.Condition{cond("portal", 0, 0), cond("portal", 0, 0)})
	if moves(got) != "portal:inactive>firing" {
		t.Errorf("got %q", moves(got))
	}
}

func TestRestoreDoesNotRefire(t *testing.T) {
	before := alerts.NewEngine(alerts.DefaultDamping)
	firing, pending := cond("portal", 0, 0), cond("api", 10*time.Minute, 0)
	before.Apply(at(0), []alerts.Condition{firing, pending})
	before.Apply(at(time.Minute), []alerts.Condition{firing, pending})
	if err := before.Ack(alerts.Fingerprint(firing.Labels), "ann", at(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	stored := before.Active()

	// The daemon restarts at +3m and restores what its store holds.
	after := alerts.NewEngine(alerts.DefaultDamping)
	after.Restore(append(stored, alerts.Alert{Labels: map[string]string{"alertname": "Old"}, State: alerts.StateResolved}), nil)
	if !reflect.DeepEqual(after.Active(), stored) {
		t.Fatalf("restored\n%+v\nwant\n%+v", after.Active(), stored)
	}
	if got := after.Apply(at(3*time.Minute), []alerts.Condition{firing, pending}); len(got) != 0 {
		t.Errorf("first evaluation after restart: %q, want nothing", moves(got))
	}
	if got := after.Apply(at(10*time.Minute), []alerts.Condition{firing, pending}); moves(got) != "api:pending>firing" {
		t.Errorf("at +10m: %q, want the pending alert to fire 10m after it began", moves(got))
	}
	a, _ := after.Get(alerts.Fingerprint(firing.Labels))
	if a.AckedBy != "ann" || !a.AckedAt.Equal(at(2*time.Minute)) || !a.StartsAt.Equal(at(0)) {
		t.Errorf("restored alert lost its history: %+v", a)
	}
	// A restored alert whose condition is gone resolves as usual.
	after.Apply(at(11*time.Minute), []alerts.Condition{pending})
	if got := after.Apply(at(16*time.Minute), []alerts.Condition{pending}); moves(got) != "portal:firing>resolved" {
		t.Errorf("at +16m: %q, want portal resolved", moves(got))
	}
}

// A restored firing alert keeps firing for its rule's KeepFiringFor after
// its condition is gone, though the condition is never seen again after the
// restart.
func TestRestoreKeepsFiringFor(t *testing.T) {
	before := alerts.NewEngine(0)
	c := cond("portal", 0, 10*time.Minute)
	before.Apply(at(0), []alerts.Condition{c})
	stored := before.Active()

	after := alerts.NewEngine(0)
	after.Restore(stored, func(a alerts.Alert) time.Duration {
		if a.Labels["service"] != "portal" {
			t.Errorf("asked for %v", a.Labels)
		}
		return 10 * time.Minute
	})
	if got := after.Apply(at(time.Minute), nil); len(got) != 0 {
		t.Errorf("condition gone at +1m: %q, want it to keep firing", moves(got))
	}
	if got := after.Apply(at(10*time.Minute), nil); len(got) != 0 {
		t.Errorf("at +10m: %q, want it still firing (9 minutes since the condition went)", moves(got))
	}
	if got := after.Apply(at(11*time.Minute), nil); moves(got) != "portal:firing>resolved" {
		t.Errorf("at +11m: %q, want it resolved", moves(got))
	}
}

func TestAck(t *testing.T) {
	e := alerts.NewEngine(0)
	c := cond("portal", 0, 0)
	e.Apply(at(0), []alerts.Condition{c})
	fp := alerts.Fingerprint(c.Labels)

	if err := e.Ack("0123456789abcdef", "ann", at(time.Minute)); !errors.Is(err, alerts.ErrNoAlert) {
		t.Errorf("Ack(unknown) = %v, want ErrNoAlert", err)
	}
	if err := e.Ack(fp, "", at(time.Minute)); err == nil {
		t.Error("Ack without who succeeded")
	}
	if err := e.Ack(fp, "ann", at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := e.Ack(fp, "bob", at(2*time.Minute)); err != nil {
		t.Errorf("second Ack = %v, want nil", err)
	}
	a := e.Active()[0]
	if a.AckedBy != "ann" || !a.AckedAt.Equal(at(time.Minute)) {
		t.Errorf("acked by %q at %v, want ann at +1m (the first)", a.AckedBy, a.AckedAt)
	}
	got := e.Apply(at(3*time.Minute), nil)
	if len(got) != 1 || got[0].Alert.AckedBy != "ann" {
		t.Errorf("resolve lost the acknowledgement: %+v", got)
	}
	if err := e.Ack(fp, "ann", at(4*time.Minute)); !errors.Is(err, alerts.ErrNoAlert) {
		t.Errorf("Ack(resolved) = %v, want ErrNoAlert", err)
	}
}

func TestActiveOrder(t *testing.T) {
	e := alerts.NewEngine(0)
	mk := func(svc, sev string, since time.Duration) alerts.Condition {
		c := cond(svc, 0, 0)
		c.Labels["severity"] = sev
		c.Since = at(since)
		return c
	}
	e.Apply(at(0), []alerts.Condition{mk("c", "P3", -time.Minute), mk("a", "P1", -time.Minute), mk("b", "P3", -2*time.Minute), mk("d", "P2", 0)})
	var got []string
	for _, a := range e.Active() {
		got = append(got, a.Labels["service"])
	}
	if strings.Join(got, "") != "adbc" {
		t.Errorf("order %v, want a d b c", got)
	}
}

// TestEngineConcurrency runs evaluations, acknowledgements and reads at
// once, for the race detector.
func TestEngineConcurrency(t *testing.T) {
	e := alerts.NewEngine(time.Minute)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				now := at(time.Duration(i) * time.Second)
				var conds []alerts.Condition
				if i%3 != 0 {
					conds = append(conds, cond(fmt.Sprint("svc", g), 0, 0))
				}
				for _, tr := range e.Apply(now, conds) {
					tr.Alert.Labels["mutated"] = "yes" // transitions are copies
				}
				for _, a := range e.Active() {
					_ = e.Ack(a.Fingerprint(), "ann", now)
					a.Annotations["mutated"] = "yes"
				}
			}
		})
	}
	wg.Wait()
	for _, a := range e.Active() {
		if a.Labels["mutated"] != "" || a.Annotations["mutated"] != "" {
			t.Errorf("engine state was changed through a returned alert: %+v", a)
		}
	}
}
