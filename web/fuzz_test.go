package web

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/uptime"
)

// fuzzWrites are the routes FuzzAPIBodies sends bodies to, by the index
// the corpus files give as their first value. Outage 1 and windows 1
// (upcoming) and 2 (over) are seeded by newFuzzServer.
var fuzzWrites = []struct{ method, path string }{
	0:  {"POST", "/api/v1/outages"},
	1:  {"POST", "/api/v1/outages/1/exclude"},
	2:  {"POST", "/api/v1/outages/1/include"},
	3:  {"POST", "/api/v1/maintenance"},
	4:  {"DELETE", "/api/v1/maintenance/1"},
	5:  {"DELETE", "/api/v1/maintenance/2"},
	6:  {"POST", "/api/v1/backups/nightly"},
	7:  {"POST", "/api/v1/backups/db"},
	8:  {"POST", "/api/v1/restore-tests"},
	9:  {"POST", "/api/v1/alerts/" + alerts.Fingerprint(firingLabels) + "/ack"},
	10: {"POST", "/-/reload"},
}

// fuzzReads are the routes FuzzQuery sends queries to; a "{}" in the path
// is replaced by the fuzzed string, escaped.
var fuzzReads = []string{
	0: "/api/v1/outages",
	1: "/api/v1/maintenance",
	2: "/api/v1/reports",
	3: "/api/v1/backups",
	4: "/api/v1/services",
	5: "/api/v1/alerts",
	6: "/api/v1/outages/{}",
	7: "/api/v1/services/{}",
	8: "/api/v1/services/portal/history",
	9: "/api/v1/services/{}/history",
}

func newFuzzServer(f *testing.F) *Server {
	s, st, _ := newTestServer(f, nil)
	ctx := context.Background()
	if _, err := st.InsertOutage(ctx, uptime.Outage{Service: "portal", Start: testNow.Add(-48 * time.Hour),
		End: testNow.Add(-47 * time.Hour), Cause: "status 503", Source: uptime.SourceProbe}); err != nil {
		f.Fatal(err)
	}
	for _, start := range []time.Time{testNow.Add(72 * time.Hour), testNow.Add(-3 * time.Hour)} {
		if _, err := st.AddMaintenance(ctx, uptime.Window{Service: "portal", Start: start, End: start.Add(time.Hour),
			Source: uptime.SourceCLI, AnnouncedAt: start.Add(-24 * time.Hour)}); err != nil {
			f.Fatal(err)
		}
	}
	return s
}

// FuzzAPIBodies sends arbitrary bodies, with a valid token, to every write
// endpoint. Whatever the body, the server must not panic nor fail with a
// 5xx (a malformed body is the client's mistake), and must answer JSON:
// {"error": "…"} when it refuses. Bodies it accepts must make sense, and
// what they store must not break the reads that show it. chunked sends
// the body without a Content-Length, as a stream would.
func FuzzAPIBodies(f *testing.F) {
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, endpoint uint8, chunked bool, body []byte) {
		c := fuzzWrites[int(endpoint)%len(fuzzWrites)]
		req := httptest.NewRequest(c.method, c.path, bytes.NewReader(body))
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Authorization", bearer)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		what := c.method + " " + c.path
		r := response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		switch r.code {
		case http.StatusOK, http.StatusCreated:
			for _, p := range readBack(t, what, r) {
				checkRead(t, s, p, what, body)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict:
			errorMessage(t, what, r)
		case http.StatusRequestEntityTooLarge:
			errorMessage(t, what, r)
			if len(body) <= maxBody {
				t.Fatalf("%s: 413 for a body of %d bytes", what, len(body))
			}
		default:
			t.Fatalf("%s %q: got %s", what, body, r)
		}
	})
}

// readBack checks what a write that succeeded answered and returns the
// reads that show what it stored, narrowed to it so that they stay quick
// however much the fuzzer has stored.
func readBack(t *testing.T, what string, r response) []string {
	t.Helper()
	var v struct {
		ID              int64      `json:"id"`
		Set             string     `json:"set"`
		Service         string     `json:"service"`
		Start           time.Time  `json:"start"`
		End             *time.Time `json:"end"`
		DurationSeconds *float64   `json:"duration_seconds"`
		Status          string     `json:"status"`
		Record          *struct {
			Time time.Time `json:"time"`
		} `json:"record"`
	}
	decodeJSON(t, what, r, &v)
	q := func(t time.Time) string { return url.QueryEscape(t.Format(time.RFC3339Nano)) }
	month := func(t time.Time) string { return t.UTC().Format("2006-01") }
	switch {
	case strings.HasPrefix(what, "POST /api/v1/outages"):
		if v.Service != "portal" || v.End == nil || !v.End.After(v.Start) {
			t.Fatalf("%s: accepted %s", what, r)
		}
		return []string{
			"/api/v1/outages/" + strconv.FormatInt(v.ID, 10),
			"/api/v1/outages?from=" + q(v.Start) + "&to=" + q(*v.End),
			"/api/v1/reports?service=portal&month=" + month(v.Start),
			"/api/v1/reports?service=portal&format=html&month=" + month(*v.End),
			"/api/v1/backups?set=nightly&at=" + q(*v.End),
		}
	case strings.HasPrefix(what, "DELETE /api/v1/maintenance/"), what == "POST /api/v1/maintenance":
		if v.Service != "portal" || v.End == nil || !v.End.After(v.Start) || v.End.Sub(v.Start) > 366*24*time.Hour {
			t.Fatalf("%s: accepted %s", what, r)
		}
		return []string{
			"/api/v1/maintenance?cancelled=true&from=" + q(v.Start) + "&to=" + q(*v.End),
			"/api/v1/reports?service=portal&month=" + month(v.Start),
			"/api/v1/reports?service=portal&format=text&month=" + month(*v.End),
		}
	case what == "POST /api/v1/restore-tests":
		if v.DurationSeconds == nil || *v.DurationSeconds <= 0 || v.End == nil {
			t.Fatalf("%s: accepted %s", what, r)
		}
		return []string{"/api/v1/backups?set=" + url.QueryEscape(v.Set) + "&at=" + q(*v.End)}
	case what == "POST /api/v1/backups/nightly":
		if v.Record == nil || v.Record.Time.IsZero() {
			t.Fatalf("%s: accepted %s", what, r)
		}
		return []string{"/api/v1/backups?set=nightly&at=" + q(v.Record.Time), "/api/v1/backups?set=nightly"}
	case what == "POST /-/reload":
		if v.Status != "reloaded" {
			t.Fatalf("%s: %s", what, r)
		}
	case strings.HasSuffix(what, "/ack"):
	default:
		t.Fatalf("%s: accepted %s", what, r)
	}
	return nil
}

// checkRead checks that a read still works after a write: one odd value
// stored must not turn it into a 500, nor a 200 with an empty body.
func checkRead(t *testing.T, s *Server, p, what string, body []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
	r := response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if r.code != http.StatusOK || len(r.body) == 0 {
		t.Fatalf("after %s %q: GET %s: %s", what, body, p, r)
	}
	if r.header.Get("Content-Type") == "application/json" {
		var v any
		decodeJSON(t, "GET "+p, r, &v)
	}
}

// FuzzQuery sends arbitrary query strings (and path values) to the read
// endpoints: no panic, no 5xx, JSON errors, and JSON or the asked-for
// report format when they succeed.
func FuzzQuery(f *testing.F) {
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, endpoint uint8, query string) {
		p := fuzzReads[int(endpoint)%len(fuzzReads)]
		req := httptest.NewRequest("GET", "/", nil)
		if strings.Contains(p, "{}") {
			req.URL.Path = strings.Replace(p, "{}", query, 1)
		} else {
			req.URL.Path, req.URL.RawQuery = p, query
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		what := "GET " + req.URL.String()
		r := response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
		switch {
		case r.code == http.StatusOK && p == "/api/v1/reports":
			ct := r.header.Get("Content-Type")
			if ct == "application/json" {
				var v any
				decodeJSON(t, what, r, &v)
			} else if !isReportType(ct) {
				t.Fatalf("%s: Content-Type %q", what, ct)
			}
		case r.code == http.StatusOK:
			var v any
			decodeJSON(t, what, r, &v)
		case r.code == http.StatusBadRequest, r.code == http.StatusNotFound, r.code == http.StatusMethodNotAllowed:
			errorMessage(t, what, r)
		case (r.code == http.StatusMovedPermanently || r.code == http.StatusTemporaryRedirect) && strings.Contains(p, "{}"):
			// The mux cleans paths with "..", "//" and the like.
		default:
			t.Fatalf("%s: got %s", what, r)
		}
	})
}

func isReportType(ct string) bool {
	for _, v := range contentTypes {
		if v == ct {
			return true
		}
	}
	return false
}
