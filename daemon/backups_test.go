package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/store"
)

// TestReloadKeepsUnchangedBackupReaders: a reload reads again only the
// backup sets whose source or check interval changed; a set that kept
// them keeps its reader (its schedule, and any read in progress) and takes
// the new targets, and a removed set's reader stops.
func TestReloadKeepsUnchangedBackupReaders(t *testing.T) {
	dir := t.TempDir()
	// Each read of a source appends a line to its own file and lists one backup.
	script := `echo read >> "$1"; echo '{"time":"2026-11-20T02:00:00Z"}'`
	if err := os.WriteFile(filepath.Join(dir, "list.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(rpoA, cmdB string, withC bool) string {
		c := ""
		if withC {
			c = "  - {name: c, service: portal, check_interval: 1h, source: {command: [sh, list.sh, c.reads]}}\n"
		}
		cfg := filepath.Join(dir, "slawatch.yaml")
		if err := os.WriteFile(cfg, fmt.Appendf(nil, `storage: {path: slawatch.db}
services:
  - {name: portal}
backups:
  - {name: a, service: portal, rpo: %s, check_interval: 1h, source: {command: [sh, list.sh, a.reads]}}
  - {name: b, service: portal, check_interval: 1h, source: {command: [sh, list.sh, %s]}}
%s`, rpoA, cmdB, c), 0o600); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	reads := func(name string) int {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return strings.Count(string(b), "read")
	}
	cfg := write("24h", "b.reads", true)
	td := startTestDaemon(t, cfg, &fakeClock{t: time.Now()})
	testutil.Eventually(t, 30*time.Second, "every source read once", func() bool {
		return reads("a.reads") == 1 && reads("b.reads") == 1 && reads("c.reads") == 1
	})
	before := td.d.backups.sets["a"]

	// a: only its RPO changes; b: its command changes; c: removed.
	write("1h", "b2.reads", false)
	if err := td.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "b read from its new command", func() bool { return reads("b2.reads") == 1 })
	after := td.d.backups.sets["a"]
	if after != before || after.ctx.Err() != nil {
		t.Fatal("set a, whose source did not change, got a new reader")
	}
	if _, set := after.current(); set.Policy.RPO.String() != "1h0m0s" {
		t.Errorf("set a's RPO after the reload = %s, want the new 1h", set.Policy.RPO)
	}
	if n := reads("a.reads"); n != 1 {
		t.Errorf("set a was read %d times, want once: a reload must not read it again", n)
	}
	if len(td.d.backups.sets) != 2 {
		t.Errorf("sets after the reload: %v, want a and b", td.d.backups.order)
	}
	td.stop()
}

// TestPruneAtStart: the daemon prunes raw results older than
// raw_retention and hourly rollups older than rollup_retention when it
// starts (and hourly after), and keeps what is younger.
func TestPruneAtStart(t *testing.T) {
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Hour)
	st, err := store.Open(context.Background(), filepath.Join(dir, "slawatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	w := st.NewWriter(store.WriterOptions{})
	for _, age := range []time.Duration{500 * 24 * time.Hour, 100 * 24 * time.Hour, 24 * time.Hour} {
		w.Add(probe.Result{Service: "portal", Probe: "health", Start: now.Add(-age), Duration: time.Millisecond, Success: true})
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "slawatch.yaml")
	if err := os.WriteFile(cfg, []byte("storage: {path: slawatch.db}\nservices:\n  - {name: portal}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	td := startTestDaemon(t, cfg, &fakeClock{t: now})
	ages := func(rows func() ([]time.Time, error)) string {
		ts, err := rows()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, at := range ts {
			out = append(out, fmt.Sprintf("%dd", int(now.Sub(at)/(24*time.Hour))))
		}
		return strings.Join(out, " ")
	}
	results := func() ([]time.Time, error) {
		rs, err := td.d.store.Results(context.Background(), "portal", "", time.Time{}, time.Time{}, 0)
		var out []time.Time
		for _, r := range rs {
			out = append(out, r.Start)
		}
		return out, err
	}
	rollups := func() ([]time.Time, error) {
		rs, err := td.d.store.Rollups(context.Background(), "portal", time.Time{}, time.Time{})
		var out []time.Time
		for _, r := range rs {
			out = append(out, r.Hour)
		}
		return out, err
	}
	testutil.Eventually(t, 30*time.Second, "pruned", func() bool {
		return ages(results) == "1d" && ages(rollups) == "100d 1d"
	})
}
