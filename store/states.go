package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// Each service's state is kept as intervals: a row per state change, the
// current one open (end NULL), so that reports can add up degraded time and
// the status page can say since when a service is in its state.
//
// A daemon that stops normally need not close its rows: at its next start,
// before its Writer flushes anything, it calls CloseDanglingStates, which
// closes every open row at the end of the service's last monitored span, the
// last moment the state is known to have held. That covers kill -9 too.

// StateSince is a service's current state as recorded and when it began.
type StateSince struct {
	State uptime.State
	Since time.Time
}

// RecordState records that service is in state from at on: in one
// transaction it ends the service's open row at at and opens a new one. It
// does nothing when the open row already has that state. A row that would
// last no time (a second change in the same millisecond) is replaced rather
// than kept, and merged into the row before it when that has the new state,
// so flapping within a millisecond leaves no trace. It fails with
// ErrConflict when at is before the open row's start. The change is on disk
// when the call returns.
func (s *Store) RecordState(ctx context.Context, service string, state uptime.State, at time.Time) error {
	if err := checkState(service, state, at); err != nil {
		return fmt.Errorf("record state: %w", err)
	}
	t := ms(at)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id, start int64
		var cur uptime.State
		err := tx.QueryRowContext(ctx, "SELECT id, state, start_ms FROM service_states WHERE service = ? AND end_ms IS NULL",
			service).Scan(&id, &cur, &start)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return insertState(ctx, tx, service, state, t)
		case err != nil:
			return err
		case cur == state:
			return nil
		case t < start:
			return fmt.Errorf("%w: %s is before the start of the current state %s at %s", ErrConflict,
				at.UTC().Format(time.RFC3339Nano), cur, fromMS(start).Format(time.RFC3339Nano))
		case t > start:
			if _, err := tx.ExecContext(ctx, "UPDATE service_states SET end_ms = ? WHERE id = ?", t, id); err != nil {
				return err
			}
			return insertState(ctx, tx, service, state, t)
		}
		// The open row began at this very millisecond: drop it, and
		// reopen the row it ended when that one has the new state.
		if _, err := tx.ExecContext(ctx, "DELETE FROM service_states WHERE id = ?", id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE service_states SET end_ms = NULL
			WHERE id = (SELECT id FROM service_states WHERE service = ?1 AND state = ?2 AND start_ms <= ?3
				ORDER BY start_ms DESC, id DESC LIMIT 1)
			AND end_ms = ?3`, service, state, t)
		if err != nil {
			return err
		}
		reopened, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if reopened == 1 {
			return nil
		}
		return insertState(ctx, tx, service, state, t)
	})
	if err != nil {
		return fmt.Errorf("record state %s of %q at %s: %w", state, service, at.UTC().Format(time.RFC3339Nano), err)
	}
	return nil
}

func insertState(ctx context.Context, tx *sql.Tx, service string, state uptime.State, t int64) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO service_states (service, state, start_ms) VALUES (?, ?, ?)", service, state, t)
	return err
}

func checkState(service string, state uptime.State, at time.Time) error {
	switch {
	case service == "":
		return errors.New("service is empty")
	case !slices.Contains(uptime.States, state):
		return fmt.Errorf("unknown state %q", state)
	case at.IsZero():
		return errors.New("time is zero")
	}
	return nil
}

// CloseStates ends the service's open state row at at, for a service that is
// no longer monitored (removed from the config, or the daemon stopping).
// Without an open row it does nothing. It fails with ErrConflict when at is
// before the open row's start.
func (s *Store) CloseStates(ctx context.Context, service string, at time.Time) error {
	switch {
	case service == "":
		return errors.New("close states: service is empty")
	case at.IsZero():
		return fmt.Errorf("close states of %q: time is zero", service)
	}
	t := ms(at)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var id, start int64
		var cur uptime.State
		err := tx.QueryRowContext(ctx, "SELECT id, state, start_ms FROM service_states WHERE service = ? AND end_ms IS NULL",
			service).Scan(&id, &cur, &start)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		case t < start:
			return fmt.Errorf("%w: %s is before the start of the current state %s at %s", ErrConflict,
				at.UTC().Format(time.RFC3339Nano), cur, fromMS(start).Format(time.RFC3339Nano))
		}
		_, err = tx.ExecContext(ctx, "UPDATE service_states SET end_ms = ? WHERE id = ?", t, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("close states of %q at %s: %w", service, at.UTC().Format(time.RFC3339Nano), err)
	}
	return nil
}

// CloseDanglingStates closes, in one transaction, every open state row of
// every service at the end of that service's last monitored span (never
// before the row's start; at its start when the service has no span). A
// daemon calls it when it starts, before its Writer's first flush: the rows
// still open then were left by a run that was killed or did not close them,
// and their state is known only up to the last result that run flushed.
// Called later, the span of the new run would be taken as the last one.
func (s *Store) CloseDanglingStates(ctx context.Context) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE service_states AS st
			SET end_ms = max(st.start_ms, coalesce(
				(SELECT max(m.end_ms) FROM monitor_spans AS m WHERE m.service = st.service), st.start_ms))
			WHERE st.end_ms IS NULL`)
		return err
	})
	if err != nil {
		return fmt.Errorf("close dangling states: %w", err)
	}
	return nil
}

// StateIntervals returns the intervals in which service was in state that
// intersect [from, to), unclipped and ordered by start. The open row, if it
// has that state, ends at now (or at its start, when now is before it). An
// empty interval [t, t] counts as intersecting when from <= t < to. Zero
// from or to leave that side unbounded; now is required.
func (s *Store) StateIntervals(ctx context.Context, service string, state uptime.State, from, to, now time.Time) ([]uptime.Interval, error) {
	if err := checkState(service, state, now); err != nil {
		return nil, fmt.Errorf("state intervals: %w", err)
	}
	lo, hi := bounds(from, to)
	n := ms(now)
	rows, err := s.r.QueryContext(ctx, `SELECT start_ms, max(start_ms, coalesce(end_ms, ?1)) FROM service_states
		WHERE service = ?2 AND state = ?3 AND start_ms < ?4 AND (coalesce(end_ms, ?1) > ?5 OR start_ms >= ?5)
		ORDER BY start_ms, id`, n, service, state, hi, lo)
	if err != nil {
		return nil, fmt.Errorf("state intervals %s of %q: %w", state, service, classify(err))
	}
	defer rows.Close()
	var out []uptime.Interval
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return nil, fmt.Errorf("state intervals %s of %q: %w", state, service, err)
		}
		out = append(out, uptime.Interval{Start: fromMS(a), End: fromMS(b)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("state intervals %s of %q: %w", state, service, classify(err))
	}
	return out, nil
}

// CurrentStates returns the state each service is recorded in now (its open
// row) and since when. Services whose rows are all closed are left out.
func (s *Store) CurrentStates(ctx context.Context) (map[string]StateSince, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT service, state, start_ms FROM service_states WHERE end_ms IS NULL")
	if err != nil {
		return nil, fmt.Errorf("current states: %w", classify(err))
	}
	defer rows.Close()
	out := make(map[string]StateSince)
	for rows.Next() {
		var svc string
		var st StateSince
		var start int64
		if err := rows.Scan(&svc, &st.State, &start); err != nil {
			return nil, fmt.Errorf("current states: %w", err)
		}
		st.Since = fromMS(start)
		out[svc] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("current states: %w", classify(err))
	}
	return out, nil
}
