package backup

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseRecordsForms(t *testing.T) {
	want := []Record{
		{Time: time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC), Success: true, SizeBytes: 1 << 30, Kind: "full", ID: "portal-1"},
		{Time: time.Date(2026, 10, 21, 3, 0, 0, 0, time.FixedZone("", 2*3600)), Success: false},
		{Time: time.Date(2026, 10, 21, 4, 0, 0, 500_000_000, time.UTC), Success: true, Kind: "log", SizeBytes: 1_000_000_000},
	}
	for _, tc := range []struct{ name, in string }{
		{"array", `[
  {"time": "2026-10-21T02:00:00Z", "status": "success", "size_bytes": 1073741824, "kind": "full", "id": "portal-1"},
  {"time": "2026-10-21T03:00:00+02:00", "status": "failure"},
  {"time": "2026-10-21T04:00:00.5Z", "kind": "log", "size_bytes": 1e9}
]`},
		{"array on one line", `[{"time":"2026-10-21T02:00:00Z","size_bytes":1073741824,"kind":"full","id":"portal-1"},{"time":"2026-10-21T03:00:00+02:00","status":"failure"},{"time":"2026-10-21T04:00:00.5Z","kind":"log","size_bytes":1000000000.0}]`},
		{"JSON lines", `{"time": "2026-10-21T02:00:00Z", "status": "success", "size_bytes": 1073741824, "kind": "full", "id": "portal-1"}
{"time": "2026-10-21T03:00:00+02:00", "status": "failure"}

{"time": "2026-10-21T04:00:00.5Z", "kind": "log", "size_bytes": 1e9}
`},
		{"JSON lines, CRLF, no final newline", "{\"time\": \"2026-10-21T02:00:00Z\", \"size_bytes\": 1073741824, \"kind\": \"full\", \"id\": \"portal-1\"}\r\n" +
			"{\"time\": \"2026-10-21T03:00:00+02:00\", \"status\": \"failure\"}\r\n" +
			"{\"time\": \"2026-10-21T04:00:00.5Z\", \"kind\": \"log\", \"size_bytes\": 1e9}"},
		{"nulls and unknown fields", "\xef\xbb\xbf" + `[
  {"time": "2026-10-21T02:00:00Z", "size_bytes": 1073741824, "kind": "full", "id": "portal-1", "host": "db1", "duration_seconds": 12.5, "extra": {"a": [1]}},
  {"time": "2026-10-21T03:00:00+02:00", "status": "failure", "size_bytes": null, "kind": null, "id": null},
  {"time": "2026-10-21T04:00:00.5Z", "status": null, "kind": "log", "size_bytes": 1E+9}
]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRecords(strings.NewReader(tc.in), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %d records, want %d: %+v", len(got), len(want), got)
			}
			for i := range want {
				g, w := got[i], want[i]
				if !g.Time.Equal(w.Time) || g.Success != w.Success || g.SizeBytes != w.SizeBytes || g.Kind != w.Kind || g.ID != w.ID {
					t.Errorf("record %d = %+v, want %+v", i, g, w)
				}
			}
			// The offset written is kept.
			if _, off := got[1].Time.Zone(); off != 2*3600 {
				t.Errorf("record 1 offset %d, want +02:00", off)
			}
		})
	}
}

func TestParseRecordsEmpty(t *testing.T) {
	for _, in := range []string{"", "  \n\n", "[]", " [ ]\n", "\n\n{\"time\":\"2026-10-21T02:00:00Z\"}\n\n"} {
		got, err := ParseRecords(strings.NewReader(in), 0)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got == nil {
			t.Errorf("%q: nil records, want an empty or one-record slice", in)
		}
	}
}

func TestParseRecordsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"time": "yesterday"}`, `line 1: time: "yesterday" is not RFC 3339, like "2026-10-21T02:00:00Z"`},
		{"{\"time\": \"2026-10-21T02:00:00Z\"}\n{\"time\": \"2026-10-22T02:00:00Z\"}\n{\"time\": \"yesterday\"}\n",
			`line 3: time: "yesterday" is not RFC 3339`},
		{"[\n {\"time\": \"2026-10-21T02:00:00Z\"},\n\n {\"time\": \"2026-10-21\"}\n]", `element 2 (line 4): time: "2026-10-21" is not RFC 3339`},
		{`[{"status": "success"}]`, `element 1 (line 1): time: missing`},
		{`{"time": null}`, `line 1: time: missing`},
		{`{"time": 1761012000}`, `line 1: time: want a string, got number 1761012000`},
		{"{\"time\": \"2026-10-21T02:00:00Z\"}\n{\"time\": \"0001-01-01T00:00:00Z\"}", `line 2: time: "0001-01-01T00:00:00Z" is outside the years 1970 to 9998`},
		{`{"time": "1969-12-31T23:59:59Z"}`, `line 1: time: "1969-12-31T23:59:59Z" is outside the years 1970 to 9998`},
		{`{"time": "9999-06-01T00:00:00Z"}`, `line 1: time: "9999-06-01T00:00:00Z" is outside the years 1970 to 9998`},
		{`{"time": "2026-10-21T02:00:00Z", "status": "ok"}`, `line 1: status: "ok" is not success or failure`},
		{`{"time": "2026-10-21T02:00:00Z", "status": "Success"}`, `line 1: status: "Success" is not success or failure`},
		{`{"time": "2026-10-21T02:00:00Z", "status": true}`, `line 1: status: want a string, got boolean true`},
		{`{"time": "2026-10-21T02:00:00Z", "size_bytes": -1}`, `line 1: size_bytes: -1 is negative`},
		{`{"time": "2026-10-21T02:00:00Z", "size_bytes": -1e3}`, `line 1: size_bytes: -1e3 is negative`},
		{`{"time": "2026-10-21T02:00:00Z", "size_bytes": 1.5}`, `line 1: size_bytes: 1.5 is not a whole number of bytes`},
		{`{"time": "2026-10-21T02:00:00Z", "size_bytes": 1e30}`, `line 1: size_bytes: 1e30 is not a whole number of bytes up to 9223372036854775807`},
		{`{"time": "2026-10-21T02:00:00Z", "size_bytes": "12"}`, `line 1: size_bytes: want a whole number of bytes, got string "12"`},
		{`{"time": "2026-10-21T02:00:00Z", "kind": "differential"}`, `line 1: kind: "differential" is not full, incremental or log`},
		{`{"time": "2026-10-21T02:00:00Z", "id": 42}`, `line 1: id: want a string, got number 42`},
		{`{"time": "2026-10-21T02:00:00Z", "id": ["a"]}`, `line 1: id: want a string, got an array`},
		{"{\"time\": \"2026-10-21T02:00:00Z\"}\n[1]", `line 2: want a JSON object, got "[1]"`},
		{`{"time": "2026-10-21T02:00:00Z"} {"time": "2026-10-21T03:00:00Z"}`, `line 1: want one JSON object, got more after it`},
		{"{\"time\": \"2026-10-21T02:00:00Z\",\n \"id\": \"x\"}", `line 1: unexpected EOF`},
		{`{"time": "2026-10-21T02:00:00Z" "id": "x"}`, `line 1: invalid character '"' after object key:value pair`},
		{"[{\"time\": \"2026-10-21T02:00:00Z\"}", `line 1: unexpected end of input: the JSON array is not closed`},
		{"[\n{\"time\": \"2026-10-21T02:00:00Z\"}\n{\"time\": \"2026-10-21T03:00:00Z\"}]", `line 3: invalid character '{' after array element`},
		{"[\n{\"time\": \"2026-10-21T02:00:00Z\"},\n x]", `line 3: invalid character 'x' looking for beginning of value`},
		{"[]\n[]", `line 2: unexpected "[]" after the JSON array`},
		{`[1]`, `element 1 (line 1): want a JSON object, got number`},
		{`[null]`, `element 1 (line 1): want a JSON object, got null`},
		{"2026-10-21T02:00:00Z success", `line 1: want a JSON array or one JSON object a line, got "2026-10-21T02:00:00Z success"`},
		{"\n\n  Error: cannot connect to the backup server", `line 3: want a JSON array or one JSON object a line, got "Error: cannot connect to the backup serv"…`},
		{"null", `line 1: want a JSON array or one JSON object a line, got "null"`},
	} {
		_, err := ParseRecords(strings.NewReader(tc.in), 0)
		if err == nil {
			t.Errorf("%q: no error, want %q", tc.in, tc.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q:\n got  %q\n want %q", tc.in, err, tc.want)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %q spans lines", tc.in, err)
		}
	}
}

func TestParseRecordsLimit(t *testing.T) {
	line := `{"time": "2026-10-21T02:00:00Z"}` + "\n"
	in := strings.Repeat(line, 100)
	if _, err := ParseRecords(strings.NewReader(in), int64(len(in))); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	_, err := ParseRecords(strings.NewReader(in), int64(len(in)-1))
	if !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("past the limit: %v, want ErrOutputTooLarge", err)
	}
	_, err = ParseRecords(strings.NewReader(in+strings.Repeat(" ", 2<<20)), 2<<20)
	if err == nil || err.Error() != "output too large: more than 2 MiB" {
		t.Fatalf("past 2 MiB: %v", err)
	}
}

func TestDecodeRecord(t *testing.T) {
	r, err := DecodeRecord([]byte(`{"time": "2026-10-21T02:00:00+02:00", "status": "failure", "size_bytes": 12, "kind": "incremental", "id": "a1"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Time: time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC), SizeBytes: 12, Kind: "incremental", ID: "a1"}
	if !r.Time.Equal(want.Time) || r.Success || r.SizeBytes != 12 || r.Kind != want.Kind || r.ID != want.ID {
		t.Errorf("got %+v, want %+v", r, want)
	}
	for in, msg := range map[string]string{
		`{"status": "success"}`:      "time: missing",
		"{\"time\":\n\"x\" x}":       "line 2: invalid character 'x' after object key:value pair",
		`[]`:                         "want a JSON object, got array",
		`{"time": "2026-10-21"} ": `: "want one JSON object, got more after it",
	} {
		if _, err := DecodeRecord([]byte(in)); err == nil || err.Error() != msg {
			t.Errorf("%q: got %v, want %q", in, err, msg)
		}
	}
}

// restic014 is `restic snapshots --json` of restic 0.14 (no summary).
const restic014 = `[{"time":"2026-10-01T02:00:00Z","tree":"2a09314cb9031fdba3864edd0ab8aa5ed25c6af70b92f041484227e0e3b12272","paths":["/srv/db"],"hostname":"web1","username":"root","tags":["db","prod"],"id":"dd145ad85b53f4a9beca7930e15637635a4fbfeddbef29f919b8033024d9aa47","short_id":"dd145ad8"},` +
	`{"time":"2026-10-02T04:00:00.123456789+02:00","parent":"dd145ad85b53f4a9beca7930e15637635a4fbfeddbef29f919b8033024d9aa47","tree":"2a09314cb9031fdba3864edd0ab8aa5ed25c6af70b92f041484227e0e3b12272","paths":["/srv/db"],"hostname":"web1","username":"root","uid":0,"gid":0,"id":"600e6b42a94ba4e34e0ae70f9b5e1d36b4a86a4f0e07b78b6dcc5a9c25e0bd91","short_id":"600e6b42"}]
`

// restic017 is one snapshot of restic 0.17, which added summary.
const restic017 = `[
  {
    "time": "2026-10-03T02:00:00.5+00:00",
    "tree": "b0b1a2d0e0f7d6b9b1d7f8e1c1c4b1a0e0e2c1a1b9f0d5c3a2b1c0d9e8f7a6b5",
    "paths": ["/srv/db"],
    "hostname": "web2",
    "username": "backup",
    "program_version": "restic 0.17.1",
    "summary": {
      "backup_start": "2026-10-03T02:00:00.5+00:00",
      "backup_end": "2026-10-03T02:03:10+00:00",
      "files_new": 10, "files_changed": 0, "files_unmodified": 0,
      "dirs_new": 2, "dirs_changed": 0, "dirs_unmodified": 0,
      "data_blobs": 10, "tree_blobs": 3,
      "data_added": 5120, "data_added_packed": 2048,
      "total_files_processed": 10, "total_bytes_processed": 7340032
    },
    "id": "8f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
    "short_id": "8f3c2b1a"
  }
]`

func TestParseResticSnapshots(t *testing.T) {
	got, err := ParseResticSnapshots(strings.NewReader(restic014))
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{
		{Time: time.Date(2026, 10, 1, 2, 0, 0, 0, time.UTC), Success: true, Kind: "full", ID: "dd145ad85b53f4a9beca7930e15637635a4fbfeddbef29f919b8033024d9aa47"},
		{Time: time.Date(2026, 10, 2, 2, 0, 0, 123456789, time.UTC), Success: true, Kind: "full", ID: "600e6b42a94ba4e34e0ae70f9b5e1d36b4a86a4f0e07b78b6dcc5a9c25e0bd91"},
	}
	assertRecords(t, got, want)

	got, err = ParseResticSnapshots(strings.NewReader(restic017))
	if err != nil {
		t.Fatal(err)
	}
	assertRecords(t, got, []Record{{Time: time.Date(2026, 10, 3, 2, 0, 0, 500_000_000, time.UTC), Success: true, Kind: "full",
		SizeBytes: 7340032, ID: "8f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"}})

	for _, in := range []string{"[]", "[]\n", " null ", `[{"time":"2026-10-01T02:00:00Z","id":"a","summary":null}]`} {
		if _, err := ParseResticSnapshots(strings.NewReader(in)); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestParseResticSnapshotsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "no output; want a JSON array"},
		{`{"time":"2026-10-01T02:00:00Z"}`, "want a JSON array, got {"},
		{`"snapshots"`, `want a JSON array, got string "snapshots"`},
		{`[{"id":"a"}]`, "snapshot 1: time: missing"},
		{`[{"time":"2026-10-01T02:00:00Z","id":"a"},{"time":"2026-10-01T02:00:00Z"}]`, "snapshot 2: id: missing"},
		{`[{"time":"yesterday","id":"a"}]`, `snapshot 1: time: "yesterday" is not RFC 3339`},
		{`[{"time":"2026-10-01T02:00:00Z","id":7}]`, "snapshot 1: id: want string, got number"},
		{`[{"time":"2026-10-01T02:00:00Z","id":"a","summary":{"total_bytes_processed":-1}}]`, "snapshot 1: summary.total_bytes_processed: want uint64, got number -1"},
		{`[3]`, "snapshot 1: want a JSON object, got number"},
		{`[{"time":"2026-10-01T02:00:00Z","id":"a"}`, "unexpected end of JSON"},
		{`[{"time":"2026-10-01T02:00:00Z","id":"a"}] x`, "JSON: invalid character 'x' looking for beginning of value"},
		{`[] []`, "unexpected data after the JSON array"},
		{`Fatal: wrong password`, "JSON: invalid character 'F' looking for beginning of value"},
	} {
		_, err := ParseResticSnapshots(strings.NewReader(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got  %v\n want %s", tc.in, err, tc.want)
		}
	}

	big := "[" + strings.Repeat(`{"time":"2026-10-01T02:00:00Z","id":"a"},`, 1000) + `{"time":"2026-10-01T02:00:00Z","id":"a"}]`
	if recs, err := parseResticSnapshots(strings.NewReader(big), int64(len(big))); err != nil || len(recs) != 1001 {
		t.Fatalf("at the limit: %d records, %v", len(recs), err)
	}
	if _, err := parseResticSnapshots(strings.NewReader(big), int64(len(big)-10)); !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("past the limit: %v, want ErrOutputTooLarge", err)
	}
}

func assertRecords(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) {
			t.Errorf("record %d: time %v, want %v", i, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("record %d = %+v, want %+v", i, g, w)
		}
	}
}
