package backup

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Seeds beyond these are in testdata/fuzz/Fuzz*/.

func FuzzParseRecords(f *testing.F) {
	f.Add([]byte(`[{"time": "2026-10-21T02:00:00Z", "status": "success", "size_bytes": 1048576, "kind": "full", "id": "a"}]`))
	f.Add([]byte("{\"time\": \"2026-10-21T02:00:00+02:00\", \"status\": \"failure\"}\n{\"time\": \"2026-10-21T03:00:00.5Z\", \"size_bytes\": 1e3}\n"))
	f.Add([]byte(`[{"time": "yesterday"}]`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ParseRecords(bytes.NewReader(data), 1<<20)
		if err != nil {
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Fatalf("error spans lines: %q", msg)
			}
			if !strings.HasPrefix(msg, "line ") && !strings.HasPrefix(msg, "element ") && !strings.HasPrefix(msg, "output too large") {
				t.Fatalf("error names no place: %q", msg)
			}
			return
		}
		if recs == nil {
			t.Fatal("nil records without an error")
		}
		for _, r := range recs {
			switch r.Kind {
			case "", KindFull, KindIncremental, KindLog:
			default:
				t.Fatalf("kind %q", r.Kind)
			}
			if r.SizeBytes < 0 {
				t.Fatalf("size %d", r.SizeBytes)
			}
		}
		// What was read, written back as JSON lines, reads the same.
		again, err := ParseRecords(bytes.NewReader(encodeRecords(t, recs)), 0)
		if err != nil {
			t.Fatalf("records written back do not parse: %v", err)
		}
		if len(again) != len(recs) {
			t.Fatalf("%d records, %d after a round trip", len(recs), len(again))
		}
		for i := range recs {
			a, b := recs[i], again[i]
			if !a.Time.Equal(b.Time) || a.Success != b.Success || a.SizeBytes != b.SizeBytes || a.Kind != b.Kind || a.ID != b.ID {
				t.Fatalf("record %d: %+v, %+v after a round trip", i, a, b)
			}
		}
	})
}

// encodeRecords writes records as a command would print them.
func encodeRecords(t *testing.T, recs []Record) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range recs {
		status := "success"
		if !r.Success {
			status = "failure"
		}
		obj := map[string]any{"time": r.Time.Format(time.RFC3339Nano), "status": status, "size_bytes": r.SizeBytes, "id": r.ID}
		if r.Kind != "" {
			obj["kind"] = r.Kind
		}
		if err := enc.Encode(obj); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func FuzzParseResticSnapshots(f *testing.F) {
	f.Add([]byte(restic014))
	f.Add([]byte(restic017))
	f.Add([]byte("null"))
	f.Add([]byte(`[{"time":"2026-10-01T02:00:00Z"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseResticSnapshots(bytes.NewReader(data), 1<<20)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if recs == nil {
			t.Fatal("nil records without an error")
		}
		for _, r := range recs {
			if r.ID == "" || !r.Success || r.Kind != KindFull || r.SizeBytes < 0 {
				t.Fatalf("record %+v", r)
			}
		}
	})
}
