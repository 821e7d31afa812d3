package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// files creates files (with parent directories) of the given sizes and
// modification times under dir.
func files(t *testing.T, dir string, fs map[string]time.Time) {
	t.Helper()
	for name, mtime := range fs {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("x", len(name))), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
}

func directorySource(t *testing.T, spec DirectorySpec, baseDir string) *DirectorySource {
	t.Helper()
	s, err := NewDirectorySource(spec, 0, baseDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDirectorySourceMtime(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "backups", "portal")
	d1 := ts(t, "2026-10-21T02:00:00Z")
	d2 := ts(t, "2026-10-22T02:00:00Z")
	d3 := ts(t, "2026-10-23T02:00:00Z")
	files(t, dir, map[string]time.Time{
		"portal-a.dump":          d2,
		"portal-b.dump":          d1,
		"portal-c.dump":          d3,
		"notes.txt":              d3,
		".portal-d.dump.part":    d3, // an upload in progress
		".hidden.dump":           d3,
		"old/portal-old.dump":    d1.Add(-24 * time.Hour),
		".snapshots/x.dump":      d1,
		"old/deeper/portal.dump": d1.Add(-48 * time.Hour),
	})
	if err := os.Symlink("portal-c.dump", filepath.Join(dir, "latest.dump")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("gone.dump", filepath.Join(dir, "dangling.dump")); err != nil {
		t.Fatal(err)
	}

	// The path is relative to the config file's directory.
	recs, err := directorySource(t, DirectorySpec{Path: "backups/portal", Pattern: "*.dump"}, base).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertRecords(t, recs, []Record{
		{Time: d1, Success: true, SizeBytes: 13, ID: "portal-b.dump"},
		{Time: d2, Success: true, SizeBytes: 13, ID: "portal-a.dump"},
		{Time: d3, Success: true, SizeBytes: 13, ID: "latest.dump"}, // a link counts as the file it names
		{Time: d3, Success: true, SizeBytes: 13, ID: "portal-c.dump"},
	})

	// Default pattern "*": every regular file, hidden ones aside.
	recs, err = directorySource(t, DirectorySpec{Path: dir}, "").Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Errorf("pattern *: got %d records, want 5: %+v", len(recs), recs)
	}

	// A pattern starting with '.' matches hidden files.
	recs, err = directorySource(t, DirectorySpec{Path: dir, Pattern: ".*.dump"}, "").Fetch(context.Background())
	if err != nil || len(recs) != 1 || recs[0].ID != ".hidden.dump" {
		t.Errorf("pattern .*.dump: got %+v, %v", recs, err)
	}

	// Recursive: subdirectories too, hidden ones aside; ids are paths.
	recs, err = directorySource(t, DirectorySpec{Path: dir, Pattern: "portal*.dump", Recursive: true}, "").Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertRecords(t, recs, []Record{
		{Time: d1.Add(-48 * time.Hour), Success: true, SizeBytes: 22, ID: "old/deeper/portal.dump"},
		{Time: d1.Add(-24 * time.Hour), Success: true, SizeBytes: 19, ID: "old/portal-old.dump"},
		{Time: d1, Success: true, SizeBytes: 13, ID: "portal-b.dump"},
		{Time: d2, Success: true, SizeBytes: 13, ID: "portal-a.dump"},
		{Time: d3, Success: true, SizeBytes: 13, ID: "portal-c.dump"},
	})

	// A root that is a symbolic link is followed, recursive or not.
	link := filepath.Join(base, "portal-link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, rec := range []bool{false, true} {
		recs, err = directorySource(t, DirectorySpec{Path: link, Pattern: "portal-b.dump", Recursive: rec}, "").Fetch(context.Background())
		if err != nil || len(recs) != 1 || recs[0].ID != "portal-b.dump" {
			t.Errorf("linked root, recursive %v: got %+v, %v", rec, recs, err)
		}
	}

	// Fetch may run concurrently.
	s := directorySource(t, DirectorySpec{Path: dir, Recursive: true}, "")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if recs, err := s.Fetch(context.Background()); err != nil || len(recs) != 7 {
				t.Errorf("concurrent fetch: %d records, %v", len(recs), err)
			}
		})
	}
	wg.Wait()

	// No match is an empty set, not an error.
	recs, err = directorySource(t, DirectorySpec{Path: dir, Pattern: "*.tar.gz"}, "").Fetch(context.Background())
	if err != nil || recs == nil || len(recs) != 0 {
		t.Errorf("no match: got %+v, %v", recs, err)
	}
}

func TestDirectorySourceNameLayout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mtime := ts(t, "2026-11-01T00:00:00Z") // not what counts
	files(t, dir, map[string]time.Time{
		"portal-20261021T020000.dump":    mtime,
		"portal-20261101T020000.dump":    mtime, // after the clocks went back
		"portal-20261021T020000b.dump":   mtime,
		"portal-latest.dump":             mtime, // no time in the name: skipped
		"v2-portal-20261022T020000.dump": mtime,
		"portal-120261023T020000.dump":   mtime, // inside a longer number: no time
	})
	s := directorySource(t, DirectorySpec{Path: dir, Pattern: "*.dump", TimeFrom: "name", NameLayout: "20060102T150405", Timezone: "Europe/Amsterdam"}, "")
	recs, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertRecords(t, recs, []Record{
		{Time: ts(t, "2026-10-21T02:00:00+02:00"), Success: true, SizeBytes: 27, ID: "portal-20261021T020000.dump"},
		{Time: ts(t, "2026-10-21T02:00:00+02:00"), Success: true, SizeBytes: 28, ID: "portal-20261021T020000b.dump"},
		{Time: ts(t, "2026-10-22T02:00:00+02:00"), Success: true, SizeBytes: 30, ID: "v2-portal-20261022T020000.dump"},
		{Time: ts(t, "2026-11-01T02:00:00+01:00"), Success: true, SizeBytes: 27, ID: "portal-20261101T020000.dump"},
	})

	// Without a timezone, layout times without an offset are UTC.
	s = directorySource(t, DirectorySpec{Path: dir, Pattern: "portal-2*.dump", TimeFrom: "name", NameLayout: "20060102T150405"}, "")
	recs, err = s.Fetch(context.Background())
	if err != nil || len(recs) != 3 || !recs[0].Time.Equal(ts(t, "2026-10-21T02:00:00Z")) {
		t.Errorf("UTC: got %+v, %v", recs, err)
	}

	// When files match but none has a time in its name, the layout is
	// wrong: an error rather than an empty set.
	s = directorySource(t, DirectorySpec{Path: dir, Pattern: "*.dump", TimeFrom: "name", NameLayout: "2006-01-02"}, "")
	_, err = s.Fetch(context.Background())
	if want := "directory " + dir + `: no file name holds a time in layout "2006-01-02" (e.g. "portal-120261023T020000.dump")`; err == nil || err.Error() != want {
		t.Errorf("got %v", err)
	}
}

func TestDirectorySourceVariableLayouts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mtime := ts(t, "2026-11-01T00:00:00Z")
	files(t, dir, map[string]time.Time{
		"db-2026-Sep-21.sql.gz":                 mtime,
		"db-2026-May-2.sql.gz":                  mtime,
		"app_2026-10-21T02:00:00Z.tar":          mtime,
		"app_2026-10-21T03:15:00+02:00.tar":     mtime,
		"app_2026-10-21T04:00:00.250-07:00.tar": mtime,
	})
	for _, tc := range []struct {
		pattern, layout string
		want            []string // RFC 3339, in time order
	}{
		{"db-*", "2006-Jan-2", []string{"2026-05-02T00:00:00Z", "2026-09-21T00:00:00Z"}},
		{"app_*", "2006-01-02T15:04:05.999Z07:00", []string{"2026-10-21T01:15:00Z", "2026-10-21T02:00:00Z", "2026-10-21T11:00:00.25Z"}},
	} {
		s := directorySource(t, DirectorySpec{Path: dir, Pattern: tc.pattern, TimeFrom: "name", NameLayout: tc.layout}, "")
		recs, err := s.Fetch(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", tc.layout, err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Time.UTC().Format(time.RFC3339Nano))
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: got %v, want %v", tc.layout, got, tc.want)
		}
	}
}

func TestDirectorySourceMissing(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	_, err := directorySource(t, DirectorySpec{Path: "nope"}, base).Fetch(context.Background())
	if want := "directory " + filepath.Join(base, "nope") + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	_, err = directorySource(t, DirectorySpec{Path: "nope", Recursive: true}, base).Fetch(context.Background())
	if want := "directory " + filepath.Join(base, "nope") + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("recursive: got %v, want %q", err, want)
	}
	files(t, base, map[string]time.Time{"file": time.Now()})
	for _, rec := range []bool{false, true} {
		_, err = directorySource(t, DirectorySpec{Path: "file", Recursive: rec}, base).Fetch(context.Background())
		if want := "directory " + filepath.Join(base, "file") + ": not a directory"; err == nil || err.Error() != want {
			t.Errorf("recursive %v: got %v, want %q", rec, err, want)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = directorySource(t, DirectorySpec{Path: base}, "").Fetch(ctx)
	if err == nil || !strings.HasSuffix(err.Error(), "context canceled") {
		t.Errorf("canceled: got %v", err)
	}
}

func TestLayoutLengths(t *testing.T) {
	t.Parallel()
	for layout, want := range map[string][]int{
		"20060102T150405": {15},
		"2006-Jan-2":      {11, 10},
		"Z07:00":          {6, 1},
		"2006-January-02": {17, 16, 15, 14, 13, 12, 11},
	} {
		if got := layoutLengths(layout); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", layout, got, want)
		}
	}
}
