package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// mergeAt is a time in November 2026, UTC.
func mergeAt(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }

// mergeConfig writes a config with portal under a 99.9%/month UTC policy.
// Its own storage.path is never opened by the merged reports.
func mergeConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := `storage:
  path: central.db
policies:
  monthly:
    uptime: {target: 99.9, period: month}
    timezone: UTC
services:
  - name: portal
    environment: production
    policy: monthly
    probes:
      - name: health
        http: {url: "http://127.0.0.1:1/", status: [200]}
`
	path := filepath.Join(dir, "slawatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mergeStore makes a region's store the way its daemon would have filled
// it: one writer (one daemon run) per monitored span, from its first to its
// last result, and the outages. It returns a copy made with the store's
// backup, as `slawatch db backup` makes them for the central host.
func mergeStore(t *testing.T, dir, name string, spans []uptime.Interval, outages ...uptime.Outage) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "live", name+".db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, sp := range spans {
		w := st.NewWriter(store.WriterOptions{FlushInterval: time.Hour})
		for _, at := range []time.Time{sp.Start, sp.End} {
			w.Add(probe.Result{Service: "portal", Probe: "health", Start: at, Duration: time.Millisecond, Success: true, StatusCode: 200})
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range outages {
		o.Service, o.Probe, o.Source = "portal", "health", uptime.SourceProbe
		if _, err := st.InsertOutage(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	copyPath := filepath.Join(dir, "copies", name+".db")
	if err := os.MkdirAll(filepath.Dir(copyPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := st.Backup(ctx, copyPath); err != nil {
		t.Fatal(err)
	}
	return copyPath
}

type mergedJSON struct {
	Downtime    float64  `json:"downtime_seconds"`
	Unmonitored float64  `json:"unmonitored_seconds"`
	Measured    float64  `json:"measured_seconds"`
	Uptime      *float64 `json:"uptime_percent"`
	Merged      *struct {
		Rule    string   `json:"rule"`
		Regions []string `json:"regions"`
	} `json:"merged"`
	Outages []struct {
		ID      int64   `json:"id"`
		Start   string  `json:"start"`
		End     string  `json:"end"`
		Counted float64 `json:"counted_seconds"`
		Cause   string  `json:"cause"`
	} `json:"outages"`
}

// TestCLIReportMergesRegions: two regions' stores, merged by the CLI, give
// the hand-computed intersection (all) and union (any) of their downtime.
//
//	eu: monitored Nov 1 – Dec 1; down Nov 10 10:00–12:00 and Nov 20 08:00–09:00
//	us: monitored Nov 1 – Nov 10 09:00 and Nov 10 11:00 – Dec 1 (stopped in
//	    between); down Nov 20 08:30–09:30
//
// all: Nov 10 10:00–11:00 only eu watched and saw it down (3,600 s); from
// 11:00 us saw it up. Nov 20 both down 08:30–09:00 (1,800 s). 5,400 s.
// any: 7,200 s on Nov 10 and 08:00–09:30 (5,400 s) on Nov 20: 12,600 s.
func TestCLIReportMergesRegions(t *testing.T) {
	dir := t.TempDir()
	cfg := mergeConfig(t, dir)
	eu := mergeStore(t, dir, "eu", []uptime.Interval{{Start: mergeAt(1, 0, 0), End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}},
		uptime.Outage{Start: mergeAt(10, 10, 0), End: mergeAt(10, 12, 0), Cause: "status 503"},
		uptime.Outage{Start: mergeAt(20, 8, 0), End: mergeAt(20, 9, 0), Cause: "status 502"})
	us := mergeStore(t, dir, "us", []uptime.Interval{
		{Start: mergeAt(1, 0, 0), End: mergeAt(10, 9, 0)},
		{Start: mergeAt(10, 11, 0), End: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}},
		uptime.Outage{Start: mergeAt(20, 8, 30), End: mergeAt(20, 9, 30), Cause: "timeout"})

	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	run := func(args ...string) (stdout, stderr string, code int) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, now: func() time.Time { return now }, getenv: os.Getenv}
		code = e.main(append([]string{"report", "--config", cfg, "--month", "2026-11"}, args...))
		return out.String(), errb.String(), code
	}
	report := func(args ...string) mergedJSON {
		t.Helper()
		out, errs, code := run(append(args, "--service", "portal", "--format", "json")...)
		if code != exitOK {
			t.Fatalf("report %v: exit %d: %s", args, code, errs)
		}
		var r mergedJSON
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("report %v: %v\n%s", args, err, out)
		}
		return r
	}
	const period = 30 * 24 * 3600.0

	r := report("--store", "eu="+eu, "--store", "us="+us, "--merge", "all")
	if r.Downtime != 5400 || r.Unmonitored != 0 || r.Measured != period {
		t.Errorf("all: downtime %v, unmonitored %v, measured %v; want 5400, 0, %v", r.Downtime, r.Unmonitored, r.Measured, period)
	}
	if r.Uptime == nil || *r.Uptime != 100*(period-5400)/period {
		t.Errorf("all: uptime %v, want %v", r.Uptime, 100*(period-5400)/period)
	}
	if r.Merged == nil || r.Merged.Rule != "all" || strings.Join(r.Merged.Regions, ",") != "eu,us" {
		t.Errorf("all: merged = %+v, want rule all of eu, us", r.Merged)
	}
	if len(r.Outages) != 2 ||
		r.Outages[0].ID != 1 || r.Outages[0].Start != "2026-11-10T10:00:00Z" || r.Outages[0].End != "2026-11-10T11:00:00Z" ||
		r.Outages[0].Counted != 3600 || r.Outages[0].Cause != "eu: status 503" ||
		r.Outages[1].ID != 2 || r.Outages[1].Start != "2026-11-20T08:30:00Z" || r.Outages[1].End != "2026-11-20T09:00:00Z" ||
		r.Outages[1].Counted != 1800 || r.Outages[1].Cause != "eu: status 502; us: timeout" {
		t.Errorf("all: outages %+v", r.Outages)
	}

	// The rule defaults to all; names default to the files' base names.
	if d := report("--store", eu, "--store", us); d.Downtime != 5400 || d.Merged == nil || strings.Join(d.Merged.Regions, ",") != "eu,us" {
		t.Errorf("default rule and names: downtime %v, merged %+v", d.Downtime, d.Merged)
	}

	r = report("--store", "eu="+eu, "--store", "us="+us, "--merge", "any")
	if r.Downtime != 12600 || r.Merged == nil || r.Merged.Rule != "any" {
		t.Errorf("any: downtime %v, merged %+v; want 12600 by any", r.Downtime, r.Merged)
	}
	if len(r.Outages) != 2 || r.Outages[0].End != "2026-11-10T12:00:00Z" || r.Outages[1].Start != "2026-11-20T08:00:00Z" ||
		r.Outages[1].End != "2026-11-20T09:30:00Z" || r.Outages[1].Counted != 5400 {
		t.Errorf("any: outages %+v", r.Outages)
	}

	// One store is that store's own report, not a merge.
	if one := report("--store", "eu="+eu); one.Downtime != 10800 || one.Merged != nil {
		t.Errorf("one store: downtime %v, merged %+v; want eu's own 10800", one.Downtime, one.Merged)
	}

	// Every format says which regions and rule were merged; the summary too.
	for _, f := range []string{"text", "markdown", "html"} {
		out, errs, code := run("--store", "eu="+eu, "--store", "us="+us, "--service", "portal", "--format", f)
		if code != exitOK || !strings.Contains(out, "eu, us, merged by rule all") {
			t.Errorf("%s: exit %d, %s\n%s", f, code, errs, out)
		}
	}
	if out, errs, code := run("--store", "eu="+eu, "--store", "us="+us, "--merge", "any"); code != exitOK ||
		!strings.Contains(out, "eu, us, merged by rule any") || !strings.Contains(out, "3h30m") {
		t.Errorf("summary: exit %d, %s\n%s", code, errs, out)
	}
}

func TestCLIReportMergeErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := mergeConfig(t, dir)
	eu := mergeStore(t, dir, "eu", []uptime.Interval{{Start: mergeAt(1, 0, 0), End: mergeAt(2, 0, 0)}})
	missing := filepath.Join(dir, "copies", "us.db")
	notStore := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notStore, []byte("not a database, just text that is long enough to have a header\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
		code := e.main(append([]string{"report", "--config", cfg, "--month", "2026-11", "--service", "portal"}, args...))
		if out.Len() > 0 {
			t.Errorf("%v: wrote a report on error:\n%s", args, out.String())
		}
		return errb.String(), code
	}
	oneLine := func(args []string, stderr string) {
		t.Helper()
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 || stderr == "" {
			t.Errorf("%v: stderr %q, want one line", args, stderr)
		}
	}

	// A store that is not there fails (exit 1), naming the region and the
	// file, and is not created.
	args := []string{"--store", "eu=" + eu, "--store", "us=" + missing}
	stderr, code := run(args...)
	if code != exitFail || !strings.Contains(stderr, "store us") || !strings.Contains(stderr, missing) || !strings.Contains(stderr, "no such file") {
		t.Errorf("missing store: exit %d, %q", code, stderr)
	}
	oneLine(args, stderr)
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("report created the missing store %s", missing)
	}
	// So does a file that is not a store.
	args = []string{"--store", "eu=" + eu, "--store", "us=" + notStore}
	if stderr, code = run(args...); code != exitFail || !strings.Contains(stderr, "store us") {
		t.Errorf("not a store: exit %d, %q", code, stderr)
	}
	oneLine(args, stderr)

	// Bad command lines exit 2 with one line.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--store", "eu=" + eu, "--store", "us=" + eu, "--merge", "most"}, `--merge: merge rule "most": want all or any`},
		{[]string{"--merge", "any"}, "--merge needs --store"},
		{[]string{"--store", "eu=" + eu, "--store", "eu=" + missing}, `two stores named "eu"`},
		{[]string{"--store", eu, "--store", filepath.Join(dir, "eu.db")}, `two stores named "eu"`},
		{[]string{"--store", "eu="}, "names no file"},
	} {
		stderr, code := run(c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
		oneLine(c.args, stderr)
	}
}
