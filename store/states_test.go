package store

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

func iv(a, b int) uptime.Interval { return uptime.Interval{Start: sec(a), End: sec(b)} }

// stateIntervals is StateIntervals over all time, failing the test on error.
func stateIntervals(t *testing.T, s *Store, service string, state uptime.State, now time.Time) []uptime.Interval {
	t.Helper()
	got, err := s.StateIntervals(t.Context(), service, state, time.Time{}, time.Time{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRecordState(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()
	s := openTest(t, path)
	record := func(state uptime.State, at int) {
		t.Helper()
		if err := s.RecordState(ctx, "web", state, sec(at)); err != nil {
			t.Fatal(err)
		}
	}
	record(uptime.StateUp, 0)
	record(uptime.StateUp, 10) // same state: nothing changes
	record(uptime.StateDegraded, 20)
	record(uptime.StateDown, 30)
	record(uptime.StateDown, 29) // same state, even earlier: nothing changes
	if n := countRows(t, s, "service_states"); n != 3 {
		t.Errorf("%d state rows, want 3", n)
	}

	// Durable: a new Store (process) reads the same.
	s.Close()
	s = openTest(t, path)
	for _, tc := range []struct {
		state uptime.State
		now   int
		want  []uptime.Interval
	}{
		{uptime.StateUp, 100, []uptime.Interval{iv(0, 20)}},
		{uptime.StateDegraded, 100, []uptime.Interval{iv(20, 30)}},
		{uptime.StateDown, 100, []uptime.Interval{iv(30, 100)}}, // open: ends at now
		{uptime.StateDown, 31, []uptime.Interval{iv(30, 31)}},
		{uptime.StateDown, 25, []uptime.Interval{iv(30, 30)}}, // now before its start
		{uptime.StateMaintenance, 100, nil},
	} {
		if got := stateIntervals(t, s, "web", tc.state, sec(tc.now)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("StateIntervals(%s, now %d) = %v, want %v", tc.state, tc.now, got, tc.want)
		}
	}
	cur, err := s.CurrentStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]StateSince{"web": {uptime.StateDown, sec(30)}}; !reflect.DeepEqual(cur, want) {
		t.Errorf("CurrentStates = %v, want %v", cur, want)
	}

	if err := s.RecordState(ctx, "web", uptime.StateUp, sec(29)); !errors.Is(err, ErrConflict) {
		t.Errorf("a change before the current state began: %v, want ErrConflict", err)
	}
	if err := s.CloseStates(ctx, "web", sec(29)); !errors.Is(err, ErrConflict) {
		t.Errorf("closing before the current state began: %v, want ErrConflict", err)
	}
	if err := s.CloseStates(ctx, "web", sec(40)); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseStates(ctx, "web", sec(45)); err != nil {
		t.Errorf("closing again: %v, want no-op", err)
	}
	if err := s.CloseStates(ctx, "never-seen", sec(45)); err != nil {
		t.Errorf("closing a service without rows: %v, want no-op", err)
	}
	if got := stateIntervals(t, s, "web", uptime.StateDown, sec(100)); !reflect.DeepEqual(got, []uptime.Interval{iv(30, 40)}) {
		t.Errorf("down after CloseStates = %v", got)
	}
	if cur, err := s.CurrentStates(ctx); err != nil || len(cur) != 0 {
		t.Errorf("CurrentStates after CloseStates = %v, %v", cur, err)
	}

	// Monitored again.
	record(uptime.StateUp, 50)
	// Flapping within one millisecond leaves no trace: the degraded row
	// that lasted no time goes, and the up row it ended goes on.
	record(uptime.StateDegraded, 60)
	record(uptime.StateUp, 60)
	// A row that lasted no time is replaced; the one before it (up) has
	// another state than the new one, so a new row begins.
	record(uptime.StateDown, 70)
	record(uptime.StateDegraded, 70)
	for _, tc := range []struct {
		state uptime.State
		want  []uptime.Interval
	}{
		{uptime.StateUp, []uptime.Interval{iv(0, 20), iv(50, 70)}},
		{uptime.StateDegraded, []uptime.Interval{iv(20, 30), iv(70, 100)}},
		{uptime.StateDown, []uptime.Interval{iv(30, 40)}},
	} {
		if got := stateIntervals(t, s, "web", tc.state, sec(100)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("after flapping: StateIntervals(%s) = %v, want %v", tc.state, got, tc.want)
		}
	}
	if n := checkStateRows(t, s, "web"); n != 5 {
		t.Errorf("%d rows after flapping, want 5", n)
	}

	for name, err := range map[string]error{
		"no service":        s.RecordState(ctx, "", uptime.StateUp, sec(1)),
		"unknown state":     s.RecordState(ctx, "web", "sideways", sec(200)),
		"empty state":       s.RecordState(ctx, "web", "", sec(200)),
		"zero time":         s.RecordState(ctx, "web", uptime.StateUp, time.Time{}),
		"close, no service": s.CloseStates(ctx, "", sec(1)),
		"close, zero time":  s.CloseStates(ctx, "web", time.Time{}),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := s.StateIntervals(ctx, "web", uptime.StateUp, time.Time{}, time.Time{}, time.Time{}); err == nil {
		t.Error("StateIntervals with a zero now succeeded")
	}
	if _, err := s.StateIntervals(ctx, "web", "sideways", time.Time{}, time.Time{}, sec(1)); err == nil {
		t.Error("StateIntervals of an unknown state succeeded")
	}
}

// checkStateRows checks a service's rows: none overlap, rows that touch
// differ in state, and only the last may be open. It returns how many there
// are.
func checkStateRows(t *testing.T, s *Store, service string) int {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), "SELECT state, start_ms, end_ms FROM service_states WHERE service = ? ORDER BY start_ms, id", service)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type row struct {
		state      string
		start, end int64
		open       bool
	}
	var all []row
	for rows.Next() {
		var r row
		var end *int64
		if err := rows.Scan(&r.state, &r.start, &end); err != nil {
			t.Fatal(err)
		}
		if end == nil {
			r.open = true
		} else {
			r.end = *end
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for i, r := range all {
		if r.open && i != len(all)-1 {
			t.Errorf("%s: open row %d of %d: %+v", service, i, len(all), r)
		}
		if i == 0 {
			continue
		}
		p := all[i-1]
		if p.open || p.end > r.start || (p.end == r.start && p.state == r.state) {
			t.Errorf("%s: rows %d and %d overlap or repeat a state: %+v, %+v", service, i-1, i, p, r)
		}
	}
	return len(all)
}

func TestStateIntervalsFilter(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	for _, ch := range []struct {
		svc   string
		state uptime.State
		at    int
	}{
		{"web", uptime.StateUp, 0},
		{"web", uptime.StateDown, 100},
		{"db", uptime.StateDown, 150}, // another service: never in web's answers
		{"web", uptime.StateUp, 200},
		{"web", uptime.StateDown, 300}, // open
	} {
		if err := s.RecordState(ctx, ch.svc, ch.state, sec(ch.at)); err != nil {
			t.Fatal(err)
		}
	}
	// An empty row: closed the moment it began.
	if err := s.RecordState(ctx, "empty", uptime.StateDown, sec(50)); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseStates(ctx, "empty", sec(50)); err != nil {
		t.Fatal(err)
	}

	now := sec(1000)
	all := []uptime.Interval{iv(100, 200), iv(300, 1000)}
	var zero time.Time
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []uptime.Interval
	}{
		{"all", zero, zero, all},
		{"half-open gap", sec(200), sec(300), nil},
		{"last ms of the first", sec(200).Add(-time.Millisecond), sec(300), all[:1]},
		{"unclipped", sec(150), sec(160), all[:1]},
		{"open row", sec(999), sec(1001), all[1:]},
		{"open row ends at now", sec(1000), sec(2000), nil},
		{"from only", sec(150), zero, all},
		{"to only", zero, sec(100), nil},
		{"to only, one ms in", zero, sec(100).Add(time.Millisecond), all[:1]},
	} {
		got, err := s.StateIntervals(ctx, "web", uptime.StateDown, tc.from, tc.to, now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: StateIntervals = %v, want %v", tc.name, got, tc.want)
		}
	}
	point := []uptime.Interval{iv(50, 50)}
	for _, tc := range []struct {
		from, to time.Time
		want     []uptime.Interval
	}{
		{sec(50), sec(51), point},
		{sec(49), sec(50), nil},
		{sec(51), sec(60), nil},
	} {
		got, err := s.StateIntervals(ctx, "empty", uptime.StateDown, tc.from, tc.to, now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("empty row [%v, %v): StateIntervals = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestCloseDanglingStates: a daemon killed with states open; the next run
// closes them where monitoring of each service stopped.
func TestCloseDanglingStates(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()
	s := openTest(t, path)

	// Two earlier runs of the Writer monitored web: [0, 300] and [1000, 1030].
	for _, run := range [][2]int{{0, 300}, {1000, 1030}} {
		w := s.NewWriter(WriterOptions{FlushInterval: time.Hour})
		for n := run[0]; n <= run[1]; n += 30 {
			w.Add(result("web", "home", sec(n), true))
		}
		w.Add(result("late", "home", sec(run[0]), true))
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range []struct {
		svc   string
		state uptime.State
		at    int
	}{
		{"web", uptime.StateUp, 0},
		{"web", uptime.StateDegraded, 1010}, // dangling
		// The change was recorded but the result that caused it was
		// never flushed: the span ends before the row starts.
		{"late", uptime.StateDown, 1020},
		{"nospan", uptime.StateUp, 500}, // never monitored at all
		{"closed", uptime.StateUp, 10},
	} {
		if err := s.RecordState(ctx, ch.svc, ch.state, sec(ch.at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CloseStates(ctx, "closed", sec(20)); err != nil {
		t.Fatal(err)
	}
	s.Close() // killed: nothing closes the open rows

	s = openTest(t, path)
	if err := s.CloseDanglingStates(ctx); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		if cur, err := s.CurrentStates(ctx); err != nil || len(cur) != 0 {
			t.Errorf("CurrentStates after CloseDanglingStates = %v, %v", cur, err)
		}
		now := sec(5000) // far after: no row may stretch to it
		for _, tc := range []struct {
			svc   string
			state uptime.State
			want  []uptime.Interval
		}{
			{"web", uptime.StateUp, []uptime.Interval{iv(0, 1010)}},
			{"web", uptime.StateDegraded, []uptime.Interval{iv(1010, 1030)}}, // the last result
			{"late", uptime.StateDown, []uptime.Interval{iv(1020, 1020)}},
			{"nospan", uptime.StateUp, []uptime.Interval{iv(500, 500)}},
			{"closed", uptime.StateUp, []uptime.Interval{iv(10, 20)}},
		} {
			if got := stateIntervals(t, s, tc.svc, tc.state, now); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s %s: %v, want %v", tc.svc, tc.state, got, tc.want)
			}
		}
	}
	check()
	// Idempotent: a second start changes nothing.
	if err := s.CloseDanglingStates(ctx); err != nil {
		t.Fatal(err)
	}
	check()
	// And the next change opens a new row.
	if err := s.RecordState(ctx, "web", uptime.StateUp, sec(2000)); err != nil {
		t.Fatal(err)
	}
	if got := stateIntervals(t, s, "web", uptime.StateUp, sec(2100)); !reflect.DeepEqual(got, []uptime.Interval{iv(0, 1010), iv(2000, 2100)}) {
		t.Errorf("web up after restart = %v", got)
	}
}
