package backup

import (
	"math/big"
	"sort"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// Compliance is a backup set's RPO record over a period [from, to): how
// much of it the set spent within its RPO, how old its newest backup got,
// and how many backups were taken. It is the backup section of the monthly
// and yearly uptime reports (see Line).
type Compliance struct {
	// Counted is to − from: the part of the period evaluated.
	Counted time.Duration
	// WithinRPO is the time in [from, to) in which the newest successful
	// backup at or before the instant was at most the RPO old. An instant
	// with no backup at or before it is outside the RPO.
	WithinRPO time.Duration
	// WorstAge is the largest age of the newest successful backup over the
	// instants of [from, to) that have one: the supremum, reached just
	// before the next backup or at to. 0 when HasBackup is false.
	WorstAge time.Duration
	// HasBackup reports whether any instant of [from, to) had a successful
	// backup at or before it, that is whether one was taken before to.
	HasBackup bool
	// Backups and Failures count the successful and the failed records
	// with a time in [from, to).
	Backups, Failures int
}

// RPOCompliance measures records against rpo over the period [from, to),
// exactly: at each instant t the age is t − (the newest successful backup
// at or before t), and the time within the RPO is the total length of the
// instants where age ≤ rpo. Ages are not sampled: between two consecutive
// backups b₁ < b₂ the age rises from 0 to b₂ − b₁, so that stretch adds
// min(b₂ − b₁, rpo) within the RPO, clipped to the period.
//
// Failed records count in Failures and are otherwise ignored; records at
// or after to are ignored (to is the period's end, or the report's time
// while the period runs). A set with no backup before from is outside its
// RPO until its first backup, and its worst age is measured from that
// backup on. An rpo ≤ 0 (no RPO) gives WithinRPO 0; the other figures are
// measured as usual. An empty period (to ≤ from) gives the zero
// Compliance.
//
// records may be in any order and are not modified; the cost is that of
// Evaluate, linear in len(records) for records in time order.
func RPOCompliance(records []Record, rpo time.Duration, from, to time.Time) Compliance {
	from, to = from.Round(0), to.Round(0)
	var c Compliance
	if !from.Before(to) {
		return c
	}
	c.Counted = to.Sub(from)
	fe, te := entryAt(from, 0), entryAt(to, 0)

	es := make([]entry, 0, len(records))
	for i := range records {
		e := entryAt(records[i].Time, i)
		if !e.before(te) {
			continue
		}
		inPeriod := !e.before(fe)
		if !records[i].Success {
			if inPeriod {
				c.Failures++
			}
			continue
		}
		if inPeriod {
			c.Backups++
		}
		es = append(es, e)
	}
	sortEntries(es)

	// The period splits at its backups into stretches [start, end) in
	// which the newest backup is newest; the first stretch's is the newest
	// at or before from, when there is one.
	k := sort.Search(len(es), func(j int) bool { return fe.before(es[j]) })
	var newest time.Time
	have := k > 0
	if have {
		newest = es[k-1].time()
	}
	start := from
	stretch := func(end time.Time) {
		if !have || !end.After(start) {
			return
		}
		c.HasBackup = true
		c.WorstAge = max(c.WorstAge, end.Sub(newest))
		// Within the RPO up to newest + rpo; before start when rpo ≤ 0.
		if limit := earliest(end, newest.Add(rpo)); limit.After(start) {
			c.WithinRPO += limit.Sub(start)
		}
	}
	for _, e := range es[k:] {
		t := e.time()
		stretch(t)
		newest, have, start = t, true, t
	}
	stretch(to)
	return c
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Line is the set's line in an uptime report, with c measured against rpo
// (0: no RPO). status is the set's evaluation at the period's end, or at
// the report's time while the period runs (Evaluate at the end of the
// counted period, marked with WithError when its source could not be read);
// it gives Met and State. With a nil status, or one whose state is
// unknown, Met is null.
//
// For a report r of the period p counted to now:
//
//	c := p.Counted(now)
//	comp := RPOCompliance(records, policy.RPO, c.Start, c.End)
//	st := Evaluate(set, service, records, policy, c.End)
//	r.Backups = append(r.Backups, comp.Line(set, policy.RPO, &st))
func (c Compliance) Line(set string, rpo time.Duration, status *Status) uptime.BackupLine {
	l := uptime.BackupLine{
		Set:              set,
		CountedSeconds:   c.Counted.Seconds(),
		WithinRPOSeconds: c.WithinRPO.Seconds(),
		Backups:          c.Backups,
		Failures:         c.Failures,
	}
	if rpo > 0 {
		l.RPOSeconds = ptr(rpo.Seconds())
		if c.Counted > 0 {
			l.CompliancePercent = ptr(share(c.WithinRPO, c.Counted))
		}
	}
	if c.HasBackup {
		l.WorstAgeSeconds = ptr(c.WorstAge.Seconds())
	}
	if status != nil {
		l.State = status.State
		if status.State != StateUnknown {
			l.Met = ptr(status.Met)
		}
	}
	return l
}

// share is 100 × part / whole, rounded once to the nearest float64: exactly
// 100 when part is whole.
func share(part, whole time.Duration) float64 {
	r := new(big.Rat).SetFrac(
		new(big.Int).Mul(big.NewInt(100), big.NewInt(int64(part))),
		big.NewInt(int64(whole)))
	f, _ := r.Float64()
	return f
}
