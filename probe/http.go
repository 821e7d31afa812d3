package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"regexp"
	"strings"
	"sync"
	"time"
)

// maxBody is how much of a response body is read. More is not an error: the
// rest is left unread, and body matching sees only this much.
const maxBody = 1 << 20

type httpProber struct {
	base
	client       *http.Client
	method, url  string
	header       http.Header // shared by attempts, never written after New
	host         string      // a Host header from the config
	body         string
	status       []int
	want         string // status wanted, for the error text
	contains     []byte
	re           *regexp.Regexp
	degraded     time.Duration
	maxRedirects int
}

func newHTTP(b base, h *HTTPSpec, o *options) (*httpProber, error) {
	key := transportKey{insecure: h.InsecureSkipVerify, resolver: o.resolver}
	var pool *x509.CertPool
	if h.CAFile != "" {
		var err error
		if pool, key.ca, err = loadCAFile(h.CAFile); err != nil {
			return nil, fmt.Errorf("http.ca_file: %v", err)
		}
	}
	p := &httpProber{
		base:         b,
		method:       h.Method,
		url:          h.URL,
		header:       make(http.Header, len(h.Headers)+1),
		body:         h.Body,
		status:       h.Status,
		want:         "200-299",
		degraded:     h.DegradedLatency,
		maxRedirects: 10,
	}
	if p.method == "" {
		p.method = http.MethodGet
	}
	if len(h.Status) > 0 {
		p.want = fmt.Sprint(h.Status)
	}
	if h.MaxRedirects != nil {
		p.maxRedirects = *h.MaxRedirects
	}
	if h.BodyContains != "" {
		p.contains = []byte(h.BodyContains)
	}
	if h.BodyRegexp != "" {
		p.re = regexp.MustCompile(h.BodyRegexp) // Validate compiled it already
	}
	for k, v := range h.Headers {
		// net/http takes the Host header from Request.Host only. It changes
		// the header, not the TLS server name (like curl -H Host:).
		if strings.EqualFold(k, "Host") {
			p.host = v
			continue
		}
		p.header.Set(k, v)
	}
	if p.header.Get("User-Agent") == "" {
		p.header.Set("User-Agent", "slawatch-probe")
	}
	// Fail at load time rather than on every attempt.
	if _, err := http.NewRequest(p.method, p.url, nil); err != nil {
		return nil, fmt.Errorf("http.url: %v", errText(context.Background(), err, time.Time{}))
	}
	p.client = &http.Client{
		Transport:     sharedTransport(key, pool),
		CheckRedirect: p.checkRedirect,
	}
	return p, nil
}

func (p *httpProber) checkRedirect(_ *http.Request, via []*http.Request) error {
	if p.maxRedirects == 0 {
		return http.ErrUseLastResponse // judge the redirect itself
	}
	if len(via) > p.maxRedirects {
		return redirectError(p.maxRedirects)
	}
	return nil
}

type redirectError int

func (e redirectError) Error() string {
	if e == 1 {
		return "stopped after 1 redirect"
	}
	return fmt.Sprintf("stopped after %d redirects", int(e))
}

// bodyBufs recycles the buffers body matching reads into.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (p *httpProber) Probe(ctx context.Context) Result {
	ctx, cancel, start, r := p.begin(ctx)
	defer cancel()
	tr := &httpTrace{start: start}
	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, tr.hooks()), p.method, p.url, body)
	if err != nil {
		fail(ctx, &r, start, err)
		return r
	}
	req.Header = p.header
	if p.host != "" {
		req.Host = p.host
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if resp != nil { // stopped at a redirect
			r.StatusCode = resp.StatusCode
		}
		fail(ctx, &r, start, err)
		tr.result(&r)
		return r
	}
	r.StatusCode = resp.StatusCode

	// Read to the last byte (or maxBody): the duration covers the whole body.
	var buf *bytes.Buffer
	limited := io.LimitReader(resp.Body, maxBody)
	if p.contains != nil || p.re != nil {
		buf = bodyBufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(limited)
		defer bodyBufs.Put(buf)
	} else {
		_, err = io.Copy(io.Discard, limited)
	}
	// Without keep-alives this closes the connection, so a body over maxBody
	// is not drained.
	resp.Body.Close()
	r.Duration = time.Since(start)
	tr.result(&r)

	switch {
	case !p.statusOK(resp.StatusCode):
		r.Err = fmt.Sprintf("status %d, want %s", resp.StatusCode, p.want)
	case err != nil:
		if r.Err = errText(ctx, err, start); !strings.HasPrefix(r.Err, "timeout") {
			r.Err = "read body: " + r.Err
		}
	case p.contains != nil && !bytes.Contains(buf.Bytes(), p.contains):
		r.Err = clip(fmt.Sprintf("body does not contain %q", p.contains))
	case p.re != nil && !p.re.Match(buf.Bytes()):
		r.Err = clip(fmt.Sprintf("body does not match /%s/", p.re))
	default:
		r.Success = true
		r.Degraded = p.degraded > 0 && r.Duration > p.degraded
	}
	return r
}

func (p *httpProber) statusOK(code int) bool {
	if len(p.status) == 0 {
		return code >= 200 && code <= 299
	}
	for _, c := range p.status {
		if c == code {
			return true
		}
	}
	return false
}

// httpTrace collects phase timings and certificate expiry of one attempt.
// Hooks may run on transport goroutines, even after Do returned, hence mu.
type httpTrace struct {
	start time.Time

	mu                            sync.Mutex
	dnsStart, connStart, tlsStart time.Time
	phases                        Phases
	expiry                        time.Time
}

func (t *httpTrace) hooks() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			t.mu.Lock()
			t.dnsStart = time.Now()
			t.mu.Unlock()
		},
		DNSDone: func(httptrace.DNSDoneInfo) {
			t.mu.Lock()
			t.phases.Resolve += time.Since(t.dnsStart)
			t.mu.Unlock()
		},
		ConnectStart: func(string, string) {
			t.mu.Lock()
			if t.connStart.IsZero() { // Happy Eyeballs may start several
				t.connStart = time.Now()
			}
			t.mu.Unlock()
		},
		ConnectDone: func(_, _ string, err error) {
			t.mu.Lock()
			if err == nil && !t.connStart.IsZero() {
				t.phases.Connect += time.Since(t.connStart)
				t.connStart = time.Time{}
			}
			t.mu.Unlock()
		},
		TLSHandshakeStart: func() {
			t.mu.Lock()
			t.tlsStart = time.Now()
			t.mu.Unlock()
		},
		TLSHandshakeDone: func(cs tls.ConnectionState, err error) {
			t.mu.Lock()
			t.phases.TLS += time.Since(t.tlsStart)
			exp := leafExpiry(err)
			if err == nil && len(cs.PeerCertificates) > 0 {
				exp = cs.PeerCertificates[0].NotAfter
			}
			// Over redirects, the leaf that expires first.
			if !exp.IsZero() && (t.expiry.IsZero() || exp.Before(t.expiry)) {
				t.expiry = exp
			}
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			t.mu.Lock()
			t.phases.FirstByte = time.Since(t.start)
			t.mu.Unlock()
		},
	}
}

func (t *httpTrace) result(r *Result) {
	t.mu.Lock()
	r.Phases = t.phases
	r.CertExpiry = t.expiry
	t.mu.Unlock()
}

// Probes that trust the same roots share a transport. Keep-alives are off,
// so a transport holds no connections and sharing it only saves setup; every
// attempt still dials afresh and sees connect failures.
type transportKey struct {
	insecure bool
	ca       [32]byte // digest of the ca_file; zero for system roots only
	resolver *net.Resolver
}

var transports = struct {
	sync.Mutex
	m map[transportKey]*http.Transport
}{m: map[transportKey]*http.Transport{}}

func sharedTransport(k transportKey, pool *x509.CertPool) *http.Transport {
	transports.Lock()
	defer transports.Unlock()
	if t := transports.m[k]; t != nil {
		return t
	}
	// KeepAlive -1: no TCP keep-alive setup on a connection that lives for
	// one request.
	d := &net.Dialer{KeepAlive: -1, Resolver: k.resolver}
	t := &http.Transport{
		DialContext:       d.DialContext,
		TLSClientConfig:   &tls.Config{RootCAs: pool, InsecureSkipVerify: k.insecure},
		DisableKeepAlives: true,
		// No Proxy: a probe measures the path to the service, not to a proxy.
	}
	transports.m[k] = t
	return t
}
