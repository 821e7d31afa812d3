package daemon

import (
	"context"
	"time"

	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// maintenanceEvery is how often the daemon looks for windows starting or
// ending; announcements through the API take effect at once.
const maintenanceEvery = time.Second

// uptimeEvery is how often month- and year-to-date uptime is recomputed for
// the metrics and the status page.
const uptimeEvery = 30 * time.Second

// every runs fn now and then at each tick until ctx ends.
func every(ctx context.Context, d time.Duration, fn func(context.Context)) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// MaintenanceChanged re-reads the announced windows, after the API or CLI
// announced or cancelled one.
func (d *Daemon) MaintenanceChanged(ctx context.Context) { d.refreshMaintenance(ctx) }

// refreshMaintenance puts services in or out of maintenance as windows
// start and end.
func (d *Daemon) refreshMaintenance(ctx context.Context) {
	now := d.opts.Now()
	announced, err := d.store.Maintenance(ctx, store.MaintenanceFilter{From: now, To: now.Add(time.Millisecond)})
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("read maintenance windows", "err", err)
		}
		return
	}
	by := map[string][]uptime.Window{}
	for _, w := range announced {
		by[w.Service] = append(by[w.Service], w)
	}
	for _, svc := range d.serviceList() {
		svc.mu.Lock()
		w, active := uptime.ActiveWindow(svc.usvc, by[svc.cfg.Name], now)
		switch {
		case active && (svc.maint == nil || !sameWindow(*svc.maint, w)):
			svc.maint = &w
			d.log.Info("maintenance started", "service", svc.cfg.Name, "until", w.End, "reason", w.Reason, "source", w.Source)
		case !active && svc.maint != nil:
			d.log.Info("maintenance ended", "service", svc.cfg.Name, "reason", svc.maint.Reason)
			svc.maint = nil
		}
		v := 0.0
		if svc.maint != nil {
			v = 1
		}
		d.m.maintenanceActive.WithLabelValues(svc.cfg.Name).Set(v)
		d.stateChanged(svc, now)
		svc.mu.Unlock()
	}
}

func sameWindow(a, b uptime.Window) bool {
	return a.ID == b.ID && a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Reason == b.Reason
}

// serviceList is a snapshot of the services in config order.
func (d *Daemon) serviceList() []*service {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]*service, 0, len(d.order))
	for _, name := range d.order {
		out = append(out, d.services[name])
	}
	return out
}

// toDate is a service's month- and year-to-date uptime, for the metrics and
// the status page.
type toDate struct {
	Month, Year *uptime.Report
}

// refreshUptime recomputes month- and year-to-date uptime of every service
// with a policy.
func (d *Daemon) refreshUptime(ctx context.Context) {
	now := d.opts.Now()
	for _, svc := range d.serviceList() {
		svc.mu.Lock()
		us := svc.usvc
		svc.mu.Unlock()
		var td toDate
		for _, kind := range []string{uptime.KindMonth, uptime.KindYear} {
			p, err := uptime.CurrentPeriod(kind, us.Location, now)
			if err != nil {
				d.log.Error("uptime period", "service", us.Name, "err", err)
				continue
			}
			in, err := uptime.Gather(ctx, d.store, us, p, now)
			if err != nil {
				if ctx.Err() == nil {
					d.log.Error("uptime to date", "service", us.Name, "period", kind, "err", err)
				}
				continue
			}
			r := uptime.Account(in)
			if kind == uptime.KindMonth {
				td.Month = &r
			} else {
				td.Year = &r
			}
			d.m.setUptime(us.Name, us.SLA, kind, r)
		}
		burn, err := burnDowntime(ctx, d, us, now)
		if err != nil && ctx.Err() == nil {
			d.log.Error("recent downtime", "service", us.Name, "err", err)
		}
		svc.mu.Lock()
		svc.toDate = td
		svc.burnDowntime = burn
		svc.mu.Unlock()
	}
}
