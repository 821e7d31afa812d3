package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/config"
)

// backupEvalEvery is how often every set is evaluated, so ages and RPO
// verdicts move with the clock between source reads.
const backupEvalEvery = 30 * time.Second

// backupSet is the daemon's live view of one backup set.
type backupSet struct {
	cfg    *config.Backup
	set    backup.Set
	mu     sync.Mutex
	status *backup.Status
}

// backupRunner reads every pull source on its check interval and evaluates
// every set. apply swaps the sets in on a reload.
type backupRunner struct {
	d      *Daemon
	mu     sync.Mutex
	sets   map[string]*backupSet
	order  []string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// apply replaces the running sets with those of cfg: each pull set gets its
// own goroutine, so a slow source delays nobody else.
func (b *backupRunner) apply(cfg *config.Config) error {
	next := make(map[string]*backupSet, len(cfg.Backups))
	order := make([]string, 0, len(cfg.Backups))
	for _, bc := range cfg.Backups {
		set, err := bc.Set(cfg)
		if err != nil {
			return err
		}
		next[bc.Name] = &backupSet{cfg: bc, set: set}
		order = append(order, bc.Name)
	}
	b.stop()
	ctx, cancel := context.WithCancel(context.Background())
	b.mu.Lock()
	old := b.sets
	for name, bs := range next {
		if o := old[name]; o != nil {
			o.mu.Lock()
			bs.status = o.status
			o.mu.Unlock()
		}
	}
	for name := range old {
		if _, ok := next[name]; !ok {
			b.d.m.forgetBackupSet(name)
		}
	}
	b.sets, b.order, b.cancel = next, order, cancel
	b.mu.Unlock()
	for _, bs := range next {
		b.wg.Go(func() { b.run(ctx, bs) })
	}
	return nil
}

// stop ends the sets' goroutines and waits for them.
func (b *backupRunner) stop() {
	b.mu.Lock()
	cancel := b.cancel
	b.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	b.wg.Wait()
}

func (b *backupRunner) run(ctx context.Context, bs *backupSet) {
	var nextRead time.Time
	t := time.NewTicker(min(backupEvalEvery, bs.cfg.CheckInterval))
	defer t.Stop()
	for {
		now := b.d.opts.Now()
		if bs.set.Source != nil && !now.Before(nextRead) {
			nextRead = now.Add(bs.cfg.CheckInterval)
			added, err := backup.Refresh(ctx, b.d.store, bs.set, now)
			switch {
			case err != nil && ctx.Err() == nil:
				b.d.log.Error("backup source failed", "set", bs.set.Name, "err", err)
				b.d.m.backupCheckErrors.WithLabelValues(bs.set.Name).Inc()
			case added > 0:
				b.d.log.Info("backup records read", "set", bs.set.Name, "new", added)
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
	st, err := backup.StatusAt(ctx, b.d.store, bs.set, b.d.opts.Now())
	if err != nil {
		if ctx.Err() == nil {
			b.d.log.Error("evaluate backup set", "set", bs.set.Name, "err", err)
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
		out = append(out, d.backups.sets[name].set)
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
