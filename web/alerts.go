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
	// Response and resolution deadlines from the service's policy (null
	// when it sets none) and whether they were met (null while undecided).
	ResponseTarget     string     `json:"response_target,omitempty"`
	ResponseDeadline   *time.Time `json:"response_deadline"`
	ResponseMet        *bool      `json:"response_met"`
	ResolutionTarget   string     `json:"resolution_target,omitempty"`
	ResolutionDeadline *time.Time `json:"resolution_deadline"`
	ResolutionMet      *bool      `json:"resolution_met"`
	// Escalations are the steps the alert took up its routes because it
	// was not acknowledged in time, oldest first ([] when none).
	Escalations []EscalationJSON `json:"escalations"`
}

// EscalationJSON is one escalation: the alert was not acknowledged by due,
// so receiver (level receivers down its route) was notified at at.
type EscalationJSON struct {
	Level    int       `json:"level"`
	Receiver string    `json:"receiver"`
	Due      time.Time `json:"due"`
	At       time.Time `json:"at"`
}

// Deadlines are an alert's response and resolution deadlines and targets.
type Deadlines struct {
	Response, Resolution             time.Time
	ResponseTarget, ResolutionTarget string
}

// WithDeadlines adds the deadlines and decides, as of now, whether they
// were met: a deadline is met by acknowledging (resolving) at or before it,
// missed once it passes first; undecided (null) before that.
func (j AlertJSON) WithDeadlines(d Deadlines, a alerts.Alert, now time.Time) AlertJSON {
	met := func(deadline, done time.Time) *bool {
		var v bool
		switch {
		case deadline.IsZero():
			return nil
		case !done.IsZero():
			v = !done.After(deadline)
		case now.After(deadline):
			v = false
		default:
			return nil
		}
		return &v
	}
	j.ResponseTarget, j.ResolutionTarget = d.ResponseTarget, d.ResolutionTarget
	j.ResponseDeadline, j.ResolutionDeadline = opt(d.Response), opt(d.Resolution)
	j.ResponseMet = met(d.Response, a.AckedAt)
	j.ResolutionMet = met(d.Resolution, a.EndsAt)
	return j
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
		StartsAt: a.StartsAt, FiredAt: opt(a.FiredAt), EndsAt: opt(a.EndsAt), AckedAt: opt(a.AckedAt), AckedBy: a.AckedBy,
		Escalations: make([]EscalationJSON, 0, len(a.Escalations))}
	for _, e := range a.Escalations {
		j.Escalations = append(j.Escalations, EscalationJSON{Level: e.Level, Receiver: e.Receiver, Due: e.Due, At: e.At})
	}
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
	now := s.opts.Now()
	for _, a := range as {
		out = append(out, NewAlertJSON(a).WithDeadlines(s.opts.Backend.AlertDeadlines(a), a, now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

// AckRequest is the body of POST /api/v1/alerts/{fingerprint}/ack.
type AckRequest struct {
	By string `json:"by"`
}

func (s *Server) ackAlert(w http.ResponseWriter, r *http.Request) {
	var req AckRequest
	if !decodeOptional(w, r, &req) {
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
	writeJSON(w, http.StatusOK, NewAlertJSON(a).WithDeadlines(s.opts.Backend.AlertDeadlines(a), a, s.opts.Now()))
}
