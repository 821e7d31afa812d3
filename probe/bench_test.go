package probe

import (
	"context"
	"github.com/slawatch/slawatch/internal/testutil"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// The two benchmarks do the same GET against the same loopback server, each
// over a fresh connection: the probe (with tracing, checks, result) and a
// bare http.Client with keep-alives off. Their ratio is the probe's overhead
// (target: within 1.3×). Server CPU is in both. Besides ns/op they report
// cpu-ns/op, the process's user+system CPU per operation, which a busy
// machine disturbs far less than wall time.

// cpuTime is the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU starts measuring; call the result after the loop.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkHTTPProbe(b *testing.B) {
	srv := benchServer(b)
	p, err := New(Spec{Service: "bench", Name: "health", Timeout: 5 * time.Second, HTTP: &HTTPSpec{URL: srv.URL + "/health"}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if r := p.Probe(ctx); !r.Success {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkHTTPProbeBodyMatch(b *testing.B) {
	srv := benchServer(b)
	p, err := New(Spec{Service: "bench", Name: "health", Timeout: 5 * time.Second,
		HTTP: &HTTPSpec{URL: srv.URL + "/health", BodyContains: "ok", Status: []int{200}}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if r := p.Probe(ctx); !r.Success {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkBareClientFloor(b *testing.B) {
	srv := benchServer(b)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	url := srv.URL + "/health"
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if err := testutil.BareGet(context.Background(), client, url); err != nil {
			b.Fatal(err)
		}
	}
}
