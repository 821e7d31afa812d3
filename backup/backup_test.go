package backup

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestRPO(t *testing.T) {
	at := ts(t, "2026-11-04T12:00:00Z")
	const none = -1.0
	tests := []struct {
		name    string
		records []Record
		rpo     time.Duration
		wantAge float64 // seconds; none for null
		wantMet bool
		wantID  string
	}{
		{"just under", []Record{ok(at.Add(-59*time.Minute - 59*time.Second))}, time.Hour, 3599, true, ""},
		{"exactly the RPO passes", []Record{ok(at.Add(-time.Hour))}, time.Hour, 3600, true, ""},
		{"just over", []Record{ok(at.Add(-time.Hour - time.Second))}, time.Hour, 3601, false, ""},
		{"backup at T counts", []Record{ok(at)}, time.Hour, 0, true, ""},
		{"no backup", nil, time.Hour, none, false, ""},
		{"only failures", []Record{failed(at.Add(-time.Minute)), failed(at.Add(-2 * time.Minute))}, time.Hour, none, false, ""},
		{"failure newer than success does not count",
			[]Record{ok(at.Add(-2 * time.Hour)), failed(at.Add(-time.Minute))}, time.Hour, 7200, false, ""},
		{"future records ignored",
			[]Record{ok(at.Add(-90 * time.Minute)), ok(at.Add(time.Second)), ok(at.Add(24 * time.Hour))}, time.Hour, 5400, false, ""},
		{"unsorted input",
			[]Record{ok(at.Add(-3 * time.Hour)), {Time: at.Add(-10 * time.Minute), Success: true, ID: "b"}, ok(at.Add(-5 * time.Hour))},
			time.Hour, 600, true, "b"},
		{"equal times: the later record is the newest",
			[]Record{{Time: at.Add(-time.Minute), Success: true, ID: "x"}, {Time: at.Add(-time.Minute), Success: true, ID: "y"}},
			time.Hour, 60, true, "y"},
		{"no RPO configured, a backup", []Record{ok(at.Add(-30 * 24 * time.Hour))}, 0, 30 * 86400, true, ""},
		{"no RPO configured, no backup", nil, 0, none, false, ""},
		{"24h RPO of a test environment", []Record{ok(at.Add(-23 * time.Hour))}, 24 * time.Hour, 23 * 3600, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Evaluate("db", "portal", tc.records, Policy{RPO: tc.rpo}, at)
			if tc.wantAge == none {
				if s.AgeSeconds != nil || s.Newest != nil {
					t.Errorf("age %v newest %v, want null", fmtFloat(s.AgeSeconds), fmtTime(s.Newest))
				}
			} else if s.AgeSeconds == nil || *s.AgeSeconds != tc.wantAge {
				t.Errorf("age_seconds = %v, want %v", fmtFloat(s.AgeSeconds), tc.wantAge)
			}
			if s.RPOMet != tc.wantMet || s.Met != tc.wantMet {
				t.Errorf("rpo_met = %v, met = %v, want %v", s.RPOMet, s.Met, tc.wantMet)
			}
			if s.NewestID != tc.wantID {
				t.Errorf("newest_id = %q, want %q", s.NewestID, tc.wantID)
			}
			if tc.rpo == 0 && s.RPOSeconds != nil {
				t.Errorf("rpo_seconds = %v, want null", *s.RPOSeconds)
			}
			if tc.rpo != 0 && (s.RPOSeconds == nil || *s.RPOSeconds != tc.rpo.Seconds()) {
				t.Errorf("rpo_seconds = %v, want %v", fmtFloat(s.RPOSeconds), tc.rpo.Seconds())
			}
			wantState := StateFailing
			if tc.wantMet {
				wantState = StateOK
			}
			if s.State != wantState {
				t.Errorf("state = %q, want %q", s.State, wantState)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	at := ts(t, "2026-11-04T12:00:00Z")
	rs := []Record{
		ok(at.Add(-3 * time.Hour)), failed(at.Add(-2 * time.Hour)), ok(at.Add(-time.Hour)),
		failed(at.Add(-30 * time.Minute)), failed(at.Add(time.Minute)), ok(at.Add(time.Minute)),
	}
	s := Evaluate("db", "portal", rs, Policy{RPO: time.Hour, Location: ams}, at)
	if s.Backups != 2 || s.Failures != 2 {
		t.Errorf("backups %d failures %d, want 2 and 2 (future records ignored)", s.Backups, s.Failures)
	}
	if !eqTime(s.LastFailure, at.Add(-30*time.Minute)) {
		t.Errorf("last_failure = %s, want %s", fmtTime(s.LastFailure), at.Add(-30*time.Minute))
	}
	if s.LastFailure.Location() != ams || s.At.Location() != ams || s.Newest.Location() != ams {
		t.Errorf("times not in the policy's location: %v %v %v", s.LastFailure, s.At, s.Newest)
	}
}

func TestPointInTime(t *testing.T) {
	at := ts(t, "2026-11-04T12:00:00Z")
	d := 7 * 24 * time.Hour
	ws := at.Add(-d)
	hourly := every(at.Add(-8*24*time.Hour), at, time.Hour)
	type gap struct {
		start, end time.Time
		seconds    float64
	}
	tests := []struct {
		name       string
		records    []Record
		rpo        time.Duration
		pit        time.Duration
		wantMet    bool
		wantMax    float64 // -1: null
		wantAnchor time.Time
		wantGaps   []gap
	}{
		{"hourly for eight days", hourly, time.Hour, d, true, 3600, ws, nil},
		{"backup exactly at T−D anchors the window",
			every(ws, at, time.Hour), time.Hour, d, true, 3600, ws, nil},
		{"gap just over the RPO",
			join(every(ws.Add(-time.Hour), at.Add(-48*time.Hour), time.Hour),
				every(at.Add(-47*time.Hour+time.Second), at, time.Hour)),
			time.Hour, d, false, 3601, ws.Add(0),
			[]gap{{at.Add(-48 * time.Hour), at.Add(-47*time.Hour + time.Second), 3601}}},
		{"gap exactly the RPO passes",
			join(every(ws.Add(-time.Hour), at.Add(-48*time.Hour), 30*time.Minute),
				every(at.Add(-47*time.Hour), at, 30*time.Minute)),
			time.Hour, d, true, 3600, ws, nil},
		{"gap just under the RPO",
			join(every(ws.Add(-time.Hour), at.Add(-48*time.Hour), 30*time.Minute),
				every(at.Add(-47*time.Hour-time.Second), at, 30*time.Minute)),
			time.Hour, d, true, 3599, ws, nil},
		{"no backup at or before T−D",
			every(ws.Add(time.Second), at, time.Hour), time.Hour, d, false, 3600, time.Time{}, nil},
		{"gap straddling T−D starts before the window",
			join([]Record{ok(ws.Add(-30 * time.Minute))}, every(ws.Add(31*time.Minute), at, time.Hour)),
			time.Hour, d, false, 61 * 60, ws.Add(-30 * time.Minute),
			[]gap{{ws.Add(-30 * time.Minute), ws.Add(31 * time.Minute), 61 * 60}}},
		{"gap between the newest backup and T",
			every(ws.Add(-time.Hour), at.Add(-2*time.Hour), time.Hour), time.Hour, d, false, 7200, ws,
			[]gap{{at.Add(-2 * time.Hour), at, 7200}}},
		{"failures do not fill a gap",
			join(without(hourly, at.Add(-30*time.Hour), at.Add(-25*time.Hour)),
				[]Record{failed(at.Add(-29 * time.Hour)), failed(at.Add(-28 * time.Hour)), failed(at.Add(-27 * time.Hour))}),
			time.Hour, d, false, 6 * 3600, ws,
			[]gap{{at.Add(-31 * time.Hour), at.Add(-25 * time.Hour), 6 * 3600}}},
		{"future backups do not close the last gap",
			join(every(ws.Add(-time.Hour), at.Add(-3*time.Hour), time.Hour), every(at.Add(time.Minute), at.Add(time.Hour), time.Minute)),
			time.Hour, d, false, 3 * 3600, ws,
			[]gap{{at.Add(-3 * time.Hour), at, 3 * 3600}}},
		{"several gaps, oldest first",
			without(without(hourly, at.Add(-100*time.Hour), at.Add(-98*time.Hour)), at.Add(-10*time.Hour), at.Add(-9*time.Hour)),
			time.Hour, d, false, 3 * 3600, ws,
			[]gap{{at.Add(-101 * time.Hour), at.Add(-98 * time.Hour), 3 * 3600}, {at.Add(-11 * time.Hour), at.Add(-9 * time.Hour), 7200}}},
		{"gaps before the anchor do not count",
			without(hourly, at.Add(-8*24*time.Hour+time.Hour), ws.Add(-time.Hour)),
			time.Hour, d, true, 3600, ws, nil},
		{"no RPO: gaps measured, not judged",
			[]Record{ok(ws.Add(-24 * time.Hour)), ok(at.Add(-50 * time.Hour))}, 0, d, true, 142 * 3600, ws.Add(-24 * time.Hour), nil},
		{"no RPO still needs the anchor",
			[]Record{ok(ws.Add(time.Hour))}, 0, d, false, 7*24*3600 - 3600, time.Time{}, nil},
		{"no backup at all", nil, time.Hour, d, false, -1, time.Time{}, nil},
		{"36h window", every(at.Add(-36*time.Hour), at, time.Hour), time.Hour, 36 * time.Hour, true, 3600, at.Add(-36 * time.Hour), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{RPO: tc.rpo, Retention: Retention{PointInTime: tc.pit}}
			pit := Evaluate("db", "portal", tc.records, p, at).Retention.PointInTime
			if pit.Met != tc.wantMet {
				t.Errorf("met = %v, want %v", pit.Met, tc.wantMet)
			}
			if pit.Days != tc.pit.Hours()/24 {
				t.Errorf("days = %v, want %v", pit.Days, tc.pit.Hours()/24)
			}
			if !eqTime(pit.WindowStart, at.Add(-tc.pit)) {
				t.Errorf("window_start = %s, want %s", fmtTime(pit.WindowStart), at.Add(-tc.pit))
			}
			if tc.wantMax < 0 {
				if pit.MaxGapSeconds != nil {
					t.Errorf("max_gap_seconds = %v, want null", *pit.MaxGapSeconds)
				}
			} else if pit.MaxGapSeconds == nil || *pit.MaxGapSeconds != tc.wantMax {
				t.Errorf("max_gap_seconds = %v, want %v", fmtFloat(pit.MaxGapSeconds), tc.wantMax)
			}
			if tc.wantAnchor.IsZero() {
				if pit.Anchor != nil {
					t.Errorf("anchor = %s, want null", fmtTime(pit.Anchor))
				}
			} else if !eqTime(pit.Anchor, tc.wantAnchor) {
				t.Errorf("anchor = %s, want %s", fmtTime(pit.Anchor), tc.wantAnchor)
			}
			if pit.Gaps == nil {
				t.Fatal("gaps is nil, want a (possibly empty) list")
			}
			var got []gap
			for _, g := range pit.Gaps {
				got = append(got, gap{g.Start, g.End, g.Seconds})
			}
			if len(got) != len(tc.wantGaps) {
				t.Fatalf("gaps = %v, want %v", got, tc.wantGaps)
			}
			for i := range got {
				w := tc.wantGaps[i]
				if !got[i].start.Equal(w.start) || !got[i].end.Equal(w.end) || got[i].seconds != w.seconds {
					t.Errorf("gap %d = %v, want %v", i, got[i], w)
				}
			}
		})
	}
}

func TestPointInTimeNotConfigured(t *testing.T) {
	at := ts(t, "2026-11-04T12:00:00Z")
	s := Evaluate("db", "portal", []Record{ok(at.Add(-time.Minute))}, Policy{RPO: time.Hour}, at)
	pit := s.Retention.PointInTime
	if !pit.Met || pit.Days != 0 || pit.WindowStart != nil || pit.Anchor != nil || pit.MaxGapSeconds != nil || pit.Gaps == nil || len(pit.Gaps) != 0 {
		t.Errorf("point_in_time = %+v, want not configured (met, days 0, no window, gaps [])", pit)
	}
	for name, tier := range map[string]TierStatus{"weekly": s.Retention.Weekly, "monthly": s.Retention.Monthly} {
		if !tier.Met || tier.Required != 0 || tier.Buckets == nil || len(tier.Buckets) != 0 {
			t.Errorf("%s = %+v, want required 0, met, buckets []", name, tier)
		}
	}
	if !s.Met {
		t.Error("met = false, want true: only the RPO is configured and it is met")
	}
	// Negative values, which config validation rejects, count as absent.
	neg := Evaluate("db", "portal", []Record{ok(at.Add(-time.Minute))},
		Policy{RPO: time.Hour, Retention: Retention{PointInTime: -time.Hour, Weekly: -1, Monthly: -2}}, at)
	if r := neg.Retention; !neg.Met || r.PointInTime.Days != 0 || r.Weekly.Required != 0 || r.Monthly.Required != 0 {
		t.Errorf("negative tiers: met %v, retention %+v, want not configured", neg.Met, r)
	}
}

type wantBucket struct {
	label      string
	start, end time.Time
	backup     time.Time // zero: null
}

func checkBuckets(t *testing.T, tier TierStatus, required int, met bool, want []wantBucket) {
	t.Helper()
	if tier.Required != required || tier.Met != met {
		t.Errorf("required %d met %v, want %d %v", tier.Required, tier.Met, required, met)
	}
	if len(tier.Buckets) != len(want) {
		t.Fatalf("%d buckets, want %d: %+v", len(tier.Buckets), len(want), tier.Buckets)
	}
	for i, b := range tier.Buckets {
		w := want[i]
		if b.Label != w.label || !b.Start.Equal(w.start) || !b.End.Equal(w.end) {
			t.Errorf("bucket %d = %s [%s, %s), want %s [%s, %s)", i, b.Label,
				b.Start.Format(time.RFC3339), b.End.Format(time.RFC3339),
				w.label, w.start.Format(time.RFC3339), w.end.Format(time.RFC3339))
		}
		if w.backup.IsZero() {
			if b.Backup != nil || b.Count != 0 {
				t.Errorf("bucket %s backup = %s (count %d), want null", b.Label, fmtTime(b.Backup), b.Count)
			}
		} else if !eqTime(b.Backup, w.backup) {
			t.Errorf("bucket %s backup = %s, want %s", b.Label, fmtTime(b.Backup), w.backup.Format(time.RFC3339))
		}
	}
}

func TestWeekly(t *testing.T) {
	utc := time.UTC
	// T is Wednesday 2026-11-04; T − 7d is Wednesday 2026-10-28, in ISO week
	// 2026-W44 (Monday 10-26 … Monday 11-02). The four weeks before it are
	// W43 … W40.
	at := ts(t, "2026-11-04T12:00:00Z")
	pol := func(loc *time.Location) Policy {
		return Policy{Retention: Retention{PointInTime: 7 * 24 * time.Hour, Weekly: 4}, Location: loc}
	}
	mon := func(loc *time.Location, m time.Month, d int) time.Time { return local(loc, 2026, m, d, 0, 0) }
	weeks := func(loc *time.Location, backups ...time.Time) []wantBucket {
		w := []wantBucket{
			{"2026-W43", mon(loc, 10, 19), mon(loc, 10, 26), time.Time{}},
			{"2026-W42", mon(loc, 10, 12), mon(loc, 10, 19), time.Time{}},
			{"2026-W41", mon(loc, 10, 5), mon(loc, 10, 12), time.Time{}},
			{"2026-W40", mon(loc, 9, 28), mon(loc, 10, 5), time.Time{}},
		}
		for i, b := range backups {
			w[i].backup = b
		}
		return w
	}
	wed := func(loc *time.Location, m time.Month, d int) time.Time { return local(loc, 2026, m, d, 3, 0) }

	tests := []struct {
		name    string
		loc     *time.Location
		records []Record
		met     bool
		want    []wantBucket
	}{
		{"one backup a week", utc,
			[]Record{ok(wed(utc, 10, 21)), ok(wed(utc, 10, 14)), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			true, weeks(utc, wed(utc, 10, 21), wed(utc, 10, 14), wed(utc, 10, 7), wed(utc, 9, 30))},
		{"newest backup in the week is reported", utc,
			[]Record{ok(wed(utc, 10, 21)), ok(wed(utc, 10, 22)), ok(wed(utc, 10, 20)), ok(wed(utc, 10, 14)), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			true, weeks(utc, wed(utc, 10, 22), wed(utc, 10, 14), wed(utc, 10, 7), wed(utc, 9, 30))},
		{"an empty week fails", utc,
			[]Record{ok(wed(utc, 10, 21)), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			false, weeks(utc, wed(utc, 10, 21), time.Time{}, wed(utc, 10, 7), wed(utc, 9, 30))},
		{"a failed backup does not fill a week", utc,
			[]Record{ok(wed(utc, 10, 21)), failed(wed(utc, 10, 14)), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			false, weeks(utc, wed(utc, 10, 21), time.Time{}, wed(utc, 10, 7), wed(utc, 9, 30))},
		{"Monday 00:00 belongs to the week it starts", utc,
			// The only backup near W42 is at Monday 10-19 00:00, the start of W43.
			[]Record{ok(mon(utc, 10, 19)), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			false, weeks(utc, mon(utc, 10, 19), time.Time{}, wed(utc, 10, 7), wed(utc, 9, 30))},
		{"a backup just before Monday 00:00 belongs to the week before", utc,
			[]Record{ok(mon(utc, 10, 26).Add(-time.Nanosecond)), ok(mon(utc, 10, 19).Add(-time.Second)), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			true, weeks(utc, mon(utc, 10, 26).Add(-time.Nanosecond), mon(utc, 10, 19).Add(-time.Second), wed(utc, 10, 7), wed(utc, 9, 30))},
		{"backups in w0 do not count", utc,
			[]Record{ok(mon(utc, 10, 26)), ok(wed(utc, 10, 28)), ok(wed(utc, 10, 14)), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			false, weeks(utc, time.Time{}, wed(utc, 10, 14), wed(utc, 10, 7), wed(utc, 9, 30))},
		// Sunday 2026-10-18 23:30 UTC is Monday 01:30 CEST: W42 in UTC, W43 in Amsterdam.
		{"Sunday 23:30 UTC is W42 in UTC", utc,
			[]Record{ok(ts(t, "2026-10-18T23:30:00Z")), ok(wed(utc, 10, 7)), ok(wed(utc, 9, 30))},
			false, weeks(utc, time.Time{}, ts(t, "2026-10-18T23:30:00Z"), wed(utc, 10, 7), wed(utc, 9, 30))},
		{"Sunday 23:30 UTC is W43 in Amsterdam", ams,
			[]Record{ok(ts(t, "2026-10-18T23:30:00Z")), ok(wed(ams, 10, 7)), ok(wed(ams, 9, 30))},
			false, weeks(ams, ts(t, "2026-10-18T23:30:00Z"), time.Time{}, wed(ams, 10, 7), wed(ams, 9, 30))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Evaluate("db", "portal", tc.records, pol(tc.loc), at)
			checkBuckets(t, s.Retention.Weekly, 4, tc.met, tc.want)
		})
	}
}

func TestWeekBounds(t *testing.T) {
	tests := []struct {
		name      string
		ref       time.Time
		loc       *time.Location
		k         int
		wantLabel string
		wantStart string
		wantHours float64
	}{
		// 2026-W43 holds the end of summer time (Sunday 2026-10-25): 169 hours.
		{"autumn DST week", ts(t, "2026-11-04T12:00:00Z"), ams, 2, "2026-W43", "2026-10-19T00:00:00+02:00", 169},
		{"week after", ts(t, "2026-11-04T12:00:00Z"), ams, 1, "2026-W44", "2026-10-26T00:00:00+01:00", 168},
		// 2026-W13 holds the start of summer time (Sunday 2026-03-29): 167 hours.
		{"spring DST week", ts(t, "2026-04-01T12:00:00Z"), ams, 1, "2026-W13", "2026-03-23T00:00:00+01:00", 167},
		// 2026 has 53 ISO weeks; W53 runs Monday 2026-12-28 … Sunday 2027-01-03.
		{"week 53 spans New Year", ts(t, "2027-01-06T12:00:00Z"), ams, 1, "2026-W53", "2026-12-28T00:00:00+01:00", 168},
		{"week 1 of 2027", ts(t, "2027-01-13T12:00:00Z"), ams, 1, "2027-W01", "2027-01-04T00:00:00+01:00", 168},
		// 2026-W01 starts in 2025.
		{"week 1 of 2026 starts in 2025", ts(t, "2026-01-07T12:00:00Z"), time.UTC, 1, "2026-W01", "2025-12-29T00:00:00Z", 168},
		{"ref on Monday 00:00 is in its own week", ts(t, "2026-10-26T00:00:00+01:00"), ams, 1, "2026-W43", "2026-10-19T00:00:00+02:00", 169},
		{"ref on Sunday 23:59", ts(t, "2026-10-25T23:59:00+01:00"), ams, 1, "2026-W42", "2026-10-12T00:00:00+02:00", 168},
		{"US zone", ts(t, "2026-11-04T12:00:00Z"), mustLoad("America/New_York"), 1, "2026-W44", "2026-10-26T00:00:00-04:00", 169},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start, end, label := weekBucket(tc.ref, tc.k, tc.loc)
			if label != tc.wantLabel || !start.Equal(ts(t, tc.wantStart)) || end.Sub(start).Hours() != tc.wantHours {
				t.Errorf("got %s [%s, %s) %vh, want %s from %s, %vh", label, start.Format(time.RFC3339), end.Format(time.RFC3339),
					end.Sub(start).Hours(), tc.wantLabel, tc.wantStart, tc.wantHours)
			}
			if start.Weekday() != time.Monday || start.In(tc.loc).Hour() != 0 {
				t.Errorf("start %s is not Monday 00:00 local", start)
			}
			if y, w := start.ISOWeek(); y != start.AddDate(0, 0, 3).Year() || w < 1 || w > 53 {
				t.Errorf("start %s: ISO week %d-W%d", start, y, w)
			}
		})
	}
}

func TestMidnightJump(t *testing.T) {
	// In America/Asuncion the clocks jumped from 2023-10-01 00:00 -04:00 to
	// 01:00 -03:00: October began at 01:00 local, and 2023-09-30 23:30 was
	// still September.
	asu := mustLoad("America/Asuncion")
	at := ts(t, "2023-11-15T12:00:00-03:00")
	octStart, octEnd, label := monthBucket(at, 1, asu)
	if label != "2023-10" || !octStart.Equal(ts(t, "2023-10-01T01:00:00-03:00")) || !octEnd.Equal(ts(t, "2023-11-01T00:00:00-03:00")) {
		t.Errorf("October 2023 = %s [%s, %s)", label, octStart.Format(time.RFC3339), octEnd.Format(time.RFC3339))
	}
	if _, sepEnd, _ := monthBucket(at, 2, asu); !sepEnd.Equal(octStart) {
		t.Errorf("September ends %s, October starts %s", sepEnd.Format(time.RFC3339), octStart.Format(time.RFC3339))
	}
	p := Policy{Retention: Retention{Monthly: 2}, Location: asu}
	late := ts(t, "2023-09-30T23:30:00-04:00")
	s := Evaluate("db", "portal", []Record{ok(late)}, p, at)
	checkBuckets(t, s.Retention.Monthly, 2, false, []wantBucket{
		{"2023-10", octStart, octEnd, time.Time{}},
		{"2023-09", ts(t, "2023-09-01T00:00:00-04:00"), octStart, late},
	})
}

func TestWeeklyAcrossNewYear(t *testing.T) {
	// T = Wednesday 2027-01-20, T − 7d = Wednesday 2027-01-13 in 2027-W02.
	// The previous four weeks are 2027-W01, 2026-W53 (2026-12-28 …
	// 2027-01-03), 2026-W52 and 2026-W51.
	at := ts(t, "2027-01-20T12:00:00Z")
	p := Policy{Retention: Retention{PointInTime: 7 * 24 * time.Hour, Weekly: 4}, Location: ams}
	d := func(y int, m time.Month, day int) time.Time { return local(ams, y, m, day, 0, 0) }
	newYear := local(ams, 2027, 1, 1, 0, 30) // Friday of 2026-W53
	rs := []Record{ok(d(2027, 1, 5)), ok(newYear), ok(d(2026, 12, 23)), ok(d(2026, 12, 16))}
	s := Evaluate("db", "portal", rs, p, at)
	checkBuckets(t, s.Retention.Weekly, 4, true, []wantBucket{
		{"2027-W01", d(2027, 1, 4), d(2027, 1, 11), d(2027, 1, 5)},
		{"2026-W53", d(2026, 12, 28), d(2027, 1, 4), newYear},
		{"2026-W52", d(2026, 12, 21), d(2026, 12, 28), d(2026, 12, 23)},
		{"2026-W51", d(2026, 12, 14), d(2026, 12, 21), d(2026, 12, 16)},
	})
	if y, w := newYear.ISOWeek(); y != 2026 || w != 53 {
		t.Errorf("2027-01-01 is ISO %d-W%d, want 2026-W53", y, w)
	}
}

func TestWeeklyReference(t *testing.T) {
	// Without a point-in-time tier, w0 is the week that holds T.
	at := ts(t, "2026-11-04T12:00:00Z") // 2026-W45
	p := Policy{Retention: Retention{Weekly: 2}}
	s := Evaluate("db", "portal", []Record{ok(ts(t, "2026-10-29T00:00:00Z")), ok(ts(t, "2026-10-22T00:00:00Z"))}, p, at)
	checkBuckets(t, s.Retention.Weekly, 2, true, []wantBucket{
		{"2026-W44", ts(t, "2026-10-26T00:00:00Z"), ts(t, "2026-11-02T00:00:00Z"), ts(t, "2026-10-29T00:00:00Z")},
		{"2026-W43", ts(t, "2026-10-19T00:00:00Z"), ts(t, "2026-10-26T00:00:00Z"), ts(t, "2026-10-22T00:00:00Z")},
	})
	// With one, T − D may sit in an earlier week than T: T on Monday
	// 2026-11-02 01:00 with D = 36h puts T − D on Saturday in W44.
	at = ts(t, "2026-11-02T01:00:00Z")
	p.Retention.PointInTime = 36 * time.Hour
	s = Evaluate("db", "portal", nil, p, at)
	if got := s.Retention.Weekly.Buckets[0].Label; got != "2026-W43" {
		t.Errorf("first weekly bucket = %s, want 2026-W43 (w0 holds T − D, not T)", got)
	}
}

func TestMonthly(t *testing.T) {
	utc := time.UTC
	pol := func(loc *time.Location) Policy {
		return Policy{Retention: Retention{Monthly: 3}, Location: loc}
	}
	first := func(loc *time.Location, y int, m time.Month) time.Time { return local(loc, y, m, 1, 0, 0) }
	mid := func(loc *time.Location, y int, m time.Month) time.Time { return local(loc, y, m, 15, 4, 0) }
	// At 2026-12-10 the previous three months are 2026-11, 2026-10, 2026-09.
	at := ts(t, "2026-12-10T12:00:00Z")
	months := func(loc *time.Location, backups ...time.Time) []wantBucket {
		w := []wantBucket{
			{"2026-11", first(loc, 2026, 11), first(loc, 2026, 12), time.Time{}},
			{"2026-10", first(loc, 2026, 10), first(loc, 2026, 11), time.Time{}},
			{"2026-09", first(loc, 2026, 9), first(loc, 2026, 10), time.Time{}},
		}
		for i, b := range backups {
			w[i].backup = b
		}
		return w
	}
	halloween := ts(t, "2026-10-31T23:30:00Z") // 2026-11-01 00:30 CET
	tests := []struct {
		name    string
		loc     *time.Location
		at      time.Time
		records []Record
		met     bool
		want    []wantBucket
	}{
		{"one a month", utc, at,
			[]Record{ok(mid(utc, 2026, 11)), ok(mid(utc, 2026, 10)), ok(mid(utc, 2026, 9))},
			true, months(utc, mid(utc, 2026, 11), mid(utc, 2026, 10), mid(utc, 2026, 9))},
		{"an empty month fails", utc, at,
			[]Record{ok(mid(utc, 2026, 11)), ok(mid(utc, 2026, 9)), failed(mid(utc, 2026, 10))},
			false, months(utc, mid(utc, 2026, 11), time.Time{}, mid(utc, 2026, 9))},
		{"the first instant of a month belongs to it", utc, at,
			[]Record{ok(mid(utc, 2026, 11)), ok(first(utc, 2026, 10)), ok(mid(utc, 2026, 8))},
			false, months(utc, mid(utc, 2026, 11), first(utc, 2026, 10), time.Time{})},
		{"the current month does not count", utc, at,
			[]Record{ok(first(utc, 2026, 12)), ok(mid(utc, 2026, 10)), ok(mid(utc, 2026, 9))},
			false, months(utc, time.Time{}, mid(utc, 2026, 10), mid(utc, 2026, 9))},
		{"2026-10-31T23:30Z is October in UTC", utc, at,
			[]Record{ok(halloween), ok(mid(utc, 2026, 9))},
			false, months(utc, time.Time{}, halloween, mid(utc, 2026, 9))},
		{"2026-10-31T23:30Z is November in Amsterdam", ams, at,
			[]Record{ok(halloween), ok(mid(ams, 2026, 9))},
			false, months(ams, halloween, time.Time{}, mid(ams, 2026, 9))},
		{"across New Year", ams, ts(t, "2027-01-15T12:00:00Z"),
			[]Record{ok(mid(ams, 2026, 12)), ok(mid(ams, 2026, 11)), ok(mid(ams, 2026, 10))},
			true, []wantBucket{
				{"2026-12", first(ams, 2026, 12), first(ams, 2027, 1), mid(ams, 2026, 12)},
				{"2026-11", first(ams, 2026, 11), first(ams, 2026, 12), mid(ams, 2026, 11)},
				{"2026-10", first(ams, 2026, 10), first(ams, 2026, 11), mid(ams, 2026, 10)},
			}},
		{"T on the first instant of a month", ams, first(ams, 2026, 12),
			[]Record{ok(mid(ams, 2026, 11)), ok(mid(ams, 2026, 10)), ok(mid(ams, 2026, 9))},
			true, months(ams, mid(ams, 2026, 11), mid(ams, 2026, 10), mid(ams, 2026, 9))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Evaluate("db", "portal", tc.records, pol(tc.loc), tc.at)
			checkBuckets(t, s.Retention.Monthly, 3, tc.met, tc.want)
		})
	}
	// October in Amsterdam has 745 hours (the clocks go back on the 25th).
	start, end, _ := monthBucket(at, 2, ams)
	if h := end.Sub(start).Hours(); h != 745 {
		t.Errorf("2026-10 in Amsterdam is %vh, want 745", h)
	}
}

func TestOneBackupSeveralTiers(t *testing.T) {
	// At 2026-11-04 with the Ultimo scheme the weekly buckets are
	// 2026-W43 … W40 (W40 = 09-28 … 10-05) and the monthly ones 2026-10,
	// 09, 08. A backup on 2026-09-29 fills both W40 and September; one on
	// 2026-10-20 fills W43 and October.
	at := local(ams, 2026, 11, 4, 13, 0)
	p := ultimo
	p.RPO = 0
	rs := []Record{
		ok(local(ams, 2026, 8, 10, 2, 0)),
		ok(local(ams, 2026, 9, 29, 2, 0)),
		ok(local(ams, 2026, 10, 6, 2, 0)),
		ok(local(ams, 2026, 10, 13, 2, 0)),
		ok(local(ams, 2026, 10, 20, 2, 0)),
	}
	s := Evaluate("db", "portal", rs, p, at)
	if !s.Retention.Weekly.Met || !s.Retention.Monthly.Met {
		t.Fatalf("weekly %v monthly %v, want both met: %+v", s.Retention.Weekly.Met, s.Retention.Monthly.Met, s.Retention)
	}
	w40, sep := s.Retention.Weekly.Buckets[3], s.Retention.Monthly.Buckets[1]
	if w40.Label != "2026-W40" || sep.Label != "2026-09" || !w40.Backup.Equal(*sep.Backup) {
		t.Errorf("W40 %s %s, September %s %s: want the same backup", w40.Label, fmtTime(w40.Backup), sep.Label, fmtTime(sep.Backup))
	}
	// No RPO: point in time needs only a backup at or before T − 7d.
	if !s.Retention.PointInTime.Met || !s.Met {
		t.Errorf("point in time %v, met %v, want both true", s.Retention.PointInTime.Met, s.Met)
	}
}

// TestUltimo runs the Ultimo scheme ("point in time over the last seven days,
// weekly over the previous four weeks and monthly for the previous three
// months", RPO 1 h) over four months of hourly backups and variations.
func TestUltimo(t *testing.T) {
	at := local(ams, 2026, 11, 4, 13, 0) // Wednesday
	from := local(ams, 2026, 7, 1, 0, 0)
	hourly := every(from, at, time.Hour)
	sunday := local(ams, 2026, 11, 1, 0, 0) // a whole day inside the last seven days

	type want struct {
		rpo, pit, weekly, monthly bool
		gaps                      int
		maxGap                    float64
	}
	tests := []struct {
		name    string
		records []Record
		want    want
	}{
		{"hourly for four months", hourly, want{true, true, true, true, 0, 3600}},
		{"one day missing in the last week", without(hourly, sunday, sunday.Add(24*time.Hour)),
			want{true, false, true, true, 1, 25 * 3600}},
		{"one day missing, replaced by failures",
			join(without(hourly, sunday, sunday.Add(24*time.Hour)), []Record{failed(sunday.Add(time.Hour)), failed(sunday.Add(13 * time.Hour))}),
			want{true, false, true, true, 1, 25 * 3600}},
		{"backups stopped two hours ago", without(hourly, at.Add(-2*time.Hour+time.Second), at.Add(time.Second)),
			want{false, false, true, true, 1, 2 * 3600}},
		{"started mid September: August empty", without(hourly, from, local(ams, 2026, 9, 15, 0, 0)),
			want{true, true, true, false, 0, 3600}},
		{"a week missing four weeks back", without(hourly, local(ams, 2026, 9, 28, 0, 0), local(ams, 2026, 10, 5, 0, 0)),
			want{true, true, false, true, 0, 3600}},
		{"daily backups only", every(from, at, 24*time.Hour),
			want{false, false, true, true, 8, 24 * 3600}},
		{"hourly plus a future backup", join(hourly, []Record{ok(at.Add(time.Hour))}), want{true, true, true, true, 0, 3600}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Evaluate("portal-db", "customer-portal", tc.records, ultimo, at)
			r := s.Retention
			if s.RPOMet != tc.want.rpo || r.PointInTime.Met != tc.want.pit || r.Weekly.Met != tc.want.weekly || r.Monthly.Met != tc.want.monthly {
				t.Errorf("rpo %v pit %v weekly %v monthly %v, want %+v", s.RPOMet, r.PointInTime.Met, r.Weekly.Met, r.Monthly.Met, tc.want)
			}
			allMet := tc.want.rpo && tc.want.pit && tc.want.weekly && tc.want.monthly
			if s.Met != allMet {
				t.Errorf("met = %v, want %v", s.Met, allMet)
			}
			if len(r.PointInTime.Gaps) != tc.want.gaps {
				t.Errorf("%d gaps, want %d: %+v", len(r.PointInTime.Gaps), tc.want.gaps, r.PointInTime.Gaps)
			}
			if r.PointInTime.MaxGapSeconds == nil || *r.PointInTime.MaxGapSeconds != tc.want.maxGap {
				t.Errorf("max_gap_seconds = %v, want %v", fmtFloat(r.PointInTime.MaxGapSeconds), tc.want.maxGap)
			}
			if len(r.Weekly.Buckets) != 4 || len(r.Monthly.Buckets) != 3 {
				t.Errorf("%d weekly and %d monthly buckets, want 4 and 3", len(r.Weekly.Buckets), len(r.Monthly.Buckets))
			}
		})
	}

	// The missing Sunday: the gap runs from the last backup on Saturday
	// (23:00) to the first on Monday (00:00), 25 hours.
	s := Evaluate("portal-db", "customer-portal", without(hourly, sunday, sunday.Add(24*time.Hour)), ultimo, at)
	g := s.Retention.PointInTime.Gaps[0]
	if !g.Start.Equal(sunday.Add(-time.Hour)) || !g.End.Equal(sunday.Add(24*time.Hour)) || g.Seconds != 25*3600 {
		t.Errorf("gap = %+v, want Saturday 23:00 to Monday 00:00, 90000 s", g)
	}
	// The full history's buckets: the newest hourly backup of each.
	s = Evaluate("portal-db", "customer-portal", hourly, ultimo, at)
	w := s.Retention.Weekly.Buckets
	if w[0].Label != "2026-W43" || !w[0].Backup.Equal(local(ams, 2026, 10, 25, 23, 0)) || w[0].Count != 169 {
		t.Errorf("W43 = %s %s count %d, want 2026-W43, Sunday 23:00, 169 (the clocks went back)", w[0].Label, fmtTime(w[0].Backup), w[0].Count)
	}
	m := s.Retention.Monthly.Buckets
	if m[0].Label != "2026-10" || !m[0].Backup.Equal(local(ams, 2026, 10, 31, 23, 0)) || m[0].Count != 745 {
		t.Errorf("October = %s %s count %d, want 2026-10, 31st 23:00, 745", m[0].Label, fmtTime(m[0].Backup), m[0].Count)
	}
	if s.State != StateOK {
		t.Errorf("state = %q, want ok", s.State)
	}
}

func TestInputOrderAndImmutability(t *testing.T) {
	at := local(ams, 2026, 11, 4, 13, 0)
	rs := every(local(ams, 2026, 7, 1, 0, 0), at.Add(2*time.Hour), 37*time.Minute)
	for i := range rs {
		rs[i].ID = time.Duration(i).String()
		if i%11 == 0 {
			rs[i].Success = false
		}
	}
	// Duplicate times, to check ties keep input order.
	rs = append(rs, Record{Time: rs[100].Time, Success: true, ID: "dup"})
	want := Evaluate("db", "portal", rs, ultimo, at)

	shuffled := slices.Clone(rs)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	before := slices.Clone(shuffled)
	got := Evaluate("db", "portal", shuffled, ultimo, at)
	if !slices.Equal(before, shuffled) {
		t.Error("Evaluate modified the caller's records")
	}
	// IDs may differ only where two backups share a time.
	if !reflect.DeepEqual(strip(got), strip(want)) {
		t.Errorf("shuffled input evaluates differently:\n got %+v\nwant %+v", strip(got), strip(want))
	}
}

// strip drops ids, which depend on input order among equal times.
func strip(s Status) Status {
	s.NewestID = ""
	for _, tier := range []*TierStatus{&s.Retention.Weekly, &s.Retention.Monthly} {
		tier.Buckets = slices.Clone(tier.Buckets)
		for i := range tier.Buckets {
			tier.Buckets[i].ID = ""
		}
	}
	return s
}

func TestWithError(t *testing.T) {
	at := ts(t, "2026-11-04T12:00:00Z")
	s := Evaluate("db", "portal", []Record{ok(at.Add(-time.Minute))}, Policy{RPO: time.Hour}, at)
	if got := s.WithError(nil); got.State != StateOK || got.Error != "" {
		t.Errorf("WithError(nil) changed the status: %+v", got)
	}
	got := s.WithError(errTest("list-backups: exit status 1"))
	if got.State != StateUnknown || got.Error != "list-backups: exit status 1" || !got.RPOMet {
		t.Errorf("WithError: state %q error %q rpo_met %v", got.State, got.Error, got.RPOMet)
	}
	if s.State != StateOK {
		t.Error("WithError modified its receiver")
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

func TestMonotonicAt(t *testing.T) {
	// An evaluation time with a monotonic reading (from time.Now) compares by
	// wall clock with records that have none.
	now := time.Now()
	wall := now.Round(0)
	s := Evaluate("db", "portal", []Record{ok(wall.Add(-time.Hour))}, Policy{RPO: time.Hour}, now)
	if s.AgeSeconds == nil || *s.AgeSeconds != 3600 || !s.RPOMet {
		t.Errorf("age %v rpo_met %v, want 3600 true", fmtFloat(s.AgeSeconds), s.RPOMet)
	}
}
