package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
	"github.com/slawatch/slawatch/web"
)

func cmdMaintenance(e *env, args []string) int {
	return e.dispatch("maintenance", args, []subcommand{
		{"add", "announce a maintenance window", maintenanceAdd},
		{"list", "list maintenance windows (announced and from the config)", maintenanceList},
		{"cancel", "cancel an announced window", maintenanceCancel},
	})
}

func maintenanceAdd(e *env, args []string) int {
	const name = "maintenance add"
	fs := e.flags(name, "--config FILE --service NAME --start RFC3339 --end RFC3339 [--reason TEXT] [--by WHO]",
		"Announce a maintenance window. Its announcement time is now: a policy with maintenance_notice flags windows announced late.")
	cfgPath := fs.String("config", "", "config `file`")
	svc := fs.String("service", "", "service `name`")
	var start, end timeFlag
	fs.Var(&start, "start", "when it begins (RFC 3339)")
	fs.Var(&end, "end", "when it ends (RFC 3339)")
	reason := fs.String("reason", "", "why")
	by := fs.String("by", currentUser(), "who announces it")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "service", "start", "end"); err != nil {
		return e.usageErr(name, err.Error())
	}
	w := uptime.Window{Service: *svc, Start: start.t, End: end.t, Reason: *reason, Source: uptime.SourceCLI,
		AnnouncedAt: e.now().Truncate(time.Millisecond), AnnouncedBy: *by}
	if err := uptime.CheckWindow(w); err != nil {
		return e.usageErr(name, err.Error())
	}
	var late bool
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		sc := cfg.Service(w.Service)
		if sc == nil {
			return fmt.Errorf("no service %q in %s", w.Service, cfg.File)
		}
		if sc.Pol != nil {
			late = uptime.Late(w, sc.Pol.MaintenanceNotice)
		}
		id, err := st.AddMaintenance(ctx, w)
		w.ID = id
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	if format.v == "json" {
		return e.printJSON(web.NewWindowJSON(w))
	}
	fmt.Fprintf(e.stdout, "maintenance %d announced: %s %s – %s (%s)\n", w.ID, w.Service,
		w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), w.End.Sub(w.Start))
	if late {
		fmt.Fprintf(e.stderr, "warning: announced with %s notice, less than the policy's maintenance_notice: it counts as ordinary time unless the policy says late_maintenance: exclude\n",
			uptime.NoticeOf(w).Round(time.Minute))
	}
	return exitOK
}

func maintenanceList(e *env, args []string) int {
	const name = "maintenance list"
	fs := e.flags(name, "--config FILE [--service NAME] [--from RFC3339] [--to RFC3339] [--cancelled] [--format text|json]",
		"List maintenance windows that overlap a range (default: 30 days back to 30 days ahead), announced and from the config.")
	cfgPath := fs.String("config", "", "config `file`")
	svc := fs.String("service", "", "only this service")
	var from, to timeFlag
	fs.Var(&from, "from", "range start (RFC 3339)")
	fs.Var(&to, "to", "range end (RFC 3339)")
	cancelled := fs.Bool("cancelled", false, "include cancelled windows")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
	}
	now := e.now()
	if from.t.IsZero() {
		from.t = now.Add(-30 * 24 * time.Hour)
	}
	if to.t.IsZero() {
		to.t = now.Add(30 * 24 * time.Hour)
	}
	if !to.t.After(from.t) {
		return e.usageErr(name, "--to must be after --from")
	}
	var ws []uptime.Window
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		svcs, err := selectServices(cfg, *svc)
		if err != nil {
			return err
		}
		ws, err = uptime.Windows(ctx, st, svcs, from.t, to.t, *cancelled)
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	if format.v == "json" {
		out := make([]web.WindowJSON, 0, len(ws))
		for _, w := range ws {
			out = append(out, web.NewWindowJSON(w))
		}
		return e.printJSON(out)
	}
	if len(ws) == 0 {
		fmt.Fprintln(e.stdout, "no maintenance windows")
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVICE\tSTART\tEND\tSOURCE\tNOTICE\tREASON")
	for _, w := range ws {
		id, notice := "-", "-"
		if w.ID != 0 {
			id = fmt.Sprint(w.ID)
		}
		if w.Announced() {
			notice = uptime.NoticeOf(w).Round(time.Minute).String()
		}
		reason := w.Reason
		if w.Cancelled() {
			reason = "(cancelled) " + reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, w.Service, w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), w.Source, notice, reason)
	}
	tw.Flush()
	return exitOK
}

func maintenanceCancel(e *env, args []string) int {
	const name = "maintenance cancel"
	fs := e.flags(name, "--config FILE --id ID [--by WHO]", "Cancel an announced maintenance window; it then does not count at all.")
	cfgPath := fs.String("config", "", "config `file`")
	id := fs.Int64("id", 0, "window `id`")
	by := fs.String("by", currentUser(), "who cancels it")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
	}
	if *id <= 0 {
		return e.usageErr(name, "--id must be a positive window id")
	}
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		// A cancelled window does not count at all: cancelling one that is
		// over would turn downtime it excused back into downtime.
		if cur, err := st.MaintenanceWindow(ctx, *id); err == nil && !cur.End.After(e.now()) {
			return fmt.Errorf("maintenance window %d ended at %s; a past window cannot be cancelled", *id, cur.End.Format(time.RFC3339))
		}
		err := st.CancelMaintenance(ctx, *id, *by, e.now().Truncate(time.Millisecond))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("no maintenance window %d", *id)
		case errors.Is(err, store.ErrConflict):
			return fmt.Errorf("maintenance window %d is already cancelled", *id)
		}
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stdout, "maintenance %d cancelled (by %s)\n", *id, *by)
	return exitOK
}

// selectServices returns the named service, or all when name is empty.
func selectServices(cfg *config.Config, names ...string) ([]uptime.Service, error) {
	var out []uptime.Service
	for _, n := range names {
		if n == "" {
			continue
		}
		s := cfg.Service(n)
		if s == nil {
			return nil, fmt.Errorf("no service %q in %s", n, cfg.File)
		}
		out = append(out, s.UptimeService())
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, s := range cfg.Services {
		out = append(out, s.UptimeService())
	}
	return out, nil
}
