package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

func TestAlertmanagerPayload(t *testing.T) {
	now := rxT0.Add(5 * time.Minute)
	got := alertmanagerPayload(rxFiring(), now, 20*time.Minute)
	a := rxAlert()
	want := []AlertmanagerAlert{{
		Labels:       a.Labels,
		Annotations:  a.Annotations,
		StartsAt:     a.FiredAt.UTC(),
		EndsAt:       now.Add(20 * time.Minute).UTC(),
		GeneratorURL: "http://127.0.0.1:9477/#svc-customer-portal",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("firing payload = %+v\nwant %+v", got, want)
	}
	body, _ := json.Marshal(got)
	for _, field := range []string{`"labels":`, `"annotations":`, `"startsAt":"2026-11-04T13:01:00Z"`, `"endsAt":"2026-11-04T13:25:00Z"`, `"generatorURL":`} {
		if !bytes.Contains(body, []byte(field)) {
			t.Errorf("payload %s lacks %s", body, field)
		}
	}

	rs := rxResolved()
	got = alertmanagerPayload(rs, now.Add(time.Hour), 20*time.Minute)
	if !got[0].EndsAt.Equal(rs.Alert.EndsAt) || !got[0].StartsAt.Equal(rs.Alert.FiredAt) {
		t.Errorf("resolved payload ends %v, starts %v", got[0].EndsAt, got[0].StartsAt)
	}

	// A resolve with no end time ends now; one that ends before it started
	// is clamped (Alertmanager refuses it); a relative link is dropped.
	rs.Alert.EndsAt = time.Time{}
	if got = alertmanagerPayload(rs, now, time.Minute); !got[0].EndsAt.Equal(now) {
		t.Errorf("resolved without EndsAt ends %v, want now", got[0].EndsAt)
	}
	rs.Alert.EndsAt = rxT0
	rs.Alert.Annotations = map[string]string{"status_page": "/#svc-customer-portal"}
	rs.ExternalURL = ""
	got = alertmanagerPayload(rs, now, time.Minute)
	if got[0].EndsAt.Before(got[0].StartsAt) || got[0].GeneratorURL != "" {
		t.Errorf("payload = %+v", got[0])
	}
}

// amAlert is an alert as GET /api/v2/alerts lists it.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

// startAlertmanager runs a real Alertmanager on loopback with one route to
// a receiver that sends nothing, and returns its URL.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	bin := testutil.RequireBinary(t, "prometheus-alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := testutil.FreeAddr(t)
	var logs syncBuffer
	cmd := exec.Command(bin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager output:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	testutil.Eventually(t, 20*time.Second, "alertmanager ready", func() bool {
		resp, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return base
}

// syncBuffer is a bytes.Buffer safe for a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func listAlertmanager(t *testing.T, base string, labels map[string]string) []amAlert {
	t.Helper()
	q := url.Values{}
	for k, v := range labels {
		q.Add("filter", fmt.Sprintf("%s=%q", k, v))
	}
	resp, err := http.Get(base + "/api/v2/alerts?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAlertmanagerReal posts a firing alert to a real Alertmanager, sees it
// active with its labels, annotations and an endsAt a resolve timeout
// away, then posts the resolve and sees it gone from the active alerts.
func TestAlertmanagerReal(t *testing.T) {
	base := startAlertmanager(t)
	n, err := NewNotifier(ReceiverSpec{Name: "oncall", Alertmanager: &AlertmanagerSpec{URL: base + "/", ResolveTimeout: 10 * time.Minute}}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	nf := rxFiring()
	nf.Alert.StartsAt, nf.Alert.FiredAt = now.Add(-5*time.Minute), now.Add(-4*time.Minute)
	if retry, err := n.Notify(context.Background(), nf); err != nil {
		t.Fatalf("firing: Notify = %v, %v", retry, err)
	}
	var got []amAlert
	testutil.Eventually(t, 10*time.Second, "the alert in Alertmanager", func() bool {
		got = listAlertmanager(t, base, map[string]string{"alertname": "ServiceDown"})
		return len(got) == 1
	})
	a := got[0]
	if !reflect.DeepEqual(a.Labels, nf.Alert.Labels) || !reflect.DeepEqual(a.Annotations, nf.Alert.Annotations) {
		t.Errorf("Alertmanager has labels %v, annotations %v", a.Labels, a.Annotations)
	}
	if a.Status.State != "active" {
		t.Errorf("state %q, want active", a.Status.State)
	}
	if d := a.StartsAt.Sub(nf.Alert.FiredAt); d < -time.Second || d > time.Second {
		t.Errorf("startsAt %v, want the fired time %v", a.StartsAt, nf.Alert.FiredAt)
	}
	if d := a.EndsAt.Sub(now.Add(10 * time.Minute)); d < -5*time.Second || d > 30*time.Second {
		t.Errorf("endsAt %v, want about now + resolve_timeout (10m)", a.EndsAt)
	}
	if a.Fingerprint == "" {
		t.Error("no fingerprint")
	}

	// Resolve: Alertmanager lists only alerts that have not ended.
	rs := nf
	rs.Resolved, rs.Key = true, "resolved"
	rs.Alert.State, rs.Alert.EndsAt = StateResolved, time.Now().Add(-time.Second)
	if retry, err := n.Notify(context.Background(), rs); err != nil {
		t.Fatalf("resolved: Notify = %v, %v", retry, err)
	}
	testutil.Eventually(t, 10*time.Second, "the alert resolved", func() bool {
		return len(listAlertmanager(t, base, map[string]string{"alertname": "ServiceDown"})) == 0
	})

	// An alert Alertmanager refuses is a final failure, with its reason.
	bad := rxFiring()
	bad.Alert.Labels = nil
	retry, err := n.Notify(context.Background(), bad)
	if err == nil || retry || !strings.Contains(err.Error(), "400 Bad Request") || !strings.Contains(err.Error(), "label") {
		t.Errorf("an alert without labels: Notify = %v, %v; want a final 400 with Alertmanager's reason", retry, err)
	}
}
