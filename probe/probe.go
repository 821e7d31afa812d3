// Package probe checks services (http, tcp, dns, tls) and schedules the checks.
package probe

import (
	"context"
	"time"
)

// Impact says what a failing probe does to its service's state.
type Impact string

// Impacts.
const (
	ImpactDown     Impact = "down"     // failures make the service down (default)
	ImpactDegraded Impact = "degraded" // failures make the service degraded only
)

// Spec is one probe of a service as configured. The config loader decodes it
// straight from YAML and fills Service, Interval and Timeout from defaults.
type Spec struct {
	Service  string        `yaml:"-"`
	Name     string        `yaml:"name"`
	Interval time.Duration `yaml:"interval"`
	Schedule string        `yaml:"schedule"` // cron expression; instead of Interval
	Timeout  time.Duration `yaml:"timeout"`
	Impact   Impact        `yaml:"impact"`

	// Exactly one of these is set.
	HTTP *HTTPSpec `yaml:"http"`
	TCP  *TCPSpec  `yaml:"tcp"`
	DNS  *DNSSpec  `yaml:"dns"`
	TLS  *TLSSpec  `yaml:"tls"`
}

// HTTPSpec configures an http probe.
type HTTPSpec struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"` // default GET
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	// Status lists the accepted status codes; empty accepts 200-299.
	Status          []int         `yaml:"status"`
	BodyContains    string        `yaml:"body_contains"`
	BodyRegexp      string        `yaml:"body_regexp"`
	DegradedLatency time.Duration `yaml:"degraded_latency"` // over it: degraded, not down
	// MaxRedirects is how many redirects are followed (default 10; 0 follows none,
	// and a redirect status is then judged like any other).
	MaxRedirects *int `yaml:"max_redirects"`
	// InsecureSkipVerify turns off certificate verification (on by default).
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	CAFile             string `yaml:"ca_file"` // extra trusted roots, PEM
}

// TCPSpec configures a tcp probe: connect, optionally send and expect.
type TCPSpec struct {
	Address string `yaml:"address"` // host:port
	Send    string `yaml:"send"`
	Expect  string `yaml:"expect"` // substring the first bytes read must contain
}

// DNSSpec configures a dns probe.
type DNSSpec struct {
	Name   string   `yaml:"name"`
	Type   string   `yaml:"type"`   // A (default), AAAA, CNAME, MX, TXT, NS
	Server string   `yaml:"server"` // host:port; default: the system resolver
	Expect []string `yaml:"expect"` // every one must be among the answers
}

// TLSSpec configures a tls probe: handshake and certificate expiry.
type TLSSpec struct {
	Address            string `yaml:"address"`     // host:port
	ServerName         string `yaml:"server_name"` // default: the host of Address
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	CAFile             string `yaml:"ca_file"`
}

// Kind names the probe type set in s: "http", "tcp", "dns" or "tls".
func (s *Spec) Kind() string {
	switch {
	case s.HTTP != nil:
		return "http"
	case s.TCP != nil:
		return "tcp"
	case s.DNS != nil:
		return "dns"
	case s.TLS != nil:
		return "tls"
	}
	return ""
}

// Result is the outcome of one probe attempt.
type Result struct {
	Service string
	Probe   string
	// Start is when the attempt began, truncated to the millisecond so it
	// survives a round trip through the store unchanged.
	Start    time.Time
	Duration time.Duration
	Success  bool
	// Degraded is set on a success that was slower than degraded_latency.
	Degraded bool
	// Err is the failure reason a person can act on, e.g.
	// "status 503, want [200]" or "connect: connection refused".
	Err string
	// Phases holds timings of the attempt's phases where the probe type has them.
	Phases Phases
	// CertExpiry is the earliest NotAfter of the peer's leaf certificate, when
	// the probe saw one (over a redirect chain, of every hop's leaf). It is
	// set for an expired or untrusted certificate too.
	CertExpiry time.Time
	// StatusCode is the HTTP status, for http probes.
	StatusCode int
}

// Phases are the timings of a probe attempt's phases; zero when not reached.
// Over a chain of HTTP redirects Resolve, Connect and TLS add up the hops.
type Phases struct {
	Resolve time.Duration // name lookup
	Connect time.Duration // TCP connect
	TLS     time.Duration // TLS handshake
	// FirstByte is the time from the start of the attempt to the first byte of
	// the (final) response; for dns probes, the round trip of the query.
	FirstByte time.Duration
}

// Prober runs one attempt of a compiled probe. The context carries the
// deadline that bounds the whole attempt.
type Prober interface {
	Probe(ctx context.Context) Result
}
