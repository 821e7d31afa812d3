package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// DefaultPagerDutyURL is the PagerDuty Events API v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// DefaultPagerDutySeverity maps slawatch severities to PagerDuty's. A
// severity it does not name is sent as "error".
var DefaultPagerDutySeverity = map[string]string{
	"P1": "critical",
	"P2": "error",
	"P3": "warning",
	"P4": "info",
}

var pagerDutySeverities = map[string]bool{"critical": true, "error": true, "warning": true, "info": true}

// PagerDutySpec is a PagerDuty Events API v2 receiver.
//
//	pagerduty: {routing_key_file: pd.key, severity: {P2: critical}}
type PagerDutySpec struct {
	// RoutingKeyFile (relative to the config file) or RoutingKeyEnv holds
	// the integration's routing key.
	RoutingKeyFile string `yaml:"routing_key_file"`
	RoutingKeyEnv  string `yaml:"routing_key_env"`
	// URL is the events endpoint; default DefaultPagerDutyURL.
	URL string `yaml:"url"`
	// Severity maps severity labels to critical, error, warning or info,
	// over DefaultPagerDutySeverity.
	Severity map[string]string `yaml:"severity"`
	// Timeout bounds one attempt; default DefaultReceiverTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

func (s *PagerDutySpec) check(p *specProblems, prefix string) {
	checkSecretSource(p, prefix, "routing_key", s.RoutingKeyFile, s.RoutingKeyEnv, true)
	if s.URL != "" {
		checkHTTPURL(p, prefix+"url", s.URL, "")
	}
	for _, k := range sortedKeys(s.Severity) {
		switch {
		case k == "":
			p.add(prefix+"severity", "an empty severity name")
		case !pagerDutySeverities[s.Severity[k]]:
			p.add(prefix+"severity", "%s: %s is not one of critical, error, warning, info", k, quoteShort(s.Severity[k]))
		}
	}
	checkTimeout(p, prefix+"timeout", s.Timeout)
}

type pagerDutyNotifier struct {
	name       string
	http       *httpTarget
	routingKey string
	severity   map[string]string
}

func newPagerDuty(name string, s PagerDutySpec, sec secretReader) (*pagerDutyNotifier, error) {
	key, err := sec.read("pagerduty.", "routing_key", s.RoutingKeyFile, s.RoutingKeyEnv)
	if err != nil {
		return nil, err
	}
	u := s.URL
	if u == "" {
		u = DefaultPagerDutyURL
	}
	sev := maps.Clone(DefaultPagerDutySeverity)
	maps.Copy(sev, s.Severity)
	return &pagerDutyNotifier{
		name:       name,
		http:       newHTTPTarget(u, Redact(u), s.Timeout, append(urlSecrets(u), key)...),
		routingKey: key,
		severity:   sev,
	}, nil
}

func (n *pagerDutyNotifier) String() string { return "pagerduty " + n.http.display }

// PagerDutyEvent is an Events API v2 event.
type PagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"` // trigger, acknowledge or resolve
	DedupKey    string            `json:"dedup_key"`
	Payload     *PagerDutyPayload `json:"payload,omitempty"`
	Client      string            `json:"client,omitempty"`
	ClientURL   string            `json:"client_url,omitempty"`
	Links       []PagerDutyLink   `json:"links,omitempty"`
}

// PagerDutyPayload describes the alert of a trigger event.
type PagerDutyPayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Group         string            `json:"group,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// PagerDutyLink is a link shown with the incident.
type PagerDutyLink struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// pagerDutySummaryMax is the Events API's limit on summary.
const pagerDutySummaryMax = 1024

// pagerDutyEvent is the event for a notification: trigger while firing,
// acknowledge once acknowledged in slawatch, resolve when resolved; the
// alert's fingerprint is the dedup key, so all three reach one incident.
func (n *pagerDutyNotifier) event(nf Notification) PagerDutyEvent {
	a := nf.Alert
	ev := PagerDutyEvent{
		RoutingKey: n.routingKey,
		DedupKey:   a.Fingerprint(),
		Client:     "slawatch",
		ClientURL:  nf.ExternalURL,
	}
	switch {
	case nf.Resolved:
		ev.EventAction = "resolve"
		return ev
	case !a.AckedAt.IsZero():
		ev.EventAction = "acknowledge"
		return ev
	}
	ev.EventAction = "trigger"
	sev, ok := n.severity[a.Labels["severity"]]
	if !ok {
		sev = "error"
	}
	source := a.Labels["service"]
	if source == "" {
		source = "slawatch"
	}
	summary := alertHeadline(nf, " ")
	summary = truncateText(summary, pagerDutySummaryMax)
	// custom_details: labels, then annotations; an annotation whose name a
	// label has is kept as annotation.<name>.
	details := make(map[string]string, len(a.Labels)+len(a.Annotations))
	maps.Copy(details, a.Labels)
	for k, v := range a.Annotations {
		if _, dup := details[k]; dup {
			k = "annotation." + k
		}
		details[k] = v
	}
	ts := a.FiredAt
	if ts.IsZero() {
		ts = a.StartsAt
	}
	ev.Payload = &PagerDutyPayload{
		Summary:       summary,
		Source:        source,
		Severity:      sev,
		Component:     a.Labels["probe"],
		Group:         a.Labels["environment"],
		Class:         a.Labels["alertname"],
		CustomDetails: details,
	}
	if !ts.IsZero() {
		ev.Payload.Timestamp = ts.UTC().Format(time.RFC3339)
	}
	if l := alertLink(nf); l != "" {
		ev.Links = []PagerDutyLink{{Href: l, Text: "status page"}}
	}
	return ev
}

// Notify sends the event. PagerDuty answers 202 when it took it, 400 when
// the event is invalid (final), 429 when rate-limited.
func (n *pagerDutyNotifier) Notify(ctx context.Context, nf Notification) (bool, error) {
	body, err := json.Marshal(n.event(nf))
	if err != nil {
		return false, fmt.Errorf("pagerduty: encoding the event: %v", err)
	}
	return n.http.post(ctx, body, nil)
}
