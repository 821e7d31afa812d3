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

// MaintenanceFilter selects stored maintenance windows. Zero fields select
// everything except cancelled windows.
type MaintenanceFilter struct {
	Service string
	// From and To select windows that intersect [From, To). A zero From or
	// To leaves that side unbounded.
	From, To         time.Time
	IncludeCancelled bool
	Limit            int // 0: no limit
}

const maintenanceColumns = `id, service, start_ms, end_ms, reason, source, announced_ms, announced_by, cancelled_ms`

// AddMaintenance stores a maintenance window announced at run time through
// the API or the CLI, and returns its id; w.ID is ignored. It needs a
// Service, Start before End (to the millisecond), a non-zero AnnouncedAt and
// Source uptime.SourceAPI or uptime.SourceCLI: windows from the config are
// not stored. The window is on disk when the call returns.
func (s *Store) AddMaintenance(ctx context.Context, w uptime.Window) (int64, error) {
	if err := checkWindow(w); err != nil {
		return 0, fmt.Errorf("add maintenance: %w", err)
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO maintenance (service, start_ms, end_ms, reason, source,
			announced_ms, announced_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			w.Service, ms(w.Start), ms(w.End), w.Reason, w.Source, ms(w.AnnouncedAt), w.AnnouncedBy,
		).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("add maintenance (service %q): %w", w.Service, err)
	}
	return id, nil
}

func checkWindow(w uptime.Window) error {
	switch {
	case w.Service == "":
		return errors.New("service is empty")
	case w.Start.IsZero():
		return errors.New("start is zero")
	case w.End.IsZero():
		return errors.New("end is zero")
	case ms(w.End) <= ms(w.Start):
		return fmt.Errorf("end %s is not after start %s",
			w.End.UTC().Format(time.RFC3339Nano), w.Start.UTC().Format(time.RFC3339Nano))
	case w.AnnouncedAt.IsZero():
		return errors.New("announcement time is zero")
	case w.Source != uptime.SourceAPI && w.Source != uptime.SourceCLI:
		return fmt.Errorf("source %q: want %q or %q (windows from the config are not stored)",
			w.Source, uptime.SourceAPI, uptime.SourceCLI)
	case w.Cancelled():
		return errors.New("a new window cannot be cancelled already")
	}
	return nil
}

// CancelMaintenance cancels a stored window: it stays stored, with at as its
// CancelledAt and who as the canceller, and no longer counts (see
// uptime.Window.Cancelled). It fails with ErrNotFound when there is no such
// window and with ErrConflict when it is already cancelled.
func (s *Store) CancelMaintenance(ctx context.Context, id int64, who string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("cancel maintenance %d: time is zero", id)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var cur sql.NullInt64
		var by string
		err := tx.QueryRowContext(ctx, "SELECT cancelled_ms, cancelled_by FROM maintenance WHERE id = ?", id).Scan(&cur, &by)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case cur.Valid:
			return fmt.Errorf("%w: already cancelled at %s by %q", ErrConflict, fromMS(cur.Int64).Format(time.RFC3339Nano), by)
		}
		_, err = tx.ExecContext(ctx, "UPDATE maintenance SET cancelled_ms = ?, cancelled_by = ? WHERE id = ?", ms(at), who, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("cancel maintenance %d: %w", id, err)
	}
	return nil
}

// MaintenanceWindow returns one stored window, cancelled or not, or
// ErrNotFound.
func (s *Store) MaintenanceWindow(ctx context.Context, id int64) (uptime.Window, error) {
	out, err := s.queryWindows(ctx, "SELECT "+maintenanceColumns+" FROM maintenance WHERE id = ?", id)
	if err != nil {
		return uptime.Window{}, fmt.Errorf("maintenance window %d: %w", id, err)
	}
	if len(out) == 0 {
		return uptime.Window{}, fmt.Errorf("maintenance window %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// Maintenance returns the stored windows f selects, ordered by start.
func (s *Store) Maintenance(ctx context.Context, f MaintenanceFilter) ([]uptime.Window, error) {
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
		// Windows are never empty (end > start), so this is the whole
		// overlap test.
		where = append(where, "end_ms > ?")
		args = append(args, ms(f.From))
	}
	if !f.IncludeCancelled {
		where = append(where, "cancelled_ms IS NULL")
	}
	q := "SELECT " + maintenanceColumns + " FROM maintenance"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY start_ms, id"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	out, err := s.queryWindows(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("maintenance: %w", err)
	}
	return out, nil
}

// MaintenanceBetween returns a service's stored windows that intersect
// [from, to), cancelled ones included (with CancelledAt set: accounting
// ignores them itself), ordered by start. Zero from or to leave that side
// unbounded. Windows from the config are not stored; the caller adds them.
func (s *Store) MaintenanceBetween(ctx context.Context, service string, from, to time.Time) ([]uptime.Window, error) {
	if service == "" {
		return nil, errors.New("maintenance between: service is empty")
	}
	out, err := s.Maintenance(ctx, MaintenanceFilter{Service: service, From: from, To: to, IncludeCancelled: true})
	if err != nil {
		return nil, fmt.Errorf("service %q: %w", service, err)
	}
	return out, nil
}

func (s *Store) queryWindows(ctx context.Context, q string, args ...any) ([]uptime.Window, error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []uptime.Window
	for rows.Next() {
		var w uptime.Window
		var start, end, announced int64
		var cancelled sql.NullInt64
		if err := rows.Scan(&w.ID, &w.Service, &start, &end, &w.Reason, &w.Source, &announced, &w.AnnouncedBy, &cancelled); err != nil {
			return nil, err
		}
		w.Start, w.End, w.AnnouncedAt, w.CancelledAt = fromMS(start), fromMS(end), fromMS(announced), fromNullMS(cancelled)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	return out, nil
}
