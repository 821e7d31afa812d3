package alerts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
)

// Kinds of receiver, the keys of a receiver in alerts.receivers.
const (
	ReceiverAlertmanager = "alertmanager"
	ReceiverWebhook      = "webhook"
	ReceiverSlack        = "slack"
	ReceiverPagerDuty    = "pagerduty"
	ReceiverEmail        = "email"
)

// DefaultReceiverTimeout bounds one HTTP delivery attempt when the spec
// gives no timeout. E-mail has its own, DefaultEmailTimeout.
const DefaultReceiverTimeout = 10 * time.Second

// MaxRetryAfter caps the wait a receiver may ask for with Retry-After, so
// that a bogus header cannot park a notification for days.
const MaxRetryAfter = time.Hour

// errBodyLimit is how much of a receiver's error response ends up in the
// error text.
const errBodyLimit = 512

// ReceiverSpec is one entry of alerts.receivers in the config (SPEC §7).
// Exactly one kind is set:
//
//	receivers:
//	  - {name: oncall, alertmanager: {url: "http://127.0.0.1:9093"}}
//	  - {name: hooks, webhook: {url: "https://hooks.example.com/slawatch", secret_file: hook.secret}}
//	  - {name: chat, slack: {url_file: slack.url, channel: "#ops"}}
//	  - {name: pager, pagerduty: {routing_key_env: PD_ROUTING_KEY}}
//	  - {name: mail, email: {smarthost: "smtp.example.com:587", from: slawatch@example.com,
//	                         to: [ops@example.com], username: slawatch, password_file: smtp.pass}}
//
// Secrets (webhook signing secrets, Slack URLs, PagerDuty routing keys,
// SMTP passwords) come from a file or an environment variable, never from
// the config text.
type ReceiverSpec struct {
	Name         string            `yaml:"name"`
	Alertmanager *AlertmanagerSpec `yaml:"alertmanager"`
	Webhook      *WebhookSpec      `yaml:"webhook"`
	Slack        *SlackSpec        `yaml:"slack"`
	PagerDuty    *PagerDutySpec    `yaml:"pagerduty"`
	Email        *EmailSpec        `yaml:"email"`
}

// Kind is the kind of receiver s configures (ReceiverWebhook …), or ""
// when it sets none. When it sets more than one (which Validate refuses),
// Kind is the first in the order of the constants.
func (s *ReceiverSpec) Kind() string {
	if k := s.kinds(); len(k) > 0 {
		return k[0]
	}
	return ""
}

func (s *ReceiverSpec) kinds() []string {
	var k []string
	for _, c := range []struct {
		name string
		set  bool
	}{
		{ReceiverAlertmanager, s.Alertmanager != nil},
		{ReceiverWebhook, s.Webhook != nil},
		{ReceiverSlack, s.Slack != nil},
		{ReceiverPagerDuty, s.PagerDuty != nil},
		{ReceiverEmail, s.Email != nil},
	} {
		if c.set {
			k = append(k, c.name)
		}
	}
	return k
}

var receiverNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Validate checks s without touching the network or the file system. Every
// problem is one line of the error, beginning with the key it concerns
// relative to the receiver ("webhook.url: …", "email.to[1]: …"), so the
// config loader can point at the line. No line repeats a secret.
func (s *ReceiverSpec) Validate() error {
	var p specProblems
	switch {
	case s.Name == "":
		p.add("name", "a receiver needs a name")
	case !receiverNameRE.MatchString(s.Name):
		p.add("name", "receiver name %s may hold only letters, digits, '_', '.' and '-'", quoteShort(s.Name))
	}
	kinds := s.kinds()
	switch {
	case len(kinds) == 0:
		p.add("", "a receiver needs one of alertmanager, webhook, slack, pagerduty or email")
	case len(kinds) > 1:
		p.add(kinds[1], "a receiver has only one of alertmanager, webhook, slack, pagerduty or email, got %s", strings.Join(kinds, " and "))
	default:
		switch kinds[0] {
		case ReceiverAlertmanager:
			s.Alertmanager.check(&p, "alertmanager.")
		case ReceiverWebhook:
			s.Webhook.check(&p, "webhook.")
		case ReceiverSlack:
			s.Slack.check(&p, "slack.")
		case ReceiverPagerDuty:
			s.PagerDuty.check(&p, "pagerduty.")
		case ReceiverEmail:
			s.Email.check(&p, "email.")
		}
	}
	return p.err()
}

// Redacted returns a copy of s that is safe to print or serve: URLs that may
// carry tokens go through Redact, header values read <secret>. File and
// variable names stay: they are where secrets are, not secrets.
func (s ReceiverSpec) Redacted() ReceiverSpec {
	r := s
	if s.Alertmanager != nil {
		a := *s.Alertmanager
		a.URL = redactUserinfo(a.URL)
		r.Alertmanager = &a
	}
	if s.Webhook != nil {
		w := *s.Webhook
		w.URL = Redact(w.URL)
		if w.Headers != nil {
			w.Headers = make(map[string]string, len(s.Webhook.Headers))
			for k := range s.Webhook.Headers {
				w.Headers[k] = "<secret>"
			}
		}
		r.Webhook = &w
	}
	if s.PagerDuty != nil {
		d := *s.PagerDuty
		d.URL = Redact(d.URL)
		r.PagerDuty = &d
	}
	return r
}

// NewNotifier builds the Notifier that s configures, after validating it.
// It reads the receiver's secrets once, here: files relative to baseDir
// (the config file's directory) and variables through getenv (os.Getenv
// when nil). A missing or empty secret is an error naming the key and the
// file or variable, never the secret. The Notifier is safe for concurrent
// use and makes one attempt per Notify.
func NewNotifier(s ReceiverSpec, baseDir string, getenv func(string) string) (Notifier, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	sec := secretReader{baseDir: baseDir, getenv: getenv}
	switch s.Kind() {
	case ReceiverAlertmanager:
		return newAlertmanager(s.Name, *s.Alertmanager)
	case ReceiverWebhook:
		return newWebhook(s.Name, *s.Webhook, sec)
	case ReceiverSlack:
		return newSlack(s.Name, *s.Slack, sec)
	case ReceiverPagerDuty:
		return newPagerDuty(s.Name, *s.PagerDuty, sec)
	case ReceiverEmail:
		return newEmail(s.Name, *s.Email, sec)
	}
	return nil, errors.New("a receiver needs one of alertmanager, webhook, slack, pagerduty or email")
}

// Redact shows a URL for logs and errors without what may be a credential:
// userinfo becomes <secret>@, and everything after the host — path, query,
// fragment — becomes /<secret>, because webhook URLs (Slack's among them)
// carry their token in the path. The scheme, host and port stay, which is
// what a person needs to tell which receiver failed:
//
//	https://hooks.slack.com/services/T0/B0/XYZ → https://hooks.slack.com/<secret>
//	http://user:pw@127.0.0.1:9093              → http://<secret>@127.0.0.1:9093
//
// A string that is not an absolute URL is <secret> as a whole.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "<secret>"
	}
	var b strings.Builder
	b.WriteString(u.Scheme)
	b.WriteString("://")
	if u.User != nil {
		b.WriteString("<secret>@")
	}
	b.WriteString(u.Host)
	switch {
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		b.WriteString("/<secret>")
	case u.Path == "/":
		b.WriteString("/")
	}
	return b.String()
}

// redactUserinfo hides only a URL's userinfo: for URLs whose path is not a
// secret (an Alertmanager's).
func redactUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<secret>"
	}
	if u.User == nil {
		return raw
	}
	u.User = nil
	s := u.String()
	scheme, rest, _ := strings.Cut(s, "://")
	return scheme + "://<secret>@" + rest
}

// RetryError is a retryable failure for which the receiver said when to
// come back (Retry-After on a 429 or 503). The outbox waits at least After
// before the next attempt. After is at most MaxRetryAfter.
type RetryError struct {
	After time.Duration
	Err   error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retry after %s)", e.Err, e.After)
}

func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter is how long err asks the caller to wait before retrying: the
// After of a *RetryError in its chain, else 0.
func RetryAfter(err error) time.Duration {
	var re *RetryError
	if errors.As(err, &re) {
		return re.After
	}
	return 0
}

// specProblems collects validation errors, one line each.
type specProblems []string

func (p *specProblems) add(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if key = strings.TrimSuffix(key, "."); key != "" {
		msg = key + ": " + msg
	}
	*p = append(*p, msg)
}

func (p specProblems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n"))
}

var envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkSecretSource checks a secret that comes from name_file or name_env:
// exactly one when required, at most one otherwise.
func checkSecretSource(p *specProblems, prefix, name, file, env string, required bool) {
	switch {
	case file != "" && env != "":
		p.add(prefix+name+"_env", "set %s_file or %s_env, not both", name, name)
	case file == "" && env == "" && required:
		p.add(strings.TrimSuffix(prefix, "."), "needs %s_file or %s_env", name, name)
	case env != "" && !envVarRE.MatchString(env):
		p.add(prefix+name+"_env", "%s is not a valid environment variable name", quoteShort(env))
	case strings.IndexByte(file, 0) >= 0:
		p.add(prefix+name+"_file", "holds a NUL byte")
	}
}

// checkTimeout checks an optional per-attempt timeout.
func checkTimeout(p *specProblems, key string, d time.Duration) {
	if d < 0 {
		p.add(key, "%v is negative", d)
	}
}

// checkHTTPURL checks a receiver URL. The error shows it as display, or
// not at all when display is "": it may hold a token.
func checkHTTPURL(p *specProblems, key, raw, display string) {
	if raw == "" {
		p.add(key, "required")
		return
	}
	if msg := httpURLProblem(raw); msg != "" {
		if display != "" {
			msg = quoteShort(display) + ": " + msg
		}
		p.add(key, "%s", msg)
	}
}

// httpURLProblem says what is wrong with an http(s) URL, without repeating
// it, or "" when nothing is.
func httpURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL
		}
		return err.Error()
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return "no host"
	}
	return ""
}

func quoteShort(s string) string {
	const max = 60
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// maxSecretSize bounds a secret file: a key or password, not a data file.
const maxSecretSize = 64 << 10

// secretReader reads the secrets of receivers, once, at NewNotifier time.
type secretReader struct {
	baseDir string
	getenv  func(string) string
}

// read returns the secret from file (relative to baseDir) or from the
// environment variable env, trimmed of surrounding white space. key is the
// config key of the file or variable, for errors.
func (r secretReader) read(prefix, name, file, env string) (string, error) {
	if file != "" {
		key := prefix + name + "_file"
		path := r.path(file)
		f, err := os.Open(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("%s: %s: %v", key, path, err)
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxSecretSize+1))
		if err != nil {
			return "", fmt.Errorf("%s: %s: %v", key, path, err)
		}
		if len(data) > maxSecretSize {
			return "", fmt.Errorf("%s: %s: larger than %d bytes; a secret file holds one line", key, path, maxSecretSize)
		}
		s, problem := oneLineSecret(string(data))
		if problem != "" {
			return "", fmt.Errorf("%s: %s: %s", key, path, problem)
		}
		return s, nil
	}
	key := prefix + name + "_env"
	s, problem := oneLineSecret(r.getenv(env))
	if problem == "is empty" {
		problem = "is unset or empty"
	}
	if problem != "" {
		return "", fmt.Errorf("%s: environment variable %s %s", key, env, problem)
	}
	return s, nil
}

// path resolves a file name relative to the config file's directory.
func (r secretReader) path(file string) string {
	if file == "" || filepath.IsAbs(file) || r.baseDir == "" {
		return file
	}
	return filepath.Join(r.baseDir, file)
}

func oneLineSecret(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "is empty"
	case strings.ContainsAny(s, "\r\n\x00"):
		return "", "holds more than one line (or a NUL byte); a secret is one line"
	}
	return s, ""
}

// --- what every receiver says about an alert ---

// alertStatus is "firing" or "resolved": the state a notification reports.
func alertStatus(n Notification) string {
	if n.Resolved {
		return StateResolved
	}
	return StateFiring
}

// notificationKey is n.Key, or, for a notification without one, a key
// made the same way from what identifies the message: the receiver, the
// alert's fingerprint and fired time, and its status.
func notificationKey(n Notification) string {
	if n.Key != "" {
		return n.Key
	}
	fired := n.Alert.FiredAt
	if fired.IsZero() {
		fired = n.Alert.StartsAt
	}
	return fmt.Sprintf("%s/%s/%d/%s", n.Receiver, n.Alert.Fingerprint(), fired.Unix(), alertStatus(n))
}

// alertTitle is the line that names an alert: its summary, else its
// alertname and service, else its fingerprint.
func alertTitle(a Alert) string {
	if s := oneLine(a.Annotations["summary"]); s != "" {
		return s
	}
	if s := strings.TrimSpace(a.Labels["alertname"] + " " + a.Labels["service"]); s != "" {
		return s
	}
	return "alert " + a.Fingerprint()
}

// alertHeadline is "[P1] FIRING portal down" (sep " ") or "[P1] FIRING:
// portal down" (sep ": ").
func alertHeadline(n Notification, sep string) string {
	word := "FIRING"
	if n.Resolved {
		word = "RESOLVED"
	}
	h := word + sep + alertTitle(n.Alert)
	if sev := oneLine(n.Alert.Labels["severity"]); sev != "" {
		h = "[" + sev + "] " + h
	}
	return h
}

// alertLink is where a person looks at the alert: its status_page
// annotation, else slawatch's external URL.
func alertLink(n Notification) string {
	if l := strings.TrimSpace(n.Alert.Annotations["status_page"]); l != "" {
		return l
	}
	return strings.TrimSpace(n.ExternalURL)
}

// alertDuration is how long a resolved alert was firing (from FiredAt, or
// StartsAt when it never fired), or 0 when that is unknown.
func alertDuration(a Alert) time.Duration {
	from := a.FiredAt
	if from.IsZero() {
		from = a.StartsAt
	}
	if from.IsZero() || a.EndsAt.IsZero() || a.EndsAt.Before(from) {
		return 0
	}
	return a.EndsAt.Sub(from)
}

// humanDuration shows d in its two largest units: "45s", "12m 30s",
// "2h 5m", "3d 4h".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Second {
		return "0s"
	}
	units := []struct {
		name string
		size time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}}
	for i, u := range units {
		if d < u.size {
			continue
		}
		s := fmt.Sprintf("%d%s", d/u.size, u.name)
		if i+1 < len(units) {
			next := units[i+1]
			if r := (d % u.size) / next.size; r > 0 {
				s += fmt.Sprintf(" %d%s", r, next.name)
			}
		}
		return s
	}
	return "0s"
}

// oneLine folds white space (line breaks included) to single spaces, so a
// value cannot break a header, a subject or a chat line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncateText cuts s to at most max bytes, on a rune boundary, marking
// the cut with "…".
func truncateText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// sortedKeys are the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nonNil is m, or an empty map, so JSON says {} rather than null.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// --- HTTP delivery, shared by the HTTP receivers ---

// httpTarget posts to one URL with go-retryablehttp, making exactly one
// attempt per call: the outbox owns retries and backoff, across restarts.
// retryablehttp's policy still decides whether a failure is worth
// retrying.
type httpTarget struct {
	url     string
	display string // the URL as errors show it
	timeout time.Duration
	client  *retryablehttp.Client
	secrets []string // scrubbed from error text
}

func newHTTPTarget(rawURL, display string, timeout time.Duration, secrets ...string) *httpTarget {
	c := retryablehttp.NewClient()
	c.RetryMax = 0
	c.Logger = nil // it would log the URL, token and all
	c.CheckRetry = retryablehttp.ErrorPropagatedRetryPolicy
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler // keep the response: its body goes in the error
	// Redirects are not followed: a redirected POST turns into a GET, and a
	// receiver that moved is a configuration error to report.
	c.HTTPClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if timeout <= 0 {
		timeout = DefaultReceiverTimeout
	}
	t := &httpTarget{url: rawURL, display: display, timeout: timeout, client: c}
	t.secrets = append(t.secrets, secrets...)
	return t
}

// urlSecrets are the parts of a URL that may be a credential, as they
// could come back in an error: the URL, its path and query, long path
// segments and the userinfo password.
func urlSecrets(raw string) []string {
	s := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return s
	}
	if p, ok := u.User.Password(); ok {
		s = append(s, p)
	}
	if u.Path != "" && u.Path != "/" {
		s = append(s, u.Path, u.EscapedPath())
		for seg := range strings.SplitSeq(u.Path, "/") {
			if len(seg) >= 8 {
				s = append(s, seg)
			}
		}
	}
	if u.RawQuery != "" {
		s = append(s, u.RawQuery)
	}
	return s
}

// scrub replaces every secret in s with <secret>, longest first so that a
// secret containing another is hidden whole.
func (t *httpTarget) scrub(s string) string {
	return scrubSecrets(s, t.secrets)
}

func scrubSecrets(s string, secrets []string) string {
	sorted := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		if len(sec) >= 4 {
			sorted = append(sorted, sec)
			if q := url.QueryEscape(sec); q != sec {
				sorted = append(sorted, q)
			}
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, sec := range sorted {
		s = strings.ReplaceAll(s, sec, "<secret>")
	}
	return s
}

// post sends body as JSON, with extra headers, and classifies the outcome:
// any 2xx is success; connection errors, timeouts, 5xx (but 501) and 429
// are retryable; other statuses are final. A Retry-After on a 429 or 503
// comes back as a *RetryError. A canceled ctx is retryable: the message
// was not refused, only not sent.
func (t *httpTarget) post(ctx context.Context, body []byte, header http.Header) (retry bool, err error) {
	actx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := retryablehttp.NewRequestWithContext(actx, http.MethodPost, t.url, body)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, fmt.Errorf("POST %s: %s", t.display, t.scrub(err.Error()))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "slawatch")

	resp, err := t.client.Do(req)
	if resp == nil {
		if err == nil {
			err = errors.New("no response")
		}
		return t.failed(ctx, actx, err)
	}
	defer resp.Body.Close()
	// Read more than is shown, so that a secret the receiver echoes is
	// scrubbed whole before the text is cut.
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	retry, _ = retryablehttp.ErrorPropagatedRetryPolicy(context.Background(), resp, nil)
	msg := fmt.Sprintf("POST %s: %s", t.display, resp.Status)
	if text := truncateText(t.scrub(bodyText(snippet)), errBodyLimit); text != "" {
		msg += ": " + strconv.Quote(text)
	}
	err = errors.New(msg)
	if retry {
		// retryablehttp's backoff reads Retry-After (seconds or a date) on
		// a 429 or 503; with no header and no minimum it says 0.
		if after := retryablehttp.DefaultBackoff(0, 0, 0, resp); after > 0 {
			return true, &RetryError{After: min(after, MaxRetryAfter), Err: err}
		}
	}
	return retry, err
}

// failed reports an attempt that got no response.
func (t *httpTarget) failed(ctx, actx context.Context, err error) (bool, error) {
	if ctx.Err() != nil {
		return true, fmt.Errorf("POST %s: not sent: %w", t.display, ctx.Err())
	}
	if actx.Err() != nil {
		return true, fmt.Errorf("POST %s: no answer within %s", t.display, t.timeout)
	}
	retry, _ := retryablehttp.ErrorPropagatedRetryPolicy(context.Background(), nil, err)
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err // it repeats the URL
	}
	return retry, fmt.Errorf("POST %s: %s", t.display, t.scrub(err.Error()))
}

// bodyText makes a response body safe to put in one line of an error.
func bodyText(b []byte) string {
	b = bytes.ToValidUTF8(b, []byte("?"))
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, string(b))
	return oneLine(s)
}
