package alerts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// rxStep is one scripted answer of an rxServer. In body, %PATH% and %BODY%
// become the request's path and body: a receiver that echoes what it got,
// secrets and all.
type rxStep struct {
	status int
	header map[string]string
	body   string
	delay  time.Duration // answer only after this (or when the client gives up)
}

type rxRequest struct {
	path   string
	header http.Header
	body   []byte
}

// rxServer is a receiver on loopback that answers with its script, then
// with okStatus for ever.
type rxServer struct {
	*httptest.Server
	okStatus int
	mu       sync.Mutex
	steps    []rxStep
	reqs     []rxRequest
}

func rxStart(t *testing.T, okStatus int, steps ...rxStep) *rxServer {
	t.Helper()
	s := &rxServer{okStatus: okStatus, steps: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *rxServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.reqs = append(s.reqs, rxRequest{path: r.URL.Path, header: r.Header.Clone(), body: body})
	step := rxStep{status: s.okStatus, body: "ok"}
	if len(s.steps) > 0 {
		step, s.steps = s.steps[0], s.steps[1:]
	}
	s.mu.Unlock()
	if step.delay > 0 {
		select {
		case <-time.After(step.delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range step.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(step.status)
	b := strings.ReplaceAll(step.body, "%PATH%", r.URL.Path)
	b = strings.ReplaceAll(b, "%BODY%", string(body))
	io.WriteString(w, b)
}

func (s *rxServer) requests() []rxRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rxRequest(nil), s.reqs...)
}

func (s *rxServer) last(t *testing.T) rxRequest {
	t.Helper()
	r := s.requests()
	if len(r) == 0 {
		t.Fatal("the receiver got no request")
	}
	return r[len(r)-1]
}

// rxHTTPKinds builds each HTTP receiver against a server; every secret in
// them contains "s3cret".
var rxHTTPKinds = []struct {
	kind     string
	okStatus int
	spec     func(t *testing.T, base string) (ReceiverSpec, string, func(string) string) // spec, baseDir, getenv
}{
	{ReceiverWebhook, http.StatusNoContent, func(t *testing.T, base string) (ReceiverSpec, string, func(string) string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "hook.secret"), []byte("s3cret-hook-key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return ReceiverSpec{Name: "hooks", Webhook: &WebhookSpec{URL: base + "/hooks/T0KEN-s3cret-path-123456?sig=s3cretQuery",
			SecretFile: "hook.secret", Headers: map[string]string{"Authorization": "Bearer s3cret-bearer"}}}, dir, nil
	}},
	{ReceiverSlack, http.StatusOK, func(t *testing.T, base string) (ReceiverSpec, string, func(string) string) {
		env := map[string]string{"SLACK_URL": base + "/services/T000/B000/s3cretSlackToken"}
		return ReceiverSpec{Name: "chat", Slack: &SlackSpec{URLEnv: "SLACK_URL", Channel: "#ops"}}, "", func(k string) string { return env[k] }
	}},
	{ReceiverPagerDuty, http.StatusAccepted, func(t *testing.T, base string) (ReceiverSpec, string, func(string) string) {
		env := map[string]string{"PD_KEY": "s3cretRoutingKey0123456789abcdef"}
		return ReceiverSpec{Name: "pager", PagerDuty: &PagerDutySpec{URL: base + "/v2/enqueue", RoutingKeyEnv: "PD_KEY"}}, "", func(k string) string { return env[k] }
	}},
	{ReceiverAlertmanager, http.StatusOK, func(t *testing.T, base string) (ReceiverSpec, string, func(string) string) {
		return ReceiverSpec{Name: "oncall", Alertmanager: &AlertmanagerSpec{URL: base}}, "", nil
	}},
}

// TestHTTPReceiversClassify drives every HTTP receiver through a receiver
// that fails in every way before it takes the message, and checks what
// Notify says each time: retry or not, how long to wait, and never a
// secret.
func TestHTTPReceiversClassify(t *testing.T) {
	for _, k := range rxHTTPKinds {
		t.Run(k.kind, func(t *testing.T) {
			echo := `{"error": "invalid event for %PATH%: %BODY%"}`
			srv := rxStart(t, k.okStatus,
				rxStep{status: 503, body: "upstream unavailable\r\n\x00 try later"},
				rxStep{status: 429, header: map[string]string{"Retry-After": "7"}, body: "slow down"},
				rxStep{status: 503, header: map[string]string{"Retry-After": time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)}},
				rxStep{status: 429, header: map[string]string{"Retry-After": "86400"}},
				rxStep{status: 400, body: echo},
				rxStep{status: 404, body: strings.Repeat("x", 5000)},
				rxStep{status: 501},
				rxStep{status: 302, header: map[string]string{"Location": "/elsewhere"}},
			)
			spec, dir, getenv := k.spec(t, srv.URL)
			n, err := NewNotifier(spec, dir, getenv)
			if err != nil {
				t.Fatal(err)
			}
			nf := rxFiring()
			steps := []struct {
				retry bool
				after time.Duration // -1: between 20s and 31s
				has   string
			}{
				{true, 0, `503 Service Unavailable: "upstream unavailable try later"`},
				{true, 7 * time.Second, "429 Too Many Requests"},
				{true, -1, "503 Service Unavailable"},
				{true, MaxRetryAfter, "429 Too Many Requests"},
				{false, 0, "400 Bad Request"},
				{false, 0, "404 Not Found"},
				{false, 0, "501 Not Implemented"},
				{false, 0, "302 Found"},
			}
			for i, want := range steps {
				retry, err := n.Notify(context.Background(), nf)
				if err == nil {
					t.Fatalf("step %d: Notify succeeded, want %q", i, want.has)
				}
				msg := err.Error()
				if retry != want.retry || !strings.Contains(msg, want.has) {
					t.Errorf("step %d: Notify = %v, %q; want %v and %q", i, retry, msg, want.retry, want.has)
				}
				after := RetryAfter(err)
				switch {
				case want.after == -1 && (after < 20*time.Second || after > 31*time.Second):
					t.Errorf("step %d: RetryAfter = %v, want about 30s (an HTTP date)", i, after)
				case want.after >= 0 && after != want.after:
					t.Errorf("step %d: RetryAfter = %v, want %v", i, after, want.after)
				}
				if strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") {
					t.Errorf("step %d: error shows a secret or breaks the line: %q", i, msg)
				}
				if len(msg) > errBodyLimit+200 {
					t.Errorf("step %d: error is %d bytes long", i, len(msg))
				}
				if k.kind != ReceiverAlertmanager && !strings.Contains(msg, "<secret>") {
					t.Errorf("step %d: error %q does not mark what it hid", i, msg)
				}
			}
			if retry, err := n.Notify(context.Background(), nf); err != nil || retry {
				t.Fatalf("last step: Notify = %v, %v; want success", retry, err)
			}
			if got := len(srv.requests()); got != len(steps)+1 {
				t.Errorf("the receiver got %d requests, want %d: Notify must make exactly one attempt", got, len(steps)+1)
			}
			if s := fmt.Sprint(n); strings.Contains(s, "s3cret") || !strings.HasPrefix(s, k.kind+" http://127.0.0.1:") {
				t.Errorf("notifier prints as %q", s)
			}

			// Down: connection refused is worth retrying.
			srv.Close()
			retry, err := n.Notify(context.Background(), nf)
			if err == nil || !retry || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("receiver down: Notify = %v, %v; want a retryable error without secrets", retry, err)
			}
		})
	}
}

func TestHTTPReceiversTimeoutAndCancel(t *testing.T) {
	for _, k := range rxHTTPKinds {
		t.Run(k.kind, func(t *testing.T) {
			srv := rxStart(t, k.okStatus, rxStep{status: 200, delay: 5 * time.Second})
			spec, dir, getenv := k.spec(t, srv.URL)
			n, err := NewNotifier(spec, dir, getenv)
			if err != nil {
				t.Fatal(err)
			}
			switch nn := n.(type) {
			case *webhookNotifier:
				nn.http.timeout = 200 * time.Millisecond
			case *slackNotifier:
				nn.http.timeout = 200 * time.Millisecond
			case *pagerDutyNotifier:
				nn.http.timeout = 200 * time.Millisecond
			case *alertmanagerNotifier:
				nn.http.timeout = 200 * time.Millisecond
			}
			start := time.Now()
			retry, err := n.Notify(context.Background(), rxFiring())
			if err == nil || !retry || !strings.Contains(err.Error(), "no answer within 200ms") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("slow receiver: Notify = %v, %v; want a retryable timeout", retry, err)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("Notify took %v with a 200ms timeout", el)
			}

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			retry, err = n.Notify(ctx, rxFiring())
			if err == nil || !retry || !errors.Is(err, context.Canceled) {
				t.Errorf("canceled: Notify = %v, %v; want retryable context.Canceled", retry, err)
			}
		})
	}
}

func TestHTTPTargetScrubsEscapedSecrets(t *testing.T) {
	h := newHTTPTarget("http://h/x", "http://h/<secret>", 0, "a b/c+secret")
	got := h.scrub("echo: a+b%2Fc%2Bsecret and a b/c+secret")
	if strings.Contains(got, "secret ") || strings.Count(got, "<secret>") != 2 {
		t.Errorf("scrub = %q", got)
	}
}
