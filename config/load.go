package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/slawatch/slawatch/calendar"
)

// maxFileSize bounds what is read: configs for thousands of services are a
// few megabytes, and a bound keeps a mistaken include (a log file, a
// device) from exhausting memory.
const maxFileSize = 32 << 20

// Load reads the config file at path and the files it includes, applies
// defaults and validates it. A file that cannot be read is a plain error;
// problems in the files' contents are returned as *Errors.
func Load(path string) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	data, err := readFile(abs)
	if err != nil {
		return nil, err
	}
	return Parse(abs, data)
}

// Parse is Load for a file already read: file names it in errors, and
// includes are resolved relative to its directory.
func Parse(file string, data []byte) (*Config, error) {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	l := &loader{
		col:      newCollector(),
		lines:    map[string]loc{},
		included: map[string]loc{},
	}
	cfg := &Config{File: file, Files: []string{file}}
	l.cfg = cfg
	if root := l.parseYAML(file, data); root != nil {
		newDecoder(file, l.col, l.lines, root).decode(root, reflect.ValueOf(cfg).Elem(), "", 0)
	}
	l.stack = []string{file}
	l.includes(file, cfg.Include, l.lines)
	(&checker{cfg: cfg, col: l.col, lines: l.lines}).check()
	if err := l.col.result(); err != nil {
		return nil, err
	}
	return cfg, nil
}

type loader struct {
	cfg      *Config
	col      *collector
	lines    map[string]loc // paths of the merged config
	stack    []string       // the chain of files including each other, for cycles
	included map[string]loc // file -> the include entry that read it
}

func readFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxFileSize>>20)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxFileSize>>20)
	}
	return data, nil
}

// parseYAML parses one document and returns its top node, or nil when the
// file is empty or broken (the error is collected).
func (l *loader) parseYAML(file string, data []byte) *yaml.Node {
	if len(data) > maxFileSize {
		l.col.add(file, 1, "", "file is larger than %d MiB", maxFileSize>>20)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := decodeNode(dec, &doc); err != nil {
		if err != io.EOF {
			l.syntaxError(file, data, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := decodeNode(dec, &extra); {
	case err == nil:
		l.col.add(file, extra.Line, "", "a config file holds one YAML document; another starts here")
	case err != io.EOF:
		l.syntaxError(file, data, err)
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return &doc
}

// decodeNode parses the next document, turning a panic inside the YAML
// library into an error: bad input must never crash the daemon's reload.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	return dec.Decode(n)
}

var (
	yamlLineRE   = regexp.MustCompile(`^line (\d+): (.*)$`)
	yamlAnchorRE = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
)

// syntaxError reports a yaml.v3 parse error ("yaml: line 3: …") as
// FILE:LINE: message.
func (l *loader) syntaxError(file string, data []byte, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			line, msg = n, m[2]
		}
	} else if m := yamlAnchorRE.FindStringSubmatch(msg); m != nil {
		// yaml.v3 gives no line here; the first use of the alias is it.
		if i := bytes.Index(data, []byte("*"+m[1])); i >= 0 {
			line = 1 + bytes.Count(data[:i], []byte("\n"))
		}
	}
	if lines := bytes.Split(data, []byte("\n")); line <= len(lines) && bytes.ContainsRune(lines[line-1], '\t') &&
		strings.Contains(msg, "cannot start any token") {
		msg += " (YAML does not allow tabs for indentation)"
	}
	l.col.add(file, line, "", "invalid YAML: %s", msg)
}

// fragment is what an included file may hold.
type fragment struct {
	Include   []string                 `yaml:"include"`
	Calendars map[string]calendar.Spec `yaml:"calendars"`
	Policies  map[string]*Policy       `yaml:"policies"`
}

// includes reads the files listed in file's include: (whose entries are at
// include[i] in lines) and merges their calendars and policies into the
// config. Included files may include more files.
func (l *loader) includes(file string, list []string, lines map[string]loc) {
	dir := filepath.Dir(file)
	for i, name := range list {
		p := indexPath("include", i)
		at := lines[p]
		at.file = file
		if name == "" {
			l.col.add(file, at.line, p, "empty file name")
			continue
		}
		target := name
		if !filepath.IsAbs(target) {
			target = filepath.Join(dir, target)
		}
		target = filepath.Clean(target)
		if k := slices.Index(l.stack, target); k >= 0 {
			chain := append(slices.Clone(l.stack[k:]), target)
			for j := range chain {
				chain[j] = filepath.Base(chain[j])
			}
			l.col.add(file, at.line, p, "include cycle: %s", strings.Join(chain, " -> "))
			continue
		}
		if prev, ok := l.included[target]; ok {
			l.col.add(file, at.line, p, "%s is already included at %s:%d", name, prev.file, prev.line)
			continue
		}
		l.included[target] = at
		data, err := readFile(target)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			l.col.add(file, at.line, p, "cannot read %s: %v", target, err)
			continue
		}
		l.cfg.Files = append(l.cfg.Files, target)
		frag, fragLines := l.decodeFragment(target, data)
		l.merge(target, frag, fragLines)
		l.stack = append(l.stack, target)
		l.includes(target, frag.Include, fragLines)
		l.stack = l.stack[:len(l.stack)-1]
	}
}

// decodeFragment decodes an included file. Keys that belong only in the
// main file are errors that say so, rather than "unknown key".
func (l *loader) decodeFragment(file string, data []byte) (*fragment, map[string]loc) {
	frag := &fragment{}
	lines := map[string]loc{}
	root := l.parseYAML(file, data)
	if root == nil {
		return frag, lines
	}
	if root.Kind == yaml.MappingNode {
		main := structInfoOf(reflect.TypeFor[Config]())
		allowed := structInfoOf(reflect.TypeFor[fragment]())
		kept := *root
		kept.Content = nil
		for i := 0; i+1 < len(root.Content); i += 2 {
			k := root.Content[i]
			_, inMain := main.fields[k.Value]
			if _, ok := allowed.fields[k.Value]; !ok && inMain && k.Kind == yaml.ScalarNode {
				l.col.add(file, k.Line, fieldPath("", k.Value),
					"not allowed in an included file, which may hold only calendars, policies and include")
				continue
			}
			kept.Content = append(kept.Content, k, root.Content[i+1])
		}
		root = &kept
	}
	newDecoder(file, l.col, lines, root).decode(root, reflect.ValueOf(frag).Elem(), "", 0)
	return frag, lines
}

// merge adds an included file's calendars and policies, refusing names
// that are already defined.
func (l *loader) merge(file string, frag *fragment, fragLines map[string]loc) {
	cfg := l.cfg
	for _, name := range sortedKeys(frag.Calendars) {
		p := fieldPath("calendars", name)
		if l.duplicate(file, p, "calendar", name, fragLines) {
			continue
		}
		if cfg.Calendars == nil {
			cfg.Calendars = map[string]calendar.Spec{}
		}
		cfg.Calendars[name] = frag.Calendars[name]
		copyLines(l.lines, fragLines, p)
	}
	for _, name := range sortedKeys(frag.Policies) {
		p := fieldPath("policies", name)
		if l.duplicate(file, p, "policy", name, fragLines) {
			continue
		}
		if cfg.Policies == nil {
			cfg.Policies = map[string]*Policy{}
		}
		cfg.Policies[name] = frag.Policies[name]
		copyLines(l.lines, fragLines, p)
	}
}

func (l *loader) duplicate(file, p, what, name string, fragLines map[string]loc) bool {
	first, ok := l.lines[p]
	if !ok {
		return false
	}
	l.col.add(file, fragLines[p].keyLine, p, "%s %q is already defined at %s:%d", what, name, first.file, first.keyLine)
	return true
}

// copyLines copies the locations of path and everything below it.
func copyLines(dst, src map[string]loc, path string) {
	for k, v := range src {
		if k == path || strings.HasPrefix(k, path+".") || strings.HasPrefix(k, path+"[") {
			dst[k] = v
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
