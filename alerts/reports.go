package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/slawatch/slawatch/uptime"
)

// FiredSource gives the alerts of a service that fired in [from, to).
type FiredSource interface {
	AlertsFiredBetween(ctx context.Context, service string, from, to time.Time) ([]Alert, error)
}

// AddToReports fills each report's (and each of its months') responsiveness
// section from the alerts that fired in its counted period.
func AddToReports(ctx context.Context, src FiredSource, reports []uptime.Report, dl Deadlines, now time.Time) error {
	fill := func(r *uptime.Report) error {
		c := r.Period.Counted(now)
		if !c.End.After(c.Start) {
			return nil
		}
		as, err := src.AlertsFiredBetween(ctx, r.Service, c.Start, c.End)
		if err != nil {
			return fmt.Errorf("alerts of %s: %w", r.Service, err)
		}
		r.Responsiveness = Responsiveness(as, dl, c.Start, c.End, now)
		return nil
	}
	for i := range reports {
		if err := fill(&reports[i]); err != nil {
			return err
		}
		for j := range reports[i].Months {
			if err := fill(&reports[i].Months[j]); err != nil {
				return err
			}
		}
	}
	return nil
}
