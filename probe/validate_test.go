package probe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := newTestCert(t, time.Now(), time.Now().Add(time.Hour))
	web := func(h HTTPSpec) Spec { return Spec{Name: "p", HTTP: &h} }

	tests := []struct {
		name string
		spec Spec
		err  string // prefix; "" when valid
	}{
		{"http", web(HTTPSpec{URL: "https://portal.example.com/health", Status: []int{200, 204}, BodyRegexp: "^ok$",
			Headers: map[string]string{"Authorization": "Bearer x"}, CAFile: cert.caFile}), ""},
		{"tcp", Spec{Name: "p", TCP: &TCPSpec{Address: "api.example.com:443"}}, ""},
		{"dns", Spec{Name: "p", DNS: &DNSSpec{Name: "example.com", Type: "mx"}}, ""},
		{"tls", Spec{Name: "p", TLS: &TLSSpec{Address: "[::1]:443"}}, ""},
		{"cron", Spec{Name: "p", Schedule: "*/5 * * * *", TCP: &TCPSpec{Address: "h:1"}}, ""},
		{"cron descriptor", Spec{Name: "p", Schedule: "@every 1m", TCP: &TCPSpec{Address: "h:1"}}, ""},
		{"cron time zone", Spec{Name: "p", Schedule: "CRON_TZ=Europe/Amsterdam 0 2 * * SUN", TCP: &TCPSpec{Address: "h:1"}}, ""},

		{"no name", Spec{TCP: &TCPSpec{Address: "h:1"}}, "name: "},
		{"no kind", Spec{Name: "p"}, "name: a probe needs one of"},
		{"two kinds", Spec{Name: "p", HTTP: &HTTPSpec{URL: "http://h/"}, TCP: &TCPSpec{Address: "h:1"}}, "tcp: a probe has only one"},
		{"bad cron", Spec{Name: "p", Schedule: "61 * * * *", TCP: &TCPSpec{Address: "h:1"}}, "schedule: "},
		{"six fields", Spec{Name: "p", Schedule: "0 0 * * * *", TCP: &TCPSpec{Address: "h:1"}}, "schedule: "},
		{"negative interval", Spec{Name: "p", Interval: -time.Second, TCP: &TCPSpec{Address: "h:1"}}, "interval: "},
		{"tiny interval", Spec{Name: "p", Interval: time.Millisecond, TCP: &TCPSpec{Address: "h:1"}}, "interval: "},
		{"negative timeout", Spec{Name: "p", Timeout: -1, TCP: &TCPSpec{Address: "h:1"}}, "timeout: "},
		{"impact", Spec{Name: "p", Impact: "fatal", TCP: &TCPSpec{Address: "h:1"}}, "impact: "},

		{"no url", web(HTTPSpec{}), "http.url: required"},
		{"bad url", web(HTTPSpec{URL: "http://[::1"}), "http.url: "},
		{"ftp url", web(HTTPSpec{URL: "ftp://h/"}), "http.url: scheme"},
		{"no host", web(HTTPSpec{URL: "http:///x"}), "http.url: no host"},
		{"method", web(HTTPSpec{URL: "http://h/", Method: "GE T"}), "http.method: "},
		{"header name", web(HTTPSpec{URL: "http://h/", Headers: map[string]string{"X Bad": "v"}}), "http.headers: "},
		{"header value", web(HTTPSpec{URL: "http://h/", Headers: map[string]string{"X-Token": "s3cret\r\nX: y"}}), "http.headers: "},
		{"status", web(HTTPSpec{URL: "http://h/", Status: []int{200, 999}}), "http.status: 999"},
		{"regexp", web(HTTPSpec{URL: "http://h/", BodyRegexp: "a(b"}), "http.body_regexp: "},
		{"degraded", web(HTTPSpec{URL: "http://h/", DegradedLatency: -time.Second}), "http.degraded_latency: "},
		{"redirects", web(HTTPSpec{URL: "http://h/", MaxRedirects: intp(-1)}), "http.max_redirects: "},
		{"ca missing", web(HTTPSpec{URL: "https://h/", CAFile: "/nonexistent/ca.pem"}), "http.ca_file: "},
		{"ca not pem", web(HTTPSpec{URL: "https://h/", CAFile: notPEM}), "http.ca_file: "},

		{"tcp no port", Spec{Name: "p", TCP: &TCPSpec{Address: "api.example.com"}}, "tcp.address: "},
		{"tcp bad port", Spec{Name: "p", TCP: &TCPSpec{Address: "h:99999"}}, "tcp.address: "},
		{"tcp no host", Spec{Name: "p", TCP: &TCPSpec{Address: ":80"}}, "tcp.address: "},
		{"dns no name", Spec{Name: "p", DNS: &DNSSpec{}}, "dns.name: "},
		{"dns type", Spec{Name: "p", DNS: &DNSSpec{Name: "example.com", Type: "SRV"}}, "dns.type: "},
		{"dns server", Spec{Name: "p", DNS: &DNSSpec{Name: "example.com", Server: "1.1.1.1"}}, "dns.server: "},
		{"dns expect A", Spec{Name: "p", DNS: &DNSSpec{Name: "example.com", Expect: []string{"2001:db8::1"}}}, "dns.expect: "},
		{"dns expect AAAA", Spec{Name: "p", DNS: &DNSSpec{Name: "example.com", Type: "AAAA", Expect: []string{"192.0.2.1"}}}, "dns.expect: "},
		{"tls address", Spec{Name: "p", TLS: &TLSSpec{Address: "example.com"}}, "tls.address: "},
		{"tls ca", Spec{Name: "p", TLS: &TLSSpec{Address: "example.com:443", CAFile: notPEM}}, "tls.ca_file: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Fatalf("Validate = %v, want an error beginning %q", err, tt.err)
			}
			// The loader splits at the first ": " to find the key.
			key, _, ok := strings.Cut(err.Error(), ": ")
			if !ok || strings.ContainsAny(key, " \"") {
				t.Errorf("error %q does not begin with a key", err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q reveals a header value", err)
			}
			if _, err := New(tt.spec); err == nil {
				t.Error("New accepts what Validate rejects")
			}
		})
	}
}

// cron/v3 panics on a bare time-zone prefix; Validate must not.
func TestValidateBareTZPrefix(t *testing.T) {
	for _, s := range []string{"TZ=UTC", "CRON_TZ=Europe/Amsterdam", "TZ="} {
		sp := Spec{Name: "x", Schedule: s, HTTP: &HTTPSpec{URL: "http://x"}}
		if err := sp.Validate(); err == nil || !strings.HasPrefix(err.Error(), "schedule: ") {
			t.Errorf("schedule %q: err = %v, want a schedule error", s, err)
		}
	}
}
