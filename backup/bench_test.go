package backup

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// bench100k is 100,000 backup records, one every five minutes for about
// 347 days up to at, one in a hundred failed: the Ultimo scheme at its most
// demanding.
func bench100k() (records []Record, at time.Time) {
	at = local(ams, 2026, 11, 4, 13, 0)
	records = make([]Record, 100_000)
	for i := range records {
		records[i] = Record{
			Time:      at.Add(-time.Duration(len(records)-1-i) * 5 * time.Minute),
			Success:   i%100 != 7,
			SizeBytes: 1 << 30,
			Kind:      "incremental",
			ID:        "snap",
		}
	}
	return records, at
}

// BenchmarkEvaluate100k evaluates a set of 100,000 records against the
// Ultimo scheme, as a source hands them over in time order and shuffled.
func BenchmarkEvaluate100k(b *testing.B) {
	sorted, at := bench100k()
	shuffled := slices.Clone(sorted)
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, bc := range []struct {
		name    string
		records []Record
	}{{"sorted", sorted}, {"shuffled", shuffled}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := Evaluate("portal-db", "customer-portal", bc.records, ultimo, at)
				if !s.Met {
					b.Fatalf("set not met: %+v", s.Retention.PointInTime)
				}
			}
		})
	}
}
