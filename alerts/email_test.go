package alerts

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

// aiosmtpdPython finds a python3 that can import aiosmtpd (Debian's
// python3-aiosmtpd): python3 on PATH, else /usr/bin/python3, which a
// pyenv or venv python3 on PATH may hide. Without one the test is skipped,
// unless SLAWATCH_INTEGRATION=required.
func aiosmtpdPython(t *testing.T) string {
	t.Helper()
	var candidates []string
	if py, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, py)
	}
	candidates = append(candidates, "/usr/bin/python3")
	for _, py := range candidates {
		if exec.Command(py, "-c", "import aiosmtpd.controller, aiosmtpd.handlers").Run() == nil {
			return py
		}
	}
	testutil.RequireBinary(t, "python3") // no python3 at all: skip, or fail in CI
	if os.Getenv("SLAWATCH_INTEGRATION") == "required" {
		t.Fatalf("no python3 among %q imports aiosmtpd, and SLAWATCH_INTEGRATION=required: install python3-aiosmtpd", candidates)
	}
	t.Skipf("no python3 among %q imports aiosmtpd (Debian: python3-aiosmtpd); set SLAWATCH_INTEGRATION=required to make this a failure", candidates)
	return ""
}

// smtpServer is a real SMTP server on loopback that stores what it gets in
// a Maildir.
type smtpServer struct {
	addr    string
	maildir string
}

// startAiosmtpd runs `python3 -m aiosmtpd`: plain SMTP, no STARTTLS, no
// AUTH, messages into a Maildir.
func startAiosmtpd(t *testing.T) smtpServer {
	t.Helper()
	py := aiosmtpdPython(t)
	s := smtpServer{addr: testutil.FreeAddr(t), maildir: filepath.Join(t.TempDir(), "Maildir")}
	cmd := exec.Command(py, "-m", "aiosmtpd", "-n", "-l", s.addr, "-c", "aiosmtpd.handlers.Mailbox", s.maildir)
	startSMTPProcess(t, cmd, s.addr, false)
	return s
}

// smtpTLSServer is a Python script around aiosmtpd's Controller: STARTTLS
// required, AUTH PLAIN/LOGIN (only after STARTTLS) against one user, a
// Maildir. It prints "ready" and serves until stdin closes or it is
// killed.
const smtpTLSServer = `
import ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

host, port, maildir, cert, key, user, password = sys.argv[1:8]

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
          and auth_data.password == password.encode())
    return AuthResult(success=ok, handled=False)

ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
c = Controller(Mailbox(maildir), hostname=host, port=int(port), tls_context=ctx,
               require_starttls=True, authenticator=authenticator, auth_require_tls=True)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
`

// startTLSSMTP runs smtpTLSServer with a fresh certificate for 127.0.0.1,
// and returns the server and the certificate's PEM file.
func startTLSSMTP(t *testing.T, user, password string) (smtpServer, string) {
	t.Helper()
	py := aiosmtpdPython(t)
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir)
	s := smtpServer{addr: testutil.FreeAddr(t), maildir: filepath.Join(dir, "Maildir")}
	host, port, _ := net.SplitHostPort(s.addr)
	cmd := exec.Command(py, "-c", smtpTLSServer, host, port, s.maildir, certFile, keyFile, user, password)
	startSMTPProcess(t, cmd, s.addr, true)
	return s, certFile
}

func startSMTPProcess(t *testing.T, cmd *exec.Cmd, addr string, waitReady bool) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Messages are in the Maildir by now (tests wait for them), and
		// Mailbox writes each one whole before it answers: nothing to
		// flush, so no need for a graceful stop.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		stdin.Close()
		if t.Failed() {
			t.Logf("SMTP server output:\n%s", logs.String())
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	if waitReady {
		select {
		case l := <-lines:
			if l != "ready" {
				t.Fatalf("SMTP server said %q\n%s", l, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("SMTP server not ready\n%s", logs.String())
		}
	}
	testutil.Eventually(t, 15*time.Second, "the SMTP server's greeting", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		return err == nil && strings.HasPrefix(line, "220")
	})
}

// writeTestCert writes a self-signed certificate for 127.0.0.1 and its key.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "slawatch test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
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
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// messages are the messages in the Maildir, oldest first, once there are n.
func (s smtpServer) messages(t *testing.T, n int) []*mail.Message {
	t.Helper()
	var files []string
	testutil.Eventually(t, 10*time.Second, fmt.Sprintf("%d messages in the Maildir", n), func() bool {
		files, _ = filepath.Glob(filepath.Join(s.maildir, "new", "*"))
		return len(files) >= n
	})
	type stamped struct {
		mod time.Time
		msg *mail.Message
	}
	var out []stamped
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(data)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		st, _ := os.Stat(f)
		out = append(out, stamped{st.ModTime(), m})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].mod.Before(out[j].mod) })
	msgs := make([]*mail.Message, len(out))
	for i, o := range out {
		msgs[i] = o.msg
	}
	return msgs
}

func bodyOf(t *testing.T, m *mail.Message) string {
	t.Helper()
	if m.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q", m.Header.Get("Content-Transfer-Encoding"))
	}
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\r\n", "\n")
}

func subjectOf(t *testing.T, m *mail.Message) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newEmailNotifier(t *testing.T, spec EmailSpec, dir string, env map[string]string) *emailNotifier {
	t.Helper()
	n, err := NewNotifier(ReceiverSpec{Name: "mail", Email: &spec}, dir, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	e := n.(*emailNotifier)
	e.now = func() time.Time { return rxT0.Add(2 * time.Minute) }
	return e
}

// TestEmailPlain sends through a real SMTP server without TLS (starttls:
// off, allowed explicitly) and reads the messages back from its Maildir.
func TestEmailPlain(t *testing.T) {
	t.Parallel()
	srv := startAiosmtpd(t)
	n := newEmailNotifier(t, EmailSpec{
		Smarthost: srv.addr, From: "slawatch <slawatch@example.com>",
		To: []string{"On call <oncall@example.com>", "managers@example.com"}, StartTLS: StartTLSOff,
		Hello: "mon1.example.com", Timeout: 10 * time.Second,
	}, "", nil)
	if s := n.String(); s != "email smtp://"+srv.addr+" to oncall@example.com, managers@example.com" {
		t.Errorf("String() = %q", s)
	}

	firing := rxFiring()
	firing.Alert.Annotations["summary"] = "portal down: status 503, want [200] — ü"
	for i := 0; i < 2; i++ { // the second is a resend: the same message again
		if retry, err := n.Notify(context.Background(), firing); err != nil {
			t.Fatalf("Notify = %v, %v", retry, err)
		}
	}
	if retry, err := n.Notify(context.Background(), rxResolved()); err != nil {
		t.Fatalf("resolved: Notify = %v, %v", retry, err)
	}
	msgs := srv.messages(t, 3)

	m := msgs[0]
	if got, want := subjectOf(t, m), "[P1] FIRING: portal down: status 503, want [200] — ü"; got != want {
		t.Errorf("Subject %q, want %q", got, want)
	}
	wantID := MessageID(firing.Key, "example.com")
	if got := m.Header.Get("Message-ID"); got != wantID {
		t.Errorf("Message-ID %q, want %q", got, wantID)
	}
	if got := msgs[1].Header.Get("Message-ID"); got != wantID {
		t.Errorf("the resend has Message-ID %q, want the same %q", got, wantID)
	}
	if got := msgs[2].Header.Get("Message-ID"); got == wantID || got != MessageID(rxResolved().Key, "example.com") {
		t.Errorf("the resolve has Message-ID %q", got)
	}
	if got := m.Header.Get("From"); got != `"slawatch" <slawatch@example.com>` {
		t.Errorf("From %q", got)
	}
	if got := m.Header.Get("To"); got != `"On call" <oncall@example.com>, <managers@example.com>` {
		t.Errorf("To %q", got)
	}
	if got := m.Header.Get("X-RcptTo"); got != "oncall@example.com, managers@example.com" {
		t.Errorf("envelope recipients %q", got)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(rxT0.Add(2*time.Minute)) {
		t.Errorf("Date %v, %v", d, err)
	}
	if m.Header.Get("Auto-Submitted") != "auto-generated" || m.Header.Get("X-Slawatch-Fingerprint") != rxAlert().Fingerprint() {
		t.Errorf("headers %v", m.Header)
	}
	body := bodyOf(t, m)
	for _, want := range []string{
		"[P1] FIRING: portal down: status 503, want [200] — ü\n",
		"\ncustomer-portal (production) is down since 2026-11-04 14:00:00 CET; probe health reports: status 503, want [200].\n",
		"\nStatus page: http://127.0.0.1:9477/#svc-customer-portal\n",
		"\nLabels:\n  alertname = ServiceDown\n  environment = production\n  probe = health\n  service = customer-portal\n  severity = P1\n",
		"\nAnnotations:\n",
		"\nStarted:      2026-11-04T13:00:00Z\nFired:        2026-11-04T13:01:00Z\n",
		"\nKey: " + firing.Key + "\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}

	r := msgs[2]
	if got := subjectOf(t, r); got != "[P1] RESOLVED: portal down: status 503, want [200]" {
		t.Errorf("resolved Subject %q", got)
	}
	rb := bodyOf(t, r)
	for _, want := range []string{"[P1] RESOLVED: portal down: status 503, want [200] (after 12m 30s)\n", "\nResolved:     2026-11-04T13:13:30Z\n"} {
		if !strings.Contains(rb, want) {
			t.Errorf("resolved body lacks %q:\n%s", want, rb)
		}
	}
}

// TestEmailRequiredWithoutSTARTTLS: the default, starttls: required, fails
// clearly and finally against a server that does not offer STARTTLS, and
// sends nothing.
func TestEmailRequiredWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	srv := startAiosmtpd(t)
	n := newEmailNotifier(t, EmailSpec{Smarthost: srv.addr, From: "slawatch@example.com", To: []string{"oncall@example.com"}}, "", nil)
	retry, err := n.Notify(context.Background(), rxFiring())
	if err == nil || retry || !strings.Contains(err.Error(), "does not offer STARTTLS, and starttls is required") {
		t.Fatalf("Notify = %v, %v; want a final error about STARTTLS", retry, err)
	}
	// Opportunistic sends in the clear.
	n.mode = StartTLSOpportunistic
	if retry, err := n.Notify(context.Background(), rxFiring()); err != nil {
		t.Fatalf("opportunistic: Notify = %v, %v", retry, err)
	}
	if msgs := srv.messages(t, 1); len(msgs) != 1 {
		t.Errorf("%d messages, want only the opportunistic one", len(msgs))
	}
}

// TestEmailAuthWithoutAUTH: a username against a server that offers no AUTH
// is a final error, not a message sent unauthenticated.
func TestEmailAuthWithoutAUTH(t *testing.T) {
	t.Parallel()
	srv := startAiosmtpd(t)
	n := newEmailNotifier(t, EmailSpec{Smarthost: srv.addr, From: "slawatch@example.com", To: []string{"oncall@example.com"},
		StartTLS: StartTLSOff, Username: "slawatch", PasswordEnv: "SMTP_PASS"}, "", map[string]string{"SMTP_PASS": "s3cret-pw"})
	retry, err := n.Notify(context.Background(), rxFiring())
	if err == nil || retry || !strings.Contains(err.Error(), "does not offer AUTH") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Notify = %v, %v; want a final error about AUTH", retry, err)
	}
}

// TestEmailSTARTTLSAndAuth sends through STARTTLS (a certificate verified
// against ca_file) and AUTH PLAIN with the password from a file.
func TestEmailSTARTTLSAndAuth(t *testing.T) {
	t.Parallel()
	srv, caFile := startTLSSMTP(t, "slawatch", "s3cret-pw")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "smtp.pass"), []byte("s3cret-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	spec := EmailSpec{Smarthost: srv.addr, From: "slawatch@example.com", To: []string{"oncall@example.com"},
		Username: "slawatch", PasswordFile: "smtp.pass", CAFile: caFile, Timeout: 10 * time.Second}
	n := newEmailNotifier(t, spec, dir, nil)
	if retry, err := n.Notify(context.Background(), rxFiring()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	msgs := srv.messages(t, 1)
	if got := subjectOf(t, msgs[0]); got != "[P1] FIRING: portal down: status 503, want [200]" {
		t.Errorf("Subject %q", got)
	}

	// A wrong password: 535, final, and the password is not in the error.
	spec.PasswordFile, spec.PasswordEnv = "", "SMTP_PASS"
	wrong := newEmailNotifier(t, spec, dir, map[string]string{"SMTP_PASS": "s3cret-wrong"})
	retry, err := wrong.Notify(context.Background(), rxFiring())
	if err == nil || retry || !strings.Contains(err.Error(), "535") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("wrong password: Notify = %v, %v; want a final 535", retry, err)
	}

	// Without the CA the certificate does not verify: final.
	spec.CAFile = ""
	untrusted := newEmailNotifier(t, spec, dir, map[string]string{"SMTP_PASS": "s3cret-pw"})
	retry, err = untrusted.Notify(context.Background(), rxFiring())
	if err == nil || retry || !strings.Contains(err.Error(), "STARTTLS: ") || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: Notify = %v, %v; want a final certificate error", retry, err)
	}

	// tls_skip_verify accepts it.
	spec.TLSSkipVerify = true
	skip := newEmailNotifier(t, spec, dir, map[string]string{"SMTP_PASS": "s3cret-pw"})
	if retry, err := skip.Notify(context.Background(), rxFiring()); err != nil {
		t.Errorf("tls_skip_verify: Notify = %v, %v", retry, err)
	}
	srv.messages(t, 2)
}

// TestEmailServerDown: nothing listening is retryable; so is a server that
// never answers, after the timeout.
func TestEmailServerDown(t *testing.T) {
	addr := testutil.FreeAddr(t)
	n := newEmailNotifier(t, EmailSpec{Smarthost: addr, From: "a@example.com", To: []string{"b@example.com"}, StartTLS: StartTLSOff}, "", nil)
	if retry, err := n.Notify(context.Background(), rxFiring()); err == nil || !retry || !strings.Contains(err.Error(), "connect: ") {
		t.Errorf("nothing listening: Notify = %v, %v; want retryable", retry, err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent: never greets
		}
	}()
	n = newEmailNotifier(t, EmailSpec{Smarthost: ln.Addr().String(), From: "a@example.com", To: []string{"b@example.com"},
		StartTLS: StartTLSOff, Timeout: 300 * time.Millisecond}, "", nil)
	start := time.Now()
	retry, err := n.Notify(context.Background(), rxFiring())
	if err == nil || !retry || !strings.Contains(err.Error(), "no answer within 300ms") {
		t.Errorf("silent server: Notify = %v, %v; want a retryable timeout", retry, err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Notify took %v with a 300ms timeout", el)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if retry, err := n.Notify(ctx, rxFiring()); err == nil || !retry {
		t.Errorf("canceled: Notify = %v, %v; want retryable", retry, err)
	}
}

func TestMessageID(t *testing.T) {
	a, b := MessageID("k1", "example.com"), MessageID("k1", "example.com")
	if a != b || a == MessageID("k2", "example.com") {
		t.Error("MessageID is not a function of the key")
	}
	if _, err := mail.ParseAddress(strings.Trim(a, "<>")); err != nil || !strings.HasSuffix(a, "@example.com>") {
		t.Errorf("MessageID = %q", a)
	}
}

func TestEmailMessageHeadersAreSafe(t *testing.T) {
	n := newEmailNotifier(t, EmailSpec{Smarthost: "127.0.0.1:25", From: "a@example.com", To: []string{"b@example.com"}, StartTLS: StartTLSOff}, "", nil)
	nf := rxFiring()
	nf.Alert.Annotations["summary"] = "down\r\nBcc: victim@example.com"
	nf.Key = "key\r\nBcc: victim@example.com"
	msg := string(n.message(nf, rxT0))
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	for _, l := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "bcc:") {
			t.Errorf("a value broke a header line: %q", l)
		}
	}
}
