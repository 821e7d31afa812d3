package store

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/probe"
)

// BenchmarkWriterFlush measures one flush of 1,000 results: one transaction
// with the raw rows, the rollup upserts and the span update. probes is how
// many distinct probes the 1,000 results come from: 10,000 endpoints at 30 s
// each give some 333 results a second, nearly all from different probes.
func BenchmarkWriterFlush(b *testing.B) {
	for _, probes := range []int{10, 1000} {
		b.Run(fmt.Sprintf("probes=%d", probes), func(b *testing.B) {
			s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
			ctx := b.Context()
			w := s.NewWriter(WriterOptions{FlushInterval: time.Hour, MaxBatch: 1000})
			defer w.Close(ctx)
			const batch = 1000
			names := make([]string, probes)
			for i := range names {
				names[i] = fmt.Sprintf("probe-%04d", i)
			}
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			n := 0
			add := func() {
				for range batch {
					w.Add(probe.Result{
						Service:    fmt.Sprintf("svc-%03d", n%probes/10),
						Probe:      names[n%probes],
						Start:      start.Add(time.Duration(n) * 30 * time.Millisecond),
						Duration:   time.Duration(n%5000) * time.Microsecond,
						Success:    n%50 != 0,
						StatusCode: 200,
					})
					n++
				}
			}
			// The first flush creates the probes; measure steady state.
			add()
			if err := w.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				add()
				b.StartTimer()
				if err := w.Flush(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "results/s")
		})
	}
}

// listing100k is a pull source's listing of 100,000 records, one every five
// minutes for about a year, one in a hundred failed, in the random order a
// source may list them in. With randomIDs each has an id as restic gives
// them (random hex); otherwise ids follow time, as the file names of a
// directory source do.
func listing100k(randomIDs bool) []backup.Record {
	recs := make([]backup.Record, 100_000)
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		t := start.Add(time.Duration(i) * 5 * time.Minute)
		id := "portal-" + t.Format("20060102T150405Z") + ".dump"
		if randomIDs {
			id = fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64())
		}
		recs[i] = backup.Record{
			Time:      t,
			Success:   i%100 != 7,
			SizeBytes: 1<<30 + rng.Int64N(1<<20),
			Kind:      backup.KindIncremental,
			ID:        id,
		}
	}
	rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	return recs
}

// BenchmarkUpsertBackups100k stores a listing of 100,000 records: into an
// empty set (first), again unchanged (reread, what most checks of a pull
// source do), and again with one new record (one more backup since the last
// check).
func BenchmarkUpsertBackups100k(b *testing.B) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, ids := range []string{"random-ids", "time-ids"} {
		recs := listing100k(ids == "random-ids")
		b.Run("first/"+ids, func(b *testing.B) {
			ctx := b.Context()
			n := 0
			for b.Loop() {
				b.StopTimer()
				s := openTest(b, filepath.Join(b.TempDir(), fmt.Sprintf("bench-%d.db", n)))
				n++
				b.StartTimer()
				added, err := s.UpsertBackups(ctx, "set", recs, at)
				if err != nil {
					b.Fatal(err)
				}
				if added != len(recs) {
					b.Fatalf("added %d, want %d", added, len(recs))
				}
				b.StopTimer()
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
		})
		b.Run("reread/"+ids, func(b *testing.B) {
			ctx := b.Context()
			s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
			if _, err := s.UpsertBackups(ctx, "set", recs, at); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				added, err := s.UpsertBackups(ctx, "set", recs, at)
				if err != nil {
					b.Fatal(err)
				}
				if added != 0 {
					b.Fatalf("added %d, want 0", added)
				}
			}
			b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
		})
		b.Run("reread+1/"+ids, func(b *testing.B) {
			ctx := b.Context()
			s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
			if _, err := s.UpsertBackups(ctx, "set", recs, at); err != nil {
				b.Fatal(err)
			}
			listing := recs
			next := at
			for b.Loop() {
				b.StopTimer()
				next = next.Add(5 * time.Minute)
				listing = append(listing[:len(listing):len(listing)], backup.Record{Time: next, Success: true, ID: next.Format(time.RFC3339)})
				b.StartTimer()
				added, err := s.UpsertBackups(ctx, "set", listing, next)
				if err != nil {
					b.Fatal(err)
				}
				if added != 1 {
					b.Fatalf("added %d, want 1", added)
				}
			}
		})
	}
}

// BenchmarkBackups100k reads a set of 100,000 records, as every evaluation
// of the set does.
func BenchmarkBackups100k(b *testing.B) {
	recs := listing100k(true)
	ctx := b.Context()
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
	if _, err := s.UpsertBackups(ctx, "set", recs, time.Now()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		got, err := s.Backups(ctx, "set", time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(recs) {
			b.Fatalf("%d records, want %d", len(got), len(recs))
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAddBackup pushes one record into a set of 100,000.
func BenchmarkAddBackup(b *testing.B) {
	ctx := b.Context()
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
	if _, err := s.UpsertBackups(ctx, "set", listing100k(true), time.Now()); err != nil {
		b.Fatal(err)
	}
	next := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		next = next.Add(time.Minute)
		if _, err := s.AddBackup(ctx, "set", backup.Record{Time: next, Success: true, ID: next.Format(time.RFC3339)}, next); err != nil {
			b.Fatal(err)
		}
	}
}
