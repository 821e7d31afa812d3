package uptime

import (
	"math/rand/v2"
	"testing"
	"time"
)

// yearInput is a busy year: 1,000 outages (a few open or force majeure),
// 52 weekly windows and 500 monitored spans with gaps between them.
func yearInput(b *testing.B) Input {
	now := time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)
	p := YearPeriod(2026, amsterdam, now)
	rng := rand.New(rand.NewPCG(7, 7))
	yearLen := p.End.Sub(p.Start)
	at := func() time.Time { return p.Start.Add(time.Duration(rng.Int64N(int64(yearLen)))) }

	in := Input{Service: "portal", SLA: "ultimo-saas", Period: p, Now: now,
		Policy: Policy{TargetPercent: 99.7, MaintenanceNotice: 48 * time.Hour, Degraded: DegradedDown}}
	for i := range 1000 {
		s := at()
		o := Outage{ID: int64(i + 1), Service: "portal", Start: s, End: s.Add(time.Duration(30+rng.IntN(3600)) * time.Second), Cause: "status 503"}
		if i%97 == 0 {
			o.Excluded, o.ExcludeReason, o.ExcludedBy = true, "provider outage", "ops"
		}
		in.Outages = append(in.Outages, o)
	}
	ws, err := RecurringWindows("portal", "0 3 * * SUN", 2*time.Hour, amsterdam, "patching", p.Start, p.End)
	if err != nil {
		b.Fatal(err)
	}
	if len(ws) != 52 {
		b.Fatalf("%d weekly windows in 2026", len(ws))
	}
	in.Maintenance = ws
	step := yearLen / 500
	for i := range 500 {
		s := p.Start.Add(time.Duration(i) * step)
		in.Monitored = append(in.Monitored, iv(s, s.Add(step-time.Duration(rng.IntN(600))*time.Second)))
	}
	for range 200 {
		s := at()
		in.Degraded = append(in.Degraded, iv(s, s.Add(10*time.Minute)))
	}
	return in
}

func BenchmarkAccountYear(b *testing.B) {
	in := yearInput(b)
	b.ReportAllocs()
	for b.Loop() {
		r := AccountYear(in)
		if len(r.Months) != 12 {
			b.Fatal("months")
		}
	}
}

func BenchmarkExpandRecurringYear(b *testing.B) {
	p := YearPeriod(2026, amsterdam, time.Time{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ExpandRecurring("0 2 * * SUN", 2*time.Hour, amsterdam, p.Start, p.End); err != nil {
			b.Fatal(err)
		}
	}
}
