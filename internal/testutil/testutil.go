// Package testutil holds helpers for tests that drive real parts: local
// targets that fail on command, external binaries, free ports.
package testutil

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// RequireBinary returns the path of an external program a test drives (a
// real Prometheus, promtool, restic …). Where it is missing the test is
// skipped, unless SLAWATCH_INTEGRATION=required (as CI sets), where it fails:
// integration tests cannot be skipped in CI.
func RequireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("SLAWATCH_INTEGRATION") == "required" {
		t.Fatalf("%s is not on PATH, and SLAWATCH_INTEGRATION=required: install it (see .ci/run)", name)
	}
	t.Skipf("%s is not on PATH; set SLAWATCH_INTEGRATION=required to make this a failure", name)
	return ""
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Target is a local HTTP server that answers 200 "ok" while up and 503
// while down; tests switch it and read back when they did.
type Target struct {
	*httptest.Server
	mu       sync.Mutex
	down     bool
	failNext int
	hits     int
}

// NewTarget starts a Target that is up.
func NewTarget(t testing.TB) *Target {
	tg := &Target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(tg.serve))
	t.Cleanup(tg.Close)
	return tg
}

func (tg *Target) serve(w http.ResponseWriter, r *http.Request) {
	tg.mu.Lock()
	tg.hits++
	fail := tg.down || tg.failNext > 0
	if tg.failNext > 0 {
		tg.failNext--
	}
	tg.mu.Unlock()
	if fail {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ok")
}

// SetDown switches the target down (true) or up and returns when it did.
func (tg *Target) SetDown(down bool) time.Time {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.down = down
	return time.Now()
}

// FailNext makes the next n requests fail.
func (tg *Target) FailNext(n int) {
	tg.mu.Lock()
	tg.failNext = n
	tg.mu.Unlock()
}

// Hits is the number of requests served so far.
func (tg *Target) Hits() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.hits
}

// Eventually polls cond every 20 ms until it holds or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
