package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

// backupConfig writes a config with a push set, a command set whose script
// the test controls, and (when repo is set) a restic set.
func backupConfig(t *testing.T, dir, listen, repo string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "tokens.txt"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	restic := ""
	if repo != "" {
		restic = fmt.Sprintf(`  - name: portal-restic
    service: portal
    rpo: 12h
    source:
      restic: {repository: %q, password_file: restic.pass}
`, repo)
	}
	cfg := fmt.Sprintf(`storage: {path: slawatch.db}
server: {listen: %s, api_tokens_file: tokens.txt}
calendars:
  cet: {timezone: Europe/Amsterdam, hours: "08:30-17:00"}
policies:
  ultimo-saas:
    timezone: Europe/Amsterdam
    calendar: cet
    rpo: 1h
    rto: 4h
    retention: {point_in_time: 7d, weekly: 4, monthly: 3}
services:
  - name: portal
    policy: ultimo-saas
backups:
  - name: portal-dump
    service: portal
    rpo: 24h
    retention: {point_in_time: 0s, weekly: 0, monthly: 0}
    source: {push: {}}
  - name: portal-listing
    service: portal
    check_interval: 1s
    retention: {point_in_time: 0s, weekly: 0, monthly: 0}
    source:
      command: ["sh", "list.sh"]
      timeout: 5s
%s`, listen, restic)
	path := filepath.Join(dir, "slawatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeListing(t *testing.T, dir, script string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "list.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestE2EBackupsPushCommandAndMetrics: a pushed record and a command
// source's listing reach the store and the metrics; a failing source makes
// its set unknown, with the reason, and the daemon keeps running.
func TestE2EBackupsPushCommandAndMetrics(t *testing.T) {
	dir := t.TempDir()
	addr := testutil.FreeAddr(t)
	cfg := backupConfig(t, dir, addr, "")
	fresh := time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Second)
	writeListing(t, dir, fmt.Sprintf("echo '[{\"time\": %q, \"size_bytes\": 1024, \"id\": \"a1\"}]'\n", fresh.Format(time.RFC3339)))
	d := startDaemon(t, cfg, addr)
	base := "http://" + addr

	// Push: the backup job reports itself.
	pushed := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	if code, m := do(t, "POST", base+"/api/v1/backups/portal-dump", "", `{"time":"`+pushed.Format(time.RFC3339)+`"}`); code != 401 {
		t.Fatalf("push without token: %d %v", code, m)
	}
	if code, m := do(t, "POST", base+"/api/v1/backups/portal-dump", testToken, `{"time":"yesterday"}`); code != 400 || m["error"] == nil {
		t.Fatalf("push with a bad time: %d %v", code, m)
	}
	if code, m := do(t, "POST", base+"/api/v1/backups/portal-listing", testToken, `{"time":"`+pushed.Format(time.RFC3339)+`"}`); code != 409 {
		t.Fatalf("push to a command set: %d %v, want 409", code, m)
	}
	if code, m := do(t, "POST", base+"/api/v1/backups/portal-dump", testToken, `{"time":"`+pushed.Format(time.RFC3339)+`","size_bytes":42,"kind":"full"}`); code != 201 {
		t.Fatalf("push: %d %v", code, m)
	}

	metrics := func() string { return string(fetch(t, base+"/metrics")) }
	testutil.Eventually(t, 10*time.Second, "backup metrics", func() bool {
		m := metrics()
		return strings.Contains(m, `slawatch_backup_rpo_met{set="portal-dump"} 1`) &&
			strings.Contains(m, `slawatch_backup_rpo_met{set="portal-listing"} 1`) &&
			strings.Contains(m, `slawatch_backup_source_up{set="portal-listing"} 1`)
	})
	// Compare the value, not its spelling: the exposition writes floats in
	// the shortest form (1.7953117e+09 when the seconds end in 0).
	const series = `slawatch_backup_last_success_timestamp_seconds{set="portal-dump"} `
	found := false
	for _, line := range strings.Split(metrics(), "\n") {
		if v, ok := strings.CutPrefix(line, series); ok {
			f, err := strconv.ParseFloat(v, 64)
			found = err == nil && f == float64(pushed.Unix())
		}
	}
	if !found {
		t.Errorf("%s is not %d", series, pushed.Unix())
	}

	// The source starts failing: the set is unknown with the reason.
	writeListing(t, dir, "echo 'disk on fire' >&2; exit 3\n")
	testutil.Eventually(t, 10*time.Second, "source failure seen", func() bool {
		return strings.Contains(metrics(), `slawatch_backup_source_up{set="portal-listing"} 0`)
	})
	var resp struct {
		Backups []struct {
			Set    string `json:"set"`
			State  string `json:"state"`
			Error  string `json:"error"`
			RPOMet bool   `json:"rpo_met"`
		} `json:"backups"`
	}
	getJSON(t, base+"/api/v1/backups?set=portal-listing", &resp)
	if len(resp.Backups) != 1 || resp.Backups[0].State != "unknown" || !strings.Contains(resp.Backups[0].Error, "disk on fire") {
		t.Fatalf("failing set: %+v", resp.Backups)
	}
	// History survives the source outage: the record read before still counts.
	if !resp.Backups[0].RPOMet {
		t.Error("the record read before the source failed no longer counts")
	}
	// Restore test through the API, measured against the 4h RTO.
	body := fmt.Sprintf(`{"set":"portal-dump","start":%q,"end":%q}`, time.Now().Add(-3*time.Hour).UTC().Format(time.RFC3339), time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	if code, m := do(t, "POST", base+"/api/v1/restore-tests", testToken, body); code != 201 {
		t.Fatalf("restore test: %d %v", code, m)
	}
	testutil.Eventually(t, 10*time.Second, "restore duration metric", func() bool {
		return strings.Contains(metrics(), `slawatch_restore_test_last_duration_seconds{set="portal-dump"} 7200`)
	})
	page := fetch(t, base+"/")
	if !bytes.Contains(page, []byte(`id="set-portal-dump"`)) {
		t.Error("status page has no backup section for portal-dump")
	}
	d.stop(t)

	// The monthly report carries a backup section: RPO compliance and worst age.
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
	month := time.Now().UTC().Format("2006-01")
	if rc := e.main([]string{"report", "--config", cfg, "--service", "portal", "--month", month, "--format", "json"}); rc != 0 {
		t.Fatalf("report: exit %d: %s", rc, errb.String())
	}
	var rep struct {
		Backups []struct {
			Set      string   `json:"set"`
			Worst    *float64 `json:"worst_age_seconds"`
			Backups  int      `json:"backups"`
			Complies *float64 `json:"compliance_percent"`
		} `json:"backups"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Backups) != 2 || rep.Backups[0].Set != "portal-dump" || rep.Backups[0].Worst == nil {
		t.Fatalf("report backup lines: %s", out.String())
	}
}

// TestE2EBackupStatusFromRestic: `slawatch backup status` reads a real
// restic repository and says, per Ultimo's clause, what holds and what not.
func TestE2EBackupStatusFromRestic(t *testing.T) {
	restic := testutil.RequireBinary(t, "restic")
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	if err := os.WriteFile(filepath.Join(dir, "restic.pass"), []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "dump.sql"), []byte("select 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(restic, append([]string{"--repo", repo, "--password-file", filepath.Join(dir, "restic.pass"), "--no-cache"}, args...)...)
		cmd.Env = append(os.Environ(), "TZ=UTC", "RESTIC_CACHE_DIR="+filepath.Join(dir, "cache"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("restic %v: %v\n%s", args, err, out)
		}
	}
	run("init")
	// Evaluated at T = 2026-11-04 12:00 UTC with rpo 12h and the Ultimo
	// scheme: one snapshot in each of Aug, Sep and Oct and in each of the
	// four ISO weeks before the week of T−7d; every 10 hours from just
	// before T−7d up to T, except two on Nov 1: a 30-hour hole.
	at := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	var times []time.Time
	for _, d := range []string{"2026-08-15T02:00:00Z", "2026-09-15T02:00:00Z", "2026-10-01T02:00:00Z", "2026-10-08T02:00:00Z", "2026-10-15T02:00:00Z", "2026-10-22T02:00:00Z"} {
		tm, _ := time.Parse(time.RFC3339, d)
		times = append(times, tm)
	}
	holeFrom, holeTo := time.Date(2026, 10, 31, 19, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	for tm := at.Add(-7*24*time.Hour - time.Hour); !tm.After(at); tm = tm.Add(10 * time.Hour) {
		if tm.After(holeFrom) && tm.Before(holeTo) {
			continue
		}
		times = append(times, tm)
	}
	for _, tm := range times {
		run("backup", "--quiet", "--host", "db1", "--time", tm.Format("2006-01-02 15:04:05"), data)
	}

	addr := testutil.FreeAddr(t)
	cfg := backupConfig(t, dir, addr, repo)
	writeListing(t, dir, "echo '[]'\n")
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
	rc := e.main([]string{"backup", "status", "--config", cfg, "--set", "portal-restic", "--at", at.Format(time.RFC3339), "--format", "json"})
	var statuses []struct {
		Set       string `json:"set"`
		RPOMet    bool   `json:"rpo_met"`
		Met       bool   `json:"met"`
		State     string `json:"state"`
		Retention struct {
			PointInTime struct {
				Met  bool `json:"met"`
				Gaps []struct {
					Start time.Time `json:"start"`
					End   time.Time `json:"end"`
				} `json:"gaps"`
			} `json:"point_in_time"`
			Weekly  struct{ Met bool } `json:"weekly"`
			Monthly struct{ Met bool } `json:"monthly"`
		} `json:"retention"`
	}
	if err := json.Unmarshal(out.Bytes(), &statuses); err != nil {
		t.Fatalf("backup status JSON (exit %d): %v\n%s%s", rc, err, out.String(), errb.String())
	}
	if len(statuses) != 1 {
		t.Fatalf("statuses: %+v", statuses)
	}
	s := statuses[0]
	if s.State != "ok" && s.State != "failing" {
		t.Fatalf("state %q: the restic source was not read: %s", s.State, out.String())
	}
	if !s.RPOMet || !s.Retention.Weekly.Met || !s.Retention.Monthly.Met {
		t.Errorf("rpo/weekly/monthly should hold: %+v", s)
	}
	if s.Retention.PointInTime.Met || len(s.Retention.PointInTime.Gaps) != 1 {
		t.Fatalf("point in time should fail on the Nov 1 hole with one gap: %+v", s.Retention.PointInTime)
	}
	if g := s.Retention.PointInTime.Gaps[0]; !g.Start.Equal(holeFrom) || !g.End.Equal(holeTo) {
		t.Errorf("gap %v–%v, want exactly %v–%v", g.Start, g.End, holeFrom, holeTo)
	}
	if s.Met || rc != exitFail {
		t.Errorf("met %v, exit %d: want not met and exit 1", s.Met, rc)
	}

	// The text form says the same for a person.
	out.Reset()
	e.main([]string{"backup", "status", "--config", cfg, "--set", "portal-restic", "--at", at.Format(time.RFC3339), "--no-refresh"})
	for _, want := range []string{"portal-restic (portal)", "NOT MET", "point in time", "FAIL", "gap 2026-"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text status lacks %q:\n%s", want, out.String())
		}
	}
}
