package alerts

import (
	"slices"
	"strings"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// Deadlines gives an alert's response and resolution deadlines (zero: no
// target) and the targets as written, e.g. "2bh" (empty: no target). The
// caller computes them from the policy's targets for the alert's severity,
// counted from its FiredAt on the policy's business calendar where the
// policy says so: the same response deadline escalation starts from.
type Deadlines func(a Alert) (response, resolution time.Time, responseTarget, resolutionTarget string)

// Responsiveness summarizes, per severity, how the alerts that fired in
// [from, to) were acknowledged and resolved against their deadlines: the
// lines of a report's responsiveness section (uptime.Report.Responsiveness).
// Pass the alerts of the report's service, resolved ones included; as is
// not modified. A nil dl means no targets.
//
// The lines are as of now, the report's time: an alert that fired,
// was acknowledged or resolved after now has not yet. So:
//
//   - An incident is an alert whose FiredAt is in [from, to) and not after
//     now. Alerts that never fired (pending only) are ignored, as are
//     alerts without a P1–P4 severity label.
//   - There is one line per severity with incidents, P1 first; none for a
//     severity with a target but no incidents. No incidents, no lines
//     (nil: the report has no section, and JSON []).
//   - Acknowledged in time: AckedAt is set and at or before the response
//     deadline; without a response deadline any acknowledgement is in
//     time.
//   - Response missed: there is a response deadline and the alert went
//     unanswered past it: acknowledged after it, or not acknowledged while
//     it stayed active past it (still open after the deadline at now, or
//     resolved after it). An alert that resolved by its response deadline
//     needed no response: it is not missed, and in time only if it was
//     acknowledged in time. An open, unacknowledged alert not yet due is
//     neither in time nor missed.
//   - Escalated: the alert has at least one escalation (Escalations) whose
//     At is not after now, however many it has; the count does not depend
//     on the deadlines dl gives, only on the escalations recorded.
//   - Resolved: State is resolved with a non-zero EndsAt (not after now).
//     Resolved in time: EndsAt at or before the resolution deadline, or any
//     time without one. Resolution missed: there is a resolution deadline
//     and the alert resolved after it, or is still open after it at now.
//   - Worst response: the longest time from FiredAt to the acknowledgement,
//     or to the resolution when that came first, over the acknowledged
//     incidents and those whose response was missed (an unacknowledged
//     one counted to its resolution, or to now while open). nil when there
//     is none.
//   - Worst resolution: the longest time from FiredAt to EndsAt, open
//     incidents counted to now; nil without incidents.
//   - Targets: the targets dl returns for the severity's incidents; when
//     they differ (one service under several policies), the distinct ones
//     sorted and joined with ", ".
//
// Times before FiredAt (an alert acknowledged while pending) count as 0.
func Responsiveness(as []Alert, dl Deadlines, from, to, now time.Time) uptime.ResponseLines {
	type tally struct {
		line                    uptime.ResponseLine
		worstResp, worstReso    time.Duration
		hasResp, hasReso        bool
		respTargets, resTargets []string
	}
	bySeverity := map[string]*tally{}
	for _, a := range as {
		fired := a.FiredAt
		if fired.IsZero() || fired.Before(from) || !fired.Before(to) || fired.After(now) {
			continue
		}
		sev := a.Labels[LabelSeverity]
		if !validSeverity(sev) {
			continue
		}
		var respBy, resolveBy time.Time
		var respTarget, resolveTarget string
		if dl != nil {
			respBy, resolveBy, respTarget, resolveTarget = dl(a)
		}
		t := bySeverity[sev]
		if t == nil {
			t = &tally{line: uptime.ResponseLine{Severity: sev}}
			bySeverity[sev] = t
		}
		l := &t.line
		l.Incidents++
		if respTarget != "" && !slices.Contains(t.respTargets, respTarget) {
			t.respTargets = append(t.respTargets, respTarget)
		}
		if resolveTarget != "" && !slices.Contains(t.resTargets, resolveTarget) {
			t.resTargets = append(t.resTargets, resolveTarget)
		}

		acked := !a.AckedAt.IsZero() && !a.AckedAt.After(now)
		resolved := a.State == StateResolved && !a.EndsAt.IsZero() && !a.EndsAt.After(now)

		// Resolution: to EndsAt, or to now while open.
		end := now
		if resolved {
			end = a.EndsAt
			l.Resolved++
			if resolveBy.IsZero() || !end.After(resolveBy) {
				l.ResolvedInTime++
			}
		}
		if !resolveBy.IsZero() && end.After(resolveBy) {
			l.ResolutionMissed++
		}
		if d := since(fired, end); !t.hasReso || d > t.worstReso {
			t.worstReso, t.hasReso = d, true
		}

		// Response: the alert is unanswered until it is acknowledged or
		// resolves, whichever comes first; to now while neither.
		answered := end
		if acked {
			l.Acknowledged++
			if respBy.IsZero() || !a.AckedAt.After(respBy) {
				l.AcknowledgedInTime++
			}
			answered = earlier(a.AckedAt, end)
		}
		missed := !respBy.IsZero() && answered.After(respBy)
		if missed {
			l.ResponseMissed++
		}
		if acked || missed {
			if d := since(fired, answered); !t.hasResp || d > t.worstResp {
				t.worstResp, t.hasResp = d, true
			}
		}
		if slices.ContainsFunc(a.Escalations, func(e Escalation) bool { return !e.At.After(now) }) {
			l.Escalated++
		}
	}

	var lines uptime.ResponseLines
	for _, sev := range []string{SeverityP1, SeverityP2, SeverityP3, SeverityP4} {
		t := bySeverity[sev]
		if t == nil {
			continue
		}
		if t.hasResp {
			t.line.WorstResponseSeconds = secondsPtr(t.worstResp)
		}
		if t.hasReso {
			t.line.WorstResolutionSeconds = secondsPtr(t.worstReso)
		}
		t.line.ResponseTarget = joinSorted(t.respTargets)
		t.line.ResolutionTarget = joinSorted(t.resTargets)
		lines = append(lines, t.line)
	}
	return lines
}

// since is t − from, 0 when t is before from.
func since(from, t time.Time) time.Duration {
	return max(0, t.Sub(from))
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func secondsPtr(d time.Duration) *float64 {
	s := d.Seconds()
	return &s
}

func joinSorted(s []string) string {
	slices.Sort(s)
	return strings.Join(s, ", ")
}
