package web

import (
	"fmt"
	"net/http"
	"time"
)

// History limits: hourly rollups of up to maxHistorySpan at once (a year
// and a month, as long as rollups are kept by default), raw results of up
// to maxRawSpan and maxRawResults (a day of one probe every second).
const (
	maxHistorySpan = 400 * 24 * time.Hour
	maxRawSpan     = 24 * time.Hour
	maxRawResults  = 100_000
)

// HourJSON is one probe's results over one UTC hour.
type HourJSON struct {
	Start    time.Time `json:"start"`
	Count    int64     `json:"count"`
	Failures int64     `json:"failures"`
	Degraded int64     `json:"degraded"`
	// SuccessRatio is the share of attempts that succeeded (degraded ones
	// included).
	SuccessRatio float64 `json:"success_ratio"`
	MeanSeconds  float64 `json:"mean_seconds"`
	MinSeconds   float64 `json:"min_seconds"`
	MaxSeconds   float64 `json:"max_seconds"`
}

// ResultJSON is one raw probe result.
type ResultJSON struct {
	Probe           string    `json:"probe"`
	Start           time.Time `json:"start"`
	DurationSeconds float64   `json:"duration_seconds"`
	Success         bool      `json:"success"`
	Degraded        bool      `json:"degraded"`
	StatusCode      int       `json:"status_code,omitempty"`
	Error           string    `json:"error,omitempty"`
}

// history serves GET /api/v1/services/{name}/history: the service's probe
// results over [from, to) (default the last 24 hours), as hourly rollups per
// probe (step=hour, the default) or as raw results (step=raw, up to a day).
// Rollups and raw results are kept for storage.rollup_retention and
// storage.raw_retention.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.opts.Backend.HasService(name) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no service %q in the config", name))
		return
	}
	q := r.URL.Query()
	now := s.opts.Now()
	from, to, ok := queryRange(w, q, now.Add(-24*time.Hour), now)
	if !ok {
		return
	}
	probeName := q.Get("probe")
	switch step := q.Get("step"); step {
	case "", "hour":
		if to.Sub(from) > maxHistorySpan {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("the range is longer than %d days; ask for it in parts", maxHistorySpan/(24*time.Hour)))
			return
		}
		s.historyHours(w, r, name, probeName, from, to)
	case "raw":
		if to.Sub(from) > maxRawSpan {
			writeError(w, http.StatusBadRequest, "step=raw covers at most 24h; ask for it in parts, or use step=hour")
			return
		}
		s.historyRaw(w, r, name, probeName, from, to)
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("step: %q is not hour or raw", step))
	}
}

func (s *Server) historyHours(w http.ResponseWriter, r *http.Request, service, probeName string, from, to time.Time) {
	// Whole hours: the one from falls in, up to the one to falls in.
	rs, err := s.opts.Store.Rollups(r.Context(), service, from.Truncate(time.Hour), to)
	if err != nil {
		s.internal(w, "read history", err)
		return
	}
	probes := map[string][]HourJSON{}
	var order []string
	for _, u := range rs {
		if probeName != "" && u.Probe != probeName {
			continue
		}
		if _, ok := probes[u.Probe]; !ok {
			order = append(order, u.Probe)
			probes[u.Probe] = []HourJSON{}
		}
		h := HourJSON{Start: u.Hour, Count: u.Count, Failures: u.Failures, Degraded: u.Degraded,
			MeanSeconds: u.MeanDuration().Seconds(), MinSeconds: u.MinDuration.Seconds(), MaxSeconds: u.MaxDuration.Seconds()}
		if u.Count > 0 {
			h.SuccessRatio = float64(u.Count-u.Failures) / float64(u.Count)
		}
		probes[u.Probe] = append(probes[u.Probe], h)
	}
	type probeJSON struct {
		Name  string     `json:"name"`
		Hours []HourJSON `json:"hours"`
	}
	out := make([]probeJSON, 0, len(order))
	for _, p := range order {
		out = append(out, probeJSON{Name: p, Hours: probes[p]})
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": service, "from": from.UTC(), "to": to.UTC(), "step": "hour", "probes": out})
}

func (s *Server) historyRaw(w http.ResponseWriter, r *http.Request, service, probeName string, from, to time.Time) {
	rs, err := s.opts.Store.Results(r.Context(), service, probeName, from, to, maxRawResults+1)
	if err != nil {
		s.internal(w, "read history", err)
		return
	}
	truncated := len(rs) > maxRawResults
	if truncated {
		rs = rs[:maxRawResults]
	}
	out := make([]ResultJSON, 0, len(rs))
	for _, res := range rs {
		out = append(out, ResultJSON{Probe: res.Probe, Start: res.Start, DurationSeconds: res.Duration.Seconds(),
			Success: res.Success, Degraded: res.Degraded, StatusCode: res.StatusCode, Error: res.Err})
	}
	writeJSON(w, http.StatusOK, map[string]any{"service": service, "from": from.UTC(), "to": to.UTC(), "step": "raw",
		"results": out, "truncated": truncated})
}
