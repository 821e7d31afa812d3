package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

func TestMaintenanceLifecycle(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()
	s := openTest(t, path)

	w := uptime.Window{
		Service:     "customer-portal",
		Start:       t0.Add(14*time.Hour + 1234*time.Millisecond),
		End:         t0.Add(16 * time.Hour),
		Reason:      "database upgrade",
		Source:      uptime.SourceAPI,
		AnnouncedAt: t0.Add(5 * time.Millisecond),
		AnnouncedBy: "token:ops",
	}
	id, err := s.AddMaintenance(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	w.ID = id
	s.Close()

	// A new process (here: a new Store) finds it.
	s = openTest(t, path)
	got, err := s.MaintenanceWindow(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("MaintenanceWindow = %+v\nwant %+v", got, w)
	}
	if _, err := s.MaintenanceWindow(ctx, id+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing window: %v, want ErrNotFound", err)
	}

	at := t0.Add(time.Hour)
	if err := s.CancelMaintenance(ctx, id+100, "alice", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancelling a missing window: %v, want ErrNotFound", err)
	}
	if err := s.CancelMaintenance(ctx, id, "alice", time.Time{}); err == nil {
		t.Error("cancelled at the zero time")
	}
	if err := s.CancelMaintenance(ctx, id, "alice", at); err != nil {
		t.Fatal(err)
	}
	err = s.CancelMaintenance(ctx, id, "bob", at.Add(time.Minute))
	if !errors.Is(err, ErrConflict) {
		t.Errorf("cancelling twice: %v, want ErrConflict", err)
	} else if !strings.Contains(err.Error(), `"alice"`) {
		t.Errorf("conflict %q does not say who cancelled it", err)
	}
	s.Close()

	s = openTest(t, path)
	got, err = s.MaintenanceWindow(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := w
	want.CancelledAt = at
	if !reflect.DeepEqual(got, want) || !got.Cancelled() {
		t.Errorf("after cancel: %+v\nwant %+v", got, want)
	}
	// Who cancelled it is kept, though uptime.Window has no field for it.
	var by string
	if err := s.r.QueryRowContext(ctx, "SELECT cancelled_by FROM maintenance WHERE id = ?", id).Scan(&by); err != nil {
		t.Fatal(err)
	}
	if by != "alice" {
		t.Errorf("cancelled_by = %q, want alice", by)
	}
	// Listed only when asked for.
	if l, err := s.Maintenance(ctx, MaintenanceFilter{}); err != nil || len(l) != 0 {
		t.Errorf("Maintenance() = %+v, %v; want nothing", l, err)
	}
	if l, err := s.Maintenance(ctx, MaintenanceFilter{IncludeCancelled: true}); err != nil || !reflect.DeepEqual(l, []uptime.Window{want}) {
		t.Errorf("Maintenance(IncludeCancelled) = %+v, %v", l, err)
	}
}

func TestAddMaintenanceChecks(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	ok := uptime.Window{Service: "a", Start: t0, End: t0.Add(time.Hour), Source: uptime.SourceCLI, AnnouncedAt: t0.Add(-time.Hour)}
	for name, change := range map[string]func(*uptime.Window){
		"no service":           func(w *uptime.Window) { w.Service = "" },
		"no start":             func(w *uptime.Window) { w.Start = time.Time{} },
		"no end":               func(w *uptime.Window) { w.End = time.Time{} },
		"end before start":     func(w *uptime.Window) { w.End = w.Start.Add(-time.Second) },
		"empty":                func(w *uptime.Window) { w.End = w.Start },
		"empty to the ms":      func(w *uptime.Window) { w.End = w.Start.Add(999 * time.Microsecond) },
		"not announced":        func(w *uptime.Window) { w.AnnouncedAt = time.Time{} },
		"no source":            func(w *uptime.Window) { w.Source = "" },
		"from the config":      func(w *uptime.Window) { w.Source = uptime.SourceConfig },
		"cancelled on arrival": func(w *uptime.Window) { w.CancelledAt = t0 },
	} {
		w := ok
		change(&w)
		if _, err := s.AddMaintenance(ctx, w); err == nil {
			t.Errorf("%s: added", name)
		}
	}
	if n := countRows(t, s, "maintenance"); n != 0 {
		t.Errorf("%d windows stored after refusals", n)
	}
	// Announced after it started: stored (accounting calls it late).
	late := ok
	late.AnnouncedAt = t0.Add(time.Minute)
	if _, err := s.AddMaintenance(ctx, late); err != nil {
		t.Error(err)
	}
}

func TestMaintenanceFilter(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	type span struct {
		svc        string
		start, end int // hours from t0
		cancelled  bool
	}
	ids := map[string]int64{}
	// Inserted out of order: listings are by start.
	for _, name := range []string{"a2", "b1", "a1", "aX", "a3"} {
		sp := map[string]span{
			"a1": {"a", 0, 2, false},
			"a2": {"a", 4, 5, false},
			"a3": {"a", 4, 8, false}, // same start as a2, added later
			"aX": {"a", 1, 6, true},  // cancelled
			"b1": {"b", 1, 3, false},
		}[name]
		id, err := s.AddMaintenance(ctx, uptime.Window{Service: sp.svc, Start: h(sp.start), End: h(sp.end),
			Reason: name, Source: uptime.SourceCLI, AnnouncedAt: h(-24)})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
		if sp.cancelled {
			if err := s.CancelMaintenance(ctx, id, "cli", h(-1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name string
		f    MaintenanceFilter
		want []string
	}{
		{"all", MaintenanceFilter{}, []string{"a1", "b1", "a2", "a3"}},
		{"all with cancelled", MaintenanceFilter{IncludeCancelled: true}, []string{"a1", "b1", "aX", "a2", "a3"}}, // b1 and aX: same start, by id
		{"service", MaintenanceFilter{Service: "a"}, []string{"a1", "a2", "a3"}},
		{"unknown service", MaintenanceFilter{Service: "zzz"}, nil},
		{"limit", MaintenanceFilter{Service: "a", Limit: 2}, []string{"a1", "a2"}},
		{"limit counts cancelled only when included", MaintenanceFilter{Service: "a", Limit: 2, IncludeCancelled: true}, []string{"a1", "aX"}},
		// [2h, 4h): a1 ends at 2h and a2, a3 start at 4h.
		{"half-open gap", MaintenanceFilter{Service: "a", From: h(2), To: h(4)}, nil},
		{"half-open gap, cancelled", MaintenanceFilter{Service: "a", From: h(2), To: h(4), IncludeCancelled: true}, []string{"aX"}},
		{"overlap start", MaintenanceFilter{Service: "a", From: h(1), To: h(4)}, []string{"a1"}},
		{"overlap end", MaintenanceFilter{Service: "a", From: h(3), To: h(5)}, []string{"a2", "a3"}},
		{"inside", MaintenanceFilter{Service: "a", From: h(6), To: h(6).Add(time.Millisecond)}, []string{"a3"}},
		{"last millisecond", MaintenanceFilter{Service: "a", From: h(8).Add(-time.Millisecond), To: h(9)}, []string{"a3"}},
		{"from the end", MaintenanceFilter{Service: "a", From: h(8)}, nil},
		{"from only", MaintenanceFilter{From: h(4)}, []string{"a2", "a3"}},
		{"to only", MaintenanceFilter{To: h(1)}, []string{"a1"}},
		{"to only, cancelled", MaintenanceFilter{To: h(1).Add(time.Millisecond), IncludeCancelled: true}, []string{"a1", "b1", "aX"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Maintenance(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if names := reasons(got); !reflect.DeepEqual(names, tc.want) {
				t.Errorf("Maintenance(%+v) = %v, want %v", tc.f, names, tc.want)
			}
		})
	}

	// The History view: one service, cancelled windows included, so that
	// accounting can tell them apart itself.
	got, err := s.MaintenanceBetween(ctx, "a", h(3), h(5))
	if err != nil {
		t.Fatal(err)
	}
	if names := reasons(got); !reflect.DeepEqual(names, []string{"aX", "a2", "a3"}) {
		t.Errorf("MaintenanceBetween = %v", names)
	}
	if !got[0].Cancelled() || got[1].Cancelled() {
		t.Errorf("MaintenanceBetween cancellation: %+v", got)
	}
	if _, err := s.MaintenanceBetween(ctx, "", h(3), h(5)); err == nil {
		t.Error("MaintenanceBetween with no service succeeded")
	}
}

func reasons(ws []uptime.Window) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Reason)
	}
	return out
}

func countRows(t testing.TB, s *Store, table string) int {
	t.Helper()
	var n int
	// table is a constant of the tests.
	if err := s.r.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
