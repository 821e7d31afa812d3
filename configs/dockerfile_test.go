package configs

import (
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

// No Docker engine runs where the tests do, so the image is not built here
// and its base images are not pulled. TestDockerfile does natively what the
// Dockerfile would do: it runs the build stage's RUN commands as written,
// less their --mount flags and with /out redirected to a temporary
// directory (go mod download beside copies of go.mod and go.sum alone, the
// rest from the repo root), checks the binary is static and carries the
// version, and runs it the way the runtime stage would: its ENTRYPOINT and
// CMD, as its USER, from /, with the config read-only to that user and the
// state directory the build stage makes, owned as the COPY --chown says.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line  int
	cmd   string // upper case: FROM, RUN, COPY ...
	args  string
	stage int // index of the FROM it follows; -1 before the first
}

type dockerfile struct {
	ins    []instruction
	stages []string // FROM lines' image references, in order
}

func parseDockerfile(t *testing.T, text string) dockerfile {
	t.Helper()
	var df dockerfile
	stage := -1
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		start := i + 1
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if strings.HasPrefix(next, "#") {
				continue // comments inside a continued instruction are dropped
			}
			l = strings.TrimSuffix(l, `\`) + " " + next
		}
		cmd, args, _ := strings.Cut(l, " ")
		cmd = strings.ToUpper(cmd)
		if cmd == "FROM" {
			stage++
			df.stages = append(df.stages, strings.Fields(args)[0])
		}
		df.ins = append(df.ins, instruction{line: start, cmd: cmd, args: strings.TrimSpace(args), stage: stage})
	}
	return df
}

// stageNamed returns the index of the stage FROM ... AS name.
func (df dockerfile) stageNamed(name string) int {
	for _, in := range df.ins {
		if f := strings.Fields(in.args); in.cmd == "FROM" && len(f) == 3 && strings.EqualFold(f[1], "AS") && f[2] == name {
			return in.stage
		}
	}
	return -1
}

func (df dockerfile) in(stage int, cmd string) []instruction {
	var out []instruction
	for _, in := range df.ins {
		if in.stage == stage && in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// execForm parses a JSON-array (exec form) ENTRYPOINT or CMD.
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(in.args), &v); err != nil || len(v) == 0 {
		t.Fatalf("Dockerfile:%d: %s %s: want the exec form, a JSON array (%v)", in.line, in.cmd, in.args, err)
	}
	return v
}

// copyFlags splits COPY's leading --flags from its sources and destination.
func copyFlags(in instruction) (flags map[string]string, srcs []string, dst string) {
	flags = map[string]string{}
	f := strings.Fields(in.args)
	for len(f) > 0 && strings.HasPrefix(f[0], "--") {
		k, v, _ := strings.Cut(strings.TrimPrefix(f[0], "--"), "=")
		flags[k] = v
		f = f[1:]
	}
	if len(f) < 2 {
		return flags, nil, ""
	}
	return flags, f[:len(f)-1], f[len(f)-1]
}

func TestDockerfile(t *testing.T) {
	const root = ".."
	df := parseDockerfile(t, readFile(t, filepath.Join(root, "Dockerfile")))
	if len(df.stages) != 2 {
		t.Fatalf("Dockerfile has %d stages (%v), want build and runtime", len(df.stages), df.stages)
	}
	build, runtime := df.stageNamed("build"), len(df.stages)-1
	if build != 0 {
		t.Fatalf("the first stage is not FROM ... AS build")
	}

	// The Go image can build the module: ARG GO_VERSION (before the first
	// FROM) is at least go.mod's go version.
	goVersion := ""
	for _, in := range df.ins {
		if in.stage == -1 && in.cmd == "ARG" {
			if v, ok := strings.CutPrefix(in.args, "GO_VERSION="); ok {
				goVersion = v
			}
		}
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(readFile(t, filepath.Join(root, "go.mod")))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	image := strings.ReplaceAll(df.stages[build], "${GO_VERSION}", goVersion)
	if tag, ok := strings.CutPrefix(image, "golang:"); !ok || !atLeast(tag, m[1]) {
		t.Errorf("build stage FROM %s (%s); go.mod needs go %s", df.stages[build], image, m[1])
	}

	// COPY sources from the build context exist and are not ignored.
	ignored := strings.Fields(readFile(t, filepath.Join(root, ".dockerignore")))
	for _, want := range []string{".git", "bin/", "data/"} {
		if !slices.Contains(ignored, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
	for _, in := range df.in(build, "COPY") {
		flags, srcs, _ := copyFlags(in)
		if _, ok := flags["from"]; ok {
			continue
		}
		for _, src := range srcs {
			if _, err := os.Stat(filepath.Join(root, src)); err != nil {
				t.Errorf("Dockerfile:%d: COPY source %s: %v", in.line, src, err)
			}
			if slices.Contains(ignored, src) || slices.Contains(ignored, src+"/") {
				t.Errorf("Dockerfile:%d: COPY source %s is excluded by .dockerignore", in.line, src)
			}
		}
	}

	if testing.Short() {
		t.Skip("builds the binary as the Dockerfile does; skipped with -short")
	}

	// The build stage's RUN commands, as its shell would run them, with the
	// stage's ARGs in the environment (VERSION given, as --build-arg does).
	// Before COPY . . they run where only the files copied so far are (go
	// mod download with go.mod and go.sum alone); from then on in the repo.
	out := publicDir(t)
	const version = "v9.8.7-dockerfile-test"
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "VERSION=") })
	workdir := t.TempDir()
	sawBuild := false
	for _, in := range df.ins {
		switch {
		case in.stage != build:
			continue
		case in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			if k == "VERSION" {
				v = version
			}
			env = append(env, k+"="+v)
			continue
		case in.cmd == "COPY":
			_, srcs, dst := copyFlags(in)
			if dst != "." && dst != "./" {
				t.Fatalf("Dockerfile:%d: COPY %s: the test emulates copies into the WORKDIR only", in.line, in.args)
			}
			if slices.Equal(srcs, []string{"."}) {
				workdir = root
				continue
			}
			for _, src := range srcs {
				b, err := os.ReadFile(filepath.Join(root, src))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(workdir, filepath.Base(src)), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			continue
		case in.cmd != "RUN":
			continue
		}
		cmd := runCommand(t, in, out)
		sawBuild = sawBuild || strings.Contains(cmd, "go build")
		sh := exec.Command("/bin/sh", "-c", cmd)
		sh.Dir, sh.Env = workdir, env
		if b, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("Dockerfile:%d: RUN %s (in %s): %v\n%s", in.line, cmd, workdir, err, b)
		}
	}
	if !sawBuild {
		t.Fatal("the build stage has no RUN ... go build")
	}

	// The runtime stage copies the binary and the state directory from the
	// build stage's /out; check the sources are what the RUNs made.
	var bin, binDst, state, stateDst, chown string
	for _, in := range df.in(runtime, "COPY") {
		flags, srcs, dst := copyFlags(in)
		if flags["from"] != "build" || len(srcs) != 1 {
			t.Errorf("Dockerfile:%d: COPY %s: want one source from the build stage", in.line, in.args)
			continue
		}
		src := outPath(t, srcs[0], out)
		fi, err := os.Stat(src)
		if err != nil {
			t.Errorf("Dockerfile:%d: COPY --from=build %s: the build stage made no such file: %v", in.line, srcs[0], err)
			continue
		}
		if fi.IsDir() {
			state, stateDst, chown = src, dst, flags["chown"]
		} else {
			bin, binDst = src, dst
		}
	}
	if bin == "" || state == "" {
		t.Fatal("the runtime stage does not copy both the binary and the state directory from the build stage")
	}

	// Static: distroless/static has no C library or loader.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a PT_INTERP program header (a dynamic loader); it will not run on distroless/static")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v (%v); it will not run on distroless/static", libs, err)
	}
	f.Close()
	if b, err := exec.Command(bin, "version").CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != "slawatch "+version {
		t.Errorf("`slawatch version` printed %q (%v), want \"slawatch %s\"", b, err, version)
	}

	runAsImageUser(t, df, runtime, bin, binDst, state, stateDst, chown)
}

// runAsImageUser runs the binary as the runtime stage would: ENTRYPOINT and
// CMD, as USER, from /, with a config that is not writable by that user and
// stores in the state directory copied with --chown.
func runAsImageUser(t *testing.T, df dockerfile, runtime int, bin, binDst, state, stateDst, chown string) {
	last := func(cmd string) instruction {
		ins := df.in(runtime, cmd)
		if len(ins) == 0 {
			t.Fatalf("the runtime stage has no %s", cmd)
		}
		return ins[len(ins)-1]
	}
	user := last("USER").args
	uid, gid := ids(t, user)
	if chown != user {
		t.Errorf("the state directory is copied --chown=%s but the image runs as USER %s", chown, user)
	}
	if vol := last("VOLUME").args; vol != stateDst {
		t.Errorf("VOLUME %s, but the state directory is copied to %s", vol, stateDst)
	}
	// The header says the config must store under the volume.
	const storePath = "/var/lib/slawatch/slawatch.db"
	if !strings.Contains(readFile(t, "../Dockerfile"), "storage.path: "+storePath) || filepath.Dir(storePath) != stateDst {
		t.Errorf("the Dockerfile should tell the config to set storage.path: %s, in the volume %s", storePath, stateDst)
	}
	argv := append(execForm(t, last("ENTRYPOINT")), execForm(t, last("CMD"))...)
	if argv[0] != binDst {
		t.Fatalf("ENTRYPOINT runs %s, but the binary is copied to %s", argv[0], binDst)
	}
	i := slices.Index(argv, "--listen")
	if i < 0 || i+1 == len(argv) {
		t.Fatalf("CMD %q sets no --listen", argv[1:])
	}
	_, port, _ := strings.Cut(argv[i+1], ":")
	if expose := last("EXPOSE").args; expose != port && expose != port+"/tcp" {
		t.Errorf("EXPOSE %s, but CMD listens on %s", expose, argv[i+1])
	}

	if os.Geteuid() != 0 {
		if os.Getenv("SLAWATCH_INTEGRATION") == "required" {
			t.Fatalf("running the binary as USER %s needs root", user)
		}
		t.Skipf("running the binary as USER %s needs root; set SLAWATCH_INTEGRATION=required to make this a failure", user)
	}

	// Modes as the image has them, whatever the umask here: the binary
	// executable by all, /etc/slawatch root's and read-only to the image
	// user, the state directory the user's.
	if err := os.Chmod(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	etc := filepath.Join(publicDir(t), "etc-slawatch")
	if err := os.Mkdir(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(state, uid, gid); err != nil {
		t.Fatal(err)
	}
	addr := testutil.FreeAddr(t)
	cfg := fmt.Sprintf(`storage:
  path: %s
services:
  - name: self
    probes:
      - name: healthy
        interval: 200ms
        timeout: 100ms
        http: {url: "http://%s/-/healthy", status: [200]}
`, filepath.Join(state, filepath.Base(storePath)), addr)
	if err := os.WriteFile(filepath.Join(etc, "slawatch.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(etc, "slawatch.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	mapped := map[string]string{binDst: bin, "/etc/slawatch/slawatch.yaml": filepath.Join(etc, "slawatch.yaml"), argv[i+1]: addr}
	args := make([]string, len(argv))
	for j, a := range argv {
		args[j] = a
		if m, ok := mapped[a]; ok {
			args[j] = m
		}
	}
	if args[i+1] != addr || !slices.Contains(args, filepath.Join(etc, "slawatch.yaml")) {
		t.Fatalf("CMD %q: the config or listen address is not where the test maps it", argv[1:])
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} // distroless's
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	testutil.Eventually(t, 20*time.Second, "ready as USER "+user, func() bool {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("slawatch exited: %v\n%s", err, logs.String())
		default:
		}
		resp, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("slawatch exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("slawatch did not stop within 20s of SIGTERM\n%s", logs.String())
	}
	fi, err := os.Stat(filepath.Join(state, filepath.Base(storePath)))
	if err != nil {
		t.Fatalf("no store in the state directory: %v\n%s", err, logs.String())
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid {
		t.Errorf("the store is owned by uid %d, want %d", st.Uid, uid)
	}
	if entries, _ := os.ReadDir(etc); len(entries) != 1 {
		t.Errorf("the daemon wrote into the config directory: %v", entries)
	}
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runCommand returns a RUN's shell command without its --mount flags, with
// /out mapped to out.
func runCommand(t *testing.T, in instruction, out string) string {
	t.Helper()
	cmd := in.args
	for strings.HasPrefix(cmd, "--") {
		flag, rest, _ := strings.Cut(cmd, " ")
		if !strings.HasPrefix(flag, "--mount=") {
			t.Fatalf("Dockerfile:%d: RUN %s: the test emulates only --mount flags", in.line, flag)
		}
		cmd = strings.TrimSpace(rest)
	}
	if strings.HasPrefix(cmd, "[") {
		t.Fatalf("Dockerfile:%d: RUN in exec form; the test runs the shell form", in.line)
	}
	fields := strings.Fields(cmd)
	for i, f := range fields {
		if f == "/out" || strings.HasPrefix(f, "/out/") {
			fields[i] = outPath(t, f, out)
		} else if strings.Contains(f, "/out") {
			t.Fatalf("Dockerfile:%d: RUN %s: cannot map %s to the test's directory", in.line, cmd, f)
		}
	}
	return strings.Join(fields, " ")
}

// outPath maps a path under the build stage's /out to out.
func outPath(t *testing.T, p, out string) string {
	t.Helper()
	rel, ok := strings.CutPrefix(p, "/out")
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		t.Fatalf("%s is not under the build stage's /out", p)
	}
	return out + rel
}

// publicDir returns a new temporary directory that other users can enter:
// the image user must reach the binary, the config and the state.
func publicDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// ids parses USER uid:gid; the image has no /etc/passwd names to look up.
func ids(t *testing.T, user string) (uid, gid int) {
	t.Helper()
	u, g, ok := strings.Cut(user, ":")
	var err1, err2 error
	uid, err1 = strconv.Atoi(u)
	gid, err2 = strconv.Atoi(g)
	if !ok || errors.Join(err1, err2) != nil || uid == 0 {
		t.Fatalf("USER %s: want a numeric, non-root uid:gid", user)
	}
	return uid, gid
}

// atLeast compares the major.minor versions v and min start with.
func atLeast(v, min string) bool {
	re := regexp.MustCompile(`^(\d+)\.(\d+)`)
	a, b := re.FindStringSubmatch(v), re.FindStringSubmatch(min)
	if a == nil || b == nil {
		return false
	}
	n := func(s string) int { i, _ := strconv.Atoi(s); return i }
	return n(a[1]) > n(b[1]) || n(a[1]) == n(b[1]) && n(a[2]) >= n(b[2])
}
