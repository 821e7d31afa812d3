package uptime

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// History is what reports read from the store. Each method returns what
// overlaps [from, to), unclipped.
type History interface {
	OutagesBetween(ctx context.Context, service string, from, to time.Time) ([]Outage, error)
	MaintenanceBetween(ctx context.Context, service string, from, to time.Time) ([]Window, error)
	MonitoredSpans(ctx context.Context, service string, from, to time.Time) ([]Interval, error)
	StateIntervals(ctx context.Context, service string, state State, from, to, now time.Time) ([]Interval, error)
}

// ConfigWindow is a maintenance window from the config: one-off (Start and
// End) or recurring (Schedule and Duration in Location).
type ConfigWindow struct {
	Schedule string
	Duration time.Duration
	Location *time.Location
	Start    time.Time
	End      time.Time
	Reason   string
}

// Service is what reports need of a configured service.
type Service struct {
	Name     string
	SLA      string         // policy name; empty when the service has none
	Location *time.Location // the policy's time zone; nil is UTC
	Policy   Policy
	Windows  []ConfigWindow
}

// ConfigWindows expands the service's config windows over [from, to).
func (s Service) ConfigWindows(from, to time.Time) ([]Window, error) {
	var out []Window
	for _, cw := range s.Windows {
		if cw.Schedule == "" {
			if cw.End.After(from) && cw.Start.Before(to) {
				out = append(out, Window{Service: s.Name, Start: cw.Start, End: cw.End, Reason: cw.Reason, Source: SourceConfig})
			}
			continue
		}
		ws, err := RecurringWindows(s.Name, cw.Schedule, cw.Duration, cw.Location, cw.Reason, from, to)
		if err != nil {
			return nil, fmt.Errorf("maintenance schedule %q: %w", cw.Schedule, err)
		}
		out = append(out, ws...)
	}
	return out, nil
}

// Gather reads everything a report of svc over period p needs, up to now.
func Gather(ctx context.Context, h History, svc Service, p Period, now time.Time) (Input, error) {
	in := Input{Service: svc.Name, SLA: svc.SLA, Period: p, Now: now, Policy: svc.Policy}
	from, to := p.Start, p.End
	if now.Before(to) {
		to = now
	}
	if !to.After(from) {
		// Nothing of the period has happened yet.
		return in, nil
	}
	var err error
	if in.Outages, err = h.OutagesBetween(ctx, svc.Name, from, to); err != nil {
		return in, fmt.Errorf("read outages of %s: %w", svc.Name, err)
	}
	if in.Maintenance, err = h.MaintenanceBetween(ctx, svc.Name, from, to); err != nil {
		return in, fmt.Errorf("read maintenance of %s: %w", svc.Name, err)
	}
	cw, err := svc.ConfigWindows(from, to)
	if err != nil {
		return in, err
	}
	in.Maintenance = append(in.Maintenance, cw...)
	if in.Monitored, err = h.MonitoredSpans(ctx, svc.Name, from, to); err != nil {
		return in, fmt.Errorf("read monitored time of %s: %w", svc.Name, err)
	}
	if in.Degraded, err = h.StateIntervals(ctx, svc.Name, StateDegraded, from, to, now); err != nil {
		return in, fmt.Errorf("read degraded time of %s: %w", svc.Name, err)
	}
	return in, nil
}

// ActiveWindow returns the window in force at t among svc's config windows
// and the given announced ones (cancelled ones ignored), if any.
func ActiveWindow(svc Service, announced []Window, t time.Time) (Window, bool) {
	for _, w := range announced {
		if !w.Cancelled() && !t.Before(w.Start) && t.Before(w.End) {
			return w, true
		}
	}
	cw, err := svc.ConfigWindows(t, t.Add(time.Nanosecond))
	if err == nil {
		for _, w := range cw {
			if !t.Before(w.Start) && t.Before(w.End) {
				return w, true
			}
		}
	}
	return Window{}, false
}

// Build computes svc's report for the month ("2026-10", kind KindMonth) or
// year ("2026", KindYear) named by label, as of now. It returns the input
// too, for the daily chart.
func Build(ctx context.Context, h History, svc Service, kind, label string, now time.Time) (Report, Input, error) {
	p, err := periodOf(svc, kind, label, now)
	if err != nil {
		return Report{}, Input{}, err
	}
	in, err := Gather(ctx, h, svc, p, now)
	if err != nil {
		return Report{}, in, err
	}
	return accountKind(kind, in), in, nil
}

// periodOf is the month or year (kind) named by label in svc's time zone.
func periodOf(svc Service, kind, label string, now time.Time) (Period, error) {
	switch kind {
	case KindMonth:
		return ParseMonth(label, svc.Location, now)
	case KindYear:
		return ParseYear(label, svc.Location, now)
	}
	return Period{}, fmt.Errorf("period kind %q: want month or year", kind)
}

// accountKind is AccountYear for a year report (with its months), Account
// for a month.
func accountKind(kind string, in Input) Report {
	if kind == KindYear {
		return AccountYear(in)
	}
	return Account(in)
}

// CheckWindow checks a maintenance window announced at run time before it is
// stored.
func CheckWindow(w Window) error {
	if err := checkSpan(w.Service, w.Start, w.End); err != nil {
		return err
	}
	if w.End.Sub(w.Start) > 366*24*time.Hour {
		return fmt.Errorf("a window of %s is longer than a year; announce it in parts", w.End.Sub(w.Start))
	}
	return nil
}

// Windows lists the maintenance windows of the services that overlap
// [from, to): those announced at run time (cancelled ones only with
// cancelled) and those from the config, ordered by start.
func Windows(ctx context.Context, h History, svcs []Service, from, to time.Time, cancelled bool) ([]Window, error) {
	var out []Window
	for _, svc := range svcs {
		ws, err := h.MaintenanceBetween(ctx, svc.Name, from, to)
		if err != nil {
			return nil, fmt.Errorf("read maintenance of %s: %w", svc.Name, err)
		}
		for _, w := range ws {
			if cancelled || !w.Cancelled() {
				out = append(out, w)
			}
		}
		cw, err := svc.ConfigWindows(from, to)
		if err != nil {
			return nil, err
		}
		out = append(out, cw...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Service < out[j].Service
	})
	return out, nil
}

// BuildAll computes the reports of svcs for one month or year label, in the
// order given, with their inputs.
func BuildAll(ctx context.Context, h History, svcs []Service, kind, label string, now time.Time) ([]Report, []Input, error) {
	reports := make([]Report, 0, len(svcs))
	inputs := make([]Input, 0, len(svcs))
	for _, svc := range svcs {
		r, in, err := Build(ctx, h, svc, kind, label, now)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", svc.Name, err)
		}
		reports = append(reports, r)
		inputs = append(inputs, in)
	}
	return reports, inputs, nil
}
