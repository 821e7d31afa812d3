package daemon

import (
	"context"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/uptime"
)

// durationBuckets cover loopback probes (milliseconds) up to the longest
// sensible timeout.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

type metrics struct {
	probeSuccess  *prometheus.GaugeVec
	probeDuration *prometheus.HistogramVec
	probesTotal   *prometheus.CounterVec
	probesSkipped *prometheus.CounterVec
	certExpiry    *prometheus.GaugeVec
	serviceUp     *prometheus.GaugeVec
	serviceState  *prometheus.GaugeVec
	reloadOK      prometheus.Gauge
	reloadTime    prometheus.Gauge

	backupLastSuccess *prometheus.GaugeVec
	backupAge         *prometheus.GaugeVec
	backupRPO         *prometheus.GaugeVec
	backupRPOMet      *prometheus.GaugeVec
	backupRetention   *prometheus.GaugeVec
	backupSourceUp    *prometheus.GaugeVec
	backupCheckErrors *prometheus.CounterVec
	restoreDuration   *prometheus.GaugeVec
	restoreLast       *prometheus.GaugeVec

	alertsFiring   *prometheus.GaugeVec
	notifications  *prometheus.CounterVec
	queueLength    prometheus.Gauge
	queueOldest    prometheus.Gauge
	escalations    prometheus.Counter
	responseMissed *prometheus.CounterVec

	maintenanceActive *prometheus.GaugeVec
	uptimeRatio       *prometheus.GaugeVec
	uptimeTarget      *prometheus.GaugeVec
	budgetRemaining   *prometheus.GaugeVec

	// exported is the state setState last exported for each service:
	// setState runs for every probe result and for every service every
	// second (the maintenance check), and looking up its six series each
	// time cost more than the rest of the state tracking.
	exportedMu sync.Mutex
	exported   map[string]uptime.State
}

func newMetrics(reg *prometheus.Registry, version string, outages outageCounter, log *slog.Logger) *metrics {
	sp := []string{"service", "probe"}
	m := &metrics{
		exported: map[string]uptime.State{},
		probeSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "slawatch_probe_success", Help: "Whether the probe's last attempt succeeded (1) or failed (0).",
		}, sp),
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "slawatch_probe_duration_seconds", Help: "Duration of probe attempts.", Buckets: durationBuckets,
		}, sp),
		probesTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slawatch_probes_total", Help: "Probe attempts by result (success, degraded, failure).",
		}, []string{"service", "probe", "result"}),
		probesSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "slawatch_probes_skipped_total", Help: "Scheduled probe runs skipped because the previous attempt was still running or waiting.",
		}, sp),
		certExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "slawatch_certificate_expiry_timestamp_seconds", Help: "When the certificate the probe last saw expires, as a Unix time.",
		}, sp),
		serviceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "slawatch_service_up", Help: "Whether the service is available (1: up, degraded or in maintenance) or down (0).",
		}, []string{"service"}),
		serviceState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "slawatch_service_state", Help: "The service's state: 1 for the current state, 0 for the others.",
		}, []string{"service", "state"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "slawatch_config_last_reload_successful", Help: "Whether the last configuration load or reload succeeded.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "slawatch_config_last_reload_success_timestamp_seconds", Help: "When the configuration was last loaded successfully, as a Unix time.",
		}),
	}
	ssp := []string{"service", "sla", "period"}
	m.maintenanceActive = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_maintenance_active", Help: "Whether a maintenance window is in force for the service.",
	}, []string{"service"})
	m.uptimeRatio = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_uptime_ratio", Help: "Uptime of the period to date (month or year, in the policy's time zone), as a ratio; absent while nothing was measured.",
	}, ssp)
	m.uptimeTarget = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_uptime_target_ratio", Help: "The policy's uptime target, as a ratio.",
	}, ssp)
	m.budgetRemaining = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_error_budget_remaining_seconds", Help: "Error budget left in the period to date; negative when overspent.",
	}, ssp)
	reg.MustRegister(m.maintenanceActive, m.uptimeRatio, m.uptimeTarget, m.budgetRemaining)
	set := []string{"set"}
	m.backupLastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_backup_last_success_timestamp_seconds", Help: "When the newest successful backup of the set captured its data, as a Unix time.",
	}, set)
	m.backupAge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_backup_age_seconds", Help: "Age of the newest successful backup of the set.",
	}, set)
	m.backupRPO = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_backup_rpo_seconds", Help: "The set's recovery point objective.",
	}, set)
	m.backupRPOMet = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_backup_rpo_met", Help: "Whether the newest successful backup is within the RPO (1) or not (0).",
	}, set)
	m.backupRetention = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_backup_retention_met", Help: "Whether a retention tier (point_in_time, weekly, monthly, all) is met.",
	}, []string{"set", "tier"})
	m.backupSourceUp = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_backup_source_up", Help: "Whether the last read of the set's source succeeded (1) or failed (0); absent for push sets.",
	}, set)
	m.backupCheckErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slawatch_backup_source_errors_total", Help: "Failed reads of the set's backup source.",
	}, set)
	m.restoreDuration = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_restore_test_last_duration_seconds", Help: "Duration of the newest successful restore test of the set.",
	}, set)
	m.restoreLast = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_restore_test_last_success_timestamp_seconds", Help: "When the newest successful restore test of the set ended, as a Unix time.",
	}, set)
	m.alertsFiring = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "slawatch_alerts_firing", Help: "Alerts firing, by severity.",
	}, []string{"severity"})
	m.notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slawatch_notifications_total", Help: "Notification attempts by receiver and result (success, retry, failed).",
	}, []string{"receiver", "result"})
	m.queueLength = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "slawatch_notification_queue_length", Help: "Notifications written to the outbox and not yet delivered.",
	})
	m.queueOldest = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "slawatch_notification_queue_oldest_seconds", Help: "Age of the oldest undelivered notification; 0 when none.",
	})
	m.escalations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "slawatch_escalations_total", Help: "Alerts escalated to a further receiver because nobody acknowledged them by their response deadline.",
	})
	m.responseMissed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "slawatch_response_deadline_missed_total", Help: "Alerts not acknowledged by their response deadline, by severity.",
	}, []string{"severity"})
	reg.MustRegister(m.alertsFiring, m.notifications, m.queueLength, m.queueOldest, m.escalations, m.responseMissed)
	reg.MustRegister(m.backupLastSuccess, m.backupAge, m.backupRPO, m.backupRPOMet, m.backupRetention,
		m.backupSourceUp, m.backupCheckErrors, m.restoreDuration, m.restoreLast)
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "slawatch_build_info", Help: "Build information; the value is always 1.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version(), "revision": revision()},
	})
	build.Set(1)
	reg.MustRegister(m.probeSuccess, m.probeDuration, m.probesTotal, m.probesSkipped, m.certExpiry,
		m.serviceUp, m.serviceState, m.reloadOK, m.reloadTime, build,
		&outagesCollector{count: outages, log: log},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// setState exports a service's state as one series a state. The series
// are set only when the state differs from the one last exported.
func (m *metrics) setState(service string, s uptime.State) {
	m.exportedMu.Lock()
	defer m.exportedMu.Unlock()
	if cur, ok := m.exported[service]; ok && cur == s {
		return
	}
	m.exported[service] = s
	for _, st := range uptime.States {
		v := 0.0
		if st == s {
			v = 1
		}
		m.serviceState.WithLabelValues(service, string(st)).Set(v)
	}
	if s == uptime.StateUnknown {
		m.serviceUp.DeleteLabelValues(service)
		return
	}
	up := 1.0
	if s == uptime.StateDown {
		up = 0
	}
	m.serviceUp.WithLabelValues(service).Set(up)
}

// setUptime exports one period's uptime to date.
func (m *metrics) setUptime(service, sla, period string, r uptime.Report) {
	if r.UptimePercent == nil {
		m.uptimeRatio.DeleteLabelValues(service, sla, period)
	} else {
		m.uptimeRatio.WithLabelValues(service, sla, period).Set(*r.UptimePercent / 100)
	}
	if r.TargetPercent > 0 {
		m.uptimeTarget.WithLabelValues(service, sla, period).Set(r.TargetPercent / 100)
		m.budgetRemaining.WithLabelValues(service, sla, period).Set(r.ErrorBudgetRemainingSeconds)
	}
}

// setBackup exports a set's evaluation.
func (m *metrics) setBackup(st backup.Status) {
	set := st.Set
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	if st.Newest != nil && st.AgeSeconds != nil {
		m.backupLastSuccess.WithLabelValues(set).Set(float64(st.Newest.UnixMilli()) / 1000)
		m.backupAge.WithLabelValues(set).Set(*st.AgeSeconds)
	} else {
		m.backupLastSuccess.DeleteLabelValues(set)
		m.backupAge.DeleteLabelValues(set)
	}
	if st.RPOSeconds != nil {
		m.backupRPO.WithLabelValues(set).Set(*st.RPOSeconds)
	}
	m.backupRPOMet.WithLabelValues(set).Set(b2f(st.RPOMet))
	r := st.Retention
	m.backupRetention.WithLabelValues(set, "point_in_time").Set(b2f(r.PointInTime.Met))
	m.backupRetention.WithLabelValues(set, "weekly").Set(b2f(r.Weekly.Met))
	m.backupRetention.WithLabelValues(set, "monthly").Set(b2f(r.Monthly.Met))
	m.backupRetention.WithLabelValues(set, "all").Set(b2f(r.PointInTime.Met && r.Weekly.Met && r.Monthly.Met))
	if st.State == backup.StateUnknown {
		m.backupSourceUp.WithLabelValues(set).Set(0)
	} else {
		m.backupSourceUp.WithLabelValues(set).Set(1)
	}
	if rt := st.RTO; rt != nil && rt.RestoreTests.LastDurationSeconds != nil && rt.RestoreTests.NewestSuccess != nil {
		m.restoreDuration.WithLabelValues(set).Set(*rt.RestoreTests.LastDurationSeconds)
		m.restoreLast.WithLabelValues(set).Set(float64(rt.RestoreTests.NewestSuccess.UnixMilli()) / 1000)
	}
}

func (m *metrics) forgetBackupSet(set string) {
	l := prometheus.Labels{"set": set}
	for _, v := range []*prometheus.MetricVec{m.backupLastSuccess.MetricVec, m.backupAge.MetricVec, m.backupRPO.MetricVec,
		m.backupRPOMet.MetricVec, m.backupRetention.MetricVec, m.backupSourceUp.MetricVec, m.backupCheckErrors.MetricVec,
		m.restoreDuration.MetricVec, m.restoreLast.MetricVec} {
		v.DeletePartialMatch(l)
	}
}

func (m *metrics) forgetProbe(service, probe string) {
	l := prometheus.Labels{"service": service, "probe": probe}
	m.probeSuccess.Delete(l)
	m.probeDuration.Delete(l)
	m.probesTotal.DeletePartialMatch(l)
	m.probesSkipped.Delete(l)
	m.certExpiry.Delete(l)
}

func (m *metrics) forgetService(service string) {
	m.exportedMu.Lock()
	delete(m.exported, service)
	m.exportedMu.Unlock()
	l := prometheus.Labels{"service": service}
	for _, v := range []*prometheus.MetricVec{m.probeSuccess.MetricVec, m.probesTotal.MetricVec, m.probesSkipped.MetricVec,
		m.certExpiry.MetricVec, m.serviceUp.MetricVec, m.serviceState.MetricVec, m.maintenanceActive.MetricVec,
		m.uptimeRatio.MetricVec, m.uptimeTarget.MetricVec, m.budgetRemaining.MetricVec} {
		v.DeletePartialMatch(l)
	}
	m.probeDuration.DeletePartialMatch(l)
}

// outageCounter counts the outages recorded for each service. It reads the
// store, so outages added by the CLI while the daemon runs count too.
type outageCounter func(ctx context.Context) (map[string]int64, error)

type outagesCollector struct {
	count outageCounter
	log   *slog.Logger
}

var outagesDesc = prometheus.NewDesc("slawatch_outages_total",
	"Outages recorded for the service, detected or entered by hand.", []string{"service"}, nil)

func (c *outagesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- outagesDesc }

func (c *outagesCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.log.Error("count outages for metrics", "err", err)
		ch <- prometheus.NewInvalidMetric(outagesDesc, err)
		return
	}
	for svc, n := range counts {
		ch <- prometheus.MustNewConstMetric(outagesDesc, prometheus.CounterValue, float64(n), svc)
	}
}

func revision() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}
