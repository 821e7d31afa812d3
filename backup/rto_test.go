package backup

import (
	"testing"
	"time"
)

var rto4h = RTO{Label: "4h", Deadline: func(s time.Time) time.Time { return s.Add(4 * time.Hour) }, Location: ams}

// businessDays is a stand-in for a business-calendar deadline: n working
// days (Monday to Friday) after start, at the same wall-clock time, in ams.
func businessDays(n int) RTO {
	return RTO{Label: "5bd", Location: ams, Deadline: func(s time.Time) time.Time {
		d := s.In(ams)
		for n := n; n > 0; {
			d = d.AddDate(0, 0, 1)
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				n--
			}
		}
		return d
	}}
}

func TestOutageBreaches(t *testing.T) {
	at := ts(t, "2026-11-04T12:00:00Z")
	start := ts(t, "2026-11-02T08:00:00Z")
	type breach struct {
		start   time.Time
		open    bool
		seconds float64
	}
	tests := []struct {
		name     string
		outages  []Outage
		rto      RTO
		count    int
		longest  float64 // -1: null
		breaches []breach
	}{
		{"none", nil, rto4h, 0, -1, nil},
		{"shorter than 4h", []Outage{{start, start.Add(4*time.Hour - time.Second)}}, rto4h, 1, 4*3600 - 1, nil},
		{"exactly 4h is within", []Outage{{start, start.Add(4 * time.Hour)}}, rto4h, 1, 4 * 3600, nil},
		{"longer than 4h", []Outage{{start, start.Add(4*time.Hour + time.Second)}}, rto4h, 1, 4*3600 + 1,
			[]breach{{start, false, 4*3600 + 1}}},
		{"open, past its deadline", []Outage{{Start: at.Add(-5 * time.Hour)}}, rto4h, 1, 5 * 3600,
			[]breach{{at.Add(-5 * time.Hour), true, 5 * 3600}}},
		{"open, within its deadline", []Outage{{Start: at.Add(-3 * time.Hour)}}, rto4h, 1, 3 * 3600, nil},
		{"ends after T: open at T", []Outage{{at.Add(-6 * time.Hour), at.Add(time.Hour)}}, rto4h, 1, 6 * 3600,
			[]breach{{at.Add(-6 * time.Hour), true, 6 * 3600}}},
		{"starts after T: ignored", []Outage{{at.Add(time.Minute), at.Add(9 * time.Hour)}}, rto4h, 0, -1, nil},
		{"breaches oldest first",
			[]Outage{{Start: at.Add(-5 * time.Hour)}, {start, start.Add(5 * time.Hour)}, {start.Add(-24 * time.Hour), start.Add(-23 * time.Hour)}},
			rto4h, 3, 5 * 3600, []breach{{start, false, 5 * 3600}, {at.Add(-5 * time.Hour), true, 5 * 3600}}},
		{"no RTO: counted, never a breach", []Outage{{start, start.Add(48 * time.Hour)}}, RTO{}, 1, 48 * 3600, nil},
		// Friday 2026-10-30 16:00 + 5 business days is Friday 2026-11-06 16:00.
		{"5bd: a week over the weekend is within", []Outage{{ts(t, "2026-10-30T15:00:00Z"), ts(t, "2026-11-04T11:00:00Z")}},
			businessDays(5), 1, 4*86400 + 20*3600, nil},
		{"5bd: open past its deadline",
			[]Outage{{Start: ts(t, "2026-10-26T10:00:00Z")}}, businessDays(5), 1, 9*86400 + 2*3600,
			[]breach{{ts(t, "2026-10-26T10:00:00Z"), true, 9*86400 + 2*3600}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := EvaluateRTO(nil, tc.outages, tc.rto, at)
			o := st.Outages
			if o.Count != tc.count {
				t.Errorf("count = %d, want %d", o.Count, tc.count)
			}
			if tc.longest < 0 {
				if o.LongestSeconds != nil {
					t.Errorf("longest_seconds = %v, want null", *o.LongestSeconds)
				}
			} else if o.LongestSeconds == nil || *o.LongestSeconds != tc.longest {
				t.Errorf("longest_seconds = %v, want %v", fmtFloat(o.LongestSeconds), tc.longest)
			}
			if o.Breaches == nil || len(o.Breaches) != len(tc.breaches) {
				t.Fatalf("breaches = %+v, want %+v", o.Breaches, tc.breaches)
			}
			for i, b := range o.Breaches {
				w := tc.breaches[i]
				if !b.Start.Equal(w.start) || b.Open != w.open || b.Seconds != w.seconds || (b.End == nil) != w.open {
					t.Errorf("breach %d = %+v, want %+v", i, b, w)
				}
				if !b.Deadline.Equal(tc.rto.Deadline(b.Start)) {
					t.Errorf("breach %d deadline = %s, want %s", i, b.Deadline, tc.rto.Deadline(b.Start))
				}
				if !w.open && !b.End.Equal(b.Start.Add(time.Duration(w.seconds)*time.Second)) {
					t.Errorf("breach %d end = %s", i, fmtTime(b.End))
				}
			}
			if (tc.rto.Deadline == nil) != (st.RTO == nil) || (st.RTO != nil && *st.RTO != tc.rto.Label) {
				t.Errorf("rto = %v, want %q", st.RTO, tc.rto.Label)
			}
		})
	}
}

func TestRestoreTests(t *testing.T) {
	at := ts(t, "2026-11-04T12:00:00Z")
	day := 24 * time.Hour
	tenDaysAgo := at.Add(-10 * day)
	tests := []struct {
		name     string
		tests    []RestoreTest
		rto      RTO
		count    int
		newest   time.Time // End of the newest successful test; zero: null
		duration float64
		within   *bool
		lastOK   *bool // the newest test's Success; nil: no test
	}{
		{"no tests", nil, rto4h, 0, time.Time{}, 0, nil, nil},
		{"one within 4h", []RestoreTest{{tenDaysAgo, tenDaysAgo.Add(3 * time.Hour), true}}, rto4h, 1,
			tenDaysAgo.Add(3 * time.Hour), 3 * 3600, ptr(true), ptr(true)},
		{"exactly 4h is within", []RestoreTest{{tenDaysAgo, tenDaysAgo.Add(4 * time.Hour), true}}, rto4h, 1,
			tenDaysAgo.Add(4 * time.Hour), 4 * 3600, ptr(true), ptr(true)},
		{"longer than 4h", []RestoreTest{{tenDaysAgo, tenDaysAgo.Add(5 * time.Hour), true}}, rto4h, 1,
			tenDaysAgo.Add(5 * time.Hour), 5 * 3600, ptr(false), ptr(true)},
		{"a newer failed test does not replace the newest success",
			[]RestoreTest{{tenDaysAgo, tenDaysAgo.Add(2 * time.Hour), true}, {at.Add(-day), at.Add(-day + time.Hour), false}},
			rto4h, 2, tenDaysAgo.Add(2 * time.Hour), 2 * 3600, ptr(true), ptr(false)},
		{"newest by end, input order aside",
			[]RestoreTest{{at.Add(-2 * day), at.Add(-2*day + time.Hour), true}, {tenDaysAgo, tenDaysAgo.Add(time.Hour), true}},
			rto4h, 2, at.Add(-2*day + time.Hour), 3600, ptr(true), ptr(true)},
		{"a test still running at T is ignored",
			[]RestoreTest{{tenDaysAgo, tenDaysAgo.Add(time.Hour), true}, {at.Add(-time.Hour), at.Add(time.Hour), true}, {Start: at.Add(-time.Minute)}},
			rto4h, 1, tenDaysAgo.Add(time.Hour), 3600, ptr(true), ptr(true)},
		{"an inverted test is ignored", []RestoreTest{{at.Add(-time.Hour), at.Add(-2 * time.Hour), true}}, rto4h, 0, time.Time{}, 0, nil, nil},
		{"no RTO: within is null", []RestoreTest{{tenDaysAgo, tenDaysAgo.Add(3 * time.Hour), true}}, RTO{}, 1,
			tenDaysAgo.Add(3 * time.Hour), 3 * 3600, nil, ptr(true)},
		// Friday 15:00 UTC (16:00 CET) + 5bd = next Friday 16:00 CET; a test that
		// took until Thursday is within.
		{"5bd across a weekend", []RestoreTest{{ts(t, "2026-10-23T14:00:00Z"), ts(t, "2026-10-29T09:00:00Z"), true}}, businessDays(5), 1,
			ts(t, "2026-10-29T09:00:00Z"), 5*86400 + 19*3600, ptr(true), ptr(true)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := EvaluateRTO(tc.tests, nil, tc.rto, at).RestoreTests
			if rt.Count != tc.count {
				t.Errorf("count = %d, want %d", rt.Count, tc.count)
			}
			if tc.newest.IsZero() {
				if rt.NewestSuccess != nil || rt.AgeSeconds != nil || rt.LastDurationSeconds != nil || rt.WithinRTO != nil {
					t.Errorf("got %s age %v duration %v within %v, want all null", fmtTime(rt.NewestSuccess),
						fmtFloat(rt.AgeSeconds), fmtFloat(rt.LastDurationSeconds), rt.WithinRTO)
				}
			} else {
				if !eqTime(rt.NewestSuccess, tc.newest) {
					t.Errorf("newest_success = %s, want %s", fmtTime(rt.NewestSuccess), tc.newest)
				}
				if want := at.Sub(tc.newest).Seconds(); rt.AgeSeconds == nil || *rt.AgeSeconds != want {
					t.Errorf("age_seconds = %v, want %v", fmtFloat(rt.AgeSeconds), want)
				}
				if rt.LastDurationSeconds == nil || *rt.LastDurationSeconds != tc.duration {
					t.Errorf("last_duration_seconds = %v, want %v", fmtFloat(rt.LastDurationSeconds), tc.duration)
				}
				if (rt.WithinRTO == nil) != (tc.within == nil) || (tc.within != nil && *rt.WithinRTO != *tc.within) {
					t.Errorf("within_rto = %v, want %v", rt.WithinRTO, tc.within)
				}
			}
			if (rt.Last == nil) != (tc.lastOK == nil) || (tc.lastOK != nil && rt.Last.Success != *tc.lastOK) {
				t.Errorf("last = %+v, want success %v", rt.Last, tc.lastOK)
			}
		})
	}
}
