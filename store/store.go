// Package store keeps slawatch's state in one SQLite file: outages and their
// force-majeure audit trail, probe results with hourly rollups, the spans
// in which each service was monitored, maintenance windows announced at run
// time, the intervals each service spent in each state, and the records,
// restore tests and source checks of backup sets.
//
// A daemon and CLI commands may hold the same file open at the same time, in
// one process or several. Every write is a transaction started with BEGIN
// IMMEDIATE, so writers queue on SQLite's lock (bounded by busy_timeout)
// instead of failing with "database is locked" when a read lock cannot be
// upgraded.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors callers may test for with errors.Is.
var (
	// ErrNotFound: the outage (or other row) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the row is not in a state that allows the change, such as
	// closing an outage that is already closed.
	ErrConflict = errors.New("conflict")
	// ErrSchemaTooNew: the file was written by a newer slawatch.
	ErrSchemaTooNew = errors.New("database schema is newer than this slawatch supports")
	// ErrReadOnly: the file or its directory cannot be written.
	ErrReadOnly = errors.New("store is read-only")
	// ErrDiskFull: the disk (or a size limit) is full.
	ErrDiskFull = errors.New("disk full")
)

// busyTimeout is how long a statement waits for another connection or
// process holding the write lock. A flush of 1,000 results takes
// milliseconds, so 10 s only runs out when something is badly stuck.
const busyTimeout = 10 * time.Second

// Store is an open store file. It is safe for concurrent use.
type Store struct {
	path string
	// w is the one writer connection of this process: in-process writers
	// queue in database/sql (first come, first served) rather than spin in
	// SQLite's busy handler, and other processes are kept out by the lock
	// that BEGIN IMMEDIATE takes.
	w *sql.DB
	// r serves reads on their own connections. In WAL mode readers never
	// block the writer nor wait for it, so a report or status page does not
	// queue behind a flush.
	r *sql.DB

	mu     sync.Mutex
	probes map[probeKey]int64 // probe ids, which never change once written

	closeOnce sync.Once
	closeErr  error
}

type probeKey struct{ service, name string }

// Open opens the store at path, creating the file and its directory when
// missing and bringing the schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(ctx, path)
	if err != nil {
		// SQLite says only "unable to open database file" when the file or
		// its directory is on a read-only file system.
		if cannotWrite(err) {
			switch exists, ro := onReadOnlyFS(path); {
			case ro && exists:
				err = fmt.Errorf("%w: the file system holding it is read-only", ErrReadOnly)
			case ro:
				err = fmt.Errorf("%w: it does not exist and cannot be created on a read-only file system", ErrReadOnly)
			}
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("empty path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, classify(err)
	}
	ms := busyTimeout.Milliseconds()
	w, err := sql.Open("sqlite", dsn(path,
		fmt.Sprintf("_pragma=busy_timeout(%d)", ms),
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		// synchronous=NORMAL would already survive kill -9 in WAL mode (a
		// commit is in the OS's page cache once it returns) but not a power
		// cut or kernel crash. FULL syncs the WAL on every commit, so an
		// opened outage, a maintenance window or a queued notification is on
		// disk when the call returns. Results are batched to about one commit
		// a second, so the extra fsync costs next to nothing.
		"_pragma=synchronous(FULL)",
		// Keep the WAL from staying large after a burst; checkpoints still
		// happen every 1,000 pages by default.
		"_pragma=journal_size_limit(67108864)",
		// Writers take the lock at BEGIN: a deferred transaction that reads
		// and then writes cannot be upgraded while another process writes,
		// and SQLite answers SQLITE_BUSY at once without waiting.
		"_txlock=immediate",
	))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w, probes: make(map[probeKey]int64)}
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, classify(err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path,
		fmt.Sprintf("_pragma=busy_timeout(%d)", ms),
		// Guards against a write slipping onto a read connection, where it
		// would bypass the single writer and the immediate lock.
		"_pragma=query_only(1)",
	))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	r.SetConnMaxIdleTime(5 * time.Minute)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, classify(err)
	}
	s.r = r
	return s, nil
}

// dsn builds a modernc.org/sqlite URI for path. The path is escaped because
// SQLite decodes %XX in file: URIs and ends the path at ? or #.
func dsn(path string, params ...string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + strings.Join(params, "&")
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes the store. Writers made by NewWriter must be closed first.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = errors.Join(s.r.Close(), s.w.Close())
	})
	return s.closeErr
}

// IntegrityCheck runs PRAGMA integrity_check and returns an error listing
// the first problems when the file is damaged.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, "PRAGMA integrity_check(20)")
	if err != nil {
		return fmt.Errorf("integrity check %s: %w", s.path, classify(err))
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return fmt.Errorf("integrity check %s: %w", s.path, err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check %s: %w", s.path, classify(err))
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return nil
	}
	return fmt.Errorf("integrity check %s failed: %s", s.path, strings.Join(msgs, "; "))
}

// Backup writes a consistent copy of the store to dst while it is in use.
// dst must not exist. The copy is written next to dst and renamed into place
// once it is complete and synced, so dst is never half-written.
func (s *Store) Backup(ctx context.Context, dst string) error {
	if err := s.backup(ctx, dst); err != nil {
		return fmt.Errorf("backup store %s to %s: %w", s.path, dst, err)
	}
	return nil
}

func (s *Store) backup(ctx context.Context, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("%w: destination exists", os.ErrExist)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return classify(err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return classify(err)
	}
	tmp := f.Name()
	f.Close()
	// VACUUM INTO refuses an existing non-empty file but takes an empty one.
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	// VACUUM INTO reads in one read transaction, so the copy is a snapshot,
	// and it takes no write lock on the store. It needs a connection of its
	// own: query_only refuses it, and on the writer connection a long copy
	// would hold up this process's writes.
	db, err := sql.Open("sqlite", dsn(s.path, fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds())))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		return classify(err)
	}
	if err := syncFile(tmp); err != nil {
		return classify(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return classify(err)
	}
	ok = true
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func syncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// classify marks read-only and disk-full failures with ErrReadOnly and
// ErrDiskFull, keeping SQLite's own message, so that callers can tell an
// operator what to fix.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %w", ErrReadOnly, err)
		case sqlite3.SQLITE_FULL:
			return fmt.Errorf("%w: %w", ErrDiskFull, err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			return fmt.Errorf("cannot open database file (check the path and its permissions): %w", err)
		}
		return err
	}
	switch {
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}

// writeErr classifies the error of a write transaction. A file system that
// turns read-only under an open store (the kernel does that after an I/O
// error) makes SQLite report a disk I/O error; that reads as ErrReadOnly,
// naming the file.
func (s *Store) writeErr(err error) error {
	err = classify(err)
	if errors.Is(err, ErrReadOnly) || errors.Is(err, ErrDiskFull) || !cannotWrite(err) {
		return err
	}
	if _, ro := onReadOnlyFS(s.path); ro {
		return fmt.Errorf("%w: %s is on a read-only file system: %w", ErrReadOnly, s.path, err)
	}
	return err
}

// cannotWrite reports whether err may come from a file that cannot be
// written: SQLite could not open it, write it or was refused.
func cannotWrite(err error) bool {
	if errors.Is(err, ErrReadOnly) {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
		return true
	}
	return false
}

// onReadOnlyFS reports whether path, or when it does not exist (exists is
// false) the nearest directory above it that does, is on a file system that
// refuses writes with EROFS. access(2) does not tell when the kernel made
// the file system read-only after an error (ext4's emergency_ro), so it
// creates and removes a file beside the store: the store file itself must
// not be opened, because closing a descriptor of it would drop the SQLite
// locks this process holds on it.
func onReadOnlyFS(path string) (exists, ro bool) {
	_, err := os.Stat(path)
	exists = err == nil
	dir := filepath.Dir(path)
	for {
		_, err := os.Stat(dir)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrNotExist) || dir == filepath.Dir(dir) {
			return exists, false
		}
		dir = filepath.Dir(dir)
	}
	f, err := os.CreateTemp(dir, ".slawatch-write-check-*")
	if err != nil {
		return exists, errors.Is(err, syscall.EROFS)
	}
	f.Close()
	os.Remove(f.Name())
	return exists, false
}

// rollback ends tx when it was not committed; its error is of no interest
// then, because the error that led here is the one to report.
func rollback(tx *sql.Tx) { _ = tx.Rollback() }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS stores the zero time as NULL.
func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}
