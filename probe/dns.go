package probe

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

type dnsProber struct {
	base
	name   string // fully qualified
	qtype  uint16
	server string
	expect []string // normalised like the answers
}

func newDNS(b base, d *DNSSpec, o *options) (*dnsProber, error) {
	server := d.Server
	if server == "" {
		var err error
		if server, err = systemNameserver(o.resolvConf); err != nil {
			return nil, fmt.Errorf("dns.server: %v", err)
		}
	}
	p := &dnsProber{
		base:   b,
		name:   dns.Fqdn(d.Name),
		qtype:  dnsTypes[d.qtype()],
		server: server,
	}
	for _, e := range d.Expect {
		p.expect = append(p.expect, p.normalise(e))
	}
	return p, nil
}

// systemNameserver is the first nameserver of resolv.conf, read when the
// probe is compiled (a config reload picks up a change).
func systemNameserver(path string) (string, error) {
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return "", fmt.Errorf("not set, and the system resolver is unknown: %v", err)
	}
	if len(cc.Servers) == 0 {
		return "", fmt.Errorf("not set, and %s names no nameserver", path)
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}

func (p *dnsProber) Probe(ctx context.Context) Result {
	ctx, cancel, start, r := p.begin(ctx)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion(p.name, p.qtype)
	// The client's own timeouts (2s by default) would cut the attempt short
	// of the probe's timeout; the context's deadline bounds it instead.
	c := dns.Client{Net: "udp", Timeout: time.Until(deadline(ctx))}
	in, rtt, err := c.ExchangeContext(ctx, m, p.server)
	if err == nil && in.Truncated {
		c.Net = "tcp" // the answer did not fit a datagram
		in, rtt, err = c.ExchangeContext(ctx, m, p.server)
	}
	if err != nil {
		fail(ctx, &r, start, err)
		if !strings.HasPrefix(r.Err, "timeout") && r.Err != "canceled" {
			r.Err = clip("dns: " + p.server + ": " + r.Err)
		}
		return r
	}
	r.Duration = time.Since(start)
	r.Phases.FirstByte = rtt
	name := strings.TrimSuffix(p.name, ".")
	switch in.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		r.Err = fmt.Sprintf("dns: %s does not exist (NXDOMAIN)", name)
		return r
	case dns.RcodeServerFailure:
		r.Err = fmt.Sprintf("dns: server failure (SERVFAIL) for %s", name)
		return r
	default:
		r.Err = fmt.Sprintf("dns: %s for %s", dns.RcodeToString[in.Rcode], name)
		return r
	}
	got := p.answers(in.Answer)
	if len(got) == 0 {
		r.Err = fmt.Sprintf("dns: no %s records for %s", dns.TypeToString[p.qtype], name)
		return r
	}
	for _, e := range p.expect {
		if !slices.Contains(got, e) && !(p.qtype == dns.TypeMX && slices.Contains(got, mxHost(e))) {
			r.Err = clip(fmt.Sprintf("dns: %s %s lacks %q (got %s)", name, dns.TypeToString[p.qtype], e, strings.Join(got, ", ")))
			return r
		}
	}
	r.Success = true
	return r
}

// answers lists the records of the asked type (a CNAME chain leading to them
// is left out) in the form expect values are compared in.
func (p *dnsProber) answers(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		if rr.Header().Rrtype != p.qtype {
			continue
		}
		switch rr := rr.(type) {
		case *dns.A:
			out = append(out, p.normalise(rr.A.String()))
		case *dns.AAAA:
			out = append(out, p.normalise(rr.AAAA.String()))
		case *dns.CNAME:
			out = append(out, p.normalise(rr.Target))
		case *dns.NS:
			out = append(out, p.normalise(rr.Ns))
		case *dns.MX:
			out = append(out, p.normalise(rr.Mx))
		case *dns.TXT:
			out = append(out, strings.Join(rr.Txt, ""))
		}
	}
	return out
}

// normalise puts an answer or expected value in a canonical form: addresses
// as netip prints them, names in lower case without the final dot.
func (p *dnsProber) normalise(v string) string {
	switch p.qtype {
	case dns.TypeA, dns.TypeAAAA:
		if ip, err := netip.ParseAddr(v); err == nil {
			return ip.Unmap().String()
		}
		return v
	case dns.TypeTXT:
		return v
	}
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(v)), ".")
}

// mxHost takes the host out of an expected "10 mx.example.com".
func mxHost(e string) string {
	if pref, host, ok := strings.Cut(e, " "); ok {
		if _, err := strconv.Atoi(pref); err == nil {
			return strings.TrimSpace(host)
		}
	}
	return e
}

// deadline is ctx's deadline; begin always sets one.
func deadline(ctx context.Context) time.Time {
	dl, _ := ctx.Deadline()
	return dl
}
