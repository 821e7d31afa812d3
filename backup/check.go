package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// Store is what checking and evaluating a set needs from the store.
type Store interface {
	UpsertBackups(ctx context.Context, set string, recs []Record, at time.Time) (int, error)
	RecordBackupCheck(ctx context.Context, set string, at time.Time, checkErr error) error
	Backups(ctx context.Context, set string, until time.Time) ([]Record, error)
	RestoreTests(ctx context.Context, set string, until time.Time) ([]RestoreTest, error)
	// BackupCheckError is the error of the set's last source read; "" when
	// it succeeded or the set was never read.
	BackupCheckError(ctx context.Context, set string) (string, error)
	OutagesBetween(ctx context.Context, service string, from, to time.Time) ([]uptime.Outage, error)
}

// RTOLookback is how far back outages are measured against the RTO.
const RTOLookback = 365 * 24 * time.Hour

// Set is one configured backup set, as evaluation needs it.
type Set struct {
	Name, Service string
	Policy        Policy
	RTO           RTO
	Source        Source // nil for push sets
}

// Refresh reads a pull source and stores what it lists; the outcome of the
// read (its error, or none) is recorded as the set's last check. Records the
// source no longer lists are kept, so history survives pruning at the source.
func Refresh(ctx context.Context, st Store, set Set, now time.Time) (added int, err error) {
	if set.Source == nil {
		return 0, nil
	}
	recs, ferr := set.Source.Fetch(ctx)
	if ferr != nil {
		ferr = fmt.Errorf("read source: %w", ferr)
	}
	if err := st.RecordBackupCheck(ctx, set.Name, now, ferr); err != nil {
		return 0, errors.Join(ferr, fmt.Errorf("record check of %s: %w", set.Name, err))
	}
	if ferr != nil {
		return 0, ferr
	}
	added, err = st.UpsertBackups(ctx, set.Name, recs, now)
	if err != nil {
		return 0, fmt.Errorf("store records of %s: %w", set.Name, err)
	}
	return added, nil
}

// StatusAt evaluates the set at `at` from its stored records and restore
// tests, and its service's outages of the year before `at` against the RTO
// (force-majeure outages left out, as they are from every other figure). When
// the last read of the set's source failed, the set is "unknown" with that
// error, never silently fine.
func StatusAt(ctx context.Context, st Store, set Set, at time.Time) (Status, error) {
	checkErr, err := st.BackupCheckError(ctx, set.Name)
	if err != nil {
		return Status{}, fmt.Errorf("read last check of %s: %w", set.Name, err)
	}
	os, err := st.OutagesBetween(ctx, set.Service, at.Add(-RTOLookback), at)
	if err != nil {
		return Status{}, fmt.Errorf("read outages of %s: %w", set.Service, err)
	}
	var outages []Outage
	for _, o := range os {
		if !o.Excluded && !o.Start.After(at) {
			outages = append(outages, Outage{Start: o.Start, End: o.End})
		}
	}
	recs, err := st.Backups(ctx, set.Name, at)
	if err != nil {
		return Status{}, fmt.Errorf("read backups of %s: %w", set.Name, err)
	}
	tests, err := st.RestoreTests(ctx, set.Name, at)
	if err != nil {
		return Status{}, fmt.Errorf("read restore tests of %s: %w", set.Name, err)
	}
	s := Evaluate(set.Name, set.Service, recs, set.Policy, at)
	rto := EvaluateRTO(tests, outages, set.RTO, at)
	s.RTO = &rto
	if checkErr != "" {
		s = s.WithError(errors.New(checkErr))
	}
	return s, nil
}

// Check validates a record given on the command line, with the rules the
// record parsers apply.
func (r Record) Check() error {
	switch {
	case r.Time.IsZero():
		return errors.New("time: missing")
	case r.SizeBytes < 0:
		return fmt.Errorf("size_bytes: %d is negative", r.SizeBytes)
	}
	switch r.Kind {
	case "", KindFull, KindIncremental, KindLog:
	default:
		return fmt.Errorf("kind: %q is not full, incremental or log", r.Kind)
	}
	return nil
}

// AddToReports appends to each report (and each month of a year report) a
// line per backup set of its service: RPO compliance over the counted
// period and the set's status at its end.
func AddToReports(ctx context.Context, st Store, sets []Set, reports []uptime.Report, now time.Time) error {
	for i := range reports {
		if err := addToReport(ctx, st, sets, &reports[i], now); err != nil {
			return err
		}
		for j := range reports[i].Months {
			if err := addToReport(ctx, st, sets, &reports[i].Months[j], now); err != nil {
				return err
			}
		}
	}
	return nil
}

func addToReport(ctx context.Context, st Store, sets []Set, r *uptime.Report, now time.Time) error {
	c := r.Period.Counted(now)
	for _, set := range sets {
		if set.Service != r.Service {
			continue
		}
		recs, err := st.Backups(ctx, set.Name, c.End)
		if err != nil {
			return fmt.Errorf("read backups of %s: %w", set.Name, err)
		}
		comp := RPOCompliance(recs, set.Policy.RPO, c.Start, c.End)
		var status *Status
		if c.End.After(c.Start) {
			s, err := StatusAt(ctx, st, set, c.End)
			if err != nil {
				return err
			}
			status = &s
		}
		r.Backups = append(r.Backups, comp.Line(set.Name, set.Policy.RPO, status))
	}
	return nil
}
