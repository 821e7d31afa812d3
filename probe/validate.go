package probe

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Validate checks a Spec without touching the network. Its errors begin with
// the key they concern, relative to the probe ("http.url: …", "timeout: …"),
// so the config loader can point at the line.
//
// It reads ca_file (a local file), so that `slawatch check` catches a missing
// or malformed one; relative paths must already be resolved by the loader.
func (s *Spec) Validate() error {
	if strings.TrimSpace(s.Name) == "" {
		return errors.New("name: a probe needs a name")
	}
	if err := s.validateTiming(); err != nil {
		return err
	}
	switch s.Impact {
	case "", ImpactDown, ImpactDegraded:
	default:
		return fmt.Errorf("impact: %q is not one of down, degraded", s.Impact)
	}
	set := 0
	for _, k := range []struct {
		name string
		on   bool
	}{{"http", s.HTTP != nil}, {"tcp", s.TCP != nil}, {"dns", s.DNS != nil}, {"tls", s.TLS != nil}} {
		if !k.on {
			continue
		}
		if set++; set > 1 {
			return fmt.Errorf("%s: a probe has only one of http, tcp, dns or tls", k.name)
		}
	}
	switch s.Kind() {
	case "http":
		return s.HTTP.validate()
	case "tcp":
		return s.TCP.validate()
	case "dns":
		return s.DNS.validate()
	case "tls":
		return s.TLS.validate()
	}
	return errors.New("name: a probe needs one of http, tcp, dns or tls")
}

// MinInterval is the shortest interval accepted: anything faster is a busy
// loop rather than monitoring.
const MinInterval = 100 * time.Millisecond

func (s *Spec) validateTiming() error {
	if s.Schedule != "" {
		// The same parser the scheduler uses.
		if _, err := ParseCron(s.Schedule); err != nil {
			return fmt.Errorf("schedule: %v", err)
		}
	}
	if s.Interval < 0 {
		return fmt.Errorf("interval: %v is negative", s.Interval)
	}
	if s.Interval > 0 && s.Interval < MinInterval {
		return fmt.Errorf("interval: %v is shorter than the minimum %v", s.Interval, MinInterval)
	}
	if s.Timeout < 0 {
		return fmt.Errorf("timeout: %v is negative", s.Timeout)
	}
	return nil
}

func (h *HTTPSpec) validate() error {
	if h.URL == "" {
		return errors.New("http.url: required")
	}
	u, err := url.Parse(h.URL)
	if err != nil {
		// url.Error repeats the URL, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("http.url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("http.url: scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("http.url: no host")
	}
	if h.Method != "" && !isToken(h.Method) {
		return fmt.Errorf("http.method: %q is not a valid method", h.Method)
	}
	for name, value := range h.Headers {
		if !isToken(name) {
			return fmt.Errorf("http.headers: %q is not a valid header name", name)
		}
		// Never echo the value: headers carry tokens.
		if strings.ContainsAny(value, "\r\n\x00") {
			return fmt.Errorf("http.headers: the value of %q holds a line break or NUL", name)
		}
	}
	for _, c := range h.Status {
		if c < 100 || c > 599 {
			return fmt.Errorf("http.status: %d is not an HTTP status code", c)
		}
	}
	if h.BodyRegexp != "" {
		if _, err := regexp.Compile(h.BodyRegexp); err != nil {
			return fmt.Errorf("http.body_regexp: %v", err)
		}
	}
	if h.DegradedLatency < 0 {
		return fmt.Errorf("http.degraded_latency: %v is negative", h.DegradedLatency)
	}
	if h.MaxRedirects != nil && *h.MaxRedirects < 0 {
		return fmt.Errorf("http.max_redirects: %d is negative", *h.MaxRedirects)
	}
	if h.CAFile != "" {
		if _, _, err := loadCAFile(h.CAFile); err != nil {
			return fmt.Errorf("http.ca_file: %v", err)
		}
	}
	return nil
}

func (t *TCPSpec) validate() error {
	if err := validateAddress(t.Address); err != nil {
		return fmt.Errorf("tcp.address: %v", err)
	}
	if len(t.Expect) > maxTCPRead {
		return fmt.Errorf("tcp.expect: longer than the %d bytes read", maxTCPRead)
	}
	return nil
}

// DNS record types a dns probe can ask for.
var dnsTypes = map[string]uint16{
	"A": dns.TypeA, "AAAA": dns.TypeAAAA, "CNAME": dns.TypeCNAME,
	"MX": dns.TypeMX, "TXT": dns.TypeTXT, "NS": dns.TypeNS,
}

func (d *DNSSpec) validate() error {
	if d.Name == "" {
		return errors.New("dns.name: required")
	}
	if _, ok := dns.IsDomainName(d.Name); !ok {
		return fmt.Errorf("dns.name: %q is not a domain name", d.Name)
	}
	typ := d.qtype()
	if _, ok := dnsTypes[typ]; !ok {
		return fmt.Errorf("dns.type: %q is not one of A, AAAA, CNAME, MX, TXT, NS", d.Type)
	}
	if d.Server != "" {
		if err := validateAddress(d.Server); err != nil {
			return fmt.Errorf("dns.server: %v", err)
		}
	}
	for _, e := range d.Expect {
		switch typ {
		case "A", "AAAA":
			ip, err := netip.ParseAddr(e)
			if err != nil || (typ == "A") != ip.Unmap().Is4() {
				return fmt.Errorf("dns.expect: %q is not an IPv%s address", e, map[bool]string{true: "4", false: "6"}[typ == "A"])
			}
		default:
			if strings.TrimSpace(e) == "" {
				return errors.New("dns.expect: empty value")
			}
		}
	}
	return nil
}

func (d *DNSSpec) qtype() string {
	if d.Type == "" {
		return "A"
	}
	return strings.ToUpper(d.Type)
}

func (t *TLSSpec) validate() error {
	if err := validateAddress(t.Address); err != nil {
		return fmt.Errorf("tls.address: %v", err)
	}
	if t.CAFile != "" {
		if _, _, err := loadCAFile(t.CAFile); err != nil {
			return fmt.Errorf("tls.ca_file: %v", err)
		}
	}
	return nil
}

// validateAddress checks a host:port.
func validateAddress(addr string) error {
	if addr == "" {
		return errors.New("required")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if host == "" {
		return fmt.Errorf("%q has no host", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 1 to 65535", addr, port)
	}
	return nil
}

// loadCAFile reads PEM certificates and returns the system roots plus them
// (ca_file adds roots, it does not replace them), and a digest of the file
// so probers can share a transport only when they trust the same roots.
func loadCAFile(path string) (*x509.CertPool, [32]byte, error) {
	var sum [32]byte
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, sum, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, sum, fmt.Errorf("%s: no PEM certificate in it", path)
	}
	return pool, sha256.Sum256(pem), nil
}

// isToken reports whether s is an RFC 9110 token (method, header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
