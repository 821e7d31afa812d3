package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// t0 is a fixed instant the tests count from.
var t0 = time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)

func openTest(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tempDB(t testing.TB) string {
	return filepath.Join(t.TempDir(), "sub", "dir", "slawatch.db")
}

func TestOpenMigratesFromEmpty(t *testing.T) {
	path := tempDB(t) // parent directories do not exist yet
	s := openTest(t, path)
	ctx := t.Context()

	var v int
	if err := s.r.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() {
		t.Errorf("schema version %d, want %d", v, SchemaVersion())
	}
	for _, q := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+q.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != q.want {
			t.Errorf("PRAGMA %s = %s, want %s", q.pragma, got, q.want)
		}
	}
	for _, table := range []string{"outages", "outage_events", "probes", "results", "rollups", "monitor_spans",
		"maintenance", "service_states", "backup_sets", "backups", "restore_tests", "backup_checks"} {
		var n int
		if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("table %s missing", table)
		}
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

func TestReopenIsIdempotent(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()
	s := openTest(t, path)
	id, err := s.InsertOutage(ctx, uptime.Outage{Service: "a", Start: t0, Source: uptime.SourceManual})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for range 3 {
		s = openTest(t, path)
		var n int
		if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != SchemaVersion() {
			t.Errorf("%d migration rows, want %d", n, SchemaVersion())
		}
		if _, err := s.Outage(ctx, id); err != nil {
			t.Error(err)
		}
		s.Close()
	}
}

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	path := tempDB(t)
	errc := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := Open(t.Context(), path)
			if err == nil {
				err = s.Close()
			}
			errc <- err
		}()
	}
	for range 4 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	s := openTest(t, path)
	var n int
	if err := s.r.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != SchemaVersion() {
		t.Errorf("%d migration rows, want %d", n, SchemaVersion())
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := tempDB(t)
	openTest(t, path).Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, 0)", SchemaVersion()+5); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a newer schema")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("error %v is not ErrSchemaTooNew", err)
	}
	for _, want := range []string{path, "upgrade slawatch", fmt.Sprintf("version %d", SchemaVersion()+5)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "notdb")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"parent is a file": filepath.Join(file, "slawatch.db"),
		"not a database":   notDB,
		"empty path":       "",
	} {
		t.Run(name, func(t *testing.T) {
			s, err := Open(t.Context(), path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.HasPrefix(err.Error(), "open store "+path) {
				t.Errorf("error %q does not start with the path", err)
			}
			t.Log(err)
		})
	}
}

func TestReadOnlyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions; TestReadOnlyConnection covers the error")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "slawatch.db")
	openTest(t, path).Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Chmod(p, 0o444)
	}
	os.Chmod(dir, 0o555)
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	s, err := Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded on a read-only file")
	}
	t.Log(err)
}

// TestReadOnlyConnection: a write refused by SQLite reads as ErrReadOnly.
func TestReadOnlyConnection(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	if _, err := s.w.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.InsertOutage(ctx, uptime.Outage{Service: "a", Start: t0})
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("error %v, want ErrReadOnly", err)
	}
	t.Log(err)
}

// TestDiskFull fills the file up to max_page_count, SQLite's own size limit,
// which fails exactly as a full disk does (SQLITE_FULL).
func TestDiskFull(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	var pages int
	if err := s.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	// Single writer connection: the limit applies to every write below.
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages+2)); err != nil {
		t.Fatal(err)
	}
	_, err := s.InsertOutage(ctx, uptime.Outage{Service: "a", Start: t0, Cause: strings.Repeat("x", 64<<10)})
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("error %v, want ErrDiskFull", err)
	}
	t.Log(err)

	// The writer keeps results it could not write and writes them once
	// there is room again.
	w := s.NewWriter(WriterOptions{FlushInterval: time.Hour})
	for i := range 2000 {
		w.Add(result("svc", "p", t0.Add(time.Duration(i)*time.Second), true))
	}
	if err := w.Flush(ctx); !errors.Is(err, ErrDiskFull) {
		t.Fatalf("flush: %v, want ErrDiskFull", err)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA max_page_count = 1000000"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Results(ctx, "svc", "p", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2000 {
		t.Errorf("%d results after the disk had room again, want 2000", len(got))
	}
}

func TestBackupWhileInUse(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	w := s.NewWriter(WriterOptions{FlushInterval: 5 * time.Millisecond})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			w.Add(result("svc", "p", t0.Add(time.Duration(i)*time.Second), true))
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
			<-done
			w.Close(ctx)
		}
	}()
	for i := range 20 {
		if _, err := s.InsertOutage(ctx, uptime.Outage{Service: "svc", Start: t0.Add(time.Duration(i) * time.Minute), Source: uptime.SourceProbe}); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "backups", "copy.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-done
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	b := openTest(t, dst)
	if err := b.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := b.CountOutages(ctx, "svc")
	if err != nil {
		t.Fatal(err)
	}
	if n != 20 {
		t.Errorf("backup has %d outages, want 20", n)
	}
	// A snapshot: its spans agree with its results.
	res, err := b.Results(ctx, "svc", "p", time.Time{}, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	spans, err := b.MonitoredSpans(ctx, "svc", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) > 0 {
		if len(spans) != 1 || !spans[0].Start.Equal(res[0].Start) || !spans[0].End.Equal(res[len(res)-1].Start) {
			t.Errorf("backup spans %v do not match its results [%v, %v]", spans, res[0].Start, res[len(res)-1].Start)
		}
	}

	// An existing destination is refused, not overwritten.
	if err := s.Backup(ctx, dst); err == nil || !errors.Is(err, os.ErrExist) {
		t.Errorf("backup onto an existing file: %v, want ErrExist", err)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dst), ".*tmp"))
	if len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestIntegrityCheckFindsDamage(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path)
	ctx := t.Context()
	w := s.NewWriter(WriterOptions{})
	for i := range 3000 {
		w.Add(result("svc", "p", t0.Add(time.Duration(i)*time.Second), true))
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Scribble over a page in the middle of the file.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xff", 4096)), fi.Size()/2/4096*4096+100); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Logf("damaged file refused at open: %v", err)
		return
	}
	defer s.Close()
	if err := s.IntegrityCheck(ctx); err == nil {
		t.Error("IntegrityCheck found nothing wrong with a damaged file")
	} else {
		t.Log(err)
	}
}
