package calendar

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   Duration
		string string // what String gives back
	}{
		{"30s", Duration{Unit: Wall, D: 30 * time.Second}, "30s"},
		{"90m", Duration{Unit: Wall, D: 90 * time.Minute}, "1h30m0s"},
		{"1h30m", Duration{Unit: Wall, D: 90 * time.Minute}, "1h30m0s"},
		{"7d", Duration{Unit: Wall, D: 7 * 24 * time.Hour}, "7d"},
		{"1d12h", Duration{Unit: Wall, D: 36 * time.Hour}, "1d12h0m0s"},
		{"48h", Duration{Unit: Wall, D: 48 * time.Hour}, "2d"},
		{"0s", Duration{Unit: Wall}, "0s"},
		{"0d", Duration{Unit: Wall}, "0s"},
		{" 4h ", Duration{Unit: Wall, D: 4 * time.Hour}, "4h0m0s"},
		{"2bh", Duration{Unit: BusinessHours, D: 2 * time.Hour}, "2bh"},
		{"1.5bh", Duration{Unit: BusinessHours, D: 90 * time.Minute}, "1.5bh"},
		{"0.25bh", Duration{Unit: BusinessHours, D: 15 * time.Minute}, "0.25bh"},
		{".5bh", Duration{Unit: BusinessHours, D: 30 * time.Minute}, "0.5bh"},
		{"2.bh", Duration{Unit: BusinessHours, D: 2 * time.Hour}, "2bh"},
		{"008bh", Duration{Unit: BusinessHours, D: 8 * time.Hour}, "8bh"},
		{"0bh", Duration{Unit: BusinessHours}, "0bh"},
		// A minute is not a terminating decimal of hours: the shortest
		// decimal that reads back exactly is printed.
		{"0.0166666666667bh", Duration{Unit: BusinessHours, D: time.Minute}, "0.0166666666667bh"},
		{"0.0000000000002777bh", Duration{Unit: BusinessHours, D: time.Nanosecond}, "0.0000000000003bh"},
		{"5bd", Duration{Unit: BusinessDays, Days: 5}, "5bd"},
		{"0.5bd", Duration{Unit: BusinessDays, Days: 0.5}, "0.5bd"},
		{"2.25bd", Duration{Unit: BusinessDays, Days: 2.25}, "2.25bd"},
		{"100000bd", Duration{Unit: BusinessDays, Days: 100000}, "100000bd"},
	} {
		got, err := ParseDuration(tc.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseDuration(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		if s := got.String(); s != tc.string {
			t.Errorf("ParseDuration(%q).String() = %q, want %q", tc.in, s, tc.string)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	for _, in := range []string{
		"", " ", "30x", "-1h", "-2bh", "-5bd", "bh", "bd", "1bd2h", "2h1bd", "d", "1.5d", "d12h",
		"1d-2h", "1e3bh", "1e3bd", "0x1p4bh", "Infbh", "NaNbh", "nanbd", "+2bh", "1_000bh",
		"1..5bh", ".bh", "2 bh", "1,5bh", "2bhbh", "5bd5bd", "1d1d", "h",
		"100001bd", "1281024bh", "106752d", "100000d2562047h", "99999999999999999999d",
		"0." + strings.Repeat("0", 70) + "1bh",
	} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %+v, want an error", in, d)
		}
	}
	// The largest accepted values still fit a time.Duration.
	if d, err := ParseDuration("2562047h47m16.854775807s"); err != nil || d.D != math.MaxInt64 {
		t.Errorf("max wall: %+v %v", d, err)
	}
	if d, err := ParseDuration("106751d23h47m16.854775807s"); err != nil || d.D != math.MaxInt64 {
		t.Errorf("max wall in days: %+v %v", d, err)
	}
}

func TestParseWall(t *testing.T) {
	if d, err := ParseWall("7d"); err != nil || d != 7*24*time.Hour {
		t.Errorf("ParseWall(7d) = %v, %v", d, err)
	}
	for _, in := range []string{"2bh", "5bd", "-1s", "1.5d"} {
		if _, err := ParseWall(in); err == nil {
			t.Errorf("ParseWall(%q) accepted", in)
		}
	}
	if got := FormatWall(36 * time.Hour); got != "1d12h0m0s" {
		t.Errorf("FormatWall = %q", got)
	}
}

func TestDurationText(t *testing.T) {
	var v struct {
		RTO      Duration            `json:"rto"`
		Response map[string]Duration `json:"response"`
	}
	if err := json.Unmarshal([]byte(`{"rto":"5bd","response":{"P1":"2bh","P2":"90m"}}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.RTO != (Duration{Unit: BusinessDays, Days: 5}) || v.Response["P1"].D != 2*time.Hour || v.Response["P2"].Unit != Wall {
		t.Errorf("decoded %+v", v)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) != `{"rto":"5bd","response":{"P1":"2bh","P2":"1h30m0s"}}` {
		t.Errorf("encoded %s %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"rto":"5 days"}`), &v); err == nil {
		t.Error("bad duration decoded")
	}
	if !(Duration{}).IsZero() || (Duration{Unit: BusinessDays, Days: 1}).IsZero() {
		t.Error("IsZero")
	}
	if Wall.String() != "wall" || BusinessHours.String() != "bh" || BusinessDays.String() != "bd" {
		t.Error("Unit.String")
	}
}

// FuzzParseDuration: no input panics, and whatever parses prints as a
// string that parses back to the same value.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "7d", "1d12h", "2bh", "1.5bh", "5bd", "0.5bd", "90m", "1bd2h", "-1h", "NaNbh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d.D < 0 || d.Days < 0 || math.IsNaN(d.Days) {
			t.Fatalf("ParseDuration(%q) = %+v: negative", s, d)
		}
		again, err := ParseDuration(d.String())
		if err != nil {
			t.Fatalf("ParseDuration(%q) = %+v, whose String %q does not parse: %v", s, d, d.String(), err)
		}
		if again != d {
			t.Fatalf("ParseDuration(%q) = %+v, String %q, parsed again %+v", s, d, d.String(), again)
		}
	})
}
