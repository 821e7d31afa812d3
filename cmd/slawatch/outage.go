package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
	"github.com/slawatch/slawatch/web"
)

func cmdOutage(e *env, args []string) int {
	return e.dispatch("outage", args, []subcommand{
		{"add", "enter an outage by hand (--force-majeure to exclude it at once)", outageAdd},
		{"list", "list outages", outageList},
		{"close", "close an open outage at a given time", outageClose},
		{"exclude", "mark an outage as force majeure, with a reason", outageExclude(true)},
		{"include", "undo an exclusion, with a reason", outageExclude(false)},
	})
}

// withStore loads the config and opens its store for a CLI command.
func withStore(cfgPath string, fn func(ctx context.Context, cfg *config.Config, st *store.Store) error) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, cfg.Storage.Path)
	if err != nil {
		return err
	}
	err = fn(ctx, cfg, st)
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	return err
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "cli"
}

func outageAdd(e *env, args []string) int {
	const name = "outage add"
	fs := e.flags(name, "--config FILE --service NAME --start RFC3339 --end RFC3339 [--cause TEXT] [--force-majeure --reason TEXT]",
		"Enter an outage by hand, e.g. one the probes could not see.")
	cfgPath := fs.String("config", "", "config `file`")
	svc := fs.String("service", "", "service `name`")
	var start, end timeFlag
	fs.Var(&start, "start", "when it began (RFC 3339)")
	fs.Var(&end, "end", "when it ended (RFC 3339)")
	cause := fs.String("cause", "", "what happened")
	fm := fs.Bool("force-majeure", false, "exclude it from uptime as force majeure")
	reason := fs.String("reason", "", "why it is force majeure (default: the cause)")
	by := fs.String("by", currentUser(), "who enters it")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "service", "start", "end"); err != nil {
		return e.usageErr(name, err.Error())
	}
	o := uptime.Outage{Service: *svc, Start: start.t, End: end.t, Cause: *cause, Source: uptime.SourceManual}
	if err := uptime.CheckManual(o); err != nil {
		return e.usageErr(name, err.Error())
	}
	if *fm {
		r := *reason
		if r == "" {
			r = *cause
		}
		if r == "" {
			return e.usageErr(name, "--force-majeure needs --reason (or --cause)")
		}
		o.Excluded, o.ExcludeReason, o.ExcludedBy, o.ExcludedAt = true, r, *by, e.now().Truncate(time.Millisecond)
	}
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		if cfg.Service(o.Service) == nil {
			return fmt.Errorf("no service %q in %s", o.Service, cfg.File)
		}
		id, err := st.InsertOutage(ctx, o)
		o.ID = id
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	if format.v == "json" {
		return e.printJSON(web.NewOutageJSON(o, e.now()))
	}
	fmt.Fprintf(e.stdout, "outage %d added: %s %s – %s (%s)%s\n", o.ID, o.Service,
		o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339), o.End.Sub(o.Start), map[bool]string{true: ", force majeure"}[o.Excluded])
	return exitOK
}

func outageList(e *env, args []string) int {
	const name = "outage list"
	fs := e.flags(name, "--config FILE [--service NAME] [--from RFC3339] [--to RFC3339] [--format text|json]",
		"List outages, oldest first; --from/--to keep those that overlap the range.")
	cfgPath := fs.String("config", "", "config `file`")
	svc := fs.String("service", "", "only this service")
	var from, to timeFlag
	fs.Var(&from, "from", "only outages overlapping this time or later (RFC 3339)")
	fs.Var(&to, "to", "only outages overlapping this time or earlier (RFC 3339)")
	limit := fs.Int("limit", 0, "at most this many (0: all)")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
	}
	var outages []uptime.Outage
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		var err error
		outages, err = st.Outages(ctx, store.OutageFilter{Service: *svc, From: from.t, To: to.t, Limit: *limit})
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	now := e.now()
	if format.v == "json" {
		out := make([]web.OutageJSON, 0, len(outages))
		for _, o := range outages {
			out = append(out, web.NewOutageJSON(o, now))
		}
		return e.printJSON(out)
	}
	if len(outages) == 0 {
		fmt.Fprintln(e.stdout, "no outages")
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVICE\tSTART\tEND\tDURATION\tSOURCE\tEXCLUDED\tCAUSE")
	for _, o := range outages {
		endS, end := "open", now
		if !o.Open() {
			endS, end = o.End.Format(time.RFC3339), o.End
		}
		excl := "-"
		if o.Excluded {
			excl = "force majeure: " + o.ExcludeReason
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.ID, o.Service, o.Start.Format(time.RFC3339), endS,
			end.Sub(o.Start).Round(time.Second), o.Source, excl, o.Cause)
	}
	tw.Flush()
	return exitOK
}

func outageClose(e *env, args []string) int {
	const name = "outage close"
	fs := e.flags(name, "--config FILE --id ID --end RFC3339",
		"Close an open outage by hand, e.g. one whose service lost its probes.")
	cfgPath := fs.String("config", "", "config `file`")
	id := fs.Int64("id", 0, "outage `id`")
	var end timeFlag
	fs.Var(&end, "end", "when it ended (RFC 3339)")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "end"); err != nil {
		return e.usageErr(name, err.Error())
	}
	if *id <= 0 {
		return e.usageErr(name, "--id must be a positive outage id")
	}
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		o, err := st.Outage(ctx, *id)
		if err != nil {
			return outageErr(*id, err)
		}
		if !o.Open() {
			return fmt.Errorf("outage %d is already closed (at %s)", o.ID, o.End.Format(time.RFC3339))
		}
		if !end.t.After(o.Start) {
			return fmt.Errorf("--end %s is not after the outage's start %s", end.t.Format(time.RFC3339), o.Start.Format(time.RFC3339))
		}
		return st.CloseOutage(ctx, o.ID, end.t)
	})
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stdout, "outage %d closed at %s\n", *id, end.t.Format(time.RFC3339))
	return exitOK
}

func outageExclude(exclude bool) func(*env, []string) int {
	return func(e *env, args []string) int {
		name, about := "outage exclude", "Mark an outage as force majeure: its time then counts like maintenance. Kept in the audit trail."
		if !exclude {
			name, about = "outage include", "Undo a force-majeure exclusion: the outage counts as downtime again. Kept in the audit trail."
		}
		fs := e.flags(name, "--config FILE --id ID --reason TEXT [--by WHO]", about)
		cfgPath := fs.String("config", "", "config `file`")
		id := fs.Int64("id", 0, "outage `id`")
		reason := fs.String("reason", "", "why")
		by := fs.String("by", currentUser(), "who decides")
		if code, done := e.parse(fs, args); done {
			return code
		}
		if err := required(fs, "config", "reason"); err != nil {
			return e.usageErr(name, err.Error())
		}
		if *id <= 0 {
			return e.usageErr(name, "--id must be a positive outage id")
		}
		now := e.now().Truncate(time.Millisecond)
		err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
			var err error
			if exclude {
				err = st.ExcludeOutage(ctx, *id, *reason, *by, now)
			} else {
				err = st.IncludeOutage(ctx, *id, *reason, *by, now)
			}
			return outageErr(*id, err)
		})
		if err != nil {
			return e.fail(name, err)
		}
		verb := "excluded as force majeure"
		if !exclude {
			verb = "counts again"
		}
		fmt.Fprintf(e.stdout, "outage %d %s: %s (by %s)\n", *id, verb, *reason, *by)
		return exitOK
	}
}

func outageErr(id int64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no outage %d", id)
	}
	return err
}

func (e *env) printJSON(v any) int {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return e.fail("json", err)
	}
	return exitOK
}

var _ flag.Value = (*timeFlag)(nil)
