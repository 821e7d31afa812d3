package web

import (
	"time"

	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// OutageJSON is an outage as the API and `outage list --format json` show it.
type OutageJSON struct {
	ID              int64          `json:"id"`
	Service         string         `json:"service"`
	Start           time.Time      `json:"start"`
	End             *time.Time     `json:"end"` // null while open
	DurationSeconds float64        `json:"duration_seconds"`
	Cause           string         `json:"cause"`
	Probe           string         `json:"probe,omitempty"`
	Severity        string         `json:"severity,omitempty"`
	Source          string         `json:"source"`
	Excluded        *ExclusionJSON `json:"excluded"` // null unless force majeure
	Events          []EventJSON    `json:"events,omitempty"`
}

// ExclusionJSON says why an outage is force majeure.
type ExclusionJSON struct {
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// EventJSON is one entry of an outage's audit trail.
type EventJSON struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

// NewOutageJSON converts an outage; an open one's duration runs to now.
func NewOutageJSON(o uptime.Outage, now time.Time) OutageJSON {
	j := OutageJSON{
		ID: o.ID, Service: o.Service, Start: o.Start, Cause: o.Cause, Probe: o.Probe,
		Severity: o.Severity, Source: o.Source,
	}
	end := now
	if !o.Open() {
		e := o.End
		j.End = &e
		end = e
	}
	j.DurationSeconds = uptime.Interval{Start: o.Start, End: end}.Duration().Seconds()
	if o.Excluded {
		j.Excluded = &ExclusionJSON{Reason: o.ExcludeReason, By: o.ExcludedBy, At: o.ExcludedAt}
	}
	return j
}

func outageWithEvents(o uptime.Outage, events []store.OutageEvent, now time.Time) OutageJSON {
	j := NewOutageJSON(o, now)
	for _, e := range events {
		j.Events = append(j.Events, EventJSON{At: e.At, Action: e.Action, Reason: e.Reason, By: e.Who})
	}
	return j
}
