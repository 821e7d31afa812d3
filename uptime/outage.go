// Package uptime turns probe results into service states and outages, and
// outages, maintenance and monitored time into uptime figures.
package uptime

import (
	"errors"
	"fmt"
	"time"
)

// Outage is an interval in which a service was unavailable. End is the zero
// time while the outage is open.
type Outage struct {
	ID       int64
	Service  string
	Start    time.Time
	End      time.Time // zero while open
	Cause    string    // the failure reason a person can act on
	Probe    string    // the probe that confirmed it; empty for manual outages
	Severity string    // P1…P4, empty when unknown
	Source   string    // SourceProbe or SourceManual

	// Force majeure: an excluded outage counts like maintenance.
	Excluded      bool
	ExcludeReason string
	ExcludedBy    string
	ExcludedAt    time.Time

	// Events is the outage's exclusion audit trail, oldest first, where
	// the caller loaded it.
	Events []OutageEvent
}

// OutageEvent is one exclusion or inclusion of an outage: who, when, why.
type OutageEvent struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"` // "exclude" or "include"
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

// Sources of an outage.
const (
	SourceProbe  = "probe"
	SourceManual = "manual"
)

// Open reports whether the outage is still going on.
func (o Outage) Open() bool { return o.End.IsZero() }

// Interval is the half-open time interval [Start, End).
type Interval struct {
	Start, End time.Time
}

// Duration is the interval's length, zero when it is empty or inverted.
func (i Interval) Duration() time.Duration {
	if !i.End.After(i.Start) {
		return 0
	}
	return i.End.Sub(i.Start)
}

// CheckManual checks an outage entered by hand before it is stored.
func CheckManual(o Outage) error { return checkSpan(o.Service, o.Start, o.End) }

// checkSpan checks what every interval entered by hand needs: a service,
// a start, and an end after it.
func checkSpan(service string, start, end time.Time) error {
	switch {
	case service == "":
		return errors.New("service is required")
	case start.IsZero():
		return errors.New("start is required")
	case end.IsZero():
		return errors.New("end is required")
	case !end.After(start):
		return fmt.Errorf("end %s is not after start %s", end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return nil
}
