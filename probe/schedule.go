package probe

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/robfig/cron/v3"
)

// offsetStep is the granularity of the offsets that spread probe starts.
const offsetStep = 10 * time.Millisecond

// IntervalSchedule fires every Every, at the instants that lie Offset after a
// multiple of Every since the Unix epoch. Aligning to the epoch rather than
// to when the daemon started keeps a probe's start times the same across
// restarts, and distinct offsets keep probes from all firing at once.
type IntervalSchedule struct {
	Every, Offset time.Duration
}

var _ cron.Schedule = IntervalSchedule{}

// Next returns the first firing instant strictly after t.
func (s IntervalSchedule) Next(t time.Time) time.Time {
	every := int64(s.Every)
	if every <= 0 {
		return time.Time{} // never; cron treats a zero time as "do not run"
	}
	n := t.UnixNano()
	off := int64(s.Offset) % every
	r := (n - off) % every
	if r < 0 {
		r += every
	}
	return time.Unix(0, n-r+every).In(t.Location())
}

// Prev returns the last firing instant at or before t: the planned start of
// a run that began at t.
func (s IntervalSchedule) Prev(t time.Time) time.Time {
	return s.Next(t).Add(-s.Every)
}

// SpreadOffset is the offset within every at which the probe service/probe
// starts: an FNV-1a hash of the names, in steps of 10ms, so starts spread
// over the interval and stay put across restarts.
func SpreadOffset(service, probe string, every time.Duration) time.Duration {
	slots := uint64(every / offsetStep)
	if slots <= 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(service))
	h.Write([]byte{0}) // so "ab"+"c" and "a"+"bc" differ
	h.Write([]byte(probe))
	return time.Duration(h.Sum64()%slots) * offsetStep
}

// scheduleFor is how the Scheduler runs spec: a cron expression at its exact
// times when Schedule is set (it wins over Interval, which the config loader
// may have filled from defaults), otherwise every Interval at the spread
// offset.
func scheduleFor(spec *Spec) (cron.Schedule, error) {
	if spec.Schedule != "" {
		return ParseCron(spec.Schedule)
	}
	every := spec.Interval
	if every <= 0 {
		every = DefaultInterval
	}
	return IntervalSchedule{Every: every, Offset: SpreadOffset(spec.Service, spec.Name, every)}, nil
}

// ParseCron parses a standard cron expression (5 fields, descriptors such
// as @every 1m, an optional CRON_TZ= prefix). cron/v3 panics on a time-zone
// prefix with nothing after it; that is an error here.
func ParseCron(expr string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("invalid cron schedule %q", expr)
		}
	}()
	return cron.ParseStandard(expr)
}

// LongestGap is the longest time between two consecutive planned runs of
// spec within the week after from (a week covers every cron pattern of
// days and hours; a month-day pattern can leave longer gaps, which count
// only as far as the week reaches). A schedule that never runs in that
// week gives the week. Daily cron probes, a weekday-only schedule and the
// like give the daemon how long a service can go without a result and
// still be monitored.
func LongestGap(spec *Spec, from time.Time) time.Duration {
	sched, err := scheduleFor(spec)
	if err != nil {
		return 0
	}
	if iv, ok := sched.(IntervalSchedule); ok {
		return iv.Every
	}
	const week = 7 * 24 * time.Hour
	end := from.Add(week)
	var longest time.Duration
	prev := sched.Next(from)
	if prev.IsZero() || prev.After(end) {
		return week
	}
	// Bounded: a cron schedule fires at most once a minute (10,080 a week);
	// @every descriptors of seconds are cut off after that many.
	for range 20000 {
		next := sched.Next(prev)
		if next.IsZero() || next.After(end) {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	return max(longest, time.Second)
}
