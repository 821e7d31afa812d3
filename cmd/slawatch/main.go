// Command slawatch watches the promises SaaS contracts make: uptime, backups
// and response times. `slawatch run` is the daemon; the other commands read
// and feed its store.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes: 0 success, 1 the command failed, 2 the command line was wrong.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// env is what a command runs with; tests give their own.
type env struct {
	stdout, stderr io.Writer
	now            func() time.Time
	getenv         func(string) string
}

type command struct {
	summary string
	run     func(e *env, args []string) int
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"run":          {"run the daemon", cmdRun},
		"check":        {"validate a config file", cmdCheck},
		"outage":       {"add, list, close, exclude or include outages", cmdOutage},
		"maintenance":  {"announce, list or cancel maintenance windows", cmdMaintenance},
		"report":       {"monthly and yearly uptime reports", cmdReport},
		"backup":       {"backup status (RPO, retention, RTO) and pushed backup records", cmdBackup},
		"restore-test": {"record restore tests, measured against the RTO", cmdRestoreTest},
		"alerts":       {"list and acknowledge alerts", cmdAlerts},
		"db":           {"back up or check the store", cmdDB},
		"calendar":     {"business-time deadlines and durations on a configured calendar", cmdCalendar},
		"version":      {"print the version", cmdVersion},
	}
}

func main() {
	e := &env{stdout: os.Stdout, stderr: os.Stderr, now: time.Now, getenv: os.Getenv}
	os.Exit(e.main(os.Args[1:]))
}

func (e *env) main(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		e.usage(e.stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "slawatch: unknown command %q (see slawatch --help)\n", args[0])
		return exitUsage
	}
	return c.run(e, args[1:])
}

func (e *env) usage(w io.Writer) {
	fmt.Fprintln(w, "slawatch watches SLA promises: uptime, backups and response times.")
	fmt.Fprintln(w, "\nUsage: slawatch COMMAND [flags]   (slawatch COMMAND --help for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
}

func cmdVersion(e *env, args []string) int {
	fs := e.flags("version", "", "print the version")
	if code, done := e.parse(fs, args); done {
		return code
	}
	fmt.Fprintln(e.stdout, "slawatch", version)
	return exitOK
}

// flags returns a FlagSet whose usage text names the command.
func (e *env) flags(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: slawatch %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses flags. done is true when the command should return code at
// once: after --help (0) or a bad flag (2, with one line on stderr).
func (e *env) parse(fs *flag.FlagSet, args []string) (code int, done bool) {
	// The flag package prints the usage itself on --help and on every bad
	// flag; here --help prints it once and a bad flag gets one line.
	usage := fs.Usage
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage()
		return exitOK, true
	case err != nil:
		return e.usageErr(fs.Name(), err.Error()), true
	case fs.NArg() > 0:
		return e.usageErr(fs.Name(), fmt.Sprintf("unexpected argument %q", fs.Arg(0))), true
	}
	return 0, false
}

// usageErr prints one line about a bad command line and returns exit 2.
func (e *env) usageErr(cmd, msg string) int {
	fmt.Fprintf(e.stderr, "slawatch %s: %s (see slawatch %s --help)\n", cmd, msg, cmd)
	return exitUsage
}

// fail prints an error and returns exit 1.
func (e *env) fail(cmd string, err error) int {
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		fmt.Fprintf(e.stderr, "slawatch %s:\n%s\n", cmd, msg)
	} else {
		fmt.Fprintf(e.stderr, "slawatch %s: %s\n", cmd, msg)
	}
	return exitFail
}

// required checks that each named flag was given a non-empty value.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f == nil || f.Value.String() == "" {
			return fmt.Errorf("--%s is required", n)
		}
	}
	return nil
}

// timeFlag is an RFC 3339 time flag.
type timeFlag struct{ t time.Time }

func (f *timeFlag) String() string {
	if f == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("%q is not an RFC 3339 time like 2026-10-01T12:00:00Z", s)
	}
	f.t = t.Truncate(time.Millisecond)
	return nil
}

// formatFlag is an output format chosen from a fixed list.
type formatFlag struct {
	v       string
	allowed []string
}

func newFormat(allowed ...string) *formatFlag { return &formatFlag{v: allowed[0], allowed: allowed} }

func (f *formatFlag) String() string {
	if f == nil {
		return ""
	}
	return f.v
}

func (f *formatFlag) Set(s string) error {
	for _, a := range f.allowed {
		if s == a {
			f.v = s
			return nil
		}
	}
	return fmt.Errorf("format %q: want one of %s", s, strings.Join(f.allowed, ", "))
}

type subcommand struct {
	name, summary string
	run           func(*env, []string) int
}

// dispatch runs the subcommand named by args[0].
func (e *env) dispatch(cmd string, args []string, subs []subcommand) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		names := make([]string, len(subs))
		for i, s := range subs {
			names[i] = s.name
		}
		fmt.Fprintf(e.stdout, "Usage: slawatch %s %s --config FILE [flags]\n\n", cmd, strings.Join(names, "|"))
		for _, s := range subs {
			fmt.Fprintf(e.stdout, "  %-8s %s\n", s.name, s.summary)
		}
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(e, args[1:])
		}
	}
	return e.usageErr(cmd, fmt.Sprintf("unknown subcommand %q", args[0]))
}
