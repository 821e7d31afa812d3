// Package web serves slawatch's HTTP interface: metrics, health and
// readiness, the JSON API and the status page.
package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// maxBody bounds what a request body may hold; API bodies are small.
const maxBody = 1 << 20

// Backend is what the web layer needs from the running daemon.
type Backend interface {
	Ready() bool
	// NotReadyReason says why the daemon is not ready ("" when it is).
	NotReadyReason() string
	Reload(ctx context.Context) error
	Services() []ServiceStatus
	// HasService reports whether the current config has the service.
	HasService(name string) bool
	// UptimeServices describes every configured service for reports.
	UptimeServices() []uptime.Service
	// MaintenanceChanged tells the daemon that windows were announced or
	// cancelled, so service states follow at once.
	MaintenanceChanged(ctx context.Context)
	// BackupSets describes the configured backup sets.
	BackupSets() []backup.Set
	// BackupStatuses is the latest evaluation of every set.
	BackupStatuses() []backup.Status
	// Alerts lists active and recently resolved alerts.
	Alerts(ctx context.Context) ([]alerts.Alert, error)
	// AlertDeadlines gives an alert's response and resolution deadlines.
	AlertDeadlines(a alerts.Alert) Deadlines
	// AckAlert acknowledges an active alert.
	AckAlert(ctx context.Context, fingerprint, who string) (alerts.Alert, error)
	// BackupPushed tells the daemon a record or restore test arrived.
	BackupPushed(ctx context.Context, set string)
}

// Store is what the web layer needs from the store.
type Store interface {
	OutageStore
	uptime.History
	AddMaintenance(ctx context.Context, w uptime.Window) (int64, error)
	CancelMaintenance(ctx context.Context, id int64, who string, at time.Time) error
	MaintenanceWindow(ctx context.Context, id int64) (uptime.Window, error)
	backup.Store
	AddBackup(ctx context.Context, set string, r backup.Record, at time.Time) (int64, error)
	AddRestoreTest(ctx context.Context, set string, t backup.RestoreTest, by string, at time.Time) (int64, error)
	alerts.FiredSource
	// Probe history: hourly rollups and raw results.
	Rollups(ctx context.Context, service string, from, to time.Time) ([]store.Rollup, error)
	Results(ctx context.Context, service, probeName string, from, to time.Time, limit int) ([]probe.Result, error)
}

// OutageStore is what the web layer needs from the store.
type OutageStore interface {
	Outages(ctx context.Context, f store.OutageFilter) ([]uptime.Outage, error)
	Outage(ctx context.Context, id int64) (uptime.Outage, error)
	InsertOutage(ctx context.Context, o uptime.Outage) (int64, error)
	ExcludeOutage(ctx context.Context, id int64, reason, who string, at time.Time) error
	IncludeOutage(ctx context.Context, id int64, reason, who string, at time.Time) error
	OutageEvents(ctx context.Context, id int64) ([]store.OutageEvent, error)
}

// ServiceStatus is one service's current state, as the API shows it.
type ServiceStatus struct {
	Name        string        `json:"name"`
	Environment string        `json:"environment"`
	Policy      string        `json:"policy,omitempty"`
	State       string        `json:"state"`
	OpenOutage  *OutageJSON   `json:"open_outage"`
	Maintenance *WindowJSON   `json:"maintenance"` // the window in force, if any
	Probes      []ProbeStatus `json:"probes"`
	// MonthToDate and YearToDate are the uptime figures of the periods to
	// date; null until first computed or for a service without a policy.
	MonthToDate *ToDate `json:"month_to_date"`
	YearToDate  *ToDate `json:"year_to_date"`
}

// ToDate summarises a period's uptime so far.
type ToDate struct {
	Period                      string   `json:"period"`
	TargetPercent               float64  `json:"target_percent"`
	UptimePercent               *float64 `json:"uptime_percent"`
	Met                         *bool    `json:"met"`
	DowntimeSeconds             float64  `json:"downtime_seconds"`
	ErrorBudgetRemainingSeconds float64  `json:"error_budget_remaining_seconds"`
	display                     string
}

// NewToDate summarises a report.
func NewToDate(r *uptime.Report) *ToDate {
	if r == nil {
		return nil
	}
	return &ToDate{Period: r.Period.Label, TargetPercent: r.TargetPercent, UptimePercent: r.UptimePercent, Met: r.Met,
		DowntimeSeconds: r.DowntimeSeconds, ErrorBudgetRemainingSeconds: r.ErrorBudgetRemainingSeconds,
		display: uptime.DisplayUptime(*r)}
}

// Display is the uptime as reports show it.
func (t *ToDate) Display() string {
	if t.display == "" {
		return "n/a"
	}
	return t.display
}

// ProbeStatus is one probe's latest result.
type ProbeStatus struct {
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	Target          string     `json:"target"`
	LastRun         *time.Time `json:"last_run"`
	Success         *bool      `json:"success"`
	Degraded        bool       `json:"degraded"`
	Error           string     `json:"error,omitempty"`
	DurationSeconds float64    `json:"duration_seconds"`
	CertExpiry      *time.Time `json:"certificate_expiry,omitempty"`
}

// Options configure a Server.
type Options struct {
	Backend  Backend
	Store    Store
	Registry *prometheus.Registry
	Logger   *slog.Logger
	Now      func() time.Time
}

// Server is the HTTP handler. Tokens can be swapped while it serves.
type Server struct {
	opts   Options
	tokens atomic.Pointer[[]string]
	mux    *http.ServeMux
}

// New returns a Server with no tokens: every write is refused until
// SetTokens gives some.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.SetTokens(nil)
	s.routes()
	return s
}

// SetTokens replaces the accepted bearer tokens.
func (s *Server) SetTokens(tokens []string) {
	t := append([]string(nil), tokens...)
	s.tokens.Store(&t)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /metrics", promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.opts.Logger.Handler(), slog.LevelError),
	}))
	m.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "slawatch is healthy.")
	})
	m.HandleFunc("GET /-/ready", func(w http.ResponseWriter, r *http.Request) {
		if !s.opts.Backend.Ready() {
			http.Error(w, "slawatch is not ready: "+s.opts.Backend.NotReadyReason(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "slawatch is ready.")
	})
	m.HandleFunc("POST /-/reload", s.auth(s.reload))
	m.HandleFunc("GET /api/v1/services", s.listServices)
	m.HandleFunc("GET /api/v1/services/{name}", s.getService)
	m.HandleFunc("GET /api/v1/services/{name}/history", s.history)
	m.HandleFunc("GET /api/v1/outages", s.listOutages)
	m.HandleFunc("GET /api/v1/outages/{id}", s.getOutage)
	m.HandleFunc("POST /api/v1/outages", s.auth(s.addOutage))
	m.HandleFunc("POST /api/v1/outages/{id}/exclude", s.auth(s.excludeOutage(true)))
	m.HandleFunc("POST /api/v1/outages/{id}/include", s.auth(s.excludeOutage(false)))
	m.HandleFunc("GET /api/v1/maintenance", s.listMaintenance)
	m.HandleFunc("POST /api/v1/maintenance", s.auth(s.addMaintenance))
	m.HandleFunc("DELETE /api/v1/maintenance/{id}", s.auth(s.cancelMaintenance))
	m.HandleFunc("GET /api/v1/reports", s.report)
	m.HandleFunc("GET /api/v1/alerts", s.listAlerts)
	m.HandleFunc("POST /api/v1/alerts/{fingerprint}/ack", s.auth(s.ackAlert))
	m.HandleFunc("GET /api/v1/backups", s.listBackups)
	m.HandleFunc("POST /api/v1/backups/{set}", s.auth(s.pushBackup))
	m.HandleFunc("POST /api/v1/restore-tests", s.auth(s.addRestoreTest))
	m.HandleFunc("/api/", s.noRoute)
	m.HandleFunc("GET /{$}", s.statusPage)
}

// noRoute answers API requests no route takes: 405 with Allow when the
// path has routes for other methods, 404 when it has none. (The catch-all
// "/api/" would otherwise turn the mux's 405 into a 404.)
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		other := r.Clone(r.Context())
		other.Method = m
		if _, pattern := s.mux.Handler(other); pattern != "" && pattern != "/api/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed for %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or ")))
}

// auth admits a request only with a valid bearer token, compared in
// constant time so the comparison leaks nothing of the tokens.
func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The scheme is case-insensitive (RFC 9110 §11.1): "bearer" is as good.
		const prefix = "Bearer "
		h := r.Header.Get("Authorization")
		if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="slawatch"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		given := []byte(strings.TrimSpace(h[len(prefix):]))
		valid := false
		for _, t := range *s.tokens.Load() {
			if subtle.ConstantTimeCompare(given, []byte(t)) == 1 {
				valid = true
			}
		}
		if !valid || len(given) == 0 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="slawatch", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "invalid bearer token")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		next(w, r)
	}
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if err := s.opts.Backend.Reload(r.Context()); err != nil {
		writeError(w, http.StatusInternalServerError, "reload failed, the old config stays in force: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "reloaded"})
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"services": s.opts.Backend.Services()})
}

func (s *Server) getService(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	for _, svc := range s.opts.Backend.Services() {
		if svc.Name == name {
			writeJSON(w, http.StatusOK, svc)
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Sprintf("no service %q", name))
}

func (s *Server) listOutages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.OutageFilter{Service: q.Get("service")}
	var err error
	if f.From, err = queryTime(q.Get("from")); err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return
	}
	if f.To, err = queryTime(q.Get("to")); err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 0 {
			writeError(w, http.StatusBadRequest, "limit: want a whole number")
			return
		}
	}
	outages, err := s.opts.Store.Outages(r.Context(), f)
	if err != nil {
		s.internal(w, "list outages", err)
		return
	}
	out := make([]OutageJSON, 0, len(outages))
	for _, o := range outages {
		out = append(out, NewOutageJSON(o, s.opts.Now()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"outages": out})
}

func (s *Server) getOutage(w http.ResponseWriter, r *http.Request) {
	id, ok := s.outageID(w, r)
	if !ok {
		return
	}
	o, err := s.opts.Store.Outage(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no outage %d", id))
		return
	} else if err != nil {
		s.internal(w, "get outage", err)
		return
	}
	events, err := s.opts.Store.OutageEvents(r.Context(), id)
	if err != nil {
		s.internal(w, "get outage events", err)
		return
	}
	writeJSON(w, http.StatusOK, outageWithEvents(o, events, s.opts.Now()))
}

// AddOutageRequest is the body of POST /api/v1/outages.
type AddOutageRequest struct {
	Service      string    `json:"service"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Cause        string    `json:"cause"`
	ForceMajeure bool      `json:"force_majeure"`
	Reason       string    `json:"reason"` // why it is force majeure
	By           string    `json:"by"`
}

func (s *Server) addOutage(w http.ResponseWriter, r *http.Request) {
	var req AddOutageRequest
	if !decode(w, r, &req) || badTimes(w, req.Start, req.End) {
		return
	}
	if req.Service != "" && !s.opts.Backend.HasService(req.Service) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("service: no service %q in the config", req.Service))
		return
	}
	o := uptime.Outage{
		Service: req.Service, Start: asStored(req.Start), End: asStored(req.End),
		Cause: req.Cause, Source: uptime.SourceManual,
	}
	if err := uptime.CheckManual(o); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	by := req.By
	if by == "" {
		by = "api"
	}
	if req.ForceMajeure {
		if req.Reason == "" {
			writeError(w, http.StatusBadRequest, "reason: force majeure needs a reason")
			return
		}
		o.Excluded, o.ExcludeReason, o.ExcludedBy, o.ExcludedAt = true, req.Reason, by, asStored(s.opts.Now())
	}
	id, err := s.opts.Store.InsertOutage(r.Context(), o)
	if err != nil {
		s.internal(w, "add outage", err)
		return
	}
	o.ID = id
	s.opts.Logger.Info("manual outage added", "id", id, "service", o.Service, "start", o.Start, "end", o.End, "by", by)
	writeJSON(w, http.StatusCreated, NewOutageJSON(o, s.opts.Now()))
}

// ExcludeRequest is the body of POST /api/v1/outages/{id}/exclude and /include.
type ExcludeRequest struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
}

func (s *Server) excludeOutage(exclude bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.outageID(w, r)
		if !ok {
			return
		}
		var req ExcludeRequest
		if !decode(w, r, &req) {
			return
		}
		if strings.TrimSpace(req.Reason) == "" {
			writeError(w, http.StatusBadRequest, "reason: a reason is required")
			return
		}
		if req.By == "" {
			req.By = "api"
		}
		now := asStored(s.opts.Now())
		var err error
		if exclude {
			err = s.opts.Store.ExcludeOutage(r.Context(), id, req.Reason, req.By, now)
		} else {
			err = s.opts.Store.IncludeOutage(r.Context(), id, req.Reason, req.By, now)
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, fmt.Sprintf("no outage %d", id))
			return
		case errors.Is(err, store.ErrConflict) && exclude:
			writeError(w, http.StatusConflict, fmt.Sprintf("outage %d is already excluded", id))
			return
		case errors.Is(err, store.ErrConflict):
			writeError(w, http.StatusConflict, fmt.Sprintf("outage %d is not excluded", id))
			return
		case err != nil:
			s.internal(w, "exclude outage", err)
			return
		}
		s.getOutage(w, r)
	}
}

func (s *Server) outageID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	return s.pathID(w, r, "outage")
}

// pathID reads the {id} path value: a positive whole number.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request, what string) (int64, bool) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s id %q is not a positive whole number", what, v))
		return 0, false
	}
	return id, true
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	if errors.Is(err, context.Canceled) {
		// The client went away: nothing is wrong here, and nobody reads
		// the answer.
		s.opts.Logger.Debug(what+": client gone", "err", err)
		writeError(w, http.StatusServiceUnavailable, what+": request cancelled")
		return
	}
	s.opts.Logger.Error(what, "err", err)
	writeError(w, http.StatusInternalServerError, what+": "+err.Error())
}

// decode reads one JSON object strictly: unknown fields and trailing data
// are errors, so a typo in a field name is not silently ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeBody(w, r, v, false)
}

// decodeOptional is decode for a body that may be left out: an empty body
// leaves v as it is.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeBody(w, r, v, true)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// Only white space may follow the value. dec.More would let a
		// stray '}' or ']' through, and stops looking at the size limit.
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON value")
			if errors.As(terr, new(*http.MaxBytesError)) {
				err = terr
			}
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", tooBig.Limit))
	case err == io.EOF && optional:
		return true
	case err == io.EOF:
		writeError(w, http.StatusBadRequest, "empty body: want a JSON object")
	default:
		writeError(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
	}
	return false
}

// queryRange reads the from and to parameters (defaults from and to when
// left out); on a bad time or an empty range it answers 400 and reports
// false.
func queryRange(w http.ResponseWriter, q url.Values, from, to time.Time) (time.Time, time.Time, bool) {
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = queryTime(v); err != nil {
			writeError(w, http.StatusBadRequest, "from: "+err.Error())
			return from, to, false
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = queryTime(v); err != nil {
			writeError(w, http.StatusBadRequest, "to: "+err.Error())
			return from, to, false
		}
	}
	if !to.After(from) {
		writeError(w, http.StatusBadRequest, "to must be after from")
		return from, to, false
	}
	return from, to, true
}

func queryTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", v)
	}
	if err := checkTime(t); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// asStored is a time as the store keeps it, to the millisecond in UTC: what
// a create answers with is then what a later GET shows.
func asStored(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }

// Times the API takes lie in [minTime, maxTime): nothing slawatch tracks
// happened before 1970 (a year like 0026 is a typo for 2026), and JSON
// times end with the year 9999 in every time zone, so a time stored past
// maxTime, or before the year 1, would break every answer that shows it.
var (
	minTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkTime reports a time outside [minTime, maxTime). The zero time, a
// field left out, passes: the checks for required fields name it.
func checkTime(t time.Time) error {
	if t.IsZero() || (!t.Before(minTime) && t.Before(maxTime)) {
		return nil
	}
	return fmt.Errorf("%s is outside the years 1970 to 9998", t.Format(time.RFC3339Nano))
}

// badTimes answers 400 when start or end is out of range.
func badTimes(w http.ResponseWriter, start, end time.Time) bool {
	for _, c := range []struct {
		name string
		t    time.Time
	}{{"start", start}, {"end", end}} {
		if err := checkTime(c.t); err != nil {
			writeError(w, http.StatusBadRequest, c.name+": "+err.Error())
			return true
		}
	}
	return false
}

// writeJSON encodes v before anything is sent, so a value that cannot be
// encoded is a 500 that says so, not a 200 with an empty body.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]string{"error": "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}
