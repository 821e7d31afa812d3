package alerts

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// StateInactive is the state of an alert the engine does not hold: before
// it first turns pending, and after a pending alert's condition cleared.
// It appears only in Transition.From and Transition.To.
const StateInactive = "inactive"

// DefaultDamping is how long a resolved alert is held back before its
// resolution is final (see Engine).
const DefaultDamping = 5 * time.Minute

// ErrNoAlert reports an acknowledgement of an alert the engine does not
// hold.
var ErrNoAlert = errors.New("no such alert")

// Transition is one change of an alert's state: inactive → pending,
// inactive → firing, pending → firing, pending → inactive or firing →
// resolved. Alert is the alert after the change (for pending → inactive,
// as it last was). The daemon stores every transition and turns those to
// firing and to resolved into notifications; pending ones are for the
// store only (so a restart keeps the `for` clock), and pending → inactive
// means the alert vanished before anyone was told: delete it.
type Transition struct {
	Alert    Alert
	From, To string
}

// tracked is one alert the engine holds, with what the lifecycle needs.
type tracked struct {
	a             Alert
	keepFiringFor time.Duration
	// falseSince is the first evaluation at which a firing alert's
	// condition no longer held; zero while it holds.
	falseSince time.Time
	// endedAt is set while a resolved alert cools: the moment it resolved,
	// its resolution not yet final.
	endedAt time.Time
}

// Engine runs the alert lifecycle of Prometheus's rules/alerting.go, with
// time as a parameter:
//
//   - inactive → pending when a rule's condition holds (Condition.Since, or
//     now, is the alert's StartsAt); with For 0 straight to firing;
//   - pending → firing once the condition has held For since StartsAt;
//     pending → inactive, silently, when it clears first;
//   - firing → resolved once the condition has been false for
//     KeepFiringFor (counted from the first evaluation that saw it false)
//     and then stayed false for the engine's damping window.
//
// Damping keeps a flapping alert from paging again and again: a resolved
// alert cools for the damping window before its resolution is final. If
// its condition returns meanwhile it is firing again, silently: the same
// alert, the same StartsAt, no new firing notification and no resolve
// notification. Only an alert that stays resolved for the whole window
// emits firing → resolved, whose EndsAt is when it resolved, not when the
// window ran out. So every resolve message is sent one damping window late,
// and a flapping alert pages once.
//
// An alert's identity is its labels, severity included: a condition that
// changes severity (a certificate passing from 30 to 7 days left) is a new
// alert, and the old one resolves.
//
// Engine is safe for concurrent use.
type Engine struct {
	mu      sync.Mutex
	damping time.Duration
	alerts  map[string]*tracked
}

// NewEngine returns an engine with the given damping window; use
// DefaultDamping unless configured otherwise. 0 (or less) turns damping
// off: alerts resolve as soon as KeepFiringFor allows.
func NewEngine(damping time.Duration) *Engine {
	return &Engine{damping: max(damping, 0), alerts: map[string]*tracked{}}
}

// Eval applies the rules to the facts and advances every alert's lifecycle
// to f.Now: it is Apply(f.Now, Conditions(f)).
func (e *Engine) Eval(f Facts) []Transition {
	return e.Apply(f.Now, Conditions(f))
}

// Apply advances every alert's lifecycle to now, given the conditions that
// hold now; an alert whose condition is not among them is false. Of two
// conditions with the same labels the first counts. Transitions come in
// fingerprint order.
func (e *Engine) Apply(now time.Time, conds []Condition) []Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Transition
	emit := func(t *tracked, from, to string) {
		out = append(out, Transition{Alert: copyAlert(t.a), From: from, To: to})
	}

	seen := make(map[string]bool, len(conds))
	for _, c := range conds {
		fp := Fingerprint(c.Labels)
		if seen[fp] {
			continue
		}
		seen[fp] = true
		t, held := e.alerts[fp]
		from := StatePending
		if !held {
			start := now
			if !c.Since.IsZero() && c.Since.Before(now) {
				start = c.Since
			}
			t = &tracked{a: Alert{Labels: maps.Clone(c.Labels), State: StatePending, StartsAt: start}}
			e.alerts[fp] = t
			from = StateInactive
		}
		t.a.Annotations = maps.Clone(c.Annotations)
		t.keepFiringFor = c.KeepFiringFor
		// A firing alert whose condition returns, while it keeps firing or
		// while it cools, goes on as if it had never cleared.
		t.falseSince, t.endedAt = time.Time{}, time.Time{}
		switch {
		case t.a.State == StatePending && now.Sub(t.a.StartsAt) >= c.For:
			t.a.State, t.a.FiredAt = StateFiring, now
			emit(t, from, StateFiring)
		case !held:
			emit(t, from, StatePending)
		}
	}

	for fp, t := range e.alerts {
		if seen[fp] {
			continue
		}
		switch {
		case t.a.State == StatePending:
			delete(e.alerts, fp)
			emit(t, StatePending, StateInactive)
			continue
		case t.endedAt.IsZero():
			if t.falseSince.IsZero() {
				t.falseSince = now
			}
			if now.Sub(t.falseSince) < t.keepFiringFor {
				continue
			}
			t.endedAt = now
		}
		if now.Sub(t.endedAt) >= e.damping {
			delete(e.alerts, fp)
			t.a.State, t.a.EndsAt = StateResolved, t.endedAt
			emit(t, StateFiring, StateResolved)
		}
	}
	slices.SortFunc(out, func(a, b Transition) int {
		return cmp.Compare(a.Alert.Fingerprint(), b.Alert.Fingerprint())
	})
	return out
}

// Active returns the pending and firing alerts, most severe first, then
// oldest first. Alerts cooling after they resolved (see Engine) are left
// out: nothing about them is repeated or escalated, and their resolve
// notification follows when the damping window ends.
func (e *Engine) Active() []Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Alert, 0, len(e.alerts))
	for _, t := range e.alerts {
		if t.endedAt.IsZero() {
			out = append(out, copyAlert(t.a))
		}
	}
	SortAlerts(out)
	return out
}

// Get returns the alert with the given fingerprint, cooling ones included.
func (e *Engine) Get(fingerprint string) (Alert, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.alerts[fingerprint]
	if !ok {
		return Alert{}, false
	}
	return copyAlert(t.a), true
}

// Restore puts back alerts that were pending or firing when the daemon
// stopped, as read from the store, so a restart neither pages again for an
// alert that fires on nor forgets one that is pending. Call it before the
// first Eval. Resolved alerts are ignored; an alert the engine already
// holds is replaced. A restored firing alert whose condition no longer
// holds resolves the usual way (KeepFiringFor, then damping), counted from
// the first evaluation after the restart; keepFiringFor gives each restored
// alert its rule's KeepFiringFor (nil: none), which the engine otherwise
// learns only when the condition is seen again.
func (e *Engine) Restore(alerts []Alert, keepFiringFor func(Alert) time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, a := range alerts {
		if a.State != StatePending && a.State != StateFiring {
			continue
		}
		a = copyAlert(a)
		a.EndsAt = time.Time{}
		if a.State == StatePending {
			a.FiredAt = time.Time{}
		}
		t := &tracked{a: a}
		if keepFiringFor != nil {
			t.keepFiringFor = keepFiringFor(a)
		}
		e.alerts[a.Fingerprint()] = t
	}
}

// Ack acknowledges the alert with the given fingerprint: who did, at what
// time. An acknowledged alert is no longer repeated or escalated (see Due,
// EscalationLevel). Acknowledging again keeps the first acknowledgement and
// is not an error, so a retried request is harmless.
func (e *Engine) Ack(fingerprint, who string, at time.Time) error {
	if who == "" {
		return errors.New("acknowledge: who is required")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.alerts[fingerprint]
	if !ok {
		return fmt.Errorf("acknowledge %s: %w", fingerprint, ErrNoAlert)
	}
	if t.a.AckedAt.IsZero() {
		t.a.AckedAt, t.a.AckedBy = at, who
	}
	return nil
}

// SortAlerts orders alerts most severe first (P1 before P4), then by
// StartsAt, then by fingerprint.
func SortAlerts(as []Alert) {
	slices.SortFunc(as, func(a, b Alert) int {
		return cmp.Or(
			cmp.Compare(a.Labels[LabelSeverity], b.Labels[LabelSeverity]),
			a.StartsAt.Compare(b.StartsAt),
			cmp.Compare(a.Fingerprint(), b.Fingerprint()),
		)
	})
}

func copyAlert(a Alert) Alert {
	a.Labels = maps.Clone(a.Labels)
	a.Annotations = maps.Clone(a.Annotations)
	return a
}
