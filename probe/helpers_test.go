package probe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert is a self-signed certificate for 127.0.0.1 that is its own root,
// with its PEM written to a file usable as ca_file.
type testCert struct {
	tls    tls.Certificate
	x509   *x509.Certificate
	caFile string
}

func newTestCert(t *testing.T, notBefore, notAfter time.Time) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "slawatch test"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{
		tls:    tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		x509:   leaf,
		caFile: writePEM(t, der),
	}
}

func writePEM(t *testing.T, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// quietServer silences the TLS handshake errors that failing probes cause on
// the server side.
func quietServer(s *httptest.Server) *httptest.Server {
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	return s
}

func startTLSServer(t *testing.T, cert testCert, h http.Handler) *httptest.Server {
	t.Helper()
	s := quietServer(httptest.NewUnstartedServer(h))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert.tls}}
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func startServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := quietServer(httptest.NewServer(h))
	t.Cleanup(s.Close)
	return s
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func mustNew(t *testing.T, spec Spec, opts ...Option) Prober {
	t.Helper()
	if spec.Service == "" {
		spec.Service = "svc"
	}
	if spec.Name == "" {
		spec.Name = "p"
	}
	if spec.Timeout == 0 {
		spec.Timeout = 5 * time.Second
	}
	p, err := New(spec, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func probeOnce(t *testing.T, spec Spec, opts ...Option) Result {
	t.Helper()
	return mustNew(t, spec, opts...).Probe(context.Background())
}

func wantFail(t *testing.T, r Result, prefix string) {
	t.Helper()
	if r.Success {
		t.Fatalf("Success = true, want failure %q", prefix)
	}
	if !strings.HasPrefix(r.Err, prefix) {
		t.Fatalf("Err = %q, want it to begin with %q", r.Err, prefix)
	}
}

func wantOK(t *testing.T, r Result) {
	t.Helper()
	if !r.Success || r.Err != "" {
		t.Fatalf("want success, got Success=%v Err=%q", r.Success, r.Err)
	}
}

func intp(n int) *int { return &n }
