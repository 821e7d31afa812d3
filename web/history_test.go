package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/slawatch/slawatch/probe"
	"github.com/slawatch/slawatch/store"
)

// seedResults writes probe results through the real writer: health every
// 20 minutes over the 3 hours before testNow (one failure, one degraded),
// tcp once.
func seedResults(t *testing.T, st *store.Store) {
	t.Helper()
	w := st.NewWriter(store.WriterOptions{})
	for i := range 9 {
		at := testNow.Add(-3*time.Hour + time.Duration(i)*20*time.Minute)
		w.Add(probe.Result{Service: "portal", Probe: "health", Start: at, Duration: time.Duration(100+10*i) * time.Millisecond,
			Success: i != 4, Degraded: i == 5, StatusCode: 200, Err: map[bool]string{true: "status 503"}[i == 4]})
	}
	w.Add(probe.Result{Service: "portal", Probe: "tcp", Start: testNow.Add(-time.Hour), Duration: time.Millisecond, Success: true})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestHistoryHours(t *testing.T) {
	e := newEnv(t)
	seedResults(t, e.st)
	var got struct {
		Service string `json:"service"`
		Step    string `json:"step"`
		Probes  []struct {
			Name  string     `json:"name"`
			Hours []HourJSON `json:"hours"`
		} `json:"probes"`
	}
	wantStatus(t, "history", e.do("GET", "/api/v1/services/portal/history", "", ""), http.StatusOK, &got)
	if got.Service != "portal" || got.Step != "hour" || len(got.Probes) != 2 || got.Probes[0].Name != "health" || got.Probes[1].Name != "tcp" {
		t.Fatalf("history = %+v", got)
	}
	hours := got.Probes[0].Hours
	if len(hours) != 3 {
		t.Fatalf("health hours = %+v, want 3", hours)
	}
	// 08:00-09:00 holds the attempts at 07:00+60,80,100 min: i = 3, 4, 5.
	h := hours[1]
	if !h.Start.Equal(testNow.Add(-2*time.Hour)) || h.Count != 3 || h.Failures != 1 || h.Degraded != 1 ||
		h.SuccessRatio != 2.0/3 || h.MinSeconds != 0.13 || h.MaxSeconds != 0.15 || h.MeanSeconds != 0.14 {
		t.Errorf("08:00 hour = %+v", h)
	}

	// One probe, a range: only its hours in it.
	wantStatus(t, "one probe", e.do("GET", "/api/v1/services/portal/history?probe=health&from=2026-11-22T08:30:00Z&to=2026-11-22T09:00:00Z", "", ""), http.StatusOK, &got)
	if len(got.Probes) != 1 || len(got.Probes[0].Hours) != 1 || !got.Probes[0].Hours[0].Start.Equal(testNow.Add(-2*time.Hour)) {
		t.Errorf("health 08:30-09:00 = %+v, want the 08:00 hour", got.Probes)
	}
}

func TestHistoryRaw(t *testing.T) {
	e := newEnv(t)
	seedResults(t, e.st)
	var got struct {
		Results   []ResultJSON `json:"results"`
		Truncated bool         `json:"truncated"`
	}
	wantStatus(t, "raw", e.do("GET", "/api/v1/services/portal/history?step=raw&probe=health&from=2026-11-22T08:00:00Z&to=2026-11-22T09:00:00Z", "", ""), http.StatusOK, &got)
	if len(got.Results) != 3 || got.Truncated {
		t.Fatalf("raw = %+v", got)
	}
	if r := got.Results[1]; r.Success || r.Error != "status 503" || r.DurationSeconds != 0.14 || !r.Start.Equal(testNow.Add(-2*time.Hour+20*time.Minute)) {
		t.Errorf("the failed attempt = %+v", r)
	}
}

func TestHistoryBadRequests(t *testing.T) {
	e := newEnv(t)
	wantError(t, "unknown service", e.do("GET", "/api/v1/services/nope/history", "", ""), http.StatusNotFound, "nope")
	runBad(t, e, []badRequest{
		{"bad from", "GET", "/api/v1/services/portal/history?from=yesterday", "", http.StatusBadRequest, []string{"from:"}},
		{"to before from", "GET", "/api/v1/services/portal/history?from=2026-11-22T08:00:00Z&to=2026-11-22T07:00:00Z", "", http.StatusBadRequest, []string{"after"}},
		{"too long", "GET", "/api/v1/services/portal/history?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "", http.StatusBadRequest, []string{"400 days"}},
		{"raw too long", "GET", "/api/v1/services/portal/history?step=raw&from=2026-11-20T00:00:00Z", "", http.StatusBadRequest, []string{"24h"}},
		{"bad step", "GET", "/api/v1/services/portal/history?step=minute", "", http.StatusBadRequest, []string{"step"}},
	})
}
