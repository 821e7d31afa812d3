package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/web"
)

func cmdAlerts(e *env, args []string) int {
	return e.dispatch("alerts", args, []subcommand{
		{"list", "list active alerts and those resolved in the last day", alertsList},
		{"ack", "acknowledge an alert: it stops repeating and escalating", alertsAck},
	})
}

func alertsList(e *env, args []string) int {
	const name = "alerts list"
	fs := e.flags(name, "--config FILE [--format text|json]", "List active alerts (pending, firing) and those resolved in the last day, newest first.")
	cfgPath := fs.String("config", "", "config `file`")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config"); err != nil {
		return e.usageErr(name, err.Error())
	}
	var as []alerts.Alert
	var conf *config.Config
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		var err error
		conf = cfg
		as, err = st.Alerts(ctx, store.AlertFilter{ResolvedSince: e.now().Add(-24 * time.Hour)})
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	if format.v == "json" {
		out := make([]web.AlertJSON, 0, len(as))
		for _, a := range as {
			resp, resol, rt, st := conf.AlertDeadlines(a)
			out = append(out, web.NewAlertJSON(a).WithDeadlines(web.Deadlines{Response: resp, Resolution: resol,
				ResponseTarget: rt, ResolutionTarget: st}, a, e.now()))
		}
		return e.printJSON(out)
	}
	if len(as) == 0 {
		fmt.Fprintln(e.stdout, "no alerts")
		return exitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FINGERPRINT\tSEVERITY\tSTATE\tSINCE\tACKED\tESCALATED TO\tSUMMARY")
	for _, a := range as {
		acked := "-"
		if !a.AckedAt.IsZero() {
			acked = "by " + a.AckedBy
		}
		escalated := "-"
		if len(a.Escalations) > 0 {
			var to []string
			for _, e := range a.Escalations {
				to = append(to, e.Receiver+" "+e.At.Format(time.RFC3339))
			}
			escalated = strings.Join(to, ", ")
		}
		state := a.State
		if state == alerts.StateResolved {
			state += " " + a.EndsAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Fingerprint(), a.Labels[alerts.LabelSeverity], state,
			a.StartsAt.Format(time.RFC3339), acked, escalated, a.Annotations[alerts.AnnotationSummary])
	}
	tw.Flush()
	return exitOK
}

func alertsAck(e *env, args []string) int {
	const name = "alerts ack"
	fs := e.flags(name, "--config FILE --fingerprint FP [--by WHO]",
		"Acknowledge an active alert (fingerprint from `alerts list`). A running daemon picks it up within seconds.")
	cfgPath := fs.String("config", "", "config `file`")
	fp := fs.String("fingerprint", "", "the alert's fingerprint")
	by := fs.String("by", currentUser(), "who acknowledges it")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "fingerprint"); err != nil {
		return e.usageErr(name, err.Error())
	}
	err := withStore(*cfgPath, func(ctx context.Context, cfg *config.Config, st *store.Store) error {
		err := st.AckAlert(ctx, *fp, *by, e.now().Truncate(time.Millisecond))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no active alert %s (see slawatch alerts list)", *fp)
		}
		return err
	})
	if err != nil {
		return e.fail(name, err)
	}
	fmt.Fprintf(e.stdout, "alert %s acknowledged by %s\n", *fp, *by)
	return exitOK
}
