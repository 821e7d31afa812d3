package backup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ResticSpec is a restic source: the snapshots of a restic repository, as
// `restic snapshots --json --no-lock` lists them, are the set's backups.
type ResticSpec struct {
	// Repository is what restic's -r takes: a local path (relative to the
	// config file's directory) or a backend URL (s3:…, sftp:…, rest:…).
	Repository string `yaml:"repository"`
	// PasswordFile is a file holding the repository password; relative to
	// the config file's directory.
	PasswordFile string `yaml:"password_file"`
	// PasswordEnv names an environment variable of the daemon holding the
	// password; restic gets it as RESTIC_PASSWORD. Set this or PasswordFile.
	PasswordEnv string `yaml:"password_env"`
	// Host, Tags and Paths select snapshots: those of this host, carrying
	// every one of Tags, and having backed up every one of Paths (as restic
	// recorded them: absolute paths on the backed-up host).
	Host  string   `yaml:"host"`
	Tags  []string `yaml:"tags"`
	Paths []string `yaml:"paths"`
	// Binary is the restic program; default "restic" on PATH.
	Binary string `yaml:"binary"`
	// ExtraEnv is added to restic's environment (AWS_ACCESS_KEY_ID …).
	// Its values are never logged or shown in errors.
	ExtraEnv map[string]string `yaml:"env"`
}

// String shows s with the values of ExtraEnv hidden, so that printing a
// spec cannot leak the credentials in it.
func (s ResticSpec) String() string {
	env := make([]string, 0, len(s.ExtraEnv))
	for _, k := range slices.Sorted(maps.Keys(s.ExtraEnv)) {
		env = append(env, k+"=<secret>")
	}
	return fmt.Sprintf("{repository: %s, password_file: %q, password_env: %q, host: %q, tags: %q, paths: %q, binary: %q, env: %v}",
		redactURL(s.Repository), s.PasswordFile, s.PasswordEnv, s.Host, s.Tags, s.Paths, s.Binary, env)
}

// Validate checks s without running restic or reading the password. Keys
// in its errors are relative to the restic block: "repository: …".
func (s *ResticSpec) Validate() error {
	var p problems
	s.check(&p, "")
	return p.err()
}

// reservedResticEnv are variables this source sets itself, or that would
// give restic a second password or repository.
var reservedResticEnv = []string{
	"RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND",
	"RESTIC_REPOSITORY", "RESTIC_REPOSITORY_FILE",
}

func (s *ResticSpec) check(p *problems, prefix string) {
	nul := func(key, v string) {
		if strings.IndexByte(v, 0) >= 0 {
			p.add(prefix+key, "holds a NUL byte")
		}
	}
	if strings.TrimSpace(s.Repository) == "" {
		p.add(prefix+"repository", "missing; want a path or a restic repository URL")
	}
	nul("repository", s.Repository)
	switch {
	case s.PasswordFile != "" && s.PasswordEnv != "":
		p.add(prefix+"password_env", "set password_file or password_env, not both")
	case s.PasswordFile == "" && s.PasswordEnv == "":
		p.add(strings.TrimSuffix(prefix, "."), "a restic source needs password_file or password_env")
	case s.PasswordEnv != "" && !envNameRE.MatchString(s.PasswordEnv):
		p.add(prefix+"password_env", "%q is not a valid environment variable name", s.PasswordEnv)
	}
	nul("password_file", s.PasswordFile)
	nul("host", s.Host)
	for i, t := range s.Tags {
		key := fmt.Sprintf("%stags[%d]", prefix, i)
		switch {
		case strings.TrimSpace(t) == "":
			p.add(key, "an empty tag")
		case strings.ContainsRune(t, ','):
			p.add(key, "%q holds a comma; list each tag on its own", t)
		case strings.IndexByte(t, 0) >= 0:
			p.add(key, "holds a NUL byte")
		}
	}
	for i, path := range s.Paths {
		key := fmt.Sprintf("%spaths[%d]", prefix, i)
		switch {
		case strings.TrimSpace(path) == "":
			p.add(key, "an empty path")
		case strings.IndexByte(path, 0) >= 0:
			p.add(key, "holds a NUL byte")
		}
	}
	nul("binary", s.Binary)
	checkEnv(p, prefix+"env", s.ExtraEnv)
	for _, k := range reservedResticEnv {
		if _, ok := s.ExtraEnv[k]; ok {
			p.add(prefix+"env", "%s may not be set here: the password comes from password_file or password_env, the repository from repository", k)
		}
	}
}

// ResticSource lists the snapshots of a restic repository. It runs
//
//	restic snapshots --json --no-lock --repo=R [--password-file=F] [--host=H] [--tag=T1,T2] [--path=P]…
//
// --no-lock lets it read a repository it may not write to, and never
// waits for or leaves behind a lock. The password is passed in a file or in
// RESTIC_PASSWORD, never on the command line, and is never part of an
// error. restic's environment is minimal: PATH, HOME, TMPDIR, the cache,
// TLS and proxy variables of the daemon (inheritedResticEnv), then
// ExtraEnv.
type ResticSource struct {
	binary       string
	repository   string
	passwordFile string
	passwordEnv  string
	args         []string
	extraEnv     []string
	secrets      []string // values of ExtraEnv to hide in errors
	timeout      time.Duration
	limit        int64
}

var _ Source = (*ResticSource)(nil)

// inheritedResticEnv are the daemon's variables restic gets, when set.
var inheritedResticEnv = []string{
	"PATH", "HOME", "TMPDIR", "XDG_CACHE_HOME", "RESTIC_CACHE_DIR",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
}

// resticBackends are the repository prefixes restic 0.14–0.18 know; any
// other repository is a local path.
var resticBackends = []string{"local:", "sftp:", "rest:", "s3:", "b2:", "azure:", "gs:", "swift:", "rclone:"}

// NewResticSource builds a restic source with the given timeout (0 is
// DefaultTimeout). A local repository, password_file and a binary with a
// '/' in it are taken relative to baseDir.
func NewResticSource(s ResticSpec, timeout time.Duration, baseDir string) (*ResticSource, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if timeout < 0 {
		return nil, fmt.Errorf("timeout: %v is negative", timeout)
	}
	src := &ResticSource{
		binary:       s.Binary,
		repository:   resolveRepository(baseDir, s.Repository),
		passwordFile: resolve(baseDir, s.PasswordFile),
		passwordEnv:  s.PasswordEnv,
		timeout:      timeoutOr(timeout),
		limit:        MaxOutput,
	}
	if src.binary == "" {
		src.binary = "restic"
	} else if strings.ContainsRune(src.binary, '/') {
		src.binary = resolve(baseDir, src.binary)
	}
	src.args = []string{src.binary, "snapshots", "--json", "--no-lock", "--repo=" + src.repository}
	if src.passwordFile != "" {
		src.args = append(src.args, "--password-file="+src.passwordFile)
	}
	if s.Host != "" {
		src.args = append(src.args, "--host="+s.Host)
	}
	if len(s.Tags) > 0 {
		// One --tag with a comma-separated list: snapshots carrying all of
		// them. (Several --tag flags would mean any of them.)
		src.args = append(src.args, "--tag="+strings.Join(s.Tags, ","))
	}
	for _, p := range s.Paths {
		src.args = append(src.args, "--path="+p)
	}
	for _, k := range slices.Sorted(maps.Keys(s.ExtraEnv)) {
		v := s.ExtraEnv[k]
		src.extraEnv = append(src.extraEnv, k+"="+v)
		if len(v) >= 4 { // shorter values are not secrets, and would mangle messages
			src.secrets = append(src.secrets, v)
		}
	}
	return src, nil
}

// resolveRepository makes a local repository path relative to baseDir.
func resolveRepository(baseDir, repo string) string {
	for _, b := range resticBackends {
		if strings.HasPrefix(repo, b) {
			if b == "local:" {
				return b + resolve(baseDir, strings.TrimPrefix(repo, b))
			}
			return repo
		}
	}
	return resolve(baseDir, repo)
}

// userinfoRE finds the password in a URL's user info.
var userinfoRE = regexp.MustCompile(`(://[^/@:]*):[^/@]*@`)

// redactURL hides a password written into a repository URL
// (rest:https://user:pass@host/).
func redactURL(repo string) string {
	return userinfoRE.ReplaceAllString(repo, "$1:<secret>@")
}

// Fetch lists the repository's snapshots.
func (s *ResticSource) Fetch(ctx context.Context) ([]Record, error) {
	name := fmt.Sprintf("%s snapshots -r %s", s.binary, redactURL(s.repository))
	env := make([]string, 0, len(inheritedResticEnv)+len(s.extraEnv)+1)
	for _, k := range inheritedResticEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env, s.extraEnv...)
	secrets := s.secrets
	if s.passwordEnv != "" {
		pw := os.Getenv(s.passwordEnv)
		if pw == "" {
			return nil, fmt.Errorf("%s: the password variable %s (password_env) is not set", name, s.passwordEnv)
		}
		env = append(env, "RESTIC_PASSWORD="+pw)
		secrets = append(slices.Clip(secrets), pw)
	}
	out, err := run(ctx, runSpec{
		name: name, argv: s.args, env: env,
		timeout: s.timeout, limit: s.limit,
		redact: func(msg string) string {
			if s.passwordFile != "" {
				secrets = append(slices.Clip(secrets), readPassword(s.passwordFile)...)
			}
			return redact(msg, secrets)
		},
	})
	if err != nil {
		return nil, err
	}
	recs, err := ParseResticSnapshots(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("%s: output: %w", name, err)
	}
	return recs, nil
}

// readPassword reads a password file the way restic does (the first line,
// up to 4 KiB here) for redaction; a file that cannot be read yields
// nothing to redact.
func readPassword(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 4<<10))
	var out []string
	if line, _, _ := strings.Cut(string(b), "\n"); strings.TrimSpace(line) != "" {
		out = append(out, strings.TrimRight(line, "\r"))
	}
	if whole := strings.TrimSpace(string(b)); whole != "" {
		out = append(out, whole)
	}
	return out
}

// redact replaces every secret in msg with <secret>, longest first so
// that one secret holding another is hidden whole.
func redact(msg string, secrets []string) string {
	secrets = slices.Clone(secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "<secret>")
		}
	}
	return msg
}
