package backup

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxOutput is the default bound on what a source may print: ParseRecords
// with a limit of 0, a command's stdout and restic's snapshot list. 64 MiB
// holds several hundred thousand records.
const MaxOutput = 64 << 20

// ErrOutputTooLarge is wrapped by the errors of input past its bound.
var ErrOutputTooLarge = errors.New("output too large")

// Kinds of backup a record may name.
const (
	KindFull        = "full"
	KindIncremental = "incremental"
	KindLog         = "log"
)

// ParseRecords reads the records a command source prints (SPEC §7): either
// one JSON array of objects, or one JSON object a line (JSON lines; blank
// lines are skipped). Which of the two is told by the first character that
// is not white space; empty output is an empty set. Each object has
//
//	time        RFC 3339 string, required
//	status      "success" (the default) or "failure"
//	size_bytes  whole number ≥ 0
//	kind        "full", "incremental" or "log"
//	id          string
//
// Unknown fields are tolerated, so that a script can print what it knows
// (host, path, duration …) for other readers; a known field with the wrong
// type or value is an error, and so is a null time. null for an optional
// field is the same as leaving it out. Errors name where the object is:
// "line 3: time: \"yesterday\" is not RFC 3339" for JSON lines,
// "element 2 (line 4): …" for an array.
//
// At most limit bytes are read (MaxOutput when limit ≤ 0); more is an error
// wrapping ErrOutputTooLarge, not a silently truncated set.
func ParseRecords(r io.Reader, limit int64) ([]Record, error) {
	if limit <= 0 {
		limit = MaxOutput
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %s", ErrOutputTooLarge, sizeString(limit))
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a byte-order mark
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return []Record{}, nil
	}
	switch trimmed[0] {
	case '[':
		return parseArray(data)
	case '{':
		return parseLines(data)
	}
	line := lineOf(data, len(data)-len(trimmed))
	return nil, fmt.Errorf("line %d: want a JSON array or one JSON object a line, got %s", line, excerpt(trimmed))
}

// parseArray reads a JSON array of record objects.
func parseArray(data []byte) ([]Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '['
		return nil, jsonError(data, err)
	}
	out := []Record{}
	for n := 1; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, jsonError(data, err)
		}
		// The element ends at InputOffset; its start is len(raw) before,
		// since RawMessage holds it verbatim.
		start := int(dec.InputOffset()) - len(raw)
		rec, err := decodeRecord(raw)
		if err != nil {
			return nil, fmt.Errorf("element %d (line %d): %w", n, lineOf(data, start), err)
		}
		out = append(out, rec)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, jsonError(data, err)
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		off := len(data) - len(rest)
		return nil, fmt.Errorf("line %d: unexpected %s after the JSON array", lineOf(data, off), excerpt(rest))
	}
	return out, nil
}

// parseLines reads one JSON object a line.
func parseLines(data []byte) ([]Record, error) {
	out := []Record{}
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if line[0] != '{' {
			return nil, fmt.Errorf("line %d: want a JSON object, got %s", n, excerpt(line))
		}
		rec, err := decodeRecord(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// DecodeRecord decodes one record object, with the fields and rules of
// ParseRecords: the body of a pushed record (POST /api/v1/backups/{set}) is
// the same object a command prints.
func DecodeRecord(data []byte) (Record, error) {
	rec, err := decodeRecord(data)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return Record{}, fmt.Errorf("line %d: %w", lineOf(data, int(se.Offset)-1), err)
	}
	return rec, err
}

// Record times lie in [minRecordTime, maxRecordTime).
var (
	minRecordTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxRecordTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

func decodeRecord(data []byte) (Record, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Record{}, fmt.Errorf("want a JSON object, got %s", te.Value)
		}
		return Record{}, err
	}
	if fields == nil {
		return Record{}, errors.New("want a JSON object, got null")
	}
	if dec.More() {
		return Record{}, errors.New("want one JSON object, got more after it")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Record{}, errors.New("unexpected data after the JSON object")
	}

	rec := Record{Success: true}
	raw, ok := fields["time"]
	if !ok || isNull(raw) {
		return Record{}, errors.New("time: missing")
	}
	s, err := jsonString("time", raw)
	if err != nil {
		return Record{}, err
	}
	if rec.Time, err = time.Parse(time.RFC3339, s); err != nil {
		return Record{}, fmt.Errorf("time: %s is not RFC 3339, like \"2026-10-21T02:00:00Z\"", quoteValue(s))
	}
	// A zero or pre-1970 time is a placeholder or a typo (0026 for 2026),
	// and one past 9998 cannot be shown as JSON in every zone; refusing it
	// here names the record instead of failing the whole listing's write.
	if rec.Time.Before(minRecordTime) || !rec.Time.Before(maxRecordTime) {
		return Record{}, fmt.Errorf("time: %s is outside the years 1970 to 9998", quoteValue(s))
	}

	if raw, ok := fields["status"]; ok && !isNull(raw) {
		s, err := jsonString("status", raw)
		if err != nil {
			return Record{}, err
		}
		switch s {
		case "success":
		case "failure":
			rec.Success = false
		default:
			return Record{}, fmt.Errorf("status: %s is not success or failure", quoteValue(s))
		}
	}

	if raw, ok := fields["size_bytes"]; ok && !isNull(raw) {
		if rec.SizeBytes, err = jsonSize(raw); err != nil {
			return Record{}, err
		}
	}

	if raw, ok := fields["kind"]; ok && !isNull(raw) {
		s, err := jsonString("kind", raw)
		if err != nil {
			return Record{}, err
		}
		switch s {
		case KindFull, KindIncremental, KindLog:
			rec.Kind = s
		default:
			return Record{}, fmt.Errorf("kind: %s is not full, incremental or log", quoteValue(s))
		}
	}

	if raw, ok := fields["id"]; ok && !isNull(raw) {
		if rec.ID, err = jsonString("id", raw); err != nil {
			return Record{}, err
		}
	}
	return rec, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func jsonString(key string, raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s: want a string, got %s", key, jsonKind(raw))
	}
	return s, nil
}

// jsonSize reads size_bytes: a whole number from 0 to 2⁶³−1, written as
// an integer or in exponent form (1e9, 5.0).
func jsonSize(raw json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || raw[0] == '"' {
		return 0, fmt.Errorf("size_bytes: want a whole number of bytes, got %s", jsonKind(raw))
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(n), 64)
		switch {
		case ferr == nil && f == math.Trunc(f) && f >= 0 && f < math.MaxInt64:
			v = int64(f)
		case ferr == nil && f == math.Trunc(f) && f < 0:
			v = -1
		default:
			return 0, fmt.Errorf("size_bytes: %s is not a whole number of bytes up to %d", n, int64(math.MaxInt64))
		}
	}
	if v < 0 {
		return 0, fmt.Errorf("size_bytes: %s is negative", n)
	}
	return v, nil
}

// jsonKind names the JSON type of a value, with the value, for "want X,
// got Y".
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return "string " + quoteValue(s)
		}
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "boolean " + string(raw)
	case 'n':
		return "null"
	}
	if len(raw) > 40 {
		return "number " + string(raw[:40]) + "…"
	}
	return "number " + string(raw)
}

// jsonError turns an error of decoding the array in data into one that
// names the line. json.Decoder's syntax errors do not all give an offset
// from the start of the input, so a syntax error is found again by a check
// of the whole input, whose offsets do.
func jsonError(data []byte, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("line %d: unexpected end of input: the JSON array is not closed", lineOf(data, len(data)))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		if verr := json.Unmarshal(data, new(json.RawMessage)); errors.As(verr, &se) {
			return fmt.Errorf("line %d: %v", lineOf(data, int(se.Offset)-1), se)
		}
	}
	return err
}

// lineOf is the 1-based line number of byte offset off in data.
func lineOf(data []byte, off int) int {
	off = min(max(off, 0), len(data))
	return bytes.Count(data[:off], []byte("\n")) + 1
}

// excerpt quotes the start of b for an error message: one line, at most
// 40 bytes, valid UTF-8.
func excerpt(b []byte) string {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	cut := len(b) > 40
	if cut {
		b = b[:40]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if cut {
		s = strings.TrimRight(s, "\uFFFD")
		return strconv.Quote(s) + "…"
	}
	return strconv.Quote(s)
}

// quoteValue quotes a decoded string value for an error message.
func quoteValue(s string) string {
	if len(s) > 60 {
		s = s[:60]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		return strconv.Quote(s) + "…"
	}
	return strconv.Quote(s)
}

func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// resticSnapshot is what this package reads of an element of
// `restic snapshots --json`; the other fields (tree, paths, hostname, tags,
// short_id …) are not needed and not checked. Restic 0.17 added summary;
// older versions leave it out.
type resticSnapshot struct {
	Time    *time.Time `json:"time"`
	ID      string     `json:"id"`
	Summary *struct {
		TotalBytesProcessed *uint64 `json:"total_bytes_processed"`
	} `json:"summary"`
}

// ParseResticSnapshots reads the output of `restic snapshots --json`: an
// array of snapshots (or null, for none). Each becomes a successful, full
// Record with the snapshot's time and id; SizeBytes is the summary's
// total_bytes_processed where restic (0.17 and later) reports it. A snapshot
// without a time or an id is an error naming it ("snapshot 3: …"). Input
// past MaxOutput is an error wrapping ErrOutputTooLarge.
func ParseResticSnapshots(r io.Reader) ([]Record, error) {
	return parseResticSnapshots(r, MaxOutput)
}

func parseResticSnapshots(r io.Reader, limit int64) ([]Record, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	dec := json.NewDecoder(bufio.NewReader(lr))
	// fail explains a decoding error. Past the limit, any error is the
	// limit's doing: the decoder reads a whole value before unmarshalling.
	fail := func(n int, err error) error {
		where := "JSON"
		if n > 0 {
			where = fmt.Sprintf("snapshot %d", n)
		}
		var te *json.UnmarshalTypeError
		var pe *time.ParseError
		switch {
		case lr.N <= 0:
			return fmt.Errorf("%w: more than %s", ErrOutputTooLarge, sizeString(limit))
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return errors.New("unexpected end of JSON")
		case errors.As(err, &te) && te.Field == "":
			return fmt.Errorf("%s: want a JSON object, got %s", where, te.Value)
		case errors.As(err, &te):
			return fmt.Errorf("%s: %s: want %s, got %s", where, te.Field, te.Type, te.Value)
		case errors.As(err, &pe):
			return fmt.Errorf("%s: time: %s is not RFC 3339", where, quoteValue(pe.Value))
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	tok, err := dec.Token()
	switch {
	case err == io.EOF && lr.N > limit:
		return nil, errors.New("no output; want a JSON array")
	case err != nil:
		return nil, fail(0, err)
	case tok == nil: // null: no snapshots
		return []Record{}, trailing(dec, fail)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("want a JSON array, got %s", tokenString(tok))
	}
	out := []Record{}
	for n := 1; dec.More(); n++ {
		var s resticSnapshot
		if err := dec.Decode(&s); err != nil {
			return nil, fail(n, err)
		}
		switch {
		case s.Time == nil:
			return nil, fmt.Errorf("snapshot %d: time: missing", n)
		case s.ID == "":
			return nil, fmt.Errorf("snapshot %d: id: missing", n)
		}
		rec := Record{Time: *s.Time, Success: true, Kind: KindFull, ID: s.ID}
		if s.Summary != nil && s.Summary.TotalBytesProcessed != nil {
			rec.SizeBytes = int64(min(*s.Summary.TotalBytesProcessed, math.MaxInt64))
		}
		out = append(out, rec)
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, fail(0, err)
	}
	return out, trailing(dec, fail)
}

// trailing checks that nothing but white space follows the JSON value.
func trailing(dec *json.Decoder, fail func(int, error) error) error {
	switch _, err := dec.Token(); {
	case err == io.EOF:
		return nil
	case err != nil:
		return fail(0, err)
	}
	return errors.New("unexpected data after the JSON array")
}

func tokenString(tok json.Token) string {
	switch v := tok.(type) {
	case string:
		return "string " + quoteValue(v)
	case json.Delim:
		return string(v)
	}
	return fmt.Sprintf("%v", tok)
}
