// Package calendar holds business calendars (working days, working hours,
// holidays, a time zone) and the durations that are measured on them.
package calendar

import (
	"fmt"
	"math"
	"math/big"
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

// String returns the unit's suffix: "bh", "bd", or "wall".
func (u Unit) String() string {
	switch u {
	case BusinessHours:
		return "bh"
	case BusinessDays:
		return "bd"
	case Wall:
		return "wall"
	default:
		return "Unit(" + strconv.Itoa(int(u)) + ")"
	}
}

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
		return formatDecimalHours(d.D) + "bh"
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
// errors: nothing in an SLA is measured backwards. The number before "bh"
// or "bd" is a plain decimal (no sign, exponent, Inf or NaN); business hours
// are converted exactly, rounded to the nanosecond, and at most
// MaxBusinessHours; business days are at most MaxBusinessDays.
// For every d it returns, ParseDuration(d.String()) returns d again.
func ParseDuration(s string) (Duration, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return Duration{}, fmt.Errorf("empty duration")
	}
	if strings.HasPrefix(s, "-") {
		return Duration{}, fmt.Errorf("duration %q is negative", orig)
	}
	if num, ok := strings.CutSuffix(s, "bh"); ok {
		d, err := parseDecimalHours(num)
		if err != nil {
			return Duration{}, fmt.Errorf("invalid duration %q: %w", orig, err)
		}
		return Duration{Unit: BusinessHours, D: d}, nil
	}
	if num, ok := strings.CutSuffix(s, "bd"); ok {
		if !isDecimal(num) {
			return Duration{}, fmt.Errorf("invalid duration %q: want a number before \"bd\", like 5bd", orig)
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f > MaxBusinessDays {
			return Duration{}, fmt.Errorf("invalid duration %q: more than %d business days", orig, MaxBusinessDays)
		}
		return Duration{Unit: BusinessDays, Days: f}, nil
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
		n, err := strconv.ParseUint(s[:i], 10, 64)
		if err != nil && !isDigits(s[:i]) || i == 0 {
			return 0, fmt.Errorf("invalid duration %q: want a whole number of days before \"d\", like 7d", orig)
		}
		if err != nil || n > uint64(math.MaxInt64/int64(day)) {
			return 0, fmt.Errorf("invalid duration %q: too large", orig)
		}
		days = time.Duration(n) * day
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
	if d > math.MaxInt64-days {
		return 0, fmt.Errorf("invalid duration %q: too large", orig)
	}
	return days + d, nil
}

// FormatWall writes d with a day count where it has whole days: 7d, 1d12h0m0s.
func FormatWall(d time.Duration) string {
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

const day = 24 * time.Hour

// MaxBusinessHours and MaxBusinessDays bound what ParseDuration accepts, so
// that every business duration fits a time.Duration on any calendar (a
// 24-hour working day included).
const (
	MaxBusinessHours = time.Duration(1 << 62)
	MaxBusinessDays  = 100000
)

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isDecimal reports whether s is a plain decimal number: digits with at most
// one decimal point and at least one digit ("2", "1.5", ".5", "2."). Signs,
// exponents, hex, underscores, Inf and NaN are not decimals.
func isDecimal(s string) bool {
	whole, frac, _ := strings.Cut(s, ".")
	return (whole == "" || isDigits(whole)) && (frac == "" || isDigits(frac)) && whole+frac != ""
}

// maxDecimalLen bounds the length of a decimal number of hours; more digits
// than this say nothing a nanosecond can hold.
const maxDecimalLen = 64

// hourNanos is one hour in nanoseconds, as a big.Int.
var hourNanos = big.NewInt(int64(time.Hour))

// parseDecimalHours converts a decimal number of hours to a duration exactly,
// rounding to the nearest nanosecond (half up). Floating point would lose
// nanoseconds and break the String round trip.
func parseDecimalHours(num string) (time.Duration, error) {
	if !isDecimal(num) {
		return 0, fmt.Errorf("want a number before \"bh\", like 2bh or 1.5bh")
	}
	if len(num) > maxDecimalLen {
		return 0, fmt.Errorf("too many digits")
	}
	whole, frac, _ := strings.Cut(num, ".")
	n := new(big.Int)
	n.SetString(whole+frac, 10) // isDecimal guarantees digits only
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	// round(n × hour / den) = (2 × n × hour + den) / (2 × den)
	n.Mul(n, hourNanos)
	n.Lsh(n, 1)
	n.Add(n, den)
	n.Quo(n, den.Lsh(den, 1))
	if !n.IsInt64() || n.Int64() > int64(MaxBusinessHours) {
		return 0, fmt.Errorf("more than %d business hours", MaxBusinessHours/time.Hour)
	}
	return time.Duration(n.Int64()), nil
}

// formatDecimalHours writes d as a number of hours with the fewest decimals
// that parseDecimalHours reads back as exactly d: 1.5 for 90m, 0.25 for 15m.
// Thirteen decimals always suffice (1e-13 h is 0.36 ns).
func formatDecimalHours(d time.Duration) string {
	sign, abs, want := "", new(big.Int).SetInt64(int64(d)), d
	if d < 0 { // not produced by ParseDuration, but printable
		sign, want = "-", -d
		abs.Neg(abs)
	}
	whole, rest := new(big.Int).QuoRem(abs, hourNanos, new(big.Int))
	for k := 0; ; k++ {
		// frac = round(rest × 10^k / hour), carrying into whole when it
		// rounds up to a full hour.
		scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
		frac := new(big.Int).Mul(rest, scale)
		frac.Lsh(frac, 1)
		frac.Add(frac, hourNanos)
		frac.Quo(frac, new(big.Int).Lsh(hourNanos, 1))
		w := new(big.Int).Set(whole)
		if frac.Cmp(scale) == 0 {
			w.Add(w, big.NewInt(1))
			frac.SetInt64(0)
		}
		s := w.String()
		if k > 0 {
			digits := frac.String()
			s += "." + strings.Repeat("0", k-len(digits)) + digits
		}
		if got, err := parseDecimalHours(s); k >= 13 || err == nil && got == want {
			return sign + s
		}
	}
}
