package daemon

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
	"github.com/slawatch/slawatch/web"
)

// Alerting cadence: rules are evaluated every alertEvalEvery; the outbox is
// worked every deliverEvery.
const (
	alertEvalEvery = 2 * time.Second
	deliverEvery   = time.Second
	// deliverParallel bounds notifications in flight, so one slow receiver
	// does not hold up the others for long.
	deliverParallel = 8
	// maxBackoff caps the wait between attempts at a receiver that is down.
	maxBackoff = 5 * time.Minute
)

// alerting evaluates the alert rules and feeds the durable outbox, and
// delivers what the outbox holds.
type alerting struct {
	d      *Daemon
	engine *alerts.Engine

	mu        sync.Mutex
	cfg       config.Alerts
	notifiers map[string]alerts.Notifier
	kinds     map[string]string // receiver name → kind
	// missed holds the alerts already counted in
	// response_deadline_missed_total; unresolved the resolved alerts whose
	// notifications are still to be queued (eval is the only user of both).
	missed     map[string]bool
	unresolved map[string]alerts.Alert
}

// apply swaps in the receivers and routes of cfg; notifier secrets are read
// here, so a reload with a missing secret file fails and keeps the old ones.
func (a *alerting) apply(cfg *config.Config) error {
	ns, err := cfg.Notifiers(a.d.opts.Getenv)
	if err != nil {
		return err
	}
	kinds := map[string]string{}
	for _, r := range cfg.Alerts.Receivers {
		kinds[r.Name] = r.Kind()
	}
	a.mu.Lock()
	a.cfg, a.notifiers, a.kinds = cfg.Alerts, ns, kinds
	a.mu.Unlock()
	return nil
}

// facts gathers what the rules judge, from the daemon's live state.
func (a *alerting) facts(now time.Time) alerts.Facts {
	d := a.d
	cfg := d.cfg.Load()
	a.mu.Lock()
	global := a.cfg.Rules
	a.mu.Unlock()
	f := alerts.Facts{Now: now, StatusPageURL: statusPageURL(cfg)}
	inMaint := map[string]bool{}
	env := map[string]string{}
	rules := map[string]alerts.Overrides{}
	for _, svc := range d.serviceList() {
		svc.mu.Lock()
		sc := svc.cfg
		sf := alerts.ServiceFacts{
			Name: sc.Name, Environment: sc.Environment, State: svc.tracker.State(), InMaintenance: svc.maint != nil,
			Rules: overrides(global, sc),
		}
		if o, ok := svc.tracker.OpenOutage(); ok {
			sf.OpenOutage = &o
		}
		if pol := sc.Pol; pol != nil {
			if !pol.RTO.IsZero() {
				rto, cal := pol.RTO, pol.Cal
				sf.RTO = backup.RTO{Label: rto.String(), Location: pol.Location,
					Deadline: func(start time.Time) time.Time { return cal.Add(start, rto) }}
			}
			sf.Burn = alerts.BurnFacts{TargetPercent: pol.Uptime.Target, Period: pol.Uptime.Period, Downtime: svc.burnDowntime}
			f.Location = pol.Location
		}
		for _, p := range sc.Probes {
			pf := alerts.ProbeFacts{Name: p.Name}
			if r, ok := svc.last[p.Name]; ok {
				pf.CertExpiry = r.CertExpiry
			}
			sf.Probes = append(sf.Probes, pf)
		}
		inMaint[sc.Name], env[sc.Name], rules[sc.Name] = svc.maint != nil, sc.Environment, sf.Rules
		svc.mu.Unlock()
		f.Services = append(f.Services, sf)
	}
	for _, st := range d.backups.statuses() {
		f.Backups = append(f.Backups, alerts.BackupFacts{Set: st.Set, Service: st.Service, Environment: env[st.Service],
			InMaintenance: inMaint[st.Service], Status: st, Rules: rules[st.Service]})
	}
	return f
}

// overrides merges the global alerts.rules under the policy's alert_rules,
// and the service's over both.
func overrides(global map[string]alerts.RuleConfig, sc *config.Service) alerts.Overrides {
	pol := maps.Clone(global)
	if sc.Pol != nil {
		if pol == nil {
			pol = map[string]alerts.RuleConfig{}
		}
		maps.Copy(pol, sc.Pol.AlertRules)
	}
	return alerts.Overrides{Policy: pol, Service: sc.AlertRules}
}

func statusPageURL(cfg *config.Config) string {
	if cfg.Server.ExternalURL != "" {
		return strings.TrimSuffix(cfg.Server.ExternalURL, "/") + "/"
	}
	if cfg.Server.TLSCertFile != "" {
		return "https://" + cfg.Server.Listen + "/"
	}
	return "http://" + cfg.Server.Listen + "/"
}

// eval runs the rules once, records what changed and enqueues what is due.
func (a *alerting) eval(ctx context.Context) {
	d := a.d
	now := d.opts.Now()
	a.syncAcks(ctx)
	// Writes finish even when shutdown cancels ctx: a resolve that was
	// decided must reach the outbox, or the receivers keep the alert open.
	wctx := context.WithoutCancel(ctx)
	// Resolves whose notifications could not be queued last time.
	for fp, al := range a.unresolved {
		if a.saveResolved(wctx, al, now) {
			delete(a.unresolved, fp)
		}
	}
	unsaved := map[string]bool{}
	for _, tr := range a.engine.Eval(a.facts(now)) {
		al := tr.Alert
		var err error
		switch tr.To {
		case alerts.StateInactive:
			err = d.store.DeleteAlert(wctx, al.Fingerprint())
		case alerts.StateResolved:
			d.log.Info("alert resolved", "alert", al.Labels[alerts.LabelAlertname], "service", al.Labels[alerts.LabelService])
			if !a.saveResolved(wctx, al, now) {
				a.unresolved[al.Fingerprint()] = al
			}
			continue
		default:
			err = d.store.SaveAlert(wctx, al, now)
		}
		if err != nil {
			d.log.Error("store alert", "alert", al.Labels[alerts.LabelAlertname], "err", err)
			unsaved[al.Fingerprint()] = true
			continue
		}
		if tr.To == alerts.StateFiring {
			d.log.Warn("alert firing", "alert", al.Labels[alerts.LabelAlertname], "severity", al.Labels[alerts.LabelSeverity],
				"service", al.Labels[alerts.LabelService], "summary", al.Annotations[alerts.AnnotationSummary])
		}
	}
	firing := map[string]int{}
	cfg := d.cfg.Load()
	for _, al := range a.engine.Active() {
		if al.State != alerts.StateFiring {
			continue
		}
		firing[al.Labels[alerts.LabelSeverity]]++
		if unsaved[al.Fingerprint()] {
			// Not in the store yet: a page now could never be resolved
			// after a restart. The next evaluation tries again.
			continue
		}
		a.enqueueFiring(wctx, al, now)
		fp := al.Fingerprint()
		if deadline, _, _, _ := cfg.AlertDeadlines(al); !deadline.IsZero() && !a.missed[fp] &&
			now.After(deadline) && (al.AckedAt.IsZero() || al.AckedAt.After(deadline)) {
			a.missed[fp] = true
			d.m.responseMissed.WithLabelValues(al.Labels[alerts.LabelSeverity]).Inc()
		}
	}
	for _, sev := range []string{"P1", "P2", "P3", "P4"} {
		d.m.alertsFiring.WithLabelValues(sev).Set(float64(firing[sev]))
	}
	if f := d.opts.afterEval; f != nil {
		f(now)
	}
}

// syncAcks applies acknowledgements made through the CLI (straight into
// the store) to the engine.
func (a *alerting) syncAcks(ctx context.Context) {
	stored, err := a.d.store.Alerts(ctx, store.AlertFilter{})
	if err != nil {
		a.d.log.Error("read alerts", "err", err)
		return
	}
	for _, s := range stored {
		if s.AckedAt.IsZero() {
			continue
		}
		if cur, ok := a.engine.Get(s.Fingerprint()); ok && cur.AckedAt.IsZero() {
			_ = a.engine.Ack(s.Fingerprint(), s.AckedBy, s.AckedAt)
		}
	}
}

// reached returns, per matched route, the receivers a firing alert has
// reached by escalation at now.
func (a *alerting) reached(al alerts.Alert, now time.Time) (recv []string, routes map[string]alerts.RouteSpec) {
	a.mu.Lock()
	cfgRoutes := a.cfg.Routes
	a.mu.Unlock()
	routes = map[string]alerts.RouteSpec{}
	due := a.escalationDue(al)
	for _, m := range alerts.Route(cfgRoutes, al.Labels) {
		level := alerts.EscalationLevel(al, due, len(m.Route.Receivers)-1, now)
		for _, r := range alerts.Escalated(m.Route, level) {
			if _, dup := routes[r]; !dup {
				recv = append(recv, r)
				routes[r] = m.Route
			}
		}
	}
	return recv, routes
}

// escalationDue gives when the alert escalates to each level, from its
// service's policy (config.EscalationDue).
func (a *alerting) escalationDue(al alerts.Alert) func(level int) time.Time {
	cfg := a.d.cfg.Load()
	return func(level int) time.Time { return cfg.EscalationDue(al, level) }
}

// enqueueFiring puts the firing notifications that are due into the
// outbox. Keys make this idempotent: the first message per receiver, each
// repeat slot, and each Alertmanager re-send slot are one row each however
// often this runs, across restarts too.
func (a *alerting) enqueueFiring(ctx context.Context, al alerts.Alert, now time.Time) {
	recv, routes := a.reached(al, now)
	a.mu.Lock()
	resend := a.cfg.ResendInterval
	kinds := a.kinds
	a.mu.Unlock()
	since := now.Sub(al.FiredAt)
	due := a.escalationDue(al)
	for _, r := range recv {
		// The first receiver of each route is notified at once; any
		// further one was reached by escalation.
		if level := slices.Index(routes[r].Receivers, r); level > 0 {
			e := alerts.Escalation{Level: level, Receiver: r, Due: due(level), At: now}
			n := a.notification(al, r, "firing", false, now)
			created, err := a.d.store.EnqueueEscalation(ctx, n, e)
			if err != nil {
				a.d.log.Error("record escalation", "receiver", r, "err", err)
			} else if created {
				a.d.m.escalations.Inc()
				a.d.log.Warn("alert escalated: not acknowledged by its response deadline", "alert", al.Labels[alerts.LabelAlertname],
					"service", al.Labels[alerts.LabelService], "severity", al.Labels[alerts.LabelSeverity], "to", r, "level", level, "due", e.Due)
			}
		} else {
			_, _ = a.enqueue(ctx, al, r, "firing", false, now)
		}
		if rep := routes[r].RepeatInterval; rep > 0 && al.AckedAt.IsZero() && since >= rep {
			_, _ = a.enqueue(ctx, al, r, fmt.Sprintf("repeat-%d", int(since/rep)), false, now)
		}
		// Alertmanager forgets an alert whose endsAt passes: keep it alive
		// while it fires, acknowledged or not.
		if kinds[r] == "alertmanager" && resend > 0 && since >= resend {
			_, _ = a.enqueue(ctx, al, r, fmt.Sprintf("resend-%d", int(since/resend)), false, now)
		}
	}
}

// saveResolved queues the resolve for every receiver the alert reached and
// only then records the alert as resolved, so a crash in between leaves it
// firing in the store: after a restart it resolves again and the receivers
// hear of it (at least once), rather than never. It reports success.
func (a *alerting) saveResolved(ctx context.Context, al alerts.Alert, now time.Time) bool {
	firing := al
	firing.State = alerts.StateFiring
	recv, _ := a.reached(firing, al.EndsAt)
	for _, r := range recv {
		if _, err := a.enqueue(ctx, al, r, "resolved", true, now); err != nil {
			return false
		}
	}
	if err := a.d.store.SaveAlert(ctx, al, now); err != nil {
		a.d.log.Error("store alert", "alert", al.Labels[alerts.LabelAlertname], "err", err)
		return false
	}
	return true
}

// enqueue writes one notification; it reports whether it was new.
func (a *alerting) enqueue(ctx context.Context, al alerts.Alert, receiver, kind string, resolved bool, now time.Time) (bool, error) {
	_, created, err := a.d.store.Enqueue(ctx, a.notification(al, receiver, kind, resolved, now))
	if err != nil {
		a.d.log.Error("enqueue notification", "receiver", receiver, "err", err)
		return false, err
	}
	return created, nil
}

// notification is the outbox row for one message. Its key names the alert,
// the receiver, the kind of message and the firing (or resolve) it is
// about, so the same message is one row however often it is enqueued.
func (a *alerting) notification(al alerts.Alert, receiver, kind string, resolved bool, now time.Time) alerts.Notification {
	at := al.FiredAt
	if resolved {
		at = al.EndsAt
	}
	key := fmt.Sprintf("%s/%s/%s/%d/%s", al.Fingerprint(), url.PathEscape(receiver), kind, at.UnixMilli(), al.Labels[alerts.LabelSeverity])
	return alerts.Notification{Key: key, Receiver: receiver, Alert: al, Resolved: resolved,
		ExternalURL: statusPageURL(a.d.cfg.Load()), CreatedAt: now}
}

// deliver works the outbox once: every due notification is sent; failures
// worth retrying wait with exponential backoff (or the receiver's
// Retry-After), final ones are marked failed.
func (a *alerting) deliver(ctx context.Context) {
	d := a.d
	now := d.opts.Now()
	due, err := d.store.DueNotifications(ctx, now, 100)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("read notification queue", "err", err)
		}
		return
	}
	a.mu.Lock()
	ns := a.notifiers
	a.mu.Unlock()
	sem := make(chan struct{}, deliverParallel)
	var wg sync.WaitGroup
	for _, n := range due {
		nf := ns[n.Receiver]
		if nf == nil {
			a.mark(ctx, n, d.store.MarkFailed(ctx, n.ID, now, "receiver no longer configured"), "failed")
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			retry, err := nf.Notify(ctx, n)
			stopping := ctx.Err() != nil
			// A delivery that happened must be recorded even when shutdown
			// cancels ctx, or it is sent again after the restart.
			ctx := context.WithoutCancel(ctx)
			switch {
			case err == nil:
				a.mark(ctx, n, d.store.MarkDelivered(ctx, n.ID, d.opts.Now()), "success")
			case retry && !stopping:
				wait := alerts.RetryAfter(err)
				if wait <= 0 {
					wait = min(5*time.Second<<min(n.Attempts, 10), maxBackoff)
				}
				d.log.Warn("notification failed; will retry", "receiver", n.Receiver, "attempt", n.Attempts+1, "in", wait, "err", err)
				a.mark(ctx, n, d.store.MarkRetry(ctx, n.ID, d.opts.Now().Add(wait), err.Error()), "retry")
			case stopping:
				// Shutting down: the row stays due and goes out after the restart.
			default:
				d.log.Error("notification refused; not retrying", "receiver", n.Receiver, "err", err)
				a.mark(ctx, n, d.store.MarkFailed(ctx, n.ID, d.opts.Now(), err.Error()), "failed")
			}
		})
	}
	wg.Wait()
	if pending, oldest, err := d.store.NotificationQueue(ctx); err == nil {
		d.m.queueLength.Set(float64(pending))
		age := 0.0
		if !oldest.IsZero() {
			age = d.opts.Now().Sub(oldest).Seconds()
		}
		d.m.queueOldest.Set(age)
	}
}

func (a *alerting) mark(ctx context.Context, n alerts.Notification, err error, result string) {
	if err != nil && ctx.Err() == nil {
		a.d.log.Error("record delivery", "receiver", n.Receiver, "err", err)
	}
	a.d.m.notifications.WithLabelValues(n.Receiver, result).Inc()
}

// restore loads the alerts that were active when the daemon stopped, so a
// restart neither forgets nor re-pages them.
func (a *alerting) restore(ctx context.Context) error {
	stored, err := a.d.store.Alerts(ctx, store.AlertFilter{})
	if err != nil {
		return err
	}
	cfg := a.d.cfg.Load()
	a.mu.Lock()
	global := a.cfg.Rules
	a.mu.Unlock()
	a.engine.Restore(stored, func(al alerts.Alert) time.Duration {
		sc := cfg.Service(al.Labels[alerts.LabelService])
		if sc == nil {
			return 0
		}
		return overrides(global, sc).Resolve(al.Labels[alerts.LabelAlertname]).KeepFiringFor
	})
	return nil
}

// burnWindow is the longest burn-rate window the rules look at.
const burnWindow = 6 * time.Hour

// burnDowntime is a service's counted downtime over the last burnWindow:
// outages (an open one to now) minus maintenance and force majeure. The
// history comes from have when it covers the window (the year to date the
// uptime refresh has just read; at a year's first hours it does not), and
// from the store otherwise.
func burnDowntime(ctx context.Context, d *Daemon, us uptime.Service, now time.Time, have *uptime.Input) (uptime.Set, error) {
	p := uptime.Period{Kind: "window", Start: now.Add(-burnWindow), End: now}
	if have != nil && covers(*have, p, now) {
		return burnFrom(*have, us, p, now), nil
	}
	in, err := uptime.Gather(ctx, d.store, us, p, now)
	if err != nil {
		return nil, err
	}
	return burnFrom(in, us, p, now), nil
}

// covers reports whether in, gathered as of now, holds every outage and
// window that overlaps p: uptime.Gather reads what overlaps its period up
// to now.
func covers(in uptime.Input, p uptime.Period, now time.Time) bool {
	return in.Now.Equal(now) && !in.Period.Start.After(p.Start) && !in.Period.End.Before(now) && p.End.Equal(now)
}

// burnFrom is burnDowntime over the history in, clipped to p.
func burnFrom(in uptime.Input, us uptime.Service, p uptime.Period, now time.Time) uptime.Set {
	var down, excl []uptime.Interval
	for _, o := range in.Outages {
		iv := uptime.Interval{Start: o.Start, End: o.End}
		if o.Open() {
			iv.End = now
		}
		if o.Excluded {
			excl = append(excl, iv)
		} else {
			down = append(down, iv)
		}
	}
	for _, w := range in.Maintenance {
		if !w.Cancelled() && !uptime.Late(w, us.Policy.MaintenanceNotice) {
			excl = append(excl, w.Interval())
		}
	}
	return uptime.Union(down).Subtract(uptime.Union(excl)).Clip(p.Interval())
}

// Alerts lists the active alerts and those resolved in the last day, newest
// first.
func (d *Daemon) Alerts(ctx context.Context) ([]alerts.Alert, error) {
	return d.store.Alerts(ctx, store.AlertFilter{ResolvedSince: d.opts.Now().Add(-24 * time.Hour)})
}

// AckAlert acknowledges an active alert: repeats and escalation stop, and
// the time to acknowledge is kept.
func (d *Daemon) AckAlert(ctx context.Context, fingerprint, who string) (alerts.Alert, error) {
	now := d.opts.Now().Truncate(time.Millisecond)
	if err := d.store.AckAlert(ctx, fingerprint, who, now); err != nil {
		return alerts.Alert{}, err
	}
	_ = d.alerting.engine.Ack(fingerprint, who, now)
	a, ok := d.alerting.engine.Get(fingerprint)
	if !ok {
		return alerts.Alert{}, store.ErrNotFound
	}
	// The engine does not keep escalations; the store does.
	if stored, err := d.store.Alerts(ctx, store.AlertFilter{}); err == nil {
		for _, s := range stored {
			if s.Fingerprint() == fingerprint {
				a.Escalations = s.Escalations
			}
		}
	}
	d.log.Info("alert acknowledged", "alert", a.Labels[alerts.LabelAlertname], "service", a.Labels[alerts.LabelService], "by", who,
		"after", now.Sub(a.FiredAt).Round(time.Second).String())
	return a, nil
}

// AlertDeadlines gives an alert's response and resolution deadlines from its
// service's policy.
func (d *Daemon) AlertDeadlines(a alerts.Alert) web.Deadlines {
	resp, resol, rt, st := d.cfg.Load().AlertDeadlines(a)
	return web.Deadlines{Response: resp, Resolution: resol, ResponseTarget: rt, ResolutionTarget: st}
}
