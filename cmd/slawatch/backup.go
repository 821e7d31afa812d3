package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/store"
)

func cmdBackup(e *env, args []string) int {
	return e.dispatch("backup", args, []subcommand{
		{"status", "read pull sources, then show whether each set keeps its RPO and retention", backupStatus},
		{"record", "record one backup of a push set (what a backup job calls when it is done)", backupRecord},
	})
}

func cmdRestoreTest(e *env, args []string) int {
	return e.dispatch("restore-test", args, []subcommand{
		{"record", "record a restore test, measured against the RTO", restoreTestRecord},
	})
}

// backupSets resolves --set (all sets when empty).
func backupSets(cfg *config.Config, name string) ([]backup.Set, error) {
	var out []backup.Set
	for _, b := range cfg.Backups {
		if name != "" && b.Name != name {
			continue
		}
		s, err := b.Set(cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if name != "" && len(out) == 0 {
		return nil, fmt.Errorf("no backup set %q in %s", name, cfg.File)
	}
	return out, nil
}

func backupStatus(e *env, args []string) int {
	const name = "backup status"
	fs := e.flags(name, "--config FILE [--set NAME] [--at RFC3339] [--no-refresh] [--format text|json]",
		"Read each pull source (command, restic, directory), store what it lists, then evaluate every set at --at (default now).\n"+
			"Exit 0 when every set is met, 1 when one is not or its source failed.")
	cfgPath := fs.String("config", "", "config `file`")
	setName := fs.String("set", "", "only this set")
	var at timeFlag
	fs.Var(&at, "at", "evaluate at this time (RFC 3339); default now")
	noRefresh := fs.Bool("no-refresh", false, "evaluate what is stored without reading the sources")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
	}
	now := e.now()
	if at.t.IsZero() {
		at.t = now
	}
	var statuses []backup.Status
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		sets, err := backupSets(cfg, *setName)
		if err != nil {
			return err
		}
		for _, s := range sets {
			if !*noRefresh && s.Source != nil {
				// A failed read is recorded and makes the set "unknown"
				// below; it is not the command's failure.
				_, _ = backup.Refresh(ctx, st, s, now)
			}
			status, err := backup.StatusAt(ctx, st, s, at.t)
			if err != nil {
				return err
			}
			statuses = append(statuses, status)
		}
		return nil
	})
	if err != nil {
		return e.fail(name, err)
	}
	if format.v == "json" {
		if rc := e.printJSON(statuses); rc != exitOK {
			return rc
		}
	} else {
		writeBackupText(e.stdout, statuses)
	}
	for _, s := range statuses {
		if !s.Met || s.State == backup.StateUnknown {
			return exitFail
		}
	}
	return exitOK
}

func writeBackupText(w io.Writer, statuses []backup.Status) {
	if len(statuses) == 0 {
		fmt.Fprintln(w, "no backup sets configured")
		return
	}
	for i, s := range statuses {
		if i > 0 {
			fmt.Fprintln(w)
		}
		verdict := "MET"
		switch {
		case s.State == backup.StateUnknown:
			verdict = "UNKNOWN"
		case !s.Met:
			verdict = "NOT MET"
		}
		fmt.Fprintf(w, "%s (%s) at %s: %s\n", s.Set, s.Service, s.At.Format(time.RFC3339), verdict)
		if s.Error != "" {
			fmt.Fprintf(w, "  source error: %s\n", s.Error)
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		newest := "none"
		if s.Newest != nil && s.AgeSeconds != nil {
			newest = fmt.Sprintf("%s (%s old)", s.Newest.Format(time.RFC3339), secs(*s.AgeSeconds))
		}
		rpo := "no RPO"
		if s.RPOSeconds != nil {
			rpo = "RPO " + secs(*s.RPOSeconds)
		}
		fmt.Fprintf(tw, "  newest backup\t%s\t%s\t%s\n", newest, rpo, okText(s.RPOMet))
		pit := s.Retention.PointInTime
		if pit.Days > 0 {
			detail := "no gap"
			if pit.MaxGapSeconds != nil {
				detail = fmt.Sprintf("largest gap %s", secs(*pit.MaxGapSeconds))
			}
			if len(pit.Gaps) > 0 {
				detail += fmt.Sprintf(", %d over the RPO", len(pit.Gaps))
			}
			fmt.Fprintf(tw, "  point in time\tlast %gd\t%s\t%s\n", pit.Days, detail, okText(pit.Met))
		}
		for _, tier := range []struct {
			name string
			t    backup.TierStatus
		}{{"weekly", s.Retention.Weekly}, {"monthly", s.Retention.Monthly}} {
			if tier.t.Required == 0 {
				continue
			}
			var empty []string
			for _, b := range tier.t.Buckets {
				if b.Backup == nil {
					empty = append(empty, b.Label)
				}
			}
			detail := fmt.Sprintf("%d of %d filled", len(tier.t.Buckets)-len(empty), tier.t.Required)
			if len(empty) > 0 {
				detail += ", empty: " + strings.Join(empty, " ")
			}
			fmt.Fprintf(tw, "  %s\tprevious %d\t%s\t%s\n", tier.name, tier.t.Required, detail, okText(tier.t.Met))
		}
		if rt := s.RTO; rt != nil && rt.RTO != nil {
			last := "no successful restore test"
			if rt.RestoreTests.NewestSuccess != nil && rt.RestoreTests.AgeSeconds != nil {
				last = fmt.Sprintf("last restore test %s ago", secs(*rt.RestoreTests.AgeSeconds))
				if rt.RestoreTests.LastDurationSeconds != nil {
					last += fmt.Sprintf(", took %s", secs(*rt.RestoreTests.LastDurationSeconds))
				}
			}
			fmt.Fprintf(tw, "  RTO %s\t%s\t%d outages past the RTO\t\n", *rt.RTO, last, len(rt.Outages.Breaches))
		}
		tw.Flush()
		for _, g := range pit.Gaps {
			fmt.Fprintf(w, "  gap %s – %s (%s)\n", g.Start.Format(time.RFC3339), g.End.Format(time.RFC3339), secs(g.Seconds))
		}
	}
}

func okText(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Second).String()
}

func backupRecord(e *env, args []string) int {
	const name = "backup record"
	fs := e.flags(name, "--config FILE --set NAME --time RFC3339 [--status success|failure] [--size BYTES] [--kind full|incremental|log] [--id ID]",
		"Record one backup of a set whose source is push: the backup job's own report, like a Healthchecks ping.")
	cfgPath := fs.String("config", "", "config `file`")
	setName := fs.String("set", "", "backup set `name`")
	var t timeFlag
	fs.Var(&t, "time", "when the backup captured its data (RFC 3339)")
	status := newFormat("success", "failure")
	fs.Var(status, "status", "success or failure")
	size := fs.Int64("size", 0, "size in bytes")
	kind := fs.String("kind", "", "full, incremental or log")
	id := fs.String("id", "", "the backup's id, to make the record idempotent")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "set", "time"); err != nil {
		return e.usageErr(name, err.Error())
	}
	rec := backup.Record{Time: t.t, Success: status.v == "success", SizeBytes: *size, Kind: *kind, ID: *id}
	if err := rec.Check(); err != nil {
		return e.usageErr(name, err.Error())
	}
	var rowID int64
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		if err := pushable(cfg, *setName); err != nil {
			return err
		}
		var err error
		rowID, err = st.AddBackup(ctx, *setName, rec, e.now().Truncate(time.Millisecond))
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stdout, "backup of %s at %s recorded (%s, record %d)\n", *setName, rec.Time.Format(time.RFC3339), status.v, rowID)
	return exitOK
}

// pushable checks that records may be pushed to the set: it exists and its
// source is push (a pull source's listing is the truth for its set).
func pushable(cfg *config.Config, set string) error {
	b := cfg.Backup(set)
	if b == nil {
		return fmt.Errorf("no backup set %q in %s", set, cfg.File)
	}
	if b.Source.Push == nil {
		return fmt.Errorf("backup set %s reads its records from its %s source; records can be pushed only to sets with source: {push: {}}", set, b.Source.Kind())
	}
	return nil
}

func restoreTestRecord(e *env, args []string) int {
	const name = "restore-test record"
	fs := e.flags(name, "--config FILE --set NAME --start RFC3339 --end RFC3339 [--failed] [--by WHO]",
		"Record a restore test of a backup set: how long a restore took, measured against the RTO.")
	cfgPath := fs.String("config", "", "config `file`")
	setName := fs.String("set", "", "backup set `name`")
	var start, end timeFlag
	fs.Var(&start, "start", "when the restore began (RFC 3339)")
	fs.Var(&end, "end", "when service was restored (RFC 3339)")
	failed := fs.Bool("failed", false, "the restore did not succeed")
	by := fs.String("by", currentUser(), "who ran it")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "set", "start", "end"); err != nil {
		return e.usageErr(name, err.Error())
	}
	if !end.t.After(start.t) {
		return e.usageErr(name, "--end must be after --start")
	}
	test := backup.RestoreTest{Start: start.t, End: end.t, Success: !*failed}
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		if cfg.Backup(*setName) == nil {
			return fmt.Errorf("no backup set %q in %s", *setName, cfg.File)
		}
		_, err := st.AddRestoreTest(ctx, *setName, test, *by, e.now().Truncate(time.Millisecond))
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stdout, "restore test of %s recorded: %s (%s)\n", *setName, end.t.Sub(start.t), map[bool]string{true: "succeeded", false: "failed"}[test.Success])
	return exitOK
}
