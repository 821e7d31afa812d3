package alerts

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// DefaultRepeatInterval is how often a firing, unacknowledged alert is sent
// again when a route does not say. The config fills it in when
// repeat_interval is not written; a written 0 means never repeat.
const DefaultRepeatInterval = 4 * time.Hour

// RouteSpec is one entry of `alerts.routes`.
type RouteSpec struct {
	// Match maps a label to its allowed values; an alert matches when each
	// listed label has one of its values. An empty Match matches every
	// alert (a catch-all); a label with an empty list matches none.
	Match map[string][]string `yaml:"match"`
	// Receivers in escalation order: the first is notified at once, the
	// next when the alert is not acknowledged by its response deadline,
	// and so on.
	Receivers []string `yaml:"receivers"`
	// RepeatInterval is how often a firing, unacknowledged alert is sent
	// again; 0 never repeats. See DefaultRepeatInterval.
	RepeatInterval time.Duration `yaml:"repeat_interval"`
	// Continue goes on to the next routes after this one matched, so an
	// alert can reach several routes.
	Continue bool `yaml:"continue"`
}

// Validate checks a route: it has receivers, no receiver twice, no
// negative repeat interval, and no match label without values.
func (r RouteSpec) Validate() error {
	if len(r.Receivers) == 0 {
		return errors.New("receivers: want at least one")
	}
	for i, name := range r.Receivers {
		if name == "" {
			return fmt.Errorf("receivers[%d]: empty name", i)
		}
		if slices.Index(r.Receivers, name) < i {
			return fmt.Errorf("receivers[%d]: %s is listed twice", i, name)
		}
	}
	if r.RepeatInterval < 0 {
		return fmt.Errorf("repeat_interval %s is negative", r.RepeatInterval)
	}
	labels := make([]string, 0, len(r.Match))
	for l := range r.Match {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		if len(r.Match[l]) == 0 {
			return fmt.Errorf("match.%s: want at least one value", l)
		}
	}
	return nil
}

// Matches reports whether an alert with these labels matches the route.
func (r RouteSpec) Matches(labels map[string]string) bool {
	for l, allowed := range r.Match {
		v, ok := labels[l]
		if !ok || !slices.Contains(allowed, v) {
			return false
		}
	}
	return true
}

// MatchedRoute is a route an alert goes to, with its index in the config's
// list (for keying what was sent along it).
type MatchedRoute struct {
	Index int
	Route RouteSpec
}

// Route returns the routes an alert with these labels goes to: the first
// that matches, and after it the next ones that match as long as the last
// matched route says continue. An alert no route matches goes nowhere; end
// the list with a catch-all route.
func Route(routes []RouteSpec, labels map[string]string) []MatchedRoute {
	var out []MatchedRoute
	for i, r := range routes {
		if !r.Matches(labels) {
			continue
		}
		out = append(out, MatchedRoute{Index: i, Route: r})
		if !r.Continue {
			break
		}
	}
	return out
}

// Due reports whether a firing alert should be sent (again) along route r
// to a receiver last sent it at lastSent (zero: never). A receiver that has
// never had it is due at once: that is the first notification, or the
// first after an escalation. After that it is due every RepeatInterval,
// never with RepeatInterval 0. Pending, resolved and acknowledged alerts
// are never due: resolve messages follow transitions, not repeats.
func Due(a Alert, r RouteSpec, lastSent, now time.Time) bool {
	switch {
	case a.State != StateFiring || !a.AckedAt.IsZero():
		return false
	case lastSent.IsZero():
		return true
	case r.RepeatInterval <= 0:
		return false
	}
	return now.Sub(lastSent) >= r.RepeatInterval
}

// EscalationLevel is how far a firing alert has escalated along its route's
// receivers at now: the highest level k from 1 to maxLevel whose due time
// due(k) has come, 0 before due(1). due(1) is the response deadline (the
// alert's FiredAt plus the policy's initial-response target for its
// severity, on the policy's business calendar), and each further level is
// due when the target has passed again, counted from the level before; the
// caller computes them (config.EscalationDue). due must not decrease with
// k; a zero due(k) is never due. An acknowledged alert stays at the level it
// had reached when it was acknowledged. maxLevel is the route's last
// receiver's level (len(receivers)-1); Escalated gives the receivers.
func EscalationLevel(a Alert, due func(level int) time.Time, maxLevel int, now time.Time) int {
	if a.State != StateFiring || due == nil {
		return 0
	}
	if !a.AckedAt.IsZero() && a.AckedAt.Before(now) {
		now = a.AckedAt
	}
	level := 0
	for k := 1; k <= maxLevel; k++ {
		d := due(k)
		if d.IsZero() || now.Before(d) {
			break
		}
		level = k
	}
	return level
}

// Escalated returns the receivers of r that an alert at the given
// escalation level has reached: the first level+1, all of them at most.
// Each is notified once when reached and then repeated as Due says, and
// each gets the resolve message.
func Escalated(r RouteSpec, level int) []string {
	n := min(max(level, 0)+1, len(r.Receivers))
	return slices.Clone(r.Receivers[:n])
}
