package store

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/uptime"
)

func result(service, name string, start time.Time, ok bool) probe.Result {
	r := probe.Result{Service: service, Probe: name, Start: start, Duration: 12345 * time.Microsecond, Success: ok}
	if !ok {
		r.Err = "connect: connection refused"
	}
	return r
}

func TestResultsRoundTrip(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	in := []probe.Result{
		{Service: "web", Probe: "home", Start: t0.Add(1 * time.Millisecond), Duration: 250 * time.Microsecond, Success: true, StatusCode: 200},
		{Service: "web", Probe: "home", Start: t0.Add(30001 * time.Millisecond), Duration: 3 * time.Second, Success: true, Degraded: true, StatusCode: 200},
		{Service: "web", Probe: "home", Start: t0.Add(60999 * time.Millisecond), Duration: 10 * time.Second, Err: "status 503, want [200]", StatusCode: 503},
		{Service: "web", Probe: "tcp", Start: t0.Add(2 * time.Millisecond), Duration: time.Microsecond, Err: "connect: connection refused"},
		// Before 1970: negative milliseconds round-trip too.
		{Service: "web", Probe: "old", Start: time.Date(1969, 12, 31, 23, 59, 59, 999e6, time.UTC), Duration: time.Millisecond, Success: true},
	}
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	for _, r := range in {
		w.Add(r)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	got, err := s.Results(ctx, "web", "home", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in[:3]) {
		t.Errorf("Results(home) =\n%+v\nwant\n%+v", got, in[:3])
	}
	got, err = s.Results(ctx, "web", "", t0, t0.Add(time.Minute), 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []probe.Result{in[0], in[3], in[1]}; !reflect.DeepEqual(got, want) {
		t.Errorf("Results(all probes, first minute) =\n%+v\nwant\n%+v", got, want)
	}
	got, err = s.Results(ctx, "web", "", time.Time{}, time.Time{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []probe.Result{in[4], in[0]}; !reflect.DeepEqual(got, want) {
		t.Errorf("Results(limit 2) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestRollupsAcrossHourEdge(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	edge := t0.Add(time.Hour) // 09:00
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	in := []probe.Result{
		{Service: "web", Probe: "home", Start: edge.Add(-ms(30001)), Duration: ms(100), Success: true},
		{Service: "web", Probe: "home", Start: edge.Add(-ms(1)), Duration: ms(300), Err: "timeout"},
		{Service: "web", Probe: "home", Start: edge, Duration: ms(50), Success: true, Degraded: true},
		{Service: "web", Probe: "home", Start: edge.Add(ms(30000)), Duration: ms(70), Success: true},
		{Service: "web", Probe: "dns", Start: edge.Add(ms(10)), Duration: ms(5), Err: "no such host"},
		{Service: "other", Probe: "home", Start: edge, Duration: ms(1), Success: true},
	}
	// Two writers and several flushes: the upsert adds to what is there.
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	w.Add(in[0])
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	w.Add(in[1])
	w.Add(in[2])
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	w = s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	for _, r := range in[3:] {
		w.Add(r)
	}
	w.Add(in[3]) // a duplicate (same probe, same ms) is stored and counted once
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	got, err := s.Rollups(ctx, "web", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Rollup{
		{Service: "web", Probe: "home", Hour: t0, Count: 2, Failures: 1, SumDuration: ms(400), MinDuration: ms(100), MaxDuration: ms(300)},
		{Service: "web", Probe: "dns", Hour: edge, Count: 1, Failures: 1, SumDuration: ms(5), MinDuration: ms(5), MaxDuration: ms(5)},
		{Service: "web", Probe: "home", Hour: edge, Count: 2, Degraded: 1, SumDuration: ms(120), MinDuration: ms(50), MaxDuration: ms(70)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Rollups =\n%+v\nwant\n%+v", got, want)
	}
	if m := want[2].MeanDuration(); m != ms(60) {
		t.Errorf("MeanDuration = %v", m)
	}
	// Hours that intersect [08:59, 09:00) and [09:00:00.001, 10:00).
	got, err = s.Rollups(ctx, "web", edge.Add(-time.Minute), edge)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("Rollups(first hour) = %+v", got)
	}
	got, err = s.Rollups(ctx, "web", edge.Add(time.Millisecond), edge.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("Rollups(second hour) = %+v", got)
	}
	res, err := s.Results(ctx, "web", "home", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 {
		t.Errorf("%d results of web/home, want 4", len(res))
	}
}

func TestMonitoredSpans(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()
	s := openTest(t, path)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

	// First run: results at 0..300 s, flushed in several batches.
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour, MaxBatch: 3})
	for sec := 0; sec <= 300; sec += 30 {
		w.Add(result("web", "home", at(sec), true))
		w.Add(result("web", "tcp", at(sec+1), sec%60 == 0))
	}
	w.Add(result("db", "tcp", at(100), true)) // one result: [100, 100]
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, err := s.MonitoredSpans(ctx, "web", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uptime.Interval{{Start: at(0), End: at(301)}}; !reflect.DeepEqual(spans, want) {
		t.Errorf("first run spans = %v, want %v", spans, want)
	}
	// A killed daemon does not close its writer: its span ends at the last
	// flushed result. Here the store is closed under it.
	s.Close()

	// Restart: a new writer on a reopened store opens a second span.
	s = openTest(t, path)
	w = s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	w.Add(result("web", "home", at(1000), true))
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	w.Add(result("web", "home", at(1030), false))
	w.Add(result("web", "home", at(1015), true)) // out of order: still inside
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	all := []uptime.Interval{{Start: at(0), End: at(301)}, {Start: at(1000), End: at(1030)}}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []uptime.Interval
	}{
		{"all", time.Time{}, time.Time{}, all},
		{"overlaps first, unclipped", at(100), at(200), all[:1]},
		{"gap", at(301), at(1000), nil},
		{"touches second start", at(500), at(1001), all[1:]},
		{"both", at(300), at(1001), all},
		{"from only", at(1029), time.Time{}, all[1:]},
		{"to only", time.Time{}, at(1), all[:1]},
	} {
		got, err := s.MonitoredSpans(ctx, "web", tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: MonitoredSpans = %v, want %v", tc.name, got, tc.want)
		}
	}
	point := []uptime.Interval{{Start: at(100), End: at(100)}}
	for _, tc := range []struct {
		from, to time.Time
		want     []uptime.Interval
	}{
		{at(100), at(101), point},
		{at(99), at(100), nil},
		{at(101), at(200), nil},
	} {
		got, err := s.MonitoredSpans(ctx, "db", tc.from, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("db [%v, %v): MonitoredSpans = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestMonitoredSpansSplitAtGaps: a service that goes longer than MaxGap
// without a result (the daemon was paused, the host slept) was not
// monitored in between: the span ends at the result before the gap and a
// new one starts at the result after, whether the gap falls between two
// flushes or inside one. Shorter gaps, and results out of order, keep one
// span.
func TestMonitoredSpansSplitAtGaps(t *testing.T) {
	ctx := t.Context()
	s := openTest(t, tempDB(t))
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour, MaxGap: func(svc string) time.Duration {
		if svc == "web" {
			return time.Minute
		}
		return 0 // never split
	}})
	flush := func() {
		t.Helper()
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for sec := 0; sec <= 120; sec += 30 {
		w.Add(result("web", "home", at(sec), true))
		w.Add(result("batch", "home", at(sec), true))
	}
	flush()
	// A gap of exactly a minute is not a split; the next result is out of order.
	w.Add(result("web", "home", at(180), true))
	w.Add(result("web", "home", at(150), true))
	flush()
	// Paused for an hour between two flushes.
	w.Add(result("web", "home", at(3780), true))
	w.Add(result("batch", "home", at(3780), true))
	flush()
	// Paused inside one flush, twice, with results out of order.
	for _, sec := range []int{7500, 3810, 7530, 9000, 3840} {
		w.Add(result("web", "home", at(sec), true))
	}
	flush()
	w.Add(result("web", "home", at(9030), true))
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.MonitoredSpans(ctx, "web", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []uptime.Interval{
		{Start: at(0), End: at(180)}, {Start: at(3780), End: at(3840)},
		{Start: at(7500), End: at(7530)}, {Start: at(9000), End: at(9030)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("web spans = %v\nwant %v", got, want)
	}
	if got, _ := s.MonitoredSpans(ctx, "batch", time.Time{}, time.Time{}); !reflect.DeepEqual(got, []uptime.Interval{{Start: at(0), End: at(3780)}}) {
		t.Errorf("batch spans (never split) = %v", got)
	}
}

func TestWriterCloseLosesNothing(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	// A tiny queue, so that Add blocks while flushes run.
	w := s.NewWriter(WriterOptions{FlushInterval: time.Millisecond, MaxBatch: 50, Buffer: 10})
	const producers, each = 4, 250
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				w.Add(result("svc", string(rune('a'+p)), t0.Add(time.Duration(i)*time.Second), i%7 != 0))
			}
		})
	}
	wg.Wait()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Flush(ctx); err == nil {
		t.Error("Flush after Close succeeded")
	}
	w.Add(result("svc", "late", t0, true)) // dropped and logged, no panic

	got, err := s.Results(ctx, "svc", "", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != producers*each {
		t.Errorf("%d results, want %d", len(got), producers*each)
	}
	rollups, err := s.Rollups(ctx, "svc", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rollups {
		n += r.Count
	}
	if n != producers*each {
		t.Errorf("rollups count %d results, want %d", n, producers*each)
	}
}

func TestPruneResults(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	// Small prune transactions, so that one probe's old results take
	// several of them.
	defer func(n int64) { pruneBatch = n }(pruneBatch)
	pruneBatch = 500
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	// 3 probes × 2,000 results a second apart.
	probes := []string{"a", "b", "c"}
	for i := range 2000 {
		for _, p := range probes {
			w.Add(result("svc", p, t0.Add(time.Duration(i)*time.Second), i%10 != 0))
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InsertOutage(ctx, uptime.Outage{Service: "svc", Start: t0, End: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	rollupsBefore, err := s.Rollups(ctx, "svc", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	spansBefore, err := s.MonitoredSpans(ctx, "svc", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}

	cutoff := t0.Add(1800 * time.Second)
	n, err := s.PruneResults(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3*1800 {
		t.Errorf("pruned %d, want %d", n, 3*1800)
	}
	for _, p := range probes {
		got, err := s.Results(ctx, "svc", p, time.Time{}, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 200 || !got[0].Start.Equal(cutoff) {
			t.Errorf("probe %s: %d results left, first %v; want 200 from %v", p, len(got), got[0].Start, cutoff)
		}
	}
	if n, err := s.PruneResults(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second prune: %d, %v", n, err)
	}

	rollups, err := s.Rollups(ctx, "svc", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rollups, rollupsBefore) {
		t.Error("pruning results changed the rollups")
	}
	spans, err := s.MonitoredSpans(ctx, "svc", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(spans, spansBefore) {
		t.Error("pruning results changed the spans")
	}
	if c, err := s.CountOutages(ctx, "svc"); err != nil || c != 1 {
		t.Errorf("outages after prune: %d, %v", c, err)
	}

	// Rollups have their own, longer retention.
	n, err = s.PruneRollups(ctx, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("pruned %d rollups, want 3", n)
	}
}
