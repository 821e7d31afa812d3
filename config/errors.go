package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a config file. It prints as
// "FILE:LINE: path.to.key: what is wrong", or "FILE:LINE: what is wrong"
// when it concerns no particular key (a YAML syntax error, say).
type Error struct {
	File string
	Line int
	Path string // e.g. services[3].probes[0].interval
	Msg  string
}

func (e *Error) Error() string {
	// One error, one line: callers split Errors.Error() on newlines.
	msg := strings.ReplaceAll(e.Msg, "\n", " ")
	if e.Path == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Path, msg)
}

// Errors is every problem found in a config, sorted by file and line.
type Errors []*Error

// Error joins the errors, one a line.
func (e *Errors) Error() string {
	lines := make([]string, len(*e))
	for i, err := range *e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find an individual *Error.
func (e *Errors) Unwrap() []error {
	out := make([]error, len(*e))
	for i, err := range *e {
		out[i] = err
	}
	return out
}

// maxErrors bounds the list so that a hostile file (say, an alias bomb
// expanding into a million bad values) cannot make an unbounded report.
const maxErrors = 500

// collector gathers errors while a config is decoded and validated.
type collector struct {
	errs    Errors
	seen    map[string]bool
	dropped int

	// failed holds paths whose value could not be decoded: checks on them
	// and below them would only report the same mistake again.
	failed map[string]bool
	// reported holds paths with a validation error, so that a check that
	// depends on one (say, probes using defaults.schedule) can skip.
	reported map[string]bool
}

func newCollector() *collector {
	return &collector{seen: map[string]bool{}, failed: map[string]bool{}, reported: map[string]bool{}}
}

func (c *collector) add(file string, line int, path, format string, args ...any) {
	if line < 1 {
		line = 1 // every error line must read FILE:LINE:
	}
	e := &Error{File: file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
	s := e.Error()
	if c.seen[s] {
		return
	}
	c.seen[s] = true
	if len(c.errs) >= maxErrors {
		c.dropped++
		return
	}
	c.errs = append(c.errs, e)
}

// result sorts the errors and returns them, or nil when there are none.
func (c *collector) result() error {
	if len(c.errs) == 0 {
		return nil
	}
	errs := slices.Clone(c.errs)
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	if c.dropped > 0 {
		last := errs[len(errs)-1]
		errs = append(errs, &Error{File: last.File, Line: last.Line,
			Msg: fmt.Sprintf("%d more errors not shown", c.dropped)})
	}
	return &errs
}

// Paths name a value the way a reader finds it in the file:
// services[3].probes[0].interval, policies.ultimo-saas.rpo,
// http.headers["X-Api-Key"].

func fieldPath(parent, key string) string {
	if !plainKey(key) {
		return parent + "[" + strconv.Quote(key) + "]"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

// plainKey reports whether key can be written after a dot without
// ambiguity; other keys are quoted in brackets.
func plainKey(key string) bool {
	if key == "" {
		return false
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// parentPath strips the last element of a path built by fieldPath and
// indexPath. A quoted key never contains `["` (its quotes are escaped), so
// the last `["` starts the last element.
func parentPath(p string) string {
	if strings.HasSuffix(p, `"]`) {
		if i := strings.LastIndex(p, `["`); i >= 0 {
			return p[:i]
		}
	}
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexAny(p, ".]"); i >= 0 {
		if p[i] == ']' {
			return p[:i+1]
		}
		return p[:i]
	}
	return ""
}
