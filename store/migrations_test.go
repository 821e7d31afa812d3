package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/uptime"
)

// TestReleasedMigrationsUnchanged: a migration that has been released must
// never change, since files already at its version will not run it again.
// Add a new migration instead. Pin each new one here when it is released.
func TestReleasedMigrationsUnchanged(t *testing.T) {
	released := []string{
		1: "546f4bf4493c78be0675bfc98ad5cc95272feded811ee71ff26b8ed5c566dd88",
		2: "874efb144f6357ae4f25803d898c84f8ae9d13dc05409a41951eddb865ac4f11",
		3: "0f8725bb7f9ff80e73ee1a3b02b967c0e5c1a97e26458a7c441c32fc8752ad99",
		4: "97f544fb091afcd2f3ab348663c3e0e9709d4044cd15b1bb41a82a4a11404086",
		5: "e2b87d37758416c36f06fdcfb31bef906535cd336980e020b47d3b59cd76eaa2",
	}
	for v := 1; v < len(released) && v <= len(migrations); v++ {
		sum := sha256.Sum256([]byte(migrations[v-1]))
		if got := hex.EncodeToString(sum[:]); got != released[v] {
			t.Errorf("migration %d has SHA-256 %s, released as %s: add a new migration rather than edit a released one", v, got, released[v])
		}
	}
}

// withMigrations makes this binary know only the first n migrations, as an
// older slawatch did, until restore is called or the test ends.
func withMigrations(t *testing.T, n int) (restore func()) {
	t.Helper()
	all := migrations
	migrations = all[:n]
	restore = func() { migrations = all }
	t.Cleanup(restore)
	return restore
}

// TestMigrateV1File: a file written by a version-1 slawatch (this code with
// only migration 1, writing through the same code paths) is brought to the
// current version on open, keeping its data, and ends up with the same
// schema as a new file.
func TestMigrateV1File(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()

	restore := withMigrations(t, 1)
	v1 := openTest(t, path)
	oid, err := v1.InsertOutage(ctx, uptime.Outage{Service: "web", Start: sec(10), End: sec(70), Source: uptime.SourceProbe, Cause: "timeout"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v1.ExcludeOutage(ctx, oid, "storm", "alice", sec(100)); err != nil {
		t.Fatal(err)
	}
	w := v1.NewWriter(WriterOptions{FlushInterval: time.Hour})
	for n := 0; n <= 300; n += 30 {
		w.Add(result("web", "home", sec(n), n != 30))
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	v1Outage, err := v1.Outage(ctx, oid)
	if err != nil {
		t.Fatal(err)
	}
	v1Results := countResults(t, v1, "web")
	if n := tableCount(t, v1, "maintenance"); n != 0 {
		t.Fatalf("a version-1 file has a maintenance table")
	}
	v1.Close()
	restore()

	s := openTest(t, path)
	var versions []int
	rows, err := s.r.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	rows.Close()
	if want := allVersions(); !reflect.DeepEqual(versions, want) {
		t.Errorf("schema_migrations %v, want %v", versions, want)
	}

	// The data of version 1 is all there.
	if o, err := s.Outage(ctx, oid); err != nil || !reflect.DeepEqual(o, v1Outage) {
		t.Errorf("outage after migration = %+v, %v; want %+v", o, err, v1Outage)
	}
	if ev, err := s.OutageEvents(ctx, oid); err != nil || len(ev) != 1 {
		t.Errorf("outage events after migration = %+v, %v", ev, err)
	}
	if n := countResults(t, s, "web"); n != v1Results {
		t.Errorf("%d results after migration, want %d", n, v1Results)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}

	// The same schema as a file made new.
	fresh := openTest(t, tempDB(t))
	if got, want := schema(t, s), schema(t, fresh); !reflect.DeepEqual(got, want) {
		t.Errorf("migrated schema\n%v\ndiffers from a new file's\n%v", got, want)
	}

	// What version 2 adds works on it, with the spans version 1 wrote.
	if _, err := s.AddMaintenance(ctx, uptime.Window{Service: "web", Start: sec(400), End: sec(500),
		Source: uptime.SourceCLI, AnnouncedAt: sec(0)}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordState(ctx, "web", uptime.StateDegraded, sec(200)); err != nil {
		t.Fatal(err)
	}
	if err := s.CloseDanglingStates(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stateIntervals(t, s, "web", uptime.StateDegraded, sec(1000)); !reflect.DeepEqual(got, []uptime.Interval{iv(200, 300)}) {
		t.Errorf("degraded after CloseDanglingStates = %v, want [200 s, 300 s] (the v1 span's end)", got)
	}
	s.Close()

	// A version-1 binary refuses the file now, and leaves it as it is.
	withMigrations(t, 1)
	if s, err := Open(ctx, path); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("a version-1 binary opening a version-2 file: %v, want ErrSchemaTooNew", err)
	}
}

// TestMigrateV2File: a file written by a version-2 slawatch (outages,
// results, maintenance windows and state intervals, through the same code
// paths) is brought to the current version on open, keeping its data, ends
// up with the same schema as a new file, and takes backup records, restore
// tests and checks (version 3).
func TestMigrateV2File(t *testing.T) {
	path := tempDB(t)
	ctx := t.Context()

	restore := withMigrations(t, 2)
	v2 := openTest(t, path)
	oid, err := v2.InsertOutage(ctx, uptime.Outage{Service: "web", Start: sec(10), End: sec(70), Source: uptime.SourceProbe, Cause: "timeout"})
	if err != nil {
		t.Fatal(err)
	}
	w := v2.NewWriter(WriterOptions{FlushInterval: time.Hour})
	for n := 0; n <= 300; n += 30 {
		w.Add(result("web", "home", sec(n), n != 30))
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	win := uptime.Window{Service: "web", Start: sec(400), End: sec(500), Reason: "patching",
		Source: uptime.SourceCLI, AnnouncedAt: sec(0), AnnouncedBy: "alice"}
	if win.ID, err = v2.AddMaintenance(ctx, win); err != nil {
		t.Fatal(err)
	}
	if err := v2.RecordState(ctx, "web", uptime.StateDown, sec(30)); err != nil {
		t.Fatal(err)
	}
	v2Results := countResults(t, v2, "web")
	v2States, err := v2.CurrentStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := tableCount(t, v2, "backups"); n != 0 {
		t.Fatalf("a version-2 file has a backups table")
	}
	v2.Close()
	restore()

	s := openTest(t, path)
	var versions []int
	rows, err := s.r.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	rows.Close()
	if want := allVersions(); !reflect.DeepEqual(versions, want) {
		t.Errorf("schema_migrations %v, want %v", versions, want)
	}

	// The data of version 2 is all there.
	if o, err := s.Outage(ctx, oid); err != nil || o.Cause != "timeout" || !o.End.Equal(sec(70)) {
		t.Errorf("outage after migration = %+v, %v", o, err)
	}
	if n := countResults(t, s, "web"); n != v2Results {
		t.Errorf("%d results after migration, want %d", n, v2Results)
	}
	if got, err := s.MaintenanceWindow(ctx, win.ID); err != nil || !reflect.DeepEqual(got, win) {
		t.Errorf("maintenance window after migration = %+v, %v; want %+v", got, err, win)
	}
	if got, err := s.CurrentStates(ctx); err != nil || !reflect.DeepEqual(got, v2States) {
		t.Errorf("current states after migration = %v, %v; want %v", got, err, v2States)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}

	// The same schema as a file made new.
	fresh := openTest(t, tempDB(t))
	if got, want := schema(t, s), schema(t, fresh); !reflect.DeepEqual(got, want) {
		t.Errorf("migrated schema\n%v\ndiffers from a new file's\n%v", got, want)
	}

	// What version 3 adds works on it.
	listing := []backup.Record{
		{Time: sec(100), Success: true, SizeBytes: 1 << 20, Kind: backup.KindFull, ID: "s1"},
		{Time: sec(200), Success: false},
	}
	if n, err := s.UpsertBackups(ctx, "web-db", listing, sec(300)); err != nil || n != 2 {
		t.Fatalf("UpsertBackups on a migrated file: %d, %v", n, err)
	}
	if _, err := s.AddRestoreTest(ctx, "web-db", backup.RestoreTest{Start: sec(400), End: sec(500), Success: true}, "alice", sec(500)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordBackupCheck(ctx, "web-db", sec(300), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Backups(ctx, "web-db", time.Time{}); err != nil || !reflect.DeepEqual(got, listing) {
		t.Errorf("Backups on a migrated file = %+v, %v", got, err)
	}
	if got, err := s.BackupSets(ctx); err != nil || !reflect.DeepEqual(got, []string{"web-db"}) {
		t.Errorf("BackupSets on a migrated file = %v, %v", got, err)
	}
	s.Close()

	// A version-2 binary refuses the file now, and leaves it as it is.
	restore = withMigrations(t, 2)
	if s, err := Open(ctx, path); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("a version-2 binary opening a migrated file: %v, want ErrSchemaTooNew", err)
	}
	restore()
	s = openTest(t, path)
	if got, err := s.Backups(ctx, "web-db", time.Time{}); err != nil || len(got) != 2 {
		t.Errorf("Backups after a version-2 binary refused the file = %+v, %v", got, err)
	}
}

// allVersions is every schema version this binary knows, 1 to
// SchemaVersion(): what schema_migrations lists once a file is migrated.
func allVersions() []int {
	var v []int
	for n := 1; n <= SchemaVersion(); n++ {
		v = append(v, n)
	}
	return v
}

// schema lists the file's tables and indexes with their SQL.
func schema(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.r.QueryContext(t.Context(), "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, tbl, sql string
		if err := rows.Scan(&typ, &name, &tbl, &sql); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ+" "+name+" on "+tbl+": "+sql)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tableCount(t *testing.T, s *Store, name string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
