package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// WindowJSON is a maintenance window as the API and `maintenance list
// --format json` show it.
type WindowJSON struct {
	ID            int64      `json:"id"` // 0 for windows from the config
	Service       string     `json:"service,omitempty"`
	Start         time.Time  `json:"start"`
	End           time.Time  `json:"end"`
	Reason        string     `json:"reason"`
	Source        string     `json:"source"`
	AnnouncedAt   *time.Time `json:"announced_at,omitempty"`
	AnnouncedBy   string     `json:"announced_by,omitempty"`
	NoticeSeconds *float64   `json:"notice_seconds,omitempty"`
	CancelledAt   *time.Time `json:"cancelled_at,omitempty"`
}

// NewWindowJSON converts a window.
func NewWindowJSON(w uptime.Window) WindowJSON {
	j := WindowJSON{ID: w.ID, Service: w.Service, Start: w.Start, End: w.End, Reason: w.Reason, Source: w.Source, AnnouncedBy: w.AnnouncedBy}
	if w.Announced() {
		at := w.AnnouncedAt
		n := uptime.NoticeOf(w).Seconds()
		j.AnnouncedAt, j.NoticeSeconds = &at, &n
	}
	if w.Cancelled() {
		c := w.CancelledAt
		j.CancelledAt = &c
	}
	return j
}

// maxListSpan bounds the range GET /api/v1/maintenance lists: a year, the
// longest report period.
const maxListSpan = 366 * 24 * time.Hour

// AddWindowRequest is the body of POST /api/v1/maintenance.
type AddWindowRequest struct {
	Service string    `json:"service"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Reason  string    `json:"reason"`
	By      string    `json:"by"`
}

func (s *Server) addMaintenance(w http.ResponseWriter, r *http.Request) {
	var req AddWindowRequest
	if !decode(w, r, &req) || badTimes(w, req.Start, req.End) {
		return
	}
	if req.Service != "" && !s.opts.Backend.HasService(req.Service) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("service: no service %q in the config", req.Service))
		return
	}
	if req.By == "" {
		req.By = "api"
	}
	win := uptime.Window{
		Service: req.Service, Start: asStored(req.Start), End: asStored(req.End),
		Reason: req.Reason, Source: uptime.SourceAPI, AnnouncedAt: asStored(s.opts.Now()), AnnouncedBy: req.By,
	}
	if err := uptime.CheckWindow(win); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id, err := s.opts.Store.AddMaintenance(r.Context(), win)
	if err != nil {
		s.internal(w, "announce maintenance", err)
		return
	}
	win.ID = id
	s.opts.Logger.Info("maintenance announced", "id", id, "service", win.Service, "start", win.Start, "end", win.End, "by", req.By)
	s.opts.Backend.MaintenanceChanged(r.Context())
	writeJSON(w, http.StatusCreated, NewWindowJSON(win))
}

func (s *Server) listMaintenance(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	now := s.opts.Now()
	from, to, ok := queryRange(w, q, now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour))
	if !ok {
		return
	}
	if to.Sub(from) > maxListSpan {
		// Recurring windows from the config are expanded over the range:
		// centuries of a weekly window are a huge answer, and a denser
		// schedule fails outright.
		writeError(w, http.StatusBadRequest, fmt.Sprintf("the range from %s to %s is longer than %d days; ask for it in parts",
			from.Format(time.RFC3339), to.Format(time.RFC3339), maxListSpan/(24*time.Hour)))
		return
	}
	svcs, ok := s.services(w, q["service"])
	if !ok {
		return
	}
	ws, err := uptime.Windows(r.Context(), s.opts.Store, svcs, from, to, q.Get("cancelled") == "true")
	if err != nil {
		s.internal(w, "list maintenance", err)
		return
	}
	out := make([]WindowJSON, 0, len(ws))
	for _, win := range ws {
		out = append(out, NewWindowJSON(win))
	}
	writeJSON(w, http.StatusOK, map[string]any{"maintenance": out})
}

// CancelRequest is the optional body of DELETE /api/v1/maintenance/{id}.
type CancelRequest struct {
	By string `json:"by"`
}

func (s *Server) cancelMaintenance(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "window")
	if !ok {
		return
	}
	var req CancelRequest
	if !decodeOptional(w, r, &req) {
		return
	}
	if req.By == "" {
		req.By = "api"
	}
	// A cancelled window does not count at all: cancelling one that is over
	// would turn downtime it excused back into downtime after the fact.
	if cur, err := s.opts.Store.MaintenanceWindow(r.Context(), id); err == nil && !cur.End.After(s.opts.Now()) {
		writeError(w, http.StatusConflict, fmt.Sprintf("maintenance window %d ended at %s; a past window cannot be cancelled", id, cur.End.Format(time.RFC3339)))
		return
	}
	err := s.opts.Store.CancelMaintenance(r.Context(), id, req.By, asStored(s.opts.Now()))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no maintenance window %d", id))
		return
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, fmt.Sprintf("maintenance window %d is already cancelled", id))
		return
	case err != nil:
		s.internal(w, "cancel maintenance", err)
		return
	}
	win, err := s.opts.Store.MaintenanceWindow(r.Context(), id)
	if err != nil {
		s.internal(w, "read maintenance window", err)
		return
	}
	s.opts.Logger.Info("maintenance cancelled", "id", id, "service", win.Service, "by", req.By)
	s.opts.Backend.MaintenanceChanged(r.Context())
	writeJSON(w, http.StatusOK, NewWindowJSON(win))
}

// services resolves ?service= values (all services when there are none).
func (s *Server) services(w http.ResponseWriter, names []string) ([]uptime.Service, bool) {
	all := s.opts.Backend.UptimeServices()
	if len(names) == 0 {
		return all, true
	}
	var out []uptime.Service
	for _, n := range names {
		found := false
		for _, us := range all {
			if us.Name == n {
				out = append(out, us)
				found = true
			}
		}
		if !found {
			writeError(w, http.StatusNotFound, fmt.Sprintf("no service %q", n))
			return nil, false
		}
	}
	return out, true
}
