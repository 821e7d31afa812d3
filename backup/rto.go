package backup

import (
	"slices"
	"time"
)

// RestoreTest is one recorded restore of a set: when it started and ended,
// and whether the restored data was good.
type RestoreTest struct {
	Start, End time.Time
	Success    bool
}

// Outage is an interval in which the set's service was unavailable, as it
// counts against the RTO: the caller leaves out force-majeure outages and the
// parts inside maintenance. End is the zero time while the outage is open.
type Outage struct {
	Start, End time.Time
}

// RTO is a recovery time objective as configured.
type RTO struct {
	// Label is the objective as written in the policy, e.g. "4h" or "5bd".
	Label string
	// Deadline is when something starting at start must be recovered by:
	// start + 4h for a wall-clock RTO, or start plus five business days on
	// the policy's calendar. nil means the policy sets no RTO.
	Deadline func(start time.Time) time.Time
	// Location is where reported times are shown; nil is UTC.
	Location *time.Location
}

// RTOStatus is the "rto" object of the backup status JSON.
type RTOStatus struct {
	RTO          *string           `json:"rto"` // the label; null when no RTO is configured
	RestoreTests RestoreTestStatus `json:"restore_tests"`
	Outages      OutageStatus      `json:"outages"`
}

// RestoreTestStatus reports restore tests that had ended at the evaluation
// time. The newest successful one is the one with the latest End.
type RestoreTestStatus struct {
	Count               int        `json:"count"`
	NewestSuccess       *time.Time `json:"newest_success"`        // End of the newest successful test
	AgeSeconds          *float64   `json:"age_seconds"`           // at − NewestSuccess
	LastDurationSeconds *float64   `json:"last_duration_seconds"` // End − Start of that test
	WithinRTO           *bool      `json:"within_rto"`            // its End ≤ Deadline(Start); null without an RTO or a test
	Last                *TestRun   `json:"last"`                  // the newest test, successful or not
}

// TestRun is one restore test as reported.
type TestRun struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Success bool      `json:"success"`
}

// OutageStatus reports the outages that had started at the evaluation time.
type OutageStatus struct {
	Count          int      `json:"count"`
	LongestSeconds *float64 `json:"longest_seconds"` // null when there are none
	Breaches       []Breach `json:"breaches"`        // outages that ran past their deadline, oldest first
}

// Breach is an outage longer than the RTO. An outage still open at the
// evaluation time has no end; its Seconds run to that time.
type Breach struct {
	Start    time.Time  `json:"start"`
	End      *time.Time `json:"end"`
	Open     bool       `json:"open"`
	Seconds  float64    `json:"seconds"`
	Deadline time.Time  `json:"deadline"`
}

// EvaluateRTO judges restore tests and outages against rto at time at.
//
// Restore tests that end after at, or that have no end or end before they
// start, are ignored. A restore test is within the RTO when End ≤
// rto.Deadline(Start). Outages that start after at are ignored; one that is
// open, or ends after at, is measured to at and reported open. An outage is
// a breach when its end (or at) is after rto.Deadline(Start): an outage that
// ends exactly at its deadline is within the RTO.
func EvaluateRTO(tests []RestoreTest, outages []Outage, rto RTO, at time.Time) RTOStatus {
	loc := rto.Location
	if loc == nil {
		loc = time.UTC
	}
	at = at.Round(0)
	var st RTOStatus
	if rto.Deadline != nil {
		st.RTO = ptr(rto.Label)
	}

	rt := &st.RestoreTests
	var newest, last *RestoreTest
	for i := range tests {
		t := &tests[i]
		if t.End.IsZero() || t.End.Before(t.Start) || t.End.After(at) {
			continue
		}
		rt.Count++
		if last == nil || !t.End.Before(last.End) {
			last = t
		}
		if t.Success && (newest == nil || !t.End.Before(newest.End)) {
			newest = t
		}
	}
	if last != nil {
		rt.Last = &TestRun{Start: last.Start.In(loc), End: last.End.In(loc), Success: last.Success}
	}
	if newest != nil {
		rt.NewestSuccess = ptr(newest.End.In(loc))
		rt.AgeSeconds = ptr(at.Sub(newest.End).Seconds())
		rt.LastDurationSeconds = ptr(newest.End.Sub(newest.Start).Seconds())
		if rto.Deadline != nil {
			rt.WithinRTO = ptr(!newest.End.After(rto.Deadline(newest.Start)))
		}
	}

	ot := &st.Outages
	ot.Breaches = []Breach{}
	var longest time.Duration
	for _, o := range outages {
		if o.Start.After(at) {
			continue
		}
		ot.Count++
		end, open := o.End, false
		if end.IsZero() || end.After(at) {
			end, open = at, true
		}
		d := max(end.Sub(o.Start), 0)
		longest = max(longest, d)
		if rto.Deadline == nil {
			continue
		}
		deadline := rto.Deadline(o.Start)
		if !end.After(deadline) {
			continue
		}
		b := Breach{Start: o.Start.In(loc), Open: open, Seconds: d.Seconds(), Deadline: deadline.In(loc)}
		if !open {
			b.End = ptr(end.In(loc))
		}
		ot.Breaches = append(ot.Breaches, b)
	}
	if ot.Count > 0 {
		ot.LongestSeconds = ptr(longest.Seconds())
	}
	slices.SortStableFunc(ot.Breaches, func(a, b Breach) int { return a.Start.Compare(b.Start) })
	return st
}
