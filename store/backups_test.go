package store

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slawatch/slawatch/backup"
)

// The store is what checking and evaluating backup sets read and write.
var _ backup.Store = (*Store)(nil)

// rec is a backup record at n seconds after t0.
func rec(n int, ok bool, size int64, kind, id string) backup.Record {
	return backup.Record{Time: sec(n), Success: ok, SizeBytes: size, Kind: kind, ID: id}
}

// backups is Backups of set up to until, failing the test on error.
func backups(t *testing.T, s *Store, set string, until time.Time) []backup.Record {
	t.Helper()
	got, err := s.Backups(t.Context(), set, until)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func upsert(t *testing.T, s *Store, set string, recs []backup.Record, at time.Time) int {
	t.Helper()
	n, err := s.UpsertBackups(t.Context(), set, recs, at)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// backupRow is what the store keeps of a record besides the record itself.
type backupRow struct {
	firstSeen, updated time.Time
}

func backupRows(t *testing.T, s *Store, set string) map[string]backupRow {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), `SELECT b.source_id, b.time_ms, b.success, b.first_seen_ms, b.updated_ms
		FROM backups b JOIN backup_sets s ON s.id = b.set_id WHERE s.name = ?`, set)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := make(map[string]backupRow)
	for rows.Next() {
		var id string
		var tm, first int64
		var ok bool
		var upd *int64
		if err := rows.Scan(&id, &tm, &ok, &first, &upd); err != nil {
			t.Fatal(err)
		}
		if id == "" {
			id = fromMS(tm).Format(time.RFC3339Nano)
			if !ok {
				id += " failed"
			}
		}
		r := backupRow{firstSeen: fromMS(first)}
		if upd != nil {
			r.updated = fromMS(*upd)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUpsertBackupsIdentity(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path)
	ctx := t.Context()
	const set = "portal-db"

	listing := []backup.Record{
		rec(100, true, 1000, backup.KindFull, "a"),
		rec(200, false, 0, "", "b"),
		rec(300, true, 5, backup.KindLog, ""),
		rec(300, false, 0, "", ""), // same time, other status: another record
	}
	if n := upsert(t, s, set, listing, sec(1000)); n != 4 {
		t.Fatalf("first listing added %d, want 4", n)
	}
	want := []backup.Record{listing[0], listing[1], listing[3], listing[2]} // by time; a failure first
	if got := backups(t, s, set, time.Time{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("Backups = %+v\nwant %+v", got, want)
	}
	for id, r := range backupRows(t, s, set) {
		if !r.firstSeen.Equal(sec(1000)) || !r.updated.IsZero() {
			t.Errorf("%s: first seen %v, updated %v; want %v, never", id, r.firstSeen, r.updated, sec(1000))
		}
	}

	// The same listing again, in another order, in another process: nothing
	// is added or touched.
	s.Close()
	s = openTest(t, path)
	again := slices.Clone(listing)
	slices.Reverse(again)
	if n := upsert(t, s, set, again, sec(2000)); n != 0 {
		t.Errorf("same listing again added %d", n)
	}
	for id, r := range backupRows(t, s, set) {
		if !r.firstSeen.Equal(sec(1000)) || !r.updated.IsZero() {
			t.Errorf("after re-read %s: first seen %v, updated %v", id, r.firstSeen, r.updated)
		}
	}

	// The source pruned b, a grew, the record without an id at 300 s got a
	// size (its identity is its time and status), and a new backup came.
	next := []backup.Record{
		rec(100, true, 2000, backup.KindFull, "a"),
		rec(300, true, 7, backup.KindLog, ""),
		rec(300, false, 0, "", ""),
		rec(400, true, 10, backup.KindIncremental, "c"),
	}
	if n := upsert(t, s, set, next, sec(3000)); n != 1 {
		t.Errorf("next listing added %d, want 1 (c)", n)
	}
	want = []backup.Record{next[0], listing[1], next[2], next[1], next[3]} // b is kept
	if got := backups(t, s, set, time.Time{}); !reflect.DeepEqual(got, want) {
		t.Fatalf("after next listing: %+v\nwant %+v", got, want)
	}
	rows := backupRows(t, s, set)
	for id, w := range map[string]backupRow{
		"a":                               {sec(1000), sec(3000)},
		"b":                               {sec(1000), time.Time{}},
		"c":                               {sec(3000), time.Time{}},
		sec(300).Format(time.RFC3339Nano): {sec(1000), sec(3000)},
		sec(300).Format(time.RFC3339Nano) + " failed": {sec(1000), time.Time{}},
	} {
		if rows[id] != w {
			t.Errorf("%s: %+v, want %+v", id, rows[id], w)
		}
	}

	// A record with an id is that record whatever its time and status: the
	// source corrected a.
	moved := rec(150, false, 2000, backup.KindFull, "a")
	if n := upsert(t, s, set, []backup.Record{moved}, sec(4000)); n != 0 {
		t.Errorf("moving a added %d", n)
	}
	got := backups(t, s, set, time.Time{})
	if len(got) != 5 || got[0] != moved {
		t.Errorf("after moving a: %+v", got)
	}

	// Repeats within one listing are one record; the last one wins.
	dup := []backup.Record{
		rec(500, true, 1, "", "d"),
		rec(500, true, 2, "", "d"),
		rec(600, true, 1, "", ""),
		rec(600, true, 3, "", ""),
		// Within the same millisecond, records without an id are one.
		{Time: sec(600).Add(400 * time.Microsecond), Success: true, SizeBytes: 4},
	}
	if n := upsert(t, s, set, dup, sec(5000)); n != 2 {
		t.Errorf("listing with repeats added %d, want 2", n)
	}
	got = backups(t, s, set, time.Time{})
	if n := len(got); n != 7 || got[5] != rec(500, true, 2, "", "d") || got[6] != rec(600, true, 4, "", "") {
		t.Errorf("after repeats: %+v", got)
	}

	// Ids are per set.
	if n := upsert(t, s, "other", []backup.Record{rec(100, true, 1, "", "a")}, sec(6000)); n != 1 {
		t.Errorf("id a in another set added %d, want 1", n)
	}
	if got := backups(t, s, set, time.Time{}); len(got) != 7 || got[0] != moved {
		t.Errorf("another set's a changed this one: %+v", got)
	}

	// An empty listing (a source that lists nothing) changes nothing.
	if n := upsert(t, s, set, nil, sec(7000)); n != 0 {
		t.Errorf("empty listing added %d", n)
	}
	if n := len(backups(t, s, set, time.Time{})); n != 7 {
		t.Errorf("%d records after an empty listing, want 7", n)
	}
	if _, err := s.UpsertBackups(ctx, "", listing, sec(1)); err == nil {
		t.Error("upsert without a set succeeded")
	}
}

func TestUpsertBackupsRefusesBadRecords(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	good := rec(10, true, 1, "", "ok")
	for name, c := range map[string]struct {
		set  string
		recs []backup.Record
		at   time.Time
	}{
		"no set":        {"", []backup.Record{good}, sec(1)},
		"no time":       {"s", []backup.Record{good}, time.Time{}},
		"record time":   {"s", []backup.Record{good, {Success: true, ID: "x"}}, sec(1)},
		"negative size": {"s", []backup.Record{good, rec(20, true, -1, "", "x")}, sec(1)},
	} {
		_, err := s.UpsertBackups(ctx, c.set, c.recs, c.at)
		if err == nil {
			t.Errorf("%s: upsert succeeded", name)
			continue
		}
		if len(c.recs) > 1 && !strings.Contains(err.Error(), "record 1") {
			t.Errorf("%s: error %q does not say which record", name, err)
		}
		if _, err := s.AddBackup(ctx, c.set, c.recs[len(c.recs)-1], c.at); err == nil {
			t.Errorf("%s: add succeeded", name)
		}
	}
	// Nothing was half-written: not even the good record before the bad one.
	if n := countRows(t, s, "backups"); n != 0 {
		t.Errorf("%d records stored after refusals", n)
	}
}

func TestAddBackup(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path)
	ctx := t.Context()
	const set = "pushed"
	add := func(r backup.Record, at time.Time) int64 {
		t.Helper()
		id, err := s.AddBackup(ctx, set, r, at)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	a := add(rec(100, true, 10, backup.KindFull, "a"), sec(101))
	noID := add(rec(200, true, 20, "", ""), sec(201))
	failed := add(rec(200, false, 0, "", ""), sec(202))
	if a == noID || noID == failed {
		t.Fatalf("ids %d, %d, %d are not distinct", a, noID, failed)
	}

	// A retried push is the record already stored.
	if id := add(rec(100, true, 10, backup.KindFull, "a"), sec(300)); id != a {
		t.Errorf("pushing a again: id %d, want %d", id, a)
	}
	if id := add(rec(200, true, 20, "", ""), sec(300)); id != noID {
		t.Errorf("pushing the record without an id again: id %d, want %d", id, noID)
	}
	// A push that changes a record updates it.
	if id := add(rec(100, true, 11, backup.KindFull, "a"), sec(400)); id != a {
		t.Errorf("pushing a with a new size: id %d, want %d", id, a)
	}
	if id := add(rec(200, true, 21, backup.KindLog, ""), sec(400)); id != noID {
		t.Errorf("pushing the record without an id with a new size: id %d, want %d", id, noID)
	}
	// A pulled listing with the same record is the same row.
	if n := upsert(t, s, set, []backup.Record{rec(100, true, 11, backup.KindFull, "a")}, sec(500)); n != 0 {
		t.Errorf("listing the pushed record added %d", n)
	}
	s.Close()

	s = openTest(t, path)
	// Records with the same time in the order they were stored.
	want := []backup.Record{rec(100, true, 11, backup.KindFull, "a"), rec(200, true, 21, backup.KindLog, ""), rec(200, false, 0, "", "")}
	if got := backups(t, s, set, time.Time{}); !reflect.DeepEqual(got, want) {
		t.Errorf("Backups = %+v\nwant %+v", got, want)
	}
	rows := backupRows(t, s, set)
	if r := rows["a"]; !r.firstSeen.Equal(sec(101)) || !r.updated.Equal(sec(400)) {
		t.Errorf("a: %+v, want first seen at 101 s, updated at 400 s", r)
	}
}

func TestBackupsUntil(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	const set = "s"
	// Times with sub-millisecond parts and in another zone: stored to the
	// millisecond, returned in UTC.
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	var in []backup.Record
	for i := range 50 {
		in = append(in, backup.Record{Time: sec(i * 60).Add(123456 * time.Microsecond).In(ams), Success: i%7 != 3, ID: string(rune('A' + i))})
	}
	shuffled := slices.Clone(in)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	upsert(t, s, set, shuffled, sec(0))
	norm := func(rs []backup.Record) []backup.Record {
		out := make([]backup.Record, len(rs))
		for i, r := range rs {
			r.Time = r.Time.Truncate(time.Millisecond).UTC()
			out[i] = r
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		until time.Time
		want  []backup.Record
	}{
		{"all", time.Time{}, norm(in)},
		{"at a record", sec(600).Add(123 * time.Millisecond), norm(in[:11])},
		{"just before it", sec(600).Add(122 * time.Millisecond), norm(in[:10])},
		{"within its millisecond", sec(600).Add(123*time.Millisecond + 999*time.Microsecond), norm(in[:11])},
		{"before all", sec(-1), nil},
		{"after all", sec(1e6), norm(in)},
	} {
		got, err := s.Backups(ctx, set, tc.until)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Backups(until %v) = %d records %v\nwant %d %v", tc.name, tc.until, len(got), got, len(tc.want), tc.want)
		}
	}
	for _, r := range backups(t, s, set, time.Time{}) {
		if r.Time.Location() != time.UTC {
			t.Fatalf("time %v is not UTC", r.Time)
		}
	}
	if got, err := s.Backups(ctx, "unknown", time.Time{}); err != nil || got != nil {
		t.Errorf("unknown set: %v, %v", got, err)
	}
	if _, err := s.Backups(ctx, "", time.Time{}); err == nil {
		t.Error("Backups without a set succeeded")
	}

	// What Evaluate gets from the store is what it would get from the
	// source, evaluated at a past moment.
	p := backup.Policy{RPO: 5 * time.Minute}
	at := sec(30 * 60)
	got := backup.Evaluate(set, "svc", backups(t, s, set, at), p, at)
	want := backup.Evaluate(set, "svc", norm(in), p, at)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Evaluate of stored records\n%+v\nwant\n%+v", got, want)
	}
}

func TestRestoreTests(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path)
	ctx := t.Context()
	const set = "portal-db"
	rt := func(a, b int, ok bool) backup.RestoreTest {
		return backup.RestoreTest{Start: sec(a), End: sec(b), Success: ok}
	}
	for name, bad := range map[string]backup.RestoreTest{
		"end before start": rt(100, 50, true),
		"empty":            rt(100, 100, true),
		"empty to the ms":  {Start: sec(100), End: sec(100).Add(999 * time.Microsecond)},
		"no start":         {End: sec(100)},
		"no end":           {Start: sec(100)},
	} {
		if _, err := s.AddRestoreTest(ctx, set, bad, "alice", sec(1)); err == nil {
			t.Errorf("%s: added", name)
		}
	}
	if _, err := s.AddRestoreTest(ctx, "", rt(1, 2, true), "alice", sec(1)); err == nil {
		t.Error("added without a set")
	}
	if _, err := s.AddRestoreTest(ctx, set, rt(1, 2, true), "alice", time.Time{}); err == nil {
		t.Error("added without a time")
	}
	if n := countRows(t, s, "restore_tests"); n != 0 {
		t.Fatalf("%d tests stored after refusals", n)
	}

	ids := map[string]int64{}
	for name, c := range map[string]backup.RestoreTest{
		"late":  rt(1000, 5000, true), // ends last though it started first
		"early": rt(2000, 3000, false),
		"mid":   rt(3000, 4000, true),
	} {
		id, err := s.AddRestoreTest(ctx, set, c, "alice", sec(6000))
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	if _, err := s.AddRestoreTest(ctx, "other", rt(2000, 3000, true), "bob", sec(6000)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openTest(t, path)
	for _, tc := range []struct {
		until time.Time
		want  []backup.RestoreTest
	}{
		{time.Time{}, []backup.RestoreTest{rt(2000, 3000, false), rt(3000, 4000, true), rt(1000, 5000, true)}},
		{sec(4000), []backup.RestoreTest{rt(2000, 3000, false), rt(3000, 4000, true)}},
		{sec(4000).Add(-time.Millisecond), []backup.RestoreTest{rt(2000, 3000, false)}},
		{sec(2999), nil}, // running at that moment, not yet recorded
	} {
		got, err := s.RestoreTests(ctx, set, tc.until)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("RestoreTests(until %v) = %+v\nwant %+v", tc.until, got, tc.want)
		}
	}

	// Recording a test again is that test; a changed outcome replaces the
	// old one, with who said so.
	if id, err := s.AddRestoreTest(ctx, set, rt(2000, 3000, false), "bob", sec(7000)); err != nil || id != ids["early"] {
		t.Errorf("recording early again: %d, %v; want id %d", id, err, ids["early"])
	}
	if id, err := s.AddRestoreTest(ctx, set, rt(3000, 4000, false), "carol", sec(8000)); err != nil || id != ids["mid"] {
		t.Errorf("correcting mid: %d, %v; want id %d", id, err, ids["mid"])
	}
	var by string
	var recorded int64
	for name, want := range map[string]string{"early": "alice", "mid": "carol"} {
		if err := s.r.QueryRowContext(ctx, "SELECT recorded_by, recorded_ms FROM restore_tests WHERE id = ?", ids[name]).Scan(&by, &recorded); err != nil {
			t.Fatal(err)
		}
		if by != want {
			t.Errorf("%s recorded by %q, want %q", name, by, want)
		}
	}
	got, err := s.RestoreTests(ctx, set, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1] != rt(3000, 4000, false) {
		t.Errorf("after the correction: %+v", got)
	}
	if got, err := s.RestoreTests(ctx, "unknown", time.Time{}); err != nil || got != nil {
		t.Errorf("unknown set: %v, %v", got, err)
	}
}

func TestBackupChecks(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path)
	ctx := t.Context()
	const set = "restic"
	check := func(at int, err error) {
		t.Helper()
		if err := s.RecordBackupCheck(ctx, set, sec(at), err); err != nil {
			t.Fatal(err)
		}
	}
	want := func(c BackupCheck) {
		t.Helper()
		got, err := s.BackupCheck(ctx, set)
		if err != nil {
			t.Fatal(err)
		}
		if got != c {
			t.Errorf("BackupCheck = %+v\nwant %+v", got, c)
		}
	}

	if _, err := s.BackupCheck(ctx, set); !errors.Is(err, ErrNotFound) {
		t.Fatalf("never checked: %v, want ErrNotFound", err)
	}
	repoDown := errors.New("restic snapshots: repository does not exist")
	check(10, repoDown)
	want(BackupCheck{At: sec(10), Err: repoDown.Error(), ConsecutiveFailures: 1})
	check(20, repoDown)
	check(30, errors.New("timeout"))
	want(BackupCheck{At: sec(30), Err: "timeout", ConsecutiveFailures: 3})
	check(40, nil)
	want(BackupCheck{At: sec(40), LastOK: sec(40)})
	check(50, nil)
	check(60, repoDown)
	want(BackupCheck{At: sec(60), Err: repoDown.Error(), ConsecutiveFailures: 1, LastOK: sec(50)})

	// A check that finished after a newer one was recorded (a CLI refresh
	// while the daemon checked) changes nothing.
	check(55, nil)
	check(45, repoDown)
	want(BackupCheck{At: sec(60), Err: repoDown.Error(), ConsecutiveFailures: 1, LastOK: sec(50)})

	// Kept across a restart; one row per set.
	s.Close()
	s = openTest(t, path)
	check(70, repoDown)
	want(BackupCheck{At: sec(70), Err: repoDown.Error(), ConsecutiveFailures: 2, LastOK: sec(50)})
	if n := countRows(t, s, "backup_checks"); n != 1 {
		t.Errorf("%d check rows, want 1", n)
	}

	// A long error is cut, whole characters only; an error with no message
	// still reads as a failure.
	long := errors.New(strings.Repeat("é", 5000))
	check(80, long)
	got, err := s.BackupCheck(ctx, set)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Err) > maxCheckErr || !utf8.ValidString(got.Err) || !strings.HasPrefix(long.Error(), strings.TrimSuffix(got.Err, "…")) {
		t.Errorf("long error stored as %d bytes, valid UTF-8 %v", len(got.Err), utf8.ValidString(got.Err))
	}
	check(90, errors.New(""))
	if got, err := s.BackupCheck(ctx, set); err != nil || got.Err == "" || got.ConsecutiveFailures != 4 {
		t.Errorf("error without a message: %+v, %v", got, err)
	}

	for name, err := range map[string]error{
		"no set":  s.RecordBackupCheck(ctx, "", sec(1), nil),
		"no time": s.RecordBackupCheck(ctx, set, time.Time{}, nil),
	} {
		if err == nil {
			t.Errorf("%s: recorded", name)
		}
	}
	if _, err := s.BackupCheck(ctx, "never"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a set never checked: %v, want ErrNotFound", err)
	}

	// As backup.StatusAt reads it.
	if msg, err := s.BackupCheckError(ctx, "never"); err != nil || msg != "" {
		t.Errorf("BackupCheckError of a set never checked = %q, %v", msg, err)
	}
	check(100, repoDown)
	if msg, err := s.BackupCheckError(ctx, set); err != nil || msg != repoDown.Error() {
		t.Errorf("BackupCheckError after a failed check = %q, %v", msg, err)
	}
	check(110, nil)
	if msg, err := s.BackupCheckError(ctx, set); err != nil || msg != "" {
		t.Errorf("BackupCheckError after a good check = %q, %v", msg, err)
	}
}

func TestBackupSets(t *testing.T) {
	s := openTest(t, tempDB(t))
	ctx := t.Context()
	if got, err := s.BackupSets(ctx); err != nil || len(got) != 0 {
		t.Fatalf("BackupSets of a new store = %v, %v", got, err)
	}
	if _, err := s.AddBackup(ctx, "pushed", rec(1, true, 0, "", ""), sec(2)); err != nil {
		t.Fatal(err)
	}
	upsert(t, s, "pulled", []backup.Record{rec(1, true, 0, "", "x")}, sec(2))
	if _, err := s.AddRestoreTest(ctx, "tested", backup.RestoreTest{Start: sec(1), End: sec(2)}, "", sec(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordBackupCheck(ctx, "failing", sec(1), errors.New("down")); err != nil {
		t.Fatal(err)
	}
	upsert(t, s, "pulled", []backup.Record{rec(2, true, 0, "", "y")}, sec(3))
	upsert(t, s, "empty", nil, sec(3)) // lists nothing: not a set of the store yet
	got, err := s.BackupSets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"failing", "pulled", "pushed", "tested"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BackupSets = %v, want %v", got, want)
	}
}

func TestTruncateUTF8(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"ab€€€", 9, "ab€…"}, // the second € would be split
	} {
		if got := truncateUTF8(tc.s, tc.n); got != tc.want || len(got) > tc.n {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// TestUpsertBackupsRace: records stored by another process between the
// comparison with the store and the write are not added twice, and end up
// as the listing says.
func TestUpsertBackupsRace(t *testing.T) {
	path := tempDB(t)
	daemon := openTest(t, path)
	cli := openTest(t, path)
	ctx := t.Context()
	const set = "s"
	upsert(t, daemon, set, []backup.Record{rec(10, true, 1, "", "old")}, sec(20))

	listing := []backup.Record{
		rec(10, true, 1, "", "old"),
		rec(100, true, 5, backup.KindFull, "x"),
		rec(200, true, 6, "", ""),
		rec(300, true, 7, "", "y"),
	}
	testHookCompared = func() {
		// Meanwhile, the CLI stores x and the record without an id, with
		// other sizes, and y as the listing has it.
		for _, r := range []backup.Record{rec(100, true, 50, "", "x"), rec(200, true, 60, "", ""), listing[3]} {
			if _, err := cli.AddBackup(ctx, set, r, sec(250)); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(func() { testHookCompared = nil })
	n := upsert(t, daemon, set, listing, sec(400))
	testHookCompared = nil
	if n != 0 {
		t.Errorf("added %d, want 0: the CLI stored the new records first", n)
	}
	if got := backups(t, daemon, set, time.Time{}); !reflect.DeepEqual(got, listing) {
		t.Errorf("Backups = %+v\nwant %+v", got, listing)
	}
	rows := backupRows(t, daemon, set)
	if r := rows["x"]; !r.firstSeen.Equal(sec(250)) || !r.updated.Equal(sec(400)) {
		t.Errorf("x: %+v, want first seen by the CLI at 250 s, updated at 400 s", r)
	}
	if r := rows["y"]; !r.firstSeen.Equal(sec(250)) || !r.updated.IsZero() {
		t.Errorf("y: %+v, want first seen by the CLI at 250 s, never updated", r)
	}
}

// TestBackupQueriesUseIndexes: looking up one record of a large set, as each
// push does, uses an index rather than scanning the set.
func TestBackupQueriesUseIndexes(t *testing.T) {
	s := openTest(t, tempDB(t))
	for _, c := range []struct {
		query, index string
		args         []any
	}{
		{backupByIDSQL, "backups_source_id", []any{1, "x"}},
		{backupNoIDSQL, "backups_no_id", []any{1, 2, true}},
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+c.query, c.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if len(plan) != 1 || !strings.Contains(plan[0], "USING COVERING INDEX "+c.index+" ") {
			t.Errorf("%s\nplan %q, want a search of %s", c.query, plan, c.index)
		}
	}
}
