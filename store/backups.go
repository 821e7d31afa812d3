package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slawatch/slawatch/backup"
)

// Backup sets: their records, restore tests and the last check of each pull
// source.
//
// A record is known by its source's ID within its set or, when the source
// gives none, by its time (to the millisecond) and status. Reading the same
// listing again adds nothing; a known record that comes back with another
// time, status, size or kind is updated to it. Records that vanish from a
// listing are kept, so history survives pruning at the source and a source
// outage, and an evaluation at a past moment (--at) sees what was there.

// BackupCheck is the latest check of a set's pull source.
type BackupCheck struct {
	At                  time.Time
	Err                 string // why the check failed; empty when it was fine
	ConsecutiveFailures int    // failed checks in a row up to At; 0 when it was fine
	// LastOK is the latest check that was fine, zero when none was: a
	// failing source has been failing since the check after it.
	LastOK time.Time
}

// maxCheckErr bounds a stored check error: a source's stderr can be long.
const maxCheckErr = 4096

// upsertChunk is how many records one INSERT statement carries. Each
// statement costs a fixed overhead in database/sql and the driver, so rows
// go in batches; 7 parameters a row stays far below SQLite's limit.
const upsertChunk = 200

// backupColumns are the columns of a record as inserted, in the order
// execBackups binds them.
const backupColumns = "set_id, time_ms, success, source_id, size_bytes, kind, first_seen_ms"

// backupUpsert makes the INSERT of a record an update of the record it
// repeats: the one with its ID, or the one without an ID with its time and
// status. A row changes only when something about it did, so re-reading a
// listing writes nothing.
const backupUpsert = `
ON CONFLICT (set_id, source_id) WHERE source_id <> '' DO UPDATE SET
	time_ms = excluded.time_ms, success = excluded.success, size_bytes = excluded.size_bytes,
	kind = excluded.kind, updated_ms = excluded.first_seen_ms
	WHERE time_ms <> excluded.time_ms OR success <> excluded.success
		OR size_bytes <> excluded.size_bytes OR kind <> excluded.kind
ON CONFLICT (set_id, time_ms, success) WHERE source_id = '' DO UPDATE SET
	size_bytes = excluded.size_bytes, kind = excluded.kind, updated_ms = excluded.first_seen_ms
	WHERE size_bytes <> excluded.size_bytes OR kind <> excluded.kind`

// storedBackup is a record as stored: its time in milliseconds.
type storedBackup struct {
	t    int64
	ok   bool
	size int64
	kind string
	id   string
}

func toStored(r backup.Record) storedBackup {
	return storedBackup{t: ms(r.Time), ok: r.Success, size: r.SizeBytes, kind: r.Kind, id: r.ID}
}

// noIDKey is the identity of a record without an ID.
type noIDKey struct {
	t  int64
	ok bool
}

// listing is a source's records with repeats merged (the last one wins),
// indexed by identity.
type listing struct {
	recs   []storedBackup
	byID   map[string]int
	byTime map[noIDKey]int
	state  []storedState // of recs[i]
}

// storedState is how a record of a listing compares with the store.
type storedState uint8

const (
	absent  storedState = iota // not stored
	same                       // stored as it is
	changed                    // stored with another time, status, size or kind
)

func newListing(recs []backup.Record) *listing {
	withID := 0
	for _, r := range recs {
		if r.ID != "" {
			withID++
		}
	}
	l := &listing{
		recs:   make([]storedBackup, 0, len(recs)),
		byID:   make(map[string]int, withID),
		byTime: make(map[noIDKey]int, len(recs)-withID),
	}
	for _, r := range recs {
		b := toStored(r)
		if b.id != "" {
			if i, ok := l.byID[b.id]; ok {
				l.recs[i] = b
				continue
			}
			l.byID[b.id] = len(l.recs)
		} else {
			k := noIDKey{b.t, b.ok}
			if i, ok := l.byTime[k]; ok {
				l.recs[i] = b
				continue
			}
			l.byTime[k] = len(l.recs)
		}
		l.recs = append(l.recs, b)
	}
	l.state = make([]storedState, len(l.recs))
	return l
}

func checkRecord(r backup.Record) error {
	switch {
	case r.Time.IsZero():
		return errors.New("time is zero")
	case r.SizeBytes < 0:
		return fmt.Errorf("size %d is negative", r.SizeBytes)
	}
	return nil
}

func checkSet(set string, at time.Time) error {
	switch {
	case set == "":
		return errors.New("set is empty")
	case at.IsZero():
		return errors.New("time is zero")
	}
	return nil
}

// UpsertBackups stores the records a pull source listed for set at time at,
// in one transaction, and returns how many were new. New records get at as
// their first-seen time; records stored before and missing from recs are
// kept. An invalid record (zero time, negative size) fails the call and
// nothing is written.
//
// The work is bounded by the listing, not by what changed in it, but the
// write is bounded by what changed: the set's stored records are compared
// with the listing first, on a read connection without the write lock, and
// only new and changed records are written. A listing read again unchanged
// takes no write lock at all. Another process storing the same records
// meanwhile is safe: a record is added once, by whichever commits first.
func (s *Store) UpsertBackups(ctx context.Context, set string, recs []backup.Record, at time.Time) (added int, err error) {
	if err := checkSet(set, at); err != nil {
		return 0, fmt.Errorf("upsert backups: %w", err)
	}
	for i, r := range recs {
		if err := checkRecord(r); err != nil {
			return 0, fmt.Errorf("upsert backups of %q: record %d: %w", set, i, err)
		}
	}
	added, err = s.upsertBackups(ctx, set, recs, at)
	if err != nil {
		return 0, fmt.Errorf("upsert backups of %q: %w", set, err)
	}
	return added, nil
}

func (s *Store) upsertBackups(ctx context.Context, set string, recs []backup.Record, at time.Time) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	l := newListing(recs)
	if err := s.compareStored(ctx, set, l); err != nil {
		return 0, err
	}
	var fresh, changes []storedBackup
	for i, b := range l.recs {
		switch l.state[i] {
		case absent:
			fresh = append(fresh, b)
		case changed:
			changes = append(changes, b)
		}
	}
	if len(fresh) == 0 && len(changes) == 0 {
		return 0, nil
	}
	if testHookCompared != nil {
		testHookCompared()
	}
	// In the order of the time index, new rows go into its pages one after
	// another; in the listing's order (random, for some sources) each one
	// lands on another page. Within a time, failures first: Backups lists
	// the records of a time in the order they were stored.
	slices.SortFunc(fresh, func(a, b storedBackup) int {
		return cmp.Or(cmp.Compare(a.t, b.t), boolCmp(a.ok, b.ok), strings.Compare(a.id, b.id))
	})
	if len(fresh)+len(changes) >= bigWrite {
		restore, err := s.growCache(ctx)
		if err != nil {
			return 0, err
		}
		defer restore()
	}
	var added int
	err := s.write(ctx, func(tx *sql.Tx) error {
		setID, err := backupSetID(ctx, tx, set)
		if err != nil {
			return err
		}
		// Every row inserted here gets an id above the largest one now:
		// the write lock keeps other writers out until the commit.
		var top int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM backups").Scan(&top); err != nil {
			return err
		}
		if err := execBackups(ctx, tx, insertNewSQL, setID, fresh, ms(at)); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM backups WHERE id > ?", top).Scan(&added); err != nil {
			return err
		}
		if added < len(fresh) {
			// Some were stored by another process since the comparison:
			// make them what this listing says.
			changes = append(changes, fresh...)
		}
		return execBackups(ctx, tx, upsertSQL, setID, changes, ms(at))
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// testHookCompared, when set by a test, runs between the comparison with the
// store and the write of UpsertBackups.
var testHookCompared func()

// bigWrite is the number of records from which UpsertBackups gives the
// writer connection a larger page cache for the transaction.
const bigWrite = 10_000

// bigCacheKiB is that larger cache. Pages are allocated only as they are
// used: the first load of 100,000 records with random ids dirties some
// 15 MB of table and index pages in one transaction.
const bigCacheKiB = 64 << 10

// growCache raises the page cache of the writer connection (there is one)
// to bigCacheKiB until restore is called. A transaction that dirties more
// pages than the cache holds (2 MB by default) spills them to the WAL and
// reads them back, which made the first load of 100,000 records with random
// ids a third slower.
// The cache is lowered again afterwards, which frees the pages, so that a
// daemon does not keep the memory.
func (s *Store) growCache(ctx context.Context) (restore func(), err error) {
	var old int64
	if err := s.w.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&old); err != nil {
		return nil, classify(err)
	}
	if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = %d", -bigCacheKiB)); err != nil {
		return nil, classify(err)
	}
	return func() {
		// Without ctx: the cache must shrink even when ctx has ended. A
		// failure leaves a larger cache, which is no harm.
		_, _ = s.w.ExecContext(context.Background(), fmt.Sprintf("PRAGMA cache_size = %d", old))
	}, nil
}

// compareStored sets l.state from the set's stored records, read in one
// pass on a read connection.
func (s *Store) compareStored(ctx context.Context, set string, l *listing) error {
	rows, err := s.r.QueryContext(ctx, `SELECT b.time_ms, b.success, b.source_id, b.size_bytes, b.kind
		FROM backups b WHERE b.set_id = (SELECT id FROM backup_sets WHERE name = ?)`, set)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	var t, size int64
	var ok bool
	// Raw bytes: the driver's strings are compared, not copied.
	var id, kind sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&t, &ok, &id, &size, &kind); err != nil {
			return err
		}
		var i int
		var found bool
		if len(id) > 0 {
			i, found = l.byID[string(id)]
		} else {
			i, found = l.byTime[noIDKey{t, ok}]
		}
		if !found {
			continue
		}
		if b := &l.recs[i]; b.t == t && b.ok == ok && b.size == size && b.kind == string(kind) {
			l.state[i] = same
		} else {
			l.state[i] = changed
		}
	}
	return classify(rows.Err())
}

// insertNewSQL inserts records not stored yet. OR IGNORE leaves a record
// that is stored after all (another process was quicker) for an upsert to
// deal with. It also spares SQLite the statement journal that a statement
// of many rows needs when it may fail halfway (an upsert may): with random
// ids, such a statement touches a page of the id index for nearly every row,
// and journaling each page made the first load of a large set twice as
// slow. Failing CHECKs cannot be ignored silently this way: the rows are
// checked before, and a row ignored for any reason goes through the upsert.
func insertNewSQL(n int) string {
	return "INSERT OR IGNORE INTO backups (" + backupColumns + ") VALUES " + backupValues(n)
}

// upsertSQL inserts records or updates the ones they repeat.
func upsertSQL(n int) string {
	return "INSERT INTO backups (" + backupColumns + ") VALUES " + backupValues(n) + backupUpsert
}

func backupValues(n int) string {
	return strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", n-1) + "(?, ?, ?, ?, ?, ?, ?)"
}

// execBackups runs the statement that query makes for recs in set setID,
// upsertChunk records at a time.
func execBackups(ctx context.Context, tx *sql.Tx, query func(n int) string, setID int64, recs []storedBackup, atMS int64) error {
	// The statements run without a cancellable context: for each statement
	// with one, the driver starts a goroutine to watch it. ctx is checked
	// between statements instead.
	stmtCtx := context.WithoutCancel(ctx)
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, 7*min(len(recs), upsertChunk))
	for len(recs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(len(recs), upsertChunk)
		args = args[:0]
		for _, b := range recs[:n] {
			args = append(args, setID, b.t, b.ok, b.id, b.size, b.kind, atMS)
		}
		var err error
		if n == upsertChunk {
			if full == nil {
				if full, err = tx.PrepareContext(stmtCtx, query(n)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(stmtCtx, args...)
		} else {
			_, err = tx.ExecContext(stmtCtx, query(n), args...)
		}
		if err != nil {
			return fmt.Errorf("store backup records: %w", err)
		}
		recs = recs[n:]
	}
	return nil
}

// backupSetID returns the id of set, creating its row when it is new.
func backupSetID(ctx context.Context, tx *sql.Tx, set string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO backup_sets (name) VALUES (?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, set).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("backup set %q: %w", set, err)
	}
	return id, nil
}

// The row of a record, by its identity. Saying that source_id is not empty
// lets SQLite use the partial index of ids: without it, it scans the set.
const (
	backupByIDSQL = "SELECT id FROM backups WHERE set_id = ? AND source_id = ? AND source_id <> ''"
	backupNoIDSQL = "SELECT id FROM backups WHERE set_id = ? AND time_ms = ? AND success = ? AND source_id = ''"
)

// AddBackup stores one pushed record of set, seen at at, and returns its row
// id. The identity rules of UpsertBackups apply: pushing a record again
// returns the id it has, updated when its time, status, size or kind
// changed. The record is on disk when the call returns.
func (s *Store) AddBackup(ctx context.Context, set string, r backup.Record, at time.Time) (id int64, err error) {
	if err := checkSet(set, at); err != nil {
		return 0, fmt.Errorf("add backup: %w", err)
	}
	if err := checkRecord(r); err != nil {
		return 0, fmt.Errorf("add backup to %q: %w", set, err)
	}
	b := toStored(r)
	err = s.write(ctx, func(tx *sql.Tx) error {
		setID, err := backupSetID(ctx, tx, set)
		if err != nil {
			return err
		}
		if err := execBackups(ctx, tx, upsertSQL, setID, []storedBackup{b}, ms(at)); err != nil {
			return err
		}
		if b.id != "" {
			return tx.QueryRowContext(ctx, backupByIDSQL, setID, b.id).Scan(&id)
		}
		return tx.QueryRowContext(ctx, backupNoIDSQL, setID, b.t, b.ok).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("add backup to %q at %s: %w", set, r.Time.UTC().Format(time.RFC3339Nano), err)
	}
	return id, nil
}

// Backups returns the records of set with a time at or before until (all of
// them when until is zero), successful and failed, ordered by time, and
// records with the same time in the order they were stored (failures
// first within one listing). Times are UTC, to the millisecond. An unknown
// set has none.
func (s *Store) Backups(ctx context.Context, set string, until time.Time) ([]backup.Record, error) {
	if set == "" {
		return nil, errors.New("backups: set is empty")
	}
	_, hi := bounds(time.Time{}, until)
	rows, err := s.r.QueryContext(ctx, `SELECT b.time_ms, b.success, b.size_bytes, b.kind, b.source_id
		FROM backups b WHERE b.set_id = (SELECT id FROM backup_sets WHERE name = ?) AND b.time_ms <= ?
		ORDER BY b.time_ms, b.id`, set, hi)
	if err != nil {
		return nil, fmt.Errorf("backups of %q: %w", set, classify(err))
	}
	defer rows.Close()
	var out []backup.Record
	// Kinds are few: share their strings.
	kinds := make(map[string]string)
	var kind sql.RawBytes
	for rows.Next() {
		var r backup.Record
		var t int64
		if err := rows.Scan(&t, &r.Success, &r.SizeBytes, &kind, &r.ID); err != nil {
			return nil, fmt.Errorf("backups of %q: %w", set, err)
		}
		r.Time = fromMS(t)
		if k, ok := kinds[string(kind)]; ok {
			r.Kind = k
		} else {
			r.Kind = string(kind)
			kinds[r.Kind] = r.Kind
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("backups of %q: %w", set, classify(err))
	}
	return out, nil
}

// BackupSets returns the names of the sets the store holds anything of
// (records, restore tests or checks), sorted.
func (s *Store) BackupSets(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name FROM backup_sets ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("backup sets: %w", classify(err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("backup sets: %w", err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("backup sets: %w", classify(err))
	}
	return out, nil
}

// AddRestoreTest stores a restore test of set, recorded at at by by, and
// returns its id. End must be after Start (to the millisecond). A test is
// known by its set, start and end: recording it again returns the same id,
// and when its outcome changed, stores the new outcome with at and by. The
// test is on disk when the call returns.
func (s *Store) AddRestoreTest(ctx context.Context, set string, t backup.RestoreTest, by string, at time.Time) (int64, error) {
	if err := checkSet(set, at); err != nil {
		return 0, fmt.Errorf("add restore test: %w", err)
	}
	switch {
	case t.Start.IsZero():
		return 0, fmt.Errorf("add restore test of %q: start is zero", set)
	case ms(t.End) <= ms(t.Start):
		return 0, fmt.Errorf("add restore test of %q: end %s is not after start %s", set,
			t.End.UTC().Format(time.RFC3339Nano), t.Start.UTC().Format(time.RFC3339Nano))
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		setID, err := backupSetID(ctx, tx, set)
		if err != nil {
			return err
		}
		// The SET expressions see the row as it was.
		return tx.QueryRowContext(ctx, `INSERT INTO restore_tests (set_id, start_ms, end_ms, success, recorded_ms, recorded_by)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (set_id, start_ms, end_ms) DO UPDATE SET
				success = excluded.success,
				recorded_ms = iif(success = excluded.success, recorded_ms, excluded.recorded_ms),
				recorded_by = iif(success = excluded.success, recorded_by, excluded.recorded_by)
			RETURNING id`, setID, ms(t.Start), ms(t.End), t.Success, ms(at), by).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("add restore test of %q: %w", set, err)
	}
	return id, nil
}

// RestoreTests returns the restore tests of set that ended at or before
// until (all of them when until is zero), ordered by end, and tests with
// the same end in the order they were recorded.
func (s *Store) RestoreTests(ctx context.Context, set string, until time.Time) ([]backup.RestoreTest, error) {
	if set == "" {
		return nil, errors.New("restore tests: set is empty")
	}
	_, hi := bounds(time.Time{}, until)
	rows, err := s.r.QueryContext(ctx, `SELECT start_ms, end_ms, success FROM restore_tests
		WHERE set_id = (SELECT id FROM backup_sets WHERE name = ?) AND end_ms <= ?
		ORDER BY end_ms, id`, set, hi)
	if err != nil {
		return nil, fmt.Errorf("restore tests of %q: %w", set, classify(err))
	}
	defer rows.Close()
	var out []backup.RestoreTest
	for rows.Next() {
		var t backup.RestoreTest
		var a, b int64
		if err := rows.Scan(&a, &b, &t.Success); err != nil {
			return nil, fmt.Errorf("restore tests of %q: %w", set, err)
		}
		t.Start, t.End = fromMS(a), fromMS(b)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("restore tests of %q: %w", set, classify(err))
	}
	return out, nil
}

// RecordBackupCheck records a check of set's pull source at at: fine when
// checkErr is nil, failed otherwise. Only the latest check of a set is kept,
// with the number of failed checks in a row up to it and the time of the
// latest one that was fine. A check older than the one stored (two
// processes checking at once) changes nothing.
func (s *Store) RecordBackupCheck(ctx context.Context, set string, at time.Time, checkErr error) error {
	if err := checkSet(set, at); err != nil {
		return fmt.Errorf("record backup check: %w", err)
	}
	var msg sql.NullString
	if checkErr != nil {
		msg = sql.NullString{String: truncateUTF8(checkErr.Error(), maxCheckErr), Valid: true}
		if msg.String == "" {
			msg.String = "failed (no message)"
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		setID, err := backupSetID(ctx, tx, set)
		if err != nil {
			return err
		}
		failures, ok := 0, nullMS(at)
		if msg.Valid {
			failures, ok = 1, sql.NullInt64{}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO backup_checks (set_id, at_ms, err, failures, ok_ms) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (set_id) DO UPDATE SET
				at_ms = excluded.at_ms,
				err = excluded.err,
				failures = iif(excluded.err IS NULL, 0, failures + 1),
				ok_ms = iif(excluded.err IS NULL, excluded.at_ms, ok_ms)
			WHERE excluded.at_ms >= at_ms`, setID, ms(at), msg, failures, ok)
		return err
	})
	if err != nil {
		return fmt.Errorf("record backup check of %q: %w", set, err)
	}
	return nil
}

// BackupCheck returns the latest check of set's source, or ErrNotFound when
// it was never checked.
func (s *Store) BackupCheck(ctx context.Context, set string) (BackupCheck, error) {
	if set == "" {
		return BackupCheck{}, errors.New("backup check: set is empty")
	}
	var c BackupCheck
	var at int64
	var msg sql.NullString
	var ok sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT c.at_ms, c.err, c.failures, c.ok_ms
		FROM backup_checks c JOIN backup_sets s ON s.id = c.set_id WHERE s.name = ?`, set).
		Scan(&at, &msg, &c.ConsecutiveFailures, &ok)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return BackupCheck{}, fmt.Errorf("backup check of %q: %w", set, ErrNotFound)
	case err != nil:
		return BackupCheck{}, fmt.Errorf("backup check of %q: %w", set, classify(err))
	}
	c.At, c.Err, c.LastOK = fromMS(at), msg.String, fromNullMS(ok)
	return c, nil
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = "…"
	cut := n - len(more)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}
