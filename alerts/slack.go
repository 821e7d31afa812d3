package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// SlackSpec is a Slack-compatible incoming webhook (Slack, Mattermost,
// Rocket.Chat …). Its URL is itself the credential, so it comes from a
// file or an environment variable.
//
//	slack: {url_file: slack.url, channel: "#ops", username: slawatch}
type SlackSpec struct {
	URLFile string `yaml:"url_file"` // relative to the config file
	URLEnv  string `yaml:"url_env"`
	// Channel and Username override the webhook's defaults where the
	// service allows it (Slack's legacy webhooks, Mattermost).
	Channel  string `yaml:"channel"`
	Username string `yaml:"username"`
	// Timeout bounds one attempt; default DefaultReceiverTimeout.
	Timeout time.Duration `yaml:"timeout"`
}

func (s *SlackSpec) check(p *specProblems, prefix string) {
	checkSecretSource(p, prefix, "url", s.URLFile, s.URLEnv, true)
	if strings.ContainsAny(s.Channel, " \t\r\n\x00") {
		p.add(prefix+"channel", "%s holds white space", quoteShort(s.Channel))
	}
	if strings.ContainsAny(s.Username, "\r\n\x00") {
		p.add(prefix+"username", "holds a line break or NUL")
	}
	checkTimeout(p, prefix+"timeout", s.Timeout)
}

type slackNotifier struct {
	name     string
	http     *httpTarget
	channel  string
	username string
}

func newSlack(name string, s SlackSpec, sec secretReader) (*slackNotifier, error) {
	u, err := sec.read("slack.", "url", s.URLFile, s.URLEnv)
	if err != nil {
		return nil, err
	}
	key := "slack.url_file"
	if s.URLFile == "" {
		key = "slack.url_env"
	}
	if msg := httpURLProblem(u); msg != "" {
		where := sec.path(s.URLFile)
		if where == "" {
			where = "environment variable " + s.URLEnv
		}
		return nil, fmt.Errorf("%s: %s: %s", key, where, msg)
	}
	return &slackNotifier{
		name:     name,
		http:     newHTTPTarget(u, Redact(u), s.Timeout, urlSecrets(u)...),
		channel:  s.Channel,
		username: s.Username,
	}, nil
}

func (n *slackNotifier) String() string { return "slack " + n.http.display }

// SlackMessage is what a Slack-compatible incoming webhook takes.
type SlackMessage struct {
	Text     string `json:"text"`
	Channel  string `json:"channel,omitempty"`
	Username string `json:"username,omitempty"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackText is the message: a headline, the description, and a link.
//
//	[P1] FIRING portal down: status 503, want [200]
//	[P1] RESOLVED portal down: status 503, want [200] (after 12m 30s)
func slackText(nf Notification) string {
	head := alertHeadline(nf, " ")
	if nf.Resolved {
		if d := alertDuration(nf.Alert); d > 0 {
			head += " (after " + humanDuration(d) + ")"
		}
	} else if by := oneLine(nf.Alert.AckedBy); by != "" {
		head += " (acknowledged by " + by + ")"
	}
	lines := []string{slackEscape.Replace(head)}
	if d := strings.TrimSpace(nf.Alert.Annotations["description"]); d != "" && !nf.Resolved {
		lines = append(lines, slackEscape.Replace(d))
	}
	if l := alertLink(nf); l != "" {
		// A bare URL: every Slack-compatible service links it.
		lines = append(lines, slackEscape.Replace(l))
	}
	return strings.Join(lines, "\n")
}

// Notify posts the message. Slack answers 200 "ok"; 400, 403, 404 and 410
// mean the message or the webhook is wrong (final); 429 carries
// Retry-After.
func (n *slackNotifier) Notify(ctx context.Context, nf Notification) (bool, error) {
	body, err := json.Marshal(SlackMessage{Text: slackText(nf), Channel: n.channel, Username: n.username})
	if err != nil {
		return false, fmt.Errorf("slack: encoding the message: %v", err)
	}
	return n.http.post(ctx, body, nil)
}
