package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The SPEC's worked examples through the CLI, on the shipped Ultimo calendar.
func TestCLICalendar(t *testing.T) {
	dir := t.TempDir()
	inc, err := filepath.Abs(filepath.Join("..", "..", "configs", "policies", "ultimo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(cfg, []byte("include: ["+inc+"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, int) {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
		rc := e.main(args)
		return strings.TrimSpace(out.String() + errb.String()), rc
	}
	for _, c := range []struct{ from, dur, want string }{
		{"2026-11-17T10:00:00+01:00", "5bd", "2026-11-24T10:00:00+01:00"}, // Tuesday + 5bd = next Tuesday
		{"2026-11-20T16:30:00+01:00", "2bh", "2026-11-23T10:00:00+01:00"}, // Friday 16:30 + 2bh = Monday 10:00
		{"2026-12-24T16:00:00+01:00", "2bh", "2026-12-28T09:30:00+01:00"}, // over Christmas
		{"2026-11-20T16:30:00+01:00", "90m", "2026-11-20T18:00:00+01:00"}, // wall time
	} {
		got, rc := run("calendar", "add", "--config", cfg, "--calendar", "ultimo-cet", "--from", c.from, "--duration", c.dur)
		if rc != 0 || got != c.want {
			t.Errorf("%s + %s = %q (exit %d), want %s", c.from, c.dur, got, rc, c.want)
		}
	}
	got, rc := run("calendar", "between", "--config", cfg, "--calendar", "ultimo-cet", "--from", "2026-11-20T16:30:00+01:00",
		"--to", "2026-11-23T10:00:00+01:00", "--format", "json")
	var b struct {
		Seconds float64 `json:"business_seconds"`
	}
	if rc != 0 || json.Unmarshal([]byte(got), &b) != nil || b.Seconds != 7200 {
		t.Errorf("between: %q (exit %d), want 7200 business seconds", got, rc)
	}
	if _, rc := run("calendar", "add", "--config", cfg, "--calendar", "ultimo-cet", "--from", "2026-11-20T16:30:00+01:00", "--duration", "2xh"); rc != exitUsage {
		t.Errorf("bad duration: exit %d, want 2", rc)
	}
	if out, rc := run("calendar", "add", "--config", cfg, "--calendar", "nope", "--from", "2026-11-20T16:30:00+01:00", "--duration", "2bh"); rc != exitFail || !strings.Contains(out, "no calendar") {
		t.Errorf("unknown calendar: %q exit %d", out, rc)
	}
}
