package daemon

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/config"
)

// backupEvalEvery is how often every set is evaluated, so ages and RPO
// verdicts move with the clock between source reads.
const backupEvalEvery = 30 * time.Second

// backupSet is the daemon's live view of one backup set. Its goroutine
// (run) lives until the set is removed or its source or check interval
// changes; a reload that changes only targets swaps cfg and set in place.
type backupSet struct {
	mu     sync.Mutex
	cfg    *config.Backup
	set    backup.Set
	status *backup.Status

	ctx    context.Context // ends the goroutine
	cancel context.CancelFunc
	done   chan struct{} // closed when run returns
}

// newBackupSet makes a set ready for its goroutine.
func newBackupSet(cfg *config.Backup, set backup.Set, status *backup.Status) *backupSet {
	ctx, cancel := context.WithCancel(context.Background())
	return &backupSet{cfg: cfg, set: set, status: status, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// current is the set's config and set, for its goroutine.
func (bs *backupSet) current() (*config.Backup, backup.Set) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return bs.cfg, bs.set
}

// backupRunner reads every pull source on its check interval and evaluates
// every set. apply reconciles the sets on a reload.
type backupRunner struct {
	d     *Daemon
	mu    sync.Mutex
	sets  map[string]*backupSet
	order []string
}

// apply makes the sets those of cfg: each set has its own goroutine, so a
// slow source delays nobody else. A set whose source and check interval
// are unchanged keeps its goroutine, its schedule and any read in
// progress, so a reload does not read every source again at once.
func (b *backupRunner) apply(cfg *config.Config) error {
	type entry struct {
		cfg *config.Backup
		set backup.Set
	}
	want := make([]entry, 0, len(cfg.Backups))
	for _, bc := range cfg.Backups {
		set, err := bc.Set(cfg)
		if err != nil {
			return err
		}
		want = append(want, entry{bc, set})
	}
	b.mu.Lock()
	old := b.sets
	next := make(map[string]*backupSet, len(want))
	order := make([]string, 0, len(want))
	var start []*backupSet
	for _, e := range want {
		order = append(order, e.cfg.Name)
		if o := old[e.cfg.Name]; o != nil {
			o.mu.Lock()
			keep := o.cfg.CheckInterval == e.cfg.CheckInterval && reflect.DeepEqual(o.cfg.Source, e.cfg.Source)
			if keep {
				o.cfg, o.set = e.cfg, e.set
			}
			status := o.status
			o.mu.Unlock()
			if keep {
				next[e.cfg.Name] = o
				continue
			}
			bs := newBackupSet(e.cfg, e.set, status)
			next[e.cfg.Name], start = bs, append(start, bs)
			continue
		}
		bs := newBackupSet(e.cfg, e.set, nil)
		next[e.cfg.Name], start = bs, append(start, bs)
	}
	var retired []*backupSet
	for name, o := range old {
		if next[name] != o {
			retired = append(retired, o)
		}
		if _, ok := next[name]; !ok {
			b.d.m.forgetBackupSet(name)
		}
	}
	b.sets, b.order = next, order
	b.mu.Unlock()
	for _, o := range retired {
		o.cancel()
		<-o.done
	}
	for _, bs := range start {
		go func() {
			defer close(bs.done)
			b.run(bs.ctx, bs)
		}()
	}
	return nil
}

// stop ends every set's goroutine and waits for them.
func (b *backupRunner) stop() {
	b.mu.Lock()
	sets := b.sets
	b.mu.Unlock()
	for _, bs := range sets {
		bs.cancel()
	}
	for _, bs := range sets {
		<-bs.done
	}
}

func (b *backupRunner) run(ctx context.Context, bs *backupSet) {
	var nextRead time.Time
	bc, _ := bs.current()
	t := time.NewTicker(min(backupEvalEvery, bc.CheckInterval))
	defer t.Stop()
	for {
		now := b.d.opts.Now()
		bc, set := bs.current()
		if set.Source != nil && !now.Before(nextRead) {
			nextRead = now.Add(bc.CheckInterval)
			added, err := backup.Refresh(ctx, b.d.store, set, now)
			switch {
			case err != nil && ctx.Err() == nil:
				b.d.log.Error("backup source failed", "set", set.Name, "err", err)
				b.d.m.backupCheckErrors.WithLabelValues(set.Name).Inc()
			case added > 0:
				b.d.log.Info("backup records read", "set", set.Name, "new", added)
			}
		}
		b.evaluate(ctx, bs)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// evaluate computes the set's status now and exports it.
func (b *backupRunner) evaluate(ctx context.Context, bs *backupSet) {
	_, set := bs.current()
	st, err := backup.StatusAt(ctx, b.d.store, set, b.d.opts.Now())
	if err != nil {
		if ctx.Err() == nil {
			b.d.log.Error("evaluate backup set", "set", set.Name, "err", err)
		}
		return
	}
	bs.mu.Lock()
	bs.status = &st
	bs.mu.Unlock()
	b.d.m.setBackup(st)
}

// statuses returns the latest status of every set, in config order; sets not
// yet evaluated are left out.
func (b *backupRunner) statuses() []backup.Status {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]backup.Status, 0, len(b.order))
	for _, name := range b.order {
		bs := b.sets[name]
		bs.mu.Lock()
		if bs.status != nil {
			out = append(out, *bs.status)
		}
		bs.mu.Unlock()
	}
	return out
}

// BackupSets describes the configured sets, for the API and status page.
func (d *Daemon) BackupSets() []backup.Set {
	d.backups.mu.Lock()
	defer d.backups.mu.Unlock()
	out := make([]backup.Set, 0, len(d.backups.order))
	for _, name := range d.backups.order {
		_, set := d.backups.sets[name].current()
		out = append(out, set)
	}
	return out
}

// BackupStatuses is the latest evaluation of every set.
func (d *Daemon) BackupStatuses() []backup.Status { return d.backups.statuses() }

// BackupPushed re-evaluates a set after a record or restore test arrived
// through the API, so its metrics follow at once.
func (d *Daemon) BackupPushed(ctx context.Context, set string) {
	d.backups.mu.Lock()
	bs := d.backups.sets[set]
	d.backups.mu.Unlock()
	if bs != nil {
		d.backups.evaluate(ctx, bs)
	}
}
