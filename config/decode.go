package config

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slawatch/slawatch/calendar"
)

// loc is where a value was written.
type loc struct {
	file    string
	line    int // line of the value
	keyLine int // line of the key that introduced it (the value's line for list items)
	null    bool
}

// decoder fills Go values from a yaml.Node strictly, by their yaml tags,
// instead of yaml.v3's own decoder: that one stops at the first error in
// some cases and cannot tell which line a value came from after the fact.
type decoder struct {
	file   string
	col    *collector
	lines  map[string]loc      // every path visited
	budget int                 // values left to decode; bounds alias expansion
	active map[*yaml.Node]bool // anchors being expanded, to refuse cycles
	broke  bool                // budget exhausted
}

func newDecoder(file string, col *collector, lines map[string]loc, root *yaml.Node) *decoder {
	// A legitimate config rarely expands aliases beyond a few times its own
	// size; "billion laughs" documents expand exponentially.
	budget := max(4*countNodes(root), 1_000_000)
	return &decoder{file: file, col: col, lines: lines, budget: budget, active: map[*yaml.Node]bool{}}
}

// countNodes counts the nodes of a document without following aliases.
func countNodes(root *yaml.Node) int {
	if root == nil {
		return 0
	}
	n := 0
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		stack = append(stack, top.Content...)
	}
	return n
}

func (d *decoder) errorf(line int, path, format string, args ...any) {
	d.col.add(d.file, line, path, format, args...)
	d.col.failed[path] = true
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decode stores n into v and records where path was written. keyLine is
// the line of the key that introduced n, or 0 when there is none.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string, keyLine int) {
	if d.broke || n == nil {
		return
	}
	d.budget--
	if d.budget < 0 {
		d.broke = true
		d.errorf(n.Line, path, "document too large: too many values after expanding aliases")
		return
	}
	if keyLine == 0 {
		keyLine = n.Line
	}
	d.lines[path] = loc{file: d.file, line: n.Line, keyLine: keyLine}
	target := n
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			d.errorf(n.Line, path, "alias *%s refers to no anchor", n.Value)
			return
		}
		if d.active[n.Alias] {
			d.errorf(n.Line, path, "alias *%s refers to a value that contains it", n.Value)
			return
		}
		d.active[n.Alias] = true
		defer delete(d.active, n.Alias)
		target = n.Alias
	}
	if isNull(target) {
		l := d.lines[path]
		l.null = true
		d.lines[path] = l
		return // an empty value leaves the default in place
	}
	if tag := target.ShortTag(); !knownTags[tag] {
		d.errorf(n.Line, path, "unsupported YAML tag %q", tag)
		return
	}
	d.decodeValue(target, v, path)
}

var knownTags = map[string]bool{
	"!!str": true, "!!int": true, "!!float": true, "!!bool": true, "!!null": true,
	"!!timestamp": true, "!!binary": true, "!!map": true, "!!seq": true, "!!merge": true,
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// decodeValue stores a non-null, non-alias node into v.
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	switch {
	case t == durationType:
		if !d.wantScalar(n, path, "a duration like 30s") {
			return
		}
		dur, err := calendar.ParseWall(n.Value)
		if err == nil && dur < 0 { // ParseWall's day count can overflow
			err = fmt.Errorf("invalid duration %q: too large", n.Value)
		}
		if err != nil {
			d.errorf(n.Line, path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
		return
	case t == timeType:
		if !d.wantScalar(n, path, "a time like 2026-12-01T22:00:00Z") {
			return
		}
		tm, err := time.Parse(time.RFC3339, n.Value)
		if err != nil {
			d.errorf(n.Line, path, "invalid time %s: want RFC 3339, like 2026-12-01T22:00:00Z", quote(n.Value))
			return
		}
		v.Set(reflect.ValueOf(tm))
		return
	case reflect.PointerTo(t).Implements(textUnmarshalerType) && v.CanAddr():
		if !d.wantScalar(n, path, "a string") {
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.errorf(n.Line, path, "%v", err)
		}
		return
	}

	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.decodeValue(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		if d.wantScalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if !d.wantScalar(n, path, "true or false") {
			return
		}
		b, ok := boolValues[n.Value]
		if !ok || n.ShortTag() != "!!bool" {
			d.errorf(n.Line, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := d.integer(n, path)
		if !ok {
			return
		}
		if v.OverflowInt(i) {
			d.errorf(n.Line, path, "%s is out of range", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := d.integer(n, path)
		if !ok {
			return
		}
		if i < 0 || v.OverflowUint(uint64(i)) {
			d.errorf(n.Line, path, "%s is out of range", n.Value)
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		if !d.wantScalar(n, path, "a number") {
			return
		}
		tag := n.ShortTag()
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if tag == "!!int" && err != nil {
			var i int64
			i, err = strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
			f = float64(i)
		}
		if (tag != "!!int" && tag != "!!float") || err != nil {
			d.errorf(n.Line, path, "want a number, got %s", describe(n))
			return
		}
		if math.IsInf(f, 0) || math.IsNaN(f) || v.OverflowFloat(f) {
			d.errorf(n.Line, path, "want a finite number, got %s", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		// A Go type in a config struct that this decoder does not know:
		// a programming error, reported rather than panicking.
		d.errorf(n.Line, path, "cannot decode into Go type %s", t)
	}
}

var boolValues = map[string]bool{
	"true": true, "True": true, "TRUE": true,
	"false": false, "False": false, "FALSE": false,
}

// integer reads a whole number. Decimal comes first so that 010 is ten
// (yaml.v3 would read it as YAML 1.1 octal); 0x, 0o and 0b work too.
func (d *decoder) integer(n *yaml.Node, path string) (int64, bool) {
	if !d.wantScalar(n, path, "an integer") {
		return 0, false
	}
	s := strings.ReplaceAll(n.Value, "_", "")
	tag := n.ShortTag()
	if tag == "!!float" && isDigits(s) {
		d.errorf(n.Line, path, "%s is out of range", n.Value)
		return 0, false
	}
	if tag != "!!int" {
		d.errorf(n.Line, path, "want an integer, got %s", describe(n))
		return 0, false
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		i, err = strconv.ParseInt(s, 0, 64)
	}
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			d.errorf(n.Line, path, "%s is out of range", n.Value)
		} else {
			d.errorf(n.Line, path, "want an integer, got %s", describe(n))
		}
		return 0, false
	}
	return i, true
}

func isDigits(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func (d *decoder) wantScalar(n *yaml.Node, path, what string) bool {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n.Line, path, "want %s, got %s", what, describe(n))
		return false
	}
	return true
}

// describe names what a node holds, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return quote(n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// quote quotes a value from the file for a message, cut short so one bad
// value cannot flood the report.
func quote(s string) string {
	const max = 60
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// pair is one key and value of a mapping, merges resolved.
type pair struct {
	key     string
	keyNode *yaml.Node
	value   *yaml.Node
}

// pairs lists a mapping's entries. A key given twice is an error; keys
// from merges (<<: *anchor) give way to keys written in the mapping itself
// and to keys from earlier merges, as YAML's merge key says.
func (d *decoder) pairs(n *yaml.Node, path string) []pair {
	var out []pair
	first := map[string]int{} // key -> line of its first occurrence
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, path, "a key must be a string, got %s", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merges = append(merges, val)
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.errorf(k.Line, fieldPath(path, k.Value), "duplicate key (first at line %d)", line)
			continue
		}
		first[k.Value] = k.Line
		out = append(out, pair{key: k.Value, keyNode: k, value: val})
	}
	for _, m := range merges {
		for _, p := range d.merged(m, path) {
			if _, ok := first[p.key]; ok {
				continue
			}
			first[p.key] = p.keyNode.Line
			out = append(out, p)
		}
	}
	return out
}

// merged lists the entries a merge key brings in: a mapping, or a sequence
// of mappings where earlier ones win.
func (d *decoder) merged(n *yaml.Node, path string) []pair {
	d.budget--
	if d.budget < 0 {
		if !d.broke {
			d.broke = true
			d.errorf(n.Line, path, "document too large: too many values after expanding aliases")
		}
		return nil
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil || d.active[n.Alias] {
			d.errorf(n.Line, path, "alias *%s refers to a value that contains it", n.Value)
			return nil
		}
		d.active[n.Alias] = true
		defer delete(d.active, n.Alias)
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return d.pairs(n, path)
	case yaml.SequenceNode:
		var out []pair
		seen := map[string]bool{}
		for _, item := range n.Content {
			if item.Kind == yaml.SequenceNode {
				d.errorf(item.Line, path, "<< merges a mapping or a list of mappings, got a list of lists")
				continue
			}
			for _, p := range d.merged(item, path) {
				if !seen[p.key] {
					seen[p.key] = true
					out = append(out, p)
				}
			}
		}
		return out
	}
	d.errorf(n.Line, path, "<< merges a mapping or a list of mappings, got %s", describe(n))
	return nil
}

func (d *decoder) wantMapping(n *yaml.Node, path string) bool {
	if n.Kind != yaml.MappingNode {
		d.errorf(n.Line, path, "want a mapping, got %s", describe(n))
		return false
	}
	return true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if !d.wantMapping(n, path) {
		return
	}
	info := structInfoOf(v.Type())
	for _, p := range d.pairs(n, path) {
		f, ok := info.fields[p.key]
		if !ok {
			d.errorf(p.keyNode.Line, fieldPath(path, p.key), "unknown key %s%s", quote(p.key), suggest(p.key, info.names))
			continue
		}
		d.decode(p.value, v.Field(f), fieldPath(path, p.key), p.keyNode.Line)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if t.Key().Kind() != reflect.String {
		d.errorf(n.Line, path, "cannot decode into Go type %s", t)
		return
	}
	if !d.wantMapping(n, path) {
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(t))
	}
	for _, p := range d.pairs(n, path) {
		elem := newElem(t.Elem())
		d.decode(p.value, elem, fieldPath(path, p.key), p.keyNode.Line)
		v.SetMapIndex(reflect.ValueOf(p.key).Convert(t.Key()), elem)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n.Line, path, "want a sequence, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	scalars := !isCompound(v.Type().Elem())
	for i, item := range n.Content {
		elem := newElem(v.Type().Elem())
		d.decode(item, elem, indexPath(path, i), 0)
		s = reflect.Append(s, elem)
		if scalars && d.col.failed[indexPath(path, i)] {
			// A list of plain values is checked as a whole (calendar days,
			// status codes); with a hole in it, that check would mislead.
			d.col.failed[path] = true
		}
	}
	v.Set(s)
}

// isCompound reports whether values of t are checked key by key.
func isCompound(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice:
		return t != timeType
	}
	return false
}

// newElem makes a settable zero element; pointers point at a zero value so
// that a null list item or map value never leaves a nil for validation.
func newElem(t reflect.Type) reflect.Value {
	e := reflect.New(t).Elem()
	if t.Kind() == reflect.Pointer {
		e.Set(reflect.New(t.Elem()))
	}
	return e
}

type structInfo struct {
	fields map[string]int // yaml key -> field index
	names  []string       // keys in declaration order
}

var structInfos sync.Map // reflect.Type -> *structInfo

// structInfoOf lists the keys of a struct: its exported fields with a yaml
// tag. Untagged fields (Config.File), "-" and embedded structs' fields are
// not read from the file.
func structInfoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{fields: map[string]int{}}
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if !ok || !f.IsExported() || name == "-" || name == "" {
			continue
		}
		si.fields[name] = i
		si.names = append(si.names, name)
	}
	structInfos.Store(t, si)
	return si
}

// suggest points at the valid key nearest to an unknown one, or lists the
// valid keys when none is near.
func suggest(key string, valid []string) string {
	best, bestDist := "", 3
	for _, v := range valid {
		d := editDistance(strings.ToLower(key), strings.ToLower(v))
		if d < bestDist || (d == bestDist && best != "" && v < best) {
			best, bestDist = v, d
		}
	}
	if best != "" && bestDist <= max(1, len(key)/3) {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	if len(valid) == 0 {
		return ""
	}
	sorted := slices.Sorted(slices.Values(valid))
	return "; valid keys are " + strings.Join(sorted, ", ")
}

// editDistance is the Levenshtein distance, for short keys.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
