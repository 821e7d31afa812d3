package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

// smallDisk mounts a tmpfs of the given size for the test, so a full disk
// can be made for real. It needs root (as CI has); elsewhere it skips
// unless SLAWATCH_INTEGRATION=required.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	mnt := filepath.Join(t.TempDir(), "disk")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	mountForTest(t, "a tmpfs", mnt, "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt)
	return mnt
}

// mountForTest runs mount with args, which mount something (what, for
// messages) on mnt, and unmounts it when the test ends. Mounting needs root
// (as CI has); elsewhere the test skips unless SLAWATCH_INTEGRATION=required.
func mountForTest(t *testing.T, what, mnt string, args ...string) {
	t.Helper()
	if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
		if os.Getenv("SLAWATCH_INTEGRATION") == "required" {
			t.Fatalf("mount %s for the test: %v: %s", what, err, out)
		}
		t.Skipf("cannot mount %s here (%v); the test needs root", what, err)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
}

// TestE2EFullDiskMakesDaemonNotReady: when the store's disk fills up the
// daemon keeps running, says why on /-/ready (503), and is ready again once
// there is room; the results held meanwhile are written then.
func TestE2EFullDiskMakesDaemonNotReady(t *testing.T) {
	disk := smallDisk(t, "4m")
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 100*time.Millisecond)
	b, _ := os.ReadFile(cfg)
	b = []byte(strings.Replace(string(b), "  path: slawatch.db", "  path: "+filepath.Join(disk, "slawatch.db"), 1))
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, cfg, addr)

	// Fill the disk.
	filler := filepath.Join(disk, "filler")
	_ = exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=64k").Run() // stops at "No space left"
	testutil.Eventually(t, 20*time.Second, "not ready on a full disk", func() bool {
		code, body := readyz(addr)
		return code == http.StatusServiceUnavailable && strings.Contains(body, "cannot be written")
	})
	// Still serving: health and the API answer.
	if resp, err := http.Get("http://" + addr + "/-/healthy"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("not healthy while the disk is full: %v", err)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "ready again with room", func() bool { code, _ := readyz(addr); return code == 200 })
	d.stop(t)
}

// TestE2EAPIOverTLS: with tls_cert_file and tls_key_file the API is served
// over HTTPS only, and a write still needs the token.
func TestE2EAPIOverTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	if err := os.WriteFile(filepath.Join(dir, "api.crt"), certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "api.key"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, 200*time.Millisecond)
	b, _ := os.ReadFile(cfg)
	b = []byte(strings.Replace(string(b), "  api_tokens_file: tokens.txt\n", "  api_tokens_file: tokens.txt\n  tls_cert_file: api.crt\n  tls_key_file: api.key\n", 1))
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "run", "--config", cfg)
	var logs strings.Builder
	cmd.Stderr = &syncWriter{w: &logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	testutil.Eventually(t, 20*time.Second, "ready over https", func() bool {
		resp, err := client.Get("https://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	// Plain HTTP gets no API.
	if resp, err := http.Get("http://" + addr + "/api/v1/services"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "services") {
			t.Fatal("the API answered over plain HTTP")
		}
	}
	req, _ := http.NewRequest("POST", "https://"+addr+"/-/reload", nil)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("reload over https without a token: %v %v", resp, err)
	}
	resp.Body.Close()
	req.Header.Set("Authorization", "Bearer "+testToken)
	if resp, err := client.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("reload over https with the token: %v %v\n%s", resp, err, logs.String())
	}
}

// selfSigned makes a certificate for 127.0.0.1, PEM-encoded.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "slawatch test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
