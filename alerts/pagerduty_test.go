package alerts

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestPagerDutyEvents(t *testing.T) {
	srv := rxStart(t, 202)
	env := map[string]string{"PD_KEY": "s3cretRoutingKey0123456789abcdef"}
	n, err := NewNotifier(ReceiverSpec{Name: "pager", PagerDuty: &PagerDutySpec{
		URL: srv.URL + "/v2/enqueue", RoutingKeyEnv: "PD_KEY", Severity: map[string]string{"P2": "critical"},
	}}, "", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	send := func(nf Notification) map[string]any {
		t.Helper()
		if retry, err := n.Notify(context.Background(), nf); err != nil {
			t.Fatalf("Notify = %v, %v", retry, err)
		}
		req := srv.last(t)
		if req.path != "/v2/enqueue" {
			t.Errorf("posted to %q", req.path)
		}
		var ev map[string]any
		if err := json.Unmarshal(req.body, &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	fp := rxAlert().Fingerprint()

	ev := send(rxFiring())
	want := map[string]any{
		"routing_key":  "s3cretRoutingKey0123456789abcdef",
		"event_action": "trigger",
		"dedup_key":    fp,
		"client":       "slawatch",
		"client_url":   "http://127.0.0.1:9477/",
		"links":        []any{map[string]any{"href": "http://127.0.0.1:9477/#svc-customer-portal", "text": "status page"}},
		"payload": map[string]any{
			"summary":   "[P1] FIRING portal down: status 503, want [200]",
			"source":    "customer-portal",
			"severity":  "critical",
			"timestamp": "2026-11-04T13:01:00Z",
			"component": "health",
			"group":     "production",
			"class":     "ServiceDown",
			"custom_details": map[string]any{
				"alertname": "ServiceDown", "service": "customer-portal", "severity": "P1",
				"environment": "production", "probe": "health",
				"summary":     "portal down: status 503, want [200]",
				"description": rxAlert().Annotations["description"],
				"status_page": "http://127.0.0.1:9477/#svc-customer-portal",
			},
		},
	}
	if !reflect.DeepEqual(ev, want) {
		got, _ := json.MarshalIndent(ev, "", "  ")
		t.Errorf("trigger event:\n%s", got)
	}

	ev = send(rxResolved())
	if ev["event_action"] != "resolve" || ev["dedup_key"] != fp || ev["payload"] != nil {
		t.Errorf("resolve event = %v", ev)
	}

	ack := rxFiring()
	ack.Alert.AckedAt, ack.Alert.AckedBy = rxT0.Add(3*60e9), "alice"
	if ev = send(ack); ev["event_action"] != "acknowledge" || ev["dedup_key"] != fp {
		t.Errorf("acknowledge event = %v", ev)
	}

	// Severities: the spec's map over the default; unknown ones are errors.
	for sev, want := range map[string]string{"P2": "critical", "P3": "warning", "P4": "info", "P9": "error"} {
		nf := rxFiring()
		nf.Alert.Labels["severity"] = sev
		nf.Alert.Annotations["summary"] = strings.Repeat("long ", 300)
		ev := send(nf)
		p := ev["payload"].(map[string]any)
		if p["severity"] != want {
			t.Errorf("severity %s sent as %v, want %s", sev, p["severity"], want)
		}
		if s := p["summary"].(string); len(s) > pagerDutySummaryMax || !strings.HasSuffix(s, "…") {
			t.Errorf("summary of %d bytes not cut to %d", len(s), pagerDutySummaryMax)
		}
	}

	// An annotation named like a label keeps both.
	nf := rxFiring()
	nf.Alert.Annotations["service"] = "the customer portal"
	p := send(nf)["payload"].(map[string]any)["custom_details"].(map[string]any)
	if p["service"] != "customer-portal" || p["annotation.service"] != "the customer portal" {
		t.Errorf("custom_details = %v", p)
	}
}

// A receiver that echoes the routing key across the cut of the error text
// must not leave half of it in the error.
func TestPagerDutyEchoedKeyAtTheCut(t *testing.T) {
	for pad := errBodyLimit - 40; pad < errBodyLimit+5; pad++ {
		srv := rxStart(t, 202, rxStep{status: 400, body: strings.Repeat("x", pad) + "%BODY%"})
		env := map[string]string{"PD_KEY": "s3cretRoutingKey0123456789abcdef"}
		n, err := NewNotifier(ReceiverSpec{Name: "pager", PagerDuty: &PagerDutySpec{URL: srv.URL, RoutingKeyEnv: "PD_KEY"}},
			"", func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		_, err = n.Notify(context.Background(), rxFiring())
		for i := 8; i <= len(env["PD_KEY"]); i++ {
			if err == nil || strings.Contains(err.Error(), env["PD_KEY"][:i]) {
				t.Fatalf("pad %d: error %v shows %d bytes of the key", pad, err, i)
			}
		}
	}
}
