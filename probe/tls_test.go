package probe

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestTLSProbe(t *testing.T) {
	srv := quietServer(httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	leaf := srv.Certificate()
	ca := writePEM(t, leaf.Raw)

	r := probeOnce(t, Spec{TLS: &TLSSpec{Address: addr, CAFile: ca}})
	wantOK(t, r)
	if !r.CertExpiry.Equal(leaf.NotAfter) {
		t.Errorf("CertExpiry = %v, want %v", r.CertExpiry, leaf.NotAfter)
	}
	if r.Phases.Connect <= 0 || r.Phases.TLS <= 0 {
		t.Errorf("Phases = %+v", r.Phases)
	}

	// httptest's certificate is for example.com and 127.0.0.1.
	wantOK(t, probeOnce(t, Spec{TLS: &TLSSpec{Address: addr, CAFile: ca, ServerName: "example.com"}}))
	r = probeOnce(t, Spec{TLS: &TLSSpec{Address: addr, CAFile: ca, ServerName: "portal.example.org"}})
	wantFail(t, r, "tls: certificate is valid for example.com")

	r = probeOnce(t, Spec{TLS: &TLSSpec{Address: addr}})
	wantFail(t, r, "tls: certificate signed by unknown authority")
	if !r.CertExpiry.Equal(leaf.NotAfter) {
		t.Errorf("untrusted: CertExpiry = %v, want %v", r.CertExpiry, leaf.NotAfter)
	}
	wantOK(t, probeOnce(t, Spec{TLS: &TLSSpec{Address: addr, InsecureSkipVerify: true}}))
}

func TestTLSProbeExpired(t *testing.T) {
	expiredAt := time.Now().Add(-time.Hour).Truncate(time.Second)
	cert := newTestCert(t, time.Now().Add(-72*time.Hour), expiredAt)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.tls}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()

	r := probeOnce(t, Spec{TLS: &TLSSpec{Address: l.Addr().String(), CAFile: cert.caFile}})
	want := "tls: certificate has expired (not after " + expiredAt.UTC().Format(time.RFC3339) + ")"
	if r.Success || r.Err != want {
		t.Fatalf("Err = %q, want %q", r.Err, want)
	}
	if !r.CertExpiry.Equal(expiredAt) {
		t.Errorf("CertExpiry = %v, want %v", r.CertExpiry, expiredAt)
	}
	// With verification off the probe succeeds and still reports the expiry,
	// for the certificate alerts to act on.
	r = probeOnce(t, Spec{TLS: &TLSSpec{Address: l.Addr().String(), InsecureSkipVerify: true}})
	wantOK(t, r)
	if !r.CertExpiry.Equal(expiredAt) {
		t.Errorf("insecure: CertExpiry = %v, want %v", r.CertExpiry, expiredAt)
	}
}

func TestTLSProbeFailures(t *testing.T) {
	plain := startTCP(t, func(c net.Conn) { c.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n")) })
	r := probeOnce(t, Spec{TLS: &TLSSpec{Address: plain}})
	wantFail(t, r, "tls: ")

	hang := startTCP(t, func(c net.Conn) { c.Read(make([]byte, 1<<16)); c.Read(make([]byte, 1)) })
	r = probeOnce(t, Spec{Timeout: 200 * time.Millisecond, TLS: &TLSSpec{Address: hang}})
	if r.Err != "timeout after 200ms" {
		t.Errorf("Err = %q, want timeout after 200ms", r.Err)
	}

	r = probeOnce(t, Spec{TLS: &TLSSpec{Address: closedAddr(t)}})
	if r.Err != "connect: connection refused" {
		t.Errorf("Err = %q, want connect: connection refused", r.Err)
	}
}
