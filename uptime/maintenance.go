package uptime

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Window is a maintenance window: an interval in which a service may be down
// without it counting, when it was announced in time (SPEC §2, §4).
type Window struct {
	ID          int64 // store ID; 0 for windows from the config
	Service     string
	Start, End  time.Time
	Reason      string
	Source      string    // SourceConfig, SourceAPI or SourceCLI
	AnnouncedAt time.Time // when it was announced; zero when unknown
	AnnouncedBy string
	CancelledAt time.Time // zero unless cancelled; a cancelled window is ignored
}

// Sources of a maintenance window.
const (
	SourceConfig = "config"
	SourceAPI    = "api"
	SourceCLI    = "cli"
)

// Interval returns [Start, End).
func (w Window) Interval() Interval { return Interval{Start: w.Start, End: w.End} }

// Cancelled reports whether the window was cancelled. A cancelled window
// does not count at all, not even the part before it was cancelled.
func (w Window) Cancelled() bool { return !w.CancelledAt.IsZero() }

// NoticeOf is how long before its start the window was announced
// (Start − AnnouncedAt); negative when it was announced after it started.
// It is 0 when the announcement time is unknown (zero AnnouncedAt); check
// Announced first.
func NoticeOf(w Window) time.Duration {
	if w.AnnouncedAt.IsZero() {
		return 0
	}
	return w.Start.Sub(w.AnnouncedAt)
}

// Announced reports whether the window's announcement time is known: it has
// an AnnouncedAt and does not come from the config.
func (w Window) Announced() bool {
	return w.Source != SourceConfig && !w.AnnouncedAt.IsZero()
}

// Late reports whether the window was announced with less notice than
// required, or after it had started (by more than StartGrace). Windows from
// the config are announced in advance by definition (the config is the
// contract's schedule) and are never late; so is a window whose
// announcement time is unknown.
func Late(w Window, notice time.Duration) bool {
	if !w.Announced() {
		return false
	}
	if w.AnnouncedAt.After(w.Start.Add(StartGrace)) {
		return true
	}
	return notice > 0 && NoticeOf(w) < notice
}

// StartGrace is how long after its start a window may be announced and
// still not be "after the fact": an operator announcing maintenance that
// starts now sends a start a moment before the server records the
// announcement.
const StartGrace = time.Minute

// maxOccurrences bounds ExpandRecurring: a minutely schedule over a year is
// 525,600 occurrences. A variable so tests can lower it.
var maxOccurrences = 1 << 20

// repeatLookback is how far before the range ExpandRecurring starts looking,
// beyond the window length, so that an occurrence repeated by a DST fall-back
// is recognized as a repeat whatever the range. Clock changes set clocks
// back by at most a few hours.
const repeatLookback = 48 * time.Hour

// ParseSchedule parses a recurring window's schedule: a standard 5-field cron
// expression (minute hour day-of-month month day-of-week) or a descriptor such
// as @weekly, evaluated in loc. The time zone comes from loc (the window's
// timezone), so a CRON_TZ= or TZ= prefix is an error, as is @every, which is
// not tied to the calendar. Config validation should call it.
func ParseSchedule(schedule string, loc *time.Location) (cron.Schedule, error) {
	s := strings.TrimSpace(schedule)
	if strings.HasPrefix(s, "CRON_TZ=") || strings.HasPrefix(s, "TZ=") {
		return nil, fmt.Errorf("schedule %q: give the time zone as the window's timezone, not in the schedule", schedule)
	}
	if strings.HasPrefix(s, "@every") {
		return nil, fmt.Errorf("schedule %q: @every is not tied to the calendar; use a cron expression", schedule)
	}
	parsed, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", schedule, err)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("schedule %q: not a cron expression", schedule)
	}
	spec.Location = orUTC(loc)
	return spec, nil
}

// ExpandRecurring returns the windows [occ, occ+d) of every occurrence occ of
// schedule in loc that overlaps [from, to), including one that started
// before from and is still running at from. The result is sorted and may
// overlap (when d is longer than the time between occurrences); Union merges
// it.
//
// The schedule is read as local wall time in loc: "0 2 * * SUN" in
// Europe/Amsterdam is 02:00 on the clocks in Amsterdam, 01:00 UTC in winter
// and 00:00 UTC in summer. Each window lasts d of real time, so a 2h window
// is 2 hours long on the days the clocks change, too. On those days:
//
//   - Spring forward: an occurrence in the skipped hour (02:00–02:59 in
//     Amsterdam on the last Sunday of March) does not exist, and, as in
//     robfig/cron/v3, there is no window that day. It is not moved to 03:00.
//   - Fall back: cron/v3 fires twice for a time in the repeated hour (02:00
//     CEST and again at 02:00 CET). A window is one occurrence per scheduled
//     wall-clock time, so only the first is kept (as Vixie cron does): a
//     "0 2 * * SUN" 2h window on the last Sunday of October is 02:00 CEST to
//     03:00 CET, two real hours.
//
// The number of occurrences is bounded; a schedule that would yield more
// than about a million in the range is an error.
func ExpandRecurring(schedule string, d time.Duration, loc *time.Location, from, to time.Time) ([]Interval, error) {
	if d <= 0 {
		return nil, fmt.Errorf("schedule %q: duration %s is not positive", schedule, d)
	}
	sched, err := ParseSchedule(schedule, loc)
	if err != nil {
		return nil, err
	}
	if !to.After(from) {
		return nil, nil
	}
	loc = orUTC(loc)

	var out []Interval
	var lastWall time.Time // latest local wall-clock reading seen, as if in UTC
	cur := from.Add(-d).Add(-repeatLookback).In(loc)
	for n := 0; ; n++ {
		if n >= maxOccurrences {
			return nil, fmt.Errorf("schedule %q: more than %d occurrences between %s and %s", schedule, maxOccurrences, from.Format(time.RFC3339), to.Format(time.RFC3339))
		}
		occ := sched.Next(cur)
		if occ.IsZero() || !occ.Before(to) {
			break // no occurrence within five years, or past the range
		}
		if !occ.After(cur) {
			// Never seen with cron/v3; guard against a schedule that
			// does not advance so the loop still ends.
			return nil, fmt.Errorf("schedule %q did not advance at %s", schedule, cur.Format(time.RFC3339))
		}
		cur = occ
		wall := wallClock(occ)
		if !lastWall.IsZero() && !wall.After(lastWall) {
			continue // the clocks went back: a repeat of an earlier occurrence
		}
		lastWall = wall
		end := occ.Add(d)
		if end.After(from) {
			out = append(out, Interval{Start: occ, End: end})
		}
	}
	return out, nil
}

// RecurringWindows expands a recurring window from the config into Windows
// over [from, to); Source is SourceConfig.
func RecurringWindows(service, schedule string, d time.Duration, loc *time.Location, reason string, from, to time.Time) ([]Window, error) {
	ivs, err := ExpandRecurring(schedule, d, loc, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]Window, len(ivs))
	for i, iv := range ivs {
		out[i] = Window{Service: service, Start: iv.Start, End: iv.End, Reason: reason, Source: SourceConfig}
	}
	return out, nil
}

// wallClock returns t's local date and clock reading as a UTC time, so
// readings can be compared regardless of the offset in force.
func wallClock(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}
