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

// refreshUptime recomputes month- and year-to-date uptime of every service,
// and the recent downtime the burn-rate rules read for those with a policy.
func (d *Daemon) refreshUptime(ctx context.Context) {
	now := d.opts.Now()
	for _, svc := range d.serviceList() {
		svc.mu.Lock()
		us, hasPolicy := svc.usvc, svc.cfg.Pol != nil
		svc.mu.Unlock()
		td, year := d.uptimeToDate(ctx, us, now)
		// Only the burn-rate rules read it, and only for a service with a
		// policy.
		var burn uptime.Set
		if hasPolicy {
			var err error
			if burn, err = burnDowntime(ctx, d, us, now, year); err != nil && ctx.Err() == nil {
				d.log.Error("recent downtime", "service", us.Name, "err", err)
			}
		}
		svc.mu.Lock()
		svc.toDate = td
		svc.burnDowntime = burn
		svc.mu.Unlock()
	}
}

// uptimeToDate reads the service's year to date once and accounts the
// year and, from the same preparation (AccountYear), the month: a month
// reported from its year is the month accounted on its own. It returns the
// year's history too (nil when it could not be read), from which the
// burn-rate downtime is taken. Reading the store once a refresh instead of
// three times (month, year, the last hours) matters: the refresh's reads
// are most of the daemon's CPU at thousands of services. Only at the very
// instant a month begins is it missing from the year's months; then it is
// read on its own.
func (d *Daemon) uptimeToDate(ctx context.Context, us uptime.Service, now time.Time) (toDate, *uptime.Input) {
	var td toDate
	var year *uptime.Input
	account := func(kind string) *uptime.Report {
		p, err := uptime.CurrentPeriod(kind, us.Location, now)
		if err != nil {
			d.log.Error("uptime period", "service", us.Name, "err", err)
			return nil
		}
		in, err := uptime.Gather(ctx, d.store, us, p, now)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("uptime to date", "service", us.Name, "period", kind, "err", err)
			}
			return nil
		}
		if kind == uptime.KindYear {
			year = &in
			r := uptime.AccountYear(in)
			return &r
		}
		r := uptime.Account(in)
		return &r
	}
	if td.Year = account(uptime.KindYear); td.Year != nil {
		if mp, err := uptime.CurrentPeriod(uptime.KindMonth, us.Location, now); err == nil {
			for _, m := range td.Year.Months {
				if m.Period.Start.Equal(mp.Start) && m.Period.End.Equal(mp.End) {
					td.Month = &m
				}
			}
		}
		td.Year.Months = nil
		d.m.setUptime(us.Name, us.SLA, uptime.KindYear, *td.Year)
	}
	if td.Month == nil {
		td.Month = account(uptime.KindMonth)
	}
	if td.Month != nil {
		d.m.setUptime(us.Name, us.SLA, uptime.KindMonth, *td.Month)
	}
	return td, year
}
