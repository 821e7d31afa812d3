// Package calendar holds business calendars (working days, working hours,
// holidays, a time zone) and the durations that are measured on them.
package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit says how a Duration is measured.
type Unit int

const (
	// Wall is plain elapsed time.
	Wall Unit = iota
	// BusinessHours is time counted only inside a calendar's working hours.
	BusinessHours
	// BusinessDays is a count of a calendar's working-day lengths, counted
	// the same way as business hours.
	BusinessDays
)

// Duration is a span of time that is either wall-clock time or business time
// on some calendar: "90m", "7d", "2bh", "5bd".
type Duration struct {
	Unit Unit
	// D is the wall-clock duration for Wall, and the amount of business time
	// for BusinessHours (2bh is 2h).
	D time.Duration
	// Days is the number of business days for BusinessDays (may be fractional).
	Days float64
}

// IsZero reports whether d is the zero duration.
func (d Duration) IsZero() bool { return d.D == 0 && d.Days == 0 }

// String formats d the way ParseDuration reads it.
func (d Duration) String() string {
	switch d.Unit {
	case BusinessHours:
		return strconv.FormatFloat(d.D.Hours(), 'f', -1, 64) + "bh"
	case BusinessDays:
		return strconv.FormatFloat(d.Days, 'f', -1, 64) + "bd"
	default:
		return FormatWall(d.D)
	}
}

// UnmarshalText lets configuration decoders read a Duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText writes d the way ParseDuration reads it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// ParseDuration reads a Go duration ("90m", "1h30m") extended with days
// ("7d", "1d12h"), business hours ("2bh", "1.5bh") and business days ("5bd").
// Business units stand alone: "1bd2h" is an error. Negative durations are
// errors: nothing in an SLA is measured backwards.
func ParseDuration(s string) (Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Duration{}, fmt.Errorf("empty duration")
	}
	if strings.HasPrefix(s, "-") {
		return Duration{}, fmt.Errorf("duration %q is negative", orig)
	}
	for _, u := range []struct {
		suffix string
		unit   Unit
	}{{"bh", BusinessHours}, {"bd", BusinessDays}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f < 0 || num == "" || strings.ContainsAny(num, "eEInfinfxX+") {
				return Duration{}, fmt.Errorf("invalid duration %q: want a number before %q, like 2%s", orig, u.suffix, u.suffix)
			}
			if u.unit == BusinessHours {
				if f > float64(1<<62)/float64(time.Hour) {
					return Duration{}, fmt.Errorf("invalid duration %q: too large", orig)
				}
				return Duration{Unit: BusinessHours, D: time.Duration(f * float64(time.Hour))}, nil
			}
			if f > 1e6 {
				return Duration{}, fmt.Errorf("invalid duration %q: too large", orig)
			}
			return Duration{Unit: BusinessDays, Days: f}, nil
		}
	}
	d, err := ParseWall(s)
	if err != nil {
		return Duration{}, err
	}
	return Duration{Unit: Wall, D: d}, nil
}

// ParseWall reads a Go duration extended with a leading day count: "7d",
// "1d12h", "30s". Business units are not accepted.
func ParseWall(s string) (time.Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("duration %q is negative", orig)
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil || i == 0 {
			return 0, fmt.Errorf("invalid duration %q: want a whole number of days before \"d\", like 7d", orig)
		}
		if n > 100000 {
			return 0, fmt.Errorf("invalid duration %q: too large", orig)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a number and a unit (ms, s, m, h, d), like 30s", orig)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", orig)
	}
	return days + d, nil
}

// FormatWall writes d with a day count where it has whole days: 7d, 1d12h0m0s.
func FormatWall(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day {
		days := d / day
		rest := d % day
		if rest == 0 {
			return strconv.FormatInt(int64(days), 10) + "d"
		}
		return strconv.FormatInt(int64(days), 10) + "d" + rest.String()
	}
	return d.String()
}
