package alerts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DefaultEmailTimeout bounds one SMTP conversation, connect to QUIT, when
// the spec gives no timeout.
const DefaultEmailTimeout = 30 * time.Second

// STARTTLS modes of an e-mail receiver.
const (
	// StartTLSRequired (the default) refuses to send unless the server
	// offers STARTTLS and the upgrade succeeds with a verified certificate.
	StartTLSRequired = "required"
	// StartTLSOpportunistic upgrades when the server offers STARTTLS and
	// sends in the clear otherwise; it never sends a password in the
	// clear (to anything but localhost).
	StartTLSOpportunistic = "opportunistic"
	// StartTLSOff never upgrades: for a relay on localhost or a trusted
	// network. With a username it is allowed only towards localhost.
	StartTLSOff = "off"
)

// EmailSpec is an e-mail receiver: one plain-text message per notification
// through an SMTP smarthost (a submission port with STARTTLS, or a local
// relay).
//
//	email: {smarthost: "smtp.example.com:587", from: "slawatch <slawatch@example.com>",
//	        to: [oncall@example.com], username: slawatch, password_file: smtp.pass}
type EmailSpec struct {
	Smarthost string   `yaml:"smarthost"` // host:port
	From      string   `yaml:"from"`      // an RFC 5322 address, with or without a name
	To        []string `yaml:"to"`
	// Username turns on AUTH PLAIN; the password comes from PasswordFile
	// (relative to the config file) or PasswordEnv.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`
	// StartTLS is required (default), opportunistic or off.
	StartTLS string `yaml:"starttls"`
	// TLSSkipVerify accepts any server certificate; CAFile (PEM) adds
	// the authorities that sign the server's certificate to the system's.
	TLSSkipVerify bool   `yaml:"tls_skip_verify"`
	CAFile        string `yaml:"ca_file"`
	// Hello is the name slawatch gives in EHLO; default the host name.
	Hello string `yaml:"hello"`
	// Timeout bounds one conversation; default DefaultEmailTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

var helloRE = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$`)

func (s *EmailSpec) check(p *specProblems, prefix string) {
	host := ""
	if s.Smarthost == "" {
		p.add(prefix+"smarthost", "required")
	} else if h, port, err := net.SplitHostPort(s.Smarthost); err != nil {
		p.add(prefix+"smarthost", "%s: want host:port, like smtp.example.com:587", quoteShort(s.Smarthost))
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		p.add(prefix+"smarthost", "%s: the port is not a number from 1 to 65535", quoteShort(s.Smarthost))
	} else if h == "" {
		p.add(prefix+"smarthost", "%s: no host", quoteShort(s.Smarthost))
	} else {
		host = h
	}
	if s.From == "" {
		p.add(prefix+"from", "required")
	} else if _, err := mail.ParseAddress(s.From); err != nil {
		p.add(prefix+"from", "%s is not an e-mail address: %v", quoteShort(s.From), err)
	}
	if len(s.To) == 0 {
		p.add(prefix+"to", "at least one address is required")
	}
	for i, to := range s.To {
		if _, err := mail.ParseAddress(to); err != nil {
			p.add(fmt.Sprintf("%sto[%d]", prefix, i), "%s is not an e-mail address: %v", quoteShort(to), err)
		}
	}
	switch {
	case s.Username == "":
		if s.PasswordFile != "" {
			p.add(prefix+"password_file", "set only with username")
		}
		if s.PasswordEnv != "" {
			p.add(prefix+"password_env", "set only with username")
		}
	case strings.ContainsAny(s.Username, "\r\n\x00"):
		p.add(prefix+"username", "holds a line break or NUL")
	case s.PasswordFile == "" && s.PasswordEnv == "":
		p.add(prefix+"username", "needs password_file or password_env")
	default:
		checkSecretSource(p, prefix, "password", s.PasswordFile, s.PasswordEnv, true)
	}
	switch s.StartTLS {
	case "", StartTLSRequired, StartTLSOpportunistic:
		if s.TLSSkipVerify && s.CAFile != "" {
			p.add(prefix+"ca_file", "set ca_file or tls_skip_verify, not both")
		}
	case StartTLSOff:
		if s.Username != "" && host != "" && !isLocalhost(host) {
			p.add(prefix+"starttls", "off would send the password in the clear to %s; use required or opportunistic", host)
		}
		if s.TLSSkipVerify {
			p.add(prefix+"tls_skip_verify", "has no effect with starttls: off")
		}
		if s.CAFile != "" {
			p.add(prefix+"ca_file", "has no effect with starttls: off")
		}
	default:
		p.add(prefix+"starttls", "%s is not one of required, opportunistic, off", quoteShort(s.StartTLS))
	}
	if strings.IndexByte(s.CAFile, 0) >= 0 {
		p.add(prefix+"ca_file", "holds a NUL byte")
	}
	if s.Hello != "" && !helloRE.MatchString(s.Hello) {
		p.add(prefix+"hello", "%s is not a host name or an address literal", quoteShort(s.Hello))
	}
	checkTimeout(p, prefix+"timeout", s.Timeout)
}

// isLocalhost is net/smtp's own test for where AUTH PLAIN may go in the
// clear.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

type emailNotifier struct {
	name      string
	addr      string // host:port
	host      string
	from      *mail.Address
	to        []*mail.Address
	username  string
	password  string
	mode      string
	tlsConfig *tls.Config
	hello     string
	timeout   time.Duration
	now       func() time.Time
}

func newEmail(name string, s EmailSpec, sec secretReader) (*emailNotifier, error) {
	host, _, _ := net.SplitHostPort(s.Smarthost) // Validate checked it
	from, _ := mail.ParseAddress(s.From)
	n := &emailNotifier{
		name:     name,
		addr:     s.Smarthost,
		host:     host,
		from:     from,
		username: s.Username,
		mode:     s.StartTLS,
		hello:    s.Hello,
		timeout:  s.Timeout,
		now:      time.Now,
	}
	for _, t := range s.To {
		a, _ := mail.ParseAddress(t)
		n.to = append(n.to, a)
	}
	if n.mode == "" {
		n.mode = StartTLSRequired
	}
	if n.timeout <= 0 {
		n.timeout = DefaultEmailTimeout
	}
	if n.hello == "" {
		n.hello = defaultHello()
	}
	if s.Username != "" {
		pw, err := sec.read("email.", "password", s.PasswordFile, s.PasswordEnv)
		if err != nil {
			return nil, err
		}
		n.password = pw
	}
	n.tlsConfig = &tls.Config{ServerName: host, InsecureSkipVerify: s.TLSSkipVerify, MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		path := sec.path(s.CAFile)
		pem, err := os.ReadFile(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("email.ca_file: %s: %v", path, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("email.ca_file: %s: no PEM certificate in it", path)
		}
		n.tlsConfig.RootCAs = pool
	}
	return n, nil
}

// defaultHello is the host name, when it is one EHLO may carry.
func defaultHello() string {
	if h, err := os.Hostname(); err == nil && helloRE.MatchString(h) {
		return h
	}
	return "localhost"
}

func (n *emailNotifier) String() string {
	to := make([]string, len(n.to))
	for i, a := range n.to {
		to[i] = a.Address
	}
	return "email smtp://" + n.addr + " to " + strings.Join(to, ", ")
}

// Notify sends one message. SMTP replies 4yz (and a server that cannot be
// reached) are retryable; 5yz replies, a failed TLS verification, and a
// server without the STARTTLS or AUTH a spec needs are final. A recipient
// refused with 5yz does not stop delivery to the others; the error then
// names it, and is final.
func (n *emailNotifier) Notify(ctx context.Context, nf Notification) (bool, error) {
	now := n.now()
	msg := n.message(nf, now)
	retry, err := n.send(ctx, msg)
	if err == nil {
		return false, nil
	}
	if ctx.Err() != nil {
		return true, fmt.Errorf("smtp %s: not sent: %w", n.addr, ctx.Err())
	}
	text := err.Error()
	if n.password != "" {
		text = scrubSecrets(text, []string{n.password})
	}
	return retry, fmt.Errorf("smtp %s: %s", n.addr, text)
}

// smtpStep wraps an error of one step of the conversation.
func smtpStep(step string, err error) error { return fmt.Errorf("%s: %w", step, err) }

func (n *emailNotifier) send(ctx context.Context, msg []byte) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(actx, "tcp", n.addr)
	if err != nil {
		var ne net.Error
		if ctx.Err() == nil && (actx.Err() != nil || errors.As(err, &ne) && ne.Timeout()) {
			return true, fmt.Errorf("connect: no answer within %s", n.timeout)
		}
		return true, smtpStep("connect", err)
	}
	defer conn.Close()
	deadline, _ := actx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(actx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	// Errors after this point that are timeouts (only the deadline above
	// makes them) read better as such.
	defer func() {
		var ne net.Error
		if err != nil && ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
			retry, err = true, fmt.Errorf("no answer within %s", n.timeout)
		}
	}()

	c, err := smtp.NewClient(conn, n.host)
	if err != nil {
		return smtpRetry(err), smtpStep("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(n.hello); err != nil {
		return smtpRetry(err), smtpStep("EHLO", err)
	}
	if n.mode != StartTLSOff {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(n.tlsConfig); err != nil {
				return smtpRetry(err), smtpStep("STARTTLS", err)
			}
		} else if n.mode == StartTLSRequired {
			return false, errors.New("the server does not offer STARTTLS, and starttls is required " +
				"(set starttls: opportunistic or off to send without encryption)")
		}
	}
	if n.username != "" {
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return false, errors.New("the server does not offer AUTH, but a username is set")
		}
		if !hasWordFold(mechs, "PLAIN") {
			return false, fmt.Errorf("the server offers AUTH %s, not PLAIN", oneLine(mechs))
		}
		if err := c.Auth(smtp.PlainAuth("", n.username, n.password, n.host)); err != nil {
			var tp *textproto.Error
			if !errors.As(err, &tp) {
				// net/smtp refusing to send the password in the clear.
				return false, smtpStep("AUTH PLAIN", err)
			}
			return smtpRetry(err), smtpStep("AUTH PLAIN", err)
		}
	}
	if err := c.Mail(n.from.Address); err != nil {
		return smtpRetry(err), smtpStep("MAIL FROM", err)
	}
	var accepted int
	var refused []string
	for _, to := range n.to {
		err := c.Rcpt(to.Address)
		switch {
		case err == nil:
			accepted++
		case !smtpRetry(err):
			refused = append(refused, fmt.Sprintf("%s (%v)", to.Address, err))
		default:
			_ = c.Reset() // send to nobody rather than to some twice
			return true, smtpStep("RCPT TO "+to.Address, err)
		}
	}
	if accepted == 0 {
		return false, fmt.Errorf("every recipient refused: %s", strings.Join(refused, "; "))
	}
	w, err := c.Data()
	if err != nil {
		return smtpRetry(err), smtpStep("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return true, smtpStep("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpRetry(err), smtpStep("DATA", err)
	}
	_ = c.Quit() // the message is accepted; a failed QUIT changes nothing
	if len(refused) > 0 {
		return false, fmt.Errorf("sent, but refused for %s", strings.Join(refused, "; "))
	}
	return false, nil
}

// smtpRetry classifies a failed step: a 4yz reply is transient, a 5yz one
// permanent; a certificate that does not verify needs the configuration
// changed; anything else (the connection) is worth retrying.
func smtpRetry(err error) bool {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		return tp.Code/100 == 4
	}
	var (
		cv *tls.CertificateVerificationError
		ua x509.UnknownAuthorityError
		he x509.HostnameError
		ci x509.CertificateInvalidError
		ra tls.RecordHeaderError
	)
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &ra) {
		return false
	}
	return true
}

func hasWordFold(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

// MessageID is the Message-ID of the e-mail for the notification with key,
// from an address at domain: the same key gives the same ID, so a message
// sent again is recognisably the same message.
func MessageID(key, domain string) string {
	sum := sha256.Sum256([]byte(key))
	if domain == "" {
		domain = "slawatch.invalid"
	}
	return "<slawatch." + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// message is the whole RFC 5322 message, CRLF line ends.
func (n *emailNotifier) message(nf Notification, now time.Time) []byte {
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	to := make([]string, len(n.to))
	for i, a := range n.to {
		to[i] = a.String()
	}
	domain := n.from.Address[strings.LastIndexByte(n.from.Address, '@')+1:]
	header("From", n.from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", truncateText(alertHeadline(nf, ": "), 250)))
	header("Date", now.Format(time.RFC1123Z))
	key := notificationKey(nf)
	header("Message-ID", MessageID(key, domain))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	header("X-Slawatch-Status", alertStatus(nf))
	header("X-Slawatch-Fingerprint", nf.Alert.Fingerprint())
	header("X-Slawatch-Key", mime.QEncoding.Encode("utf-8", truncateText(oneLine(key), 200)))
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(emailBody(nf)))
	_ = qp.Close()
	return b.Bytes()
}

// emailBody is the plain text of the message.
func emailBody(nf Notification) string {
	a := nf.Alert
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	head := alertHeadline(nf, ": ")
	if nf.Resolved {
		if d := alertDuration(a); d > 0 {
			head += " (after " + humanDuration(d) + ")"
		}
	}
	line("%s", head)
	if d := strings.TrimSpace(a.Annotations["description"]); d != "" {
		line("")
		line("%s", d)
	}
	if l := alertLink(nf); l != "" {
		line("")
		line("Status page: %s", l)
	}
	line("")
	line("Labels:")
	for _, k := range sortedKeys(a.Labels) {
		line("  %s = %s", k, oneLine(a.Labels[k]))
	}
	if len(a.Annotations) > 0 {
		line("Annotations:")
		for _, k := range sortedKeys(a.Annotations) {
			line("  %s = %s", k, oneLine(a.Annotations[k]))
		}
	}
	line("")
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	if !a.StartsAt.IsZero() {
		line("Started:      %s", stamp(a.StartsAt))
	}
	if !a.FiredAt.IsZero() {
		line("Fired:        %s", stamp(a.FiredAt))
	}
	if !a.EndsAt.IsZero() {
		line("Resolved:     %s", stamp(a.EndsAt))
	}
	if !a.AckedAt.IsZero() {
		by := ""
		if a.AckedBy != "" {
			by = " by " + oneLine(a.AckedBy)
		}
		line("Acknowledged: %s%s", stamp(a.AckedAt), by)
	}
	line("")
	line("Fingerprint: %s", a.Fingerprint())
	line("Key: %s", oneLine(notificationKey(nf)))
	if nf.ExternalURL != "" {
		line("-- ")
		line("slawatch %s", nf.ExternalURL)
	}
	return b.String()
}
