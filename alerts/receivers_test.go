package alerts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rxT0 is when the receiver tests' alert started: 14:00 in Amsterdam.
var rxT0 = time.Date(2026, 11, 4, 14, 0, 0, 0, time.FixedZone("CET", 3600))

// rxAlert is the alert the receiver tests send: production portal down.
func rxAlert() Alert {
	return Alert{
		Labels: map[string]string{
			"alertname": "ServiceDown", "service": "customer-portal", "severity": "P1",
			"environment": "production", "probe": "health",
		},
		Annotations: map[string]string{
			"summary":     "portal down: status 503, want [200]",
			"description": "customer-portal (production) is down since 2026-11-04 14:00:00 CET; probe health reports: status 503, want [200].",
			"status_page": "http://127.0.0.1:9477/#svc-customer-portal",
		},
		State:    StateFiring,
		StartsAt: rxT0,
		FiredAt:  rxT0.Add(time.Minute),
	}
}

func rxFiring() Notification {
	return Notification{ID: 7, Key: "ServiceDown/0123abcd/firing/oncall", Receiver: "oncall", Alert: rxAlert(),
		ExternalURL: "http://127.0.0.1:9477/", CreatedAt: rxT0.Add(time.Minute)}
}

func rxResolved() Notification {
	n := rxFiring()
	n.Key = "ServiceDown/0123abcd/resolved/oncall"
	n.Resolved = true
	n.Alert.State = StateResolved
	n.Alert.EndsAt = rxT0.Add(13*time.Minute + 30*time.Second)
	return n
}

// rxSubKeyRE is the config loader's test for a key it can point at.
var rxSubKeyRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*|\[[0-9]+\])*$`)

func TestReceiverSpecValidate(t *testing.T) {
	am := func(s AlertmanagerSpec) ReceiverSpec { return ReceiverSpec{Name: "r", Alertmanager: &s} }
	wh := func(s WebhookSpec) ReceiverSpec { return ReceiverSpec{Name: "r", Webhook: &s} }
	sl := func(s SlackSpec) ReceiverSpec { return ReceiverSpec{Name: "r", Slack: &s} }
	pd := func(s PagerDutySpec) ReceiverSpec { return ReceiverSpec{Name: "r", PagerDuty: &s} }
	em := func(s EmailSpec) ReceiverSpec {
		if s.Smarthost == "" {
			s.Smarthost = "smtp.example.com:587"
		}
		if s.From == "" {
			s.From = "slawatch <slawatch@example.com>"
		}
		if s.To == nil {
			s.To = []string{"oncall@example.com"}
		}
		return ReceiverSpec{Name: "r", Email: &s}
	}
	tests := []struct {
		name string
		spec ReceiverSpec
		err  string // the error's prefix; "" when valid
	}{
		{"alertmanager", am(AlertmanagerSpec{URL: "http://127.0.0.1:9093", Timeout: 5 * time.Second, ResolveTimeout: 10 * time.Minute}), ""},
		{"webhook", wh(WebhookSpec{URL: "https://hooks.example.com/slawatch", SecretFile: "hook.secret",
			Headers: map[string]string{"Authorization": "Bearer x", "X-Team": "ops"}}), ""},
		{"slack", sl(SlackSpec{URLFile: "slack.url", Channel: "#ops", Username: "slawatch"}), ""},
		{"pagerduty", pd(PagerDutySpec{RoutingKeyEnv: "PD_KEY", Severity: map[string]string{"P2": "critical"}}), ""},
		{"email", em(EmailSpec{Username: "slawatch", PasswordFile: "smtp.pass", StartTLS: "opportunistic", Hello: "mon1.example.com"}), ""},
		{"email off to localhost with auth", em(EmailSpec{Smarthost: "localhost:25", Username: "u", PasswordEnv: "SMTP_PASS", StartTLS: "off"}), ""},

		{"no name", ReceiverSpec{Webhook: &WebhookSpec{URL: "http://h/"}}, "name: a receiver needs a name"},
		{"bad name", ReceiverSpec{Name: "on call", Webhook: &WebhookSpec{URL: "http://h/"}}, "name: "},
		{"no kind", ReceiverSpec{Name: "r"}, "a receiver needs one of"},
		{"two kinds", ReceiverSpec{Name: "r", Webhook: &WebhookSpec{URL: "http://h/"}, Slack: &SlackSpec{URLEnv: "S"}},
			"slack: a receiver has only one of"},

		{"am no url", am(AlertmanagerSpec{}), "alertmanager.url: required"},
		{"am scheme", am(AlertmanagerSpec{URL: "ftp://am:9093"}), `alertmanager.url: "ftp://am:9093": scheme "ftp"`},
		{"am query", am(AlertmanagerSpec{URL: "http://am:9093/?x=1"}), "alertmanager.url: a base URL"},
		{"am timeout", am(AlertmanagerSpec{URL: "http://am:9093", Timeout: -time.Second}), "alertmanager.timeout: "},
		{"am resolve timeout", am(AlertmanagerSpec{URL: "http://am:9093", ResolveTimeout: 10 * time.Second}), "alertmanager.resolve_timeout: "},

		{"webhook no url", wh(WebhookSpec{}), "webhook.url: required"},
		{"webhook scheme", wh(WebhookSpec{URL: "ftp://h/tok3n-in-path"}), `webhook.url: scheme "ftp"`},
		{"webhook no host", wh(WebhookSpec{URL: "http:///x"}), "webhook.url: no host"},
		{"webhook both secrets", wh(WebhookSpec{URL: "http://h/", SecretFile: "f", SecretEnv: "E"}), "webhook.secret_env: set secret_file or secret_env"},
		{"webhook bad env", wh(WebhookSpec{URL: "http://h/", SecretEnv: "1X"}), "webhook.secret_env: "},
		{"webhook reserved header", wh(WebhookSpec{URL: "http://h/", Headers: map[string]string{"idempotency-key": "x"}}),
			"webhook.headers: Idempotency-Key is set by slawatch"},
		{"webhook bad header", wh(WebhookSpec{URL: "http://h/", Headers: map[string]string{"X Y": "x"}}), "webhook.headers: "},
		{"webhook header value", wh(WebhookSpec{URL: "http://h/", Headers: map[string]string{"Authorization": "Bearer tok3n\r\nX: y"}}),
			"webhook.headers: the value of Authorization"},
		{"webhook timeout", wh(WebhookSpec{URL: "http://h/", Timeout: -1}), "webhook.timeout: "},

		{"slack no url", sl(SlackSpec{}), "slack: needs url_file or url_env"},
		{"slack both", sl(SlackSpec{URLFile: "f", URLEnv: "E"}), "slack.url_env: "},
		{"slack channel", sl(SlackSpec{URLEnv: "E", Channel: "# ops"}), "slack.channel: "},

		{"pd no key", pd(PagerDutySpec{}), "pagerduty: needs routing_key_file or routing_key_env"},
		{"pd url", pd(PagerDutySpec{RoutingKeyEnv: "K", URL: "events.pagerduty.com"}), "pagerduty.url: "},
		{"pd severity", pd(PagerDutySpec{RoutingKeyEnv: "K", Severity: map[string]string{"P1": "high"}}),
			`pagerduty.severity: P1: "high" is not one of critical, error, warning, info`},

		{"email nothing", ReceiverSpec{Name: "r", Email: &EmailSpec{}}, "email.smarthost: required"},
		{"email port", em(EmailSpec{Smarthost: "smtp.example.com"}), "email.smarthost: "},
		{"email port range", em(EmailSpec{Smarthost: "smtp.example.com:99999"}), "email.smarthost: "},
		{"email from", em(EmailSpec{From: "not an address"}), "email.from: "},
		{"email no to", em(EmailSpec{To: []string{}}), "email.to: "},
		{"email bad to", em(EmailSpec{To: []string{"a@example.com", "b"}}), "email.to[1]: "},
		{"email user without password", em(EmailSpec{Username: "u"}), "email.username: needs password_file or password_env"},
		{"email password without user", em(EmailSpec{PasswordFile: "p"}), "email.password_file: set only with username"},
		{"email both passwords", em(EmailSpec{Username: "u", PasswordFile: "p", PasswordEnv: "P"}), "email.password_env: "},
		{"email starttls", em(EmailSpec{StartTLS: "yes"}), "email.starttls: "},
		{"email off with auth to remote", em(EmailSpec{Username: "u", PasswordEnv: "P", StartTLS: "off"}),
			"email.starttls: off would send the password in the clear to smtp.example.com"},
		{"email off and skip verify", em(EmailSpec{StartTLS: "off", TLSSkipVerify: true}), "email.tls_skip_verify: "},
		{"email ca and skip verify", em(EmailSpec{CAFile: "ca.pem", TLSSkipVerify: true}), "email.ca_file: "},
		{"email hello", em(EmailSpec{Hello: "my host"}), "email.hello: "},
		{"email timeout", em(EmailSpec{Timeout: -time.Second}), "email.timeout: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Fatalf("Validate = %v, want an error beginning %q", err, tt.err)
			}
			for line := range strings.SplitSeq(err.Error(), "\n") {
				key, _, ok := strings.Cut(line, ": ")
				if !ok || strings.Contains(key, " ") {
					continue // a line about the receiver as a whole
				}
				if !rxSubKeyRE.MatchString(key) {
					t.Errorf("line %q does not begin with a key", line)
				}
			}
			for _, secret := range []string{"tok3n", "Bearer"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows %q", err, secret)
				}
			}
		})
	}
}

func TestReceiverSpecValidateEveryProblem(t *testing.T) {
	s := ReceiverSpec{Name: "mail", Email: &EmailSpec{Smarthost: "h", From: "x", To: []string{"y"}, StartTLS: "maybe"}}
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate: no error")
	}
	lines := strings.Split(err.Error(), "\n")
	var keys []string
	for _, l := range lines {
		k, _, _ := strings.Cut(l, ": ")
		keys = append(keys, k)
	}
	want := []string{"email.smarthost", "email.from", "email.to[0]", "email.starttls"}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Errorf("keys %q, want %q\n%v", keys, want, err)
	}
}

func TestValidateHidesPasswordInURL(t *testing.T) {
	s := ReceiverSpec{Name: "am", Alertmanager: &AlertmanagerSpec{URL: "ftp://admin:hunter2@am.example.com:9093"}}
	err := s.Validate()
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "<secret>@am.example.com") {
		t.Fatalf("Validate = %v, want the URL with its password hidden", err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://hooks.slack.com/services/T000/B000/XXXXXXXX", "https://hooks.slack.com/<secret>"},
		{"http://127.0.0.1:9093", "http://127.0.0.1:9093"},
		{"http://127.0.0.1:9093/", "http://127.0.0.1:9093/"},
		{"https://hooks.example.com/?token=abc", "https://hooks.example.com/<secret>"},
		{"https://hooks.example.com#frag", "https://hooks.example.com/<secret>"},
		{"http://user:pw@am.example.com:9093", "http://<secret>@am.example.com:9093"},
		{"https://user@[::1]:8443/hook", "https://<secret>@[::1]:8443/<secret>"},
		{"not a url", "<secret>"},
		{"hooks.example.com/abc", "<secret>"},
		{"http://bad url/%zz", "<secret>"},
		{"", "<secret>"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReceiverSpecRedacted(t *testing.T) {
	s := ReceiverSpec{Name: "h", Webhook: &WebhookSpec{URL: "https://h.example.com/t0k3n", SecretFile: "hook.secret",
		Headers: map[string]string{"Authorization": "Bearer t0k3n"}}}
	r := s.Redacted()
	if got := fmt.Sprintf("%+v", *r.Webhook); strings.Contains(got, "t0k3n") || !strings.Contains(got, "hook.secret") {
		t.Errorf("Redacted webhook = %s", got)
	}
	if s.Webhook.Headers["Authorization"] != "Bearer t0k3n" || s.Webhook.URL != "https://h.example.com/t0k3n" {
		t.Error("Redacted changed the original")
	}
	am := ReceiverSpec{Name: "am", Alertmanager: &AlertmanagerSpec{URL: "http://u:pw123@am:9093/am"}}.Redacted()
	if am.Alertmanager.URL != "http://<secret>@am:9093/am" {
		t.Errorf("Redacted alertmanager URL = %s", am.Alertmanager.URL)
	}
}

func TestNewNotifierSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("hook.secret", "s3cret-hook-key\n")
	write("empty.secret", " \n")
	write("two.lines", "s3cret-one\ns3cret-two\n")
	write("slack.url", "https://hooks.slack.com/services/T0/B0/s3cretSlackToken\n")
	write("bad.url", "hooks.slack.com/services/s3cretSlackToken\n")
	write("pd.key", "s3cretRoutingKey0123456789abcdef\n")
	write("smtp.pass", "s3cret-password\n")
	write("ca.pem", "not PEM s3cret\n")
	env := map[string]string{"PD_KEY": "s3cretRoutingKeyFromEnv", "EMPTY": "  "}
	getenv := func(k string) string { return env[k] }

	ok := []ReceiverSpec{
		{Name: "hook", Webhook: &WebhookSpec{URL: "http://127.0.0.1:1/h", SecretFile: "hook.secret"}},
		{Name: "hook-abs", Webhook: &WebhookSpec{URL: "http://127.0.0.1:1/h", SecretFile: filepath.Join(dir, "hook.secret")}},
		{Name: "chat", Slack: &SlackSpec{URLFile: "slack.url"}},
		{Name: "pager", PagerDuty: &PagerDutySpec{RoutingKeyEnv: "PD_KEY"}},
		{Name: "pager2", PagerDuty: &PagerDutySpec{RoutingKeyFile: "pd.key"}},
		{Name: "mail", Email: &EmailSpec{Smarthost: "127.0.0.1:25", From: "a@example.com", To: []string{"b@example.com"},
			Username: "u", PasswordFile: "smtp.pass"}},
		{Name: "am", Alertmanager: &AlertmanagerSpec{URL: "http://127.0.0.1:9093"}},
	}
	for _, s := range ok {
		n, err := NewNotifier(s, dir, getenv)
		if err != nil {
			t.Errorf("%s: NewNotifier: %v", s.Name, err)
			continue
		}
		if str := fmt.Sprint(n); strings.Contains(str, "s3cret") {
			t.Errorf("%s: notifier prints as %q", s.Name, str)
		}
	}
	w, _ := NewNotifier(ok[0], dir, getenv)
	if got := string(w.(*webhookNotifier).secret); got != "s3cret-hook-key" {
		t.Errorf("webhook secret read as %q", got)
	}
	p, _ := NewNotifier(ok[3], dir, getenv)
	if got := p.(*pagerDutyNotifier).routingKey; got != "s3cretRoutingKeyFromEnv" {
		t.Errorf("routing key read as %q", got)
	}

	bad := []struct {
		spec ReceiverSpec
		want string
	}{
		{ReceiverSpec{Name: "hook", Webhook: &WebhookSpec{URL: "http://h/", SecretFile: "missing.secret"}},
			"webhook.secret_file: " + filepath.Join(dir, "missing.secret") + ": no such file or directory"},
		{ReceiverSpec{Name: "hook", Webhook: &WebhookSpec{URL: "http://h/", SecretFile: "empty.secret"}},
			"webhook.secret_file: " + filepath.Join(dir, "empty.secret") + ": is empty"},
		{ReceiverSpec{Name: "hook", Webhook: &WebhookSpec{URL: "http://h/", SecretFile: "two.lines"}},
			"webhook.secret_file: " + filepath.Join(dir, "two.lines") + ": holds more than one line"},
		{ReceiverSpec{Name: "chat", Slack: &SlackSpec{URLEnv: "SLACK_URL"}},
			"slack.url_env: environment variable SLACK_URL is unset or empty"},
		{ReceiverSpec{Name: "chat", Slack: &SlackSpec{URLFile: "bad.url"}},
			"slack.url_file: " + filepath.Join(dir, "bad.url") + ": scheme \"\" is not http or https"},
		{ReceiverSpec{Name: "pager", PagerDuty: &PagerDutySpec{RoutingKeyEnv: "EMPTY"}},
			"pagerduty.routing_key_env: environment variable EMPTY is unset or empty"},
		{ReceiverSpec{Name: "mail", Email: &EmailSpec{Smarthost: "h:25", From: "a@example.com", To: []string{"b@example.com"},
			Username: "u", PasswordEnv: "SMTP_PASS"}},
			"email.password_env: environment variable SMTP_PASS is unset or empty"},
		{ReceiverSpec{Name: "mail", Email: &EmailSpec{Smarthost: "h:25", From: "a@example.com", To: []string{"b@example.com"},
			CAFile: "ca.pem"}},
			"email.ca_file: " + filepath.Join(dir, "ca.pem") + ": no PEM certificate"},
		{ReceiverSpec{Name: "bad"}, "a receiver needs one of"},
	}
	for _, tt := range bad {
		_, err := NewNotifier(tt.spec, dir, getenv)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: NewNotifier = %v, want %q…", tt.spec.Name, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error %q shows a secret", tt.spec.Name, err)
		}
	}
}

func TestNewNotifierUsesProcessEnvironment(t *testing.T) {
	t.Setenv("SLAWATCH_TEST_PD_KEY", "s3cret-from-process")
	n, err := NewNotifier(ReceiverSpec{Name: "p", PagerDuty: &PagerDutySpec{RoutingKeyEnv: "SLAWATCH_TEST_PD_KEY"}}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.(*pagerDutyNotifier).routingKey != "s3cret-from-process" {
		t.Error("the routing key did not come from the process environment")
	}
}

func TestRetryAfter(t *testing.T) {
	base := errors.New("POST x: 429 Too Many Requests")
	err := fmt.Errorf("receiver oncall: %w", &RetryError{After: 7 * time.Second, Err: base})
	if got := RetryAfter(err); got != 7*time.Second {
		t.Errorf("RetryAfter = %v", got)
	}
	if !errors.Is(err, base) {
		t.Error("RetryError does not unwrap")
	}
	if RetryAfter(base) != 0 || RetryAfter(nil) != 0 {
		t.Error("RetryAfter of a plain error is not 0")
	}
	if !strings.HasSuffix(err.Error(), "(retry after 7s)") {
		t.Errorf("Error() = %q", err)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		45 * time.Second:                      "45s",
		12*time.Minute + 30*time.Second:       "12m 30s",
		2*time.Hour + 5*time.Second:           "2h",
		2*time.Hour + 5*time.Minute:           "2h 5m",
		76 * time.Hour:                        "3d 4h",
		24*time.Hour + 59*time.Second:         "1d",
		12*time.Minute + 499*time.Millisecond: "12m",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTruncateText(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	got := truncateText(s, 10)
	if len(got) > 10 || !strings.HasSuffix(got, "…") || !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
		t.Errorf("truncateText = %q", got)
	}
	if truncateText("short", 10) != "short" {
		t.Error("truncateText cut a short text")
	}
}
