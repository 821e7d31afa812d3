package uptime

import (
	"strings"
	"testing"
	"time"
)

func utc(y int, mo time.Month, d, h, mi int) time.Time { return tm(time.UTC, y, mo, d, h, mi) }

func sameIntervals(t *testing.T, got, want []Interval) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Start.Equal(want[i].Start) && got[i].End.Equal(want[i].End)
	}
	if !ok {
		var b strings.Builder
		for _, g := range got {
			b.WriteString("\n  " + g.Start.UTC().Format(time.RFC3339) + " – " + g.End.UTC().Format(time.RFC3339))
		}
		t.Fatalf("got %d intervals:%s\nwant %d", len(got), b.String(), len(want))
	}
}

func TestExpandRecurringWeeklyAcrossDST(t *testing.T) {
	// "0 2 * * SUN" for 2h in Amsterdam: 00:00–02:00 UTC in summer time,
	// 01:00–03:00 UTC in winter time. Every window is 2 real hours, also on
	// October 25, when clocks go back from 03:00 CEST to 02:00 CET.
	got, err := ExpandRecurring("0 2 * * SUN", 2*time.Hour, amsterdam, tm(amsterdam, 2026, 10, 15, 0, 0), tm(amsterdam, 2026, 11, 10, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, []Interval{
		iv(utc(2026, 10, 18, 0, 0), utc(2026, 10, 18, 2, 0)),
		iv(utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0)), // 02:00 CEST – 03:00 CET
		iv(utc(2026, 11, 1, 1, 0), utc(2026, 11, 1, 3, 0)),
		iv(utc(2026, 11, 8, 1, 0), utc(2026, 11, 8, 3, 0)),
	})
	for _, w := range got {
		if w.Duration() != 2*time.Hour {
			t.Errorf("window %v is %s long", w, w.Duration())
		}
		if local := w.Start.In(amsterdam); local.Hour() != 2 || local.Weekday() != time.Sunday {
			t.Errorf("window starts %s, want Sunday 02:00 local", local)
		}
	}
}

func TestExpandRecurringSpringForwardSkips(t *testing.T) {
	// 02:00–02:59 does not exist in Amsterdam on 2026-03-29; cron/v3 skips
	// the occurrence rather than moving it.
	got, err := ExpandRecurring("0 2 * * SUN", 2*time.Hour, amsterdam, tm(amsterdam, 2026, 3, 20, 0, 0), tm(amsterdam, 2026, 4, 6, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, []Interval{
		iv(utc(2026, 3, 22, 1, 0), utc(2026, 3, 22, 3, 0)),
		iv(utc(2026, 4, 5, 0, 0), utc(2026, 4, 5, 2, 0)),
	})
	got, err = ExpandRecurring("30 2 * * *", time.Hour, amsterdam, tm(amsterdam, 2026, 3, 28, 0, 0), tm(amsterdam, 2026, 3, 31, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, []Interval{
		iv(utc(2026, 3, 28, 1, 30), utc(2026, 3, 28, 2, 30)),
		iv(utc(2026, 3, 30, 0, 30), utc(2026, 3, 30, 1, 30)),
	})
}

func TestExpandRecurringFallBackOnce(t *testing.T) {
	// cron/v3 fires 02:30 twice on 2026-10-25 (CEST, then CET); a window is
	// taken once, at the first.
	want := []Interval{iv(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 0))}
	got, err := ExpandRecurring("30 2 * * *", 30*time.Minute, amsterdam, tm(amsterdam, 2026, 10, 25, 0, 0), tm(amsterdam, 2026, 10, 25, 12, 0))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, want)
	// The same answer whatever the range: starting between the two firings
	// must not bring the repeat back.
	got, err = ExpandRecurring("30 2 * * *", 30*time.Minute, amsterdam, utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 3, 0))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, nil)
	// New York falls back on 2026-11-01 at 02:00 EDT → 01:00 EST.
	got, err = ExpandRecurring("15 1 * * *", time.Hour, newYork, tm(newYork, 2026, 11, 1, 0, 0), tm(newYork, 2026, 11, 2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, []Interval{iv(utc(2026, 11, 1, 5, 15), utc(2026, 11, 1, 6, 15))})
}

func TestExpandRecurringRange(t *testing.T) {
	// A window that started before from and runs into the range is included;
	// one that ends exactly at from is not (half-open).
	got, err := ExpandRecurring("0 2 * * SUN", 2*time.Hour, amsterdam, utc(2026, 10, 18, 1, 0), utc(2026, 10, 18, 1, 30))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, []Interval{iv(utc(2026, 10, 18, 0, 0), utc(2026, 10, 18, 2, 0))})
	got, _ = ExpandRecurring("0 2 * * SUN", 2*time.Hour, amsterdam, utc(2026, 10, 18, 2, 0), utc(2026, 10, 19, 0, 0))
	sameIntervals(t, got, nil)
	// An occurrence at to is outside [from, to).
	got, _ = ExpandRecurring("0 2 * * SUN", 2*time.Hour, amsterdam, utc(2026, 10, 17, 0, 0), utc(2026, 10, 18, 0, 0))
	sameIntervals(t, got, nil)
	// Empty range, and a schedule that never fires.
	if got, err := ExpandRecurring("0 2 * * SUN", time.Hour, amsterdam, utc(2026, 10, 18, 0, 0), utc(2026, 10, 18, 0, 0)); err != nil || got != nil {
		t.Errorf("empty range: %v, %v", got, err)
	}
	if got, err := ExpandRecurring("0 0 30 2 *", time.Hour, amsterdam, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0)); err != nil || got != nil {
		t.Errorf("February 30: %v, %v", got, err)
	}
	// A descriptor, and the nil location as UTC.
	got, err = ExpandRecurring("@weekly", time.Hour, nil, utc(2026, 10, 1, 0, 0), utc(2026, 10, 12, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	sameIntervals(t, got, []Interval{iv(utc(2026, 10, 4, 0, 0), utc(2026, 10, 4, 1, 0)), iv(utc(2026, 10, 11, 0, 0), utc(2026, 10, 11, 1, 0))})
	// Windows longer than the schedule's step overlap; Union merges them.
	got, _ = ExpandRecurring("0 * * * *", 90*time.Minute, nil, utc(2026, 10, 1, 0, 0), utc(2026, 10, 1, 3, 0))
	if u := Union(got); len(u) != 1 || u.Duration() != 4*time.Hour+30*time.Minute {
		t.Errorf("hourly 90m windows: union %v", u)
	}
}

func TestExpandRecurringErrors(t *testing.T) {
	from, to := utc(2026, 1, 1, 0, 0), utc(2026, 2, 1, 0, 0)
	for _, c := range []struct {
		spec string
		d    time.Duration
		want string
	}{
		{"0 2 * *", time.Hour, "expected exactly 5 fields"},
		{"0 25 * * *", time.Hour, "above maximum"},
		{"0 2 * * SUN", 0, "not positive"},
		{"0 2 * * SUN", -time.Hour, "not positive"},
		{"CRON_TZ=Asia/Tokyo 0 2 * * SUN", time.Hour, "timezone"},
		{"TZ=UTC 0 2 * * SUN", time.Hour, "timezone"},
		{"@every 1h", time.Hour, "@every"},
	} {
		_, err := ExpandRecurring(c.spec, c.d, amsterdam, from, to)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q %s: err %v, want one containing %q", c.spec, c.d, err, c.want)
		}
	}

	defer func(n int) { maxOccurrences = n }(maxOccurrences)
	maxOccurrences = 100
	if _, err := ExpandRecurring("* * * * *", time.Minute, nil, from, to); err == nil || !strings.Contains(err.Error(), "more than 100 occurrences") {
		t.Errorf("minutely for a month with a bound of 100: %v", err)
	}
}

func TestRecurringWindows(t *testing.T) {
	ws, err := RecurringWindows("portal", "0 2 * * SUN", 2*time.Hour, amsterdam, "weekly patching", tm(amsterdam, 2026, 10, 1, 0, 0), tm(amsterdam, 2026, 11, 1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 4 {
		t.Fatalf("%d windows in October 2026, want 4", len(ws))
	}
	for _, w := range ws {
		if w.Source != SourceConfig || w.Service != "portal" || w.Reason != "weekly patching" || Late(w, 72*time.Hour) {
			t.Errorf("window %+v", w)
		}
	}
}

func TestNoticeAndLate(t *testing.T) {
	start := utc(2026, 10, 10, 22, 0)
	win := func(source string, announced time.Time) Window {
		return Window{Start: start, End: start.Add(2 * time.Hour), Source: source, AnnouncedAt: announced}
	}
	cases := []struct {
		name   string
		w      Window
		notice time.Duration
		want   time.Duration
		late   bool
	}{
		{"72h ahead, 48h needed", win(SourceAPI, start.Add(-72*time.Hour)), 48 * time.Hour, 72 * time.Hour, false},
		{"exactly 48h ahead", win(SourceCLI, start.Add(-48*time.Hour)), 48 * time.Hour, 48 * time.Hour, false},
		{"24h ahead, 48h needed", win(SourceAPI, start.Add(-24*time.Hour)), 48 * time.Hour, 24 * time.Hour, true},
		{"after the start, none needed", win(SourceAPI, start.Add(time.Hour)), 0, -time.Hour, true},
		{"at the start, none needed", win(SourceAPI, start), 0, 0, false},
		{"config: never late", win(SourceConfig, start.Add(time.Hour)), 48 * time.Hour, -time.Hour, false},
		{"unknown announcement: not late", win(SourceAPI, time.Time{}), 48 * time.Hour, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := NoticeOf(c.w); got != c.want {
				t.Errorf("NoticeOf = %s, want %s", got, c.want)
			}
			if got := Late(c.w, c.notice); got != c.late {
				t.Errorf("Late = %v, want %v", got, c.late)
			}
		})
	}
}

func TestLateStartGrace(t *testing.T) {
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	w := Window{Service: "s", Start: start, End: start.Add(time.Hour), Source: SourceAPI}
	for _, c := range []struct {
		announced time.Duration // relative to start
		notice    time.Duration
		late      bool
	}{
		{-time.Millisecond, 0, false}, // "starting now"
		{time.Millisecond, 0, false},  // the server saw it a moment after its start
		{StartGrace, 0, false},        // within the grace
		{StartGrace + 1, 0, true},     // after the fact
		{time.Millisecond, time.Hour, true},
		{-time.Hour, time.Hour, false}, // exactly the notice required
		{-time.Hour + 1, time.Hour, true},
	} {
		w.AnnouncedAt = start.Add(c.announced)
		if got := Late(w, c.notice); got != c.late {
			t.Errorf("announced %s relative to start, notice %s: late = %v, want %v", c.announced, c.notice, got, c.late)
		}
	}
}
