// Package backup judges backup sets against a policy's recovery point
// objective (RPO) and retention scheme, and restore tests and outages against
// its recovery time objective (RTO), as SPEC §5 defines them.
//
// Everything here is a pure function of its arguments: the evaluation time is
// a parameter, never the wall clock, so the same records and the same time
// always give the same Status. docs/backups.md explains every rule with
// worked examples.
package backup

import (
	"cmp"
	"sort"
	"time"
)

// Record is one backup of a set, as a source reports it.
type Record struct {
	Time      time.Time // when the data was captured
	Success   bool
	SizeBytes int64  // 0 when unknown
	Kind      string // full, incremental, log, or empty
	ID        string // the source's id for it, or empty
}

// Retention is a retention scheme: "point in time over the last seven days,
// weekly over the previous four weeks and monthly for the previous three
// months" is {7 * 24 * time.Hour, 4, 3}. A zero field means that tier is not
// part of the scheme.
type Retention struct {
	PointInTime time.Duration // D: every instant of [T−D, T] recoverable within the RPO
	Weekly      int           // N: a backup in each of the N ISO weeks before the one holding T−D
	Monthly     int           // M: a backup in each of the M calendar months before the one holding T
}

// Policy is what a set is held to.
type Policy struct {
	RPO       time.Duration // 0: no RPO is configured
	Retention Retention
	Location  *time.Location // weeks and months are taken here; nil is UTC
}

// States of a set.
const (
	StateOK      = "ok"      // the RPO and every configured tier are met
	StateFailing = "failing" // something is not met
	StateUnknown = "unknown" // the source could not be read; see Status.WithError
)

// Status is the evaluation of one backup set at one time. Its JSON is the
// backup status JSON of SPEC §7. Every time in it is in the policy's
// location.
type Status struct {
	Set        string          `json:"set"`
	Service    string          `json:"service"`
	At         time.Time       `json:"at"`
	Newest     *time.Time      `json:"newest"`      // newest successful backup at or before At; null when none
	AgeSeconds *float64        `json:"age_seconds"` // At − Newest; null when there is no backup
	RPOSeconds *float64        `json:"rpo_seconds"` // null when no RPO is configured
	RPOMet     bool            `json:"rpo_met"`     // Age ≤ RPO; without an RPO, whether there is any backup
	Retention  RetentionStatus `json:"retention"`
	RTO        *RTOStatus      `json:"rto"` // set by the caller from EvaluateRTO; null until then
	Met        bool            `json:"met"` // RPO and every configured retention tier
	State      string          `json:"state"`
	Error      string          `json:"error,omitempty"` // why the source could not be read

	NewestID    string     `json:"newest_id,omitempty"`    // id of Newest, when the source gave one
	Backups     int        `json:"backups"`                // successful backups at or before At
	Failures    int        `json:"failures"`               // failed backups at or before At
	LastFailure *time.Time `json:"last_failure,omitempty"` // newest failed backup at or before At
}

// RetentionStatus reports the three tiers of a retention scheme.
type RetentionStatus struct {
	PointInTime PointInTimeStatus `json:"point_in_time"`
	Weekly      TierStatus        `json:"weekly"`
	Monthly     TierStatus        `json:"monthly"`
}

// PointInTimeStatus reports the point-in-time tier. With Days 0 the tier is
// not configured: it is met, with no window, anchor or gaps.
type PointInTimeStatus struct {
	Days          float64    `json:"days"`
	Met           bool       `json:"met"`
	MaxGapSeconds *float64   `json:"max_gap_seconds"` // largest gap in the window; null when it has none
	Gaps          []Gap      `json:"gaps"`            // every gap longer than the RPO, oldest first
	WindowStart   *time.Time `json:"window_start"`    // T − D
	Anchor        *time.Time `json:"anchor"`          // newest backup at or before T − D; null fails the tier
}

// Gap is a stretch between two consecutive backups, or between the newest
// backup and the evaluation time (then End is that time).
type Gap struct {
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Seconds float64   `json:"seconds"`
}

// TierStatus reports the weekly or the monthly tier. With Required 0 the
// tier is not configured: it is met and has no buckets.
type TierStatus struct {
	Required int      `json:"required"`
	Met      bool     `json:"met"`
	Buckets  []Bucket `json:"buckets"` // newest first: w0−1 … w0−N, m0−1 … m0−M
}

// Bucket is one week or month of a tier, the half-open interval
// [Start, End), with the backup that satisfies it: the newest successful
// backup in it, or null.
type Bucket struct {
	Label  string     `json:"label"` // ISO week "2026-W43" or month "2026-10"
	Start  time.Time  `json:"start"`
	End    time.Time  `json:"end"`
	Backup *time.Time `json:"backup"`
	ID     string     `json:"id,omitempty"`
	Count  int        `json:"count"` // successful backups in the bucket
}

// WithError returns s marked as evaluated while its source could not be
// read: Error holds err and State is "unknown". The figures are left as they
// were computed from the records at hand (none, or those read before), so an
// RPO breach stays visible in rpo_met while the source is down. A nil err
// returns s unchanged.
func (s Status) WithError(err error) Status {
	if err == nil {
		return s
	}
	s.Error = err.Error()
	s.State = StateUnknown
	return s
}

// entry is a successful backup at or before the evaluation time, by wall
// clock (seconds and nanoseconds since the Unix epoch, no monotonic reading),
// with its index in the caller's records. It holds no pointer, so a slice of
// them is cheap to sort and invisible to the garbage collector.
type entry struct {
	sec  int64
	nsec int32
	i    int32 // index in records
}

func entryAt(t time.Time, i int) entry {
	return entry{sec: t.Unix(), nsec: int32(t.Nanosecond()), i: int32(i)}
}

func (e entry) time() time.Time { return time.Unix(e.sec, int64(e.nsec)) }

// before reports whether e is earlier than b, ignoring indexes.
func (e entry) before(b entry) bool {
	return e.sec < b.sec || e.sec == b.sec && e.nsec < b.nsec
}

func compareEntries(a, b entry) int {
	switch {
	case a.sec != b.sec:
		return cmp.Compare(a.sec, b.sec)
	case a.nsec != b.nsec:
		return cmp.Compare(a.nsec, b.nsec)
	}
	return cmp.Compare(a.i, b.i)
}

// Evaluate judges the backup set's records against p at time at.
//
// Only successful records at or before at count. records may be in any order
// and are not modified: Evaluate sorts a compact copy once (radix sort, or
// nothing when the records are already in time order) and finds each bucket
// by binary search, so the cost is linear in len(records). Among backups with
// the same time, the later in records is the newer.
func Evaluate(set, service string, records []Record, p Policy, at time.Time) Status {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	at = at.Round(0)
	s := Status{Set: set, Service: service, At: at.In(loc)}
	end := entryAt(at, 0)

	es := make([]entry, 0, len(records))
	var lastFailure entry
	for i := range records {
		e := entryAt(records[i].Time, i)
		if end.before(e) {
			continue
		}
		if !records[i].Success {
			if s.Failures == 0 || lastFailure.before(e) {
				lastFailure = e
			}
			s.Failures++
			continue
		}
		es = append(es, e)
	}
	if s.Failures > 0 {
		s.LastFailure = ptr(lastFailure.time().In(loc))
	}
	sortEntries(es)
	s.Backups = len(es)

	// RPO.
	if p.RPO > 0 {
		s.RPOSeconds = ptr(p.RPO.Seconds())
	}
	if n := len(es); n > 0 {
		newest := es[n-1]
		s.Newest = ptr(newest.time().In(loc))
		s.NewestID = records[newest.i].ID
		age := at.Sub(newest.time())
		s.AgeSeconds = ptr(age.Seconds())
		s.RPOMet = p.RPO <= 0 || age <= p.RPO
	}

	s.Retention.PointInTime = pointInTime(es, p, at, loc)
	ref := at
	if d := p.Retention.PointInTime; d > 0 {
		ref = at.Add(-d)
	}
	s.Retention.Weekly = tier(es, records, p.Retention.Weekly, ref, loc, weekBucket)
	s.Retention.Monthly = tier(es, records, p.Retention.Monthly, at, loc, monthBucket)

	s.Met = s.RPOMet && s.Retention.PointInTime.Met && s.Retention.Weekly.Met && s.Retention.Monthly.Met
	s.State = StateFailing
	if s.Met {
		s.State = StateOK
	}
	return s
}

// pointInTime evaluates the point-in-time tier over [at − D, at]. The
// window's points are the newest backup at or before at − D (the anchor),
// every backup after it, and finally at itself; a gap is the time between
// two consecutive points. With no RPO configured the gaps are measured but
// not judged: the tier then needs only the anchor.
func pointInTime(es []entry, p Policy, at time.Time, loc *time.Location) PointInTimeStatus {
	d := p.Retention.PointInTime
	pit := PointInTimeStatus{Gaps: []Gap{}, Met: true}
	if d <= 0 {
		return pit
	}
	pit.Days = d.Hours() / 24
	ws := at.Add(-d)
	pit.WindowStart = ptr(ws.In(loc))

	// k is the first backup after the window start.
	wse := entryAt(ws, 0)
	k := sort.Search(len(es), func(j int) bool { return wse.before(es[j]) })
	first := k
	if k > 0 {
		first = k - 1
		pit.Anchor = ptr(es[first].time().In(loc))
	}
	var maxGap time.Duration
	seen := false
	gap := func(from, to time.Time) {
		g := to.Sub(from)
		if !seen || g > maxGap {
			maxGap, seen = g, true
		}
		if p.RPO > 0 && g > p.RPO {
			pit.Gaps = append(pit.Gaps, Gap{Start: from.In(loc), End: to.In(loc), Seconds: g.Seconds()})
		}
	}
	if first < len(es) {
		prev := es[first].time()
		for _, e := range es[first+1:] {
			t := e.time()
			gap(prev, t)
			prev = t
		}
		gap(prev, at)
	}
	if seen {
		pit.MaxGapSeconds = ptr(maxGap.Seconds())
	}
	pit.Met = pit.Anchor != nil && (p.RPO <= 0 || maxGap <= p.RPO)
	return pit
}

// bucketFunc returns the k-th bucket before the one containing ref (k ≥ 1),
// in loc, with its label.
type bucketFunc func(ref time.Time, k int, loc *time.Location) (start, end time.Time, label string)

// tier evaluates the weekly or monthly tier: each of the n buckets before
// the one containing ref must hold a successful backup.
func tier(es []entry, records []Record, n int, ref time.Time, loc *time.Location, bucket bucketFunc) TierStatus {
	ts := TierStatus{Required: max(n, 0), Met: true, Buckets: []Bucket{}}
	for k := 1; k <= n; k++ {
		start, end, label := bucket(ref, k, loc)
		se, ee := entryAt(start, 0), entryAt(end, 0)
		lo := sort.Search(len(es), func(j int) bool { return !es[j].before(se) })
		hi := lo + sort.Search(len(es)-lo, func(j int) bool { return !es[lo+j].before(ee) })
		b := Bucket{Label: label, Start: start, End: end, Count: hi - lo}
		if hi > lo {
			e := es[hi-1]
			b.Backup = ptr(e.time().In(loc))
			b.ID = records[e.i].ID
		} else {
			ts.Met = false
		}
		ts.Buckets = append(ts.Buckets, b)
	}
	return ts
}

func ptr[T any](v T) *T { return &v }
