package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// maxTCPRead bounds how much a tcp probe reads while looking for expect.
const maxTCPRead = 64 << 10

type tcpProber struct {
	base
	addr     string
	send     []byte
	expect   []byte
	resolver *net.Resolver
}

func newTCP(b base, t *TCPSpec, o *options) *tcpProber {
	p := &tcpProber{base: b, addr: t.Address, resolver: o.resolver}
	if t.Send != "" {
		p.send = []byte(t.Send)
	}
	if t.Expect != "" {
		p.expect = []byte(t.Expect)
	}
	return p
}

func (p *tcpProber) Probe(ctx context.Context) Result {
	ctx, cancel, start, r := p.begin(ctx)
	defer cancel()
	conn, err := dialTimed(ctx, p.resolver, p.addr, &r.Phases)
	if err != nil {
		fail(ctx, &r, start, err)
		return r
	}
	defer conn.Close()
	defer bindDeadline(ctx, conn)()

	if len(p.send) > 0 {
		if _, err := conn.Write(p.send); err != nil {
			fail(ctx, &r, start, err)
			return r
		}
	}
	if len(p.expect) > 0 {
		if err := p.readExpect(ctx, conn, start, &r); err != "" {
			r.Duration = time.Since(start)
			r.Err = err
			return r
		}
	}
	r.Duration = time.Since(start)
	r.Success = true
	return r
}

// readExpect reads until expect is seen, maxTCPRead bytes were read, the
// peer closes or time runs out; it returns the failure text or "".
func (p *tcpProber) readExpect(ctx context.Context, conn net.Conn, start time.Time, r *Result) string {
	buf := make([]byte, 0, 4<<10)
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxTCPRead {
				return clip(fmt.Sprintf("expect: %q not in the first %d bytes", p.expect, len(buf)))
			}
			grown := make([]byte, len(buf), min(2*cap(buf), maxTCPRead))
			copy(grown, buf)
			buf = grown
		}
		n, err := conn.Read(buf[len(buf):cap(buf)])
		if n > 0 && r.Phases.FirstByte == 0 {
			r.Phases.FirstByte = time.Since(start)
		}
		// Search only where a new match can be: the new bytes and the
		// len(expect)-1 before them.
		from := max(0, len(buf)-len(p.expect)+1)
		buf = buf[:len(buf)+n]
		if bytes.Contains(buf[from:], p.expect) {
			return ""
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			return clip(fmt.Sprintf("expect: %q not received (connection closed after %d bytes)", p.expect, len(buf)))
		case isTimeout(ctx, err) && !errors.Is(ctx.Err(), context.Canceled):
			return clip(fmt.Sprintf("%s waiting for %q (%d bytes read)", timeoutText(ctx, start), p.expect, len(buf)))
		default:
			return errText(ctx, err, start)
		}
	}
}

// bindDeadline makes the context's deadline and cancellation apply to conn
// and returns a func that stops the binding.
func bindDeadline(ctx context.Context, conn net.Conn) func() bool {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() {
		_ = conn.SetDeadline(time.Unix(1, 0)) // in the past: unblock now
	})
}

// dialTimed connects to a host:port over TCP, timing the name lookup and the
// connect separately (net.Dialer does both and tells neither).
func dialTimed(ctx context.Context, resolver *net.Resolver, addr string, ph *Phases) (net.Conn, error) {
	d := net.Dialer{KeepAlive: -1}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(host); err == nil {
		t := time.Now()
		c, err := d.DialContext(ctx, "tcp", addr)
		ph.Connect = time.Since(t)
		return c, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", portStr, err)
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	t := time.Now()
	ips, err := resolver.LookupNetIP(ctx, "ip", host)
	ph.Resolve = time.Since(t)
	if err != nil {
		return nil, err
	}
	t = time.Now()
	defer func() { ph.Connect = time.Since(t) }()
	var first error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(ip.Unmap(), uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if first == nil {
		first = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return nil, first
}
