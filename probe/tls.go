package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"
)

type tlsProber struct {
	base
	addr     string
	cfg      *tls.Config // shared by attempts, never written after New
	resolver *net.Resolver
}

func newTLS(b base, t *TLSSpec, o *options) (*tlsProber, error) {
	var pool *x509.CertPool
	if t.CAFile != "" {
		var err error
		if pool, _, err = loadCAFile(t.CAFile); err != nil {
			return nil, fmt.Errorf("tls.ca_file: %v", err)
		}
	}
	name := t.ServerName
	if name == "" {
		name, _, _ = net.SplitHostPort(t.Address)
	}
	return &tlsProber{
		base: b,
		addr: t.Address,
		// An IP ServerName is checked against the IP SANs and sent without SNI.
		cfg:      &tls.Config{ServerName: name, RootCAs: pool, InsecureSkipVerify: t.InsecureSkipVerify},
		resolver: o.resolver,
	}, nil
}

func (p *tlsProber) Probe(ctx context.Context) Result {
	ctx, cancel, start, r := p.begin(ctx)
	defer cancel()
	conn, err := dialTimed(ctx, p.resolver, p.addr, &r.Phases)
	if err != nil {
		fail(ctx, &r, start, err)
		return r
	}
	defer conn.Close()
	tc := tls.Client(conn, p.cfg)
	t := time.Now()
	err = tc.HandshakeContext(ctx)
	r.Phases.TLS = time.Since(t)
	if err != nil {
		r.CertExpiry = leafExpiry(err) // an expired certificate still says when
		fail(ctx, &r, start, err)
		return r
	}
	if cs := tc.ConnectionState(); len(cs.PeerCertificates) > 0 {
		r.CertExpiry = cs.PeerCertificates[0].NotAfter
	}
	r.Duration = time.Since(start)
	r.Success = true
	return r
}
