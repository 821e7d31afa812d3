package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/store"
)

func do(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, url, b)
		}
	}
	return resp.StatusCode, m
}

// TestE2EAPIWritesAndCLIShareTheStore: writes need a token; bad bodies get a
// 400 with a JSON error; the CLI works on the store while the daemon runs.
func TestE2EAPIWritesAndCLIShareTheStore(t *testing.T) {
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	d := startDaemon(t, cfg, addr)
	base := "http://" + addr

	body := `{"service":"portal","start":"2026-10-01T10:00:00Z","end":"2026-10-01T10:30:00Z","cause":"datacenter power"}`
	if code, m := do(t, "POST", base+"/api/v1/outages", "", body); code != 401 || m["error"] == nil {
		t.Fatalf("POST without token: %d %v, want 401 with an error", code, m)
	}
	if code, m := do(t, "POST", base+"/api/v1/outages", "wrong", body); code != 401 || m["error"] == nil {
		t.Fatalf("POST with a wrong token: %d %v, want 401", code, m)
	}
	for _, bad := range []string{
		`{"service":"portal"`,                                 // truncated
		`{"service":"portal","start":"yesterday"}`,            // bad time
		`{"service":"portal","strat":"2026-10-01T10:00:00Z"}`, // unknown field
		`{"service":"nope","start":"2026-10-01T10:00:00Z","end":"2026-10-01T11:00:00Z"}`,
		`{"service":"portal","start":"2026-10-01T11:00:00Z","end":"2026-10-01T10:00:00Z"}`,
	} {
		if code, m := do(t, "POST", base+"/api/v1/outages", testToken, bad); code != 400 || m["error"] == nil {
			t.Errorf("POST %s: %d %v, want 400 with a JSON error", bad, code, m)
		}
	}
	code, m := do(t, "POST", base+"/api/v1/outages", testToken, body)
	if code != 201 {
		t.Fatalf("POST outage: %d %v", code, m)
	}
	id := int64(m["id"].(float64))

	// The CLI excludes it as force majeure while the daemon runs.
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
	if rc := e.main([]string{"outage", "exclude", "--config", cfg, "--id", itoa(id), "--reason", "regional power failure", "--by", "alice"}); rc != 0 {
		t.Fatalf("outage exclude: exit %d: %s", rc, errb.String())
	}
	code, m = do(t, "GET", base+"/api/v1/outages/"+itoa(id), "", "")
	if code != 200 {
		t.Fatalf("GET outage: %d", code)
	}
	excl, _ := m["excluded"].(map[string]any)
	if excl == nil || excl["reason"] != "regional power failure" || excl["by"] != "alice" {
		t.Fatalf("outage after exclude: %v", m)
	}
	// Undo through the API; the audit trail keeps both.
	if code, m := do(t, "POST", base+"/api/v1/outages/"+itoa(id)+"/include", testToken, `{"reason":"not force majeure after all","by":"bob"}`); code != 200 || m["excluded"] != nil {
		t.Fatalf("include: %d %v", code, m)
	}
	_, m = do(t, "GET", base+"/api/v1/outages/"+itoa(id), "", "")
	if ev, _ := m["events"].([]any); len(ev) != 2 {
		t.Fatalf("audit trail = %v, want exclude and include", m["events"])
	}
	if code, _ := do(t, "GET", base+"/api/v1/outages/999999", "", ""); code != 404 {
		t.Errorf("GET a missing outage: %d, want 404", code)
	}
	if code, _ := do(t, "GET", base+"/api/v1/outages/abc", "", ""); code != 400 {
		t.Errorf("GET outage abc: %d, want 400", code)
	}

	// The CLI adds one too; the daemon's API lists both.
	out.Reset()
	if rc := e.main([]string{"outage", "add", "--config", cfg, "--service", "portal", "--start", "2026-10-02T10:00:00Z",
		"--end", "2026-10-02T10:05:00Z", "--cause", "storm", "--force-majeure"}); rc != 0 {
		t.Fatalf("outage add: exit %d: %s", rc, errb.String())
	}
	var list struct {
		Outages []map[string]any `json:"outages"`
	}
	getJSON(t, base+"/api/v1/outages?service=portal", &list)
	if len(list.Outages) != 2 {
		t.Fatalf("outages listed: %v", list.Outages)
	}

	// The report keeps the exclusion's audit trail: marked, then undone.
	out.Reset()
	for _, f := range []string{"text", "markdown", "html"} {
		out.Reset()
		if rc := e.main([]string{"report", "--config", cfg, "--service", "portal", "--month", "2026-10", "--format", f}); rc != 0 {
			t.Fatalf("report %s: exit %d: %s", f, rc, errb.String())
		}
		for _, want := range []string{"Exclusion history", "regional power failure", "not force majeure after all", "alice", "bob"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s report lacks %q", f, want)
			}
		}
	}

	// A consistent copy of the store while the daemon writes to it.
	copyPath := filepath.Join(dir, "backup", "copy.db")
	if err := os.MkdirAll(filepath.Dir(copyPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if rc := e.main([]string{"db", "backup", "--config", cfg, "--out", copyPath}); rc != 0 {
		t.Fatalf("db backup: exit %d: %s", rc, errb.String())
	}
	cp, err := store.Open(context.Background(), copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cp.CountOutages(context.Background(), "portal"); err != nil || n != 2 {
		t.Fatalf("the copy has %d outages (%v), want 2", n, err)
	}
	if err := cp.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	cp.Close()
	out.Reset()
	if rc := e.main([]string{"db", "check", "--config", cfg}); rc != 0 || strings.TrimSpace(out.String()) != "ok" {
		t.Fatalf("db check: exit %d: %s%s", rc, out.String(), errb.String())
	}
	d.stop(t)
}

// TestE2EReloadKeepsOldConfigWhenBroken: a broken config on /-/reload or
// SIGHUP leaves the old one running and sets the reload metric to 0; a good
// one adds the new service.
func TestE2EReloadKeepsOldConfigWhenBroken(t *testing.T) {
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	d := startDaemon(t, cfg, addr)
	base := "http://" + addr
	good, _ := os.ReadFile(cfg)

	if err := os.WriteFile(cfg, append(append([]byte{}, good...), "  - name: broken\n    policy: nowhere\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _ := do(t, "POST", base+"/-/reload", "", ""); code != 401 {
		t.Fatalf("reload without token: %d, want 401", code)
	}
	code, m := do(t, "POST", base+"/-/reload", testToken, "")
	if code != 500 || !strings.Contains(m["error"].(string), "slawatch.yaml:") {
		t.Fatalf("reload of a broken config: %d %v, want 500 naming the file and line", code, m)
	}
	if !bytes.Contains(fetch(t, base+"/metrics"), []byte("slawatch_config_last_reload_successful 0")) {
		t.Fatal("reload metric not 0 after a failed reload")
	}
	if s, _ := serviceState(t, addr); s == "" {
		t.Fatal("service gone after a failed reload")
	}

	// A good config through SIGHUP: a second service appears.
	second := testutil.NewTarget(t)
	add := "  - name: billing\n    probes:\n      - name: health\n        http: {url: \"" + second.URL + "\"}\n"
	if err := os.WriteFile(cfg, append(append([]byte{}, good...), add...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "billing probed after SIGHUP", func() bool { return second.Hits() > 0 })
	if !bytes.Contains(fetch(t, base+"/metrics"), []byte("slawatch_config_last_reload_successful 1")) {
		t.Fatal("reload metric not 1 after a good reload")
	}
	d.stop(t)
	st := openStore(t, dir)
	if _, err := st.Outages(context.Background(), store.OutageFilter{}); err != nil {
		t.Fatal(err)
	}
}

// TestCLIUsageErrors: bad flags and values print one line and exit 2; a bad
// config exits 1 with FILE:LINE.
func TestCLIUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := e2eConfig(t, dir, "127.0.0.1:0", "http://127.0.0.1:1/", time.Second)
	for _, args := range [][]string{
		{"nosuch"},
		{"run"},
		{"check", "--bogus"},
		{"outage", "add", "--config", cfg, "--service", "portal", "--start", "yesterday", "--end", "2026-10-01T10:00:00Z"},
		{"outage", "add", "--config", cfg, "--service", "portal", "--start", "2026-10-01T11:00:00Z", "--end", "2026-10-01T10:00:00Z"},
		{"outage", "list", "--config", cfg, "--format", "xml"},
		{"outage", "exclude", "--config", cfg, "--id", "1"},
		{"outage", "frobnicate"},
	} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
		if rc := e.main(args); rc != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, rc)
		}
		if lines := strings.Count(strings.TrimSpace(errb.String()), "\n") + 1; lines != 1 || errb.Len() == 0 {
			t.Errorf("%v: stderr %q, want one line", args, errb.String())
		}
		if out.Len() != 0 {
			t.Errorf("%v: a bad command line printed to stdout too:\n%s", args, out.String())
		}
	}
	// --help everywhere exits 0 and prints usage.
	for _, args := range [][]string{{"--help"}, {"run", "--help"}, {"check", "--help"}, {"outage", "--help"}, {"outage", "add", "--help"}, {"outage", "list", "--help"}} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
		if rc := e.main(args); rc != 0 || strings.Count(out.String(), "Usage") != 1 {
			t.Errorf("%v: exit %d, output %q; want the usage once", args, rc, out.String())
		}
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("services:\n  - name: x\n    probes:\n      - name: p\n        interval: 30x\n        http: {url: \"http://x\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, now: time.Now, getenv: os.Getenv}
	if rc := e.main([]string{"check", "--config", bad}); rc != exitFail {
		t.Fatalf("check of a bad config: exit %d", rc)
	}
	if want := bad + ":5: services[0].probes[0].interval:"; !strings.HasPrefix(errb.String(), want) {
		t.Fatalf("check output %q, want it to start with %q", errb.String(), want)
	}
	out.Reset()
	if rc := e.main([]string{"check", "--config", cfg}); rc != 0 || !strings.Contains(out.String(), "OK") {
		t.Fatalf("check of a good config: exit %d, %q", rc, out.String())
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
