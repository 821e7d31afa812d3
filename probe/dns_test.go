package probe

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDNS serves a small test zone over UDP and TCP on one loopback port:
//
//	ok.test       A 192.0.2.1, 192.0.2.2; AAAA 2001:db8::1; MX 10 mx.ok.test;
//	              TXT "v=spf1" " -all"; NS ns1.ok.test
//	www.test      CNAME ok.test (and, for A, the A records after it)
//	big.test      A 192.0.2.7, truncated over UDP so it needs TCP
//	missing.test  NXDOMAIN (so is every name not listed)
//	broken.test   SERVFAIL
//	empty.test    no records
//	slow.test     no reply at all
func startDNS(t *testing.T) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		rr := func(s string) dns.RR {
			r, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			return r
		}
		_, udp := w.RemoteAddr().(*net.UDPAddr)
		switch strings.ToLower(q.Name) {
		case "ok.test.":
			switch q.Qtype {
			case dns.TypeA:
				m.Answer = append(m.Answer, rr("ok.test. 60 IN A 192.0.2.1"), rr("ok.test. 60 IN A 192.0.2.2"))
			case dns.TypeAAAA:
				m.Answer = append(m.Answer, rr("ok.test. 60 IN AAAA 2001:db8::1"))
			case dns.TypeMX:
				m.Answer = append(m.Answer, rr("ok.test. 60 IN MX 10 mx.ok.test."))
			case dns.TypeTXT:
				m.Answer = append(m.Answer, rr(`ok.test. 60 IN TXT "v=spf1" " -all"`))
			case dns.TypeNS:
				m.Answer = append(m.Answer, rr("ok.test. 60 IN NS ns1.ok.test."))
			}
		case "www.test.":
			m.Answer = append(m.Answer, rr("www.test. 60 IN CNAME ok.test."))
			if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, rr("ok.test. 60 IN A 192.0.2.1"))
			}
		case "big.test.":
			if udp {
				m.Truncated = true
			} else if q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, rr("big.test. 60 IN A 192.0.2.7"))
			}
		case "broken.test.":
			m.Rcode = dns.RcodeServerFailure
		case "empty.test.":
		case "slow.test.":
			return // no reply: the client times out
		default:
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})

	// UDP and TCP on the same port, as a real server has; retry in the rare
	// case the UDP port is taken.
	for range 10 {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", tl.Addr().String())
		if err != nil {
			tl.Close()
			continue
		}
		udp := &dns.Server{PacketConn: pc, Handler: handler}
		tcp := &dns.Server{Listener: tl, Handler: handler}
		go func() { _ = udp.ActivateAndServe() }()
		go func() { _ = tcp.ActivateAndServe() }()
		t.Cleanup(func() {
			_ = udp.Shutdown()
			_ = tcp.Shutdown()
		})
		return tl.Addr().String()
	}
	t.Fatal("no free port for the DNS server")
	return ""
}

// resolverFor is a net.Resolver that asks only the test DNS server.
func resolverFor(server string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, server)
		},
	}
}

func TestDNSProbe(t *testing.T) {
	server := startDNS(t)
	tests := []struct {
		name string
		spec DNSSpec
		err  string // "" for success; else the exact text
	}{
		{"A", DNSSpec{Name: "ok.test"}, ""},
		{"A expected", DNSSpec{Name: "ok.test", Type: "A", Expect: []string{"192.0.2.2", "192.0.2.1"}}, ""},
		{"A missing value", DNSSpec{Name: "ok.test", Expect: []string{"192.0.2.1", "192.0.2.9"}},
			`dns: ok.test A lacks "192.0.2.9" (got 192.0.2.1, 192.0.2.2)`},
		{"AAAA normalised", DNSSpec{Name: "ok.test", Type: "AAAA", Expect: []string{"2001:DB8:0::1"}}, ""},
		{"MX host", DNSSpec{Name: "ok.test", Type: "mx", Expect: []string{"MX.ok.test."}}, ""},
		{"MX with preference", DNSSpec{Name: "ok.test", Type: "MX", Expect: []string{"10 mx.ok.test"}}, ""},
		{"TXT joined", DNSSpec{Name: "ok.test", Type: "TXT", Expect: []string{"v=spf1 -all"}}, ""},
		{"NS", DNSSpec{Name: "ok.test", Type: "NS", Expect: []string{"ns1.ok.test"}}, ""},
		{"CNAME", DNSSpec{Name: "www.test", Type: "CNAME", Expect: []string{"ok.test"}}, ""},
		{"A through CNAME", DNSSpec{Name: "www.test", Expect: []string{"192.0.2.1"}}, ""},
		{"truncated retried over TCP", DNSSpec{Name: "big.test", Expect: []string{"192.0.2.7"}}, ""},
		{"NXDOMAIN", DNSSpec{Name: "missing.test"}, "dns: missing.test does not exist (NXDOMAIN)"},
		{"SERVFAIL", DNSSpec{Name: "broken.test"}, "dns: server failure (SERVFAIL) for broken.test"},
		{"empty", DNSSpec{Name: "empty.test"}, "dns: no A records for empty.test"},
		{"no MX", DNSSpec{Name: "www.test", Type: "MX"}, "dns: no MX records for www.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.Server = server
			r := probeOnce(t, Spec{DNS: &spec})
			if tt.err == "" {
				wantOK(t, r)
				if r.Phases.FirstByte <= 0 || r.Duration <= 0 {
					t.Errorf("Phases.FirstByte = %v, Duration = %v; want both > 0", r.Phases.FirstByte, r.Duration)
				}
				return
			}
			wantFail(t, r, tt.err)
			if r.Err != tt.err {
				t.Errorf("Err = %q, want %q", r.Err, tt.err)
			}
		})
	}
}

func TestDNSProbeTimeout(t *testing.T) {
	server := startDNS(t)
	start := time.Now()
	r := probeOnce(t, Spec{Timeout: 200 * time.Millisecond, DNS: &DNSSpec{Name: "slow.test", Server: server}})
	if r.Err != "timeout after 200ms" {
		t.Fatalf("Err = %q, want timeout after 200ms", r.Err)
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestDNSProbeServerDown(t *testing.T) {
	// Nothing listens: on loopback the kernel answers the datagram with
	// "port unreachable", which reads as connection refused.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	r := probeOnce(t, Spec{Timeout: time.Second, DNS: &DNSSpec{Name: "ok.test", Server: addr}})
	wantFail(t, r, "dns: "+addr+": ")
	if !strings.Contains(r.Err, "connection refused") {
		t.Errorf("Err = %q, want connection refused", r.Err)
	}
}

func TestDNSDefaultServerFromResolvConf(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(conf, []byte("search example.org\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withConf := func(path string) Option { return func(o *options) { o.resolvConf = path } }
	p, err := New(Spec{Name: "d", DNS: &DNSSpec{Name: "ok.test"}}, withConf(conf))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.(*dnsProber).server; got != "192.0.2.53:53" {
		t.Errorf("server = %q, want the first nameserver 192.0.2.53:53", got)
	}

	empty := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(empty, []byte("search example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Spec{Name: "d", DNS: &DNSSpec{Name: "ok.test"}}, withConf(empty)); err == nil || !strings.HasPrefix(err.Error(), "dns.server: ") {
		t.Errorf("err = %v, want dns.server: …", err)
	}
}
