package main

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/store"
)

// TestE2EPausedDaemonIsNotMonitoring: a daemon stopped (SIGSTOP) for seven
// seconds while probing every 100 ms did not monitor in between (silences
// under 5 s count as a slow daemon, not an absent one): its
// monitored time splits around the pause instead of running through it, so
// a report does not count the pause as time the service was seen up.
func TestE2EPausedDaemonIsNotMonitoring(t *testing.T) {
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 100*time.Millisecond)
	d := startDaemon(t, cfg, addr)
	testutil.Eventually(t, 10*time.Second, "service up", func() bool { s, _ := serviceState(t, addr); return s == "up" })

	if err := d.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	time.Sleep(7 * time.Second) // the fault is wall time passing while the process is stopped
	resumed := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "probing again", func() bool { s, _ := serviceState(t, addr); return s == "up" })
	time.Sleep(500 * time.Millisecond) // some results after the pause, flushed about once a second
	d.stop(t)

	st, err := store.Open(context.Background(), filepath.Join(dir, "slawatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spans, err := st.MonitoredSpans(context.Background(), "portal", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 {
		t.Fatalf("monitored spans = %v, want two around the pause [%v, %v]", spans, paused, resumed)
	}
	// The gap lies within the pause (up to a probe interval and a timeout
	// either side, where the last result before it or the first after it fell).
	slack := 250 * time.Millisecond
	if gapStart, gapEnd := spans[0].End, spans[1].Start; gapStart.Before(paused.Add(-slack)) || gapEnd.After(resumed.Add(slack)) ||
		gapEnd.Sub(gapStart) < 6500*time.Millisecond {
		t.Errorf("unmonitored gap [%v, %v], pause [%v, %v]", gapStart, gapEnd, paused, resumed)
	}
}
