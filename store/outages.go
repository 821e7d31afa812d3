package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// Actions in an outage's audit trail.
const (
	ActionExclude = "exclude"
	ActionInclude = "include"
)

// OutageEvent is one entry of an outage's audit trail: it was excluded as
// force majeure, or the exclusion was undone.
type OutageEvent struct {
	At     time.Time
	Action string // ActionExclude or ActionInclude
	Reason string
	Who    string
}

// OutageFilter selects outages. Zero fields select everything.
type OutageFilter struct {
	Service string
	// From and To select outages that intersect [From, To); an open outage
	// extends to +inf. A zero From or To leaves that side unbounded.
	From, To time.Time
	Limit    int // 0: no limit
}

const outageColumns = `id, service, start_ms, end_ms, cause, probe, severity, source,
	excluded, exclude_reason, excluded_by, excluded_ms`

// InsertOutage stores an outage, open (End zero) or closed, and returns its
// id; o.ID is ignored. An outage inserted as Excluded needs an
// ExcludeReason, and its exclusion is recorded in the audit trail (at
// ExcludedAt, or now when that is zero).
func (s *Store) InsertOutage(ctx context.Context, o uptime.Outage) (int64, error) {
	if err := checkOutage(o); err != nil {
		return 0, fmt.Errorf("insert outage: %w", err)
	}
	if o.Excluded && o.ExcludedAt.IsZero() {
		o.ExcludedAt = time.Now()
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO outages (service, start_ms, end_ms, cause, probe, severity, source,
			excluded, exclude_reason, excluded_by, excluded_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			o.Service, ms(o.Start), nullMS(o.End), o.Cause, o.Probe, o.Severity, o.Source,
			o.Excluded, o.ExcludeReason, o.ExcludedBy, nullMS(o.ExcludedAt),
		).Scan(&id)
		if err != nil {
			return err
		}
		if o.Excluded {
			return insertEvent(ctx, tx, id, ActionExclude, o.ExcludeReason, o.ExcludedBy, o.ExcludedAt)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("insert outage (service %q): %w", o.Service, err)
	}
	return id, nil
}

func checkOutage(o uptime.Outage) error {
	switch {
	case o.Service == "":
		return errors.New("service is empty")
	case o.Start.IsZero():
		return errors.New("start is zero")
	case !o.End.IsZero() && ms(o.End) < ms(o.Start):
		return fmt.Errorf("end %s is before start %s", o.End.Format(time.RFC3339), o.Start.Format(time.RFC3339))
	case o.Excluded && strings.TrimSpace(o.ExcludeReason) == "":
		return errors.New("an excluded outage needs a reason")
	}
	return nil
}

// CloseOutage sets the end of an open outage. It fails with ErrNotFound when
// there is no such outage and with ErrConflict when it is already closed or
// end is before its start.
func (s *Store) CloseOutage(ctx context.Context, id int64, end time.Time) error {
	if end.IsZero() {
		return fmt.Errorf("close outage %d: end is zero", id)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var start int64
		var cur sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT start_ms, end_ms FROM outages WHERE id = ?", id).Scan(&start, &cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case cur.Valid:
			return fmt.Errorf("%w: already closed at %s", ErrConflict, fromMS(cur.Int64).Format(time.RFC3339Nano))
		case ms(end) < start:
			return fmt.Errorf("%w: end %s is before start %s", ErrConflict,
				end.UTC().Format(time.RFC3339Nano), fromMS(start).Format(time.RFC3339Nano))
		}
		_, err = tx.ExecContext(ctx, "UPDATE outages SET end_ms = ? WHERE id = ?", ms(end), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("close outage %d: %w", id, err)
	}
	return nil
}

// OpenOutages returns the outages of all services that are still open,
// ordered by start.
func (s *Store) OpenOutages(ctx context.Context) ([]uptime.Outage, error) {
	out, err := s.queryOutages(ctx, "SELECT "+outageColumns+" FROM outages WHERE end_ms IS NULL ORDER BY start_ms, id")
	if err != nil {
		return nil, fmt.Errorf("open outages: %w", err)
	}
	return out, nil
}

// Outage returns one outage, or ErrNotFound.
func (s *Store) Outage(ctx context.Context, id int64) (uptime.Outage, error) {
	out, err := s.queryOutages(ctx, "SELECT "+outageColumns+" FROM outages WHERE id = ?", id)
	if err != nil {
		return uptime.Outage{}, fmt.Errorf("outage %d: %w", id, err)
	}
	if len(out) == 0 {
		return uptime.Outage{}, fmt.Errorf("outage %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// Outages returns the outages f selects, ordered by start.
func (s *Store) Outages(ctx context.Context, f OutageFilter) ([]uptime.Outage, error) {
	var where []string
	var args []any
	if f.Service != "" {
		where = append(where, "service = ?")
		args = append(args, f.Service)
	}
	if !f.To.IsZero() {
		where = append(where, "start_ms < ?")
		args = append(args, ms(f.To))
	}
	if !f.From.IsZero() {
		// An empty outage [t, t] counts as intersecting when From <= t.
		where = append(where, "(end_ms IS NULL OR end_ms > ? OR start_ms >= ?)")
		args = append(args, ms(f.From), ms(f.From))
	}
	q := "SELECT " + outageColumns + " FROM outages"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY start_ms, id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	out, err := s.queryOutages(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("outages: %w", err)
	}
	return out, nil
}

// OutagesBetween returns a service's outages that intersect [from, to),
// excluded ones included, ordered by start: Outages with only those fields
// of the filter set. An open outage extends to +inf.
func (s *Store) OutagesBetween(ctx context.Context, service string, from, to time.Time) ([]uptime.Outage, error) {
	if service == "" {
		return nil, errors.New("outages between: service is empty")
	}
	out, err := s.Outages(ctx, OutageFilter{Service: service, From: from, To: to})
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", service, err)
	}
	if err := s.attachEvents(ctx, service, out); err != nil {
		return nil, err
	}
	return out, nil
}

// attachEvents loads the exclusion audit trail of the service's outages
// that have one (few do), in one query.
func (s *Store) attachEvents(ctx context.Context, service string, out []uptime.Outage) error {
	if len(out) == 0 {
		return nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT e.outage_id, e.at_ms, e.action, e.reason, e.who FROM outage_events e
		JOIN outages o ON o.id = e.outage_id WHERE o.service = ? ORDER BY e.outage_id, e.at_ms, e.rowid`, service)
	if err != nil {
		return fmt.Errorf("outage events of %q: %w", service, classify(err))
	}
	defer rows.Close()
	idx := make(map[int64]int, len(out))
	for i, o := range out {
		idx[o.ID] = i
	}
	for rows.Next() {
		var id, at int64
		var e uptime.OutageEvent
		if err := rows.Scan(&id, &at, &e.Action, &e.Reason, &e.By); err != nil {
			return fmt.Errorf("outage events of %q: %w", service, err)
		}
		if i, ok := idx[id]; ok {
			e.At = fromMS(at)
			out[i].Events = append(out[i].Events, e)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("outage events of %q: %w", service, classify(err))
	}
	return nil
}

func (s *Store) queryOutages(ctx context.Context, q string, args ...any) ([]uptime.Outage, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []uptime.Outage
	for rows.Next() {
		var o uptime.Outage
		var start int64
		var end, exAt sql.NullInt64
		if err := rows.Scan(&o.ID, &o.Service, &start, &end, &o.Cause, &o.Probe, &o.Severity, &o.Source,
			&o.Excluded, &o.ExcludeReason, &o.ExcludedBy, &exAt); err != nil {
			return nil, err
		}
		o.Start, o.End, o.ExcludedAt = fromMS(start), fromNullMS(end), fromNullMS(exAt)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return out, nil
}

// ExcludeOutage marks an outage as force majeure so that it counts like
// maintenance. reason is required. It fails with ErrNotFound for a missing
// outage and ErrConflict when it is already excluded.
func (s *Store) ExcludeOutage(ctx context.Context, id int64, reason, who string, at time.Time) error {
	if err := s.setExcluded(ctx, id, true, reason, who, at); err != nil {
		return fmt.Errorf("exclude outage %d: %w", id, err)
	}
	return nil
}

// IncludeOutage undoes ExcludeOutage; reason is required here too. The
// exclusion fields are cleared; the audit trail keeps them.
func (s *Store) IncludeOutage(ctx context.Context, id int64, reason, who string, at time.Time) error {
	if err := s.setExcluded(ctx, id, false, reason, who, at); err != nil {
		return fmt.Errorf("include outage %d: %w", id, err)
	}
	return nil
}

func (s *Store) setExcluded(ctx context.Context, id int64, exclude bool, reason, who string, at time.Time) error {
	if strings.TrimSpace(reason) == "" {
		return errors.New("a reason is required")
	}
	if at.IsZero() {
		return errors.New("time is zero")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var cur bool
		err := tx.QueryRowContext(ctx, "SELECT excluded FROM outages WHERE id = ?", id).Scan(&cur)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case cur == exclude && exclude:
			return fmt.Errorf("%w: already excluded", ErrConflict)
		case cur == exclude:
			return fmt.Errorf("%w: not excluded", ErrConflict)
		}
		action := ActionInclude
		if exclude {
			action = ActionExclude
			_, err = tx.ExecContext(ctx, `UPDATE outages SET excluded = 1, exclude_reason = ?, excluded_by = ?, excluded_ms = ?
				WHERE id = ?`, reason, who, ms(at), id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE outages SET excluded = 0, exclude_reason = '', excluded_by = '', excluded_ms = NULL
				WHERE id = ?`, id)
		}
		if err != nil {
			return err
		}
		return insertEvent(ctx, tx, id, action, reason, who, at)
	})
}

func insertEvent(ctx context.Context, tx *sql.Tx, id int64, action, reason, who string, at time.Time) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO outage_events (outage_id, at_ms, action, reason, who) VALUES (?, ?, ?, ?, ?)",
		id, ms(at), action, reason, who)
	return err
}

// OutageEvents returns an outage's audit trail, oldest first, or ErrNotFound
// when the outage does not exist.
func (s *Store) OutageEvents(ctx context.Context, id int64) ([]OutageEvent, error) {
	ev, err := s.outageEvents(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("outage %d events: %w", id, err)
	}
	return ev, nil
}

func (s *Store) outageEvents(ctx context.Context, id int64) ([]OutageEvent, error) {
	// One read transaction, so the existence check and the events agree.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, classify(err)
	}
	defer rollback(tx)
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM outages WHERE id = ?", id).Scan(&n); err != nil {
		return nil, classify(err)
	}
	if n == 0 {
		return nil, ErrNotFound
	}
	rows, err := tx.QueryContext(ctx, "SELECT at_ms, action, reason, who FROM outage_events WHERE outage_id = ? ORDER BY at_ms, id", id)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []OutageEvent
	for rows.Next() {
		var e OutageEvent
		var at int64
		if err := rows.Scan(&at, &e.Action, &e.Reason, &e.Who); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, classify(rows.Err())
}

// CountOutages counts a service's outages, excluded ones included; an empty
// service counts them all.
func (s *Store) CountOutages(ctx context.Context, service string) (int64, error) {
	var n int64
	var err error
	if service == "" {
		err = s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM outages").Scan(&n)
	} else {
		err = s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM outages WHERE service = ?", service).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count outages (service %q): %w", service, classify(err))
	}
	return n, nil
}

// CountOutagesByService counts the outages of every service that has any.
func (s *Store) CountOutagesByService(ctx context.Context) (map[string]int64, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT service, COUNT(*) FROM outages GROUP BY service")
	if err != nil {
		return nil, fmt.Errorf("count outages by service: %w", classify(err))
	}
	defer rows.Close()
	out := make(map[string]int64)
	for rows.Next() {
		var svc string
		var n int64
		if err := rows.Scan(&svc, &n); err != nil {
			return nil, fmt.Errorf("count outages by service: %w", err)
		}
		out[svc] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count outages by service: %w", classify(err))
	}
	return out, nil
}

// write runs fn in a write transaction (BEGIN IMMEDIATE) and commits it.
func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.writeErr(err)
	}
	defer rollback(tx)
	if err := fn(tx); err != nil {
		return s.writeErr(err)
	}
	return s.writeErr(tx.Commit())
}
