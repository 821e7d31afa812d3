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

// An escalation is recorded with its notification, once per firing and
// receiver however often it is enqueued (re-evaluations, restarts), and is
// listed with the firing it belongs to, not with a later one.
func TestEscalationRecords(t *testing.T) {
	path := tempDB(t)
	ctx := context.Background()
	s := openTest(t, path)
	a := testAlert()
	if err := s.SaveAlert(ctx, a, t0); err != nil {
		t.Fatal(err)
	}
	due := t0.Add(2 * time.Hour)
	n := alerts.Notification{Key: "k/lead/firing", Receiver: "lead", Alert: a, CreatedAt: due.Add(time.Second)}
	e := alerts.Escalation{Level: 1, Receiver: "lead", Due: due, At: due.Add(time.Second)}
	for i, want := range []bool{true, false} {
		created, err := s.EnqueueEscalation(ctx, n, e)
		if err != nil || created != want {
			t.Fatalf("escalation %d: created=%v err=%v, want created=%v", i, created, err, want)
		}
	}
	// Level 2, enqueued again after a restart: still one record each.
	s.Close()
	s = openTest(t, path)
	n2 := alerts.Notification{Key: "k/manager/firing", Receiver: "manager", Alert: a, CreatedAt: due.Add(2 * time.Hour)}
	e2 := alerts.Escalation{Level: 2, Receiver: "manager", Due: due.Add(2 * time.Hour), At: due.Add(2*time.Hour + time.Second)}
	for range 2 {
		if _, err := s.EnqueueEscalation(ctx, n2, e2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EnqueueEscalation(ctx, n, e); err != nil {
			t.Fatal(err)
		}
	}
	// The notifications went to the outbox with them, once each.
	due2, err := s.DueNotifications(ctx, due.Add(3*time.Hour), 10)
	if err != nil || len(due2) != 2 || due2[0].Receiver != "lead" || due2[1].Receiver != "manager" {
		t.Fatalf("outbox = %+v, %v; want one notification to lead and one to manager", due2, err)
	}
	got, err := s.Alerts(ctx, AlertFilter{})
	if err != nil || len(got) != 1 {
		t.Fatalf("alerts = %+v, %v", got, err)
	}
	want := []alerts.Escalation{e, e2}
	if es := got[0].Escalations; len(es) != 2 || es[0] != want[0] || es[1] != want[1] {
		t.Fatalf("escalations = %+v, want %+v", es, want)
	}
	// Reports see them too.
	if fired, err := s.AlertsFiredBetween(ctx, "portal", t0, t0.Add(time.Hour)); err != nil || len(fired) != 1 || len(fired[0].Escalations) != 2 {
		t.Fatalf("fired between = %+v, %v", fired, err)
	}

	// The alert resolves and fires again: the new firing has no escalations yet.
	a.State, a.EndsAt = alerts.StateResolved, t0.Add(5*time.Hour)
	if err := s.SaveAlert(ctx, a, a.EndsAt); err != nil {
		t.Fatal(err)
	}
	a.State, a.EndsAt, a.StartsAt, a.FiredAt = alerts.StateFiring, time.Time{}, t0.Add(6*time.Hour), t0.Add(6*time.Hour)
	if err := s.SaveAlert(ctx, a, a.FiredAt); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Alerts(ctx, AlertFilter{}); err != nil || len(got) != 1 || len(got[0].Escalations) != 0 {
		t.Fatalf("re-fired alert = %+v, %v; want no escalations", got, err)
	}
	// An escalation of a firing that has none is refused, not half-written.
	pending := a
	pending.FiredAt = time.Time{}
	if _, err := s.EnqueueEscalation(ctx, alerts.Notification{Key: "x", Receiver: "lead", Alert: pending}, e); err == nil {
		t.Fatal("escalation of an alert that never fired was accepted")
	}
	if rows, _ := s.NotificationsByKeyPrefix(ctx, "x"); len(rows) != 0 {
		t.Fatalf("refused escalation left a notification: %+v", rows)
	}
}
