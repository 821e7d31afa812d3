package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
)

func testAlert() alerts.Alert {
	return alerts.Alert{
		Labels:      map[string]string{"alertname": "ServiceDown", "service": "portal", "severity": "P1"},
		Annotations: map[string]string{"summary": "portal is down"},
		State:       alerts.StateFiring, StartsAt: t0, FiredAt: t0,
	}
}

// Alerts survive a reopen (a restart) with their acknowledgement, and a
// resolved alert leaves the active list.
func TestAlertsPersistAndAck(t *testing.T) {
	path := tempDB(t)
	ctx := context.Background()
	s := openTest(t, path)
	a := testAlert()
	if err := s.SaveAlert(ctx, a, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, a.Fingerprint(), "alice", t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A later save (the engine's copy, without the ack) keeps the ack.
	if err := s.SaveAlert(ctx, a, t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.AckAlert(ctx, "nope", "bob", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ack of a missing alert: %v", err)
	}
	s.Close()

	s = openTest(t, path)
	got, err := s.Alerts(ctx, AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Fingerprint() != a.Fingerprint() || got[0].AckedBy != "alice" ||
		!got[0].AckedAt.Equal(t0.Add(5*time.Minute)) || !got[0].FiredAt.Equal(t0) {
		t.Fatalf("alerts after reopen = %+v", got)
	}
	a.State, a.EndsAt = alerts.StateResolved, t0.Add(time.Hour)
	if err := s.SaveAlert(ctx, a, a.EndsAt); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Alerts(ctx, AlertFilter{}); len(got) != 0 {
		t.Fatalf("resolved alert still active: %+v", got)
	}
	if got, _ := s.Alerts(ctx, AlertFilter{ResolvedSince: t0}); len(got) != 1 || got[0].State != alerts.StateResolved {
		t.Fatalf("recently resolved = %+v", got)
	}
}

// The outbox: a key is one row however often it is enqueued; delivery,
// retry and failure are recorded; the queue metric reads it.
func TestOutbox(t *testing.T) {
	path := tempDB(t)
	ctx := context.Background()
	s := openTest(t, path)
	n := alerts.Notification{Key: "fp/oncall/firing/1", Receiver: "oncall", Alert: testAlert(), CreatedAt: t0}
	id, created, err := s.Enqueue(ctx, n)
	if err != nil || !created || id == 0 {
		t.Fatalf("enqueue: %d %v %v", id, created, err)
	}
	if _, created, err := s.Enqueue(ctx, n); err != nil || created {
		t.Fatalf("second enqueue of the same key: created %v, %v", created, err)
	}
	m := n
	m.Key, m.Receiver = "fp/managers/firing/1", "managers"
	if _, _, err := s.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if k, oldest, err := s.NotificationQueue(ctx); err != nil || k != 2 || !oldest.Equal(t0) {
		t.Fatalf("queue = %d, %v, %v", k, oldest, err)
	}
	due, err := s.DueNotifications(ctx, t0, 10)
	if err != nil || len(due) != 2 || due[0].Alert.Labels["service"] != "portal" || !due[0].Alert.FiredAt.Equal(t0) {
		t.Fatalf("due = %+v, %v", due, err)
	}
	if err := s.MarkRetry(ctx, due[0].ID, t0.Add(time.Minute), "503"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, due[1].ID, t0, "400 bad request"); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueNotifications(ctx, t0.Add(30*time.Second), 10); len(due) != 0 {
		t.Fatalf("due during backoff: %+v", due)
	}
	s.Close()

	// After a restart the retried one is still due, with its attempt count.
	s = openTest(t, path)
	due, err = s.DueNotifications(ctx, t0.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Attempts != 1 || due[0].Receiver != "oncall" {
		t.Fatalf("due after restart = %+v, %v", due, err)
	}
	if err := s.MarkDelivered(ctx, due[0].ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if k, _, _ := s.NotificationQueue(ctx); k != 0 {
		t.Fatalf("queue after delivery = %d", k)
	}
	rows, err := s.NotificationsByKeyPrefix(ctx, "fp/")
	if err != nil || len(rows) != 2 || rows[0].DeliveredAt.IsZero() || rows[1].FailedAt.IsZero() || rows[1].LastError != "400 bad request" {
		t.Fatalf("rows = %+v, %v", rows, err)
	}
}

func TestAlertsFiredBetween(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, tempDB(t))
	a := testAlert()
	b := testAlert()
	b.Labels = map[string]string{"alertname": "ServiceDown", "service": "billing", "severity": "P1"}
	c := testAlert()
	c.Labels = map[string]string{"alertname": "ServiceDegraded", "service": "portal", "severity": "P2"}
	c.FiredAt = t0.Add(48 * time.Hour)
	for _, x := range []alerts.Alert{a, b, c} {
		if err := s.SaveAlert(ctx, x, t0); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AlertsFiredBetween(ctx, "portal", t0, t0.Add(24*time.Hour))
	if err != nil || len(got) != 1 || got[0].Labels["alertname"] != "ServiceDown" {
		t.Fatalf("fired between = %+v, %v", got, err)
	}
}
