package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

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
