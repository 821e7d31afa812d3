package calendar

import (
	"testing"
	"time"
)

// BenchmarkBetweenYear: the business time of a year (a yearly report's
// response-time accounting) on Ultimo's calendar.
func BenchmarkBetweenYear(b *testing.B) {
	c := mustNew(b, ultimo)
	from, to := lt(ams, "2026-01-01 00:00"), lt(ams, "2027-01-01 00:00")
	want := 260 * (8*time.Hour + 30*time.Minute)
	for b.Loop() {
		if got := c.Between(from, to); got != want {
			b.Fatalf("Between = %v, want %v", got, want)
		}
	}
}

// BenchmarkBetweenYearNight: a year on a seven-day calendar whose window
// holds the DST changes, so that two weeks a year cannot be skipped.
func BenchmarkBetweenYearNight(b *testing.B) {
	c := mustNew(b, nightAms)
	from, to := lt(ams, "2026-01-01 00:00"), lt(ams, "2027-01-01 00:00")
	for b.Loop() {
		c.Between(from, to)
	}
}

// BenchmarkAdd5bd: an RTO deadline of five business days.
func BenchmarkAdd5bd(b *testing.B) {
	c := mustNew(b, ultimo)
	from, d := lt(ams, "2026-06-09 10:00"), dur("5bd")
	want := lt(ams, "2026-06-16 10:00")
	for b.Loop() {
		if got := c.Add(from, d); !got.Equal(want) {
			b.Fatalf("Add = %v", got)
		}
	}
}

// BenchmarkAdd2bh: a P1 response deadline.
func BenchmarkAdd2bh(b *testing.B) {
	c := mustNew(b, ultimo)
	from, d := lt(ams, "2026-11-13 16:30"), dur("2bh")
	for b.Loop() {
		c.Add(from, d)
	}
}

// BenchmarkAdd1000bd: a large count of business days, weeks skipped.
func BenchmarkAdd1000bd(b *testing.B) {
	c := mustNew(b, ultimo)
	from, d := lt(ams, "2026-06-09 10:00"), dur("1000bd")
	for b.Loop() {
		c.Add(from, d)
	}
}

func BenchmarkIsWorking(b *testing.B) {
	c := mustNew(b, ultimo)
	at := lt(ams, "2026-11-13 16:30")
	for b.Loop() {
		c.IsWorking(at)
	}
}
