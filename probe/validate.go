package probe

import "errors"

// Validate checks a Spec without touching the network. Its errors begin with
// the key they concern, relative to the probe ("http.url: …", "timeout: …"),
// so the config loader can point at the line.
func (s *Spec) Validate() error {
	if s.Kind() == "" {
		return errors.New("name: a probe needs one of http, tcp, dns or tls")
	}
	return nil
}
