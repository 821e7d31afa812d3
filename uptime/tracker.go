package uptime

import (
	"sort"
	"time"

	"github.com/slawatch/slawatch/probe"
)

// State is a service's state.
type State string

// States. Unknown is a service no probe has reported on yet.
const (
	StateUnknown     State = "unknown"
	StateUp          State = "up"
	StateDegraded    State = "degraded"
	StateDown        State = "down"
	StateMaintenance State = "maintenance"
)

// States lists every state, for metrics that export one series a state.
var States = []State{StateUnknown, StateUp, StateDegraded, StateDown, StateMaintenance}

// ProbeInfo is what the tracker needs to know of one probe.
type ProbeInfo struct {
	Name   string
	Impact probe.Impact
}

// Transition is what one result changed. The caller persists Opened (and
// hands the stored ID back with SetOutageID) and Closed.
type Transition struct {
	From, To State
	// Opened is set when the result confirmed a new outage.
	Opened *Outage
	// Closed is set when the result cleared the open outage; End is filled.
	Closed *Outage
}

// Changed reports whether anything happened.
func (t Transition) Changed() bool { return t.From != t.To || t.Opened != nil || t.Closed != nil }

type probeState struct {
	impact     probe.Impact
	failStreak int
	failStart  time.Time
	failErr    string
	okStreak   int
	okStart    time.Time
	degraded   bool // last result was a slow success
	seen       bool
}

// Tracker follows one service's probe results and decides its state and
// outages, as SPEC §3 fixes: the service turns down after failureThreshold
// consecutive failures of any probe with impact down, and back up after
// successThreshold consecutive successes of all of them. An outage starts at
// the first failure of the confirming streak and ends at the first success of
// the clearing streak.
//
// Tracker does no I/O and is not safe for concurrent use; the caller
// serialises calls per service.
type Tracker struct {
	service          string
	failureThreshold int
	successThreshold int
	probes           map[string]*probeState
	open             *Outage
	// notBefore bounds an open outage's end from below after the probe that
	// confirmed it was removed: its recovery was never seen.
	notBefore time.Time
}

// NewTracker returns a tracker for a service with the given probes.
// Thresholds below 1 are taken as 1.
func NewTracker(service string, failureThreshold, successThreshold int, probes []ProbeInfo) *Tracker {
	t := &Tracker{
		service:          service,
		failureThreshold: max(failureThreshold, 1),
		successThreshold: max(successThreshold, 1),
		probes:           map[string]*probeState{},
	}
	t.SetProbes(probes, time.Time{})
	return t
}

// SetThresholds changes the thresholds, for a reloaded config.
func (t *Tracker) SetThresholds(failure, success int) {
	t.failureThreshold, t.successThreshold = max(failure, 1), max(success, 1)
}

// SetProbes replaces the probe set, keeping the streaks of probes that stay.
// A probe removed while the service is down cannot show its recovery, so the
// open outage will not end before now.
func (t *Tracker) SetProbes(probes []ProbeInfo, now time.Time) {
	next := make(map[string]*probeState, len(probes))
	for _, p := range probes {
		impact := p.Impact
		if impact == "" {
			impact = probe.ImpactDown
		}
		ps := t.probes[p.Name]
		if ps == nil {
			ps = &probeState{}
		}
		ps.impact = impact
		next[p.Name] = ps
	}
	if t.open != nil {
		for name := range t.probes {
			if _, ok := next[name]; !ok && now.After(t.notBefore) {
				t.notBefore = now
			}
		}
	}
	t.probes = next
}

// Restore resumes an outage that was open when the daemon last stopped, so
// it goes on rather than being split in two.
func (t *Tracker) Restore(o Outage) {
	oc := o
	t.open = &oc
}

// SetOutageID records the store's ID of the open outage.
func (t *Tracker) SetOutageID(id int64) {
	if t.open != nil {
		t.open.ID = id
	}
}

// OpenOutage returns the open outage, if any.
func (t *Tracker) OpenOutage() (Outage, bool) {
	if t.open == nil {
		return Outage{}, false
	}
	return *t.open, true
}

// State is the service's state by its probes alone; maintenance is the
// caller's overlay.
func (t *Tracker) State() State {
	if t.open != nil {
		return StateDown
	}
	seen := false
	degraded := false
	for _, ps := range t.probes {
		if !ps.seen {
			continue
		}
		seen = true
		if ps.degraded || (ps.impact == probe.ImpactDegraded && ps.failStreak >= t.failureThreshold) {
			degraded = true
		}
	}
	switch {
	case degraded:
		return StateDegraded
	case seen:
		return StateUp
	}
	return StateUnknown
}

// Observe takes one probe result. Results of probes the tracker does not know
// are ignored (a reload removed them while they were in flight).
func (t *Tracker) Observe(r probe.Result) Transition {
	ps := t.probes[r.Probe]
	if ps == nil {
		s := t.State()
		return Transition{From: s, To: s}
	}
	from := t.State()
	ps.seen = true
	if r.Success {
		if ps.okStreak == 0 {
			ps.okStart = r.Start
		}
		ps.okStreak++
		ps.failStreak = 0
		ps.degraded = r.Degraded
	} else {
		if ps.failStreak == 0 {
			ps.failStart = r.Start
			ps.failErr = r.Err
		}
		ps.failStreak++
		ps.okStreak = 0
		ps.degraded = false
	}

	tr := Transition{From: from}
	if t.open == nil {
		if o := t.confirmedOutage(); o != nil {
			t.open = o
			t.notBefore = time.Time{}
			oc := *o
			tr.Opened = &oc
		}
	} else if end, ok := t.cleared(); ok {
		closed := *t.open
		closed.End = end
		t.open = nil
		t.notBefore = time.Time{}
		tr.Closed = &closed
	}
	tr.To = t.State()
	return tr
}

// confirmedOutage returns a new outage when a down-impact probe has reached
// the failure threshold; it starts at the earliest such streak's first failure.
func (t *Tracker) confirmedOutage() *Outage {
	var names []string
	for name, ps := range t.probes {
		if ps.impact == probe.ImpactDown && ps.failStreak >= t.failureThreshold {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := t.probes[names[i]], t.probes[names[j]]
		if !a.failStart.Equal(b.failStart) {
			return a.failStart.Before(b.failStart)
		}
		return names[i] < names[j]
	})
	ps := t.probes[names[0]]
	return &Outage{
		Service: t.service,
		Start:   ps.failStart,
		Cause:   ps.failErr,
		Probe:   names[0],
		Source:  SourceProbe,
	}
}

// cleared reports whether every down-impact probe has reached the success
// threshold, and the end: the moment from which all of them succeeded.
func (t *Tracker) cleared() (time.Time, bool) {
	end := t.notBefore
	any := false
	for _, ps := range t.probes {
		if ps.impact != probe.ImpactDown {
			continue
		}
		any = true
		if ps.okStreak < t.successThreshold {
			return time.Time{}, false
		}
		if ps.okStart.After(end) {
			end = ps.okStart
		}
	}
	if !any {
		// No probe can clear it: only a manual close ends it.
		return time.Time{}, false
	}
	if end.Before(t.open.Start) {
		end = t.open.Start
	}
	return end, true
}
