// Package alerts turns service, backup and certificate state into alerts
// with P1–P4 severities, routes them to receivers in escalation order, and
// delivers notifications at least once.
package alerts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"
)

// Alert states.
const (
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Alert is one alert: a rule's verdict about one subject (a service, a
// probe, a backup set), identified by its labels.
type Alert struct {
	// Labels: alertname, service, severity, environment, and probe or set
	// where the alert is about one.
	Labels map[string]string
	// Annotations: summary (a line a person can act on), description,
	// status_page (a link).
	Annotations map[string]string
	State       string
	StartsAt    time.Time // when the condition began (pending or firing)
	FiredAt     time.Time // when it turned firing; zero while pending
	EndsAt      time.Time // when it resolved; zero while active
	AckedAt     time.Time // zero until acknowledged
	AckedBy     string
	// Escalations are the steps this firing took up its routes, oldest
	// first; filled in by the store, not by the engine.
	Escalations []Escalation
}

// Escalation is one step up a route: the alert was not acknowledged by
// the time Due, so Receiver (Level receivers down the route's list; the
// first receiver is level 0) was notified at At.
type Escalation struct {
	Level    int
	Receiver string
	Due      time.Time
	At       time.Time
}

// Fingerprint identifies an alert by its labels, stable across restarts.
func (a Alert) Fingerprint() string { return Fingerprint(a.Labels) }

// Fingerprint hashes a label set (sorted name=value pairs).
func Fingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write([]byte(labels[n]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Notification is one message to one receiver about one alert in one state.
type Notification struct {
	// ID is the outbox row; Key makes delivery idempotent: the same alert
	// in the same state to the same receiver has the same key, so a
	// restart never pages twice.
	ID       int64
	Key      string
	Receiver string
	Alert    Alert
	// Resolved is set for the message that says the alert has ended.
	Resolved bool
	// ExternalURL is how people reach slawatch (status page links).
	ExternalURL string
	CreatedAt   time.Time
	Attempts    int
}

// Notifier delivers notifications to one receiver. retry reports whether a
// failure is worth retrying (the receiver is down, 5xx, 429) or final (a
// 4xx: the message itself is wrong).
type Notifier interface {
	Notify(ctx context.Context, n Notification) (retry bool, err error)
}
