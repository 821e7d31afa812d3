package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/slawatch/slawatch/probe"
)

// WriterOptions configure a Writer. Zero values take the defaults.
type WriterOptions struct {
	FlushInterval time.Duration // default 1 s
	MaxBatch      int           // results per transaction; default 1,000
	// Buffer is how many results Add queues before it blocks; default
	// 10 × MaxBatch, some 10 s of results at 1,000 results a second, which
	// covers a flush that waits out busy_timeout behind another process.
	Buffer int
	// MaxPending bounds the results held while flushes fail (a full disk, a
	// lock held for long); beyond it the oldest are dropped and logged so
	// that memory stays bounded. Default 100 × MaxBatch.
	MaxPending int
	Logger     *slog.Logger // default slog.Default()
	// OnFlush, when set, is told the outcome of every background flush
	// (nil when it succeeded), so the daemon can report itself not ready
	// while the store cannot be written (a full disk, a read-only file).
	OnFlush func(err error)
	// MaxGap, when set, gives the longest a service can go between two
	// results and still count as monitored in between (the daemon derives
	// it from the service's probe schedules). A longer gap (a paused
	// process, a suspended host, a scheduler that fell behind) ends the
	// monitored span at the result before it and opens a new one at the
	// result after. Zero or unset: spans never split within a run.
	MaxGap func(service string) time.Duration
}

// Writer writes probe results in batches: each flush is one transaction
// that inserts the raw results, updates the hourly rollups and extends this
// writer's monitored span of each service. Make one Writer per daemon run:
// its spans say when this run was monitoring.
type Writer struct {
	s    *Store
	opts WriterOptions
	log  *slog.Logger

	in   chan probe.Result
	reqs chan flushReq
	stop chan struct{} // closed by Close
	done chan struct{} // closed when run returns

	closeCtx context.Context // set by Close before stop is closed
	closeErr error           // set by run before done is closed

	mu     sync.RWMutex // held for reading while Add sends, for writing by Close
	closed bool

	closeOnce sync.Once

	// Owned by the run goroutine.
	buf     []probe.Result
	spans   map[string]spanRow // service → its open monitored span
	failing bool
	// failLogged is when a failed flush was last logged; zero while
	// flushes succeed.
	failLogged time.Time
	rest       time.Time // no flush of its own before then; see flushAll
}

type flushReq struct {
	ctx  context.Context
	errc chan error
}

// NewWriter starts a Writer. Close it before closing the store.
func (s *Store) NewWriter(opts WriterOptions) *Writer {
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 10 * opts.MaxBatch
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 100 * opts.MaxBatch
	}
	if opts.MaxPending < opts.MaxBatch {
		opts.MaxPending = opts.MaxBatch
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	w := &Writer{
		s:     s,
		opts:  opts,
		log:   opts.Logger.With("component", "store.writer", "store", s.path),
		in:    make(chan probe.Result, opts.Buffer),
		reqs:  make(chan flushReq),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		spans: make(map[string]spanRow),
	}
	go w.run()
	return w
}

// Add queues a result for the next flush. It blocks only while the queue is
// full. Results added after Close are dropped with an error in the log.
func (w *Writer) Add(r probe.Result) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.log.Error("result added after close, dropped", "service", r.Service, "probe", r.Probe, "start", r.Start)
		return
	}
	w.in <- r
}

// Flush writes every result added before the call and returns when it is
// committed.
func (w *Writer) Flush(ctx context.Context) error {
	return w.request(ctx)
}

// Close flushes what is queued and stops the writer. After Close, Add drops
// results. Close may be called more than once; later calls return the first
// call's result. When ctx ends first, Close returns its error and the writer
// stops after its last flush attempt.
func (w *Writer) Close(ctx context.Context) error {
	w.closeOnce.Do(func() {
		// Taking the lock waits for Adds in progress, so every result
		// added before Close is in the channel when the final flush drains
		// it. The run goroutine keeps draining meanwhile, so an Add blocked
		// on a full channel completes.
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		w.closeCtx = ctx
		close(w.stop)
	})
	select {
	case <-w.done:
		return w.closeErr
	case <-ctx.Done():
		return fmt.Errorf("store writer close: %w", ctx.Err())
	}
}

func (w *Writer) request(ctx context.Context) error {
	req := flushReq{ctx: ctx, errc: make(chan error, 1)}
	select {
	case w.reqs <- req:
	case <-w.stop:
		return errors.New("store writer: closed")
	case <-ctx.Done():
		return fmt.Errorf("store writer flush: %w", ctx.Err())
	}
	select {
	case err := <-req.errc:
		return err
	case <-ctx.Done():
		return fmt.Errorf("store writer flush: %w", ctx.Err())
	}
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(w.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case r := <-w.in:
			w.buf = append(w.buf, r)
			// While flushes fail, leave retries to the ticker rather
			// than retry on every result.
			if len(w.buf) >= w.opts.MaxBatch && !w.failing && !time.Now().Before(w.rest) {
				w.flushBackground()
			}
		case <-t.C:
			w.flushBackground()
		case req := <-w.reqs:
			w.drain()
			req.errc <- w.flushAll(req.ctx, false)
		case <-w.stop:
			w.drain()
			if err := w.flushAll(w.closeCtx, false); err != nil {
				w.closeErr = fmt.Errorf("%w (%d results not written)", err, len(w.buf))
			}
			return
		}
	}
}

// drain moves what is queued into the buffer without blocking.
func (w *Writer) drain() {
	for {
		select {
		case r := <-w.in:
			w.buf = append(w.buf, r)
		default:
			return
		}
	}
}

func (w *Writer) flushBackground() {
	if len(w.buf) == 0 {
		return
	}
	// Bounded so that a hung flush cannot stall the queue for good; the
	// busy_timeout (10 s) ends well before.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := w.flushAll(ctx, true)
	switch {
	case err != nil && time.Since(w.failLogged) >= time.Minute:
		// A store that cannot be written fails every second: say so at
		// once, then once a minute.
		w.failLogged = time.Now()
		w.log.Error("flush failed, will retry", "err", err, "pending", len(w.buf))
	case err == nil && !w.failLogged.IsZero():
		w.failLogged = time.Time{}
		w.log.Info("flush succeeded again; held results written")
	}
	if err != nil {
		if n := len(w.buf) - w.opts.MaxPending; n > 0 {
			w.log.Error("too many results pending, dropped the oldest", "dropped", n)
			w.buf = append(w.buf[:0], w.buf[n:]...)
		}
	}
	if w.opts.OnFlush != nil {
		w.opts.OnFlush(err)
	}
}

// flushAll writes the buffer in transactions of at most MaxBatch results,
// removing each batch from the buffer once it is committed.
//
// When yield is set (flushes the writer starts itself), the writer leaves
// the write lock free for at least as long as it held it before it writes
// again: SQLite's lock is not fair, and a writer that commits back to back
// would starve CLI commands polling for the lock until their busy_timeout
// runs out. At the daemon's normal rate a flush takes milliseconds a
// second, so this only matters under overload.
func (w *Writer) flushAll(ctx context.Context, yield bool) error {
	for len(w.buf) > 0 {
		if yield {
			if d := time.Until(w.rest); d > 0 {
				time.Sleep(d)
			}
		}
		n := min(len(w.buf), w.opts.MaxBatch)
		began := time.Now()
		err := w.flush(ctx, w.buf[:n])
		held := time.Since(began)
		w.rest = time.Now().Add(min(held, time.Second))
		if err != nil {
			w.failing = true
			return fmt.Errorf("store writer flush: %w", err)
		}
		w.failing = false
		// Drop references so the results can be collected, then reuse
		// the backing array.
		clear(w.buf[:n])
		w.buf = append(w.buf[:0], w.buf[n:]...)
	}
	return nil
}

// spanRow is a service's current monitor_spans row and its end.
type spanRow struct{ id, end int64 }

// segments splits one service's result times (sorted in place) where two
// are more than gap apart; gap <= 0 never splits.
func segments(ts []int64, gap int64) [][2]int64 {
	slices.Sort(ts)
	out := [][2]int64{{ts[0], ts[0]}}
	for _, t := range ts[1:] {
		last := &out[len(out)-1]
		if gap > 0 && t-last[1] > gap {
			out = append(out, [2]int64{t, t})
			continue
		}
		last[1] = t
	}
	return out
}

type rollupKey struct {
	probeID int64
	hour    int64
}

type rollupAgg struct {
	count, failures, degraded int64
	sum, minD, maxD           int64
}

const hourMS = int64(time.Hour / time.Millisecond)

// flush writes one batch in one transaction. The probe id cache and the span
// ids are updated only after the commit: ids from a rolled-back transaction
// would point nowhere.
func (w *Writer) flush(ctx context.Context, batch []probe.Result) error {
	newProbes := make(map[probeKey]int64)
	newSpans := make(map[string]spanRow)
	// The statements inside run without a cancellable context: for each
	// statement with one, the driver starts a goroutine to watch it, which
	// makes a flush three times slower. Cancelling ctx still ends the
	// transaction (database/sql rolls it back) between statements, and
	// waiting for the lock at BEGIN still honours it.
	txCtx := ctx
	ctx = context.WithoutCancel(ctx)
	err := w.s.write(txCtx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO results (probe_id, ts_ms, duration_us, status, status_code, err)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		rollups := make(map[rollupKey]*rollupAgg)
		times := make(map[string][]int64) // service → result starts
		for _, r := range batch {
			pid, err := w.s.probeID(ctx, tx, r.Service, r.Probe, newProbes)
			if err != nil {
				return err
			}
			ts := ms(r.Start)
			dur := r.Duration.Microseconds()
			st := status(r)
			res, err := ins.ExecContext(ctx, pid, ts, dur, st,
				sql.NullInt64{Int64: int64(r.StatusCode), Valid: r.StatusCode != 0},
				sql.NullString{String: r.Err, Valid: r.Err != ""})
			if err != nil {
				return fmt.Errorf("insert result %s/%s at %s: %w", r.Service, r.Probe, r.Start.UTC().Format(time.RFC3339Nano), err)
			}
			// Even a result stored before (same probe, same millisecond)
			// shows that this run was monitoring.
			times[r.Service] = append(times[r.Service], ts)
			// But it is not counted twice.
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue
			}
			k := rollupKey{pid, floorDiv(ts, hourMS) * hourMS}
			a := rollups[k]
			if a == nil {
				a = &rollupAgg{minD: dur, maxD: dur}
				rollups[k] = a
			}
			a.count++
			switch st {
			case statusFail:
				a.failures++
			case statusDegraded:
				a.degraded++
			}
			a.sum += dur
			a.minD = min(a.minD, dur)
			a.maxD = max(a.maxD, dur)
		}
		if err := upsertRollups(ctx, tx, rollups); err != nil {
			return err
		}
		return w.extendSpans(ctx, tx, times, newSpans)
	})
	if err != nil {
		return err
	}
	w.s.mu.Lock()
	for k, id := range newProbes {
		w.s.probes[k] = id
	}
	w.s.mu.Unlock()
	for svc, sp := range newSpans {
		w.spans[svc] = sp
	}
	return nil
}

func upsertRollups(ctx context.Context, tx *sql.Tx, rollups map[rollupKey]*rollupAgg) error {
	if len(rollups) == 0 {
		return nil
	}
	up, err := tx.PrepareContext(ctx, `INSERT INTO rollups (probe_id, hour_ms, count, failures, degraded,
			sum_duration_us, min_duration_us, max_duration_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (probe_id, hour_ms) DO UPDATE SET
			count = count + excluded.count,
			failures = failures + excluded.failures,
			degraded = degraded + excluded.degraded,
			sum_duration_us = sum_duration_us + excluded.sum_duration_us,
			min_duration_us = min(min_duration_us, excluded.min_duration_us),
			max_duration_us = max(max_duration_us, excluded.max_duration_us)`)
	if err != nil {
		return err
	}
	defer up.Close()
	for k, a := range rollups {
		if _, err := up.ExecContext(ctx, k.probeID, k.hour, a.count, a.failures, a.degraded, a.sum, a.minD, a.maxD); err != nil {
			return fmt.Errorf("upsert rollup: %w", err)
		}
	}
	return nil
}

// extendSpans opens this run's span of a service at its first result and
// afterwards stretches it to cover every result written, except across a
// gap longer than MaxGap: there the span ends and a new one begins. The
// rows to remember after the commit go into next.
func (w *Writer) extendSpans(ctx context.Context, tx *sql.Tx, times map[string][]int64, next map[string]spanRow) error {
	var extend, open *sql.Stmt
	defer func() {
		for _, st := range []*sql.Stmt{extend, open} {
			if st != nil {
				st.Close()
			}
		}
	}()
	var err error
	for svc, ts := range times {
		var gap int64
		if w.opts.MaxGap != nil {
			gap = w.opts.MaxGap(svc).Milliseconds()
		}
		cur, ok := w.spans[svc]
		for i, seg := range segments(ts, gap) {
			// The first segment continues the open span unless it starts
			// more than gap after the span's end (a result from before the
			// end, out of order, is inside it).
			if i == 0 && ok && (gap <= 0 || seg[0]-cur.end <= gap) {
				if extend == nil {
					if extend, err = tx.PrepareContext(ctx, `UPDATE monitor_spans
						SET start_ms = min(start_ms, ?), end_ms = max(end_ms, ?) WHERE id = ?`); err != nil {
						return err
					}
				}
				if _, err := extend.ExecContext(ctx, seg[0], seg[1], cur.id); err != nil {
					return fmt.Errorf("extend monitored span of %s: %w", svc, err)
				}
				cur.end = max(cur.end, seg[1])
				continue
			}
			if open == nil {
				if open, err = tx.PrepareContext(ctx, `INSERT INTO monitor_spans (service, start_ms, end_ms)
					VALUES (?, ?, ?) RETURNING id`); err != nil {
					return err
				}
			}
			var id int64
			if err := open.QueryRowContext(ctx, svc, seg[0], seg[1]).Scan(&id); err != nil {
				return fmt.Errorf("open monitored span of %s: %w", svc, err)
			}
			cur, ok = spanRow{id: id, end: seg[1]}, true
		}
		next[svc] = cur
	}
	return nil
}

// probeID returns the id of a probe, creating its row when it is new. Ids
// created in this transaction go into pending, not the cache.
func (s *Store) probeID(ctx context.Context, tx *sql.Tx, service, name string, pending map[probeKey]int64) (int64, error) {
	k := probeKey{service, name}
	if id, ok := pending[k]; ok {
		return id, nil
	}
	s.mu.Lock()
	id, ok := s.probes[k]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	// Another process may have created it: the upsert returns the id either
	// way.
	err := tx.QueryRowContext(ctx, `INSERT INTO probes (service, name) VALUES (?, ?)
		ON CONFLICT (service, name) DO UPDATE SET name = excluded.name RETURNING id`, service, name).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("probe %s/%s: %w", service, name, err)
	}
	pending[k] = id
	return id, nil
}

// Result statuses as stored.
const (
	statusFail     = 0
	statusUp       = 1
	statusDegraded = 2
)

func status(r probe.Result) int {
	switch {
	case !r.Success:
		return statusFail
	case r.Degraded:
		return statusDegraded
	}
	return statusUp
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
