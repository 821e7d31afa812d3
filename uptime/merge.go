package uptime

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// MergeRule says when the observations of several regions make a moment
// down (Merge).
type MergeRule string

// Merge rules.
const (
	// MergeAll: down only when at least one region was watching and every
	// region watching saw the service down ("available from anywhere").
	MergeAll MergeRule = "all"
	// MergeAny: down when any region saw the service down.
	MergeAny MergeRule = "any"
)

// ParseMergeRule parses a --merge value; the empty string is MergeAll.
func ParseMergeRule(s string) (MergeRule, error) {
	switch r := MergeRule(s); r {
	case "":
		return MergeAll, nil
	case MergeAll, MergeAny:
		return r, nil
	}
	return "", fmt.Errorf("merge rule %q: want %s or %s", s, MergeAll, MergeAny)
}

// Merged names the regions a report was merged from and the rule that
// merged them. It marshals as {"rule": "all", "regions": ["eu", "us"]}.
type Merged struct {
	Rule    MergeRule `json:"rule"`
	Regions []string  `json:"regions"`
}

// RegionInput is one region's Input: what Gather read from that region's
// store for the service, period and now of the merged report.
type RegionInput struct {
	Region string
	Input  Input
}

// RegionHistory is one region's store, for BuildMerged.
type RegionHistory struct {
	Region  string
	History History
}

// Merge combines the inputs that several regions' stores give for one
// service, period and now into the Input of one report, so that
// Account(merged) gives figures consistent with each other.
//
// A region is watching at an instant that lies in its Monitored spans or in
// one of its outages (an outage that ran on while its daemon was stopped
// is still its observation). A region that is not watching neither vetoes
// nor causes downtime. Under MergeAll (the default) an instant is down when
// at least one region was watching it and every region watching saw the
// service down; under MergeAny, when any region saw it down.
//
// The merged input holds:
//
//   - Monitored: the union of the regions' watching time.
//   - Degraded: under MergeAll, when every watching region was degraded or
//     down and not all were down; under MergeAny, the union of the regions'
//     degraded time (while watching) minus merged downtime.
//   - Outages: one per maximal down interval, split where force majeure
//     changes. A piece is excluded when every region outage covering it is
//     excluded (its reason, and who excluded it, are the distinct ones
//     joined; its time the latest); otherwise it counts. Cause names each
//     contributing region in input order with its causes ("eu: status 503;
//     us: timeout"); Probe, Severity and Source are those of the first
//     contributing region's earliest outage. An outage is open (zero End)
//     when it reaches Now and a contributing outage is open. IDs are
//     1, 2, … in time order: they are not store IDs. Audit events are the
//     contributing outages', each reason prefixed with its region.
//   - Maintenance: the union of the regions' windows with duplicates (same
//     service, start, end, reason and source) counted once: the first copy
//     in region order, unless it is cancelled and a later one is not. IDs are
//     cleared, as they are not store IDs.
//   - Service, SLA, Period, Now and Policy: those of every region, which
//     must agree; Merge returns an error when they do not.
//
// Outages and windows of another service are ignored, as in Account.
func Merge(rule MergeRule, regions []RegionInput) (Input, error) {
	rule, err := ParseMergeRule(string(rule))
	if err != nil {
		return Input{}, err
	}
	if len(regions) == 0 {
		return Input{}, errors.New("merge: no regions")
	}
	names := make([]string, len(regions))
	seen := make(map[string]bool, len(regions))
	for i, r := range regions {
		switch {
		case r.Region == "":
			return Input{}, fmt.Errorf("merge: region %d has no name", i+1)
		case seen[r.Region]:
			return Input{}, fmt.Errorf("merge: region %q is given twice", r.Region)
		}
		seen[r.Region] = true
		names[i] = r.Region
	}
	base := regions[0]
	for _, r := range regions[1:] {
		if err := agree(base, r); err != nil {
			return Input{}, fmt.Errorf("merge: %w", err)
		}
	}

	now := base.Input.Now.Round(0) // as Account strips the monotonic reading
	views := make([]regionView, len(regions))
	for i, r := range regions {
		views[i] = viewOf(i, r, base.Input.Service, now)
	}

	var watching, down, degraded Set
	switch rule {
	case MergeAll:
		// Down: watched by someone, and no watching region saw it up (or
		// degraded). Degraded: no watching region saw it fine.
		var notDown, fine Set
		for _, v := range views {
			watching = watching.Or(v.watching)
			up := v.watching.Subtract(v.down)
			notDown = notDown.Or(up)
			fine = fine.Or(up.Subtract(v.degraded))
		}
		down = watching.Subtract(notDown)
		degraded = watching.Subtract(fine).Subtract(down)
	case MergeAny:
		for _, v := range views {
			watching = watching.Or(v.watching)
			down = down.Or(v.down)
			degraded = degraded.Or(v.degraded)
		}
		degraded = degraded.Subtract(down)
	}

	out := base.Input
	out.Outages = mergeOutages(views, down, out.Service, now)
	out.Maintenance = mergeWindows(regions)
	out.Monitored = []Interval(watching)
	out.Degraded = []Interval(degraded)
	out.Merged = &Merged{Rule: rule, Regions: names}
	return out, nil
}

// agree checks that r's input is for the same report as base's.
func agree(base, r RegionInput) error {
	a, b := base.Input, r.Input
	differ := func(what, x, y string) error {
		return fmt.Errorf("regions %s and %s disagree on the %s: %s has %s, %s has %s",
			base.Region, r.Region, what, base.Region, x, r.Region, y)
	}
	switch {
	case a.Service != b.Service:
		return differ("service", fmt.Sprintf("%q", a.Service), fmt.Sprintf("%q", b.Service))
	case a.SLA != b.SLA:
		return differ("SLA", fmt.Sprintf("%q", a.SLA), fmt.Sprintf("%q", b.SLA))
	case !samePeriod(a.Period, b.Period):
		return differ("period", describePeriod(a.Period), describePeriod(b.Period))
	case !a.Now.Equal(b.Now):
		return differ("report time", a.Now.Format(time.RFC3339Nano), b.Now.Format(time.RFC3339Nano))
	case a.Policy.normalized() != b.Policy.normalized():
		return differ("policy", describePolicy(a.Policy), describePolicy(b.Policy))
	}
	return nil
}

func samePeriod(p, q Period) bool {
	return p.Kind == q.Kind && p.Label == q.Label && p.Start.Equal(q.Start) && p.End.Equal(q.End) &&
		p.Start.Location().String() == q.Start.Location().String()
}

func describePeriod(p Period) string {
	return fmt.Sprintf("%s %s in %s", p.Kind, p.Label, p.Start.Location())
}

func describePolicy(p Policy) string {
	p = p.normalized()
	return fmt.Sprintf("target %s%%, unmonitored %s, degraded %s, maintenance notice %s, late maintenance %s",
		percent(p.TargetPercent), p.Unmonitored, p.Degraded, p.MaintenanceNotice, p.LateMaintenance)
}

// regionView is one region's input as sets.
type regionView struct {
	index    int
	name     string
	refs     []mergeRef // its outages of the service
	watching Set        // monitored ∪ outages
	down     Set        // outages, excluded ones too
	degraded Set        // degraded while monitored, outside its outages
}

// mergeRef is one region's outage with its interval (open ones run to now).
type mergeRef struct {
	region int
	name   string
	o      *Outage
	iv     Interval
}

func viewOf(index int, r RegionInput, service string, now time.Time) regionView {
	v := regionView{index: index, name: r.Region}
	var ivs []Interval
	for i := range r.Input.Outages {
		o := &r.Input.Outages[i]
		if o.Service != "" && service != "" && o.Service != service {
			continue
		}
		end := o.End
		if o.Open() {
			end = now
		}
		iv := Interval{Start: o.Start, End: end}
		if !iv.End.After(iv.Start) {
			continue
		}
		v.refs = append(v.refs, mergeRef{region: index, name: r.Region, o: o, iv: iv})
		ivs = append(ivs, iv)
	}
	monitored := Union(r.Input.Monitored)
	v.down = Union(ivs)
	v.watching = monitored.Or(v.down)
	v.degraded = Union(r.Input.Degraded).Intersect(monitored).Subtract(v.down)
	return v
}

// mergeOutages makes one outage per maximal interval of down, split where
// force majeure changes.
func mergeOutages(views []regionView, down Set, service string, now time.Time) []Outage {
	if len(down) == 0 {
		return nil
	}
	var refs []mergeRef
	for _, v := range views {
		refs = append(refs, v.refs...)
	}
	slices.SortStableFunc(refs, func(x, y mergeRef) int { return x.iv.Start.Compare(y.iv.Start) })
	maxEnd := make([]time.Time, len(refs)) // latest end of refs[0..k]
	var excludedIv, countedIv []Interval
	for k, r := range refs {
		maxEnd[k] = r.iv.End
		if k > 0 && maxEnd[k-1].After(maxEnd[k]) {
			maxEnd[k] = maxEnd[k-1]
		}
		if r.o.Excluded {
			excludedIv = append(excludedIv, r.iv)
		} else {
			countedIv = append(countedIv, r.iv)
		}
	}
	// Force majeure where every outage covering the instant is excluded.
	fm := Union(excludedIv).Subtract(Union(countedIv))
	overlapping := func(p Interval) []mergeRef {
		var out []mergeRef
		first := sort.Search(len(maxEnd), func(k int) bool { return maxEnd[k].After(p.Start) })
		for k := first; k < len(refs) && refs[k].iv.Start.Before(p.End); k++ {
			if refs[k].iv.overlaps(p) {
				out = append(out, refs[k])
			}
		}
		// By region in input order, then start.
		slices.SortStableFunc(out, func(x, y mergeRef) int { return cmp.Compare(x.region, y.region) })
		return out
	}

	var out []Outage
	for _, d := range down {
		whole := Set{d}
		pieces := append(whole.Subtract(fm), whole.Intersect(fm)...)
		slices.SortFunc(pieces, func(x, y Interval) int { return x.Start.Compare(y.Start) })
		for _, p := range pieces {
			excluded := fm.Contains(p.Start)
			out = append(out, mergedOutage(p, overlapping(p), excluded, service, now))
		}
	}
	for i := range out {
		out[i].ID = int64(i + 1)
	}
	return out
}

// mergedOutage is the outage of piece p, to which refs contribute (sorted
// by region, then start).
func mergedOutage(p Interval, refs []mergeRef, excluded bool, service string, now time.Time) Outage {
	o := Outage{Service: service, Start: p.Start, End: p.End}
	if len(refs) > 0 {
		first := refs[0].o
		o.Probe, o.Severity, o.Source = first.Probe, first.Severity, first.Source
	}
	var causes []string
	var reasons, bys distinct
	for i := 0; i < len(refs); {
		j := i
		var rc distinct
		for ; j < len(refs) && refs[j].region == refs[i].region; j++ {
			rc.add(refs[j].o.Cause)
		}
		if len(rc) == 0 {
			causes = append(causes, refs[i].name)
		} else {
			causes = append(causes, refs[i].name+": "+strings.Join(rc, ", "))
		}
		i = j
	}
	o.Cause = strings.Join(causes, "; ")
	for _, r := range refs {
		if r.o.Open() && p.End.Equal(now) {
			o.End = time.Time{}
		}
		if excluded {
			reasons.add(r.o.ExcludeReason)
			bys.add(r.o.ExcludedBy)
			if r.o.ExcludedAt.After(o.ExcludedAt) {
				o.ExcludedAt = r.o.ExcludedAt
			}
		}
		for _, e := range r.o.Events {
			e.Reason = r.name + ": " + e.Reason
			o.Events = append(o.Events, e)
		}
	}
	slices.SortStableFunc(o.Events, func(x, y OutageEvent) int { return x.At.Compare(y.At) })
	if excluded {
		o.Excluded = true
		o.ExcludeReason = strings.Join(reasons, "; ")
		o.ExcludedBy = strings.Join(bys, ", ")
	}
	return o
}

// distinct collects non-empty strings once each, in the order first seen.
type distinct []string

func (d *distinct) add(s string) {
	if s != "" && !slices.Contains(*d, s) {
		*d = append(*d, s)
	}
}

// mergeWindows is the union of the regions' windows, each duplicate (same
// service, start, end, reason and source) once.
func mergeWindows(regions []RegionInput) []Window {
	type key struct {
		service, reason, source string
		start, end              int64
	}
	var out []Window
	at := make(map[key]int)
	for _, r := range regions {
		for _, w := range r.Input.Maintenance {
			w.ID = 0
			k := key{w.Service, w.Reason, w.Source, w.Start.UnixNano(), w.End.UnixNano()}
			i, dup := at[k]
			switch {
			case !dup:
				at[k] = len(out)
				out = append(out, w)
			case out[i].Cancelled() && !w.Cancelled():
				out[i] = w
			}
		}
	}
	return out
}

// BuildMerged is Build over several regions' stores: it gathers svc's input
// from each (Gather), merges them by rule (Merge) and accounts the result.
func BuildMerged(ctx context.Context, rule MergeRule, regions []RegionHistory, svc Service, kind, label string, now time.Time) (Report, Input, error) {
	p, err := periodOf(svc, kind, label, now)
	if err != nil {
		return Report{}, Input{}, err
	}
	ins := make([]RegionInput, len(regions))
	for i, r := range regions {
		in, err := Gather(ctx, r.History, svc, p, now)
		if err != nil {
			return Report{}, Input{}, fmt.Errorf("region %s: %w", r.Region, err)
		}
		ins[i] = RegionInput{Region: r.Region, Input: in}
	}
	in, err := Merge(rule, ins)
	if err != nil {
		return Report{}, Input{}, err
	}
	return accountKind(kind, in), in, nil
}

// BuildAllMerged is BuildAll over several regions' stores (BuildMerged).
func BuildAllMerged(ctx context.Context, rule MergeRule, regions []RegionHistory, svcs []Service, kind, label string, now time.Time) ([]Report, []Input, error) {
	reports := make([]Report, 0, len(svcs))
	inputs := make([]Input, 0, len(svcs))
	for _, svc := range svcs {
		r, in, err := BuildMerged(ctx, rule, regions, svc, kind, label, now)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", svc.Name, err)
		}
		reports = append(reports, r)
		inputs = append(inputs, in)
	}
	return reports, inputs, nil
}
