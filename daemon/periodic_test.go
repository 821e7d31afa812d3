package daemon

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// TestMonthFromItsYear checks what refreshUptime relies on to read the
// store once a refresh instead of three times: the month's report taken
// from AccountYear of the year to date is Account of the month to date,
// AccountYear's year is Account's, and the burn-rate downtime of the last
// hours taken from the year's history is the one from their own. Random
// histories (outages across month
// ends, open and force-majeure ones, announced windows late and in time,
// config windows, gaps in monitoring, degraded spells) under each policy
// mode and time zone.
func TestMonthFromItsYear(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	yearStart := time.Date(2026, 1, 1, 0, 0, 0, 0, ams)
	end := time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)
	pols := []uptime.Policy{
		{TargetPercent: 99.9},
		{TargetPercent: 99.5, Unmonitored: uptime.UnmonitoredDown, Degraded: uptime.DegradedDown, MaintenanceNotice: 48 * time.Hour},
		{TargetPercent: 99, Unmonitored: uptime.UnmonitoredUp, LateMaintenance: uptime.LateExclude, MaintenanceNotice: 24 * time.Hour},
		{}, // no policy
	}
	locs := []*time.Location{ams, nil, time.UTC}
	burning := 0 // cases with downtime in the burn window
	for seed := range 60 {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		at := func() time.Time { return yearStart.Add(time.Duration(r.Int64N(int64(end.Sub(yearStart))))) }
		upTo := func(d time.Duration) time.Duration { return time.Duration(r.Int64N(int64(d))) }
		var h fakeHistory
		for i := range 40 {
			o := uptime.Outage{ID: int64(i + 1), Service: "s", Start: at(), Excluded: r.IntN(5) == 0}
			if o.End = o.Start.Add(upTo(72 * time.Hour)); i == 0 && seed%2 == 0 {
				o.End = time.Time{} // open
			}
			h.outages = append(h.outages, o)
		}
		for i := range 20 {
			s := at()
			h.windows = append(h.windows, uptime.Window{ID: int64(i + 1), Service: "s", Start: s, End: s.Add(upTo(48 * time.Hour)),
				Source: uptime.SourceAPI, AnnouncedAt: s.Add(-upTo(96 * time.Hour))})
		}
		for s := yearStart; s.Before(end); {
			e := s.Add(upTo(400 * time.Hour))
			if e.After(end) {
				e = end
			}
			h.spans = append(h.spans, uptime.Interval{Start: s, End: e})
			s = e.Add(upTo(10 * time.Hour))
		}
		for range 30 {
			s := at()
			h.degraded = append(h.degraded, uptime.Interval{Start: s, End: s.Add(upTo(10 * time.Hour))})
		}
		pol, loc := pols[seed%len(pols)], locs[seed%len(locs)]
		us := uptime.Service{Name: "s", SLA: "sla", Location: loc, Policy: pol,
			Windows: []uptime.ConfigWindow{{Schedule: "0 2 * * SUN", Duration: 2 * time.Hour, Location: ams, Reason: "weekly"}}}
		if pol == (uptime.Policy{}) {
			us.SLA = ""
		}
		in := loc
		if in == nil {
			in = time.UTC
		}
		nows := []time.Time{end, time.Date(2026, 11, 1, 0, 0, 1, 0, in), time.Date(2026, 3, 31, 23, 0, 0, 0, in)}
		for i, now := range nows {
			// Something in the burn window of each, across its start.
			s := now.Add(-burnWindow - upTo(2*time.Hour))
			h.outages = append(h.outages, uptime.Outage{ID: int64(100 + i), Service: "s", Start: s, End: s.Add(upTo(4 * time.Hour))},
				uptime.Outage{ID: int64(200 + i), Service: "s", Start: now.Add(-time.Hour), End: now.Add(-30 * time.Minute), Excluded: i == 1})
			h.windows = append(h.windows, uptime.Window{ID: int64(100 + i), Service: "s", Start: now.Add(-3 * time.Hour),
				End: now.Add(-150 * time.Minute), Source: uptime.SourceAPI, AnnouncedAt: now.Add(-upTo(72 * time.Hour))})
		}
		for _, now := range nows {
			mp, _ := uptime.CurrentPeriod(uptime.KindMonth, loc, now)
			yp, _ := uptime.CurrentPeriod(uptime.KindYear, loc, now)
			monthIn, err := uptime.Gather(ctx, h, us, mp, now)
			if err != nil {
				t.Fatal(err)
			}
			yearIn, err := uptime.Gather(ctx, h, us, yp, now)
			if err != nil {
				t.Fatal(err)
			}
			year := uptime.AccountYear(yearIn)
			var month *uptime.Report
			for _, m := range year.Months {
				if m.Period.Start.Equal(mp.Start) && m.Period.End.Equal(mp.End) {
					month = &m
				}
			}
			year.Months = nil
			if want := uptime.Account(yearIn); !reflect.DeepEqual(year, want) {
				t.Fatalf("seed %d at %v: the year from AccountYear\n%+v\nis not Account's\n%+v", seed, now, year, want)
			}
			if month == nil {
				t.Fatalf("seed %d at %v: %s not among the year's months", seed, now, mp.Label)
			}
			if want := uptime.Account(monthIn); !reflect.DeepEqual(*month, want) {
				t.Fatalf("seed %d at %v: the month from its year\n%+v\nis not the month alone\n%+v", seed, now, *month, want)
			}
			bp := uptime.Period{Kind: "window", Start: now.Add(-burnWindow), End: now}
			if !covers(yearIn, bp, now) {
				t.Fatalf("seed %d at %v: the year to date does not cover the last %v", seed, now, burnWindow)
			}
			burnIn, err := uptime.Gather(ctx, h, us, bp, now)
			if err != nil {
				t.Fatal(err)
			}
			got, want := burnFrom(yearIn, us, bp, now), burnFrom(burnIn, us, bp, now)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d at %v: burn downtime from the year %v, from the last hours %v", seed, now, got, want)
			}
			if len(want) > 0 {
				burning++
			}
		}
	}
	if burning < 60 {
		t.Errorf("only %d of 180 cases had downtime in the burn window", burning)
	}
}

// fakeHistory answers uptime.Gather as the store does: what overlaps the
// range, unclipped.
type fakeHistory struct {
	outages         []uptime.Outage
	windows         []uptime.Window
	spans, degraded []uptime.Interval
}

func overlaps(s, e, from, to time.Time) bool { return (e.IsZero() || e.After(from)) && s.Before(to) }

func (h fakeHistory) OutagesBetween(_ context.Context, _ string, from, to time.Time) (out []uptime.Outage, _ error) {
	for _, o := range h.outages {
		if overlaps(o.Start, o.End, from, to) {
			out = append(out, o)
		}
	}
	return out, nil
}

func (h fakeHistory) MaintenanceBetween(_ context.Context, _ string, from, to time.Time) (out []uptime.Window, _ error) {
	for _, w := range h.windows {
		if overlaps(w.Start, w.End, from, to) {
			out = append(out, w)
		}
	}
	return out, nil
}

func (h fakeHistory) MonitoredSpans(_ context.Context, _ string, from, to time.Time) ([]uptime.Interval, error) {
	return between(h.spans, from, to), nil
}

func (h fakeHistory) StateIntervals(_ context.Context, _ string, _ uptime.State, from, to, _ time.Time) ([]uptime.Interval, error) {
	return between(h.degraded, from, to), nil
}

func between(ivs []uptime.Interval, from, to time.Time) (out []uptime.Interval) {
	for _, iv := range ivs {
		if overlaps(iv.Start, iv.End, from, to) {
			out = append(out, iv)
		}
	}
	return out
}
