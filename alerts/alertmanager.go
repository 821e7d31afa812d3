package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultResolveTimeout is how long Alertmanager keeps a firing alert
// slawatch stopped sending before it resolves it on its own.
const DefaultResolveTimeout = 15 * time.Minute

// AlertmanagerSpec is an alertmanager receiver: alerts are posted to a
// Prometheus Alertmanager's API v2, which groups, silences and routes them
// further.
//
//	alertmanager: {url: "http://127.0.0.1:9093", resolve_timeout: 15m}
type AlertmanagerSpec struct {
	// URL is the Alertmanager's base URL (what its --web.external-url
	// says); alerts go to URL/api/v2/alerts.
	URL string `yaml:"url"`
	// Timeout bounds one attempt; default DefaultReceiverTimeout.
	Timeout time.Duration `yaml:"timeout"`
	// ResolveTimeout is the endsAt of a firing alert, counted from when it
	// is sent: the caller re-sends firing alerts well within it (every
	// resolve_timeout/5, say), and if slawatch dies the Alertmanager
	// resolves them on its own after it. Default DefaultResolveTimeout.
	ResolveTimeout time.Duration `yaml:"resolve_timeout"`
}

func (s *AlertmanagerSpec) check(p *specProblems, prefix string) {
	// An Alertmanager URL is not a secret, but a password in it is.
	checkHTTPURL(p, prefix+"url", s.URL, redactUserinfo(s.URL))
	if u, err := url.Parse(s.URL); err == nil && (u.RawQuery != "" || u.Fragment != "") {
		p.add(prefix+"url", "a base URL has no query or fragment; /api/v2/alerts is added to it")
	}
	checkTimeout(p, prefix+"timeout", s.Timeout)
	switch {
	case s.ResolveTimeout < 0:
		p.add(prefix+"resolve_timeout", "%v is negative", s.ResolveTimeout)
	case s.ResolveTimeout > 0 && s.ResolveTimeout < time.Minute:
		p.add(prefix+"resolve_timeout", "%v is shorter than a minute: alerts would flap between re-sends", s.ResolveTimeout)
	}
}

// alertmanagerNotifier posts to an Alertmanager.
type alertmanagerNotifier struct {
	name           string
	http           *httpTarget
	resolveTimeout time.Duration
	now            func() time.Time
}

func newAlertmanager(name string, s AlertmanagerSpec) (*alertmanagerNotifier, error) {
	endpoint := strings.TrimRight(s.URL, "/") + "/api/v2/alerts"
	var secrets []string
	if u, err := url.Parse(s.URL); err == nil {
		if pw, ok := u.User.Password(); ok {
			secrets = append(secrets, pw)
		}
	}
	rt := s.ResolveTimeout
	if rt <= 0 {
		rt = DefaultResolveTimeout
	}
	return &alertmanagerNotifier{
		name:           name,
		http:           newHTTPTarget(endpoint, redactUserinfo(endpoint), s.Timeout, secrets...),
		resolveTimeout: rt,
		now:            time.Now,
	}, nil
}

func (n *alertmanagerNotifier) String() string { return "alertmanager " + n.http.display }

// AlertmanagerAlert is one alert as Alertmanager's POST /api/v2/alerts
// takes it (its postableAlert).
type AlertmanagerAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// alertmanagerPayload is the body for one notification. A firing alert
// ends at now + the resolve timeout, so that Alertmanager resolves it by
// itself if slawatch stops re-sending; a resolved one ends when it ended.
// It starts when it fired, as Prometheus's alerts do.
func alertmanagerPayload(nf Notification, now time.Time, resolveTimeout time.Duration) []AlertmanagerAlert {
	a := nf.Alert
	starts := a.FiredAt
	if starts.IsZero() {
		starts = a.StartsAt
	}
	var ends time.Time
	if nf.Resolved {
		ends = a.EndsAt
		if ends.IsZero() {
			ends = now
		}
	} else {
		ends = now.Add(resolveTimeout)
	}
	if !starts.IsZero() && ends.Before(starts) {
		ends = starts // Alertmanager refuses an alert that ends before it starts
	}
	am := AlertmanagerAlert{
		Labels:       nonNil(a.Labels),
		Annotations:  a.Annotations,
		StartsAt:     utc(starts),
		EndsAt:       utc(ends),
		GeneratorURL: alertLink(nf),
	}
	if u, err := url.Parse(am.GeneratorURL); err != nil || !u.IsAbs() {
		am.GeneratorURL = "" // Alertmanager wants an absolute URI here
	}
	return []AlertmanagerAlert{am}
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// Notify posts the alert. Alertmanager answers 200 when it took it, 400
// with a reason when the alert is invalid (final).
func (n *alertmanagerNotifier) Notify(ctx context.Context, nf Notification) (bool, error) {
	body, err := json.Marshal(alertmanagerPayload(nf, n.now(), n.resolveTimeout))
	if err != nil {
		return false, fmt.Errorf("alertmanager: encoding the alert: %v", err)
	}
	return n.http.post(ctx, body, nil)
}
