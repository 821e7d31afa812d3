package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	fs := e.flags(name, "--config FILE [--service NAME ...] (--month YYYY-MM | --year YYYY) [--format text|json|csv|markdown|html] [--out FILE]",
		"Uptime report of a calendar month or year in each policy's time zone; a period still running counts to now.\n"+
			"Name services with --service (repeatable) for full reports; leave it out for a summary table of all services.")
	cfgPath := fs.String("config", "", "config `file`")
	var services multiFlag
	fs.Var(&services, "service", "service `name` (repeatable)")
	month := fs.String("month", "", "calendar month, YYYY-MM")
	year := fs.String("year", "", "calendar year, YYYY")
	format := newFormat("text", "json", "csv", "markdown", "html")
	fs.Var(format, "format", "output format: text, json, csv, markdown or html")
	out := fs.String("out", "", "write to this `file` instead of standard output")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
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
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		svcs, err := selectServices(cfg, services...)
		if err != nil {
			return err
		}
		reports, inputs, err := uptime.BuildAll(ctx, st, svcs, kind, label, now)
		if err != nil {
			return err
		}
		f := uptime.Format(format.v)
		opts := uptime.RenderOptions{Now: now, Generator: "slawatch " + version}
		if len(services) == 0 {
			return uptime.RenderSummary(&buf, f, reports, opts)
		}
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
