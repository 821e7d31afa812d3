package backup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DirectorySpec is a directory source: each file in a directory (that
// matches Pattern) is a successful backup.
type DirectorySpec struct {
	// Path is the directory, relative to the config file's directory.
	Path string `yaml:"path"`
	// Pattern is a glob (path/filepath.Match) matched against each file's
	// name, not its directory; default "*". As in a shell, names starting
	// with '.' (in-progress uploads, say) match only a pattern that starts
	// with '.' too.
	Pattern string `yaml:"pattern"`
	// TimeFrom says where a backup's time comes from: "mtime" (the
	// default), the file's modification time, or "name", a time written in
	// its name in NameLayout.
	TimeFrom string `yaml:"time_from"`
	// NameLayout is a Go time layout ("20060102T150405" for
	// portal-20261021T020000.dump), required with time_from: name. The
	// backup's time is the leftmost part of the file name that parses with
	// it, where a part that starts (ends) with a digit does not have a
	// digit just before (after) it. The layout must hold a full date.
	NameLayout string `yaml:"name_layout"`
	// Timezone is the zone of name-layout times that give no offset;
	// default UTC. Only with time_from: name.
	Timezone string `yaml:"timezone"`
	// Recursive also looks in subdirectories (not those whose name starts
	// with '.'); a record's id is then its path below Path.
	Recursive bool `yaml:"recursive"`
}

// Ways of taking a backup's time from a file.
const (
	TimeFromMtime = "mtime"
	TimeFromName  = "name"
)

// Validate checks s without touching the file system. Keys in its errors
// are relative to the directory block: "pattern: …".
func (s *DirectorySpec) Validate() error {
	var p problems
	s.check(&p, "")
	return p.err()
}

func (s *DirectorySpec) check(p *problems, prefix string) {
	if strings.TrimSpace(s.Path) == "" {
		p.add(prefix+"path", "missing; want the directory holding the backups")
	} else if strings.IndexByte(s.Path, 0) >= 0 {
		p.add(prefix+"path", "holds a NUL byte")
	}
	if s.Pattern != "" {
		if strings.ContainsRune(s.Pattern, '/') {
			p.add(prefix+"pattern", "%q is matched against file names and cannot hold '/'", s.Pattern)
		} else if _, err := filepath.Match(s.Pattern, ""); err != nil {
			p.add(prefix+"pattern", "%q is not a valid glob: %v", s.Pattern, err)
		}
	}
	switch s.TimeFrom {
	case "", TimeFromMtime:
		if s.NameLayout != "" {
			p.add(prefix+"name_layout", "only with time_from: name")
		}
		if s.Timezone != "" {
			p.add(prefix+"timezone", "only with time_from: name")
		}
	case TimeFromName:
		if s.NameLayout == "" {
			p.add(prefix+"name_layout", "missing; time_from: name needs a Go time layout like \"20060102T150405\"")
		} else if err := checkNameLayout(s.NameLayout); err != nil {
			p.add(prefix+"name_layout", "%v", err)
		}
		if s.Timezone != "" {
			if _, err := time.LoadLocation(s.Timezone); err != nil {
				p.add(prefix+"timezone", "unknown time zone %q", s.Timezone)
			}
		}
	default:
		p.add(prefix+"time_from", "unknown value %q; want mtime or name", s.TimeFrom)
	}
}

// layoutProbe is a time whose fields all differ, to see which of them a
// layout keeps.
var layoutProbe = time.Date(2026, 10, 21, 14, 35, 47, 0, time.UTC)

// checkNameLayout checks that a layout holds a full date.
func checkNameLayout(layout string) error {
	t, err := time.Parse(layout, layoutProbe.Format(layout))
	if err != nil || t.Year() != layoutProbe.Year() || t.Month() != layoutProbe.Month() || t.Day() != layoutProbe.Day() {
		return fmt.Errorf("%q does not hold a full date (year, month and day), like \"20060102T150405\"", layout)
	}
	return nil
}

// DirectorySource lists the files of a directory as backups: time from
// the file's mtime or name, SizeBytes its size, ID its path below the
// directory ('/'-separated). Only regular files count (symbolic links to
// them too). A directory that is missing or cannot be read is an error,
// not an empty set.
type DirectorySource struct {
	root      string
	pattern   string
	byName    bool
	layout    string
	lengths   []int // lengths a time formatted in layout can have, longest first
	loc       *time.Location
	recursive bool
	timeout   time.Duration
}

var _ Source = (*DirectorySource)(nil)

// NewDirectorySource builds a directory source; path is relative to
// baseDir. timeout bounds a scan (0 is DefaultTimeout).
func NewDirectorySource(s DirectorySpec, timeout time.Duration, baseDir string) (*DirectorySource, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if timeout < 0 {
		return nil, fmt.Errorf("timeout: %v is negative", timeout)
	}
	d := &DirectorySource{
		root:      resolve(baseDir, s.Path),
		pattern:   cmp.Or(s.Pattern, "*"),
		byName:    s.TimeFrom == TimeFromName,
		layout:    s.NameLayout,
		loc:       time.UTC,
		recursive: s.Recursive,
		timeout:   timeoutOr(timeout),
	}
	if d.byName {
		d.lengths = layoutLengths(s.NameLayout)
		if s.Timezone != "" {
			loc, err := time.LoadLocation(s.Timezone)
			if err != nil {
				return nil, fmt.Errorf("timezone: unknown time zone %q", s.Timezone)
			}
			d.loc = loc
		}
	}
	return d, nil
}

// Fetch scans the directory.
func (d *DirectorySource) Fetch(ctx context.Context) ([]Record, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, d.timeout, errTimeout)
	defer cancel()
	// The scan checks ctx between files, but a stat on a hung network
	// file system cannot be interrupted: then Fetch returns without it.
	type result struct {
		recs    []Record
		unnamed string
		err     error
	}
	done := make(chan result, 1)
	go func() {
		recs, unnamed, err := d.scan(ctx)
		done <- result{recs, unnamed, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res.err = ctx.Err()
	}
	recs, unnamed, err := res.recs, res.unnamed, res.err
	switch {
	case err != nil && context.Cause(ctx) == errTimeout:
		return nil, fmt.Errorf("directory %s: scan timed out after %v", d.root, d.timeout)
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("directory %s: %w", d.root, context.Cause(ctx))
	case err != nil:
		return nil, fmt.Errorf("directory %s: %w", d.root, err)
	case len(recs) == 0 && unnamed != "":
		// Files match, but none has a time in its name: a wrong layout is
		// likelier than a set without backups.
		return nil, fmt.Errorf("directory %s: no file name holds a time in layout %q (e.g. %q)", d.root, d.layout, unnamed)
	}
	slices.SortStableFunc(recs, func(a, b Record) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.ID, b.ID))
	})
	return recs, nil
}

// scan lists the matching files. unnamed is a matching file whose name
// holds no time, when time comes from names.
func (d *DirectorySource) scan(ctx context.Context) (recs []Record, unnamed string, err error) {
	recs = []Record{}
	add := func(rel string, de fs.DirEntry) error {
		name := de.Name()
		if !d.match(name) {
			return nil
		}
		info, err := de.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed since it was listed
				return nil
			}
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			if info, err = os.Stat(filepath.Join(d.root, rel)); err != nil {
				return nil // a dangling link is no backup
			}
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		r := Record{Time: info.ModTime(), Success: true, SizeBytes: info.Size(), ID: filepath.ToSlash(rel)}
		if d.byName {
			t, ok := d.nameTime(name)
			if !ok {
				if unnamed == "" {
					unnamed = filepath.ToSlash(rel)
				}
				return nil
			}
			r.Time = t
		}
		recs = append(recs, r)
		return nil
	}

	if !d.recursive {
		entries, err := os.ReadDir(d.root)
		if err != nil {
			return nil, "", unwrapPath(err)
		}
		for _, de := range entries {
			if err := ctx.Err(); err != nil {
				return nil, "", err
			}
			if err := add(de.Name(), de); err != nil {
				return nil, "", err
			}
		}
		return recs, unnamed, nil
	}

	// WalkDir does not follow a root that is a symbolic link.
	root, err := filepath.EvalSymlinks(d.root)
	if err != nil {
		return nil, "", unwrapPath(err)
	}
	err = filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return unwrapPath(err)
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == root {
			if !de.IsDir() {
				return fmt.Errorf("not a directory")
			}
			return nil
		}
		if de.IsDir() {
			if strings.HasPrefix(de.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		return add(rel, de)
	})
	if err != nil {
		return nil, "", err
	}
	return recs, unnamed, nil
}

// unwrapPath drops the path from an error about the root, which the
// caller names already: "open /x: no such file or directory" becomes "no
// such file or directory".
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// match applies the pattern to a file name.
func (d *DirectorySource) match(name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(d.pattern, ".") {
		return false
	}
	ok, _ := filepath.Match(d.pattern, name) // checked by Validate
	return ok
}

// nameTime finds the leftmost part of name that parses in the layout.
// Candidate parts have one of the lengths a formatted time can have,
// longest first at each position; a part that starts (ends) with a digit
// must not follow (precede) one, so that a layout is not matched inside a
// longer number.
func (d *DirectorySource) nameTime(name string) (time.Time, bool) {
	for i := range len(name) {
		if i > 0 && isDigit(name[i-1]) && isDigit(name[i]) {
			continue
		}
		for _, n := range d.lengths {
			j := i + n
			if j > len(name) || (j < len(name) && isDigit(name[j-1]) && isDigit(name[j])) {
				continue
			}
			if t, err := time.ParseInLocation(d.layout, name[i:j], d.loc); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// layoutLengths are the lengths a time formatted in layout can have,
// longest first: month and day names, unpadded numbers, fractions and zones
// make a layout's output vary in length. They are found by formatting
// times that take every month, weekday, one- and two-digit field,
// fraction length and kind of zone.
func layoutLengths(layout string) []int {
	zones := []*time.Location{
		time.UTC,
		time.FixedZone("", 2*3600),
		time.FixedZone("", -(9*3600 + 30*60)),
		time.FixedZone("CEST", 2*3600),
		time.FixedZone("ACDT", 10*3600+30*60),
	}
	seen := map[int]bool{}
	for _, loc := range zones {
		for m := time.January; m <= time.December; m++ {
			for _, day := range []int{1, 5, 9, 10, 11, 12, 25} { // every weekday, one and two digits
				for _, hms := range [][3]int{{1, 2, 3}, {13, 24, 35}, {0, 0, 0}, {12, 10, 10}} {
					for _, ns := range []int{0, 1, 120_000_000, 123_456_789} {
						t := time.Date(2026, m, day, hms[0], hms[1], hms[2], ns, loc)
						seen[len(t.Format(layout))] = true
					}
				}
			}
		}
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out
}
