package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/slawatch/slawatch/alerts"
	"github.com/slawatch/slawatch/backup"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/uptime"
)

// testNow is the server's clock in every test: a Sunday morning in November.
var testNow = time.Date(2026, time.November, 22, 10, 0, 0, 0, time.UTC)

const (
	testToken = "t0ken"
	bearer    = "Bearer " + testToken
)

// firingLabels and resolvedLabels are the fake backend's two alerts.
var (
	firingLabels   = map[string]string{"alertname": "ServiceDown", "service": "portal", "severity": "critical"}
	resolvedLabels = map[string]string{"alertname": "BackupRPO", "set": "nightly", "severity": "warning"}
)

// fakeBackend is the daemon as the web layer sees it: one service,
// "portal", a push set "nightly" and a pull set "db", one firing and one
// resolved alert.
type fakeBackend struct {
	mu           sync.Mutex
	ready        bool
	reloadErr    error
	reloads      int
	maintChanged int
	pushed       []string
	alerts       map[string]alerts.Alert
}

var _ Backend = (*fakeBackend)(nil)

func newFakeBackend() *fakeBackend {
	b := &fakeBackend{ready: true, alerts: make(map[string]alerts.Alert)}
	firing := alerts.Alert{Labels: firingLabels, Annotations: map[string]string{"summary": "portal is down"},
		State: "firing", StartsAt: testNow.Add(-10 * time.Minute), FiredAt: testNow.Add(-5 * time.Minute)}
	resolved := alerts.Alert{Labels: resolvedLabels, Annotations: map[string]string{"summary": "nightly is late"},
		State: alerts.StateResolved, StartsAt: testNow.Add(-3 * time.Hour), FiredAt: testNow.Add(-3 * time.Hour),
		EndsAt: testNow.Add(-time.Hour)}
	b.alerts[firing.Fingerprint()] = firing
	b.alerts[resolved.Fingerprint()] = resolved
	return b
}

func (b *fakeBackend) setReady(v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ready = v
}

func (b *fakeBackend) Ready() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ready
}

func (b *fakeBackend) NotReadyReason() string {
	if b.Ready() {
		return ""
	}
	return "the store cannot be written: disk full"
}

func (b *fakeBackend) Reload(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reloads++
	return b.reloadErr
}

func (b *fakeBackend) Services() []ServiceStatus {
	ok := true
	last := testNow.Add(-15 * time.Second)
	return []ServiceStatus{{
		Name: "portal", Environment: "production", Policy: "gold", State: "up",
		Probes: []ProbeStatus{{Name: "health", Kind: "http", Target: "https://portal.example.com/health",
			LastRun: &last, Success: &ok, DurationSeconds: 0.012}},
	}}
}

func (b *fakeBackend) HasService(name string) bool { return name == "portal" }

func (b *fakeBackend) UptimeServices() []uptime.Service {
	return []uptime.Service{{
		Name: "portal", SLA: "gold", Location: time.UTC, Policy: uptime.Policy{TargetPercent: 99.9},
		// Sunday 02:00-04:00 UTC, every week.
		Windows: []uptime.ConfigWindow{{Schedule: "0 2 * * 0", Duration: 2 * time.Hour, Location: time.UTC, Reason: "weekly patching"}},
	}}
}

func (b *fakeBackend) MaintenanceChanged(ctx context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.maintChanged++
}

func (b *fakeBackend) BackupSets() []backup.Set {
	return []backup.Set{
		{Name: "nightly", Service: "portal", Policy: backup.Policy{RPO: 26 * time.Hour, Retention: backup.Retention{PointInTime: 7 * 24 * time.Hour, Weekly: 4, Monthly: 3}}},
		{Name: "db", Service: "portal", Policy: backup.Policy{RPO: time.Hour},
			Source: backup.SourceFunc(func(context.Context) ([]backup.Record, error) { return nil, nil })},
	}
}

func (b *fakeBackend) BackupStatuses() []backup.Status {
	return []backup.Status{{Set: "nightly", Service: "portal", At: testNow, State: backup.StateFailing}}
}

func (b *fakeBackend) Alerts(ctx context.Context) ([]alerts.Alert, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]alerts.Alert, 0, len(b.alerts))
	for _, a := range b.alerts {
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y alerts.Alert) int { return x.StartsAt.Compare(y.StartsAt) })
	return out, nil
}

// AlertDeadlines gives alerts about portal a 15-minute response target.
func (b *fakeBackend) AlertDeadlines(a alerts.Alert) Deadlines {
	if a.Labels["service"] != "portal" || a.FiredAt.IsZero() {
		return Deadlines{}
	}
	return Deadlines{Response: a.FiredAt.Add(15 * time.Minute), ResponseTarget: "15m"}
}

// AckAlert acknowledges like the daemon: only active alerts, and the
// first acknowledgement stays.
func (b *fakeBackend) AckAlert(ctx context.Context, fingerprint, who string) (alerts.Alert, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.alerts[fingerprint]
	if !ok || a.State == alerts.StateResolved {
		return alerts.Alert{}, fmt.Errorf("acknowledge alert %s: %w", fingerprint, store.ErrNotFound)
	}
	if a.AckedAt.IsZero() {
		a.AckedAt, a.AckedBy = testNow, who
		b.alerts[fingerprint] = a
	}
	return a, nil
}

func (b *fakeBackend) BackupPushed(ctx context.Context, set string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pushed = append(b.pushed, set)
}

// newTestServer opens a store in a temporary directory and returns a
// Server on it that accepts testToken, with its clock at testNow.
func newTestServer(tb testing.TB, logs io.Writer) (*Server, *store.Store, *fakeBackend) {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "slawatch.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	be := newFakeBackend()
	logger := slog.New(slog.DiscardHandler)
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	s := New(Options{Backend: be, Store: st, Registry: prometheus.NewRegistry(), Logger: logger,
		Now: func() time.Time { return testNow }})
	s.SetTokens([]string{testToken})
	return s, st, be
}

// env is a test server listening on a loopback port.
type env struct {
	t   *testing.T
	srv *httptest.Server
	web *Server
	st  *store.Store
	be  *fakeBackend
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, st, be := newTestServer(t, nil)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, web: s, st: st, be: be}
}

// response is what a request got back.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) String() string {
	b := bytes.TrimSpace(r.body)
	if len(b) > 400 {
		b = append(b[:400:400], "…"...)
	}
	return fmt.Sprintf("%d %s", r.code, b)
}

// do sends a request; auth is the whole Authorization header (none when
// empty) and an empty body sends none.
func (e *env) do(method, path, auth, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

// decodeJSON decodes a JSON response body into v, failing the test when
// the body is not one JSON document with the JSON content type.
func decodeJSON(t testing.TB, what string, r response, v any) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: Content-Type %q, want application/json (%s)", what, ct, r)
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: body is not JSON: %v: %q", what, err, r.body)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("%s: more than one JSON value in %q", what, r.body)
	}
}

// errorMessage checks that r is a JSON error, exactly {"error": "…"} with a
// message, and returns the message.
func errorMessage(t testing.TB, what string, r response) string {
	t.Helper()
	var m map[string]any
	decodeJSON(t, what, r, &m)
	msg, ok := m["error"].(string)
	if len(m) != 1 || !ok || strings.TrimSpace(msg) == "" {
		t.Fatalf(`%s: body %s, want {"error": "…"}`, what, r.body)
	}
	return msg
}

// wantError checks that r is a JSON error with status code whose message
// contains every one of subs.
func wantError(t testing.TB, what string, r response, code int, subs ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: got %s, want %d", what, r, code)
	}
	msg := errorMessage(t, what, r)
	for _, s := range subs {
		if !strings.Contains(msg, s) {
			t.Errorf("%s: error %q does not mention %q", what, msg, s)
		}
	}
}

// wantStatus checks the status code and that the body is JSON, decoding
// it into v when v is not nil.
func wantStatus(t testing.TB, what string, r response, code int, v any) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: got %s, want %d", what, r, code)
	}
	if v == nil {
		v = new(any)
	}
	decodeJSON(t, what, r, v)
}

// seedOutage stores a closed outage of portal and returns its id.
func (e *env) seedOutage(start time.Time, d time.Duration) int64 {
	e.t.Helper()
	id, err := e.st.InsertOutage(context.Background(), uptime.Outage{Service: "portal", Start: start, End: start.Add(d),
		Cause: "status 503, want [200]", Probe: "health", Source: uptime.SourceProbe})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// seedWindow stores a maintenance window of portal announced a week
// before it starts and returns its id.
func (e *env) seedWindow(start time.Time, d time.Duration) int64 {
	e.t.Helper()
	id, err := e.st.AddMaintenance(context.Background(), uptime.Window{Service: "portal", Start: start, End: start.Add(d),
		Reason: "seeded", Source: uptime.SourceCLI, AnnouncedAt: start.Add(-7 * 24 * time.Hour), AnnouncedBy: "ops"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func path(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// writeCall is one call of a write endpoint with a valid body.
type writeCall struct {
	name         string
	method, path string
	body         string
	want         int
}

// validWrites returns a call of every write endpoint that succeeds, in an
// order in which each succeeds once: outage is an existing outage, window
// an upcoming window.
func validWrites(outage, window int64) []writeCall {
	return []writeCall{
		{"add outage", "POST", "/api/v1/outages",
			`{"service":"portal","start":"2026-11-20T08:00:00Z","end":"2026-11-20T08:30:00Z","cause":"database failover","by":"alice"}`, 201},
		{"exclude outage", "POST", path("/api/v1/outages/%d/exclude", outage), `{"reason":"AWS eu-west-1 outage","by":"alice"}`, 200},
		{"include outage", "POST", path("/api/v1/outages/%d/include", outage), `{"reason":"not force majeure after all","by":"bob"}`, 200},
		{"announce maintenance", "POST", "/api/v1/maintenance",
			`{"service":"portal","start":"2026-11-25T22:00:00Z","end":"2026-11-25T23:00:00Z","reason":"database upgrade","by":"bob"}`, 201},
		{"cancel maintenance", "DELETE", path("/api/v1/maintenance/%d", window), `{"by":"bob"}`, 200},
		{"push backup", "POST", "/api/v1/backups/nightly",
			`{"time":"2026-11-22T02:00:00Z","status":"success","size_bytes":1024,"kind":"full","id":"b-1"}`, 201},
		{"restore test", "POST", "/api/v1/restore-tests",
			`{"set":"nightly","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:30:00Z","success":true,"by":"carol"}`, 201},
		{"ack alert", "POST", "/api/v1/alerts/" + alerts.Fingerprint(firingLabels) + "/ack", `{"by":"dave"}`, 200},
		{"reload", "POST", "/-/reload", "", 200},
	}
}

// The auth scheme is case-insensitive (RFC 9110 §11.1); the token is not.
func TestBearerSchemeAnyCase(t *testing.T) {
	e := newEnv(t)
	for _, scheme := range []string{"bearer ", "BEARER ", "bEaReR "} {
		if r := e.do("POST", "/-/reload", scheme+testToken, ""); r.code != http.StatusOK {
			t.Errorf("%q: %d %s, want 200", scheme, r.code, r.body)
		}
	}
}

func TestWritesNeedToken(t *testing.T) {
	e := newEnv(t)
	outage := e.seedOutage(testNow.Add(-48*time.Hour), 10*time.Minute)
	window := e.seedWindow(testNow.Add(72*time.Hour), time.Hour)
	bad := []struct{ name, header string }{
		{"no header", ""},
		{"wrong token", "Bearer wrong"},
		{"empty token", "Bearer "},
		{"blank token", "Bearer    "},
		{"no space", "Bearer"},
		{"other case", "Bearer T0KEN"},
		{"prefix of the token", "Bearer t0ke"},
		{"token and more", "Bearer t0ken0"},
		{"no scheme", testToken},
		{"basic auth", "Basic dDBrZW46"},
	}
	for _, c := range validWrites(outage, window) {
		for _, b := range bad {
			r := e.do(c.method, c.path, b.header, c.body)
			what := c.name + ", " + b.name
			wantError(t, what, r, http.StatusUnauthorized, "bearer token")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("%s: WWW-Authenticate %q", what, r.header.Get("WWW-Authenticate"))
			}
			if given := strings.TrimSpace(strings.TrimPrefix(b.header, "Bearer")); given != "" && bytes.Contains(r.body, []byte(given)) {
				t.Errorf("%s: the error echoes what was given: %s", what, r.body)
			}
		}
		// Auth comes before the body is looked at.
		wantError(t, c.name+", no token, bad body", e.do(c.method, c.path, "", "{"), http.StatusUnauthorized)
	}

	// Nothing was written.
	ctx := context.Background()
	if n, err := e.st.CountOutages(ctx, ""); err != nil || n != 1 {
		t.Errorf("outages: %d, %v; want the seeded one only", n, err)
	}
	if o, err := e.st.Outage(ctx, outage); err != nil || o.Excluded {
		t.Errorf("outage %d: %+v, %v; want it untouched", outage, o, err)
	}
	if w, err := e.st.MaintenanceWindow(ctx, window); err != nil || w.Cancelled() {
		t.Errorf("window %d: %+v, %v; want it untouched", window, w, err)
	}
	if recs, err := e.st.Backups(ctx, "nightly", time.Time{}); err != nil || len(recs) != 0 {
		t.Errorf("backups: %v, %v; want none", recs, err)
	}
	if e.be.reloads != 0 || len(e.be.pushed) != 0 || e.be.maintChanged != 0 {
		t.Errorf("backend was called: %d reloads, pushes %v, %d maintenance changes", e.be.reloads, e.be.pushed, e.be.maintChanged)
	}
	if a := e.be.alerts[alerts.Fingerprint(firingLabels)]; !a.AckedAt.IsZero() {
		t.Errorf("alert acknowledged without a token: %+v", a)
	}

	// With the token, every write goes through.
	for _, c := range validWrites(outage, window) {
		r := e.do(c.method, c.path, bearer, c.body)
		wantStatus(t, c.name, r, c.want, nil)
	}
	// Spaces around the token are forgiven.
	wantStatus(t, "padded token", e.do("POST", "/-/reload", "Bearer  "+testToken+" ", ""), http.StatusOK, nil)
}

func TestNoTokensRefuseEveryWrite(t *testing.T) {
	e := newEnv(t)
	for _, tokens := range [][]string{nil, {}, {""}} {
		e.web.SetTokens(tokens)
		for _, auth := range []string{bearer, "Bearer ", "Bearer"} {
			wantError(t, fmt.Sprintf("tokens %q, header %q", tokens, auth), e.do("POST", "/-/reload", auth, ""), http.StatusUnauthorized)
		}
	}
	if e.be.reloads != 0 {
		t.Errorf("%d reloads without a valid token", e.be.reloads)
	}
}

func TestSetTokensRotates(t *testing.T) {
	e := newEnv(t)
	e.web.SetTokens([]string{"first", "second"})
	wantStatus(t, "first", e.do("POST", "/-/reload", "Bearer first", ""), http.StatusOK, nil)
	wantStatus(t, "second", e.do("POST", "/-/reload", "Bearer second", ""), http.StatusOK, nil)
	wantError(t, "old token", e.do("POST", "/-/reload", bearer, ""), http.StatusUnauthorized, "invalid bearer token")
	tokens := []string{"third"}
	e.web.SetTokens(tokens)
	tokens[0] = "changed" // SetTokens keeps its own copy
	wantError(t, "rotated out", e.do("POST", "/-/reload", "Bearer first", ""), http.StatusUnauthorized)
	wantStatus(t, "third", e.do("POST", "/-/reload", "Bearer third", ""), http.StatusOK, nil)
}

func TestTokensAreNotLogged(t *testing.T) {
	var logs bytes.Buffer
	s, st, _ := newTestServer(t, &logs)
	srv := httptest.NewServer(s)
	defer srv.Close()
	e := &env{t: t, srv: srv, web: s, st: st}
	outage := e.seedOutage(testNow.Add(-48*time.Hour), 10*time.Minute)
	window := e.seedWindow(testNow.Add(72*time.Hour), time.Hour)
	for _, c := range validWrites(outage, window) {
		e.do(c.method, c.path, "Bearer s3cret-guess", c.body)
		e.do(c.method, c.path, bearer, c.body)
	}
	if logs.Len() == 0 {
		t.Fatal("nothing was logged; the check below means nothing")
	}
	for _, tok := range []string{testToken, "s3cret-guess"} {
		if strings.Contains(logs.String(), tok) {
			t.Errorf("the log holds the token %q:\n%s", tok, logs.String())
		}
	}
}

// badRequest is a request that must fail with code and an error naming
// every one of subs.
type badRequest struct {
	name         string
	method, path string
	body         string
	code         int
	subs         []string
}

func runBad(t *testing.T, e *env, cases []badRequest) {
	t.Helper()
	for _, c := range cases {
		auth := ""
		if c.method != "GET" {
			auth = bearer
		}
		wantError(t, c.name, e.do(c.method, c.path, auth, c.body), c.code, c.subs...)
	}
}

const validOutage = `{"service":"portal","start":"2026-11-20T08:00:00Z","end":"2026-11-20T08:30:00Z","cause":"failover"}`

func TestAddOutage(t *testing.T) {
	e := newEnv(t)
	bad := func(name, body string, subs ...string) badRequest {
		return badRequest{name, "POST", "/api/v1/outages", body, http.StatusBadRequest, subs}
	}
	runBad(t, e, []badRequest{
		bad("empty body", "", "body"),
		bad("white space", " \n", "body"),
		bad("cut short", `{"service":"portal"`, "malformed JSON body"),
		bad("not JSON", `service=portal`, "malformed JSON body"),
		bad("array", `[]`, "malformed JSON body", "array"),
		bad("string", `"portal"`, "malformed JSON body"),
		bad("unknown field", `{"service":"portal","sevrice":"portal"}`, `unknown field "sevrice"`),
		bad("second object", validOutage+`{}`, "malformed JSON body"),
		bad("trailing brace", validOutage+`}`, "malformed JSON body"),
		bad("trailing bracket", validOutage+`]`, "malformed JSON body"),
		bad("trailing garbage", validOutage+` x`, "malformed JSON body"),
		bad("service a number", `{"service":5}`, "service"),
		bad("force_majeure a string", `{"service":"portal","force_majeure":"yes"}`, "force_majeure"),
		bad("start not a time", `{"service":"portal","start":"yesterday","end":"2026-11-20T08:30:00Z"}`, "yesterday"),
		bad("start without zone", `{"service":"portal","start":"2026-11-20T08:00:00","end":"2026-11-20T08:30:00Z"}`, "2026-11-20T08:00:00"),
		bad("start a number", `{"service":"portal","start":1763625600,"end":"2026-11-20T08:30:00Z"}`, "not a JSON string"),
		bad("month 13", `{"service":"portal","start":"2026-13-20T08:00:00Z","end":"2026-11-20T08:30:00Z"}`, "month"),
		bad("null", `null`, "service is required"),
		bad("empty object", `{}`, "service is required"),
		bad("no start", `{"service":"portal","end":"2026-11-20T08:30:00Z"}`, "start is required"),
		bad("no end", `{"service":"portal","start":"2026-11-20T08:00:00Z"}`, "end is required"),
		bad("end before start", `{"service":"portal","start":"2026-11-20T08:30:00Z","end":"2026-11-20T08:00:00Z"}`, "not after start"),
		bad("end at start", `{"service":"portal","start":"2026-11-20T08:00:00Z","end":"2026-11-20T08:00:00Z"}`, "not after start"),
		bad("end within the same millisecond", `{"service":"portal","start":"2026-11-20T08:00:00.0001Z","end":"2026-11-20T08:00:00.0009Z"}`, "not after start"),
		bad("end before start across zones", `{"service":"portal","start":"2026-11-20T08:00:00Z","end":"2026-11-20T08:30:00+01:00"}`, "not after start"),
		bad("unknown service", `{"service":"billing","start":"2026-11-20T08:00:00Z","end":"2026-11-20T08:30:00Z"}`, `no service "billing"`),
		bad("force majeure without reason", `{"service":"portal","start":"2026-11-20T08:00:00Z","end":"2026-11-20T08:30:00Z","force_majeure":true}`, "force majeure needs a reason"),
	})
	if n, err := e.st.CountOutages(context.Background(), ""); err != nil || n != 0 {
		t.Fatalf("bad requests stored %d outages (%v)", n, err)
	}

	var o OutageJSON
	wantStatus(t, "add", e.do("POST", "/api/v1/outages", bearer,
		`{"service":"portal","start":"2026-11-20T09:00:00.1239+01:00","end":"2026-11-20T08:30:00Z","cause":"failover","by":"alice"}`),
		http.StatusCreated, &o)
	start := time.Date(2026, 11, 20, 8, 0, 0, 123e6, time.UTC)
	if o.ID <= 0 || o.Service != "portal" || !o.Start.Equal(start) || o.End == nil || !o.End.Equal(start.Add(30*time.Minute-123*time.Millisecond)) ||
		o.Source != uptime.SourceManual || o.Cause != "failover" || o.Excluded != nil || math.Abs(o.DurationSeconds-1799.877) > 1e-9 {
		t.Errorf("added outage %+v", o)
	}
	stored, err := e.st.Outage(context.Background(), o.ID)
	if err != nil || !stored.Start.Equal(start) || stored.Source != uptime.SourceManual {
		t.Errorf("stored %+v, %v", stored, err)
	}

	var fm OutageJSON
	wantStatus(t, "add force majeure", e.do("POST", "/api/v1/outages", bearer,
		`{"service":"portal","start":"2026-11-21T08:00:00Z","end":"2026-11-21T09:00:00Z","cause":"region down","force_majeure":true,"reason":"AWS eu-west-1","by":"alice"}`),
		http.StatusCreated, &fm)
	if fm.Excluded == nil || fm.Excluded.Reason != "AWS eu-west-1" || fm.Excluded.By != "alice" || !fm.Excluded.At.Equal(testNow) {
		t.Errorf("force majeure outage %+v", fm.Excluded)
	}
	var got OutageJSON
	wantStatus(t, "get force majeure", e.do("GET", path("/api/v1/outages/%d", fm.ID), "", ""), http.StatusOK, &got)
	if len(got.Events) != 1 || got.Events[0].Action != store.ActionExclude || got.Events[0].By != "alice" {
		t.Errorf("events of a force majeure outage: %+v", got.Events)
	}
}

// badIDs are {id} path values that are not positive whole numbers.
var badIDs = []string{"abc", "0", "-1", "-0", "1.5", "0x1", "1e3", "99999999999999999999", "%20", "1%00"}

func TestExcludeInclude(t *testing.T) {
	e := newEnv(t)
	id := e.seedOutage(testNow.Add(-48*time.Hour), 10*time.Minute)
	body := `{"reason":"AWS eu-west-1 outage","by":"alice"}`
	var cases []badRequest
	for _, action := range []string{"exclude", "include"} {
		for _, bad := range badIDs {
			cases = append(cases, badRequest{action + " id " + bad, "POST", "/api/v1/outages/" + bad + "/" + action, body,
				http.StatusBadRequest, []string{"outage id", "not a positive whole number"}})
		}
		p := path("/api/v1/outages/%d/%s", id, action)
		cases = append(cases,
			badRequest{action + " missing outage", "POST", "/api/v1/outages/424242/" + action, body, http.StatusNotFound, []string{"no outage 424242"}},
			badRequest{action + " without body", "POST", p, "", http.StatusBadRequest, []string{"body"}},
			badRequest{action + " without reason", "POST", p, `{"by":"alice"}`, http.StatusBadRequest, []string{"reason"}},
			badRequest{action + " blank reason", "POST", p, `{"reason":" \t"}`, http.StatusBadRequest, []string{"reason"}},
			badRequest{action + " reason a number", "POST", p, `{"reason":1}`, http.StatusBadRequest, []string{"reason"}},
			badRequest{action + " unknown field", "POST", p, `{"reason":"x","who":"alice"}`, http.StatusBadRequest, []string{`unknown field "who"`}},
			badRequest{action + " trailing data", "POST", p, body + `{"reason":"x"}`, http.StatusBadRequest, []string{"malformed JSON body"}},
		)
	}
	cases = append(cases, badRequest{"include while not excluded", "POST", path("/api/v1/outages/%d/include", id), body,
		http.StatusConflict, []string{"not excluded"}})
	runBad(t, e, cases)

	var o OutageJSON
	wantStatus(t, "exclude", e.do("POST", path("/api/v1/outages/%d/exclude", id), bearer, body), http.StatusOK, &o)
	if o.ID != id || o.Excluded == nil || o.Excluded.Reason != "AWS eu-west-1 outage" || o.Excluded.By != "alice" || !o.Excluded.At.Equal(testNow) {
		t.Errorf("excluded outage %+v, exclusion %+v", o, o.Excluded)
	}
	wantError(t, "exclude twice", e.do("POST", path("/api/v1/outages/%d/exclude", id), bearer, body),
		http.StatusConflict, "already excluded")
	wantStatus(t, "include", e.do("POST", path("/api/v1/outages/%d/include", id), bearer, `{"reason":"our own bug"}`), http.StatusOK, &o)
	if o.Excluded != nil {
		t.Errorf("included outage still excluded: %+v", o.Excluded)
	}
	wantError(t, "include twice", e.do("POST", path("/api/v1/outages/%d/include", id), bearer, `{"reason":"again"}`),
		http.StatusConflict, "not excluded")

	wantStatus(t, "get", e.do("GET", path("/api/v1/outages/%d", id), "", ""), http.StatusOK, &o)
	if len(o.Events) != 2 || o.Events[0].Action != "exclude" || o.Events[0].By != "alice" ||
		o.Events[1].Action != "include" || o.Events[1].By != "api" || o.Events[1].Reason != "our own bug" {
		t.Errorf("audit trail %+v", o.Events)
	}
}

func TestOutageQueries(t *testing.T) {
	e := newEnv(t)
	first := e.seedOutage(testNow.Add(-72*time.Hour), 10*time.Minute)
	second := e.seedOutage(testNow.Add(-24*time.Hour), 5*time.Minute)
	open, err := e.st.InsertOutage(context.Background(), uptime.Outage{Service: "portal", Start: testNow.Add(-90 * time.Second),
		Cause: "status 503, want [200]", Probe: "health", Source: uptime.SourceProbe})
	if err != nil {
		t.Fatal(err)
	}

	var cases []badRequest
	for _, q := range []string{"from=yesterday", "from=2026-11-20", "to=2026-11-20T08:00:00", "to=now",
		"limit=-1", "limit=abc", "limit=1.5", "limit=5abc", "limit=%205", "limit=99999999999999999999"} {
		name := strings.SplitN(q, "=", 2)[0]
		cases = append(cases, badRequest{"list " + q, "GET", "/api/v1/outages?" + q, "", http.StatusBadRequest, []string{name}})
	}
	for _, bad := range badIDs {
		cases = append(cases, badRequest{"get id " + bad, "GET", "/api/v1/outages/" + bad, "", http.StatusBadRequest, []string{"not a positive whole number"}})
	}
	cases = append(cases, badRequest{"get missing", "GET", "/api/v1/outages/424242", "", http.StatusNotFound, []string{"no outage 424242"}})
	runBad(t, e, cases)

	list := func(q string) []int64 {
		t.Helper()
		var resp struct {
			Outages []OutageJSON `json:"outages"`
		}
		wantStatus(t, "list "+q, e.do("GET", "/api/v1/outages?"+q, "", ""), http.StatusOK, &resp)
		if resp.Outages == nil {
			t.Fatalf("list %s: outages is null, want a list", q)
		}
		var ids []int64
		for _, o := range resp.Outages {
			ids = append(ids, o.ID)
		}
		return ids
	}
	for q, want := range map[string][]int64{
		"":                                 {first, second, open},
		"limit=0":                          {first, second, open},
		"limit=2":                          {first, second},
		"service=portal":                   {first, second, open},
		"service=billing":                  nil,
		"from=2026-11-21T09:00:00Z":        {second, open},
		"to=2026-11-21T09:00:00Z":          {first},
		"from=2026-11-21T11:00:00%2B01:00": {second, open}, // 10:00 UTC
	} {
		if got := list(q); !slices.Equal(got, want) {
			t.Errorf("list %q: ids %v, want %v", q, got, want)
		}
	}

	var o OutageJSON
	wantStatus(t, "get open", e.do("GET", path("/api/v1/outages/%d", open), "", ""), http.StatusOK, &o)
	if o.End != nil || o.DurationSeconds != 90 || o.Probe != "health" || o.Source != "probe" {
		t.Errorf("open outage %+v", o)
	}
	// The open outage's "end" is null, not missing.
	if !bytes.Contains(e.do("GET", path("/api/v1/outages/%d", open), "", "").body, []byte(`"end": null`)) {
		t.Error(`an open outage's JSON lacks "end": null`)
	}
}

func TestMaintenance(t *testing.T) {
	e := newEnv(t)
	upcoming := e.seedWindow(testNow.Add(72*time.Hour), time.Hour)
	running := e.seedWindow(testNow.Add(-30*time.Minute), time.Hour)
	ended := e.seedWindow(testNow.Add(-3*time.Hour), time.Hour)
	endsNow := e.seedWindow(testNow.Add(-time.Hour), time.Hour)

	post := func(name, body string, code int, subs ...string) badRequest {
		return badRequest{name, "POST", "/api/v1/maintenance", body, code, subs}
	}
	cases := []badRequest{
		post("empty body", "", http.StatusBadRequest, "body"),
		post("malformed", `{"service":`, http.StatusBadRequest, "malformed JSON body"),
		post("unknown field", `{"service":"portal","until":"2026-11-25T23:00:00Z"}`, http.StatusBadRequest, `unknown field "until"`),
		post("trailing data", `{"service":"portal"} []`, http.StatusBadRequest, "malformed JSON body"),
		post("reason a list", `{"service":"portal","reason":["a"]}`, http.StatusBadRequest, "reason"),
		post("bad start", `{"service":"portal","start":"next tuesday","end":"2026-11-25T23:00:00Z"}`, http.StatusBadRequest, "next tuesday"),
		post("no service", `{"start":"2026-11-25T22:00:00Z","end":"2026-11-25T23:00:00Z"}`, http.StatusBadRequest, "service is required"),
		post("unknown service", `{"service":"billing","start":"2026-11-25T22:00:00Z","end":"2026-11-25T23:00:00Z"}`, http.StatusBadRequest, `no service "billing"`),
		post("no start", `{"service":"portal","end":"2026-11-25T23:00:00Z"}`, http.StatusBadRequest, "start is required"),
		post("no end", `{"service":"portal","start":"2026-11-25T22:00:00Z"}`, http.StatusBadRequest, "end is required"),
		post("end before start", `{"service":"portal","start":"2026-11-25T23:00:00Z","end":"2026-11-25T22:00:00Z"}`, http.StatusBadRequest, "not after start"),
		post("sub-millisecond", `{"service":"portal","start":"2026-11-25T23:00:00.0001Z","end":"2026-11-25T23:00:00.0002Z"}`, http.StatusBadRequest, "not after start"),
		post("longer than a year", `{"service":"portal","start":"2026-11-25T22:00:00Z","end":"2028-11-25T22:00:00Z"}`, http.StatusBadRequest, "longer than a year"),
	}
	for _, bad := range badIDs {
		cases = append(cases, badRequest{"cancel id " + bad, "DELETE", "/api/v1/maintenance/" + bad, "", http.StatusBadRequest, []string{"window id", "not a positive whole number"}})
	}
	cases = append(cases,
		badRequest{"cancel missing", "DELETE", "/api/v1/maintenance/424242", "", http.StatusNotFound, []string{"no maintenance window 424242"}},
		badRequest{"cancel malformed body", "DELETE", path("/api/v1/maintenance/%d", upcoming), `{"by":`, http.StatusBadRequest, []string{"malformed JSON body"}},
		badRequest{"cancel unknown field", "DELETE", path("/api/v1/maintenance/%d", upcoming), `{"who":"bob"}`, http.StatusBadRequest, []string{`unknown field "who"`}},
		badRequest{"cancel ended", "DELETE", path("/api/v1/maintenance/%d", ended), "", http.StatusConflict, []string{"past window cannot be cancelled"}},
		badRequest{"cancel ending now", "DELETE", path("/api/v1/maintenance/%d", endsNow), "", http.StatusConflict, []string{"past window cannot be cancelled"}},
	)
	for _, q := range []string{"from=yesterday", "to=2026-11-20", "from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z",
		"from=2026-11-22T00:00:00Z&to=2026-11-22T00:00:00Z"} {
		cases = append(cases, badRequest{"list " + q, "GET", "/api/v1/maintenance?" + q, "", http.StatusBadRequest, nil})
	}
	cases = append(cases, badRequest{"list unknown service", "GET", "/api/v1/maintenance?service=billing", "", http.StatusNotFound, []string{`no service "billing"`}})
	runBad(t, e, cases)
	if e.be.maintChanged != 0 {
		t.Errorf("failed requests told the daemon %d times", e.be.maintChanged)
	}

	var w WindowJSON
	wantStatus(t, "announce", e.do("POST", "/api/v1/maintenance", bearer,
		`{"service":"portal","start":"2026-11-25T22:00:00Z","end":"2026-11-25T23:00:00Z","reason":"database upgrade","by":"bob"}`),
		http.StatusCreated, &w)
	if w.ID <= 0 || w.Source != "api" || w.AnnouncedBy != "bob" || w.AnnouncedAt == nil || !w.AnnouncedAt.Equal(testNow) ||
		w.NoticeSeconds == nil || *w.NoticeSeconds != (3*24*time.Hour+12*time.Hour).Seconds() || w.CancelledAt != nil {
		t.Errorf("announced window %+v", w)
	}
	if e.be.maintChanged != 1 {
		t.Errorf("MaintenanceChanged called %d times, want 1", e.be.maintChanged)
	}

	// Cancel: with a body, without one, twice.
	wantStatus(t, "cancel running", e.do("DELETE", path("/api/v1/maintenance/%d", running), bearer, `{"by":"bob"}`), http.StatusOK, &w)
	if w.ID != running || w.CancelledAt == nil || !w.CancelledAt.Equal(testNow) {
		t.Errorf("cancelled window %+v", w)
	}
	wantStatus(t, "cancel upcoming without body", e.do("DELETE", path("/api/v1/maintenance/%d", upcoming), bearer, ""), http.StatusOK, &w)
	wantError(t, "cancel twice", e.do("DELETE", path("/api/v1/maintenance/%d", upcoming), bearer, ""), http.StatusConflict, "already cancelled")
	if e.be.maintChanged != 3 {
		t.Errorf("MaintenanceChanged called %d times, want 3", e.be.maintChanged)
	}

	list := func(q string) []WindowJSON {
		t.Helper()
		var resp struct {
			Maintenance []WindowJSON `json:"maintenance"`
		}
		wantStatus(t, "list "+q, e.do("GET", "/api/v1/maintenance?"+q, "", ""), http.StatusOK, &resp)
		if resp.Maintenance == nil {
			t.Fatalf("list %s: maintenance is null, want a list", q)
		}
		return resp.Maintenance
	}
	count := func(ws []WindowJSON) (api, config, cancelled int) {
		for _, w := range ws {
			switch {
			case w.Source == "config" && w.ID == 0:
				config++
			case w.ID > 0:
				api++
			default:
				t.Errorf("window %+v: id %d with source %q", w, w.ID, w.Source)
			}
			if w.CancelledAt != nil {
				cancelled++
			}
		}
		return
	}
	// Default range: 30 days either side, i.e. eight or nine Sundays.
	if api, config, cancelled := count(list("")); api != 3 || config < 8 || config > 9 || cancelled != 0 {
		t.Errorf("default list: %d stored, %d from the config, %d cancelled", api, config, cancelled)
	}
	if api, _, cancelled := count(list("cancelled=true")); api != 5 || cancelled != 2 {
		t.Errorf("with cancelled: %d stored, %d cancelled", api, cancelled)
	}
	ws := list("service=portal&from=2026-11-22T00:00:00Z&to=2026-11-22T12:00:00Z")
	if api, config, _ := count(ws); api != 2 || config != 1 || ws[0].Start.Hour() != 2 || ws[0].Source != "config" {
		t.Errorf("this morning: %+v", ws)
	}
}

func TestMaintenanceListRange(t *testing.T) {
	e := newEnv(t)
	// A year and a bit is fine; centuries would expand the weekly config
	// window into tens of thousands of windows (or fail outright with a
	// denser schedule), so they are refused.
	wantStatus(t, "a year", e.do("GET", "/api/v1/maintenance?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z", "", ""), http.StatusOK, nil)
	for _, q := range []string{
		"from=1970-01-01T00:00:00Z&to=9998-12-31T23:59:59Z",
		"from=2000-01-01T00:00:00Z",
		"to=2099-01-01T00:00:00Z",
	} {
		wantError(t, q, e.do("GET", "/api/v1/maintenance?"+q, "", ""), http.StatusBadRequest, "range")
	}
}

// TestTimeBounds: a time JSON cannot show in every zone (or an obvious
// typo like the year 0026) is refused on the way in, or a single write
// would break every later answer that shows it.
func TestTimeBounds(t *testing.T) {
	e := newEnv(t)
	bad := []string{"0000-01-01T00:00:00+01:00", "0026-11-20T08:00:00Z", "1969-12-31T23:59:59.999Z",
		"9999-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00"}
	for _, ts := range bad {
		q := strconv.Quote(ts)
		runBad(t, e, []badRequest{
			{"outage start " + ts, "POST", "/api/v1/outages", `{"service":"portal","start":` + q + `,"end":"2026-11-20T08:30:00Z"}`,
				http.StatusBadRequest, []string{"start:", "outside the years 1970 to 9998"}},
			{"outage end " + ts, "POST", "/api/v1/outages", `{"service":"portal","start":"2026-11-20T08:30:00Z","end":` + q + `}`,
				http.StatusBadRequest, []string{"end:", "outside"}},
			{"window end " + ts, "POST", "/api/v1/maintenance", `{"service":"portal","start":"2026-11-25T22:00:00Z","end":` + q + `}`,
				http.StatusBadRequest, []string{"end:", "outside"}},
			{"record " + ts, "POST", "/api/v1/backups/nightly", `{"time":` + q + `}`, http.StatusBadRequest, []string{"time:", "outside"}},
			{"restore test " + ts, "POST", "/api/v1/restore-tests", `{"set":"nightly","start":` + q + `,"end":"2026-11-21T10:00:00Z"}`,
				http.StatusBadRequest, []string{"start:", "outside"}},
			{"outages from " + ts, "GET", "/api/v1/outages?from=" + url.QueryEscape(ts), "", http.StatusBadRequest, []string{"from:", "outside"}},
			{"maintenance to " + ts, "GET", "/api/v1/maintenance?to=" + url.QueryEscape(ts), "", http.StatusBadRequest, []string{"to:", "outside"}},
			{"backups at " + ts, "GET", "/api/v1/backups?at=" + url.QueryEscape(ts), "", http.StatusBadRequest, []string{"at:", "outside"}},
		})
	}
	for _, q := range []string{"year=9999", "month=9999-12", "year=9999&service=portal&format=text"} {
		wantError(t, q, e.do("GET", "/api/v1/reports?"+q, "", ""), http.StatusBadRequest, "must end by the year 9999")
	}

	// The edges themselves are fine, and every answer stays JSON.
	wantStatus(t, "outage at the start of 1970", e.do("POST", "/api/v1/outages", bearer,
		`{"service":"portal","start":"1970-01-01T00:00:00Z","end":"1970-01-01T00:00:00.001Z"}`), http.StatusCreated, nil)
	wantStatus(t, "record at the end of 9998", e.do("POST", "/api/v1/backups/nightly", bearer,
		`{"time":"9998-12-31T23:59:59.999Z"}`), http.StatusCreated, nil)
	wantStatus(t, "window at the end of 9998", e.do("POST", "/api/v1/maintenance", bearer,
		`{"service":"portal","start":"9998-12-31T00:00:00Z","end":"9998-12-31T23:59:59.999Z"}`), http.StatusCreated, nil)
	for _, p := range []string{"/api/v1/outages", "/api/v1/outages/1", "/api/v1/backups", "/api/v1/backups?at=9998-12-31T23:59:59Z",
		"/api/v1/maintenance?from=9998-06-01T00:00:00Z&to=9998-12-31T23:59:59Z", "/api/v1/reports?year=1970&service=portal",
		"/api/v1/reports?month=9998-12&service=portal"} {
		wantStatus(t, p, e.do("GET", p, "", ""), http.StatusOK, nil)
	}
}

// TestWriteJSONFailure: a value that cannot be encoded is a 500 with a
// JSON error, never a 200 with an empty body.
func TestWriteJSONFailure(t *testing.T) {
	rec := httptest.NewRecorder()
	writeJSON(rec, http.StatusOK, map[string]any{"end": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	r := response{code: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	wantError(t, "unencodable", r, http.StatusInternalServerError, "encode response", "year outside of range")

	rec = httptest.NewRecorder()
	writeJSON(rec, http.StatusCreated, map[string]string{"a": "<b>"})
	if rec.Code != http.StatusCreated || rec.Body.String() != "{\n  \"a\": \"\\u003cb\\u003e\"\n}\n" {
		t.Errorf("writeJSON: %d %q", rec.Code, rec.Body.String())
	}
}

func TestBackups(t *testing.T) {
	e := newEnv(t)
	push := func(name, set, body string, code int, subs ...string) badRequest {
		return badRequest{name, "POST", "/api/v1/backups/" + set, body, code, subs}
	}
	rt := func(name, body string, code int, subs ...string) badRequest {
		return badRequest{name, "POST", "/api/v1/restore-tests", body, code, subs}
	}
	const rec = `{"time":"2026-11-22T02:00:00Z"}`
	runBad(t, e, []badRequest{
		push("unknown set", "weekly", rec, http.StatusNotFound, `no backup set "weekly"`),
		push("pull set", "db", rec, http.StatusConflict, "source: {push: {}}"),
		push("empty body", "nightly", "", http.StatusBadRequest, "malformed backup record"),
		push("malformed", "nightly", `{"time":`, http.StatusBadRequest, "malformed backup record"),
		push("not an object", "nightly", `[1]`, http.StatusBadRequest, "object"),
		push("null", "nightly", `null`, http.StatusBadRequest, "object"),
		push("no time", "nightly", `{"status":"success"}`, http.StatusBadRequest, "time"),
		push("bad time", "nightly", `{"time":"last night"}`, http.StatusBadRequest, "time", "last night"),
		push("time a number", "nightly", `{"time":1763776800}`, http.StatusBadRequest, "time"),
		push("zero time", "nightly", `{"time":"0001-01-01T00:00:00Z"}`, http.StatusBadRequest, "time"),
		push("bad status", "nightly", `{"time":"2026-11-22T02:00:00Z","status":"ok"}`, http.StatusBadRequest, "status"),
		push("negative size", "nightly", `{"time":"2026-11-22T02:00:00Z","size_bytes":-1}`, http.StatusBadRequest, "size_bytes"),
		push("fractional size", "nightly", `{"time":"2026-11-22T02:00:00Z","size_bytes":1.5}`, http.StatusBadRequest, "size_bytes"),
		push("huge size", "nightly", `{"time":"2026-11-22T02:00:00Z","size_bytes":1e30}`, http.StatusBadRequest, "size_bytes"),
		push("bad kind", "nightly", `{"time":"2026-11-22T02:00:00Z","kind":"differential"}`, http.StatusBadRequest, "kind"),
		push("two records", "nightly", rec+rec, http.StatusBadRequest, "malformed backup record"),
		push("trailing brace", "nightly", rec+`}`, http.StatusBadRequest, "malformed backup record"),

		rt("empty body", "", http.StatusBadRequest, "body"),
		rt("no set", `{"start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:00:00Z"}`, http.StatusBadRequest, "set: required"),
		rt("unknown set", `{"set":"weekly","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:00:00Z"}`, http.StatusNotFound, `no backup set "weekly"`),
		rt("unknown field", `{"set":"nightly","duration":"1h"}`, http.StatusBadRequest, `unknown field "duration"`),
		rt("success a string", `{"set":"nightly","success":"yes"}`, http.StatusBadRequest, "success"),
		rt("no start", `{"set":"nightly","end":"2026-11-21T10:00:00Z"}`, http.StatusBadRequest, "start and end are required"),
		rt("end before start", `{"set":"nightly","start":"2026-11-21T10:00:00Z","end":"2026-11-21T09:00:00Z"}`, http.StatusBadRequest, "end after start"),
		rt("sub-millisecond", `{"set":"nightly","start":"2026-11-21T10:00:00.0001Z","end":"2026-11-21T10:00:00.0002Z"}`, http.StatusBadRequest, "end after start"),
		rt("trailing data", `{"set":"nightly"} x`, http.StatusBadRequest, "malformed JSON body"),

		{"list bad at", "GET", "/api/v1/backups?at=yesterday", "", http.StatusBadRequest, []string{"at:", "yesterday"}},
		{"list unknown set", "GET", "/api/v1/backups?set=nightly&set=weekly", "", http.StatusNotFound, []string{`no backup set "weekly"`}},
	})
	if len(e.be.pushed) != 0 {
		t.Errorf("failed pushes told the daemon: %v", e.be.pushed)
	}

	var pushed struct {
		Set    string         `json:"set"`
		ID     int64          `json:"id"`
		Record map[string]any `json:"record"`
	}
	wantStatus(t, "push", e.do("POST", "/api/v1/backups/nightly", bearer,
		`{"time":"2026-11-22T03:00:00+01:00","status":"success","size_bytes":1e9,"kind":"full","id":"b-1"}`), http.StatusCreated, &pushed)
	if pushed.Set != "nightly" || pushed.ID <= 0 || pushed.Record["status"] != "success" || pushed.Record["size_bytes"] != 1e9 ||
		pushed.Record["kind"] != "full" || pushed.Record["id"] != "b-1" {
		t.Errorf("pushed %+v", pushed)
	}
	// A record the source prints may carry fields of its own.
	wantStatus(t, "push failure", e.do("POST", "/api/v1/backups/nightly", bearer,
		`{"time":"2026-11-22T04:00:00Z","status":"failure","host":"db1"}`), http.StatusCreated, &pushed)
	if pushed.Record["status"] != "failure" {
		t.Errorf("pushed failure %+v", pushed)
	}

	var test struct {
		Set             string  `json:"set"`
		ID              int64   `json:"id"`
		Success         bool    `json:"success"`
		DurationSeconds float64 `json:"duration_seconds"`
	}
	wantStatus(t, "restore test", e.do("POST", "/api/v1/restore-tests", bearer,
		`{"set":"db","start":"2026-11-21T09:00:00Z","end":"2026-11-21T10:30:00Z"}`), http.StatusCreated, &test)
	if test.Set != "db" || test.ID <= 0 || !test.Success || test.DurationSeconds != 5400 {
		t.Errorf("restore test %+v", test)
	}
	wantStatus(t, "failed restore test", e.do("POST", "/api/v1/restore-tests", bearer,
		`{"set":"nightly","start":"2026-11-21T09:00:00Z","end":"2026-11-21T09:10:00Z","success":false,"by":"carol"}`), http.StatusCreated, &test)
	if test.Success {
		t.Errorf("failed restore test stored as success: %+v", test)
	}
	if want := []string{"nightly", "nightly", "db", "nightly"}; !slices.Equal(e.be.pushed, want) {
		t.Errorf("BackupPushed calls %v, want %v", e.be.pushed, want)
	}

	var list struct {
		Backups []struct {
			Set    string     `json:"set"`
			Newest *time.Time `json:"newest"`
			RPOMet bool       `json:"rpo_met"`
		} `json:"backups"`
	}
	wantStatus(t, "list", e.do("GET", "/api/v1/backups", "", ""), http.StatusOK, &list)
	if len(list.Backups) != 2 || list.Backups[0].Set != "nightly" || list.Backups[1].Set != "db" {
		t.Fatalf("list: %+v", list.Backups)
	}
	nightly := list.Backups[0]
	if nightly.Newest == nil || !nightly.Newest.Equal(time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)) || !nightly.RPOMet {
		t.Errorf("nightly: newest %v, RPO met %v", nightly.Newest, nightly.RPOMet)
	}
	wantStatus(t, "list one", e.do("GET", "/api/v1/backups?set=db", "", ""), http.StatusOK, &list)
	if len(list.Backups) != 1 || list.Backups[0].Set != "db" || list.Backups[0].Newest != nil {
		t.Errorf("list db: %+v", list.Backups)
	}
	wantStatus(t, "list before the push", e.do("GET", "/api/v1/backups?set=nightly&at=2026-11-22T01:00:00Z", "", ""), http.StatusOK, &list)
	if len(list.Backups) != 1 || list.Backups[0].Newest != nil {
		t.Errorf("list at 01:00: %+v", list.Backups)
	}
}

func TestAlerts(t *testing.T) {
	e := newEnv(t)
	firing, resolved := alerts.Fingerprint(firingLabels), alerts.Fingerprint(resolvedLabels)
	ack := func(fp string) string { return "/api/v1/alerts/" + fp + "/ack" }
	runBad(t, e, []badRequest{
		{"unknown", "POST", ack("0123456789abcdef"), "", http.StatusNotFound, []string{`no active alert "0123456789abcdef"`}},
		{"resolved", "POST", ack(resolved), "", http.StatusNotFound, []string{"no active alert"}},
		{"malformed", "POST", ack(firing), `{"by"`, http.StatusBadRequest, []string{"malformed JSON body"}},
		{"by a number", "POST", ack(firing), `{"by":5}`, http.StatusBadRequest, []string{"by"}},
		{"unknown field", "POST", ack(firing), `{"who":"dave"}`, http.StatusBadRequest, []string{`unknown field "who"`}},
		{"trailing data", "POST", ack(firing), `{"by":"dave"}{"by":"eve"}`, http.StatusBadRequest, []string{"malformed JSON body"}},
	})

	var a AlertJSON
	wantStatus(t, "ack without body", e.do("POST", ack(firing), bearer, ""), http.StatusOK, &a)
	if a.Fingerprint != firing || a.AckedBy != "api" || a.AckedAt == nil || a.TimeToAcknowledgeSecs == nil || *a.TimeToAcknowledgeSecs != 300 ||
		a.ResponseTarget != "15m" || a.ResponseDeadline == nil || a.ResponseMet == nil || !*a.ResponseMet || a.ResolutionMet != nil {
		t.Errorf("acknowledged %+v", a)
	}
	wantStatus(t, "ack again", e.do("POST", ack(firing), bearer, `{"by":"dave"}`), http.StatusOK, &a)
	if a.AckedBy != "api" {
		t.Errorf("a second acknowledgement replaced the first: %+v", a)
	}

	var list struct {
		Alerts []AlertJSON `json:"alerts"`
	}
	wantStatus(t, "list", e.do("GET", "/api/v1/alerts", "", ""), http.StatusOK, &list)
	if len(list.Alerts) != 2 || list.Alerts[0].Fingerprint != resolved || list.Alerts[0].EndsAt == nil ||
		list.Alerts[1].Fingerprint != firing || list.Alerts[1].State != "firing" || list.Alerts[1].Labels["service"] != "portal" {
		t.Errorf("alerts %+v", list.Alerts)
	}
}

func TestReports(t *testing.T) {
	e := newEnv(t)
	e.seedOutage(time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC), 30*time.Minute)

	var cases []badRequest
	for _, q := range []string{"month=2026-13", "month=2026-00", "month=26-11", "month=2026-1", "month=2026/11", "month=november",
		"year=abc", "year=202", "year=20266", "year=0000", "year=-2026",
		"month=2026-11&year=2026", "format=xml", "format=JSON", "format=pdf&month=2026-11"} {
		cases = append(cases, badRequest{q, "GET", "/api/v1/reports?" + q, "", http.StatusBadRequest, nil})
	}
	cases = append(cases, badRequest{"unknown service", "GET", "/api/v1/reports?service=portal&service=billing", "", http.StatusNotFound, []string{`no service "billing"`}})
	runBad(t, e, cases)
	for _, c := range []struct{ q, sub string }{{"month=2026-13", "month"}, {"year=abc", "year"}, {"month=2026-11&year=2026", "not both"}, {"format=xml", "format"}} {
		wantError(t, c.q, e.do("GET", "/api/v1/reports?"+c.q, "", ""), http.StatusBadRequest, c.sub)
	}

	for _, q := range []string{"", "service=portal", "month=2026-11", "year=2026&service=portal", "month=2026-10&service=portal&service=portal"} {
		for format, ct := range contentTypes {
			what := fmt.Sprintf("report %q format %s", q, format)
			r := e.do("GET", "/api/v1/reports?"+q+"&format="+string(format), "", "")
			if r.code != http.StatusOK {
				t.Fatalf("%s: %s", what, r)
			}
			if got := r.header.Get("Content-Type"); got != ct {
				t.Errorf("%s: Content-Type %q, want %q", what, got, ct)
			}
			if len(bytes.TrimSpace(r.body)) == 0 {
				t.Errorf("%s: empty", what)
			}
			if format == "json" {
				var v any
				decodeJSON(t, what, r, &v)
			}
			if !bytes.Contains(r.body, []byte("portal")) {
				t.Errorf("%s: does not mention portal:\n%s", what, r.body)
			}
		}
	}
	// JSON is the default.
	var v any
	wantStatus(t, "default format", e.do("GET", "/api/v1/reports?service=portal", "", ""), http.StatusOK, &v)
}

func TestReadOnlyEndpoints(t *testing.T) {
	e := newEnv(t)

	var services struct {
		Services []ServiceStatus `json:"services"`
	}
	wantStatus(t, "services", e.do("GET", "/api/v1/services", "", ""), http.StatusOK, &services)
	if len(services.Services) != 1 || services.Services[0].Name != "portal" || len(services.Services[0].Probes) != 1 {
		t.Errorf("services %+v", services)
	}
	var svc ServiceStatus
	wantStatus(t, "service", e.do("GET", "/api/v1/services/portal", "", ""), http.StatusOK, &svc)
	if svc.Name != "portal" || svc.State != "up" {
		t.Errorf("service %+v", svc)
	}
	wantError(t, "unknown service", e.do("GET", "/api/v1/services/billing", "", ""), http.StatusNotFound, `no service "billing"`)

	r := e.do("GET", "/-/healthy", "", "")
	if r.code != http.StatusOK {
		t.Errorf("healthy: %s", r)
	}
	r = e.do("GET", "/metrics", "", "")
	if r.code != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("metrics: %s, Content-Type %q", r, r.header.Get("Content-Type"))
	}
	r = e.do("GET", "/", "", "")
	if r.code != http.StatusOK || r.header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!bytes.Contains(r.body, []byte(`id="svc-portal"`)) || !bytes.Contains(r.body, []byte(`id="set-nightly"`)) ||
		!bytes.Contains(r.body, []byte("weekly patching")) {
		t.Errorf("status page: %d %s\n%s", r.code, r.header.Get("Content-Type"), r.body)
	}
}

func TestReady(t *testing.T) {
	e := newEnv(t)
	for _, ready := range []bool{true, false, true} {
		e.be.setReady(ready)
		r := e.do("GET", "/-/ready", "", "")
		want := http.StatusOK
		if !ready {
			want = http.StatusServiceUnavailable
		}
		if r.code != want {
			t.Errorf("ready %v: got %s, want %d", ready, r, want)
		}
		if !ready && !bytes.Contains(r.body, []byte("disk full")) {
			t.Errorf("not ready: %q does not give the reason", r.body)
		}
	}
}

func TestReloadFailure(t *testing.T) {
	e := newEnv(t)
	e.be.reloadErr = errors.New("slawatch.yaml:42: services[3].probes[0].interval: not a duration")
	wantError(t, "reload", e.do("POST", "/-/reload", bearer, ""), http.StatusInternalServerError,
		"old config stays in force", "slawatch.yaml:42")
	e.be.reloadErr = nil
	var m map[string]string
	wantStatus(t, "reload", e.do("POST", "/-/reload", bearer, ""), http.StatusOK, &m)
	if m["status"] != "reloaded" {
		t.Errorf("reload: %v", m)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/api/", "/api/v1", "/api/v1/", "/api/v2/services", "/api/v1/nope", "/api/v1/outages/1/extra",
		"/api/v1/outages/1/exclude/", "/api/v1/services/portal/probes"} {
		wantError(t, "GET "+p, e.do("GET", p, "", ""), http.StatusNotFound, "no such endpoint")
	}
	if r := e.do("GET", "/nope", "", ""); r.code != http.StatusNotFound {
		t.Errorf("GET /nope: %s", r)
	}

	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/outages", "GET, POST"},
		{"DELETE", "/api/v1/outages/1", "GET"},
		{"PATCH", "/api/v1/maintenance/1", "DELETE"},
		{"GET", "/api/v1/outages/1/exclude", "POST"},
		{"GET", "/api/v1/restore-tests", "POST"},
		{"DELETE", "/api/v1/alerts", "GET"},
		{"GET", "/api/v1/alerts/abc/ack", "POST"},
		{"POST", "/api/v1/reports", "GET"},
		{"PUT", "/api/v1/backups/nightly", "POST"},
	} {
		what := c.method + " " + c.path
		for _, auth := range []string{"", bearer} {
			r := e.do(c.method, c.path, auth, `{}`)
			wantError(t, what, r, http.StatusMethodNotAllowed, c.method)
			if allow := r.header.Get("Allow"); !strings.Contains(allow, c.allow) {
				t.Errorf("%s: Allow %q, want %q", what, allow, c.allow)
			}
		}
	}
	for _, c := range []struct{ method, path string }{{"GET", "/-/reload"}, {"POST", "/-/healthy"}, {"DELETE", "/-/ready"}, {"POST", "/metrics"}} {
		r := e.do(c.method, c.path, bearer, "")
		if r.code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: %s, want 405", c.method, c.path, r)
		}
	}
	if e.be.reloads != 0 {
		t.Error("GET /-/reload reloaded")
	}
}

func TestBodyTooLarge(t *testing.T) {
	e := newEnv(t)
	outage := e.seedOutage(testNow.Add(-48*time.Hour), 10*time.Minute)
	window := e.seedWindow(testNow.Add(72*time.Hour), time.Hour)
	// Valid JSON, padded past 1 MiB inside a string, so only the size is wrong.
	big := strings.Repeat("a", maxBody+1)
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/api/v1/outages", `{"service":"portal","cause":"` + big + `"}`},
		{"POST", path("/api/v1/outages/%d/exclude", outage), `{"reason":"` + big + `"}`},
		{"POST", path("/api/v1/outages/%d/include", outage), `{"reason":"` + big + `"}`},
		{"POST", "/api/v1/maintenance", `{"service":"portal","reason":"` + big + `"}`},
		{"DELETE", path("/api/v1/maintenance/%d", window), `{"by":"` + big + `"}`},
		{"POST", "/api/v1/backups/nightly", `{"time":"2026-11-22T02:00:00Z","id":"` + big + `"}`},
		{"POST", "/api/v1/restore-tests", `{"set":"nightly","by":"` + big + `"}`},
		{"POST", "/api/v1/alerts/" + alerts.Fingerprint(firingLabels) + "/ack", `{"by":"` + big + `"}`},
		// A valid object followed by more than 1 MiB of white space.
		{"POST", "/api/v1/outages", validOutage + strings.Repeat(" ", maxBody)},
	} {
		wantError(t, c.method+" "+c.path, e.do(c.method, c.path, bearer, c.body), http.StatusRequestEntityTooLarge, "large")
	}
	// Just under the limit is fine.
	body := `{"by":"` + strings.Repeat("a", maxBody-len(`{"by":""}`)) + `"}`
	wantStatus(t, "1 MiB exactly", e.do("DELETE", path("/api/v1/maintenance/%d", window), bearer, body), http.StatusOK, nil)
	if n, err := e.st.CountOutages(context.Background(), ""); err != nil || n != 1 {
		t.Errorf("%d outages (%v): an oversized body was stored", n, err)
	}
}

// TestErrorBodiesAreJSON sends odd requests to every API route and checks
// that whatever fails says so in JSON.
func TestErrorBodiesAreJSON(t *testing.T) {
	e := newEnv(t)
	routes := []string{"/api/v1/services", "/api/v1/services/x", "/api/v1/outages", "/api/v1/outages/1", "/api/v1/outages/1/exclude",
		"/api/v1/outages/1/include", "/api/v1/maintenance", "/api/v1/maintenance/1", "/api/v1/reports", "/api/v1/alerts",
		"/api/v1/alerts/x/ack", "/api/v1/backups", "/api/v1/backups/nightly", "/api/v1/restore-tests"}
	for _, p := range routes {
		for _, m := range []string{"GET", "POST", "DELETE", "PUT"} {
			for _, body := range []string{"", "{", `{"x":1}`, "\x00\xff"} {
				for _, auth := range []string{"", bearer} {
					r := e.do(m, p+"?from=x&limit=-1&month=2026-13", auth, body)
					what := fmt.Sprintf("%s %s %q auth=%v", m, p, body, auth != "")
					if r.code >= 500 {
						t.Errorf("%s: %s", what, r)
					}
					if r.code >= 400 {
						errorMessage(t, what, r)
					}
				}
			}
		}
	}
}

func TestPathIDs(t *testing.T) {
	// strconv must agree with the table above: every bad id is bad.
	for _, id := range badIDs {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
			t.Errorf("%q parses as %d", id, n)
		}
	}
}

// A create answers with times as stored, in UTC to the millisecond, the same
// as a later GET, whatever offset the request used.
func TestCreateAnswersAsStored(t *testing.T) {
	e := newEnv(t)
	var created struct {
		ID    int64  `json:"id"`
		Start string `json:"start"`
		End   string `json:"end"`
	}
	wantStatus(t, "add outage", e.do("POST", "/api/v1/outages", bearer,
		`{"service":"portal","start":"2026-11-20T10:00:00.1234+02:00","end":"2026-11-20T10:30:00+02:00","cause":"x"}`), http.StatusCreated, &created)
	if created.Start != "2026-11-20T08:00:00.123Z" || created.End != "2026-11-20T08:30:00Z" {
		t.Errorf("created outage start %s end %s, want UTC to the millisecond", created.Start, created.End)
	}
	var win struct {
		Start string `json:"start"`
	}
	wantStatus(t, "announce", e.do("POST", "/api/v1/maintenance", bearer,
		`{"service":"portal","start":"2026-11-25T23:00:00-05:00","end":"2026-11-26T01:00:00-05:00","reason":"r"}`), http.StatusCreated, &win)
	if win.Start != "2026-11-26T04:00:00Z" {
		t.Errorf("announced window start %s, want 2026-11-26T04:00:00Z", win.Start)
	}
	var rec struct {
		Record struct {
			Time string `json:"time"`
		} `json:"record"`
	}
	wantStatus(t, "push", e.do("POST", "/api/v1/backups/nightly", bearer, `{"time":"2026-11-22T03:00:00+01:00"}`), http.StatusCreated, &rec)
	if rec.Record.Time != "2026-11-22T02:00:00Z" {
		t.Errorf("pushed record time %s, want 2026-11-22T02:00:00Z", rec.Record.Time)
	}
}
