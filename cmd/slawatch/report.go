package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(s string) error {
	*m = append(*m, s)
	return nil
}

var _ flag.Value = (*multiFlag)(nil)

func cmdReport(e *env, args []string) int {
	const name = "report"
	fs := e.flags(name, "--config FILE [--service NAME ...] (--month YYYY-MM | --year YYYY) [--store [NAME=]FILE ... [--merge all|any]] [--format text|json|csv|markdown|html] [--out FILE]",
		"Uptime report of a calendar month or year in each policy's time zone; a period still running counts to now.\n"+
			"Name services with --service (repeatable) for full reports; leave it out for a summary table of all services.\n"+
			"--store reads that store (e.g. a copy made by `slawatch db backup`) instead of the config's storage.path.\n"+
			"Give it once per region to merge the regions' stores into one report: --store eu=eu.db --store us=us.db.\n"+
			"--merge all (default): down only when every region watching saw the service down; any: when any region did.\n"+
			"Backups and responsiveness come from the first --store.")
	cfgPath := fs.String("config", "", "config `file`")
	var services multiFlag
	fs.Var(&services, "service", "service `name` (repeatable)")
	month := fs.String("month", "", "calendar month, YYYY-MM")
	year := fs.String("year", "", "calendar year, YYYY")
	format := newFormat("text", "json", "csv", "markdown", "html")
	fs.Var(format, "format", "output format: text, json, csv, markdown or html")
	out := fs.String("out", "", "write to this `file` instead of standard output")
	var storeArgs multiFlag
	fs.Var(&storeArgs, "store", "read this store `[NAME=]FILE` instead of storage.path; repeat to merge regions (NAME defaults to the file name without extension)")
	mergeFlag := fs.String("merge", string(uptime.MergeAll), "how several --store merge: all (down only when every region watching saw it down) or any")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
	}
	rule, err := uptime.ParseMergeRule(*mergeFlag)
	if err != nil {
		return e.usageErr(name, "--merge: "+err.Error())
	}
	stores, err := parseStores(storeArgs)
	if err != nil {
		return e.usageErr(name, "--store: "+err.Error())
	}
	if len(stores) == 0 && flagGiven(fs, "merge") {
		return e.usageErr(name, "--merge needs --store, once per region")
	}
	kind, label := uptime.KindMonth, *month
	switch {
	case *month != "" && *year != "":
		return e.usageErr(name, "give --month or --year, not both")
	case *year != "":
		kind, label = uptime.KindYear, *year
		if _, err := uptime.ParseYear(label, nil, e.now()); err != nil {
			return e.usageErr(name, "--year: "+err.Error())
		}
	case *month != "":
		if _, err := uptime.ParseMonth(label, nil, e.now()); err != nil {
			return e.usageErr(name, "--month: "+err.Error())
		}
	default:
		return e.usageErr(name, "--month or --year is required")
	}

	var buf bytes.Buffer
	now := e.now()
	err = withReportStores(*cfgPath, stores, func(ctx context.Context, cfg *config.Config, st *store.Store, regions []uptime.RegionHistory) error {
		svcs, err := selectServices(cfg, services...)
		if err != nil {
			return err
		}
		var reports []uptime.Report
		var inputs []uptime.Input
		if len(regions) > 1 {
			reports, inputs, err = uptime.BuildAllMerged(ctx, rule, regions, svcs, kind, label, now)
		} else {
			reports, inputs, err = uptime.BuildAll(ctx, st, svcs, kind, label, now)
		}
		if err != nil {
			return err
		}
		f := uptime.Format(format.v)
		opts := uptime.RenderOptions{Now: now, Generator: "slawatch " + version}
		if len(services) == 0 {
			return uptime.RenderSummary(&buf, f, reports, opts)
		}
		// Backups and responsiveness are facts of one instance: with
		// several stores they come from the first.
		sets, err := backupSets(cfg, "")
		if err != nil {
			return err
		}
		if err := backup.AddToReports(ctx, st, sets, reports, now); err != nil {
			return err
		}
		if err := alerts.AddToReports(ctx, st, reports, cfg.AlertDeadlines, now); err != nil {
			return err
		}
		return uptime.RenderReports(&buf, f, reports, inputs, opts)
	})
	if err != nil {
		return e.fail(name, err)
	}
	if *out == "" {
		_, _ = e.stdout.Write(buf.Bytes())
		return exitOK
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stderr, "report written to %s\n", *out)
	return exitOK
}

// storeArg is one --store: a region's name and its store file.
type storeArg struct{ name, path string }

// parseStores parses --store values, NAME=FILE or FILE. A FILE alone is
// named by its base name without extension (/backups/eu.db is eu); so is
// one whose "=" comes after a path separator (./a=b.db).
func parseStores(args []string) ([]storeArg, error) {
	var out []storeArg
	seen := make(map[string]string)
	for _, a := range args {
		s := storeArg{path: a}
		if i := strings.IndexByte(a, '='); i > 0 && !strings.ContainsAny(a[:i], `/\`) {
			s.name, s.path = a[:i], a[i+1:]
		}
		if s.path == "" {
			return nil, fmt.Errorf("%q names no file: want NAME=FILE or FILE", a)
		}
		if s.name == "" {
			base := filepath.Base(s.path)
			s.name = strings.TrimSuffix(base, filepath.Ext(base))
			if s.name == "" {
				s.name = base
			}
		}
		if p, dup := seen[s.name]; dup {
			return nil, fmt.Errorf("two stores named %q (%s and %s): name them NAME=FILE", s.name, p, s.path)
		}
		seen[s.name] = s.path
		out = append(out, s)
	}
	return out, nil
}

// flagGiven reports whether the flag was set on the command line.
func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// withReportStores runs fn with the config and the stores a report reads:
// the config's storage.path when stores is empty (regions nil), or else each
// of stores, opened in turn, with st the first of them and regions all of
// them in order. A store file must exist: opening a missing one would
// create an empty store and report it as never monitored.
func withReportStores(cfgPath string, stores []storeArg, fn func(ctx context.Context, cfg *config.Config, st *store.Store, regions []uptime.RegionHistory) error) (err error) {
	if len(stores) == 0 {
		return withStore(cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
			return fn(ctx, cfg, st, nil)
		})
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var opened []*store.Store
	defer func() {
		for i, st := range opened {
			if cerr := st.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("store %s: close %s: %w", stores[i].name, stores[i].path, cerr)
			}
		}
	}()
	regions := make([]uptime.RegionHistory, 0, len(stores))
	for _, s := range stores {
		fi, err := os.Stat(s.path)
		if err != nil {
			return fmt.Errorf("store %s: %w", s.name, err)
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("store %s: %s is not a file", s.name, s.path)
		}
		st, err := store.Open(ctx, s.path)
		if err != nil {
			return fmt.Errorf("store %s: %w", s.name, err)
		}
		opened = append(opened, st)
		regions = append(regions, uptime.RegionHistory{Region: s.name, History: st})
	}
	return fn(ctx, cfg, opened[0], regions)
}

// writeFileAtomic writes through a temporary file and a rename, so a failed
// run never leaves half a report behind.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
