package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
	"github.com/slawatch/slawatch/store"
	"github.com/slawatch/slawatch/web"
)

// A store on a read-only file system, for real: the kernel refuses the
// writes with EROFS, root included.
//
// Linux does not let a file system be remounted read-only while a file on it
// is open for writing (mount -o remount,ro fails with EBUSY), and the daemon
// holds its store open for writing as long as it runs. A store only turns
// read-only under a running daemon the way the kernel does it after an I/O
// error on a file system mounted errors=remount-ro, and that lasts until the
// file system is unmounted, which needs the daemon stopped. So:
//
//   - TestE2EReadOnlyStoreMakesDaemonNotReady turns an ext4 file system
//     read-only under the daemon that way, and recovers the way an operator
//     must: stop, unmount, fsck, mount, start.
//   - TestE2EStartOnReadOnlyStore starts on a tmpfs remounted read-only.
//   - Recovery in place, with what was held meanwhile reaching the store,
//     takes a store that becomes writable again without a restart: a full
//     disk, which TestE2EUnwritableStoreKeepsOutagesUntilWritable empties.

// ext4Disk mounts a fresh ext4 image with errors=remount-ro for the test and
// returns the mount point and the image.
func ext4Disk(t *testing.T) (mnt, img string) {
	t.Helper()
	mkfs := testutil.RequireBinary(t, "mkfs.ext4")
	dir := t.TempDir()
	img, mnt = filepath.Join(dir, "ext4.img"), filepath.Join(dir, "disk")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(mkfs, "-q", "-F", img, "32M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v\n%s", err, out)
	}
	mountForTest(t, "an ext4 image on a loop device", mnt, "-o", "loop,errors=remount-ro", img, mnt)
	return mnt, img
}

// failExt4 reports an error on the ext4 file system mounted at mnt, as a
// failing disk would; mounted errors=remount-ro, it turns read-only.
func failExt4(t *testing.T, mnt string) {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dev := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// id parent major:minor root mount-point options ... - type source super-options
		fields := strings.Fields(sc.Text())
		_, after, ok := strings.Cut(sc.Text(), " - ")
		if len(fields) > 4 && fields[4] == mnt && ok {
			if rest := strings.Fields(after); len(rest) > 1 && rest[0] == "ext4" {
				dev = filepath.Base(rest[1])
			}
		}
	}
	if dev == "" {
		t.Fatalf("no ext4 mount at %s in /proc/self/mountinfo", mnt)
	}
	if err := os.WriteFile("/sys/fs/ext4/"+dev+"/trigger_fs_error", []byte("slawatch test: fail the disk\n"), 0o200); err != nil {
		t.Fatalf("trigger an ext4 error on %s: %v", dev, err)
	}
}

// storeAt points cfg's storage.path at path.
func storeAt(t *testing.T, cfg, path string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "  path: slawatch.db\n", "  path: "+path+"\n", 1)
	if s == string(b) {
		t.Fatalf("%s has no storage path to replace", cfg)
	}
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cli runs the binary and returns what it printed and its exit code.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("slawatch %s did not finish within 30s\n%s", strings.Join(args, " "), errb.String())
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func readyz(addr string) (int, string) {
	resp, err := http.Get("http://" + addr + "/-/ready")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// alive fails the test when the daemon has exited.
func (p *daemonProc) alive(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		t.Fatalf("the daemon exited (%v)\n%s", err, p.stderr)
	default:
	}
}

// results returns the stored results of portal/health that started in
// [from, to), opening the store file for a moment.
func results(t *testing.T, db string, from, to time.Time) int {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rs, err := st.Results(context.Background(), "portal", "health", from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// noCrash fails when a log shows a panic or a goroutine dump.
func noCrash(t *testing.T, log string) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "SIGBUS", "fatal error"} {
		if strings.Contains(log, bad) {
			t.Fatalf("the output shows a crash (%q):\n%s", bad, log)
		}
	}
}

// TestE2EReadOnlyStoreMakesDaemonNotReady: when the file system under the
// store turns read-only the daemon keeps running and serving, and says on
// /-/ready (503) that the store is read-only. It stops cleanly, saying what
// it could not store, and starts ready once the file system is repaired,
// with what was stored before intact.
func TestE2EReadOnlyStoreMakesDaemonNotReady(t *testing.T) {
	disk, img := ext4Disk(t)
	e2fsck := testutil.RequireBinary(t, "e2fsck")
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	db := filepath.Join(disk, "slawatch.db")
	cfg := e2eConfig(t, dir, addr, target.URL, 100*time.Millisecond)
	storeAt(t, cfg, db)
	d := startDaemon(t, cfg, addr)
	testutil.Eventually(t, 10*time.Second, "results stored", func() bool { return results(t, db, time.Time{}, time.Now()) > 0 })

	roAt := time.Now()
	failExt4(t, disk)
	if err := os.WriteFile(filepath.Join(disk, "canary"), nil, 0o644); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("writing to the failed file system as root: %v, want EROFS", err)
	}
	var reason string
	testutil.Eventually(t, 20*time.Second, "not ready, naming the read-only store", func() bool {
		code, body := readyz(addr)
		reason = body
		return code == http.StatusServiceUnavailable && strings.Contains(body, db+" is on a read-only file system")
	})
	if !strings.Contains(reason, "the store cannot be written") {
		t.Errorf("/-/ready says %q, want it to say the store cannot be written", reason)
	}
	t.Logf("/-/ready: %s", reason)

	// Still serving and probing: an outage opens (in memory only).
	target.SetDown(true)
	testutil.Eventually(t, 10*time.Second, "service down", func() bool { s, _ := serviceState(t, addr); return s == "down" })
	for _, path := range []string{"/-/healthy", "/api/v1/outages"} { // the second reads the store
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %s while the store is read-only", path, resp.Status)
		}
	}
	if code, _ := readyz(addr); code != http.StatusServiceUnavailable {
		t.Fatalf("/-/ready %d while the store is read-only", code)
	}
	d.alive(t)

	// It stops cleanly and says what it could not store.
	d.stop(t)
	logs := d.stderr.String()
	noCrash(t, logs)
	for _, want := range []string{"results not written", "outage not stored", "service=portal"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q:\n%s", want, logs)
		}
	}

	// Repair as an operator would, and start again.
	if out, err := exec.Command("umount", disk).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v\n%s", err, out)
	}
	if out, err := exec.Command(e2fsck, "-f", "-y", img).CombinedOutput(); err != nil {
		var ee *exec.ExitError // 1: errors corrected
		if !errors.As(err, &ee) || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck: %v\n%s", err, out)
		}
	}
	mountForTest(t, "the repaired ext4 image", disk, "-o", "loop,errors=remount-ro", img, disk)
	target.SetDown(false)
	d2 := startDaemon(t, cfg, addr)
	if out, errs, code := cli(t, "db", "check", "--config", cfg); code != 0 || strings.TrimSpace(out) != "ok" {
		t.Fatalf("db check after the repair: exit %d: %s%s", code, out, errs)
	}
	if n := results(t, db, time.Time{}, roAt); n == 0 {
		t.Error("the results stored before the file system turned read-only are gone")
	}
	d2.stop(t)
}

// TestE2EStartOnReadOnlyStore: the daemon, and a command that writes, refuse
// a store on a read-only file system with one line that names the file and
// says so, whether the file exists or would have to be created.
func TestE2EStartOnReadOnlyStore(t *testing.T) {
	disk := smallDisk(t, "8m")
	existing := filepath.Join(disk, "slawatch.db")
	config := func(path string) string {
		dir := t.TempDir()
		cfg := e2eConfig(t, dir, testutil.FreeAddr(t), "http://127.0.0.1:9/", time.Second)
		storeAt(t, cfg, path)
		return cfg
	}
	add := func(cfg string) []string {
		return []string{"outage", "add", "--config", cfg, "--service", "portal",
			"--start", "2026-10-01T10:00:00Z", "--end", "2026-10-01T11:00:00Z", "--cause", "test"}
	}
	if out, errs, code := cli(t, add(config(existing))...); code != 0 {
		t.Fatalf("outage add on the writable store: exit %d: %s%s", code, out, errs)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", disk).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v\n%s", err, out)
	}

	for _, c := range []struct{ name, path, want string }{
		{"existing file", existing, "the file system holding it is read-only"},
		{"no file yet", filepath.Join(disk, "new.db"), "it does not exist and cannot be created on a read-only file system"},
		{"no directory yet", filepath.Join(disk, "data", "new.db"), "it does not exist and cannot be created on a read-only file system"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := config(c.path)
			for _, args := range [][]string{{"run", "--config", cfg}, add(cfg)} {
				cmd := args[0]
				if cmd == "outage" {
					cmd = "outage add"
				}
				out, errs, code := cli(t, args...)
				noCrash(t, errs)
				if code != exitFail {
					t.Errorf("slawatch %s: exit %d, want %d", cmd, code, exitFail)
				}
				if out != "" {
					t.Errorf("slawatch %s printed %q on stdout", cmd, out)
				}
				want := "slawatch " + cmd + ": open store " + c.path + ": store is read-only: " + c.want + "\n"
				if errs != want {
					t.Errorf("slawatch %s said\n%q\nwant\n%q", cmd, errs, want)
				}
			}
		})
	}
}

// storedOutages is `slawatch outage list --format json` for portal.
func storedOutages(t *testing.T, cfg string) []web.OutageJSON {
	t.Helper()
	out, errs, code := cli(t, "outage", "list", "--config", cfg, "--service", "portal", "--format", "json")
	if code != 0 {
		t.Fatalf("outage list: exit %d: %s", code, errs)
	}
	var list []web.OutageJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("outage list: %v\n%s", err, out)
	}
	return list
}

// TestE2EUnwritableStoreKeepsOutagesUntilWritable: outages that open, close,
// or both while the store cannot be written (here a full disk, which can be
// emptied under the running daemon) are stored with their real times once it
// can, and so are the probe results held meanwhile.
func TestE2EUnwritableStoreKeepsOutagesUntilWritable(t *testing.T) {
	const interval = 100 * time.Millisecond
	disk := smallDisk(t, "4m")
	dir := t.TempDir()
	target := testutil.NewTarget(t)
	addr := testutil.FreeAddr(t)
	cfg := e2eConfig(t, dir, addr, target.URL, interval)
	storeAt(t, cfg, filepath.Join(disk, "slawatch.db"))
	d := startDaemon(t, cfg, addr)
	testutil.Eventually(t, 10*time.Second, "service up", func() bool { s, _ := serviceState(t, addr); return s == "up" })

	filler := filepath.Join(disk, "filler")
	fill := func() time.Time {
		t.Helper()
		_ = exec.Command("dd", "if=/dev/zero", "of="+filler, "bs=64k").Run() // stops at "No space left"
		testutil.Eventually(t, 20*time.Second, "not ready on a full disk", func() bool {
			code, body := readyz(addr)
			return code == http.StatusServiceUnavailable && strings.Contains(body, "disk full")
		})
		return time.Now()
	}
	empty := func() time.Time {
		t.Helper()
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, 20*time.Second, "ready again with room", func() bool { code, _ := readyz(addr); return code == 200 })
		return time.Now()
	}
	down := func() {
		testutil.Eventually(t, 10*time.Second, "service down", func() bool { s, _ := serviceState(t, addr); return s == "down" })
	}
	up := func() {
		testutil.Eventually(t, 10*time.Second, "service up", func() bool { s, id := serviceState(t, addr); return s == "up" && id == 0 })
	}
	// Edges are within one interval of the target's switch; a probe that
	// began just before the switch may already see it.
	near := func(what string, got *time.Time, want time.Time) {
		t.Helper()
		switch {
		case got == nil:
			t.Errorf("%s: none, want about %s", what, want)
		case got.Before(want.Add(-50*time.Millisecond)) || got.After(want.Add(interval+150*time.Millisecond)):
			t.Errorf("%s %s, want within one interval of %s", what, got, want)
		}
	}

	// 1. Opens while the disk is full, closes once it has room.
	fullAt := fill()
	down1 := target.SetDown(true)
	down()
	if _, id := serviceState(t, addr); id != 0 {
		t.Fatalf("the outage was stored (id %d) on a full disk; the test needs it held", id)
	}
	d.alive(t)
	roomAt := empty()
	testutil.Eventually(t, 10*time.Second, "open outage stored", func() bool { _, id := serviceState(t, addr); return id != 0 })
	up1 := target.SetDown(false)
	up()

	// 2. Opens and closes while the disk is full.
	fill()
	down2 := target.SetDown(true)
	down()
	up2 := target.SetDown(false)
	up()
	empty()

	// 3. Opens with room, closes while the disk is full.
	down3 := target.SetDown(true)
	testutil.Eventually(t, 10*time.Second, "open outage stored", func() bool { _, id := serviceState(t, addr); return id != 0 })
	fill()
	up3 := target.SetDown(false)
	up()
	empty()

	var list []web.OutageJSON
	testutil.Eventually(t, 10*time.Second, "three closed outages stored", func() bool {
		list = storedOutages(t, cfg)
		return len(list) == 3 && list[0].End != nil && list[1].End != nil && list[2].End != nil
	})
	for i, w := range [][2]time.Time{{down1, up1}, {down2, up2}, {down3, up3}} {
		near(fmt.Sprintf("outage %d start", i+1), &list[i].Start, w[0])
		near(fmt.Sprintf("outage %d end", i+1), list[i].End, w[1])
	}
	d.stop(t)
	noCrash(t, d.stderr.String())

	// The results of the first full spell reached the store.
	if n := results(t, filepath.Join(disk, "slawatch.db"), fullAt, roomAt); n == 0 {
		t.Errorf("no results stored from the time the disk was full (%s to %s)", fullAt, roomAt)
	}
}
