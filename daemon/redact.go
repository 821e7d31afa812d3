package daemon

import (
	"net/url"
	"sort"
	"strings"
)

// redactURL hides what may be secret in a probe URL before it is shown: the
// password, and query values (health checks often carry API keys there).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparsable URL>"
	}
	q := u.Query()
	u.RawQuery = ""
	s := u.Redacted()
	if len(q) > 0 {
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, url.QueryEscape(k)+"=<secret>")
		}
		sort.Strings(keys)
		s += "?" + strings.Join(keys, "&")
	}
	return s
}
