package probe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHTTPSuccess(t *testing.T) {
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.Host != "portal.example.com" ||
			r.Header.Get("Authorization") != "Bearer s3cret" || string(body) != `{"ping":1}` {
			http.Error(w, fmt.Sprintf("unexpected %s %s %q %q", r.Method, r.Host, r.Header, body), http.StatusBadRequest)
			return
		}
		io.WriteString(w, "status: ok\nversion 1.2.3\n")
	}))
	clock := func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("x", 3600)) }
	r := probeOnce(t, Spec{Service: "portal", Name: "health", HTTP: &HTTPSpec{
		URL:          srv.URL + "/health",
		Method:       "POST",
		Headers:      map[string]string{"Authorization": "Bearer s3cret", "host": "portal.example.com"},
		Body:         `{"ping":1}`,
		Status:       []int{200},
		BodyContains: "ok",
		BodyRegexp:   `version \d+\.\d+`,
	}}, WithClock(clock))
	wantOK(t, r)
	if r.Service != "portal" || r.Probe != "health" || r.StatusCode != 200 {
		t.Errorf("Service/Probe/StatusCode = %q/%q/%d", r.Service, r.Probe, r.StatusCode)
	}
	if want := time.Date(2026, 3, 1, 11, 0, 0, 123000000, time.UTC); r.Start != want {
		t.Errorf("Start = %v, want %v (ms, UTC)", r.Start, want)
	}
	if r.Duration <= 0 || r.Phases.Connect <= 0 || r.Phases.FirstByte <= 0 || r.Phases.FirstByte > r.Duration {
		t.Errorf("Duration %v, Phases %+v", r.Duration, r.Phases)
	}
	if r.Degraded || !r.CertExpiry.IsZero() {
		t.Errorf("Degraded = %v, CertExpiry = %v", r.Degraded, r.CertExpiry)
	}
}

func TestHTTPStartUsesRealClock(t *testing.T) {
	srv := startServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	before := time.Now().Truncate(time.Millisecond)
	r := probeOnce(t, Spec{HTTP: &HTTPSpec{URL: srv.URL}})
	if r.Start.Before(before) || r.Start.After(time.Now()) || r.Start.Location() != time.UTC || r.Start.Nanosecond()%1e6 != 0 {
		t.Errorf("Start = %v, want now, in UTC, whole milliseconds", r.Start)
	}
}

func TestHTTPChecks(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "all good") })
	mux.HandleFunc("/down", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/teapot", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
		if n := r.PathValue("n"); n != "3" {
			http.Redirect(w, r, "/hop/"+string(n[0]+1), http.StatusMovedPermanently)
			return
		}
		io.WriteString(w, "arrived")
	})
	srv := startServer(t, mux)

	tests := []struct {
		name   string
		spec   HTTPSpec
		err    string // exact; "" for success
		status int
	}{
		{"default accepts 2xx", HTTPSpec{URL: "/ok"}, "", 200},
		{"status not listed", HTTPSpec{URL: "/down", Status: []int{200}}, "status 503, want [200]", 503},
		{"status outside 2xx", HTTPSpec{URL: "/down"}, "status 503, want 200-299", 503},
		{"status list", HTTPSpec{URL: "/teapot", Status: []int{200, 418}}, "", 418},
		{"status list excludes 200", HTTPSpec{URL: "/ok", Status: []int{204, 418}}, "status 200, want [204 418]", 200},
		{"body contains", HTTPSpec{URL: "/ok", BodyContains: "ok"}, `body does not contain "ok"`, 200},
		{"body regexp", HTTPSpec{URL: "/ok", BodyRegexp: `^good$`}, "body does not match /^good$/", 200},
		{"body regexp matches", HTTPSpec{URL: "/ok", BodyRegexp: `(?i)ALL\s+good`}, "", 200},
		{"redirect loop", HTTPSpec{URL: "/loop"}, "stopped after 10 redirects", 302},
		{"redirect limit", HTTPSpec{URL: "/hop/0", MaxRedirects: intp(2)}, "stopped after 2 redirects", 301},
		{"redirects followed", HTTPSpec{URL: "/hop/0", BodyContains: "arrived"}, "", 200},
		{"redirects not followed", HTTPSpec{URL: "/hop/0", MaxRedirects: intp(0)}, "status 301, want 200-299", 301},
		{"redirect accepted as status", HTTPSpec{URL: "/loop", MaxRedirects: intp(0), Status: []int{302}}, "", 302},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.URL = srv.URL + spec.URL
			r := probeOnce(t, Spec{HTTP: &spec})
			if tt.err == "" {
				wantOK(t, r)
			} else if r.Success || r.Err != tt.err {
				t.Errorf("Success = %v, Err = %q; want %q", r.Success, r.Err, tt.err)
			}
			if r.StatusCode != tt.status {
				t.Errorf("StatusCode = %d, want %d", r.StatusCode, tt.status)
			}
		})
	}
}

func TestHTTPTimeoutBoundsAttempt(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	mux := http.NewServeMux()
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		select { // never answers
		case <-hang:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/body", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first part")
		w.(http.Flusher).Flush()
		select { // the rest never comes
		case <-hang:
		case <-r.Context().Done():
		}
	})
	srv := startServer(t, mux)
	for _, path := range []string{"/headers", "/body"} {
		t.Run(path, func(t *testing.T) {
			start := time.Now()
			r := probeOnce(t, Spec{Timeout: 200 * time.Millisecond, HTTP: &HTTPSpec{URL: srv.URL + path}})
			el := time.Since(start)
			if r.Success || r.Err != "timeout after 200ms" {
				t.Fatalf("Success = %v, Err = %q; want timeout after 200ms", r.Success, r.Err)
			}
			if el < 200*time.Millisecond || el > 3*time.Second || r.Duration < 200*time.Millisecond {
				t.Errorf("attempt took %v (Duration %v), want about 200ms", el, r.Duration)
			}
		})
	}
}

func TestHTTPTimeoutFromCallerDeadline(t *testing.T) {
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	p := mustNew(t, Spec{Timeout: 10 * time.Second, HTTP: &HTTPSpec{URL: srv.URL}})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	// The timeout named is what was left of the caller's deadline when the
	// attempt began: 150ms, a little less on a loaded machine.
	r := p.Probe(ctx)
	left, err := time.ParseDuration(strings.TrimPrefix(r.Err, "timeout after "))
	if !strings.HasPrefix(r.Err, "timeout after ") || err != nil || left > 150*time.Millisecond || left < 50*time.Millisecond {
		t.Fatalf("Err = %q, want the caller's deadline: timeout after 150ms or a little less", r.Err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if r := p.Probe(ctx); r.Err != "canceled" {
		t.Fatalf("Err = %q, want canceled", r.Err)
	}
}

// endless writes forever, with needle after skip bytes (never if skip < 0).
func endless(skip int, needle string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		chunk := bytes.Repeat([]byte("x"), 32<<10)
		for n := 0; ; n += len(chunk) {
			if skip >= 0 && n >= skip && n < skip+len(chunk) {
				if _, err := io.WriteString(w, needle); err != nil {
					return
				}
			}
			if _, err := w.Write(chunk); err != nil {
				return // the probe hung up
			}
		}
	}
}

func TestHTTPEndlessBodyReadsOneMiB(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/early", endless(0, "needle"))
	mux.Handle("/late", endless(maxBody+64<<10, "needle"))
	mux.Handle("/none", endless(-1, ""))
	srv := startServer(t, mux)

	for _, tt := range []struct {
		path, contains, err string
	}{
		{"/none", "", ""},
		{"/early", "needle", ""},
		{"/late", "needle", `body does not contain "needle"`},
	} {
		t.Run(tt.path, func(t *testing.T) {
			start := time.Now()
			r := probeOnce(t, Spec{Timeout: 5 * time.Second, HTTP: &HTTPSpec{URL: srv.URL + tt.path, BodyContains: tt.contains}})
			if tt.err == "" {
				wantOK(t, r)
			} else if r.Err != tt.err {
				t.Fatalf("Err = %q, want %q", r.Err, tt.err)
			}
			if el := time.Since(start); el > 4*time.Second {
				t.Fatalf("took %v: the body was not cut off", el)
			}
		})
	}
}

func TestHTTPDegradedLatency(t *testing.T) {
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(50 * time.Millisecond)
		}
		io.WriteString(w, "ok")
	}))
	r := probeOnce(t, Spec{HTTP: &HTTPSpec{URL: srv.URL + "/slow", DegradedLatency: 10 * time.Millisecond}})
	wantOK(t, r)
	if !r.Degraded || r.Duration < 50*time.Millisecond {
		t.Errorf("Degraded = %v, Duration = %v; want degraded after >= 50ms", r.Degraded, r.Duration)
	}
	r = probeOnce(t, Spec{HTTP: &HTTPSpec{URL: srv.URL + "/fast", DegradedLatency: 5 * time.Second}})
	wantOK(t, r)
	if r.Degraded {
		t.Errorf("fast response marked degraded (%v)", r.Duration)
	}
	// A failure is a failure, never merely degraded.
	r = probeOnce(t, Spec{HTTP: &HTTPSpec{URL: srv.URL + "/slow", Status: []int{204}, DegradedLatency: 10 * time.Millisecond}})
	if r.Success || r.Degraded {
		t.Errorf("Success = %v, Degraded = %v for a wrong status", r.Success, r.Degraded)
	}
}

func TestHTTPConnectionRefused(t *testing.T) {
	r := probeOnce(t, Spec{HTTP: &HTTPSpec{URL: "http://" + closedAddr(t) + "/"}})
	if r.Err != "connect: connection refused" {
		t.Fatalf("Err = %q, want connect: connection refused", r.Err)
	}
	if r.StatusCode != 0 || r.Duration <= 0 {
		t.Errorf("StatusCode = %d, Duration = %v", r.StatusCode, r.Duration)
	}
}

func TestHTTPNoSuchHost(t *testing.T) {
	res := resolverFor(startDNS(t))
	r := probeOnce(t, Spec{HTTP: &HTTPSpec{URL: "http://missing.test./"}}, WithResolver(res))
	if r.Err != "dns: no such host" {
		t.Fatalf("Err = %q, want dns: no such host", r.Err)
	}
	if r.Phases.Resolve <= 0 {
		t.Errorf("Phases.Resolve = %v, want > 0", r.Phases.Resolve)
	}
}

func TestHTTPErrorsHoldNoSecrets(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
			return
		}
		http.Error(w, "nope", http.StatusUnauthorized)
	}))
	secretURL := strings.Replace(srv.URL, "http://", "http://user:pa55word@", 1)
	for _, u := range []string{secretURL + "/x?token=t0ken", secretURL + "/hang?token=t0ken", "http://user:pa55word@" + closedAddr(t) + "/?token=t0ken"} {
		r := probeOnce(t, Spec{Timeout: 200 * time.Millisecond, HTTP: &HTTPSpec{
			URL:     u,
			Headers: map[string]string{"Authorization": "Bearer s3cret", "X-Api-Key": "k3y"},
		}})
		if r.Success {
			t.Fatalf("%s: want failure", u)
		}
		for _, secret := range []string{"s3cret", "k3y", "pa55word", "t0ken"} {
			if strings.Contains(r.Err, secret) {
				t.Errorf("Err %q reveals %q", r.Err, secret)
			}
		}
	}
}

func TestHTTPS(t *testing.T) {
	notAfter := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	good := newTestCert(t, time.Now().Add(-time.Hour), notAfter)
	srv := startTLSServer(t, good, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))

	r := probeOnce(t, Spec{HTTP: &HTTPSpec{URL: srv.URL, CAFile: good.caFile, BodyContains: "ok"}})
	wantOK(t, r)
	if !r.CertExpiry.Equal(notAfter) {
		t.Errorf("CertExpiry = %v, want %v", r.CertExpiry, notAfter)
	}
	if r.Phases.TLS <= 0 {
		t.Errorf("Phases.TLS = %v, want > 0", r.Phases.TLS)
	}

	// Verification is on by default.
	r = probeOnce(t, Spec{HTTP: &HTTPSpec{URL: srv.URL}})
	wantFail(t, r, "tls: certificate signed by unknown authority")
	if !r.CertExpiry.Equal(notAfter) {
		t.Errorf("untrusted: CertExpiry = %v, want %v", r.CertExpiry, notAfter)
	}

	r = probeOnce(t, Spec{HTTP: &HTTPSpec{URL: srv.URL, InsecureSkipVerify: true}})
	wantOK(t, r)
	if !r.CertExpiry.Equal(notAfter) {
		t.Errorf("insecure: CertExpiry = %v, want %v", r.CertExpiry, notAfter)
	}

	expiredAt := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	expired := newTestCert(t, time.Now().Add(-48*time.Hour), expiredAt)
	old := startTLSServer(t, expired, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r = probeOnce(t, Spec{HTTP: &HTTPSpec{URL: old.URL, CAFile: expired.caFile}})
	want := "tls: certificate has expired (not after " + expiredAt.UTC().Format(time.RFC3339) + ")"
	if r.Success || r.Err != want {
		t.Fatalf("Err = %q, want %q", r.Err, want)
	}
	if !r.CertExpiry.Equal(expiredAt) {
		t.Errorf("expired: CertExpiry = %v, want %v", r.CertExpiry, expiredAt)
	}

	// A redirect from https to plain http keeps the certificate's expiry.
	hop := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	redirect := startTLSServer(t, good, http.RedirectHandler(hop.URL, http.StatusFound))
	r = probeOnce(t, Spec{HTTP: &HTTPSpec{URL: redirect.URL, CAFile: good.caFile}})
	wantOK(t, r)
	if !r.CertExpiry.Equal(notAfter) {
		t.Errorf("redirected: CertExpiry = %v, want %v", r.CertExpiry, notAfter)
	}
}

func TestHTTPSharesTransports(t *testing.T) {
	cert := newTestCert(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	get := func(h HTTPSpec) *http.Transport {
		return mustNew(t, Spec{HTTP: &h}).(*httpProber).client.Transport.(*http.Transport)
	}
	a := get(HTTPSpec{URL: "http://a.example/"})
	if b := get(HTTPSpec{URL: "https://b.example/", Status: []int{204}, MaxRedirects: intp(0)}); a != b {
		t.Error("probes with the same TLS settings do not share a transport")
	}
	if c := get(HTTPSpec{URL: "https://c.example/", InsecureSkipVerify: true}); a == c {
		t.Error("an insecure probe shares the verifying transport")
	}
	if d, e := get(HTTPSpec{URL: "https://d.example/", CAFile: cert.caFile}), get(HTTPSpec{URL: "https://e.example/", CAFile: cert.caFile}); d == a || d != e {
		t.Error("ca_file probes: want their own transport, shared among them")
	}
}

// One prober serves every attempt of its probe; attempts may overlap (a
// manual check next to the scheduled one), so it must hold no attempt state.
func TestHTTPProberConcurrentUse(t *testing.T) {
	srv := startServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/final", http.StatusFound)
			return
		}
		if r.Header.Get("X-Token") != "t" {
			w.WriteHeader(http.StatusForbidden)
		}
		io.WriteString(w, "ok")
	}))
	p := mustNew(t, Spec{HTTP: &HTTPSpec{URL: srv.URL + "/", Method: "POST", Body: "ping",
		Headers: map[string]string{"X-Token": "t", "Host": "h.example"}, BodyContains: "ok"}})
	errs := make(chan string, 40)
	for range 8 {
		go func() {
			for range 5 {
				errs <- p.Probe(context.Background()).Err
			}
		}()
	}
	for range 40 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
