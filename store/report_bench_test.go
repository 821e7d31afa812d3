package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/uptime"
)

// The report benchmarks run against a real SQLite file holding a year of
// history: a million 30-second probe results, a thousand outages, a span per
// daemon restart and a state change per outage.

var benchYear = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seedYear writes a year of history for one service in one transaction:
// outages (5 minutes each, spread evenly, a degraded spell after each), and
// a monitored span per 10 days; with results, a 30-second probe result
// stream too, through the Writer as the daemon writes it.
func seedYear(b *testing.B, st *Store, service string, outages int, results bool) {
	ctx := context.Background()
	end := benchYear.AddDate(1, 0, 0)
	if results {
		w := st.NewWriter(WriterOptions{MaxBatch: 5000, FlushInterval: time.Hour})
		for t := benchYear; t.Before(end); t = t.Add(30 * time.Second) {
			w.Add(probe.Result{Service: service, Probe: "health", Start: t, Duration: 20 * time.Millisecond, Success: true})
		}
		if err := w.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	step := end.Sub(benchYear) / time.Duration(outages)
	err := st.write(ctx, func(tx *sql.Tx) error {
		for i := 0; i < outages; i++ {
			s := benchYear.Add(time.Duration(i) * step).Add(time.Hour)
			if _, err := tx.ExecContext(ctx, "INSERT INTO outages (service, start_ms, end_ms, cause, source) VALUES (?, ?, ?, 'status 503', 'probe')",
				service, s.UnixMilli(), s.Add(5*time.Minute).UnixMilli()); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO service_states (service, state, start_ms, end_ms) VALUES (?, 'degraded', ?, ?)",
				service, s.Add(5*time.Minute).UnixMilli(), s.Add(10*time.Minute).UnixMilli()); err != nil {
				return err
			}
		}
		if results {
			return nil
		}
		for t := benchYear; t.Before(end); t = t.AddDate(0, 0, 10) {
			if _, err := tx.ExecContext(ctx, "INSERT INTO monitor_spans (service, start_ms, end_ms) VALUES (?, ?, ?)",
				service, t.UnixMilli(), t.AddDate(0, 0, 10).Add(-time.Minute).UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkYearReport: one service's yearly report over a full year of
// history, read from SQLite and accounted (SPEC §8: well under a second).
func BenchmarkYearReport(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	seedYear(b, st, "portal", 1000, true)
	svc := uptime.Service{Name: "portal", SLA: "ultimo", Location: time.UTC, Policy: uptime.Policy{TargetPercent: 99.7},
		Windows: []uptime.ConfigWindow{{Schedule: "0 3 * * SUN", Duration: 2 * time.Hour, Location: time.UTC}}}
	now := benchYear.AddDate(1, 0, 1)
	b.ResetTimer()
	for b.Loop() {
		r, _, err := uptime.Build(ctx, st, svc, uptime.KindYear, "2026", now)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Outages) != 1000 {
			b.Fatalf("%d outages", len(r.Outages))
		}
	}
}

// BenchmarkMonthSummary1000: the monthly summary of 1,000 services, each
// with a year of history (100 outages, state changes, restarts) (issue 3:
// under 2 s).
func BenchmarkMonthSummary1000(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svcs := make([]uptime.Service, 1000)
	for i := range svcs {
		name := fmt.Sprintf("svc-%04d", i)
		svcs[i] = uptime.Service{Name: name, SLA: "openweb", Location: time.UTC, Policy: uptime.Policy{TargetPercent: 99.9}}
		seedYear(b, st, name, 100, false)
	}
	now := benchYear.AddDate(1, 0, 1)
	b.ResetTimer()
	for b.Loop() {
		reports, _, err := uptime.BuildAll(ctx, st, svcs, uptime.KindMonth, "2026-10", now)
		if err != nil {
			b.Fatal(err)
		}
		if len(reports) != 1000 {
			b.Fatal(len(reports))
		}
	}
}
