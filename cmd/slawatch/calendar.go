package main

import (
	"fmt"
	"math"
	"time"

	"github.com/slawatch/slawatch/calendar"
	"github.com/slawatch/slawatch/config"
)

func cmdCalendar(e *env, args []string) int {
	return e.dispatch("calendar", args, []subcommand{
		{"add", "the deadline: a moment plus business hours (2bh), business days (5bd) or wall time (90m)", calendarAdd},
		{"between", "business time between two moments", calendarBetween},
	})
}

// loadCalendar loads the config and finds a calendar in it.
func loadCalendar(path, name string) (*calendar.Calendar, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	cal := cfg.Cals[name]
	if cal == nil {
		return nil, fmt.Errorf("no calendar %q in %s", name, cfg.File)
	}
	return cal, nil
}

func calendarAdd(e *env, args []string) int {
	const name = "calendar add"
	fs := e.flags(name, "--config FILE --calendar NAME --from RFC3339 --duration 2bh|5bd|90m [--format text|json]",
		"Print the deadline: the earliest moment at which that much business time has passed since --from, counted only\n"+
			"inside working hours on working days that are not holidays, in the calendar's time zone. A plain duration is wall time.")
	cfgPath := fs.String("config", "", "config `file`")
	calName := fs.String("calendar", "", "calendar `name`")
	var from timeFlag
	fs.Var(&from, "from", "start (RFC 3339)")
	dur := fs.String("duration", "", "business hours (2bh), business days (5bd) or wall time (90m, 7d)")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "calendar", "from", "duration"); err != nil {
		return e.usageErr(name, err.Error())
	}
	d, err := calendar.ParseDuration(*dur)
	if err != nil {
		return e.usageErr(name, "--duration: "+err.Error())
	}
	cal, err := loadCalendar(*cfgPath, *calName)
	if err != nil {
		return e.fail(name, err)
	}
	deadline := cal.Add(from.t, d)
	if deadline.Equal(calendar.Never) {
		return e.fail(name, fmt.Errorf("calendar %s has no working time within %d days of %s", *calName, calendar.SearchLimit/(24*time.Hour), from.t.Format(time.RFC3339)))
	}
	if format.v == "json" {
		return e.printJSON(map[string]string{"deadline": deadline.Format(time.RFC3339)})
	}
	fmt.Fprintln(e.stdout, deadline.Format(time.RFC3339))
	return exitOK
}

func calendarBetween(e *env, args []string) int {
	const name = "calendar between"
	fs := e.flags(name, "--config FILE --calendar NAME --from RFC3339 --to RFC3339 [--format text|json]",
		"Print the business time between two moments, in seconds (text adds a readable form).")
	cfgPath := fs.String("config", "", "config `file`")
	calName := fs.String("calendar", "", "calendar `name`")
	var from, to timeFlag
	fs.Var(&from, "from", "start (RFC 3339)")
	fs.Var(&to, "to", "end (RFC 3339)")
	format := newFormat("text", "json")
	fs.Var(format, "format", "output format: text or json")
	if code, done := e.parse(fs, args); done {
		return code
	}
	if err := required(fs, "config", "calendar", "from", "to"); err != nil {
		return e.usageErr(name, err.Error())
	}
	cal, err := loadCalendar(*cfgPath, *calName)
	if err != nil {
		return e.fail(name, err)
	}
	secs := cal.Between(from.t, to.t).Seconds()
	if format.v == "json" {
		return e.printJSON(map[string]float64{"business_seconds": secs})
	}
	if secs == math.Trunc(secs) {
		fmt.Fprintf(e.stdout, "%d (%s)\n", int64(secs), time.Duration(secs*float64(time.Second)))
	} else {
		fmt.Fprintf(e.stdout, "%g (%s)\n", secs, time.Duration(secs*float64(time.Second)))
	}
	return exitOK
}
