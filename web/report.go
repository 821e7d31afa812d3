package web

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/uptime"
)

var contentTypes = map[uptime.Format]string{
	"text":     "text/plain; charset=utf-8",
	"json":     "application/json",
	"csv":      "text/csv; charset=utf-8",
	"markdown": "text/markdown; charset=utf-8",
	"html":     "text/html; charset=utf-8",
}

// report serves GET /api/v1/reports?service=&month=|year=&format=: the
// reports of the named services, or a summary of all when none is named.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind, label := uptime.KindMonth, q.Get("month")
	if y := q.Get("year"); y != "" {
		if label != "" {
			writeError(w, http.StatusBadRequest, "give month or year, not both")
			return
		}
		kind, label = uptime.KindYear, y
	}
	now := s.opts.Now()
	if label == "" {
		// Month to date in UTC terms; each service's own zone decides its bounds.
		label = now.UTC().Format("2006-01")
	}
	format := uptime.Format("json")
	if v := q.Get("format"); v != "" {
		f, err := uptime.ParseFormat(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "format: "+err.Error())
			return
		}
		format = f
	}
	// A malformed label is the caller's mistake: say so before reading anything.
	var p uptime.Period
	var err error
	if kind == uptime.KindMonth {
		p, err = uptime.ParseMonth(label, nil, now)
	} else {
		p, err = uptime.ParseYear(label, nil, now)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, kind+": "+err.Error())
		return
	}
	// A period ending in the year 10000 cannot be rendered: JSON (RFC 3339)
	// times stop at 9999.
	if p.End.Year() > 9999 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s %s: the period must end by the year 9999", kind, label))
		return
	}
	names := q["service"]
	svcs, ok := s.services(w, names)
	if !ok {
		return
	}
	reports, inputs, err := uptime.BuildAll(r.Context(), s.opts.Store, svcs, kind, label, now)
	if err != nil {
		s.internal(w, "build report", err)
		return
	}
	var buf bytes.Buffer
	opts := uptime.RenderOptions{Now: now, Generator: "slawatch"}
	if len(names) == 0 {
		err = uptime.RenderSummary(&buf, format, reports, opts)
	} else {
		if err := backup.AddToReports(r.Context(), s.opts.Store, s.opts.Backend.BackupSets(), reports, now); err != nil {
			s.internal(w, "backup section of the report", err)
			return
		}
		dl := func(a alerts.Alert) (time.Time, time.Time, string, string) {
			d := s.opts.Backend.AlertDeadlines(a)
			return d.Response, d.Resolution, d.ResponseTarget, d.ResolutionTarget
		}
		if err := alerts.AddToReports(r.Context(), s.opts.Store, reports, dl, now); err != nil {
			s.internal(w, "responsiveness section of the report", err)
			return
		}
		err = uptime.RenderReports(&buf, format, reports, inputs, opts)
	}
	if err != nil {
		s.internal(w, "render report", err)
		return
	}
	w.Header().Set("Content-Type", contentTypes[format])
	_, _ = w.Write(buf.Bytes())
}
