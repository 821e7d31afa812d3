package probe

import (
	"context"
	"net"
	"time"
)

// Defaults for a Spec that leaves them zero; the config loader normally fills
// them from its own defaults first.
const (
	DefaultInterval = 30 * time.Second
	DefaultTimeout  = 10 * time.Second
)

// Option adjusts how New compiles a probe.
type Option func(*options)

type options struct {
	now        func() time.Time
	resolver   *net.Resolver
	resolvConf string
}

// WithClock makes probes stamp Result.Start from now instead of time.Now.
// Durations are still measured on the monotonic clock.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithResolver makes http, tcp and tls probes look host names up with r
// instead of net.DefaultResolver.
func WithResolver(r *net.Resolver) Option {
	return func(o *options) { o.resolver = r }
}

// New compiles spec into a Prober: regexps, URL, CA file and method are
// checked and prepared once, so each attempt only does the network work.
func New(spec Spec, opts ...Option) (Prober, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	o := options{resolvConf: "/etc/resolv.conf"}
	for _, opt := range opts {
		opt(&o)
	}
	b := base{service: spec.Service, name: spec.Name, timeout: spec.Timeout, now: o.now}
	if b.timeout == 0 {
		b.timeout = DefaultTimeout
	}
	switch spec.Kind() {
	case "http":
		return newHTTP(b, spec.HTTP, &o)
	case "tcp":
		return newTCP(b, spec.TCP, &o), nil
	case "dns":
		return newDNS(b, spec.DNS, &o)
	default: // "tls"; Validate has ruled out the rest
		return newTLS(b, spec.TLS, &o)
	}
}

// base holds what every probe type needs to start and stamp an attempt.
type base struct {
	service, name string
	timeout       time.Duration
	now           func() time.Time // nil: time.Now
}

// begin starts an attempt: it bounds ctx by the probe's timeout and returns
// the start on the monotonic clock, for durations and timeout texts.
func (b *base) begin(ctx context.Context) (context.Context, context.CancelFunc, time.Time, Result) {
	start := time.Now()
	wall := start
	if b.now != nil {
		wall = b.now()
	}
	cancel := context.CancelFunc(func() {})
	// The Scheduler has already bounded ctx by the same timeout; a second
	// timer per attempt would only cost.
	if dl, ok := ctx.Deadline(); !ok || dl.Sub(start) > b.timeout {
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
	}
	return ctx, cancel, start, Result{
		Service: b.service,
		Probe:   b.name,
		// Truncate also drops the monotonic reading, and UTC makes the value
		// compare equal after a round trip through the store.
		Start: wall.Truncate(time.Millisecond).UTC(),
	}
}

// fail finishes r as a failure of err.
func fail(ctx context.Context, r *Result, start time.Time, err error) {
	r.Duration = time.Since(start)
	r.Success = false
	r.Err = errText(ctx, err, start)
}
