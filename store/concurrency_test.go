package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/uptime"
)

// Child processes: the test binary runs itself with -test.run=^TestHelperChild$
// and these variables set.
const (
	envChild = "SLAWATCH_STORE_TEST_CHILD" // the child's role
	envDB    = "SLAWATCH_STORE_TEST_DB"
	envN     = "SLAWATCH_STORE_TEST_N"
)

// TestHelperChild is not a test: it is the body of a child process.
func TestHelperChild(t *testing.T) {
	role := os.Getenv(envChild)
	if role == "" {
		t.Skip("runs only as a child process")
	}
	n, _ := strconv.Atoi(os.Getenv(envN))
	if err := runChild(role, os.Getenv(envDB), n); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func runChild(role, path string, n int) error {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	out := bufio.NewWriter(os.Stdout)
	switch role {
	case "outages":
		// Insert, exclude and close outages, as CLI commands would.
		for i := range n {
			start := t0.Add(time.Duration(i) * time.Minute)
			id, err := s.InsertOutage(ctx, uptime.Outage{Service: "child", Start: start, Source: uptime.SourceManual})
			if err != nil {
				return err
			}
			if err := s.ExcludeOutage(ctx, id, "storm", "child", start); err != nil {
				return err
			}
			if err := s.CloseOutage(ctx, id, start.Add(time.Second)); err != nil {
				return err
			}
		}
		return nil

	case "kill-after-insert", "kill-anytime":
		// A daemon at work: results flushing all the time.
		w := s.NewWriter(WriterOptions{FlushInterval: time.Millisecond, MaxBatch: 200})
		go func() {
			for i := 0; ; i++ {
				w.Add(result("child", "p", t0.Add(time.Duration(i)*time.Millisecond), i%3 != 0))
			}
		}()
		for i := 0; ; i++ {
			id, err := s.InsertOutage(ctx, uptime.Outage{Service: "child", Start: t0.Add(time.Duration(i) * time.Second), Source: uptime.SourceProbe, Cause: "opened"})
			if err != nil {
				return err
			}
			if role == "kill-after-insert" {
				// Die the moment the call returns: nothing after it runs.
				return syscall.Kill(os.Getpid(), syscall.SIGKILL)
			}
			// Tell the parent only after the call returned; the parent
			// kills us at some moment while we go on writing.
			fmt.Fprintf(out, "ID %d\n", id)
			out.Flush()
		}

	case "announce-kill-after", "announce-anytime":
		// A daemon at work announces maintenance and records state
		// changes while its results flush. Run n starts 100n days
		// after t0, well after the results of the runs before it, so
		// that each run's state rows follow the last run's.
		w := s.NewWriter(WriterOptions{FlushInterval: time.Millisecond, MaxBatch: 200})
		base := t0.Add(time.Duration(n) * 100 * 24 * time.Hour)
		w.Add(result("child", "p", base, true))
		if err := w.Flush(ctx); err != nil {
			return err
		}
		go func() {
			for i := 1; ; i++ {
				w.Add(result("child", "p", base.Add(time.Duration(i)*time.Millisecond), true))
			}
		}()
		announce := func(i int) (int64, error) {
			return s.AddMaintenance(ctx, uptime.Window{Service: "child", Start: base.Add(time.Duration(i) * time.Hour),
				End: base.Add(time.Duration(i)*time.Hour + 30*time.Minute), Reason: fmt.Sprintf("window %d", i),
				Source: uptime.SourceAPI, AnnouncedAt: base, AnnouncedBy: "child"})
		}
		if role == "announce-kill-after" {
			id, err := announce(0)
			if err != nil {
				return err
			}
			if err := s.CancelMaintenance(ctx, id, "child", base); err != nil {
				return err
			}
			if err := s.RecordState(ctx, "child", uptime.StateDown, base); err != nil {
				return err
			}
			if _, err := announce(1); err != nil {
				return err
			}
			return syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		states := []uptime.State{uptime.StateUp, uptime.StateDown}
		for i := 0; ; i++ {
			id, err := announce(i)
			if err != nil {
				return err
			}
			if err := s.RecordState(ctx, "child", states[i%2], base.Add(time.Duration(i)*time.Millisecond)); err != nil {
				return err
			}
			fmt.Fprintf(out, "ID %d\n", id)
			out.Flush()
		}

	case "push-kill-after", "push-anytime":
		// A daemon at work takes pushed backup records, restore tests and
		// the checks of its pull sources while its results flush.
		w := s.NewWriter(WriterOptions{FlushInterval: time.Millisecond, MaxBatch: 200})
		go func() {
			for i := 0; ; i++ {
				w.Add(result("child", "p", t0.Add(time.Duration(i)*time.Millisecond), true))
			}
		}()
		if role == "push-kill-after" {
			if _, err := s.AddBackup(ctx, "pushed", backup.Record{Time: t0, Success: true, SizeBytes: 42, Kind: backup.KindFull, ID: "b1"}, t0); err != nil {
				return err
			}
			if _, err := s.AddBackup(ctx, "pushed", backup.Record{Time: t0.Add(time.Hour)}, t0.Add(time.Hour)); err != nil {
				return err
			}
			if _, err := s.UpsertBackups(ctx, "pulled", []backup.Record{{Time: t0, Success: true, ID: "x"}, {Time: t0.Add(time.Hour), Success: true, ID: "y"}}, t0); err != nil {
				return err
			}
			if _, err := s.AddRestoreTest(ctx, "pushed", backup.RestoreTest{Start: t0, End: t0.Add(time.Minute), Success: true}, "child", t0); err != nil {
				return err
			}
			if err := s.RecordBackupCheck(ctx, "pulled", t0, errors.New("exit status 1")); err != nil {
				return err
			}
			if _, err := s.AddBackup(ctx, "pushed", backup.Record{Time: t0.Add(2 * time.Hour), Success: true, ID: "b3"}, t0.Add(2*time.Hour)); err != nil {
				return err
			}
			return syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		for i := 0; ; i++ {
			r := backup.Record{Time: t0.Add(time.Duration(i) * time.Minute), Success: i%5 != 0, SizeBytes: int64(i), ID: fmt.Sprintf("b%d", i)}
			id, err := s.AddBackup(ctx, "pushed", r, r.Time)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "ID %d %d\n", id, i)
			out.Flush()
		}
	}
	return fmt.Errorf("unknown role %q", role)
}

func startChild(t *testing.T, role, path string, n int) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+role, envDB+"="+path, envN+"="+strconv.Itoa(n))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, bufio.NewScanner(stdout), &stderr
}

func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// writeResults flushes results from s until stop is closed and returns how
// many it wrote. Like a daemon under overload it holds the write lock at
// most half the time (a daemon at its normal rate: a few ms a second).
func writeResults(t *testing.T, s *Store, stop <-chan struct{}) int {
	t.Helper()
	ctx := context.Background()
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	n := 0
	for {
		select {
		case <-stop:
			if err := w.Close(ctx); err != nil {
				t.Error(err)
			}
			return n
		default:
		}
		for range 200 {
			w.Add(result("parent", "p"+strconv.Itoa(n%10), t0.Add(time.Duration(n)*time.Second), n%5 != 0))
			n++
		}
		began := time.Now()
		if err := w.Flush(ctx); err != nil {
			t.Error(err)
			w.Close(ctx)
			return n
		}
		time.Sleep(time.Since(began))
	}
}

func countResults(t *testing.T, s *Store, service string) int {
	t.Helper()
	res, err := s.Results(context.Background(), service, "", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(res)
}

// TestTwoStoresOneFile: a daemon's Store flushing results while a CLI's
// Store on the same file inserts, excludes and closes outages.
func TestTwoStoresOneFile(t *testing.T) {
	path := tempDB(t)
	daemon := openTest(t, path)
	cli := openTest(t, path)
	ctx := t.Context()

	stop := make(chan struct{})
	var wrote int
	var wg sync.WaitGroup
	wg.Go(func() { wrote = writeResults(t, daemon, stop) })
	// Readers too, as a status page would.
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := daemon.Outages(ctx, OutageFilter{Service: "cli"}); err != nil {
				t.Error(err)
				return
			}
			if _, err := cli.Rollups(ctx, "parent", time.Time{}, time.Time{}); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})

	const outages = 40
	for i := range outages {
		start := t0.Add(time.Duration(i) * time.Minute)
		id, err := cli.InsertOutage(ctx, uptime.Outage{Service: "cli", Start: start, Source: uptime.SourceManual})
		if err != nil {
			t.Fatal(err)
		}
		if err := cli.ExcludeOutage(ctx, id, "storm", "cli", start); err != nil {
			t.Fatal(err)
		}
		if err := cli.CloseOutage(ctx, id, start.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		// The daemon opens outages on its own Store as well.
		if _, err := daemon.InsertOutage(ctx, uptime.Outage{Service: "daemon", Start: start, Source: uptime.SourceProbe}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()

	if got := countResults(t, cli, "parent"); got != wrote || wrote == 0 {
		t.Errorf("%d results stored, %d written", got, wrote)
	}
	for svc, want := range map[string]int64{"cli": outages, "daemon": outages} {
		if n, err := cli.CountOutages(ctx, svc); err != nil || n != want {
			t.Errorf("%s outages: %d, %v; want %d", svc, n, err, want)
		}
	}
	if err := daemon.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// TestCrossProcess: a child process inserts, excludes and closes outages
// while this one flushes results into the same file.
func TestCrossProcess(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path)
	ctx := t.Context()

	const outages = 50
	cmd, _, stderr := startChild(t, "outages", path, outages)
	stop := make(chan struct{})
	var wrote int
	var wg sync.WaitGroup
	wg.Go(func() { wrote = writeResults(t, s, stop) })
	err := cmd.Wait()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr)
	}

	if got := countResults(t, s, "parent"); got != wrote || wrote == 0 {
		t.Errorf("%d results stored, %d written", got, wrote)
	}
	got, err := s.Outages(ctx, OutageFilter{Service: "child"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != outages {
		t.Fatalf("%d outages from the child, want %d", len(got), outages)
	}
	for _, o := range got {
		if o.Open() || !o.Excluded {
			t.Errorf("outage %+v: want closed and excluded", o)
		}
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// TestKillAfterInsert: a child opens an outage and is SIGKILLed the moment
// InsertOutage returns; the outage is there afterwards.
func TestKillAfterInsert(t *testing.T) {
	path := tempDB(t)
	cmd, _, stderr := startChild(t, "kill-after-insert", path, 0)
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, stderr)
	}
	s := openTest(t, path)
	ctx := t.Context()
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := s.OpenOutages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Service != "child" || open[0].Cause != "opened" {
		t.Fatalf("open outages after kill -9: %+v", open)
	}
	// The store is usable: the next run closes it.
	if err := s.CloseOutage(ctx, open[0].ID, open[0].Start.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// TestKillAnytime: a child writes outages and results without pause and is
// SIGKILLed at some moment; every outage it reported as stored is there, and
// so is the span of the results it flushed.
func TestKillAnytime(t *testing.T) {
	path := tempDB(t)
	for round := range 3 {
		cmd, lines, stderr := startChild(t, "kill-anytime", path, 0)
		var ids []int64
		for len(ids) < 20+round*15 && lines.Scan() {
			id, err := strconv.ParseInt(strings.TrimPrefix(lines.Text(), "ID "), 10, 64)
			if err != nil {
				t.Fatalf("child said %q", lines.Text())
			}
			ids = append(ids, id)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); !killedBySIGKILL(err) {
			t.Fatalf("child did not die by SIGKILL: %v\n%s", err, stderr)
		}
		if len(ids) == 0 {
			t.Fatalf("child reported no outages\n%s", stderr)
		}

		s := openTest(t, path)
		ctx := t.Context()
		if err := s.IntegrityCheck(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if _, err := s.Outage(ctx, id); err != nil {
				t.Errorf("round %d: outage %d reported stored: %v", round, id, err)
			}
		}
		res, err := s.Results(ctx, "child", "p", time.Time{}, time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		spans, err := s.MonitoredSpans(ctx, "child", time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// Every round is one run with one span, and results and spans are
		// written in the same transactions, so they agree. (Each run
		// writes from t0 on; a result already stored is kept once.)
		if len(spans) != round+1 && len(res) > 0 {
			t.Errorf("round %d: %d spans, want %d", round, len(spans), round+1)
		}
		var end time.Time
		for _, sp := range spans {
			if sp.End.After(end) {
				end = sp.End
			}
		}
		if len(res) > 0 && !end.Equal(res[len(res)-1].Start) {
			t.Errorf("round %d: spans end %v, last result %v", round, end, res[len(res)-1].Start)
		}
		s.Close()
	}
}

// TestWriterYieldsToOtherWriters: a writer with a large backlog flushes
// batch after batch on its own; another Store on the file still gets the
// write lock for each of its outages well within busy_timeout.
func TestWriterYieldsToOtherWriters(t *testing.T) {
	path := tempDB(t)
	daemon := openTest(t, path)
	cli := openTest(t, path)
	ctx := t.Context()

	const results = 3000
	w := daemon.NewWriter(WriterOptions{FlushInterval: time.Millisecond, MaxBatch: 200})
	for i := range results {
		w.Add(result("parent", "p"+strconv.Itoa(i%10), t0.Add(time.Duration(i)*time.Second), true))
	}
	var slowest time.Duration
	for i := range 20 {
		began := time.Now()
		if _, err := cli.InsertOutage(ctx, uptime.Outage{Service: "cli", Start: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		slowest = max(slowest, time.Since(began))
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("slowest outage insert while the writer worked off its backlog: %v", slowest)
	if got := countResults(t, cli, "parent"); got != results {
		t.Errorf("%d results stored, want %d", got, results)
	}
}

// TestKillAfterAnnounce: a child announces maintenance windows, cancels one
// and records a state change, and is SIGKILLed the moment the last call
// returns; all of it is there afterwards, and the next run closes the state
// it left open where its monitoring stopped.
func TestKillAfterAnnounce(t *testing.T) {
	path := tempDB(t)
	cmd, _, stderr := startChild(t, "announce-kill-after", path, 0)
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, stderr)
	}
	s := openTest(t, path)
	ctx := t.Context()
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	ws, err := s.Maintenance(ctx, MaintenanceFilter{Service: "child", IncludeCancelled: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Reason != "window 0" || !ws[0].CancelledAt.Equal(t0) ||
		ws[1].Reason != "window 1" || ws[1].Cancelled() || ws[1].AnnouncedBy != "child" {
		t.Fatalf("windows after kill -9: %+v", ws)
	}
	cur, err := s.CurrentStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]StateSince{"child": {uptime.StateDown, t0}}; !reflect.DeepEqual(cur, want) {
		t.Fatalf("CurrentStates after kill -9 = %v, want %v", cur, want)
	}

	// The next run starts: the dangling state ends at the last result the
	// killed run flushed.
	if err := s.CloseDanglingStates(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := s.Results(ctx, "child", "p", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := res[len(res)-1].Start
	got := stateIntervals(t, s, "child", uptime.StateDown, last.Add(time.Hour))
	if want := []uptime.Interval{{Start: t0, End: last}}; !reflect.DeepEqual(got, want) {
		t.Errorf("down after CloseDanglingStates = %v, want %v", got, want)
	}
}

// TestKillWhileAnnouncing: a child announces windows and records state
// changes without pause, results flushing meanwhile, and is SIGKILLed at
// some moment; every window it reported as stored is there, and its state
// rows are whole.
func TestKillWhileAnnouncing(t *testing.T) {
	path := tempDB(t)
	for round := range 2 {
		cmd, lines, stderr := startChild(t, "announce-anytime", path, round)
		var ids []int64
		for len(ids) < 15+round*10 && lines.Scan() {
			id, err := strconv.ParseInt(strings.TrimPrefix(lines.Text(), "ID "), 10, 64)
			if err != nil {
				t.Fatalf("child said %q", lines.Text())
			}
			ids = append(ids, id)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); !killedBySIGKILL(err) {
			t.Fatalf("child did not die by SIGKILL: %v\n%s", err, stderr)
		}
		if len(ids) == 0 {
			t.Fatalf("child reported no windows\n%s", stderr)
		}

		s := openTest(t, path)
		ctx := t.Context()
		if err := s.IntegrityCheck(ctx); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if _, err := s.MaintenanceWindow(ctx, id); err != nil {
				t.Errorf("round %d: window %d reported stored: %v", round, id, err)
			}
		}
		// Each reported window was followed by a state change.
		if err := s.CloseDanglingStates(ctx); err != nil {
			t.Fatal(err)
		}
		if n := checkStateRows(t, s, "child"); n < len(ids) {
			t.Errorf("round %d: %d state rows, want at least %d", round, n, len(ids))
		}
		if cur, err := s.CurrentStates(ctx); err != nil || len(cur) != 0 {
			t.Errorf("round %d: CurrentStates after CloseDanglingStates = %v, %v", round, cur, err)
		}
		s.Close()
	}
}

// TestStatesAndMaintenanceWhileFlushing: a daemon's Store records state
// changes of several services while its Writer flushes results, a CLI's
// Store on the same file announces and cancels windows, and a status page
// reads all of it.
func TestStatesAndMaintenanceWhileFlushing(t *testing.T) {
	path := tempDB(t)
	daemon := openTest(t, path)
	cli := openTest(t, path)
	ctx := t.Context()

	stop := make(chan struct{})
	var wrote int
	var bg sync.WaitGroup
	bg.Go(func() { wrote = writeResults(t, daemon, stop) })
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := cli.StateIntervals(ctx, "svc0", uptime.StateDown, time.Time{}, time.Time{}, sec(1e6)); err != nil {
				t.Error(err)
				return
			}
			if _, err := daemon.Maintenance(ctx, MaintenanceFilter{Service: "cli", From: sec(0), To: sec(1e6)}); err != nil {
				t.Error(err)
				return
			}
			if _, err := daemon.CurrentStates(ctx); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})

	const services, changes, windows = 4, 40, 30
	cycle := []uptime.State{uptime.StateUp, uptime.StateDegraded, uptime.StateDown, uptime.StateMaintenance}
	var work sync.WaitGroup
	for i := range services {
		svc := "svc" + strconv.Itoa(i)
		work.Go(func() {
			for n := range changes {
				// Every state twice in a row: the second is a no-op.
				for range 2 {
					if err := daemon.RecordState(ctx, svc, cycle[n%len(cycle)], sec(n)); err != nil {
						t.Error(err)
						return
					}
				}
			}
		})
	}
	work.Go(func() {
		for n := range windows {
			id, err := cli.AddMaintenance(ctx, uptime.Window{Service: "cli", Start: sec(n * 100), End: sec(n*100 + 50),
				Source: uptime.SourceCLI, AnnouncedAt: sec(0)})
			if err != nil {
				t.Error(err)
				return
			}
			if n%3 == 0 {
				if err := cli.CancelMaintenance(ctx, id, "cli", sec(1)); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	work.Wait()
	close(stop)
	bg.Wait()

	if got := countResults(t, cli, "parent"); got != wrote || wrote == 0 {
		t.Errorf("%d results stored, %d written", got, wrote)
	}
	cur, err := cli.CurrentStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range services {
		svc := "svc" + strconv.Itoa(i)
		if n := checkStateRows(t, cli, svc); n != changes {
			t.Errorf("%s: %d state rows, want %d", svc, n, changes)
		}
		if want := (StateSince{cycle[(changes-1)%len(cycle)], sec(changes - 1)}); cur[svc] != want {
			t.Errorf("%s: current state %v, want %v", svc, cur[svc], want)
		}
	}
	all, err := cli.Maintenance(ctx, MaintenanceFilter{Service: "cli", IncludeCancelled: true})
	if err != nil {
		t.Fatal(err)
	}
	active, err := cli.Maintenance(ctx, MaintenanceFilter{Service: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != windows || len(active) != windows-windows/3 {
		t.Errorf("%d windows, %d not cancelled; want %d, %d", len(all), len(active), windows, windows-windows/3)
	}
	if err := daemon.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

// TestKillAfterPush: a child stores pushed records, a pulled listing, a
// restore test and a check while its results flush, and is SIGKILLed the
// moment the last call returns; all of it is there afterwards.
func TestKillAfterPush(t *testing.T) {
	path := tempDB(t)
	cmd, _, stderr := startChild(t, "push-kill-after", path, 0)
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, stderr)
	}
	s := openTest(t, path)
	ctx := t.Context()
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	want := []backup.Record{
		{Time: t0, Success: true, SizeBytes: 42, Kind: backup.KindFull, ID: "b1"},
		{Time: t0.Add(time.Hour)},
		{Time: t0.Add(2 * time.Hour), Success: true, ID: "b3"},
	}
	if got := backups(t, s, "pushed", time.Time{}); !reflect.DeepEqual(got, want) {
		t.Errorf("pushed records after kill -9: %+v\nwant %+v", got, want)
	}
	if got := backups(t, s, "pulled", time.Time{}); len(got) != 2 {
		t.Errorf("pulled records after kill -9: %+v", got)
	}
	if got, err := s.RestoreTests(ctx, "pushed", time.Time{}); err != nil || len(got) != 1 || !got[0].Success {
		t.Errorf("restore tests after kill -9: %+v, %v", got, err)
	}
	if got, err := s.BackupCheck(ctx, "pulled"); err != nil || got.Err != "exit status 1" || got.ConsecutiveFailures != 1 {
		t.Errorf("check after kill -9: %+v, %v", got, err)
	}
}

// TestKillWhilePushing: a child pushes backup records without pause, results
// flushing meanwhile, while this process stores a growing listing of a pull
// source in the same file; the child is SIGKILLed at some moment. Every
// record it reported as stored is there, and pushing it again (a client
// retrying) returns the id it was given and adds nothing.
func TestKillWhilePushing(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path)
	ctx := t.Context()

	cmd, lines, stderr := startChild(t, "push-anytime", path, 0)
	pulled := make(chan int, 1)
	stop := make(chan struct{})
	go func() {
		// The daemon's pull source: a new backup every check.
		var listing []backup.Record
		added := 0
		defer func() { pulled <- added }()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i < 200 {
				listing = append(listing, backup.Record{Time: t0.Add(time.Duration(i) * time.Hour), Success: true, ID: fmt.Sprintf("snap-%d", i)})
			}
			n, err := s.UpsertBackups(ctx, "pulled", listing, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			added += n
		}
	}()
	type pushed struct {
		id int64
		i  int
	}
	var got []pushed
	for len(got) < 40 && lines.Scan() {
		var p pushed
		if _, err := fmt.Sscanf(lines.Text(), "ID %d %d", &p.id, &p.i); err != nil {
			t.Fatalf("child said %q", lines.Text())
		}
		got = append(got, p)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Fatalf("child did not die by SIGKILL: %v\n%s", err, stderr)
	}
	close(stop)
	added := <-pulled
	if len(got) == 0 {
		t.Fatalf("child reported no records\n%s", stderr)
	}

	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, r := range backups(t, s, "pushed", time.Time{}) {
		stored[r.ID] = true
	}
	for _, p := range got {
		id := fmt.Sprintf("b%d", p.i)
		if !stored[id] {
			t.Errorf("record %s reported stored is missing", id)
			continue
		}
		r := backup.Record{Time: t0.Add(time.Duration(p.i) * time.Minute), Success: p.i%5 != 0, SizeBytes: int64(p.i), ID: id}
		if again, err := s.AddBackup(ctx, "pushed", r, time.Now()); err != nil || again != p.id {
			t.Errorf("pushing %s again: id %d, %v; want %d", id, again, err, p.id)
		}
	}
	if n := len(backups(t, s, "pushed", time.Time{})); n != len(stored) {
		t.Errorf("pushing again added records: %d, want %d", n, len(stored))
	}
	if n := len(backups(t, s, "pulled", time.Time{})); n != added || n == 0 {
		t.Errorf("%d pulled records stored, %d reported added", n, added)
	}
}

// TestBackupsWhileFlushing: a daemon's Store re-reads pull sources and
// records their checks while its Writer flushes results; a CLI's Store on
// the same file pushes records (each one twice, as a retrying client would)
// and restore tests; both re-read one shared listing at once; a status page
// reads all of it.
func TestBackupsWhileFlushing(t *testing.T) {
	path := tempDB(t)
	daemon := openTest(t, path)
	cli := openTest(t, path)
	ctx := t.Context()

	stop := make(chan struct{})
	var wrote int
	var bg sync.WaitGroup
	bg.Go(func() { wrote = writeResults(t, daemon, stop) })
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := cli.Backups(ctx, "pulled", time.Time{}); err != nil {
				t.Error(err)
				return
			}
			if _, err := daemon.BackupSets(ctx); err != nil {
				t.Error(err)
				return
			}
			if _, err := daemon.BackupCheck(ctx, "pulled"); err != nil && !errors.Is(err, ErrNotFound) {
				t.Error(err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})

	const checks, pushes, sharedLen = 40, 60, 500
	shared := make([]backup.Record, sharedLen)
	for i := range shared {
		shared[i] = backup.Record{Time: sec(i * 60), Success: i%9 != 0, ID: fmt.Sprintf("s%d", i)}
	}
	var work sync.WaitGroup
	var pulledAdded int
	work.Go(func() {
		var listing []backup.Record
		for i := range checks {
			listing = append(listing, backup.Record{Time: sec(i * 3600), Success: true, SizeBytes: int64(i), ID: fmt.Sprintf("snap-%d", i)})
			n, err := daemon.UpsertBackups(ctx, "pulled", listing, sec(i*3600+60))
			if err != nil {
				t.Error(err)
				return
			}
			pulledAdded += n
			var checkErr error
			if i%4 == 3 {
				checkErr = errors.New("restic: repository locked")
			}
			if err := daemon.RecordBackupCheck(ctx, "pulled", sec(i*3600+60), checkErr); err != nil {
				t.Error(err)
				return
			}
		}
	})
	work.Go(func() {
		for i := range pushes {
			r := backup.Record{Time: sec(i * 600), Success: true}
			if i%2 == 0 {
				r.ID = fmt.Sprintf("push-%d", i)
			}
			var ids [2]int64
			for k := range ids {
				id, err := cli.AddBackup(ctx, "pushed", r, sec(i*600+1))
				if err != nil {
					t.Error(err)
					return
				}
				ids[k] = id
			}
			if ids[0] != ids[1] {
				t.Errorf("push %d: ids %d and %d", i, ids[0], ids[1])
			}
			if i%10 == 0 {
				if _, err := cli.AddRestoreTest(ctx, "pushed", backup.RestoreTest{Start: sec(i * 600), End: sec(i*600 + 300), Success: true}, "cli", sec(i*600+301)); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	// Both Stores read the same growing listing at once: each record is
	// added by exactly one of them.
	var sharedAdded [2]int
	for k, st := range []*Store{daemon, cli} {
		work.Go(func() {
			for n := 50; n <= sharedLen; n += 50 {
				added, err := st.UpsertBackups(ctx, "shared", shared[:n], sec(n))
				if err != nil {
					t.Error(err)
					return
				}
				sharedAdded[k] += added
			}
		})
	}
	work.Wait()
	close(stop)
	bg.Wait()

	if got := countResults(t, cli, "parent"); got != wrote || wrote == 0 {
		t.Errorf("%d results stored, %d written", got, wrote)
	}
	if n := len(backups(t, cli, "pulled", time.Time{})); n != checks || pulledAdded != checks {
		t.Errorf("pulled: %d records stored, %d added; want %d", n, pulledAdded, checks)
	}
	if n := len(backups(t, daemon, "pushed", time.Time{})); n != pushes {
		t.Errorf("pushed: %d records, want %d", n, pushes)
	}
	if got, err := daemon.RestoreTests(ctx, "pushed", time.Time{}); err != nil || len(got) != pushes/10 {
		t.Errorf("restore tests: %d, %v; want %d", len(got), err, pushes/10)
	}
	if got := backups(t, daemon, "shared", time.Time{}); !reflect.DeepEqual(got, shared) || sharedAdded[0]+sharedAdded[1] != sharedLen {
		t.Errorf("shared: %d records stored, %d + %d added; want %d", len(got), sharedAdded[0], sharedAdded[1], sharedLen)
	}
	if c, err := cli.BackupCheck(ctx, "pulled"); err != nil || c.At != sec((checks-1)*3600+60) || c.ConsecutiveFailures != 1 {
		t.Errorf("last check: %+v, %v", c, err)
	}
	if got, err := cli.BackupSets(ctx); err != nil || !reflect.DeepEqual(got, []string{"pulled", "pushed", "shared"}) {
		t.Errorf("BackupSets = %v, %v", got, err)
	}
	if err := daemon.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}
