package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/store"
)

// AlertJSON is an alert as the API and `alerts list --format json` show it.
type AlertJSON struct {
	Fingerprint           string            `json:"fingerprint"`
	State                 string            `json:"state"`
	Labels                map[string]string `json:"labels"`
	Annotations           map[string]string `json:"annotations"`
	StartsAt              time.Time         `json:"starts_at"`
	FiredAt               *time.Time        `json:"fired_at"`
	EndsAt                *time.Time        `json:"ends_at"`
	AckedAt               *time.Time        `json:"acked_at"`
	AckedBy               string            `json:"acked_by,omitempty"`
	TimeToAcknowledgeSecs *float64          `json:"time_to_acknowledge_seconds"`
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// NewAlertJSON converts an alert.
func NewAlertJSON(a alerts.Alert) AlertJSON {
	j := AlertJSON{Fingerprint: a.Fingerprint(), State: a.State, Labels: a.Labels, Annotations: a.Annotations,
		StartsAt: a.StartsAt, FiredAt: opt(a.FiredAt), EndsAt: opt(a.EndsAt), AckedAt: opt(a.AckedAt), AckedBy: a.AckedBy}
	if !a.AckedAt.IsZero() && !a.FiredAt.IsZero() {
		s := a.AckedAt.Sub(a.FiredAt).Seconds()
		j.TimeToAcknowledgeSecs = &s
	}
	return j
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	as, err := s.opts.Backend.Alerts(r.Context())
	if err != nil {
		s.internal(w, "list alerts", err)
		return
	}
	out := make([]AlertJSON, 0, len(as))
	for _, a := range as {
		out = append(out, NewAlertJSON(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

// AckRequest is the body of POST /api/v1/alerts/{fingerprint}/ack.
type AckRequest struct {
	By string `json:"by"`
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request) {
	var req AckRequest
	if r.ContentLength != 0 && !decode(w, r, &req) {
		return
	}
	if req.By == "" {
		req.By = "api"
	}
	fp := r.PathValue("fingerprint")
	a, err := s.opts.Backend.AckAlert(r.Context(), fp, req.By)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no active alert %q", fp))
		return
	} else if err != nil {
		s.internal(w, "acknowledge alert", err)
		return
	}
	writeJSON(w, http.StatusOK, NewAlertJSON(a))
}
