package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func rxWebhook(t *testing.T, url, secret string) *webhookNotifier {
	t.Helper()
	spec := WebhookSpec{URL: url, Headers: map[string]string{"X-Team": "ops"}}
	dir := t.TempDir()
	if secret != "" {
		if err := os.WriteFile(filepath.Join(dir, "hook.secret"), []byte(secret+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		spec.SecretFile = "hook.secret"
	}
	n, err := NewNotifier(ReceiverSpec{Name: "hooks", Webhook: &spec}, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := n.(*webhookNotifier)
	w.now = func() time.Time { return rxT0.Add(2 * time.Minute) }
	return w
}

func TestWebhookPayloadAndSignature(t *testing.T) {
	srv := rxStart(t, 200)
	n := rxWebhook(t, srv.URL+"/hook", "s3cret-hook-key")
	if retry, err := n.Notify(context.Background(), rxFiring()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	req := srv.last(t)

	// Headers.
	if got := req.header.Get("Idempotency-Key"); got != rxFiring().Key {
		t.Errorf("Idempotency-Key = %q", got)
	}
	if got := req.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := req.header.Get("X-Team"); got != "ops" {
		t.Errorf("configured header X-Team = %q", got)
	}
	sentAt := rxT0.Add(2 * time.Minute)
	if got := req.header.Get(TimestampHeader); got != strconv.FormatInt(sentAt.Unix(), 10) {
		t.Errorf("%s = %q", TimestampHeader, got)
	}
	sig := req.header.Get(SignatureHeader)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Errorf("%s = %q", SignatureHeader, sig)
	}
	if !VerifySignature([]byte("s3cret-hook-key"), req.body, sig) {
		t.Error("the signature does not verify with the secret")
	}
	if VerifySignature([]byte("wrong-secret"), req.body, sig) {
		t.Error("the signature verifies with a wrong secret")
	}
	if VerifySignature([]byte("s3cret-hook-key"), bytes.Replace(req.body, []byte(`"P1"`), []byte(`"P4"`), 1), sig) {
		t.Error("the signature verifies a changed body")
	}

	// Body: the documented schema, field by field.
	var raw map[string]any
	if err := json.Unmarshal(req.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "key", "status", "receiver", "alert", "external_url", "sent_at"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("payload has no %q: %s", k, req.body)
		}
	}
	alert := raw["alert"].(map[string]any)
	for _, k := range []string{"fingerprint", "labels", "annotations", "starts_at", "fired_at", "ends_at", "acked_at", "acked_by"} {
		if _, ok := alert[k]; !ok {
			t.Errorf("payload alert has no %q: %s", k, req.body)
		}
	}
	if alert["ends_at"] != nil || alert["acked_at"] != nil {
		t.Errorf("ends_at and acked_at of a firing, unacknowledged alert are %v and %v, want null", alert["ends_at"], alert["acked_at"])
	}
	var p WebhookPayload
	if err := json.Unmarshal(req.body, &p); err != nil {
		t.Fatal(err)
	}
	a := rxAlert()
	if p.Version != "1" || p.Key != rxFiring().Key || p.Status != "firing" || p.Receiver != "hooks" ||
		p.ExternalURL != "http://127.0.0.1:9477/" || !p.SentAt.Equal(sentAt) {
		t.Errorf("payload = %+v", p)
	}
	if p.Alert.Fingerprint != a.Fingerprint() || p.Alert.Labels["service"] != "customer-portal" ||
		p.Alert.Annotations["summary"] != a.Annotations["summary"] ||
		!p.Alert.StartsAt.Equal(a.StartsAt) || !p.Alert.FiredAt.Equal(a.FiredAt) {
		t.Errorf("payload alert = %+v", p.Alert)
	}
	if !strings.Contains(string(req.body), `"starts_at":"2026-11-04T13:00:00Z"`) {
		t.Errorf("times are not RFC 3339 UTC: %s", req.body)
	}

	// Resolved and acknowledged.
	rs := rxResolved()
	rs.Alert.AckedAt, rs.Alert.AckedBy = rxT0.Add(5*time.Minute), "alice"
	if _, err := n.Notify(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
	req = srv.last(t)
	if err := json.Unmarshal(req.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != "resolved" || p.Alert.EndsAt == nil || !p.Alert.EndsAt.Equal(rs.Alert.EndsAt) ||
		p.Alert.AckedAt == nil || p.Alert.AckedBy != "alice" || req.header.Get("Idempotency-Key") != rs.Key {
		t.Errorf("resolved payload = %s", req.body)
	}
	if !VerifySignature([]byte("s3cret-hook-key"), req.body, req.header.Get(SignatureHeader)) {
		t.Error("the resolve's signature does not verify")
	}
}

func TestWebhookUnsigned(t *testing.T) {
	srv := rxStart(t, 200)
	n := rxWebhook(t, srv.URL, "")
	if _, err := n.Notify(context.Background(), rxFiring()); err != nil {
		t.Fatal(err)
	}
	req := srv.last(t)
	if req.header.Get(SignatureHeader) != "" {
		t.Error("a receiver without a secret signs")
	}
	if req.header.Get(TimestampHeader) == "" || req.header.Get("Idempotency-Key") == "" {
		t.Error("timestamp or idempotency key missing")
	}
}

func TestVerifySignature(t *testing.T) {
	secret, body := []byte("k"), []byte(`{"a":1}`)
	good := Sign(secret, body)
	for _, tt := range []struct {
		header string
		want   bool
	}{
		{good, true},
		{" " + good + " ", true},
		{strings.TrimPrefix(good, "sha256="), false},
		{"sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"sha256=zz", false},
		{good[:len(good)-2], false},
		{"", false},
	} {
		if got := VerifySignature(secret, body, tt.header); got != tt.want {
			t.Errorf("VerifySignature(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

// A notification without a key still gets a stable idempotency key, one per
// alert, fired time, status and receiver.
func TestNotificationKeyFallback(t *testing.T) {
	a, b := rxFiring(), rxFiring()
	a.Key, b.Key = "", ""
	if notificationKey(a) == "" || notificationKey(a) != notificationKey(b) {
		t.Errorf("keys %q and %q", notificationKey(a), notificationKey(b))
	}
	r := rxResolved()
	r.Key = ""
	other := rxFiring()
	other.Key, other.Receiver = "", "managers"
	if notificationKey(r) == notificationKey(a) || notificationKey(other) == notificationKey(a) {
		t.Error("the fallback key does not tell status or receiver apart")
	}
	if notificationKey(rxFiring()) != rxFiring().Key {
		t.Error("a notification's own key is not used")
	}
}
