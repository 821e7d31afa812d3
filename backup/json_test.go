package backup

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

// goldenStatus is the Ultimo set at Wednesday 2026-11-04 13:00 in
// Amsterdam: hourly backups for the last eight days except Sunday
// 2026-11-01, daily ones before that back to July except in ISO week
// 2026-W41, a failed backup, one restore test and one outage past its RTO.
func goldenStatus(t testing.TB) Status {
	at := local(ams, 2026, 11, 4, 13, 0)
	sunday := local(ams, 2026, 11, 1, 0, 0)
	rs := join(
		every(local(ams, 2026, 7, 1, 2, 0), at.Add(-8*24*time.Hour), 24*time.Hour),
		without(every(at.Add(-8*24*time.Hour), at.Add(-20*time.Minute), time.Hour), sunday, sunday.Add(24*time.Hour)),
	)
	rs = without(rs, local(ams, 2026, 10, 5, 0, 0), local(ams, 2026, 10, 12, 0, 0))
	for i := range rs {
		rs[i].ID = rs[i].Time.UTC().Format("20060102T1504")
		rs[i].SizeBytes = 1 << 30
	}
	rs = append(rs, Record{Time: at.Add(-10 * time.Minute), ID: "failed-run"})
	s := Evaluate("portal-db", "customer-portal", rs, ultimo, at)
	rto := EvaluateRTO(
		[]RestoreTest{{Start: ts(t, "2026-10-14T08:00:00Z"), End: ts(t, "2026-10-14T10:30:00Z"), Success: true}},
		[]Outage{
			{Start: ts(t, "2026-10-20T09:00:00Z"), End: ts(t, "2026-10-20T14:15:00Z")},
			{Start: ts(t, "2026-10-27T09:00:00Z"), End: ts(t, "2026-10-27T09:20:00Z")},
		},
		rto4h, at)
	s.RTO = &rto
	return s
}

func TestStatusJSONGolden(t *testing.T) {
	got, err := json.MarshalIndent(goldenStatus(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "status.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./backup/ -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("status JSON differs from %s (run with -update if the change is intended):\n%s", path, got)
	}
}

// TestStatusJSONFields checks the field names SPEC §7 fixes for the backup
// status JSON, and which may be null.
func TestStatusJSONFields(t *testing.T) {
	decode := func(s Status) map[string]any {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	has := func(where string, m map[string]any, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s: no %q in %v", where, k, m)
			}
		}
	}
	m := decode(goldenStatus(t))
	has("set", m, "set", "service", "at", "newest", "age_seconds", "rpo_seconds", "rpo_met", "retention", "rto", "met", "state")
	ret := m["retention"].(map[string]any)
	has("retention", ret, "point_in_time", "weekly", "monthly")
	pit := ret["point_in_time"].(map[string]any)
	has("point_in_time", pit, "days", "met", "max_gap_seconds", "gaps")
	for _, g := range pit["gaps"].([]any) {
		has("gap", g.(map[string]any), "start", "end", "seconds")
	}
	for _, tier := range []string{"weekly", "monthly"} {
		tm := ret[tier].(map[string]any)
		has(tier, tm, "required", "met", "buckets")
		for _, b := range tm["buckets"].([]any) {
			has(tier+" bucket", b.(map[string]any), "start", "end", "backup")
		}
	}
	rto := m["rto"].(map[string]any)
	has("rto", rto, "rto", "restore_tests", "outages")
	has("restore_tests", rto["restore_tests"].(map[string]any), "newest_success", "age_seconds", "last_duration_seconds", "within_rto")
	outages := rto["outages"].(map[string]any)
	has("outages", outages, "count", "breaches")
	for _, b := range outages["breaches"].([]any) {
		has("breach", b.(map[string]any), "start", "end", "seconds", "deadline")
	}
	if at, _ := m["at"].(string); at != "2026-11-04T13:00:00+01:00" {
		t.Errorf("at = %q, want RFC 3339 in the policy's zone", at)
	}

	// A set with no backups: null newest and age, empty lists rather than null.
	empty := decode(Evaluate("x", "y", nil, ultimo, local(ams, 2026, 11, 4, 13, 0)))
	for _, k := range []string{"newest", "age_seconds", "rto"} {
		if empty[k] != nil {
			t.Errorf("empty set: %s = %v, want null", k, empty[k])
		}
	}
	if empty["rpo_met"] != false || empty["met"] != false || empty["state"] != "failing" {
		t.Errorf("empty set: rpo_met %v met %v state %v, want false false failing", empty["rpo_met"], empty["met"], empty["state"])
	}
	er := empty["retention"].(map[string]any)
	if gaps, ok := er["point_in_time"].(map[string]any)["gaps"].([]any); !ok || len(gaps) != 0 {
		t.Errorf("empty set: gaps = %v, want []", er["point_in_time"].(map[string]any)["gaps"])
	}
	for _, b := range er["weekly"].(map[string]any)["buckets"].([]any) {
		if v, ok := b.(map[string]any)["backup"]; !ok || v != nil {
			t.Errorf("empty set: weekly bucket backup = %v, want null", v)
		}
	}
	nr := decode(Evaluate("x", "y", nil, Policy{}, time.Unix(0, 0)))
	if b, ok := nr["retention"].(map[string]any)["monthly"].(map[string]any)["buckets"].([]any); !ok || len(b) != 0 {
		t.Errorf("tier not configured: buckets = %v, want []", b)
	}
	ro := EvaluateRTO(nil, nil, RTO{}, time.Unix(0, 0))
	rb, _ := json.Marshal(ro)
	if want := `{"rto":null,"restore_tests":{"count":0,"newest_success":null,"age_seconds":null,"last_duration_seconds":null,"within_rto":null,"last":null},"outages":{"count":0,"longest_seconds":null,"breaches":[]}}`; string(rb) != want {
		t.Errorf("empty RTO status:\n got %s\nwant %s", rb, want)
	}
}
