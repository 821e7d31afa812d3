package config

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"os"
	"strings"

	"github.com/slawatch/slawatch/probe"
)

// APITokens returns the bearer tokens that may write through the API, read
// from server.api_tokens_file (one a line; blank lines and # comments
// skipped) or server.api_tokens_env (separated by commas or newlines). With
// neither configured, or an empty variable, it returns no tokens and no
// error: writes are then refused. Errors name the file, never a token.
func (c *Config) APITokens() ([]string, error) {
	s := c.Server
	switch {
	case s.APITokensFile != "":
		data, err := readFile(s.APITokensFile)
		if err != nil {
			return nil, fmt.Errorf("api_tokens_file: %w", err)
		}
		var tokens []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, len(data)+1)
		for n := 1; sc.Scan(); n++ {
			t := strings.TrimSpace(sc.Text())
			if t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if strings.ContainsAny(t, " \t") {
				return nil, fmt.Errorf("%s:%d: a token must not contain spaces", s.APITokensFile, n)
			}
			tokens = append(tokens, t)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.APITokensFile, err)
		}
		if len(tokens) == 0 {
			return nil, fmt.Errorf("%s: no tokens in file", s.APITokensFile)
		}
		return tokens, nil
	case s.APITokensEnv != "":
		var tokens []string
		for _, t := range strings.FieldsFunc(os.Getenv(s.APITokensEnv), func(r rune) bool {
			return r == ',' || r == '\n' || r == '\r'
		}) {
			if t = strings.TrimSpace(t); t != "" {
				tokens = append(tokens, t)
			}
		}
		// An unset variable is a deployment without write access (the
		// daemon says so at start), not a broken config: the shipped example
		// names SLAWATCH_API_TOKENS and must run without it.
		return tokens, nil
	}
	return nil, nil
}

// Redacted returns a copy of c that is safe to print or serve: HTTP probe
// header values and bodies read <secret>, and passwords in probe URLs xxxxx.
// Tokens are never in the config, so there is nothing else to hide.
func (c *Config) Redacted() *Config {
	r := *c
	r.Services = make([]*Service, len(c.Services))
	for i, s := range c.Services {
		rs := *s
		rs.Probes = make([]*probe.Spec, len(s.Probes))
		for j, p := range s.Probes {
			rp := *p
			if p.HTTP != nil {
				h := *p.HTTP
				h.URL = redactURL(h.URL)
				h.Headers = maps.Clone(h.Headers)
				for k := range h.Headers {
					h.Headers[k] = "<secret>"
				}
				if h.Body != "" {
					h.Body = "<secret>"
				}
				rp.HTTP = &h
			}
			rs.Probes[j] = &rp
		}
		r.Services[i] = &rs
	}
	r.byName = nil
	return &r
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted() // user:xxxxx@host

}
