package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/uptime"
)

// TestLoadStoreGrowth measures how the store file grows under a steady
// probing load and that raw retention bounds it; it runs only when asked:
//
//	SLAWATCH_LOAD=1 go test -run '^TestLoadStoreGrowth$' -v -timeout 30m ./store/
//
// N endpoints (a service with one probe each) are probed every interval for
// D simulated days. The results go through the real Writer with synthetic
// start times, so the run lasts as long as the writes take, not D days.
// Every simulated hour it prunes the raw results older than the retention,
// as the daemon's pruneLoop does. About once a week each endpoint has an
// incident: a few minutes of failed probes, an outage and two state
// changes, written as the daemon writes them. After each simulated day it
// checkpoints the WAL and records the file size, the pages and the bytes of
// each table (dbstat). Nothing is asserted but the row count: the figures
// go in docs/BENCHMARKS.md.
//
// SLAWATCH_GROWTH_ENDPOINTS (default 50), SLAWATCH_GROWTH_INTERVAL (30s),
// SLAWATCH_GROWTH_DAYS (45), SLAWATCH_GROWTH_RETENTION (720h) and
// SLAWATCH_GROWTH_FLUSH (see below) change the shape. 50 endpoints keep the
// run to a few minutes: each probe's results are one key range of the
// results B-tree, so more endpoints add ranges of the same shape and the
// per-endpoint figures carry over (plus a byte per row once probe ids
// pass 127).
func TestLoadStoreGrowth(t *testing.T) {
	if os.Getenv("SLAWATCH_LOAD") == "" {
		t.Skip("set SLAWATCH_LOAD=1 to run the load test")
	}
	n := testutil.EnvInt(t, "SLAWATCH_GROWTH_ENDPOINTS", 50)
	days := testutil.EnvInt(t, "SLAWATCH_GROWTH_DAYS", 45)
	interval := testutil.EnvDuration(t, "SLAWATCH_GROWTH_INTERVAL", 30*time.Second)
	retention := testutil.EnvDuration(t, "SLAWATCH_GROWTH_RETENTION", 30*24*time.Hour)
	// 0: transactions of 1,000 results, the fastest way through the run.
	// 1s: a transaction per simulated second, as the daemon flushes, for
	// the disk writes per result at a given load.
	flushEvery := testutil.EnvDuration(t, "SLAWATCH_GROWTH_FLUSH", 0)
	const (
		batch         = 1000 // results per transaction, the Writer's default MaxBatch
		failRate      = 0.005
		incidentEvery = 7 * 24 * time.Hour // mean time between incidents of one endpoint
		day           = 24 * time.Hour
	)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "growth.db")
	s := openTest(t, path)
	// The writer never flushes on its own here (a long FlushInterval, a
	// MaxBatch above what is added between Flush calls): a flush it starts
	// itself then rests as long as it held the lock, its yield to CLI
	// commands, which paces a live daemon but would only slow this run.
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour, MaxBatch: batch + 1})
	t.Cleanup(func() { w.Close(ctx) }) // runs before openTest's s.Close

	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	eps := make([]growthEndpoint, n)
	for i := range eps {
		svc := fmt.Sprintf("svc-%05d", i)
		eps[i] = growthEndpoint{
			service: svc,
			offset:  probe.SpreadOffset(svc, "health", interval),
			// Typical durations from 2 to 150 ms, spread evenly on a log scale.
			base:         time.Duration(float64(2*time.Millisecond) * math.Exp(rng.Float64()*math.Log(75))),
			nextIncident: start.Add(time.Duration(rng.Int64N(int64(2 * incidentEvery)))),
		}
		if err := s.RecordState(ctx, svc, uptime.StateUp, start); err != nil {
			t.Fatal(err)
		}
	}
	// In start order within each interval, as the scheduler runs them.
	slices.SortFunc(eps, func(a, b growthEndpoint) int { return int(a.offset - b.offset) })

	var (
		added, pruned, pending int64
		commits                int64
		slot                   time.Time // the simulated flush interval being filled
		io                     growthIO
		failed, incidents      int64
		ingestWall, ingestCPU  time.Duration
		// Of the hourly prunes that deleted rows: before one retention
		// has passed there is nothing to delete.
		pruneRuns               int64
		pruneWall, pruneMax     time.Duration
		pruneCPU                time.Duration
		walPeak                 int64
		dayAdded                int64
		dayWall                 time.Duration
		tick                    int64
		out                     []growthDay
		resultsPerEndpointDaily = float64(day) / float64(interval)
	)
	flush := func() {
		if pending == 0 {
			return
		}
		if err := w.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		pending = 0
		commits++
	}
	wall0 := time.Now()
	for h := 1; h <= days*24; h++ {
		now := start.Add(time.Duration(h) * time.Hour)
		w0, c0, io0 := time.Now(), testutil.CPUTime(), readGrowthIO()
		for ; ; tick++ {
			base := start.Add(time.Duration(tick) * interval)
			if !base.Before(now) {
				break
			}
			for i := range eps {
				e := &eps[i]
				at := base.Add(e.offset)
				if flushEvery > 0 && !at.Truncate(flushEvery).Equal(slot) {
					flush()
					slot = at.Truncate(flushEvery)
				}
				if e.outage == 0 && !at.Before(e.nextIncident) {
					// Two to ten minutes of one kind of failure.
					e.incidentEnd = at.Add(time.Duration(4+rng.IntN(17)) * interval)
					e.incidentErr = growthFailures[rng.IntN(2)]
					e.outage = growthIncident(ctx, t, s, e, at)
					incidents++
				} else if e.outage != 0 && !at.Before(e.incidentEnd) {
					if err := s.CloseOutage(ctx, e.outage, at); err != nil {
						t.Fatal(err)
					}
					if err := s.RecordState(ctx, e.service, uptime.StateUp, at); err != nil {
						t.Fatal(err)
					}
					e.outage = 0
					e.nextIncident = at.Add(time.Duration(rng.Int64N(int64(2 * incidentEvery))))
				}
				r := probe.Result{
					Service: e.service, Probe: "health",
					// Scheduling lag of a few milliseconds.
					Start:      at.Add(time.Duration(rng.Int64N(int64(5 * time.Millisecond)))),
					Duration:   e.duration(rng),
					Success:    true,
					StatusCode: 200,
				}
				f, fail := growthFailure{}, false
				switch {
				case e.outage != 0:
					f, fail = e.incidentErr, true
				case rng.Float64() < failRate:
					f, fail = growthFailures[rng.IntN(len(growthFailures))], true
				}
				if fail {
					r.Success, r.Err, r.StatusCode = false, f.err, f.code
					if f.dur != 0 {
						r.Duration = f.dur
					}
					failed++
				}
				w.Add(r)
				added++
				dayAdded++
				if pending++; pending == batch {
					flush()
				}
			}
		}
		flush()
		dw := time.Since(w0)
		ingestWall += dw
		dayWall += dw
		ingestCPU += testutil.CPUTime() - c0
		io = io.add(readGrowthIO().sub(io0))

		// The daemon prunes once an hour, with now minus the retention.
		p0, pc0 := time.Now(), testutil.CPUTime()
		np, err := s.PruneResults(ctx, now.Add(-retention))
		if err != nil {
			t.Fatal(err)
		}
		if np > 0 {
			pd := time.Since(p0)
			pruneRuns++
			pruneWall += pd
			pruneMax = max(pruneMax, pd)
			pruneCPU += testutil.CPUTime() - pc0
			pruned += np
		}
		// Hourly: the daemon never truncates the WAL, so its size between
		// the automatic checkpoints is what the disk holds beside the file.
		walPeak = max(walPeak, growthSize(t, path+"-wal"))

		if h%24 == 0 {
			d := growthMeasure(ctx, t, s, path)
			d.day = h / 24
			d.results = added - pruned
			d.rate = float64(dayAdded) / dayWall.Seconds()
			dayAdded, dayWall = 0, 0
			out = append(out, d)
		}
	}
	elapsed := time.Since(wall0)

	var count, minTS int64
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MIN(ts_ms), 0) FROM results").Scan(&count, &minTS); err != nil {
		t.Fatal(err)
	}
	if count != added-pruned {
		t.Errorf("results: %d rows, want %d added - %d pruned = %d", count, added, pruned, added-pruned)
	}

	t.Logf("store growth: %d endpoints every %v for %d days (%d results, %.2f%% failed, %d incidents), retention %v, pruned hourly",
		n, interval, days, added, 100*float64(failed)/float64(added), incidents, retention)
	t.Logf("%4s %9s %9s %8s %7s %11s %11s %10s %9s %9s %9s",
		"day", "file MiB", "WAL KiB", "pages", "free", "results", "raw MiB", "raw B/row", "rollup KiB", "kept KiB", "results/s")
	for _, d := range out {
		t.Logf("%4d %9.1f %9.0f %8d %7d %11d %11.1f %10.1f %9.0f %9.0f %9.0f",
			d.day, mib(d.file), float64(d.wal)/1024, d.pages, d.free, d.results, mib(d.resultsB),
			float64(d.resultsB)/float64(d.results), float64(d.rollupsB)/1024, float64(d.keptB)/1024, d.rate)
	}

	last := out[len(out)-1]
	perResult := float64(last.resultsB) / float64(last.results)
	t.Logf("raw results: %.1f B per result (%d rows in %.1f MiB of pages, %.0f%% of them payload); oldest kept %s",
		perResult, last.results, mib(last.resultsB), 100*last.resultsFill, fromMS(minTS).Format(time.RFC3339))
	t.Logf("raw results: %.1f KiB per endpoint per day under retention (%.0f results a day at %v); %.2f MiB per endpoint at steady state",
		perResult*resultsPerEndpointDaily/1024, resultsPerEndpointDaily, interval, mib(last.resultsB)/float64(n))
	rollupDay := float64(last.rollupsB) / float64(n) / float64(days)
	keptDay := float64(last.keptB) / float64(n) / float64(days)
	t.Logf("kept forever: rollups %.0f B per endpoint per day (%d rows, %.1f B per hourly row); outages, state history and spans %.0f B per endpoint per day (%.0f B per incident)",
		rollupDay, last.rollups, float64(last.rollupsB)/float64(last.rollups), keptDay, float64(last.keptB)/math.Max(1, float64(incidents)))
	t.Logf("kept forever: %.2f MiB per endpoint per year", (rollupDay+keptDay)*365/(1<<20))

	rdays := int(retention / day)
	if rdays >= 1 && rdays < days {
		at := out[rdays-1]
		grew := last.file - at.file
		kept := (last.rollupsB + last.keptB) - (at.rollupsB + at.keptB)
		t.Logf("plateau: file %.1f MiB at day %d, %.1f MiB at day %d: %+.1f MiB = %+.0f B per endpoint per day; rollups and history grew %.0f B per endpoint per day; free pages %d → %d",
			mib(at.file), at.day, mib(last.file), last.day, mib(grew),
			float64(grew)/float64(n)/float64(last.day-at.day), float64(kept)/float64(n)/float64(last.day-at.day), at.free, last.free)
	}
	t.Logf("WAL: peak %.1f MiB (sampled hourly, before checkpoints)", mib(walPeak))
	t.Logf("writer: %d results in %d transactions (%.0f results each) in %v = %.0f results/s, CPU %.1f µs per result",
		added, commits, float64(added)/float64(commits), ingestWall.Round(time.Millisecond),
		float64(added)/ingestWall.Seconds(), float64(ingestCPU.Microseconds())/float64(added))
	if io.ok {
		// write() and read() calls on the WAL and the file, most of them
		// whole pages: the disk traffic a result costs, not its stored size.
		t.Logf("writer: %.1f KiB written, %.1f KiB read per result (WAL, checkpoints, pages the cache lacked)",
			float64(io.wchar)/float64(added)/1024, float64(io.rchar)/float64(added)/1024)
	}
	if pruneRuns > 0 {
		t.Logf("prune: %d hourly runs deleted %d rows each in %v (max %v), CPU %.1f µs per row",
			pruneRuns, pruned/pruneRuns, (pruneWall / time.Duration(pruneRuns)).Round(time.Microsecond),
			pruneMax.Round(time.Microsecond), float64(pruneCPU.Microseconds())/float64(pruned))
	}
	const bigN = 10_000
	steady := float64(last.file-last.rollupsB-last.keptB) / float64(n) * bigN
	t.Logf("capacity: %d endpoints at %v: %.2f GiB at steady state with %v retention, plus %.0f MiB per year of rollups and history",
		bigN, interval, steady/(1<<30), retention, (rollupDay+keptDay)*365*bigN/(1<<20))
	t.Logf("run: %v wall", elapsed.Round(time.Second))
}

type growthEndpoint struct {
	service      string
	offset       time.Duration // start within each interval
	base         time.Duration // typical duration
	nextIncident time.Time
	incidentEnd  time.Time
	incidentErr  growthFailure
	outage       int64 // the open outage's id; 0 when none
}

// duration is base give or take 30%, one attempt in a hundred four times
// slower, within 1 to 300 ms.
func (e *growthEndpoint) duration(rng *rand.Rand) time.Duration {
	d := time.Duration(float64(e.base) * (0.7 + 0.6*rng.Float64()))
	if rng.IntN(100) == 0 {
		d *= 4
	}
	return min(max(d, time.Millisecond), 300*time.Millisecond)
}

// growthFailure is a failed attempt as the probes report it; dur 0 keeps
// the endpoint's usual duration. Incidents take one of the first two.
type growthFailure struct {
	err  string
	code int
	dur  time.Duration
}

var growthFailures = []growthFailure{
	{"connect: connection refused", 0, time.Millisecond},
	{"timeout after 10s", 0, 10 * time.Second},
	{"status 503, want 200-299", 503, 0},
	{"read: connection reset by peer", 0, 0},
}

// growthIncident records what the daemon does when an endpoint goes down:
// a state change and an open outage.
func growthIncident(ctx context.Context, t *testing.T, s *Store, e *growthEndpoint, at time.Time) int64 {
	if err := s.RecordState(ctx, e.service, uptime.StateDown, at); err != nil {
		t.Fatal(err)
	}
	id, err := s.InsertOutage(ctx, uptime.Outage{Service: e.service, Start: at, Cause: e.incidentErr.err,
		Probe: "health", Severity: "P2", Source: uptime.SourceProbe})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type growthDay struct {
	day              int
	file, wal        int64 // bytes; wal as it was before the checkpoint
	pages, free      int64
	results, rollups int64 // rows
	// Bytes of pages (dbstat): raw results, rollups, the history that is
	// kept (outages, their events, state intervals, monitored spans).
	resultsB, rollupsB, keptB int64
	resultsFill               float64 // payload / page bytes of results
	rate                      float64 // results/s written that day
}

// growthMeasure checkpoints the WAL into the file and measures the file.
func growthMeasure(ctx context.Context, t *testing.T, s *Store, path string) growthDay {
	d := growthDay{wal: growthSize(t, path+"-wal")}
	var busy, logged, moved int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &moved); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Logf("checkpoint blocked: %d of %d WAL pages moved", moved, logged)
	}
	d.file = growthSize(t, path)
	for q, v := range map[string]*int64{
		"PRAGMA page_count":            &d.pages,
		"PRAGMA freelist_count":        &d.free,
		"SELECT COUNT(*) FROM rollups": &d.rollups,
	} {
		if err := s.r.QueryRowContext(ctx, q).Scan(v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	table := map[string]string{}
	rows, err := s.r.QueryContext(ctx, "SELECT name, tbl_name FROM sqlite_schema")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name, tbl string
		if err := rows.Scan(&name, &tbl); err != nil {
			t.Fatal(err)
		}
		table[name] = tbl
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	rows, err = s.r.QueryContext(ctx, "SELECT name, pgsize, payload FROM dbstat WHERE aggregate = TRUE")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var payloadB int64
	for rows.Next() {
		var name string
		var size, payload int64
		if err := rows.Scan(&name, &size, &payload); err != nil {
			t.Fatal(err)
		}
		switch table[name] {
		case "results":
			d.resultsB += size
			payloadB += payload
		case "rollups":
			d.rollupsB += size
		case "outages", "outage_events", "service_states", "monitor_spans":
			d.keptB += size
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	d.resultsFill = float64(payloadB) / float64(max(d.resultsB, 1))
	return d
}

func growthSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// growthIO is the process's bytes passed to write and read calls
// (/proc/self/io); ok is false where there is no such file.
type growthIO struct {
	ok           bool
	wchar, rchar int64
}

func readGrowthIO() growthIO {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return growthIO{}
	}
	g := growthIO{ok: true}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ": ")
		n, _ := strconv.ParseInt(v, 10, 64)
		switch k {
		case "wchar":
			g.wchar = n
		case "rchar":
			g.rchar = n
		}
	}
	return g
}

func (g growthIO) sub(o growthIO) growthIO {
	return growthIO{g.ok && o.ok, g.wchar - o.wchar, g.rchar - o.rchar}
}

func (g growthIO) add(o growthIO) growthIO {
	return growthIO{o.ok, g.wchar + o.wchar, g.rchar + o.rchar}
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
