package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// maxErrText bounds an error text: it ends up in outages, alerts and pages.
const maxErrText = 256

// errText turns the error of an attempt into a short, stable text a person
// can act on: it drops URLs (they may hold credentials) and addresses the
// config already names, and keeps the reason.
func errText(ctx context.Context, err error, start time.Time) string {
	// Canceled first: a canceled probe's connection deadline is set to the
	// past to unblock it, which would otherwise read as a timeout.
	if errors.Is(ctx.Err(), context.Canceled) {
		return "canceled"
	}
	if isTimeout(ctx, err) {
		return timeoutText(ctx, start)
	}
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	if s, ok := tlsText(err); ok {
		return s
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return "dns: no such host"
		}
		return "dns: " + dnsErr.Err
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		op := opErr.Op
		if op == "dial" {
			op = "connect"
		}
		inner := opErr.Err
		var sys *os.SyscallError
		if errors.As(inner, &sys) {
			inner = sys.Err // "connect: connection refused", not the syscall twice
		}
		return clip(op + ": " + inner.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection closed early (unexpected EOF)"
	}
	if errors.Is(err, io.EOF) {
		return "connection closed without a response"
	}
	return clip(strings.TrimPrefix(err.Error(), "net/http: "))
}

// isTimeout reports whether err is the attempt running out of time. Probes
// set connection deadlines only from the context, so a deadline error on a
// connection is the context's deadline too.
func isTimeout(ctx context.Context, err error) bool {
	return errors.Is(ctx.Err(), context.DeadlineExceeded) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, os.ErrDeadlineExceeded)
}

// timeoutText says how long the attempt had: "timeout after 10s".
func timeoutText(ctx context.Context, start time.Time) string {
	if dl, ok := ctx.Deadline(); ok {
		if d := dl.Sub(start).Round(time.Millisecond); d > 0 {
			return "timeout after " + d.String()
		}
	}
	return "timeout"
}

// tlsText describes certificate and handshake failures.
func tlsText(err error) (string, bool) {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		if inv.Reason == x509.Expired && inv.Cert != nil {
			if time.Now().Before(inv.Cert.NotBefore) {
				return "tls: certificate is not yet valid (not before " + stamp(inv.Cert.NotBefore) + ")", true
			}
			return "tls: certificate has expired (not after " + stamp(inv.Cert.NotAfter) + ")", true
		}
		return clip("tls: " + strings.TrimPrefix(inv.Error(), "x509: ")), true
	}
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		s := "tls: certificate signed by unknown authority"
		if ua.Cert != nil && ua.Cert.Issuer.CommonName != "" {
			s += fmt.Sprintf(" (issuer %q)", ua.Cert.Issuer.CommonName)
		}
		return clip(s), true
	}
	var he x509.HostnameError
	if errors.As(err, &he) {
		return clip("tls: " + strings.TrimPrefix(he.Error(), "x509: ")), true
	}
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) {
		return clip("tls: " + strings.TrimPrefix(ve.Err.Error(), "x509: ")), true
	}
	var rh tls.RecordHeaderError
	if errors.As(err, &rh) {
		return clip("tls: " + strings.TrimPrefix(rh.Msg, "tls: ")), true
	}
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return alert.Error(), true
	}
	return "", false
}

// leafExpiry is the NotAfter of the leaf a failed verification saw, so an
// expired certificate still reports when it expired.
func leafExpiry(err error) time.Time {
	var ve *tls.CertificateVerificationError
	if errors.As(err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		return ve.UnverifiedCertificates[0].NotAfter
	}
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Cert != nil && !inv.Cert.IsCA {
		return inv.Cert.NotAfter
	}
	return time.Time{}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func clip(s string) string {
	if len(s) <= maxErrText {
		return s
	}
	return strings.ToValidUTF8(s[:maxErrText-3], "") + "..."
}
