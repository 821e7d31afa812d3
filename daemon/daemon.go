// Package daemon runs slawatch: it loads the config, schedules probes, turns
// their results into states and outages, stores them and serves HTTP.
package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/config"
	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
	"github.com/slawatch/slawatch/web"
)

// Options configure a Daemon.
type Options struct {
	ConfigPath string
	// Listen overrides server.listen when set.
	Listen  string
	Logger  *slog.Logger
	Version string
	// Now is the clock; tests inject one. Probes themselves measure real time.
	Now func() time.Time
	// OnReady, when set, is called with the listening address once the
	// daemon is ready.
	OnReady func(addr net.Addr)
	// Getenv reads secrets named by the config (tokens, receiver keys);
	// default os.Getenv.
	Getenv func(string) string

	// afterEval, when set, is called after each alert evaluation with the
	// time it judged: tests that move the clock learn from it that an
	// evaluation at the new time has run.
	afterEval func(now time.Time)
	// evalEvery and deliverEvery shorten the alerting cadence in tests
	// (default alertEvalEvery, deliverEvery).
	evalEvery, deliverEvery time.Duration
	// onLag, when set, is told how late each probe attempt started
	// (probe.SchedulerOptions.OnLag); the load test measures with it.
	onLag func(service, probe string, lag time.Duration)
}

// Daemon is a running slawatch.
type Daemon struct {
	opts  Options
	log   *slog.Logger
	cfg   atomic.Pointer[config.Config]
	store *store.Store
	w     *store.Writer
	sched *probe.Scheduler
	web   *web.Server
	reg   *prometheus.Registry
	m     *metrics
	ready atomic.Bool
	// storeErr is the last error writing the store (nil when the last
	// write succeeded); while set the daemon is not ready.
	storeErr atomic.Pointer[error]

	reloadMu sync.Mutex // one reload at a time
	cert     atomic.Pointer[tls.Certificate]

	backups  *backupRunner
	alerting *alerting

	// gaps holds, per service, the longest it can go between two results
	// and still count as monitored (store.WriterOptions.MaxGap).
	gaps atomic.Pointer[map[string]time.Duration]

	mu       sync.RWMutex
	services map[string]*service
	order    []string // config order, for listings
}

// service is the daemon's live view of one configured service.
type service struct {
	mu      sync.Mutex
	cfg     *config.Service
	tracker *uptime.Tracker
	last    map[string]probe.Result
	// unsaved is set while an opened outage has not reached the store
	// (it failed); the next result retries.
	unsaved bool
	// closed holds outages whose end has not reached the store (it
	// failed), oldest first; the next result retries them.
	closed []uptime.Outage
	usvc   uptime.Service
	// maint is the maintenance window in force, if any.
	maint *uptime.Window
	// recorded is the last state written to the store's state history.
	recorded   uptime.State
	recordedAt time.Time
	toDate     toDate
	// burnDowntime is the counted downtime of the last hours, for the
	// error-budget burn rules; refreshed with the to-date figures.
	burnDowntime []uptime.Interval
}

// state is the service's effective state: maintenance overrides what the
// probes say. The caller holds svc.mu.
func (svc *service) state() uptime.State {
	if svc.maint != nil {
		return uptime.StateMaintenance
	}
	return svc.tracker.State()
}

// New loads the config and prepares a daemon; Run starts it.
func New(opts Options) (*Daemon, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.evalEvery <= 0 {
		opts.evalEvery = alertEvalEvery
	}
	if opts.deliverEvery <= 0 {
		opts.deliverEvery = deliverEvery
	}
	cfg, err := config.Load(opts.ConfigPath)
	if err != nil {
		return nil, fmt.Errorf("couldn't load configuration (--config=%q):\n%w", opts.ConfigPath, err)
	}
	d := &Daemon{opts: opts, log: opts.Logger, reg: prometheus.NewRegistry(), services: map[string]*service{}}
	d.backups = &backupRunner{d: d}
	d.alerting = &alerting{d: d, engine: alerts.NewEngine(*cfg.Alerts.Damping), missed: map[string]bool{}, unresolved: map[string]alerts.Alert{}}
	d.cfg.Store(cfg)
	return d, nil
}

// Ready reports whether the daemon is serving: the store is open and
// probes are scheduled, and it is not stopping.
func (d *Daemon) Ready() bool { return d.ready.Load() && d.storeErr.Load() == nil }

// NotReadyReason says why the daemon is not ready, or "".
func (d *Daemon) NotReadyReason() string {
	if p := d.storeErr.Load(); p != nil {
		return "the store cannot be written: " + (*p).Error()
	}
	if !d.ready.Load() {
		return "starting or stopping"
	}
	return ""
}

// storeWrote records the outcome of a write to the store: a failure makes
// the daemon not ready (with the reason) until a write succeeds again.
func (d *Daemon) storeWrote(err error) {
	if err == nil {
		if d.storeErr.Swap(nil) != nil {
			d.log.Info("store writable again; ready")
		}
		return
	}
	if d.storeErr.Swap(&err) == nil {
		d.log.Error("store not writable; not ready until it is", "err", err)
	}
}

// Config returns the config in force.
func (d *Daemon) Config() *config.Config { return d.cfg.Load() }

// Run runs the daemon until ctx ends, then shuts down in order: not ready,
// stop HTTP, stop probing, flush results, close the store.
func (d *Daemon) Run(ctx context.Context) error {
	cfg := d.cfg.Load()
	listen := cfg.Server.Listen
	if d.opts.Listen != "" {
		listen = d.opts.Listen
	}
	tokens, err := cfg.APITokens()
	if err != nil {
		return fmt.Errorf("read API tokens: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	defer ln.Close()
	if cfg.Server.TLSCertFile != "" {
		if err := d.loadCert(cfg); err != nil {
			return err
		}
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: d.certificate})
	}

	st, err := store.Open(ctx, cfg.Storage.Path)
	if err != nil {
		return err
	}
	d.store = st
	defer func() {
		if err := st.Close(); err != nil {
			d.log.Error("close store", "err", err)
		}
	}()

	d.m = newMetrics(d.reg, d.opts.Version, d.countOutages, d.log)
	d.w = st.NewWriter(store.WriterOptions{Logger: d.log, OnFlush: d.storeWrote, MaxGap: d.maxGap})
	d.sched = probe.NewScheduler(probe.SchedulerOptions{
		Concurrency: cfg.Probing.Concurrency,
		Sink:        d.onResult,
		Logger:      d.log,
		OnSkip: func(service, name string) {
			d.m.probesSkipped.WithLabelValues(service, name).Inc()
		},
		OnLag: d.opts.onLag,
	})
	d.web = web.New(web.Options{Backend: d, Store: st, Registry: d.reg, Logger: d.log, Now: d.opts.Now})
	d.web.SetTokens(tokens)
	if len(tokens) == 0 {
		d.log.Warn("no API tokens configured: every write request will get 401", "hint", "set server.api_tokens_file or server.api_tokens_env")
	}

	// A killed daemon left its last states open: end them where its
	// monitoring ended.
	if err := st.CloseDanglingStates(ctx); err != nil {
		return fmt.Errorf("close state history of the last run: %w", err)
	}
	if err := d.alerting.apply(cfg); err != nil {
		return fmt.Errorf("alert receivers: %w", err)
	}
	if err := d.alerting.restore(ctx); err != nil {
		return fmt.Errorf("restore alerts: %w", err)
	}
	if err := d.apply(ctx, cfg); err != nil {
		return err
	}
	d.m.reloadOK.Set(1)
	d.m.reloadTime.Set(float64(d.opts.Now().Unix()))

	srv := &http.Server{
		Handler:           d.web,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	d.refreshMaintenance(ctx)
	d.sched.Start()
	var loops sync.WaitGroup
	loopCtx, stopLoops := context.WithCancel(context.Background())
	loops.Go(func() { d.pruneLoop(loopCtx) })
	loops.Go(func() { every(loopCtx, maintenanceEvery, d.refreshMaintenance) })
	loops.Go(func() {
		// A first figure once the first results are written (they are
		// flushed about once a second), then the steady cadence.
		select {
		case <-loopCtx.Done():
			return
		case <-time.After(3 * time.Second):
		}
		every(loopCtx, uptimeEvery, d.refreshUptime)
	})
	loops.Go(func() { every(loopCtx, d.opts.evalEvery, d.alerting.eval) })
	loops.Go(func() { every(loopCtx, d.opts.deliverEvery, d.alerting.deliver) })

	d.ready.Store(true)
	d.log.Info("slawatch started", "listen", ln.Addr().String(), "config", cfg.File,
		"store", cfg.Storage.Path, "services", len(cfg.Services), "version", d.opts.Version)
	if d.opts.OnReady != nil {
		d.opts.OnReady(ln.Addr())
	}

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("http server: %w", err)
	}

	d.log.Info("slawatch stopping")
	d.ready.Store(false)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		d.log.Warn("http shutdown", "err", err)
	}
	d.sched.Stop(shutdownCtx)
	d.backups.stop()
	stopLoops()
	loops.Wait()
	if err := d.w.Close(shutdownCtx); err != nil {
		d.log.Error("flush probe results", "err", err)
	}
	// The state history ends where monitoring does.
	now := d.opts.Now()
	for _, svc := range d.serviceList() {
		if err := d.store.CloseStates(shutdownCtx, svc.cfg.Name, now); err != nil {
			d.log.Error("close state history", "service", svc.cfg.Name, "err", err)
		}
		d.logUnsaved(svc)
	}
	d.log.Info("slawatch stopped")
	return runErr
}

// loadCert reads the API's TLS certificate and key.
func (d *Daemon) loadCert(cfg *config.Config) error {
	c, err := tls.LoadX509KeyPair(cfg.Server.TLSCertFile, cfg.Server.TLSKeyFile)
	if err != nil {
		return fmt.Errorf("server TLS certificate %s: %w", cfg.Server.TLSCertFile, err)
	}
	d.cert.Store(&c)
	return nil
}

func (d *Daemon) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return d.cert.Load(), nil
}

// Reload loads the config file again and, only if it is valid, swaps it in
// and reconciles the running schedules. A broken file leaves the old config
// running.
func (d *Daemon) Reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	err := d.reload(ctx)
	if err != nil {
		d.m.reloadOK.Set(0)
		d.log.Error("reload failed; the old config stays in force", "err", err)
		return err
	}
	d.m.reloadOK.Set(1)
	d.m.reloadTime.Set(float64(d.opts.Now().Unix()))
	d.log.Info("config reloaded", "services", len(d.cfg.Load().Services))
	return nil
}

func (d *Daemon) reload(ctx context.Context) error {
	cfg, err := config.Load(d.opts.ConfigPath)
	if err != nil {
		return err
	}
	tokens, err := cfg.APITokens()
	if err != nil {
		return fmt.Errorf("read API tokens: %w", err)
	}
	if err := d.alerting.apply(cfg); err != nil {
		return fmt.Errorf("alert receivers: %w", err)
	}
	old := d.cfg.Load()
	if cfg.Server.TLSCertFile != "" && old.Server.TLSCertFile != "" {
		if err := d.loadCert(cfg); err != nil {
			return err
		}
	} else if cfg.Server.TLSCertFile != old.Server.TLSCertFile {
		d.log.Warn("turning TLS on or off takes effect at the next restart")
	}
	if cfg.Storage.Path != old.Storage.Path {
		d.log.Warn("storage.path changed; it takes effect at the next restart", "in_force", old.Storage.Path)
	}
	if cfg.Server.Listen != old.Server.Listen && d.opts.Listen == "" {
		d.log.Warn("server.listen changed; it takes effect at the next restart", "in_force", old.Server.Listen)
	}
	if err := d.apply(ctx, cfg); err != nil {
		return err
	}
	d.web.SetTokens(tokens)
	return nil
}

// apply makes cfg the config in force: services are added, kept (with their
// streaks and open outages) or dropped, and the scheduler reconciled.
func (d *Daemon) apply(ctx context.Context, cfg *config.Config) error {
	open, err := d.store.OpenOutages(ctx)
	if err != nil {
		return fmt.Errorf("load open outages: %w", err)
	}
	openBy := map[string]uptime.Outage{}
	for _, o := range open {
		// Should there be several (an older daemon's crash), the newest goes on.
		if cur, ok := openBy[o.Service]; !ok || o.Start.After(cur.Start) {
			openBy[o.Service] = o
		}
	}
	now := d.opts.Now()

	d.mu.Lock()
	next := make(map[string]*service, len(cfg.Services))
	order := make([]string, 0, len(cfg.Services))
	var specs []probe.Spec
	for _, sc := range cfg.Services {
		infos := make([]uptime.ProbeInfo, 0, len(sc.Probes))
		for _, p := range sc.Probes {
			infos = append(infos, uptime.ProbeInfo{Name: p.Name, Impact: p.Impact})
			specs = append(specs, *p)
		}
		svc := d.services[sc.Name]
		if svc == nil {
			svc = &service{last: map[string]probe.Result{}}
			svc.tracker = uptime.NewTracker(sc.Name, sc.FailureThreshold, sc.SuccessThreshold, infos)
			if o, ok := openBy[sc.Name]; ok {
				svc.tracker.Restore(o)
				d.log.Info("resuming open outage", "service", sc.Name, "id", o.ID, "since", o.Start)
			}
		} else {
			svc.mu.Lock()
			svc.tracker.SetThresholds(sc.FailureThreshold, sc.SuccessThreshold)
			svc.tracker.SetProbes(infos, now)
			for name := range svc.last {
				if !slices.ContainsFunc(sc.Probes, func(p *probe.Spec) bool { return p.Name == name }) {
					delete(svc.last, name)
					d.m.forgetProbe(sc.Name, name)
				}
			}
			svc.mu.Unlock()
		}
		svc.mu.Lock()
		svc.cfg = sc
		svc.usvc = sc.UptimeService()
		d.m.setState(sc.Name, svc.state())
		svc.mu.Unlock()
		next[sc.Name] = svc
		order = append(order, sc.Name)
	}
	for name := range d.services {
		if _, ok := next[name]; !ok {
			d.m.forgetService(name)
		}
	}
	d.services, d.order = next, order
	d.mu.Unlock()

	d.gaps.Store(gapsOf(cfg, now))
	if err := d.sched.Apply(specs); err != nil {
		return fmt.Errorf("schedule probes: %w", err)
	}
	d.cfg.Store(cfg)
	if err := d.backups.apply(cfg); err != nil {
		return fmt.Errorf("start backup checks: %w", err)
	}
	return nil
}

// minGap is the shortest silence that counts as a gap in monitoring: a
// stall of a few seconds (a GC pause, a loaded host, a slow disk) is the
// daemon being slow, not away.
const minGap = 5 * time.Second

// gapsOf gives each service's longest allowed silence: twice the longest
// time between planned runs of its most frequent probe plus that probe's
// timeout (so one run skipped or late does not make a gap, two do), and at
// least minGap.
func gapsOf(cfg *config.Config, now time.Time) *map[string]time.Duration {
	gaps := make(map[string]time.Duration, len(cfg.Services))
	for _, sc := range cfg.Services {
		for _, p := range sc.Probes {
			g := max(2*probe.LongestGap(p, now)+p.Timeout, minGap)
			if cur, ok := gaps[sc.Name]; !ok || g < cur {
				gaps[sc.Name] = g
			}
		}
	}
	return &gaps
}

// maxGap is store.WriterOptions.MaxGap: 0 (never split) for a service the
// config no longer has.
func (d *Daemon) maxGap(service string) time.Duration {
	if m := d.gaps.Load(); m != nil {
		return (*m)[service]
	}
	return 0
}

// onResult takes every probe result, from the probe goroutines.
func (d *Daemon) onResult(r probe.Result) {
	d.w.Add(r)
	d.observeMetrics(r)

	d.mu.RLock()
	svc := d.services[r.Service]
	d.mu.RUnlock()
	if svc == nil {
		return
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	svc.last[r.Probe] = r
	from := svc.state()
	tr := svc.tracker.Observe(r)
	// Outages that closed while the store could not be written, oldest first.
	for len(svc.closed) > 0 && d.saveClosed(svc, svc.closed[0], true) {
		svc.closed = svc.closed[1:]
	}
	if tr.Opened != nil || svc.unsaved {
		d.saveOpened(svc)
	}
	if tr.Closed != nil && !d.saveClosed(svc, *tr.Closed, false) {
		svc.closed = append(svc.closed, *tr.Closed)
	}
	if to := svc.state(); to != from {
		d.log.Info("service state changed", "service", r.Service, "from", from, "to", to, "probe", r.Probe, "reason", r.Err)
	}
	d.stateChanged(svc, r.Start)
}

// stateChanged exports the service's state and records a change in the
// store's state history (reports read degraded time from it). The caller
// holds svc.mu.
func (d *Daemon) stateChanged(svc *service, at time.Time) {
	st := svc.state()
	d.m.setState(svc.cfg.Name, st)
	if st == svc.recorded || st == uptime.StateUnknown {
		return
	}
	// Probe results and maintenance checks report changes with their own
	// times, which need not arrive in order; the history only moves forward.
	if at.Before(svc.recordedAt) {
		at = svc.recordedAt
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.store.RecordState(ctx, svc.cfg.Name, st, at); err != nil {
		d.log.Error("record state change", "service", svc.cfg.Name, "state", st, "err", err)
		return
	}
	svc.recorded, svc.recordedAt = st, at
}

// saveOpened writes the open outage at once, so a crash cannot lose it.
func (d *Daemon) saveOpened(svc *service) {
	o, ok := svc.tracker.OpenOutage()
	if !ok || o.ID != 0 {
		svc.unsaved = false
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, err := d.store.InsertOutage(ctx, o)
	d.storeWrote(err)
	if err != nil {
		// Every result retries; the first failure is the one worth an ERROR.
		level := slog.LevelError
		if svc.unsaved {
			level = slog.LevelDebug
		}
		svc.unsaved = true
		d.log.Log(ctx, level, "store opened outage; will retry", "service", o.Service, "err", err)
		return
	}
	svc.unsaved = false
	svc.tracker.SetOutageID(id)
	d.log.Warn("outage opened", "service", o.Service, "id", id, "start", o.Start, "probe", o.Probe, "cause", o.Cause)
}

// saveClosed writes a closed outage: whole when it never reached the store
// while open, otherwise its end. It reports false when the write failed and
// is worth retrying (the store cannot be written); retry says this is a
// retry, logged at debug level only.
func (d *Daemon) saveClosed(svc *service, o uptime.Outage, retry bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if o.ID == 0 {
		// It never reached the store while open: store it whole now.
		_, err = d.store.InsertOutage(ctx, o)
		svc.unsaved = false
	} else {
		err = d.store.CloseOutage(ctx, o.ID, o.End)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict):
		// Deleted or closed by hand meanwhile: nothing to retry.
		d.log.Error("store closed outage", "service", o.Service, "id", o.ID, "err", err)
	case err != nil:
		level := slog.LevelError
		if retry {
			level = slog.LevelDebug
		}
		d.log.Log(ctx, level, "store closed outage; will retry", "service", o.Service, "id", o.ID, "err", err)
		return false
	default:
		d.log.Info("outage closed", "service", o.Service, "id", o.ID, "start", o.Start, "end", o.End,
			"duration", o.End.Sub(o.Start).String())
	}
	return true
}

// logUnsaved names, when the daemon stops, what of the outages of svc never
// reached the store, so that it can be entered by hand.
func (d *Daemon) logUnsaved(svc *service) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	lost := slices.Clone(svc.closed)
	if o, ok := svc.tracker.OpenOutage(); ok && o.ID == 0 {
		lost = append(lost, o)
	}
	for _, o := range lost {
		if o.ID != 0 {
			d.log.Error("outage end not stored (the store could not be written); close it with slawatch outage close",
				"service", o.Service, "id", o.ID, "end", o.End)
			continue
		}
		args := []any{"service", o.Service, "start", o.Start}
		if !o.End.IsZero() {
			args = append(args, "end", o.End)
		}
		d.log.Error("outage not stored (the store could not be written); enter it with slawatch outage add",
			append(args, "cause", o.Cause)...)
	}
}

func (d *Daemon) observeMetrics(r probe.Result) {
	result, success := "success", 1.0
	switch {
	case !r.Success:
		result, success = "failure", 0
	case r.Degraded:
		result = "degraded"
	}
	d.m.probeSuccess.WithLabelValues(r.Service, r.Probe).Set(success)
	d.m.probeDuration.WithLabelValues(r.Service, r.Probe).Observe(r.Duration.Seconds())
	d.m.probesTotal.WithLabelValues(r.Service, r.Probe, result).Inc()
	if !r.CertExpiry.IsZero() {
		d.m.certExpiry.WithLabelValues(r.Service, r.Probe).Set(float64(r.CertExpiry.Unix()))
	}
}

func (d *Daemon) pruneLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		st := d.cfg.Load().Storage
		cutoff := d.opts.Now().Add(-st.RawRetention)
		n, err := d.store.PruneResults(ctx, cutoff)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			d.log.Error("prune raw probe results", "err", err)
		case n > 0:
			d.log.Info("pruned raw probe results", "rows", n, "before", cutoff)
		}
		if st.RollupRetention > 0 {
			cutoff := d.opts.Now().Add(-st.RollupRetention)
			n, err := d.store.PruneRollups(ctx, cutoff)
			switch {
			case err != nil && !errors.Is(err, context.Canceled):
				d.log.Error("prune hourly rollups", "err", err)
			case n > 0:
				d.log.Info("pruned hourly rollups", "rows", n, "before", cutoff)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (d *Daemon) countOutages(ctx context.Context) (map[string]int64, error) {
	counts, err := d.store.CountOutagesByService(ctx)
	if err != nil {
		return nil, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make(map[string]int64, len(d.services))
	for name := range d.services {
		out[name] = counts[name]
	}
	return out, nil
}

// HasService reports whether the config in force has the service.
func (d *Daemon) HasService(name string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	_, ok := d.services[name]
	return ok
}

// UptimeServices describes every configured service for reports, in config
// order.
func (d *Daemon) UptimeServices() []uptime.Service {
	cfg := d.cfg.Load()
	out := make([]uptime.Service, 0, len(cfg.Services))
	for _, s := range cfg.Services {
		out = append(out, s.UptimeService())
	}
	return out
}

// Services is the current state of every service, in config order.
func (d *Daemon) Services() []web.ServiceStatus {
	d.mu.RLock()
	defer d.mu.RUnlock()
	now := d.opts.Now()
	out := make([]web.ServiceStatus, 0, len(d.order))
	for _, name := range d.order {
		svc := d.services[name]
		svc.mu.Lock()
		st := web.ServiceStatus{
			Name: name, Environment: svc.cfg.Environment, Policy: svc.cfg.Policy,
			State: string(svc.state()), Probes: []web.ProbeStatus{},
		}
		if w := svc.maint; w != nil {
			j := web.NewWindowJSON(*w)
			st.Maintenance = &j
		}
		if svc.usvc.SLA != "" {
			st.MonthToDate, st.YearToDate = web.NewToDate(svc.toDate.Month), web.NewToDate(svc.toDate.Year)
		}
		if o, ok := svc.tracker.OpenOutage(); ok {
			j := web.NewOutageJSON(o, now)
			st.OpenOutage = &j
		}
		for _, p := range svc.cfg.Probes {
			ps := web.ProbeStatus{Name: p.Name, Kind: p.Kind(), Target: target(p)}
			if r, ok := svc.last[p.Name]; ok {
				start, success := r.Start, r.Success
				ps.LastRun, ps.Success = &start, &success
				ps.Degraded, ps.Error, ps.DurationSeconds = r.Degraded, r.Err, r.Duration.Seconds()
				if !r.CertExpiry.IsZero() {
					exp := r.CertExpiry
					ps.CertExpiry = &exp
				}
			}
			st.Probes = append(st.Probes, ps)
		}
		svc.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// target names what a probe checks, for people; URLs lose any credentials.
func target(p *probe.Spec) string {
	switch {
	case p.HTTP != nil:
		return redactURL(p.HTTP.URL)
	case p.TCP != nil:
		return p.TCP.Address
	case p.DNS != nil:
		return p.DNS.Name
	case p.TLS != nil:
		return p.TLS.Address
	}
	return ""
}
