package alerts

import (
	"context"
	"encoding/json"
	"testing"
)

func TestSlackMessage(t *testing.T) {
	srv := rxStart(t, 200)
	env := map[string]string{"SLACK_URL": srv.URL + "/services/T000/B000/s3cretSlackToken"}
	n, err := NewNotifier(ReceiverSpec{Name: "chat", Slack: &SlackSpec{URLEnv: "SLACK_URL", Channel: "#ops", Username: "slawatch"}},
		"", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	send := func(nf Notification) SlackMessage {
		t.Helper()
		if retry, err := n.Notify(context.Background(), nf); err != nil {
			t.Fatalf("Notify = %v, %v", retry, err)
		}
		req := srv.last(t)
		if req.path != "/services/T000/B000/s3cretSlackToken" {
			t.Errorf("posted to %q", req.path)
		}
		var m SlackMessage
		if err := json.Unmarshal(req.body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	m := send(rxFiring())
	want := "[P1] FIRING portal down: status 503, want [200]\n" +
		"customer-portal (production) is down since 2026-11-04 14:00:00 CET; probe health reports: status 503, want [200].\n" +
		"http://127.0.0.1:9477/#svc-customer-portal"
	if m.Text != want || m.Channel != "#ops" || m.Username != "slawatch" {
		t.Errorf("firing message = %+v\nwant text %q", m, want)
	}

	m = send(rxResolved())
	want = "[P1] RESOLVED portal down: status 503, want [200] (after 12m 30s)\nhttp://127.0.0.1:9477/#svc-customer-portal"
	if m.Text != want {
		t.Errorf("resolved text = %q, want %q", m.Text, want)
	}

	// Acknowledged, with mrkdwn's reserved characters and no summary,
	// status page or severity.
	nf := rxFiring()
	nf.Alert.AckedBy = "alice"
	nf.Alert.Annotations = map[string]string{"description": "a < b & c > d"}
	delete(nf.Alert.Labels, "severity")
	nf.ExternalURL = ""
	m = send(nf)
	want = "FIRING ServiceDown customer-portal (acknowledged by alice)\na &lt; b &amp; c &gt; d"
	if m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
}
