package backup

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The source block decodes from the YAML SPEC §7 shows, strictly.
func TestSourceSpecYAML(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml string
		want SourceSpec
	}{
		{`command: ["/usr/local/bin/list-backups"]`, SourceSpec{Command: []string{"/usr/local/bin/list-backups"}}},
		{`{command: [list-backups, --json], timeout: 30s, env: {PGHOST: db1}, dir: /srv}`,
			SourceSpec{Command: []string{"list-backups", "--json"}, Timeout: 30 * time.Second, Env: map[string]string{"PGHOST": "db1"}, Dir: "/srv"}},
		{`restic: {repository: /srv/restic, password_file: restic.pass}`,
			SourceSpec{Restic: &ResticSpec{Repository: "/srv/restic", PasswordFile: "restic.pass"}}},
		{`restic: {repository: "s3:s3.amazonaws.com/bucket", password_env: RESTIC_PW, host: web1, tags: [db, prod], paths: [/srv/db], binary: /opt/restic, env: {AWS_ACCESS_KEY_ID: AKIA}}`,
			SourceSpec{Restic: &ResticSpec{Repository: "s3:s3.amazonaws.com/bucket", PasswordEnv: "RESTIC_PW", Host: "web1",
				Tags: []string{"db", "prod"}, Paths: []string{"/srv/db"}, Binary: "/opt/restic", ExtraEnv: map[string]string{"AWS_ACCESS_KEY_ID": "AKIA"}}}},
		{`directory: {path: /backups/portal, pattern: "*.dump"}`,
			SourceSpec{Directory: &DirectorySpec{Path: "/backups/portal", Pattern: "*.dump"}}},
		{`directory: {path: b, time_from: name, name_layout: "20060102T150405", timezone: Europe/Amsterdam, recursive: true}`,
			SourceSpec{Directory: &DirectorySpec{Path: "b", TimeFrom: "name", NameLayout: "20060102T150405", Timezone: "Europe/Amsterdam", Recursive: true}}},
		{`push: {}`, SourceSpec{Push: &PushSpec{}}},
	} {
		var got SourceSpec
		dec := yaml.NewDecoder(strings.NewReader(tc.yaml))
		dec.KnownFields(true)
		if err := dec.Decode(&got); err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tc.yaml, got, tc.want)
		}
		if err := got.Validate(); err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
		}
	}
}

func TestSourceSpecValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec SourceSpec
		want string // the error's lines
	}{
		{SourceSpec{}, "a source needs one of command, restic, directory or push"},
		{SourceSpec{Command: []string{"x"}, Push: &PushSpec{}}, "push: a source has only one of command, restic, directory or push, got command and push"},
		{SourceSpec{Command: []string{}}, `command: is empty; want the program and its arguments, like ["/usr/local/bin/list-backups"]`},
		{SourceSpec{Command: []string{" ", "a\x00"}, Timeout: -time.Second, Env: map[string]string{"A=B": "x", "OK": "v\x00"}},
			"command[0]: the program is empty\ncommand[1]: holds a NUL byte\ntimeout: -1s is negative\nenv: \"A=B\" is not a valid environment variable name\nenv: the value of OK holds a NUL byte"},
		{SourceSpec{Push: &PushSpec{}, Timeout: time.Second, Env: map[string]string{}, Dir: "x"},
			"env: only a command source has env (restic takes restic.env)\ndir: only a command source has dir\ntimeout: a push source pulls nothing and has no timeout"},
		{SourceSpec{Restic: &ResticSpec{}}, "restic.repository: missing; want a path or a restic repository URL\nrestic: a restic source needs password_file or password_env"},
		{SourceSpec{Restic: &ResticSpec{Repository: "r", PasswordFile: "f", PasswordEnv: "E"}}, "restic.password_env: set password_file or password_env, not both"},
		{SourceSpec{Restic: &ResticSpec{Repository: "r", PasswordEnv: "MY-PW"}}, `restic.password_env: "MY-PW" is not a valid environment variable name`},
		{SourceSpec{Restic: &ResticSpec{Repository: "r", PasswordFile: "f", Tags: []string{"db", "", "a,b"}, Paths: []string{""},
			ExtraEnv: map[string]string{"RESTIC_PASSWORD": "hunter2", "B-AD": "x"}}},
			"restic.tags[1]: an empty tag\nrestic.tags[2]: \"a,b\" holds a comma; list each tag on its own\nrestic.paths[0]: an empty path\n" +
				"restic.env: \"B-AD\" is not a valid environment variable name\n" +
				"restic.env: RESTIC_PASSWORD may not be set here: the password comes from password_file or password_env, the repository from repository"},
		{SourceSpec{Directory: &DirectorySpec{}}, "directory.path: missing; want the directory holding the backups"},
		{SourceSpec{Directory: &DirectorySpec{Path: "p", Pattern: "[a-"}}, `directory.pattern: "[a-" is not a valid glob: syntax error in pattern`},
		{SourceSpec{Directory: &DirectorySpec{Path: "p", Pattern: "sub/*.dump"}}, `directory.pattern: "sub/*.dump" is matched against file names and cannot hold '/'`},
		{SourceSpec{Directory: &DirectorySpec{Path: "p", TimeFrom: "ctime"}}, `directory.time_from: unknown value "ctime"; want mtime or name`},
		{SourceSpec{Directory: &DirectorySpec{Path: "p", TimeFrom: "name"}}, `directory.name_layout: missing; time_from: name needs a Go time layout like "20060102T150405"`},
		{SourceSpec{Directory: &DirectorySpec{Path: "p", TimeFrom: "name", NameLayout: "150405", Timezone: "Mars/Olympus"}},
			"directory.name_layout: \"150405\" does not hold a full date (year, month and day), like \"20060102T150405\"\ndirectory.timezone: unknown time zone \"Mars/Olympus\""},
		{SourceSpec{Directory: &DirectorySpec{Path: "p", NameLayout: "20060102", Timezone: "UTC"}},
			"directory.name_layout: only with time_from: name\ndirectory.timezone: only with time_from: name"},
	} {
		err := tc.spec.Validate()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v:\n got  %v\n want %s", tc.spec, err, tc.want)
		}
		if _, nerr := NewSource(tc.spec, "/etc/slawatch"); nerr == nil || err == nil || nerr.Error() != err.Error() {
			t.Errorf("NewSource(%+v) = %v, want Validate's error", tc.spec, nerr)
		}
	}
}

func TestNewSource(t *testing.T) {
	t.Parallel()
	base := "/etc/slawatch"

	src, err := NewSource(SourceSpec{Push: &PushSpec{}}, base)
	if src != nil || err != nil {
		t.Errorf("push: got %v, %v; want nil, nil", src, err)
	}

	src, err = NewSource(SourceSpec{Command: []string{"bin/list", "rel/arg"}}, base)
	if err != nil {
		t.Fatal(err)
	}
	c := src.(*CommandSource)
	if want := []string{"/etc/slawatch/bin/list", "rel/arg"}; !reflect.DeepEqual(c.argv, want) || c.dir != base || c.timeout != DefaultTimeout {
		t.Errorf("command: argv %q dir %q timeout %v", c.argv, c.dir, c.timeout)
	}
	src, _ = NewSource(SourceSpec{Command: []string{"list-backups"}, Dir: "/srv", Timeout: time.Second}, base)
	if c := src.(*CommandSource); c.argv[0] != "list-backups" || c.dir != "/srv" || c.timeout != time.Second {
		t.Errorf("command on PATH: argv %q dir %q timeout %v", c.argv, c.dir, c.timeout)
	}

	for repo, want := range map[string]string{
		"restic":                   "/etc/slawatch/restic",
		"/srv/restic":              "/srv/restic",
		"local:repo":               "local:/etc/slawatch/repo",
		"sftp:backup@host:/srv/r":  "sftp:backup@host:/srv/r",
		"s3:s3.amazonaws.com/b":    "s3:s3.amazonaws.com/b",
		"rest:https://u:p@h:8000/": "rest:https://u:p@h:8000/",
	} {
		src, err := NewSource(SourceSpec{Restic: &ResticSpec{Repository: repo, PasswordFile: "restic.pass"}}, base)
		if err != nil {
			t.Fatal(err)
		}
		r := src.(*ResticSource)
		if r.repository != want || r.passwordFile != "/etc/slawatch/restic.pass" || r.binary != "restic" {
			t.Errorf("%s: repository %q password file %q binary %q", repo, r.repository, r.passwordFile, r.binary)
		}
	}

	src, err = NewSource(SourceSpec{Directory: &DirectorySpec{Path: "backups"}, Timeout: time.Second}, base)
	if err != nil {
		t.Fatal(err)
	}
	if d := src.(*DirectorySource); d.root != filepath.Join(base, "backups") || d.pattern != "*" || d.timeout != time.Second {
		t.Errorf("directory: %+v", d)
	}
}

func TestSourceFunc(t *testing.T) {
	t.Parallel()
	var s Source = SourceFunc(func(context.Context) ([]Record, error) { return []Record{{ID: "x"}}, nil })
	if recs, err := s.Fetch(context.Background()); err != nil || len(recs) != 1 {
		t.Errorf("got %v, %v", recs, err)
	}
}
