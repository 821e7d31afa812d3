package probe

import (
	"bufio"
	"bytes"
	"net"
	"sync"
	"testing"
	"time"
)

// startTCP accepts connections and hands each to serve; it closes the
// connection after serve returns.
func startTCP(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				// Unblock serve when the test ends.
				go func() { <-done; c.Close() }()
				serve(c)
			})
		}
	})
	return l.Addr().String()
}

func TestTCPProbe(t *testing.T) {
	banner := func(keepOpen bool) func(net.Conn) {
		return func(c net.Conn) {
			c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			if keepOpen {
				c.Read(make([]byte, 1)) // until the probe hangs up
			}
		}
	}
	openBanner := startTCP(t, banner(true))
	closingBanner := startTCP(t, banner(false))
	echo := startTCP(t, func(c net.Conn) {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err == nil && line == "PING\n" {
			c.Write([]byte("+PONG\r\n"))
		}
	})
	flood := startTCP(t, func(c net.Conn) {
		chunk := bytes.Repeat([]byte("."), 4096)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	silent := startTCP(t, func(c net.Conn) { c.Read(make([]byte, 1)) })

	tests := []struct {
		name string
		spec TCPSpec
		err  string
	}{
		{"connect only", TCPSpec{Address: silent}, ""},
		{"banner", TCPSpec{Address: openBanner, Expect: "SSH-2.0"}, ""},
		{"send and expect", TCPSpec{Address: echo, Send: "PING\n", Expect: "PONG"}, ""},
		{"closed before expect", TCPSpec{Address: closingBanner, Expect: "220 "},
			`expect: "220 " not received (connection closed after 21 bytes)`},
		{"expect never comes", TCPSpec{Address: openBanner, Expect: "220 "},
			`timeout after 200ms waiting for "220 " (21 bytes read)`},
		{"read bounded", TCPSpec{Address: flood, Expect: "!"}, `expect: "!" not in the first 65536 bytes`},
		{"refused", TCPSpec{Address: closedAddr(t)}, "connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			start := time.Now()
			r := probeOnce(t, Spec{Timeout: 200 * time.Millisecond, TCP: &spec})
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("took %v", el)
			}
			if tt.err == "" {
				wantOK(t, r)
				if r.Phases.Connect <= 0 || (spec.Expect != "" && r.Phases.FirstByte <= 0) {
					t.Errorf("Phases = %+v", r.Phases)
				}
				return
			}
			if r.Success || r.Err != tt.err {
				t.Errorf("Success = %v, Err = %q; want %q", r.Success, r.Err, tt.err)
			}
		})
	}
}

func TestTCPProbeResolves(t *testing.T) {
	addr := startTCP(t, func(c net.Conn) {})
	_, port, _ := net.SplitHostPort(addr)
	r := probeOnce(t, Spec{TCP: &TCPSpec{Address: "localhost:" + port}})
	wantOK(t, r)

	res := resolverFor(startDNS(t))
	r = probeOnce(t, Spec{TCP: &TCPSpec{Address: "missing.test.:" + port}}, WithResolver(res))
	if r.Err != "dns: no such host" || r.Phases.Resolve <= 0 {
		t.Errorf("Err = %q, Resolve = %v; want dns: no such host", r.Err, r.Phases.Resolve)
	}
}
