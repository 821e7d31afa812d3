package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// CommandSource runs a program that prints the set's records (ParseRecords
// says in what form).
//
// The program runs without a shell, in its own process group, with the
// daemon's environment plus Env, in Dir (default: the config file's
// directory). When the timeout passes, the whole process group is killed,
// so a child that a script left behind cannot keep the output open; a
// process that escapes the group (setsid) and holds the output open is cut
// off waitDelay later. stdout is bounded by MaxOutput; the last 4 KiB of
// stderr go into the error when the program fails.
type CommandSource struct {
	argv    []string
	env     []string // added to the daemon's environment when it runs
	dir     string
	timeout time.Duration
	limit   int64 // bound on stdout
}

var _ Source = (*CommandSource)(nil)

// Validate checks c without running anything. Keys in its errors are
// relative to the source block: "command[0]: …".
func (c *CommandSpec) Validate() error {
	var p problems
	c.check(&p, "")
	return p.err()
}

func (c *CommandSpec) check(p *problems, prefix string) {
	switch {
	case len(c.Command) == 0:
		p.add(prefix+"command", "is empty; want the program and its arguments, like [\"/usr/local/bin/list-backups\"]")
	case strings.TrimSpace(c.Command[0]) == "":
		p.add(prefix+"command[0]", "the program is empty")
	}
	for i, a := range c.Command {
		if strings.IndexByte(a, 0) >= 0 {
			p.add(fmt.Sprintf("%scommand[%d]", prefix, i), "holds a NUL byte")
		}
	}
	if c.Timeout < 0 {
		p.add(prefix+"timeout", "%v is negative", c.Timeout)
	}
	checkEnv(p, prefix+"env", c.Env)
	if strings.IndexByte(c.Dir, 0) >= 0 {
		p.add(prefix+"dir", "holds a NUL byte")
	}
}

// NewCommandSource builds a command source. A program named with a '/' in
// it is taken relative to baseDir when relative; a bare name is looked up
// on PATH when it runs. dir is relative to baseDir, and defaults to it.
func NewCommandSource(c CommandSpec, baseDir string) (*CommandSource, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	argv := slices.Clone(c.Command)
	if strings.ContainsRune(argv[0], '/') {
		argv[0] = resolve(baseDir, argv[0])
	}
	s := &CommandSource{
		argv:    argv,
		dir:     resolve(baseDir, c.Dir),
		timeout: timeoutOr(c.Timeout),
		limit:   MaxOutput,
	}
	if s.dir == "" {
		s.dir = baseDir
	}
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		s.env = append(s.env, k+"="+c.Env[k])
	}
	return s, nil
}

// Fetch runs the command and parses what it prints.
func (s *CommandSource) Fetch(ctx context.Context) ([]Record, error) {
	name := "command " + s.argv[0]
	var env []string // nil: exec passes the daemon's environment
	if len(s.env) > 0 {
		env = append(os.Environ(), s.env...)
	}
	out, err := run(ctx, runSpec{
		name: name, argv: s.argv, env: env, dir: s.dir,
		timeout: s.timeout, limit: s.limit,
	})
	if err != nil {
		return nil, err
	}
	recs, err := ParseRecords(bytes.NewReader(out), s.limit)
	if err != nil {
		return nil, fmt.Errorf("%s: output: %w", name, err)
	}
	return recs, nil
}

// waitDelay is how long a finished or killed command's output may stay
// open (held by a process that left its process group) before it is cut
// off.
var waitDelay = time.Second

// stderrTail is how much of stderr an error quotes.
const stderrTail = 4 << 10

// runSpec is one run of an external program.
type runSpec struct {
	name    string   // for errors: "command /usr/local/bin/list-backups"
	argv    []string // argv[0] is looked up on PATH when it has no '/'
	env     []string // nil: inherit
	dir     string
	timeout time.Duration
	limit   int64 // bound on stdout
	// redact removes secrets from stderr before it goes into an error.
	redact func(string) string
}

// run runs a program in its own process group and returns its stdout. It
// returns within timeout + 2 × waitDelay (and as soon as ctx ends, give or
// take waitDelay), whatever the program and its children do.
func run(ctx context.Context, r runSpec) ([]byte, error) {
	if r.dir != "" {
		// exec blames the program when the directory is missing.
		if fi, err := os.Stat(r.dir); err != nil {
			return nil, fmt.Errorf("%s: working directory: %w", r.name, err)
		} else if !fi.IsDir() {
			return nil, fmt.Errorf("%s: working directory %s is not a directory", r.name, r.dir)
		}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, r.timeout, errTimeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, r.argv[0], r.argv[1:]...)
	cmd.Env = r.env
	cmd.Dir = r.dir
	cmd.Stdin = nil // /dev/null
	stdout := &capped{limit: r.limit}
	stderr := &tail{max: stderrTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = waitDelay

	err := cmd.Run()
	if cmd.Process != nil && (err != nil || stdout.over) {
		// Whatever the program left behind in its group goes with it.
		_ = killGroup(cmd)
	}
	switch {
	case err == nil && !stdout.over:
		// Done, and everything read, even if the time ran out just after.
		return stdout.buf.Bytes(), nil
	case context.Cause(ctx) == errTimeout:
		return nil, fmt.Errorf("%s timed out after %v", r.name, r.timeout)
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: %w", r.name, context.Cause(ctx))
	case stdout.over:
		return nil, fmt.Errorf("%s: %w: printed more than %s", r.name, ErrOutputTooLarge, sizeString(r.limit))
	}

	msg := stderr.String()
	if r.redact != nil {
		msg = r.redact(msg)
	}
	if msg != "" {
		msg = ": " + msg
	}
	var ee *exec.ExitError
	switch {
	case errors.Is(err, exec.ErrWaitDelay):
		// The program exited (successfully), but something it started
		// held its output open: what was read may be incomplete.
		return nil, fmt.Errorf("%s exited, but a process it started kept its output open for more than %v%s", r.name, waitDelay, msg)
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return nil, fmt.Errorf("%s was killed by signal %v%s", r.name, ws.Signal(), msg)
		}
		return nil, fmt.Errorf("%s exited with status %d%s", r.name, ee.ExitCode(), msg)
	}
	// Could not start: not found, not executable, bad dir.
	return nil, fmt.Errorf("%s: %w", r.name, err)
}

var errTimeout = errors.New("timeout")

// killGroup kills the process group that cmd leads.
func killGroup(cmd *exec.Cmd) error {
	err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// capped keeps up to limit bytes; past them, it fails the write, which
// makes exec stop copying and close the pipe (the program gets SIGPIPE).
type capped struct {
	buf   bytes.Buffer
	limit int64
	over  bool
}

func (c *capped) Write(p []byte) (int, error) {
	if int64(c.buf.Len())+int64(len(p)) > c.limit {
		c.over = true
		return 0, ErrOutputTooLarge
	}
	return c.buf.Write(p)
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf  []byte
	max  int
	lost bool
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.lost = t.lost || len(t.buf) > 0 || len(p) > t.max
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.lost = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String is the tail, trimmed, as valid UTF-8, with "…" where the start
// was lost.
func (t *tail) String() string {
	b := t.buf
	if t.lost {
		// Do not start in the middle of a character.
		for len(b) > 0 && !utf8.RuneStart(b[0]) {
			b = b[1:]
		}
	}
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
	if t.lost && s != "" {
		s = "…" + s
	}
	return s
}
