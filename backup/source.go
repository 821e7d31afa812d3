package backup

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Source pulls the backup records of one set. Fetch respects ctx and never
// hangs: every source also bounds itself with its own timeout. Fetch may be
// called from several goroutines at once (the daemon and `backup status`
// refreshing the same set), and returns the set's records in no particular
// order — Evaluate takes them as they come.
type Source interface {
	Fetch(ctx context.Context) ([]Record, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context) ([]Record, error)

// Fetch calls f.
func (f SourceFunc) Fetch(ctx context.Context) ([]Record, error) { return f(ctx) }

// Kinds of source, the keys of a set's source: block.
const (
	SourceCommand   = "command"
	SourceRestic    = "restic"
	SourceDirectory = "directory"
	SourcePush      = "push"
)

// DefaultTimeout bounds one Fetch of a command or restic source, or one
// scan of a directory, when the config gives no timeout.
const DefaultTimeout = time.Minute

// SourceSpec is a set's source: block (SPEC §7). Exactly one kind is set:
//
//	source: {command: ["/usr/local/bin/list-backups", "--json"], timeout: 30s}
//	source: {restic: {repository: /srv/restic, password_file: restic.pass}}
//	source: {directory: {path: /backups/portal, pattern: "*.dump"}}
//	source: {push: {}}
//
// A command's keys (command, env, dir) sit in the block itself, so that
// `source: {command: [...]}` reads as the spec writes it. timeout applies
// to every kind but push.
type SourceSpec struct {
	Command   []string          `yaml:"command"` // program and arguments, run without a shell
	Env       map[string]string `yaml:"env"`     // command only: added to the inherited environment
	Dir       string            `yaml:"dir"`     // command only: working directory; default the config file's
	Timeout   time.Duration     `yaml:"timeout"` // default DefaultTimeout
	Restic    *ResticSpec       `yaml:"restic"`
	Directory *DirectorySpec    `yaml:"directory"`
	Push      *PushSpec         `yaml:"push"`
}

// PushSpec is a push source: records arrive by `slawatch backup record` or
// POST /api/v1/backups/{set}; nothing is pulled. It has no keys.
type PushSpec struct{}

// CommandSpec is a command source on its own: the command keys of a
// SourceSpec.
type CommandSpec struct {
	Command []string          `yaml:"command"`
	Timeout time.Duration     `yaml:"timeout"`
	Env     map[string]string `yaml:"env"`
	Dir     string            `yaml:"dir"`
}

// Kind is the kind of source s configures: SourceCommand, SourceRestic,
// SourceDirectory, SourcePush, or "" when it sets none. When it sets more
// than one (which Validate refuses), Kind is the first in that order.
func (s *SourceSpec) Kind() string {
	if k := s.kinds(); len(k) > 0 {
		return k[0]
	}
	return ""
}

func (s *SourceSpec) kinds() []string {
	var k []string
	if s.Command != nil {
		k = append(k, SourceCommand)
	}
	if s.Restic != nil {
		k = append(k, SourceRestic)
	}
	if s.Directory != nil {
		k = append(k, SourceDirectory)
	}
	if s.Push != nil {
		k = append(k, SourcePush)
	}
	return k
}

// CommandSpec is the command part of s.
func (s *SourceSpec) CommandSpec() CommandSpec {
	return CommandSpec{Command: s.Command, Timeout: s.Timeout, Env: s.Env, Dir: s.Dir}
}

// Validate checks s without running anything or touching the file system.
// Every problem is one line of the error, beginning with the key it
// concerns relative to the source block ("restic.repository: …",
// "command[0]: …", "timeout: …"), so the config loader can point at the
// line; a line without a key concerns the block as a whole.
func (s *SourceSpec) Validate() error {
	var p problems
	s.check(&p)
	return p.err()
}

func (s *SourceSpec) check(p *problems) {
	kinds := s.kinds()
	switch {
	case len(kinds) == 0:
		p.add("", "a source needs one of command, restic, directory or push")
		return
	case len(kinds) > 1:
		p.add(kinds[1], "a source has only one of command, restic, directory or push, got %s", strings.Join(kinds, " and "))
		return
	}
	kind := kinds[0]
	if s.Timeout < 0 && kind != SourceCommand && kind != SourcePush { // CommandSpec checks its own
		p.add("timeout", "%v is negative", s.Timeout)
	}
	if kind != SourceCommand {
		if s.Env != nil {
			p.add("env", "only a command source has env (restic takes restic.env)")
		}
		if s.Dir != "" {
			p.add("dir", "only a command source has dir")
		}
	}
	switch kind {
	case SourceCommand:
		c := s.CommandSpec()
		c.check(p, "")
	case SourceRestic:
		s.Restic.check(p, "restic.")
	case SourceDirectory:
		s.Directory.check(p, "directory.")
	case SourcePush:
		if s.Timeout != 0 {
			p.add("timeout", "a push source pulls nothing and has no timeout")
		}
	}
}

// NewSource builds the Source that s configures, after validating it.
// Relative paths (a command with a '/' in it, dir, a local restic
// repository, password_file, a directory's path) are taken relative to
// baseDir, the config file's directory. A push source has nothing to pull:
// its Source is nil, with a nil error.
func NewSource(s SourceSpec, baseDir string) (Source, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	switch s.Kind() {
	case SourceCommand:
		return NewCommandSource(s.CommandSpec(), baseDir)
	case SourceRestic:
		return NewResticSource(*s.Restic, s.Timeout, baseDir)
	case SourceDirectory:
		return NewDirectorySource(*s.Directory, s.Timeout, baseDir)
	}
	return nil, nil // push
}

// problems collects validation errors, one line each.
type problems []string

func (p *problems) add(key, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if key != "" {
		msg = key + ": " + msg
	}
	*p = append(*p, msg)
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n"))
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkEnv checks the names and values of environment variables.
func checkEnv(p *problems, key string, env map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(env)) {
		switch v := env[name]; {
		case !envNameRE.MatchString(name):
			p.add(key, "%s is not a valid environment variable name", strconv.Quote(name))
		case strings.IndexByte(v, 0) >= 0:
			// The value itself is not shown: it may be a secret.
			p.add(key, "the value of %s holds a NUL byte", name)
		}
	}
}

// resolve makes a relative path relative to baseDir.
func resolve(baseDir, path string) string {
	if path == "" || baseDir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(baseDir, path)
}

// timeoutOr is d, or DefaultTimeout when d is 0.
func timeoutOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTimeout
	}
	return d
}
