package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/uptime"
)

// Rollup aggregates one probe's results over one UTC hour.
type Rollup struct {
	Service, Probe string
	Hour           time.Time // start of the hour, UTC
	Count          int64
	Failures       int64
	Degraded       int64
	SumDuration    time.Duration
	MinDuration    time.Duration
	MaxDuration    time.Duration
}

// MeanDuration is the mean attempt duration, zero without results.
func (r Rollup) MeanDuration() time.Duration {
	if r.Count == 0 {
		return 0
	}
	return r.SumDuration / time.Duration(r.Count)
}

// Results returns the raw results of a service's probe with Start in
// [from, to), oldest first; an empty probe name returns all of the service's
// probes. Zero from or to leave that side unbounded, limit 0 means no limit.
// What is stored: Start (ms), Duration (µs), Success, Degraded, Err and
// StatusCode; Phases and CertExpiry are not kept.
func (s *Store) Results(ctx context.Context, service, probeName string, from, to time.Time, limit int) ([]probe.Result, error) {
	q := `SELECT p.service, p.name, r.ts_ms, r.duration_us, r.status, r.status_code, r.err
		FROM results r JOIN probes p ON p.id = r.probe_id
		WHERE p.service = ?`
	args := []any{service}
	if probeName != "" {
		q += " AND p.name = ?"
		args = append(args, probeName)
	}
	lo, hi := bounds(from, to)
	q += " AND r.ts_ms >= ? AND r.ts_ms < ? ORDER BY r.ts_ms, p.name"
	args = append(args, lo, hi)
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("results %s/%s: %w", service, probeName, classify(err))
	}
	defer rows.Close()
	var out []probe.Result
	for rows.Next() {
		var r probe.Result
		var ts, dur int64
		var st int
		var code sql.NullInt64
		var msg sql.NullString
		if err := rows.Scan(&r.Service, &r.Probe, &ts, &dur, &st, &code, &msg); err != nil {
			return nil, fmt.Errorf("results %s/%s: %w", service, probeName, err)
		}
		r.Start = fromMS(ts)
		r.Duration = time.Duration(dur) * time.Microsecond
		r.Success = st != statusFail
		r.Degraded = st == statusDegraded
		r.StatusCode = int(code.Int64)
		r.Err = msg.String
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("results %s/%s: %w", service, probeName, classify(err))
	}
	return out, nil
}

// Rollups returns the hourly rollups of a service's probes for the hours
// that intersect [from, to), ordered by hour and probe. Zero from or to leave
// that side unbounded.
func (s *Store) Rollups(ctx context.Context, service string, from, to time.Time) ([]Rollup, error) {
	lo, hi := bounds(from, to)
	if lo != math.MinInt64 {
		// The hour that contains from intersects the range too.
		lo = floorDiv(lo, hourMS) * hourMS
	}
	rows, err := s.r.QueryContext(ctx, `SELECT p.name, u.hour_ms, u.count, u.failures, u.degraded,
			u.sum_duration_us, u.min_duration_us, u.max_duration_us
		FROM rollups u JOIN probes p ON p.id = u.probe_id
		WHERE p.service = ? AND u.hour_ms >= ? AND u.hour_ms < ?
		ORDER BY u.hour_ms, p.name`, service, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("rollups %s: %w", service, classify(err))
	}
	defer rows.Close()
	var out []Rollup
	for rows.Next() {
		u := Rollup{Service: service}
		var hour, sum, lo, hi int64
		if err := rows.Scan(&u.Probe, &hour, &u.Count, &u.Failures, &u.Degraded, &sum, &lo, &hi); err != nil {
			return nil, fmt.Errorf("rollups %s: %w", service, err)
		}
		u.Hour = fromMS(hour)
		u.SumDuration = time.Duration(sum) * time.Microsecond
		u.MinDuration = time.Duration(lo) * time.Microsecond
		u.MaxDuration = time.Duration(hi) * time.Microsecond
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rollups %s: %w", service, classify(err))
	}
	return out, nil
}

// MonitoredSpans returns the spans in which a service was monitored that
// intersect [from, to), unclipped and ordered by start. A span is [first
// result, last result] of one Writer; one with a single result, [t, t],
// counts as intersecting when from <= t < to. Zero from or to leave that side
// unbounded. Spans may overlap when two writers ran at once.
func (s *Store) MonitoredSpans(ctx context.Context, service string, from, to time.Time) ([]uptime.Interval, error) {
	lo, hi := bounds(from, to)
	rows, err := s.r.QueryContext(ctx, `SELECT start_ms, end_ms FROM monitor_spans
		WHERE service = ? AND start_ms < ? AND (end_ms > ? OR start_ms >= ?)
		ORDER BY start_ms, id`, service, hi, lo, lo)
	if err != nil {
		return nil, fmt.Errorf("monitored spans %s: %w", service, classify(err))
	}
	defer rows.Close()
	var out []uptime.Interval
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return nil, fmt.Errorf("monitored spans %s: %w", service, err)
		}
		out = append(out, uptime.Interval{Start: fromMS(a), End: fromMS(b)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("monitored spans %s: %w", service, classify(err))
	}
	return out, nil
}

// bounds turns [from, to) into milliseconds, zero times into the extremes.
func bounds(from, to time.Time) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	if !from.IsZero() {
		lo = ms(from)
	}
	if !to.IsZero() {
		hi = ms(to)
	}
	return lo, hi
}

// pruneBatch is the most rows deleted in one transaction, so that a prune
// holds the write lock for milliseconds and the daemon's flushes and
// outage writes slip in between. A variable for tests.
var pruneBatch int64 = 10000

// PruneResults deletes the raw results that started before before, in
// transactions of at most 10,000 rows, and returns how many it deleted.
// Rollups, outages and monitored spans are kept.
func (s *Store) PruneResults(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.prune(ctx, "results", "ts_ms", ms(before))
	if err != nil {
		return n, fmt.Errorf("prune results before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// PruneRollups deletes the hourly rollups of hours that started before
// before, the same way PruneResults does.
func (s *Store) PruneRollups(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.prune(ctx, "rollups", "hour_ms", ms(before))
	if err != nil {
		return n, fmt.Errorf("prune rollups before %s: %w", before.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// prune deletes rows of table with col < before, probe by probe: each
// probe's rows are one range of the primary key (probe_id, col), so no
// index on time alone is needed, and each transaction deletes whole ranges
// until it has taken pruneBatch rows, splitting a range that is larger.
func (s *Store) prune(ctx context.Context, table, col string, before int64) (int64, error) {
	ids, err := s.probeIDs(ctx)
	if err != nil {
		return 0, err
	}
	// table and col are constants of this package, never input.
	countQ := fmt.Sprintf("SELECT COUNT(*) FROM (SELECT 1 FROM %s WHERE probe_id = ? AND %s < ? LIMIT ?)", table, col)
	nthQ := fmt.Sprintf("SELECT %s FROM %s WHERE probe_id = ? AND %s < ? ORDER BY %s LIMIT 1 OFFSET ?", col, table, col, col)
	delQ := fmt.Sprintf("DELETE FROM %s WHERE probe_id = ? AND %s < ?", table, col)
	var total int64
	for len(ids) > 0 {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		err := s.write(ctx, func(tx *sql.Tx) error {
			budget := pruneBatch
			for len(ids) > 0 && budget > 0 {
				id := ids[0]
				var n int64
				if err := tx.QueryRowContext(ctx, countQ, id, before, budget+1).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					ids = ids[1:]
					budget-- // the lookup still costs a little
					continue
				}
				cut := before
				if n > budget {
					// Too many: delete only the oldest budget rows,
					// those before the budget-th one's time. Rows that
					// share that time wait for the next transaction.
					if err := tx.QueryRowContext(ctx, nthQ, id, before, budget).Scan(&cut); err != nil {
						return err
					}
				} else {
					ids = ids[1:]
				}
				res, err := tx.ExecContext(ctx, delQ, id, cut)
				if err != nil {
					return err
				}
				d, err := res.RowsAffected()
				if err != nil {
					return err
				}
				total += d
				budget -= max(d, 1)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Store) probeIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id FROM probes ORDER BY id")
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, classify(rows.Err())
}
