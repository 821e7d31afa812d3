package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Headers of a webhook request.
const (
	// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the raw
	// body under the receiver's secret, when it has one.
	SignatureHeader = "X-Slawatch-Signature"
	// TimestampHeader is when the request was made, in Unix seconds; the
	// same moment is sent_at in the (signed) body.
	TimestampHeader = "X-Slawatch-Timestamp"
	// IdempotencyKeyHeader is the notification's key: the same for every
	// attempt at the same message, so a receiver can drop repeats.
	IdempotencyKeyHeader = "Idempotency-Key"
)

// WebhookVersion is the version of the webhook payload schema.
const WebhookVersion = "1"

// WebhookSpec is a generic JSON webhook receiver.
//
//	webhook: {url: "https://hooks.example.com/slawatch", secret_file: hook.secret,
//	          headers: {X-Team: ops}, timeout: 10s}
type WebhookSpec struct {
	URL string `yaml:"url"`
	// SecretFile (relative to the config file) or SecretEnv holds the key
	// that signs every request (SignatureHeader). Optional.
	SecretFile string `yaml:"secret_file"`
	SecretEnv  string `yaml:"secret_env"`
	// Headers are added to every request. Their values are never shown.
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one attempt; default DefaultReceiverTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

// reservedWebhookHeaders are set by slawatch itself.
var reservedWebhookHeaders = []string{
	"Content-Type", "Content-Length", "Host", "User-Agent",
	SignatureHeader, TimestampHeader, IdempotencyKeyHeader,
}

func (s *WebhookSpec) check(p *specProblems, prefix string) {
	checkHTTPURL(p, prefix+"url", s.URL, "")
	checkSecretSource(p, prefix, "secret", s.SecretFile, s.SecretEnv, false)
	for _, name := range sortedKeys(s.Headers) {
		switch {
		case !isHeaderToken(name):
			p.add(prefix+"headers", "%s is not a valid header name", quoteShort(name))
		case isReservedHeader(name):
			p.add(prefix+"headers", "%s is set by slawatch", http.CanonicalHeaderKey(name))
		case strings.ContainsAny(s.Headers[name], "\r\n\x00"):
			// Never echo the value: headers carry tokens.
			p.add(prefix+"headers", "the value of %s holds a line break or NUL", name)
		}
	}
	checkTimeout(p, prefix+"timeout", s.Timeout)
}

func isReservedHeader(name string) bool {
	for _, r := range reservedWebhookHeaders {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// isHeaderToken reports whether s is an RFC 9110 token.
func isHeaderToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", c):
		default:
			return false
		}
	}
	return true
}

// WebhookPayload is the body of a webhook request (schema version 1). Times
// are RFC 3339 in UTC, null when they have not happened.
type WebhookPayload struct {
	Version string `json:"version"` // "1"
	// Key is the idempotency key (also the Idempotency-Key header): the
	// same alert in the same state to the same receiver has the same key.
	Key      string       `json:"key"`
	Status   string       `json:"status"`   // "firing" or "resolved"
	Receiver string       `json:"receiver"` // the receiver's name in the config
	Alert    WebhookAlert `json:"alert"`
	// ExternalURL is how people reach slawatch.
	ExternalURL string `json:"external_url"`
	// SentAt is when this attempt was made; it is covered by the
	// signature, so a receiver can refuse old replays.
	SentAt time.Time `json:"sent_at"`
}

// WebhookAlert is the alert in a WebhookPayload.
type WebhookAlert struct {
	Fingerprint string            `json:"fingerprint"` // stable hash of the labels
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    *time.Time        `json:"starts_at"`
	FiredAt     *time.Time        `json:"fired_at"`
	EndsAt      *time.Time        `json:"ends_at"`
	AckedAt     *time.Time        `json:"acked_at"`
	AckedBy     string            `json:"acked_by"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func webhookPayload(receiver string, nf Notification, now time.Time) WebhookPayload {
	a := nf.Alert
	return WebhookPayload{
		Version:  WebhookVersion,
		Key:      notificationKey(nf),
		Status:   alertStatus(nf),
		Receiver: receiver,
		Alert: WebhookAlert{
			Fingerprint: a.Fingerprint(),
			Labels:      nonNil(a.Labels),
			Annotations: nonNil(a.Annotations),
			StartsAt:    timePtr(a.StartsAt),
			FiredAt:     timePtr(a.FiredAt),
			EndsAt:      timePtr(a.EndsAt),
			AckedAt:     timePtr(a.AckedAt),
			AckedBy:     a.AckedBy,
		},
		ExternalURL: nf.ExternalURL,
		SentAt:      now.UTC().Truncate(time.Second),
	}
}

// Sign is the SignatureHeader value for body under secret:
// "sha256=" and the hex HMAC-SHA256 of the raw body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header (the SignatureHeader value) is the
// signature of body under secret. It compares in constant time. A receiver
// should verify the raw body before it parses it, and may refuse a payload
// whose sent_at is too old.
func VerifySignature(secret, body []byte, header string) bool {
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// webhookNotifier posts WebhookPayloads.
type webhookNotifier struct {
	name    string
	http    *httpTarget
	secret  []byte // nil: unsigned
	headers http.Header
	now     func() time.Time
}

func newWebhook(name string, s WebhookSpec, sec secretReader) (*webhookNotifier, error) {
	n := &webhookNotifier{name: name, headers: http.Header{}, now: time.Now}
	secrets := urlSecrets(s.URL)
	if s.SecretFile != "" || s.SecretEnv != "" {
		key, err := sec.read("webhook.", "secret", s.SecretFile, s.SecretEnv)
		if err != nil {
			return nil, err
		}
		n.secret = []byte(key)
		secrets = append(secrets, key)
	}
	for k, v := range s.Headers {
		n.headers.Set(k, v)
		secrets = append(secrets, v)
	}
	n.http = newHTTPTarget(s.URL, Redact(s.URL), s.Timeout, secrets...)
	return n, nil
}

func (n *webhookNotifier) String() string { return "webhook " + n.http.display }

// Notify posts the payload, signed when the receiver has a secret.
func (n *webhookNotifier) Notify(ctx context.Context, nf Notification) (bool, error) {
	now := n.now()
	body, err := json.Marshal(webhookPayload(n.name, nf, now))
	if err != nil {
		return false, fmt.Errorf("webhook: encoding the payload: %v", err)
	}
	h := n.headers.Clone()
	h.Set(IdempotencyKeyHeader, notificationKey(nf))
	h.Set(TimestampHeader, strconv.FormatInt(now.Unix(), 10))
	if n.secret != nil {
		h.Set(SignatureHeader, Sign(n.secret, body))
	}
	return n.http.post(ctx, body, h)
}
