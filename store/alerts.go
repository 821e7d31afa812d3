package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slawatch/slawatch/alerts"
)

// alertsSchema holds alerts (the engine's state, so a restart neither
// forgets nor re-pages them) and the notification outbox: every
// notification is written here before it is sent, and its key makes the
// same alert in the same state to the same receiver one row, however often
// it is enqueued.
const alertsSchema = `
CREATE TABLE alerts (
	fingerprint TEXT PRIMARY KEY,
	labels      TEXT    NOT NULL,
	annotations TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	starts_ms   INTEGER NOT NULL,
	fired_ms    INTEGER,
	ends_ms     INTEGER,
	acked_ms    INTEGER,
	acked_by    TEXT    NOT NULL DEFAULT '',
	updated_ms  INTEGER NOT NULL
);
CREATE INDEX alerts_state ON alerts (state, starts_ms);
CREATE TABLE notifications (
	id           INTEGER PRIMARY KEY,
	key          TEXT    NOT NULL UNIQUE,
	receiver     TEXT    NOT NULL,
	alert        TEXT    NOT NULL,            -- the alert as it was when enqueued (JSON)
	resolved     INTEGER NOT NULL,
	external_url TEXT    NOT NULL DEFAULT '',
	created_ms   INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_ms      INTEGER NOT NULL,
	delivered_ms INTEGER,
	failed_ms    INTEGER,
	last_error   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX notifications_due ON notifications (next_ms) WHERE delivered_ms IS NULL AND failed_ms IS NULL;
CREATE INDEX notifications_sent ON notifications (receiver, alert, delivered_ms);
`

// escalationsSchema records every escalation: one row per firing of an
// alert (fingerprint and fired_ms) and receiver it escalated to, so a
// re-evaluation or a restart records it once.
const escalationsSchema = `
CREATE TABLE escalations (
	id          INTEGER PRIMARY KEY,
	fingerprint TEXT    NOT NULL,
	fired_ms    INTEGER NOT NULL,
	level       INTEGER NOT NULL CHECK (level > 0),
	receiver    TEXT    NOT NULL,
	due_ms      INTEGER NOT NULL,
	at_ms       INTEGER NOT NULL,
	UNIQUE (fingerprint, fired_ms, receiver)
);
`

type alertJSON struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	StartsAt    time.Time         `json:"starts_at"`
	FiredAt     time.Time         `json:"fired_at"`
	EndsAt      time.Time         `json:"ends_at"`
	AckedAt     time.Time         `json:"acked_at"`
	AckedBy     string            `json:"acked_by"`
}

// SaveAlert writes the alert's current state (insert or update by
// fingerprint). An acknowledgement already stored is kept.
func (s *Store) SaveAlert(ctx context.Context, a alerts.Alert, now time.Time) error {
	labels, err := json.Marshal(a.Labels)
	if err != nil {
		return err
	}
	ann, err := json.Marshal(a.Annotations)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO alerts (fingerprint, labels, annotations, state, starts_ms, fired_ms, ends_ms, acked_ms, acked_by, updated_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (fingerprint) DO UPDATE SET labels = excluded.labels, annotations = excluded.annotations,
				state = excluded.state, starts_ms = excluded.starts_ms, fired_ms = excluded.fired_ms, ends_ms = excluded.ends_ms,
				acked_ms = coalesce(alerts.acked_ms, excluded.acked_ms),
				acked_by = CASE WHEN alerts.acked_ms IS NULL THEN excluded.acked_by ELSE alerts.acked_by END,
				updated_ms = excluded.updated_ms`,
			a.Fingerprint(), string(labels), string(ann), a.State, ms(a.StartsAt), nullMS(a.FiredAt), nullMS(a.EndsAt),
			nullMS(a.AckedAt), a.AckedBy, ms(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("save alert: %w", err)
	}
	return nil
}

// DeleteAlert forgets an alert that never fired (pending, then cleared).
func (s *Store) DeleteAlert(ctx context.Context, fingerprint string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM alerts WHERE fingerprint = ?", fingerprint)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete alert: %w", err)
	}
	return nil
}

// AckAlert records who acknowledged an active alert. ErrNotFound when there
// is no such active alert; a second ack keeps the first.
func (s *Store) AckAlert(ctx context.Context, fingerprint, who string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE alerts SET acked_ms = coalesce(acked_ms, ?),
			acked_by = CASE WHEN acked_ms IS NULL THEN ? ELSE acked_by END
			WHERE fingerprint = ? AND state != ?`, ms(at), who, fingerprint, alerts.StateResolved)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("acknowledge alert %s: %w", fingerprint, err)
	}
	return nil
}

// AlertFilter selects alerts. Active ones (pending, firing) come always;
// resolved ones since ResolvedSince (zero: none).
type AlertFilter struct {
	ResolvedSince time.Time
	Limit         int
}

// Alerts lists alerts, newest first.
func (s *Store) Alerts(ctx context.Context, f AlertFilter) ([]alerts.Alert, error) {
	q := `SELECT labels, annotations, state, starts_ms, fired_ms, ends_ms, acked_ms, acked_by FROM alerts
		WHERE state != ? OR (? AND ends_ms >= ?) ORDER BY starts_ms DESC`
	args := []any{alerts.StateResolved, !f.ResolvedSince.IsZero(), ms(f.ResolvedSince)}
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return s.queryAlerts(ctx, q, args...)
}

// AlertsFiredBetween lists the service's alerts that fired in [from, to),
// oldest first: what a report's responsiveness section counts.
func (s *Store) AlertsFiredBetween(ctx context.Context, service string, from, to time.Time) ([]alerts.Alert, error) {
	return s.queryAlerts(ctx, `SELECT labels, annotations, state, starts_ms, fired_ms, ends_ms, acked_ms, acked_by FROM alerts
		WHERE fired_ms >= ? AND fired_ms < ? AND json_extract(labels, '$.service') = ? ORDER BY fired_ms`, ms(from), ms(to), service)
}

func (s *Store) queryAlerts(ctx context.Context, q string, args ...any) ([]alerts.Alert, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", classify(err))
	}
	defer rows.Close()
	var out []alerts.Alert
	for rows.Next() {
		var a alerts.Alert
		var labels, ann string
		var starts int64
		var fired, ends, acked sql.NullInt64
		if err := rows.Scan(&labels, &ann, &a.State, &starts, &fired, &ends, &acked, &a.AckedBy); err != nil {
			return nil, fmt.Errorf("list alerts: %w", err)
		}
		if err := json.Unmarshal([]byte(labels), &a.Labels); err != nil {
			return nil, fmt.Errorf("list alerts: labels: %w", err)
		}
		if err := json.Unmarshal([]byte(ann), &a.Annotations); err != nil {
			return nil, fmt.Errorf("list alerts: annotations: %w", err)
		}
		a.StartsAt, a.FiredAt, a.EndsAt, a.AckedAt = fromMS(starts), fromNullMS(fired), fromNullMS(ends), fromNullMS(acked)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list alerts: %w", classify(err))
	}
	rows.Close()
	if err := s.escalationsOf(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Enqueue writes a notification to the outbox, due at once. A notification
// with a key already there is not added again (created is false): a restart
// or a re-evaluation never pages twice.
func (s *Store) Enqueue(ctx context.Context, n alerts.Notification) (id int64, created bool, err error) {
	err = s.write(ctx, func(tx *sql.Tx) error {
		id, created, err = enqueueTx(ctx, tx, n)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("enqueue notification: %w", err)
	}
	return id, created, nil
}

// EnqueueEscalation writes the notification that escalates an alert to a
// further receiver together with the record of the escalation, in one
// transaction: neither exists without the other. Both are idempotent (the
// notification by its key, the record by alert firing and receiver);
// created reports whether the escalation is new.
func (s *Store) EnqueueEscalation(ctx context.Context, n alerts.Notification, e alerts.Escalation) (created bool, err error) {
	if n.Alert.FiredAt.IsZero() || e.Level < 1 {
		return false, fmt.Errorf("record escalation of %s to %s: not a firing alert's escalation (level %d)", n.Alert.Fingerprint(), e.Receiver, e.Level)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, _, err := enqueueTx(ctx, tx, n); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO escalations (fingerprint, fired_ms, level, receiver, due_ms, at_ms)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (fingerprint, fired_ms, receiver) DO NOTHING`,
			n.Alert.Fingerprint(), ms(n.Alert.FiredAt), e.Level, e.Receiver, ms(e.Due), ms(e.At))
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		created = k == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record escalation of %s to %s: %w", n.Alert.Fingerprint(), e.Receiver, err)
	}
	return created, nil
}

func enqueueTx(ctx context.Context, tx *sql.Tx, n alerts.Notification) (id int64, created bool, err error) {
	a, err := json.Marshal(alertJSON{n.Alert.Labels, n.Alert.Annotations, n.Alert.State, n.Alert.StartsAt,
		n.Alert.FiredAt, n.Alert.EndsAt, n.Alert.AckedAt, n.Alert.AckedBy})
	if err != nil {
		return 0, false, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO notifications (key, receiver, alert, resolved, external_url, created_ms, next_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
		n.Key, n.Receiver, string(a), n.Resolved, n.ExternalURL, ms(n.CreatedAt), ms(n.CreatedAt))
	if err != nil {
		return 0, false, err
	}
	if k, _ := res.RowsAffected(); k == 1 {
		id, err = res.LastInsertId()
		return id, true, err
	}
	return 0, false, nil
}

// escalationsOf fills in the escalations of each alert's current firing,
// oldest first.
func (s *Store) escalationsOf(ctx context.Context, as []alerts.Alert) error {
	idx := map[string]int{}
	for i, a := range as {
		if !a.FiredAt.IsZero() {
			idx[a.Fingerprint()] = i
		}
	}
	if len(idx) == 0 {
		return nil
	}
	// One query for the lot: escalations are few (a handful per alert).
	rows, err := s.r.QueryContext(ctx, `SELECT e.fingerprint, e.fired_ms, e.level, e.receiver, e.due_ms, e.at_ms
		FROM escalations e JOIN alerts a ON a.fingerprint = e.fingerprint AND a.fired_ms = e.fired_ms
		ORDER BY e.at_ms, e.level`)
	if err != nil {
		return fmt.Errorf("list escalations: %w", classify(err))
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		var fired, due, at int64
		var e alerts.Escalation
		if err := rows.Scan(&fp, &fired, &e.Level, &e.Receiver, &due, &at); err != nil {
			return fmt.Errorf("list escalations: %w", err)
		}
		i, ok := idx[fp]
		if !ok || !as[i].FiredAt.Equal(fromMS(fired)) {
			continue
		}
		e.Due, e.At = fromMS(due), fromMS(at)
		as[i].Escalations = append(as[i].Escalations, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list escalations: %w", classify(err))
	}
	return nil
}

// DueNotifications returns undelivered notifications due at now, oldest
// first.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]alerts.Notification, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, key, receiver, alert, resolved, external_url, created_ms, attempts
		FROM notifications WHERE delivered_ms IS NULL AND failed_ms IS NULL AND next_ms <= ? ORDER BY next_ms, id LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due notifications: %w", classify(err))
	}
	defer rows.Close()
	var out []alerts.Notification
	for rows.Next() {
		var n alerts.Notification
		var a string
		var created int64
		if err := rows.Scan(&n.ID, &n.Key, &n.Receiver, &a, &n.Resolved, &n.ExternalURL, &created, &n.Attempts); err != nil {
			return nil, fmt.Errorf("due notifications: %w", err)
		}
		var aj alertJSON
		if err := json.Unmarshal([]byte(a), &aj); err != nil {
			return nil, fmt.Errorf("due notifications: alert: %w", err)
		}
		n.Alert = alerts.Alert{Labels: aj.Labels, Annotations: aj.Annotations, State: aj.State, StartsAt: aj.StartsAt,
			FiredAt: aj.FiredAt, EndsAt: aj.EndsAt, AckedAt: aj.AckedAt, AckedBy: aj.AckedBy}
		n.CreatedAt = fromMS(created)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due notifications: %w", classify(err))
	}
	return out, nil
}

// MarkDelivered records a delivered notification.
func (s *Store) MarkDelivered(ctx context.Context, id int64, at time.Time) error {
	return s.markNotification(ctx, id, "delivered_ms = ?, attempts = attempts + 1, last_error = ''", ms(at))
}

// MarkRetry records a failed attempt worth retrying at next.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, errText string) error {
	return s.markNotification(ctx, id, "next_ms = ?, attempts = attempts + 1, last_error = ?", ms(next), truncateUTF8(errText, 1024))
}

// MarkFailed records a notification that cannot be delivered (the receiver
// refused the message itself, or is gone from the config).
func (s *Store) MarkFailed(ctx context.Context, id int64, at time.Time, errText string) error {
	return s.markNotification(ctx, id, "failed_ms = ?, attempts = attempts + 1, last_error = ?", ms(at), truncateUTF8(errText, 1024))
}

func (s *Store) markNotification(ctx context.Context, id int64, set string, args ...any) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE notifications SET "+set+" WHERE id = ?", append(args, id)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("notification %d: %w", id, err)
	}
	return nil
}

// NotificationQueue reports the undelivered notifications: how many, and
// when the oldest was created (zero when none).
func (s *Store) NotificationQueue(ctx context.Context) (pending int, oldest time.Time, err error) {
	var o sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT count(*), min(created_ms) FROM notifications
		WHERE delivered_ms IS NULL AND failed_ms IS NULL`).Scan(&pending, &o)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("notification queue: %w", classify(err))
	}
	return pending, fromNullMS(o), nil
}

// NotificationsByKeyPrefix lists notifications whose key starts with
// prefix, for tests and the alert API's delivery view.
func (s *Store) NotificationsByKeyPrefix(ctx context.Context, prefix string) ([]NotificationRow, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, key, receiver, resolved, attempts, delivered_ms, failed_ms, last_error
		FROM notifications WHERE substr(key, 1, length(?)) = ? ORDER BY id`, prefix, prefix)
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", classify(err))
	}
	defer rows.Close()
	var out []NotificationRow
	for rows.Next() {
		var r NotificationRow
		var delivered, failed sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Key, &r.Receiver, &r.Resolved, &r.Attempts, &delivered, &failed, &r.LastError); err != nil {
			return nil, err
		}
		r.DeliveredAt, r.FailedAt = fromNullMS(delivered), fromNullMS(failed)
		out = append(out, r)
	}
	return out, rows.Err()
}

// NotificationRow is one outbox row's delivery state.
type NotificationRow struct {
	ID                    int64
	Key, Receiver         string
	Resolved              bool
	Attempts              int
	DeliveredAt, FailedAt time.Time
	LastError             string
}
