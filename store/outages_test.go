package store

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

func TestOutageLifecycle(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()
	s := openTest(t, path)

	open := uptime.Outage{
		Service:  "customer-portal",
		Start:    t0.Add(1234 * time.Millisecond),
		Cause:    "status 503, want [200]",
		Probe:    "home",
		Severity: "P1",
		Source:   uptime.SourceProbe,
	}
	id, err := s.InsertOutage(ctx, open)
	if err != nil {
		t.Fatal(err)
	}
	open.ID = id
	s.Close()

	// A new process (here: a new Store) finds it open.
	s = openTest(t, path)
	got, err := s.OpenOutages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], open) {
		t.Fatalf("OpenOutages = %+v, want [%+v]", got, open)
	}

	end := t0.Add(10*time.Minute + 5*time.Millisecond)
	if err := s.CloseOutage(ctx, id, end); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseOutage(ctx, id, end.Add(time.Minute)); !errors.Is(err, ErrConflict) {
		t.Errorf("closing twice: %v, want ErrConflict", err)
	}
	if err := s.CloseOutage(ctx, id+100, end); !errors.Is(err, ErrNotFound) {
		t.Errorf("closing a missing outage: %v, want ErrNotFound", err)
	}
	got, err = s.OpenOutages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("OpenOutages after close = %+v", got)
	}
	o, err := s.Outage(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := open
	want.End = end
	if !reflect.DeepEqual(o, want) {
		t.Errorf("Outage = %+v, want %+v", o, want)
	}
	if _, err := s.Outage(ctx, id+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing outage: %v, want ErrNotFound", err)
	}
}

func TestInsertOutageChecks(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	for name, o := range map[string]uptime.Outage{
		"no service":          {Start: t0},
		"no start":            {Service: "a"},
		"end before start":    {Service: "a", Start: t0, End: t0.Add(-time.Second)},
		"excluded, no reason": {Service: "a", Start: t0, End: t0.Add(time.Hour), Excluded: true},
	} {
		if _, err := s.InsertOutage(ctx, o); err == nil {
			t.Errorf("%s: inserted", name)
		}
	}
	if err := s.CloseOutage(ctx, 1, time.Time{}); err == nil {
		t.Error("closed with a zero end")
	}
	id, err := s.InsertOutage(ctx, uptime.Outage{Service: "a", Start: t0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CloseOutage(ctx, id, t0.Add(-time.Second)); !errors.Is(err, ErrConflict) {
		t.Errorf("closing before the start: %v, want ErrConflict", err)
	}
}

func TestOutagesFilter(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	type span struct {
		svc        string
		start, end int // hours from t0; end -1: open
	}
	ids := map[string]int64{}
	for name, sp := range map[string]span{
		"a1":    {"a", 0, 2},
		"a2":    {"a", 4, 5},
		"a3":    {"a", 6, 6}, // empty
		"aOpen": {"a", 8, -1},
		"b1":    {"b", 1, 3},
	} {
		o := uptime.Outage{Service: sp.svc, Start: h(sp.start), Source: uptime.SourceManual, Cause: name}
		if sp.end >= 0 {
			o.End = h(sp.end)
		}
		id, err := s.InsertOutage(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	for _, tc := range []struct {
		name string
		f    OutageFilter
		want []string
	}{
		{"all", OutageFilter{}, []string{"a1", "b1", "a2", "a3", "aOpen"}},
		{"service", OutageFilter{Service: "a"}, []string{"a1", "a2", "a3", "aOpen"}},
		{"limit", OutageFilter{Service: "a", Limit: 2}, []string{"a1", "a2"}},
		// [2h, 4h): a1 ends at 2h and a2 starts at 4h, so neither touches it.
		{"half-open gap", OutageFilter{Service: "a", From: h(2), To: h(4)}, nil},
		{"overlap start", OutageFilter{Service: "a", From: h(1), To: h(4)}, []string{"a1"}},
		{"overlap end", OutageFilter{Service: "a", From: h(3), To: h(5)}, []string{"a2"}},
		{"inside", OutageFilter{Service: "b", From: h(2), To: h(2).Add(time.Minute)}, []string{"b1"}},
		{"empty outage at from", OutageFilter{Service: "a", From: h(6), To: h(7)}, []string{"a3"}},
		{"empty outage at to", OutageFilter{Service: "a", From: h(5), To: h(6)}, nil},
		{"open extends to +inf", OutageFilter{Service: "a", From: h(1000), To: h(1001)}, []string{"aOpen"}},
		{"before open", OutageFilter{Service: "a", From: h(7), To: h(8)}, nil},
		{"from only", OutageFilter{From: h(5)}, []string{"a3", "aOpen"}},
		{"to only", OutageFilter{To: h(1)}, []string{"a1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Outages(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range got {
				names = append(names, o.Cause)
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("Outages(%+v) = %v, want %v", tc.f, names, tc.want)
			}
		})
	}
	if n, err := s.CountOutages(ctx, "a"); err != nil || n != 4 {
		t.Errorf("CountOutages(a) = %d, %v; want 4", n, err)
	}
	if n, err := s.CountOutages(ctx, ""); err != nil || n != 5 {
		t.Errorf("CountOutages() = %d, %v; want 5", n, err)
	}
	counts, err := s.CountOutagesByService(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(counts, map[string]int64{"a": 4, "b": 1}) {
		t.Errorf("CountOutagesByService = %v", counts)
	}
}

func TestExcludeInclude(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	id, err := s.InsertOutage(ctx, uptime.Outage{Service: "a", Start: t0, End: t0.Add(time.Hour), Source: uptime.SourceProbe})
	if err != nil {
		t.Fatal(err)
	}
	at1, at2, at3 := t0.Add(2*time.Hour), t0.Add(3*time.Hour), t0.Add(4*time.Hour)

	if err := s.ExcludeOutage(ctx, id, " ", "alice", at1); err == nil {
		t.Error("excluded without a reason")
	}
	if err := s.IncludeOutage(ctx, id, "undo", "alice", at1); !errors.Is(err, ErrConflict) {
		t.Errorf("including an outage that is not excluded: %v, want ErrConflict", err)
	}
	if err := s.ExcludeOutage(ctx, id+1, "storm", "alice", at1); !errors.Is(err, ErrNotFound) {
		t.Errorf("excluding a missing outage: %v, want ErrNotFound", err)
	}

	if err := s.ExcludeOutage(ctx, id, "datacenter flood", "alice", at1); err != nil {
		t.Fatal(err)
	}
	if err := s.ExcludeOutage(ctx, id, "again", "alice", at1); !errors.Is(err, ErrConflict) {
		t.Errorf("excluding twice: %v, want ErrConflict", err)
	}
	o, err := s.Outage(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Excluded || o.ExcludeReason != "datacenter flood" || o.ExcludedBy != "alice" || !o.ExcludedAt.Equal(at1) {
		t.Errorf("after exclude: %+v", o)
	}

	if err := s.IncludeOutage(ctx, id, "flood was ours", "bob", at2); err != nil {
		t.Fatal(err)
	}
	o, err = s.Outage(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Excluded || o.ExcludeReason != "" || o.ExcludedBy != "" || !o.ExcludedAt.IsZero() {
		t.Errorf("after include: %+v", o)
	}
	if err := s.ExcludeOutage(ctx, id, "flood after all", "carol", at3); err != nil {
		t.Fatal(err)
	}

	ev, err := s.OutageEvents(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []OutageEvent{
		{At: at1, Action: ActionExclude, Reason: "datacenter flood", Who: "alice"},
		{At: at2, Action: ActionInclude, Reason: "flood was ours", Who: "bob"},
		{At: at3, Action: ActionExclude, Reason: "flood after all", Who: "carol"},
	}
	if !reflect.DeepEqual(ev, want) {
		t.Errorf("OutageEvents = %+v\nwant %+v", ev, want)
	}
	if _, err := s.OutageEvents(ctx, id+1); !errors.Is(err, ErrNotFound) {
		t.Errorf("events of a missing outage: %v, want ErrNotFound", err)
	}

	// Inserted as force majeure (outage add --force-majeure): audited too.
	fm := uptime.Outage{Service: "a", Start: t0, End: t0.Add(time.Minute), Source: uptime.SourceManual,
		Excluded: true, ExcludeReason: "power grid", ExcludedBy: "cli", ExcludedAt: at1}
	id2, err := s.InsertOutage(ctx, fm)
	if err != nil {
		t.Fatal(err)
	}
	fm.ID = id2
	got, err := s.Outage(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fm) {
		t.Errorf("force-majeure outage = %+v, want %+v", got, fm)
	}
	ev, err = s.OutageEvents(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 1 || ev[0] != (OutageEvent{At: at1, Action: ActionExclude, Reason: "power grid", Who: "cli"}) {
		t.Errorf("events of inserted exclusion = %+v", ev)
	}
}
