package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slawatch/slawatch/internal/testutil"
)

const (
	resticPassword = "correct horse battery staple"
	wrongPassword  = "Tr0ub4dor&3-not-it"
)

// resticRepo is a real repository with known snapshots.
type resticRepo struct {
	dir, repo, passFile, cache string
	data                       map[string]string // name -> directory backed up
	snapshots                  []resticSnap      // in time order
}

type resticSnap struct {
	time    string // as given to restic backup --time, in UTC
	host    string
	tags    []string
	data    string // key of data
	shortID string // from restic backup --json
}

// resticCmd runs the real restic with a deterministic environment: TZ=UTC
// (restic backup --time is in the process's local time), a cache and home
// in the test's directory.
func (r *resticRepo) resticCmd(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.dir, "TZ=UTC", "RESTIC_CACHE_DIR=" + r.cache}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("restic %s: %v: %s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// newResticRepo initialises a repository and makes its snapshots, the
// backups in parallel: each restic run spends most of its time on start-up
// and key derivation, not on the repository, and restic allows concurrent
// backups.
func newResticRepo(t *testing.T, bin string) *resticRepo {
	dir := t.TempDir()
	r := &resticRepo{
		dir: dir, repo: filepath.Join(dir, "repo"), passFile: filepath.Join(dir, "restic.pass"),
		cache: filepath.Join(dir, "cache"),
		data:  map[string]string{"db": filepath.Join(dir, "data", "db"), "files": filepath.Join(dir, "data", "files")},
		snapshots: []resticSnap{
			{time: "2026-10-01 02:00:00", host: "web1", tags: []string{"db"}, data: "db"},
			{time: "2026-10-02 02:00:00", host: "web1", tags: []string{"db", "prod"}, data: "db"},
			{time: "2026-10-03 02:30:00", host: "web2", tags: []string{"db"}, data: "db"},
			{time: "2026-10-04 03:00:00", host: "web1", tags: []string{"files"}, data: "files"},
			{time: "2026-10-05 02:00:00", host: "web1", data: "db"},
		},
	}
	for _, d := range r.data {
		files(t, d, map[string]time.Time{"dump.sql": time.Now()})
	}
	if err := os.WriteFile(r.passFile, []byte(resticPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.resticCmd(t, bin, "init", "--repo", r.repo, "--password-file", r.passFile, "--quiet")

	var wg sync.WaitGroup
	for i := range r.snapshots {
		wg.Go(func() {
			s := &r.snapshots[i]
			args := []string{"backup", "--repo", r.repo, "--password-file", r.passFile, "--json",
				"--time", s.time, "--host", s.host}
			for _, tag := range s.tags {
				args = append(args, "--tag", tag)
			}
			out := r.resticCmd(t, bin, append(args, r.data[s.data])...)
			// The last line is the summary, with the snapshot's id.
			lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
			var sum struct {
				SnapshotID string `json:"snapshot_id"`
			}
			if err := json.Unmarshal(lines[len(lines)-1], &sum); err != nil || sum.SnapshotID == "" {
				t.Errorf("restic backup summary %q: %v", lines[len(lines)-1], err)
			}
			s.shortID = sum.SnapshotID[:min(8, len(sum.SnapshotID))]
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return r
}

func TestResticSource(t *testing.T) {
	bin := testutil.RequireBinary(t, "restic")
	r := newResticRepo(t, bin)
	t.Setenv("SLAWATCH_TEST_RESTIC_PASSWORD", resticPassword)
	wrongFile := filepath.Join(r.dir, "wrong.pass")
	if err := os.WriteFile(wrongFile, []byte(wrongPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := func() ResticSpec {
		return ResticSpec{Repository: r.repo, PasswordFile: r.passFile, ExtraEnv: map[string]string{"RESTIC_CACHE_DIR": r.cache}}
	}
	// want lists the snapshots (by index) a filter selects.
	for _, tc := range []struct {
		name   string
		modify func(*ResticSpec)
		want   []int
	}{
		{"all", func(*ResticSpec) {}, []int{0, 1, 2, 3, 4}},
		{"password from the environment", func(s *ResticSpec) { s.PasswordFile, s.PasswordEnv = "", "SLAWATCH_TEST_RESTIC_PASSWORD" }, []int{0, 1, 2, 3, 4}},
		{"host", func(s *ResticSpec) { s.Host = "web1" }, []int{0, 1, 3, 4}},
		{"tag", func(s *ResticSpec) { s.Tags = []string{"db"} }, []int{0, 1, 2}},
		{"every tag", func(s *ResticSpec) { s.Tags = []string{"db", "prod"} }, []int{1}},
		{"host and tag", func(s *ResticSpec) { s.Host, s.Tags = "web2", []string{"db"} }, []int{2}},
		{"path", func(s *ResticSpec) { s.Paths = []string{r.data["files"]} }, []int{3}},
		{"nothing matches", func(s *ResticSpec) { s.Tags = []string{"nope"} }, []int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := base()
			tc.modify(&spec)
			src, err := NewSource(SourceSpec{Restic: &spec, Timeout: 50 * time.Second}, "")
			if err != nil {
				t.Fatal(err)
			}
			recs, err := src.Fetch(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(recs, func(a, b Record) int { return a.Time.Compare(b.Time) })
			if len(recs) != len(tc.want) {
				t.Fatalf("got %d snapshots, want %d: %+v", len(recs), len(tc.want), recs)
			}
			for i, k := range tc.want {
				s, rec := r.snapshots[k], recs[i]
				want, _ := time.Parse(time.DateTime, s.time)
				if !rec.Time.Equal(want) {
					t.Errorf("snapshot %d: time %v, want %v", k, rec.Time, want)
				}
				if len(rec.ID) != 64 || !strings.HasPrefix(rec.ID, s.shortID) {
					t.Errorf("snapshot %d: id %q, want the full id of %s", k, rec.ID, s.shortID)
				}
				if !rec.Success || rec.Kind != "full" {
					t.Errorf("snapshot %d: %+v, want a successful full backup", k, rec)
				}
			}
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		spec := base()
		spec.PasswordFile = wrongFile
		src, err := NewSource(SourceSpec{Restic: &spec, Timeout: 50 * time.Second}, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Fetch(context.Background())
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "restic snapshots -r "+r.repo+" exited with status ") || !strings.Contains(msg, "wrong password") {
			t.Errorf("got %q", msg)
		}
		if strings.Contains(msg, wrongPassword) || strings.Contains(msg, resticPassword) {
			t.Errorf("the error shows the password: %q", msg)
		}
	})

	t.Run("no repository", func(t *testing.T) {
		t.Parallel()
		spec := base()
		spec.Repository = filepath.Join(r.dir, "missing")
		src, err := NewSource(SourceSpec{Restic: &spec, Timeout: 50 * time.Second}, "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Fetch(context.Background())
		if err == nil || !strings.HasPrefix(err.Error(), "restic snapshots -r "+spec.Repository+" exited with status ") {
			t.Errorf("got %v", err)
		}
	})
}

// fakeRestic writes a stand-in for restic. These tests are not parallel:
// see the command tests.
func fakeRestic(t *testing.T, body string) (bin, dir string) {
	t.Helper()
	dir = t.TempDir()
	return script(t, dir, "restic", body), dir
}

func TestResticSourceCommandLine(t *testing.T) {
	_, dir := fakeRestic(t, `for a; do echo "$a"; done > "$(dirname "$0")/args"
env > "$(dirname "$0")/env"
echo '[{"time":"2026-10-01T02:00:00+02:00","id":"abc","short_id":"abc"}]'
`)
	t.Setenv("SLAWATCH_TEST_LEAK", "not for restic")
	t.Setenv("SLAWATCH_TEST_PW", "pw from env")
	t.Setenv("HOME", "/home/slawatch")
	spec := ResticSpec{
		Repository: "repo", PasswordEnv: "SLAWATCH_TEST_PW", Host: "web1", Tags: []string{"db", "prod"},
		Paths: []string{"/srv/db", "/srv/files"}, Binary: "./restic",
		ExtraEnv: map[string]string{"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t/key"},
	}
	src, err := NewSource(SourceSpec{Restic: &spec}, dir)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	assertRecords(t, recs, []Record{{Time: ts(t, "2026-10-01T00:00:00Z"), Success: true, Kind: "full", ID: "abc"}})

	args, _ := os.ReadFile(filepath.Join(dir, "args"))
	want := "snapshots\n--json\n--no-lock\n--repo=" + filepath.Join(dir, "repo") + "\n--host=web1\n--tag=db,prod\n--path=/srv/db\n--path=/srv/files\n"
	if string(args) != want {
		t.Errorf("args:\n%s\nwant:\n%s", args, want)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env"))
	for _, v := range []string{"PATH=" + os.Getenv("PATH"), "HOME=/home/slawatch", "RESTIC_PASSWORD=pw from env",
		"AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=s3cr3t/key"} {
		if !slices.Contains(strings.Split(string(env), "\n"), v) {
			t.Errorf("restic's environment lacks %s:\n%s", v, env)
		}
	}
	if strings.Contains(string(env), "SLAWATCH_TEST") {
		t.Errorf("restic's environment holds the daemon's variables:\n%s", env)
	}

	// With a password file, it is passed by name.
	spec.PasswordEnv, spec.PasswordFile = "", "restic.pass"
	src, _ = NewSource(SourceSpec{Restic: &spec}, dir)
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	args, _ = os.ReadFile(filepath.Join(dir, "args"))
	if !strings.Contains(string(args), "\n--password-file="+filepath.Join(dir, "restic.pass")+"\n") {
		t.Errorf("args:\n%s", args)
	}
	env, _ = os.ReadFile(filepath.Join(dir, "env"))
	if strings.Contains(string(env), "RESTIC_PASSWORD") {
		t.Errorf("RESTIC_PASSWORD set with a password file:\n%s", env)
	}
}

func TestResticSourceSecrets(t *testing.T) {
	// A restic that shows everything it knows on failure.
	bin, dir := fakeRestic(t, `echo "password: $RESTIC_PASSWORD" >&2
echo "aws: $AWS_SECRET_ACCESS_KEY" >&2
for a; do case $a in --password-file=*) echo "file: $(cat "${a#--password-file=}")" >&2;; esac; done
exit 1
`)
	if err := os.WriteFile(filepath.Join(dir, "restic.pass"), []byte(resticPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SLAWATCH_TEST_PW", wrongPassword)
	for _, spec := range []ResticSpec{
		{Repository: "rest:https://backup:" + wrongPassword + "@backup.example.com/", PasswordEnv: "SLAWATCH_TEST_PW", Binary: bin,
			ExtraEnv: map[string]string{"AWS_SECRET_ACCESS_KEY": "s3cr3t/key"}},
		{Repository: "/srv/restic", PasswordFile: "restic.pass", Binary: bin},
	} {
		src, err := NewSource(SourceSpec{Restic: &spec}, dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = src.Fetch(context.Background())
		if err == nil {
			t.Fatal("no error")
		}
		msg := err.Error()
		for _, secret := range []string{resticPassword, wrongPassword, "s3cr3t/key"} {
			if strings.Contains(msg, secret) {
				t.Errorf("the error shows %q: %s", secret, msg)
			}
		}
		if !strings.Contains(msg, "<secret>") {
			t.Errorf("no <secret> in %s", msg)
		}
	}

	// Nor does printing a spec show its environment.
	spec := ResticSpec{Repository: "rest:https://u:pw@h/", PasswordFile: "p", ExtraEnv: map[string]string{"AWS_SECRET_ACCESS_KEY": "s3cr3t/key"}}
	for _, s := range []string{fmt.Sprint(spec), fmt.Sprintf("%v", &spec), fmt.Sprintf("%+v", SourceSpec{Restic: &spec})} {
		if strings.Contains(s, "s3cr3t") || strings.Contains(s, ":pw@") {
			t.Errorf("printed spec shows a secret: %s", s)
		}
	}

	// A password variable that is not set is an error before restic runs.
	spec = ResticSpec{Repository: "/srv/restic", PasswordEnv: "SLAWATCH_TEST_UNSET", Binary: bin}
	src, _ := NewSource(SourceSpec{Restic: &spec}, dir)
	_, err := src.Fetch(context.Background())
	if want := "restic snapshots -r /srv/restic: the password variable SLAWATCH_TEST_UNSET (password_env) is not set"; err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestResticSourceHangAndGarbage(t *testing.T) {
	bin, dir := fakeRestic(t, "sleep 30\n")
	spec := ResticSpec{Repository: "/srv/restic", PasswordFile: "p", Binary: bin}
	src, _ := NewSource(SourceSpec{Restic: &spec, Timeout: 300 * time.Millisecond}, dir)
	_, err := fetchTimed(t, src, 2*time.Second)
	if want := bin + " snapshots -r /srv/restic timed out after 300ms"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}

	bin, dir = fakeRestic(t, "echo 'repository 1234abcd opened (version 2)'\n")
	spec.Binary = bin
	src, _ = NewSource(SourceSpec{Restic: &spec}, dir)
	_, err = src.Fetch(context.Background())
	if want := bin + " snapshots -r /srv/restic: output: JSON: invalid character 'r' looking for beginning of value"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
