package backup

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The command tests are not parallel: a script written while another test
// forks can be held open for writing by the child, and then cannot be run
// (ETXTBSY).

// script writes an executable sh script into dir and returns its path.
func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func commandSource(t *testing.T, spec CommandSpec, baseDir string) *CommandSource {
	t.Helper()
	s, err := NewCommandSource(spec, baseDir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fetchTimed fetches and fails when that takes longer than max.
func fetchTimed(t *testing.T, s Source, max time.Duration) ([]Record, error) {
	t.Helper()
	start := time.Now()
	recs, err := s.Fetch(context.Background())
	if d := time.Since(start); d > max {
		t.Errorf("Fetch took %v, want at most %v", d, max)
	}
	return recs, err
}

func TestCommandSourceArray(t *testing.T) {
	dir := t.TempDir()
	p := script(t, dir, "list-backups", `cat <<'EOF'
[
  {"time": "2026-10-21T02:00:00Z", "size_bytes": 1048576, "kind": "full", "id": "portal-20261021"},
  {"time": "2026-10-21T03:00:00+02:00", "status": "failure", "id": "portal-20261021b"}
]
EOF
`)
	recs, err := commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertRecords(t, recs, []Record{
		{Time: ts(t, "2026-10-21T02:00:00Z"), Success: true, SizeBytes: 1 << 20, Kind: "full", ID: "portal-20261021"},
		{Time: ts(t, "2026-10-21T01:00:00Z"), ID: "portal-20261021b"},
	})
}

func TestCommandSourceJSONLinesEnvDir(t *testing.T) {
	base := t.TempDir()
	sub := filepath.Join(base, "work")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	script(t, base, "list.sh", `
echo '{"time": "2026-10-21T02:00:00Z", "kind": "incremental"}'
echo
echo "{\"time\": \"2026-10-21T03:00:00Z\", \"id\": \"$FOO|$1|$(pwd)\"}"
`)
	t.Setenv("SLAWATCH_TEST_INHERITED", "yes")
	// A relative program with a '/' and a relative dir are taken relative
	// to the config file's directory.
	s := commandSource(t, CommandSpec{Command: []string{"./list.sh", "arg one"}, Env: map[string]string{"FOO": "bar"}, Dir: "work"}, base)
	recs, err := s.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertRecords(t, recs, []Record{
		{Time: ts(t, "2026-10-21T02:00:00Z"), Success: true, Kind: "incremental"},
		{Time: ts(t, "2026-10-21T03:00:00Z"), Success: true, ID: "bar|arg one|" + sub},
	})

	// Without dir, the command runs in the config file's directory, and
	// it inherits the daemon's environment.
	script(t, base, "env.sh", `echo "{\"time\": \"2026-10-21T02:00:00Z\", \"id\": \"$SLAWATCH_TEST_INHERITED|$(pwd)\"}"`+"\n")
	recs, err = commandSource(t, CommandSpec{Command: []string{"./env.sh"}}, base).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].ID != "yes|"+base {
		t.Errorf("got %+v, want id %q", recs, "yes|"+base)
	}
}

func TestCommandSourceEmptyOutput(t *testing.T) {
	p := script(t, t.TempDir(), "none", "exit 0\n")
	recs, err := commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	if err != nil || len(recs) != 0 {
		t.Fatalf("got %v, %v; want no records and no error", recs, err)
	}
}

func TestCommandSourceHang(t *testing.T) {
	p := script(t, t.TempDir(), "hang", "sleep 30\n")
	s := commandSource(t, CommandSpec{Command: []string{p}, Timeout: 300 * time.Millisecond}, "")
	_, err := fetchTimed(t, s, 2*time.Second)
	if want := "command " + p + " timed out after 300ms"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestCommandSourceExitStatus(t *testing.T) {
	p := script(t, t.TempDir(), "list-backups", `echo '[]'
echo "list-backups: cannot reach backup server" >&2
exit 3
`)
	_, err := commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	if want := "command " + p + " exited with status 3: list-backups: cannot reach backup server"; err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %q", err, want)
	}

	// Without stderr, the status alone.
	p = script(t, t.TempDir(), "quiet", "exit 1\n")
	_, err = commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	if want := "command " + p + " exited with status 1"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}

	p = script(t, t.TempDir(), "killed", "echo dying >&2; kill -9 $$\n")
	_, err = commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	if want := "command " + p + " was killed by signal killed: dying"; err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestCommandSourceStderrTail(t *testing.T) {
	p := script(t, t.TempDir(), "noisy", `i=0
while [ $i -lt 300 ]; do echo "warning $i: something went on for a while here" >&2; i=$((i+1)); done
echo "the real reason" >&2
exit 2
`)
	_, err := commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	prefix := "command " + p + " exited with status 2: …"
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, "warning 299: something went on for a while here\nthe real reason") {
		t.Errorf("got %q", msg)
	}
	if n := len(msg) - len(prefix); n > stderrTail {
		t.Errorf("stderr tail is %d bytes, want at most %d", n, stderrTail)
	}
}

func TestCommandSourceMalformed(t *testing.T) {
	p := script(t, t.TempDir(), "bad", `echo '{"time": "2026-10-21T02:00:00Z"}'
echo '{"time": "yesterday"}'
`)
	_, err := commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	want := "command " + p + `: output: line 2: time: "yesterday" is not RFC 3339, like "2026-10-21T02:00:00Z"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}

	p = script(t, t.TempDir(), "text", "echo 'portal-20261021.dump 2026-10-21'\n")
	_, err = commandSource(t, CommandSpec{Command: []string{p}}, "").Fetch(context.Background())
	want = "command " + p + `: output: line 1: want a JSON array or one JSON object a line, got "portal-20261021.dump 2026-10-21"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

func TestCommandSourceOutputLimit(t *testing.T) {
	// An endless stream is cut off at the limit, not at the timeout.
	p := script(t, t.TempDir(), "endless", `yes '{"time": "2026-10-21T02:00:00Z"}'`+"\n")
	s := commandSource(t, CommandSpec{Command: []string{p}, Timeout: 20 * time.Second}, "")
	s.limit = 1 << 20
	_, err := fetchTimed(t, s, 10*time.Second)
	if !errors.Is(err, ErrOutputTooLarge) || !strings.Contains(err.Error(), "printed more than 1 MiB") {
		t.Fatalf("got %v, want ErrOutputTooLarge", err)
	}
}

// pidFrom reads the pid a script wrote.
func pidFrom(t *testing.T, path string) int {
	t.Helper()
	var b []byte
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		b, err = os.ReadFile(path)
		if err == nil && strings.HasSuffix(string(b), "\n") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %s: %q", path, b)
	}
	return pid
}

// gone reports whether a process has ended (or is a zombie, which PID 1
// of a container may never reap).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z") || strings.HasPrefix(rest, "X")
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !gone(pid) {
		if time.Now().After(deadline) {
			t.Errorf("process %d is still running", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCommandSourceChildHoldsOutput(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")

	t.Run("timeout kills the process group", func(t *testing.T) {
		// The script waits for a child that holds stdout: killing the
		// script alone would leave the pipe open for 30 s.
		p := script(t, dir, "forks", `sleep 30 &
echo $! > `+pidFile+`
wait
`)
		s := commandSource(t, CommandSpec{Command: []string{p}, Timeout: 300 * time.Millisecond}, "")
		_, err := fetchTimed(t, s, 2*time.Second)
		if err == nil || !strings.HasSuffix(err.Error(), "timed out after 300ms") {
			t.Fatalf("got %v", err)
		}
		waitGone(t, pidFrom(t, pidFile))
	})

	t.Run("a child left behind is killed", func(t *testing.T) {
		// The script prints and exits; its child keeps stdout open, so the
		// output may not be complete.
		os.Remove(pidFile)
		p := script(t, dir, "leaves", `sleep 30 &
echo $! > `+pidFile+`
echo '[]'
`)
		s := commandSource(t, CommandSpec{Command: []string{p}, Timeout: 20 * time.Second}, "")
		_, err := fetchTimed(t, s, waitDelay+2*time.Second)
		want := "command " + p + " exited, but a process it started kept its output open for more than 1s"
		if err == nil || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
		waitGone(t, pidFrom(t, pidFile))
	})

	t.Run("a child that left the group is cut off", func(t *testing.T) {
		setsid, err := exec.LookPath("setsid")
		if err != nil {
			t.Skip("no setsid")
		}
		os.Remove(pidFile)
		p := script(t, dir, "escapes", setsid+` sleep 30 &
echo $! > `+pidFile+`
sleep 30
`)
		s := commandSource(t, CommandSpec{Command: []string{p}, Timeout: 300 * time.Millisecond}, "")
		_, err = fetchTimed(t, s, 300*time.Millisecond+waitDelay+time.Second)
		// The escaped child is out of reach of the group kill; this test
		// started it, so it ends it.
		pid := pidFrom(t, pidFile)
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if err == nil || !strings.HasSuffix(err.Error(), "timed out after 300ms") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestCommandSourceContextCanceled(t *testing.T) {
	p := script(t, t.TempDir(), "hang", "sleep 30\n")
	s := commandSource(t, CommandSpec{Command: []string{p}}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Fetch(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Fetch took %v after its context ended", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want context.DeadlineExceeded", err)
	}
}

func TestCommandSourceNotRunnable(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec CommandSpec
		want string
	}{
		{CommandSpec{Command: []string{"/nonexistent/list-backups"}}, "command /nonexistent/list-backups: fork/exec /nonexistent/list-backups: no such file or directory"},
		{CommandSpec{Command: []string{"slawatch-no-such-program"}}, `command slawatch-no-such-program: exec: "slawatch-no-such-program": executable file not found in $PATH`},
		{CommandSpec{Command: []string{"true"}, Dir: "missing"}, "command true: working directory: stat " + filepath.Join(dir, "missing") + ": no such file or directory"},
	} {
		_, err := commandSource(t, tc.spec, dir).Fetch(context.Background())
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v: got %v\nwant %s", tc.spec.Command, err, tc.want)
		}
	}
}

func TestTail(t *testing.T) {
	tl := &tail{max: 8}
	for _, w := range []string{"abc", "defgh", "ij"} {
		tl.Write([]byte(w))
	}
	if got := tl.String(); got != "…cdefghij" {
		t.Errorf("got %q", got)
	}
	tl = &tail{max: 8}
	tl.Write([]byte("0123456789abcdef"))
	if got := tl.String(); got != "…89abcdef" {
		t.Errorf("got %q", got)
	}
	tl = &tail{max: 8}
	tl.Write([]byte(" short\n"))
	if got := tl.String(); got != "short" {
		t.Errorf("got %q", got)
	}
	// A cut through a multi-byte character drops the rest of it.
	tl = &tail{max: 5}
	tl.Write([]byte("ab€€"))
	if got := tl.String(); got != "…€" {
		t.Errorf("got %q", got)
	}
}
